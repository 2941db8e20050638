"""The Content-Security-Policy and Permissions-Policy every page sends, and main pages
that keep to the policy: no inline script, event handler or style element."""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import make_posts

pytestmark = pytest.mark.django_db

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


class InlineCode(HTMLParser):
    """Collects what a page carries that a script-src/style-src of 'self' refuses."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.htmx_config: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.found.append("a <script> without src")
        if tag == "style":
            self.found.append("a <style> element")
        if tag == "meta" and values.get("name") == "htmx-config":
            self.htmx_config = json.loads(values["content"] or "{}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"a javascript: URL in {name}= on <{tag}>")


def inline_code(response) -> InlineCode:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def pages(board, thread):
    make_posts(thread, count=2)
    post = thread.posts.get(position=1)
    return {
        "guest": [
            reverse("forum:index"),
            board.get_absolute_url(),
            thread.get_absolute_url(),
            thread.author.get_absolute_url(),
            reverse("login"),
            reverse("accounts:register"),
            reverse("password_reset"),
        ],
        "member": [
            reverse("forum:index"),
            board.get_absolute_url(),
            thread.get_absolute_url(),
            reverse("forum:thread_create", args=[board.slug]),
            reverse("forum:reply", args=[thread.pk]),
            reverse("forum:post_edit", args=[post.pk]),
            reverse("accounts:profile_edit"),
            thread.author.get_absolute_url(),
        ],
    }


def test_policy_allows_only_the_site_itself(client):
    policy = directives(client.get(reverse("forum:index")))
    assert policy == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }


@pytest.mark.parametrize("who", ["guest", "member"])
def test_main_pages_send_both_policies(client, member, pages, who):
    if who == "member":
        client.force_login(member)
    for url in pages[who]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        permissions = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()"):
            assert feature in permissions, url
        assert response["X-Frame-Options"] == "DENY", url


@pytest.mark.parametrize("who", ["guest", "member"])
def test_main_pages_carry_no_inline_script(client, member, pages, who):
    if who == "member":
        client.force_login(member)
    for url in pages[who]:
        found = inline_code(client.get(url))
        assert found.found == [], url
        # htmx would inject a <style> and may eval attribute code unless told not to.
        assert found.htmx_config == {
            "includeIndicatorStyles": False,
            "allowEval": False,
            "allowScriptTags": False,
        }, url


def test_thread_page_with_the_editor_keeps_to_the_policy(client, member, thread):
    client.force_login(member)
    response = client.get(thread.get_absolute_url())
    html = response.content.decode()
    assert "data-editor" in html and "hx-post=" in html
    assert inline_code(response).found == []


def test_error_pages_send_the_policy_and_no_inline_script(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert inline_code(response).found == []


def test_refused_upload_page_sends_the_policy(client, member):
    client.force_login(member)
    response = client.generic(
        "POST",
        reverse("accounts:profile_edit"),
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "object-src 'none'" in response["Content-Security-Policy"]
    assert inline_code(response).found == []


def test_site_scripts_never_evaluate_strings():
    for script in STATIC_JS.glob("*.js"):
        source = script.read_text()
        for banned in ("eval(", "new Function", 'setTimeout("', 'setInterval("'):
            assert banned not in source, f"{banned} in {script.name}"
