"""Hostile member text as Chromium draws it: a tower of combining marks stays inside
its post, and names written right to left keep the interface text around them in
order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forum.models import Post, Thread
from tests.factories import make_member, make_posts, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A post stored before the renderer capped marks per letter: 5,000 acute accents.
TOWER_HTML = "<p>Z" + "\u0301" * 5000 + " tower</p>"

# Where the text after an element starts, against where the element ends (in CSS
# pixels, left to right): a positive gap means the following text is drawn to its
# right, in reading order for an English interface.
GAP_AFTER = """(element) => {
    const range = document.createRange();
    range.selectNodeContents(element.nextSibling);
    return range.getBoundingClientRect().left - element.getBoundingClientRect().right;
}"""


def first_post_pixels(page, url: str) -> bytes:
    page.goto(url)
    return page.locator("article.post").first.screenshot()


def test_a_tower_of_combining_marks_does_not_paint_over_the_post_above(
    browser, live_server
):
    thread = make_thread(title="Quiet thread", body="Nothing above me is painted.")
    below = make_posts(thread, 1)[0]
    page = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
    url = f"{live_server.url}{thread.get_absolute_url()}"
    calm = first_post_pixels(page, url)
    Post.objects.filter(pk=below.pk).update(body_html=TOWER_HTML)
    tower = first_post_pixels(page, url)
    assert page.locator(f"#post-{below.pk} .post-body").inner_text().startswith("Z")
    assert tower == calm  # not one pixel of the post above has changed
    clip = page.locator(".post-body").first.evaluate(
        "(element) => getComputedStyle(element).overflowY"
    )
    assert clip == "clip"


def test_said_follows_a_quoted_name_whatever_it_holds(browser, live_server):
    thread = make_thread(
        title="Quotes",
        body='[quote="\u202eevil"]one[/quote][quote="\u05e9\u05e8\u05d4 2"]two[/quote]',
    )
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    names = page.locator(".bbquote-header > :first-child")
    assert names.count() == 2
    for index in range(2):
        assert names.nth(index).evaluate(GAP_AFTER) >= 0


def test_a_right_to_left_name_keeps_the_row_text_after_it(browser, live_server):
    author = make_member("\u0639\u0645\u0631")  # Arabic letters
    thread = make_thread(author=author, title="\u0645\u0631\u062d\u0628\u0627 1")
    # "عمر · 5 minutes ago": unisolated, the digit would pull "·" to the name's left.
    started = timezone.now() - timedelta(minutes=5)
    Thread.objects.filter(pk=thread.pk).update(created_at=started)
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}{thread.board.get_absolute_url()}")
    name = page.locator(".thread-row .small.text-muted > :first-child").first
    assert name.inner_text() == author.username
    assert name.evaluate(GAP_AFTER) >= 0
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    crumb = page.locator(".breadcrumb-item bdi").last
    assert crumb.inner_text() == thread.title
    assert page.locator("h1.thread-title bdi").inner_text() == thread.title
