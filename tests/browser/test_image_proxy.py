"""A thread page shows a member's outside picture without Chromium contacting the
outside host: the forum fetched it once and serves it from /img/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import markup
from tests.factories import make_member, make_thread
from tests.imageproxy.outside import HOST, outside, proxy_settings

__all__ = ["outside", "proxy_settings"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("proxy_settings"),
]


def test_a_thread_shows_proxied_pictures_and_never_calls_the_outside_host(
    browser, live_server, outside
):
    wide, local = outside.url("/wide.png"), "http://127.0.0.1:9/secret.png"
    signature = f"[IMG]{outside.url('/pic.gif')}[/IMG]"
    author = make_member(signature=signature, signature_html=markup.render(signature))
    thread = make_thread(
        author=author,
        title="Pictures from the garden",
        body=f"Look: [IMG]{wide}[/IMG]\n\nAnd this one: [IMG]{local}[/IMG]",
    )
    url = f"{live_server.url}{thread.get_absolute_url()}"
    for _visit in range(2):
        # A fresh context each time: nothing comes from Chromium's own cache.
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        requested: list[str] = []
        page.on("request", lambda request, seen=requested: seen.append(request.url))
        page.goto(url)
        pictures = page.locator("article.post .bbimage")
        expect(pictures).to_have_count(3)
        for img in pictures.all():
            img.scroll_into_view_if_needed()
            expect(img).to_have_js_property("complete", True)
        sizes = [
            img.evaluate("i => [i.naturalWidth, i.naturalHeight]")
            for img in pictures.all()
        ]
        # The member's picture, the forum's placeholder for the local address, and
        # the picture in the author's signature.
        assert sizes == [[64, 48], [160, 90], [3, 2]]
        page.wait_for_load_state("networkidle")
        context.close()
        assert requested
        assert not [seen for seen in requested if HOST in seen or ":9/" in seen]
        assert all(seen.startswith(live_server.url) for seen in requested)
    # Two visits, one fetch each: the second was served from the storage.
    assert outside.hits["/wide.png"] == 1
    assert outside.hits["/pic.gif"] == 1
