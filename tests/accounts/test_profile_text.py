"""Profile texts: control characters dropped as in posts, and a signature's own small
image limit, on the member's form and in the admin."""

import pytest

from accounts.models import User
from tests.accounts.test_admin import change_form_data
from tests.accounts.test_profile import EDIT_URL, profile_data

pytestmark = pytest.mark.django_db

IMAGE = "[img]https://i.co/{n}.png[/img]"


def test_profile_texts_keep_only_tab_and_newline(client, member):
    client.force_login(member)
    response = client.post(
        EDIT_URL,
        profile_data(about="One\x01\x7f\x85\r\nTwo\tthree", signature="S\x1big\r"),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.about == "One\nTwo\tthree"
    assert member.signature == "Sig"


def test_signature_with_more_images_than_the_limit_is_refused(client, member):
    client.force_login(member)
    signature = "".join(IMAGE.format(n=n) for n in range(17))  # 17 in 500 characters
    response = client.post(EDIT_URL, profile_data(signature=signature))
    html = response.content.decode()
    assert response.status_code == 200
    assert "at most 1 image(s); this one has 17" in html
    assert "i.co/16.png" in html  # the form keeps what was typed
    assert User.objects.get(pk=member.pk).signature == ""


def test_one_signature_image_is_fine_and_the_limit_is_a_setting(
    client, member, settings
):
    client.force_login(member)
    two = IMAGE.format(n=1) + IMAGE.format(n=2)
    assert (
        client.post(EDIT_URL, profile_data(signature=IMAGE.format(n=1))).status_code
        == 302
    )
    assert client.post(EDIT_URL, profile_data(signature=two)).status_code == 200
    settings.FORUM_SIGNATURE_MAX_IMAGES = 2
    assert client.post(EDIT_URL, profile_data(signature=two)).status_code == 302
    member.refresh_from_db()
    assert member.signature_html.count("<img") == 2


def test_about_text_is_not_held_to_the_signature_limit(client, member):
    client.force_login(member)
    about = " ".join(IMAGE.format(n=n) for n in range(5))
    assert client.post(EDIT_URL, profile_data(about=about)).status_code == 302
    member.refresh_from_db()
    assert member.about_html.count("<img") == 5


def test_admin_signature_edits_obey_the_image_limit(staff_client, member):
    signature = IMAGE.format(n=1) + IMAGE.format(n=2)
    response = staff_client.post(
        f"/admin/accounts/user/{member.pk}/change/",
        change_form_data(member, signature=signature),
    )
    assert response.status_code == 200
    assert "at most 1 image(s)" in response.content.decode()
