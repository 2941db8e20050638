"""manage.py rerender_messages brings stored messages and reported copies up to
today's renderer: pictures in them move behind the image proxy."""

import io
import re

import pytest
from django.core.management import call_command

from conversations import services
from conversations.models import Message, MessageReport
from imageproxy.links import proxied_url
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PICTURE = "https://pictures.example/cat.png"


def test_messages_and_reported_copies_are_rendered_again(settings):
    settings.MARKUP_IMAGE_URL = None  # as rendered before the proxy existed
    alice, bob = make_member("alice"), make_member("bob")
    conversation = services.start_conversation(
        starter=alice, recipients=[bob], title="Cats", body=f"[IMG]{PICTURE}[/IMG]"
    )
    message = conversation.messages.get()
    services.report_message(message=message, reporter=bob, reason="Not a cat")
    assert all(
        f'src="{PICTURE}"' in html
        for html in [message.body_html, MessageReport.objects.get().body_html]
    )
    settings.MARKUP_IMAGE_URL = "imageproxy.links.proxied_url"
    out = io.StringIO()
    call_command("rerender_messages", verbosity=0, stdout=out)
    assert "Re-rendered 1 messages (1 changed) and 1 reported messages (1 changed)" in (
        out.getvalue()
    )
    for html in [
        Message.objects.get().body_html,
        MessageReport.objects.get().body_html,
    ]:
        assert re.findall(r'<img src="([^"]+)"', html) == [proxied_url(PICTURE)]
    # A second run finds nothing to change.
    call_command("rerender_messages", verbosity=0, stdout=out)
    assert (
        "1 messages (0 changed) and 1 reported messages (0 changed)" in out.getvalue()
    )
