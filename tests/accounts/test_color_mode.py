"""The header's colour theme toggle: kept on the member's row or in a guest's
cookie, written on <html> by the server, refused when it is not a mode."""

import pytest
from django.test import Client

from accounts import color_modes
from accounts.color_modes import COOKIE
from accounts.models import User

pytestmark = pytest.mark.django_db
URL = "/accounts/color-mode/"


def html_tag(response) -> str:
    return response.content.decode().split("<html", 1)[1].split(">", 1)[0]


def test_a_guest_choice_lives_in_a_cookie_and_comes_back_on_html(client):
    response = client.post(URL, {"mode": "dark", "next": "/members/"})
    assert response.status_code == 302
    assert response["Location"] == "/members/"
    cookie = response.cookies[COOKIE]
    assert (cookie.value, cookie["httponly"], cookie["samesite"]) == (
        "dark",
        True,
        "Lax",
    )
    tag = html_tag(client.get("/"))
    assert 'data-bs-theme="dark"' in tag
    assert 'data-color-mode="dark"' in tag


def test_auto_renders_light_for_the_script_to_settle(client):
    tag = html_tag(client.get("/"))
    assert 'data-color-mode="auto"' in tag
    assert 'data-bs-theme="light"' in tag


def test_a_member_choice_is_saved_on_their_row_and_beats_the_cookie(client, member):
    client.force_login(member)
    client.cookies[COOKIE] = "dark"
    client.post(URL, {"mode": "light"})
    member.refresh_from_db()
    assert member.color_mode == User.ColorMode.LIGHT
    client.cookies[COOKIE] = "dark"  # another browser's choice
    assert 'data-bs-theme="light"' in html_tag(client.get("/"))


def test_htmx_gets_the_next_toggle_back(client):
    response = client.post(
        URL, {"mode": "light", "next": "/"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-color-mode="light"' in body
    assert 'value="dark"' in body  # the next press goes to dark
    assert "<html" not in body


@pytest.mark.parametrize(
    "mode", ["", "purple", "DARK", "dark\x00", "x" * 10_000, "<script>"]
)
def test_anything_but_a_mode_is_refused(client, member, mode):
    client.force_login(member)
    response = client.post(URL, {"mode": mode})
    assert response.status_code == 400
    assert b"auto, light or dark" in response.content
    member.refresh_from_db()
    assert member.color_mode == User.ColorMode.AUTO


def test_a_forged_cookie_or_an_outside_next_changes_nothing(client):
    client.cookies[COOKIE] = '"><script>alert(1)</script>'
    tag = html_tag(client.get("/"))
    assert 'data-color-mode="auto"' in tag
    response = client.post(URL, {"mode": "dark", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_toggle_is_post_only_and_csrf_protected_for_members(member):
    client = Client(enforce_csrf_checks=True)
    assert client.get(URL).status_code == 405
    # A guest's choice only sets a cookie in their own browser: no token needed,
    # so guest pages carry none.
    assert client.post(URL, {"mode": "dark"}).status_code == 302
    assert "csrfmiddlewaretoken" not in client.get("/").content.decode()
    client.force_login(member)
    assert client.post(URL, {"mode": "dark"}).status_code == 403
    member.refresh_from_db()
    assert member.color_mode == User.ColorMode.AUTO


def test_a_page_for_a_request_no_middleware_saw_is_drawn_as_a_guests(rf):
    # A refused host gets the 400 page before the session and user are read.
    request = rf.get("/", HTTP_COOKIE=f"{COOKIE}=dark")
    assert color_modes.color_mode(request) == "dark"
    assert color_modes.color_mode(rf.get("/")) == "auto"
