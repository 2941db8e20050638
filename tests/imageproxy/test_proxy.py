"""The proxy view against a real HTTP server standing in for an outside host."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command

import markup
from imageproxy.links import proxied_url
from imageproxy.views import PLACEHOLDER
from tests.factories import make_member, make_thread
from tests.imageproxy.outside import HOST, outside, picture, proxy_settings

__all__ = ["outside", "proxy_settings"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("proxy_settings")]


def proxied(client, url: str):
    return client.get(proxied_url(url))


def assert_hardened(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def assert_placeholder(response, status: int, reason: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content == PLACEHOLDER
    assert reason in response["X-Image-Proxy-Error"]
    assert_hardened(response)


def stored_files(settings) -> list[str]:
    folder = settings.MEDIA_ROOT / settings.FORUM_IMAGE_PROXY_FOLDER
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_picture_is_fetched_once_and_served_from_storage(client, outside, settings):
    url = outside.url("/pic.png")
    first = proxied(client, url)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/png"
    assert b"".join(first.streaming_content) == picture("PNG")
    assert first["Cache-Control"] == "public, max-age=31536000, immutable"
    assert_hardened(first)
    again = proxied(client, url)
    assert b"".join(again.streaming_content) == picture("PNG")
    # Another node, whose cache has never heard of it, finds it in the storage.
    cache.clear()
    elsewhere = proxied(client, url)
    assert b"".join(elsewhere.streaming_content) == picture("PNG")
    assert outside.hits["/pic.png"] == 1
    assert len(stored_files(settings)) == 1


def test_each_allowed_format_gets_its_own_type(client, outside):
    for path, content_type in [
        ("/pic.gif", "image/gif"),
        ("/pic.jpg", "image/jpeg"),
        ("/pic.webp", "image/webp"),
    ]:
        response = proxied(client, outside.url(path))
        assert (response.status_code, response["Content-Type"]) == (200, content_type)
        response.close()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/lies.png", "not a PNG, JPEG, GIF or WebP"),
        ("/drawing.svg", "not a PNG, JPEG, GIF or WebP"),
        ("/page.html", "not a PNG, JPEG, GIF or WebP"),
        ("/truncated.png", "not a PNG, JPEG, GIF or WebP"),
        ("/missing.png", "answered 404"),
        ("/loop", "redirected too many times"),
        ("/nowhere", "redirected nowhere"),
    ],
)
def test_what_is_not_a_picture_gets_the_placeholder_and_is_not_kept(
    client, outside, settings, path, reason
):
    assert_placeholder(proxied(client, outside.url(path)), 502, reason)
    assert stored_files(settings) == []


def test_a_failure_is_remembered_for_a_while(client, outside):
    url = outside.url("/missing.png")
    for _ in range(3):
        response = proxied(client, url)
        assert_placeholder(response, 502, "answered 404")
        assert response["Cache-Control"] == "public, max-age=300"
    assert outside.hits["/missing.png"] == 1


def test_redirects_are_followed_and_each_hop_checked(client, outside):
    response = proxied(client, outside.url("/to-pic"))
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    response.close()
    # A hop to the forum's own machine (or any private address) is refused before
    # anything connects: nothing listens on 127.0.0.1 at this port, so a connection
    # would have failed with a 502 instead.
    outside.route(
        "/to-local", 302, {"Location": f"http://127.0.0.1:{outside.port}/"}, b""
    )
    outside.route(
        "/to-metadata", 301, {"Location": "http://169.254.169.254/latest/"}, b""
    )
    outside.route("/to-file", 307, {"Location": "file:///etc/passwd"}, b"")
    for path, reason in [
        ("/to-local", "private or local"),
        ("/to-metadata", "private or local"),
        ("/to-file", "Only http and https"),
    ]:
        assert_placeholder(proxied(client, outside.url(path)), 403, reason)
        assert outside.hits[path] == 1


def test_a_picture_over_the_size_limit_is_refused(client, outside, settings):
    settings.FORUM_IMAGE_PROXY_MAX_BYTES = 10_000
    outside.route("/big.png", 200, {}, picture("PNG") + b"\0" * 20_000)
    assert_placeholder(proxied(client, outside.url("/big.png")), 502, "larger")
    # Without a Content-Length the count while streaming stops it.
    assert_placeholder(proxied(client, outside.url("/streamed-big.png")), 502, "larger")
    assert stored_files(settings) == []


def test_a_host_that_stops_answering_times_out(client, outside, settings):
    settings.FORUM_IMAGE_PROXY_READ_TIMEOUT = 0.3
    assert_placeholder(proxied(client, outside.url("/hang")), 502, "too long")


def test_private_addresses_are_refused_without_a_connection(client, outside):
    for url in [
        f"http://127.0.0.1:{outside.port}/pic.png",
        f"http://127.1:{outside.port}/pic.png",
        f"http://0x7f000001:{outside.port}/pic.png",
        f"http://[::ffff:127.0.0.1]:{outside.port}/pic.png",
        f"http://[::1]:{outside.port}/pic.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/pic.png",
        f"http://localhost:{outside.port}/pic.png",
    ]:
        assert_placeholder(proxied(client, url), 403, "private or local")
    assert sum(outside.hits.values()) == 0


def test_only_signed_addresses_are_fetched(client, outside):
    real = proxied_url(outside.url("/pic.png"))
    signature, payload = re.fullmatch(r"/img/([^/]+)/([^/]+)/", real).groups()
    other = proxied_url(outside.url("/pic.gif")).split("/")[3]
    for path in [
        f"/img/{signature[:-2]}xx/{payload}/",
        f"/img/{signature}/{other}/",  # a signed key with another URL's payload
        f"/img/{'A' * 43}/{payload}/",
        f"/img/{signature}/{payload}===/",
        f"/img/{signature}/%FF%FE/",
        f"/img/x/{'A' * 5000}/",
    ]:
        assert_placeholder(client.get(path), 404, "No such image")
    assert sum(outside.hits.values()) == 0
    assert client.post(real).status_code == 405


def test_concurrent_first_requests_do_not_all_fetch(client, outside):
    url = outside.url("/pic.png")
    key = hashlib.sha256(url.encode()).hexdigest()
    # Another request holds the fetch: this one is told to come back.
    cache.add(f"imageproxy:{key}:lock", 1, 30)
    response = proxied(client, url)
    assert_placeholder(response, 503, "being fetched")
    assert (response["Retry-After"], response["Cache-Control"]) == ("5", "no-store")
    assert outside.hits["/pic.png"] == 0
    cache.delete(f"imageproxy:{key}:lock")
    assert proxied(client, url).status_code == 200


def test_pages_carry_proxied_addresses_only(outside):
    url = outside.url("/pic.png")
    html = markup.render(f"[IMG]{url}[/IMG] and [url={url}][img]{url}[/img][/url]")
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources == [proxied_url(url)] * 2
    assert HOST not in "".join(sources)


def test_hostile_image_sources_stay_inert_through_the_proxy(client):
    for source in [
        '[img]http://x.example/a.png" onerror="alert(1)[/img]',
        "[img]http://x.example/a.png' onerror='alert(1)[/img]",
        "[img]http://x.example/<svg onload=alert(1)>[/img]",
        "[img]javascript:alert(1)[/img]",
        "[IMG]data:image/png;base64,iVBORw0KGgo=[/IMG]",
    ]:
        html = markup.render(source)
        # What is left of the source is text: no tag carries a handler or a URL
        # the proxy did not sign.
        assert not re.search(r"<[^>]*\son\w+=", html)
        assert not re.search(r"<[^>]*(javascript:|data:)", html)
        for src in re.findall(r'<img src="([^"]+)"', html):
            assert src.startswith("/img/")


def test_with_the_proxy_off_an_image_is_a_link_and_nothing_is_served(
    client, outside, settings
):
    url = outside.url("/pic.png")
    signed = proxied_url(url)
    settings.FORUM_IMAGE_PROXY = False
    assert markup.render(f"[IMG]{url}[/IMG]") == (
        f'<p><a href="{url}" class="bblink" rel="nofollow ugc noopener">{url}</a></p>'
    )
    inside = markup.render(f"[url=http://a.example/][img]{url}[/img][/url]")
    assert inside.count("<a ") == 1 and "<img" not in inside
    assert_placeholder(client.get(signed), 404, "No such image")
    assert outside.hits["/pic.png"] == 0


def test_rerender_posts_moves_stored_pictures_behind_the_proxy(outside, settings):
    url = outside.url("/pic.png")
    source = f"[IMG]{url}[/IMG]"
    settings.MARKUP_IMAGE_URL = None  # as rendered before the proxy existed
    author = make_member(signature=source, signature_html=markup.render(source))
    post = make_thread(author=author, body=source).posts.get()
    assert f'src="{url}"' in post.body_html
    settings.MARKUP_IMAGE_URL = "imageproxy.links.proxied_url"
    call_command("rerender_posts", verbosity=0, stdout=io.StringIO())
    post.refresh_from_db()
    author.refresh_from_db()
    for html in (post.body_html, author.signature_html):
        assert re.findall(r'<img src="([^"]+)"', html) == [proxied_url(url)]


def test_a_storage_that_fails_gives_the_placeholder_not_an_error(
    client, outside, settings, tmp_path
):
    # The media "folder" is a file: every save in it fails, as a full disk would.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = blocked
    url = outside.url("/pic.png")
    assert_placeholder(proxied(client, url), 502, "store is unavailable")
    # Nothing was remembered: once the storage works, the picture is served.
    settings.MEDIA_ROOT = tmp_path / "media"
    assert proxied(client, url).status_code == 200
