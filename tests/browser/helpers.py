"""What the browser tests share: logging in as a member the factories made."""

from playwright.sync_api import expect

from tests.factories import PASSWORD


def log_in(page, base_url: str, username: str) -> None:
    """Log in through the site's form and wait until the header shows the member."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("nav")).to_contain_text(username)
