"""Members in Chromium: an avatar upload shows on the profile and beside the next
post; a tier granted in Django admin shows on the thread page."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from tests.factories import PASSWORD, make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def remove_avatars():
    """The live server serves media from the configured folder: clean up after."""
    yield
    for user in User.objects.exclude(avatar=""):
        default_storage.delete(user.avatar.name)


def log_in(page, base_url: str, username: str, path: str = "/accounts/login/"):
    page.goto(f"{base_url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form [type=submit]").first.click()


def image_width(locator) -> int:
    expect(locator).to_be_visible()
    return locator.evaluate("img => img.complete ? img.naturalWidth : 0")


def test_avatar_upload_shows_on_profile_and_beside_the_next_post(
    page, live_server, remove_avatars
):
    member = make_member("painter")
    thread = make_thread(author=make_member("host"), title="Show your palette")
    log_in(page, live_server.url, "painter")
    expect(page.locator("nav")).to_contain_text("painter")

    picture = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(picture, format="PNG")
    page.goto(f"{live_server.url}/accounts/profile/")
    page.set_input_files(
        "input[name=avatar]",
        files=[
            {"name": "me.png", "mimeType": "image/png", "buffer": picture.getvalue()}
        ],
    )
    page.fill("textarea[name=signature]", "Blue period, always.")
    page.get_by_role("button", name="Save profile").click()

    expect(page.locator(".alert-success")).to_contain_text("Your profile is saved.")
    profile_avatar = page.locator("img.profile-avatar")
    page.wait_for_function(
        "() => document.querySelector('img.profile-avatar')?.naturalWidth > 0"
    )
    assert image_width(profile_avatar) == 192
    member.refresh_from_db()
    assert member.avatar.name.endswith(".png")

    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.fill(".reply-box textarea[name=body]", "Mostly ultramarine.")
    page.get_by_role("button", name="Post reply").click()
    mine = page.locator("article.post", has_text="Mostly ultramarine.")
    avatar = mine.locator(".author-card img.avatar")
    expect(avatar).to_have_attribute("src", member.avatar.url)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.author-card img.avatar')]"
        ".some(img => img.naturalWidth > 0)"
    )
    assert image_width(avatar) == 192
    expect(mine.locator(".post-signature")).to_contain_text("Blue period, always.")
    # The starter has no avatar: initials stand in.
    expect(page.locator("article.post").first.locator(".avatar-initials")).to_have_text(
        "HO"
    )


def test_staff_grants_platinum_member_in_admin_and_the_thread_shows_it(
    page, live_server
):
    member = make_member("veteran")
    make_member("boss", is_staff=True, is_superuser=True)
    thread = make_thread(author=member, title="Thirty years of forums")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    card = page.locator("article.post").first.locator(".author-card")
    expect(card).to_contain_text("New Member")

    log_in(page, live_server.url, "boss", path="/admin/login/")
    page.goto(f"{live_server.url}/admin/accounts/user/{member.pk}/change/")
    page.select_option("select[name=pinned_tier]", label="Platinum Member")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    card = page.locator("article.post").first.locator(".author-card")
    expect(card.locator(".member-title")).to_have_text("Platinum Member")
    expect(card.locator(".member-title")).to_have_class("member-title tier-platinum")
    member.refresh_from_db()
    assert member.pinned_tier.name == "Platinum Member"
