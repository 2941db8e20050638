"""The member profile page, profile editing, avatars and last seen."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from accounts.avatars import MAX_BYTES
from accounts.models import User
from tests.accounts.conftest import png_bytes

pytestmark = pytest.mark.django_db

EDIT_URL = "/accounts/profile/"


def profile_data(**overrides) -> dict:
    data = {
        "location": "Lisbon",
        "website": "https://alice.example.org/",
        "about": "I like *trains*.\n\nAnd boats.",
        "signature": "Cheers, Alice",
    }
    data.update(overrides)
    return data


def upload(name: str, content: bytes, content_type: str = "image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_edit_profile_renders_about_and_signature(client, member):
    client.force_login(member)
    response = client.post(EDIT_URL, profile_data(signature="See https://x.org"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.location == "Lisbon"
    assert member.about_html.startswith("<p>I like")
    assert 'href="https://x.org"' in member.signature_html
    assert member.signature == "See https://x.org"


def test_signature_shows_under_the_members_posts(client, member, thread):
    client.force_login(member)
    client.post(EDIT_URL, profile_data(signature="<b>Cheers</b> from Alice"))
    html = client.get(thread.get_absolute_url()).content.decode()
    assert 'class="post-signature' in html
    assert "&lt;b&gt;Cheers&lt;/b&gt; from Alice" in html
    assert "<b>Cheers</b>" not in html


def test_profile_texts_are_shown_escaped(client, member):
    client.force_login(member)
    response = client.post(
        EDIT_URL,
        profile_data(
            about="<script>alert(1)</script>",
            signature="<b>Bold</b> & done",
            location="<i>Lisbon</i>",
        ),
    )
    assert response.status_code == 302
    html = client.get(member.get_absolute_url()).content.decode()
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    assert "<p>&lt;b&gt;Bold&lt;/b&gt; &amp; done</p>" in html
    assert "<dd>&lt;i&gt;Lisbon&lt;/i&gt;</dd>" in html
    assert "<script>alert(1)" not in html and "<b>Bold" not in html
    assert "<i>Lisbon" not in html


def test_too_long_signature_is_refused_and_the_form_keeps_the_text(client, member):
    client.force_login(member)
    text = "x" * 501
    response = client.post(EDIT_URL, profile_data(signature=text, about="Keep me"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "at most 500 characters" in html
    assert text in html and "Keep me" in html
    member.refresh_from_db()
    assert member.signature == "" and member.about == ""


def test_signature_with_too_many_lines_is_refused(client, member):
    client.force_login(member)
    response = client.post(EDIT_URL, profile_data(signature="a\nb\nc\nd\ne\nf"))
    assert "at most 5 lines; this one has 6" in response.content.decode()
    ok = client.post(EDIT_URL, profile_data(signature="a\r\nb\r\nc\r\nd\r\ne"))
    assert ok.status_code == 302


def test_javascript_website_is_refused(client, member):
    client.force_login(member)
    response = client.post(EDIT_URL, profile_data(website="javascript:alert(1)"))
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.website == ""


def test_edit_profile_needs_login(client):
    response = client.get(EDIT_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_valid_png_becomes_a_square_thumbnail(client, member, settings):
    client.force_login(member)
    response = client.post(
        EDIT_URL, {**profile_data(), "avatar": upload("me.png", png_bytes(300, 200))}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.avatar.name.startswith("avatars/")
    with Image.open(settings.MEDIA_ROOT / member.avatar.name) as stored:
        assert stored.format == "PNG" and stored.size == (192, 192)
    html = client.get(member.get_absolute_url()).content.decode()
    assert member.avatar.url in html


def test_jpeg_with_trailing_payload_is_re_encoded(client, member, settings):
    out = io.BytesIO()
    Image.new("RGB", (50, 50), (0, 90, 0)).save(out, format="JPEG")
    payload = out.getvalue() + b"<script>alert(1)</script>"
    client.force_login(member)
    client.post(EDIT_URL, {**profile_data(), "avatar": upload("me.jpg", payload)})
    member.refresh_from_db()
    stored = (settings.MEDIA_ROOT / member.avatar.name).read_bytes()
    assert b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("PNG", (192, 192))


def test_new_avatar_replaces_and_deletes_the_old_file(
    django_capture_on_commit_callbacks, client, member, settings
):
    client.force_login(member)
    client.post(EDIT_URL, {**profile_data(), "avatar": upload("a.png", png_bytes())})
    member.refresh_from_db()
    first = settings.MEDIA_ROOT / member.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            EDIT_URL, {**profile_data(), "avatar": upload("b.png", png_bytes(80, 80))}
        )
    member.refresh_from_db()
    assert (settings.MEDIA_ROOT / member.avatar.name).exists()
    assert not first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EDIT_URL, {**profile_data(), "remove_avatar": "on"})
    member.refresh_from_db()
    assert not member.avatar
    html = client.get(member.get_absolute_url()).content.decode()
    assert "avatar-initials" in html and ">AL<" in html


def refused(client, member, file, expected: str) -> None:
    client.force_login(member)
    response = client.post(
        EDIT_URL, {**profile_data(about="Typed text"), "avatar": file}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert expected in html
    assert "Typed text" in html
    member.refresh_from_db()
    assert not member.avatar and member.about == ""
    stored = Path(django_settings.MEDIA_ROOT).rglob("*")
    assert not [path for path in stored if path.is_file()]


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        (5000, "That image is too large (5000×5000 pixels)"),
        # Past Pillow's own decompression-bomb limit: refused before decoding too.
        (10_000, "That image is too large; avatars may have at most 16,777,216"),
    ],
)
def test_image_with_too_many_pixels_is_refused(client, member, side, expected):
    # One colour compresses to a few kilobytes: the message names the pixels, so
    # the pixel limit caught it, not the byte limit.
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")
    refused(client, member, upload("bomb.png", out.getvalue()), expected)


def padded_png(size: int) -> bytes:
    """A real PNG followed by zero bytes up to ``size``: readers stop at its end."""
    data = png_bytes(300, 200)
    return data + b"\0" * (size - len(data))


def test_file_of_two_megabytes_is_accepted_and_stored_small(client, member, settings):
    client.force_login(member)
    response = client.post(
        EDIT_URL, {**profile_data(), "avatar": upload("big.png", padded_png(MAX_BYTES))}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    stored = settings.MEDIA_ROOT / member.avatar.name
    assert stored.stat().st_size < 64 * 1024  # the padding is not kept
    with Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (192, 192))


def test_file_one_byte_over_two_megabytes_is_refused(client, member):
    file = upload("big.png", padded_png(MAX_BYTES + 1))
    expected = "That file is 2.0 MB; avatars may be at most 2 MB."
    refused(client, member, file, expected)


def test_non_image_is_refused(client, member):
    refused(
        client,
        member,
        upload("notes.png", b"just some text, not a picture"),
        "not an image we can read",
    )


def test_svg_with_a_script_is_refused(client, member):
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
        b"<script>alert(document.cookie)</script></svg>"
    )
    refused(
        client,
        member,
        upload("evil.svg", svg, "image/svg+xml"),
        "SVG and other drawing formats are not accepted",
    )


def test_other_raster_formats_are_refused(client, member):
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, format="BMP")
    refused(client, member, upload("old.bmp", out.getvalue()), "BMP images are not")


def test_truncated_png_is_refused(client, member):
    out = io.BytesIO()
    Image.effect_noise((400, 400), 80).save(out, format="PNG")
    data = out.getvalue()
    refused(client, member, upload("cut.png", data[: len(data) // 2]), "damaged")


def test_email_change_needs_the_current_password(client, member, other_member):
    client.force_login(member)
    url = "/accounts/email/"
    wrong = client.post(url, {"email": "new@example.com", "password": "nope"})
    assert "not your current password" in wrong.content.decode()
    assert "new@example.com" in wrong.content.decode()
    taken = client.post(
        url, {"email": "BOB@example.com", "password": "correct horse 42"}
    )
    assert "already exists" in taken.content.decode()
    ok = client.post(url, {"email": "new@example.com", "password": "correct horse 42"})
    assert ok.status_code == 302
    # The new address is mailed a link; the old one stays until it is followed
    # (tests/accounts/test_email_verification.py).
    member.refresh_from_db()
    assert member.email == "alice@example.com"
    (message,) = mail.outbox
    assert message.to == ["new@example.com"]


def test_profile_edit_links_to_password_and_email_change(client, member):
    client.force_login(member)
    html = client.get(EDIT_URL).content.decode()
    assert 'href="/accounts/password/change/"' in html
    assert 'href="/accounts/email/"' in html
    assert 'enctype="multipart/form-data"' in html


def test_last_seen_is_written_at_most_every_few_minutes(client, member):
    client.force_login(member)
    long_ago = timezone.now() - timedelta(hours=2)
    User.objects.filter(pk=member.pk).update(last_seen_at=None, last_login=long_ago)
    client.get("/")
    member.refresh_from_db()
    first = member.last_seen_at
    assert first is not None and first > long_ago
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    assert not any(q["sql"].startswith("UPDATE") for q in ctx.captured_queries)
    member.refresh_from_db()
    assert member.last_seen_at == first
    User.objects.filter(pk=member.pk).update(
        last_seen_at=timezone.now() - timedelta(minutes=6)
    )
    client.get("/")
    member.refresh_from_db()
    assert member.last_seen_at > first


def test_guests_cause_no_last_seen_write(client, member):
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    assert not any(q["sql"].startswith("UPDATE") for q in ctx.captured_queries)


def test_profile_texts_obey_the_markup_limits(client, member):
    client.force_login(member)
    about = "[IMG]https://example.com/a.png[/IMG]" * 25
    response = client.post(EDIT_URL, profile_data(about=about))
    html = response.content.decode()
    assert response.status_code == 200
    assert "the limit is 20" in html
    member.refresh_from_db()
    assert member.about == ""
