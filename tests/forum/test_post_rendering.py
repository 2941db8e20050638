"""A thread page's posts as forum/rendering.py draws them: author cards kept per
version of the member, reaction counts, and links under a script prefix."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import get_script_name
from django.test.client import ClientHandler
from django.urls import reverse, set_script_prefix

from accounts import links
from accounts.models import Tier, User
from forum import rendering, services
from forum.models import Post
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def card_of(member: User) -> str:
    return rendering.author_card(User.objects.select_related(*CARD).get(pk=member.pk))


CARD = ("tier", "pinned_tier")


def cards(html: str) -> list[str]:
    return re.findall(r'<div class="author-card.*?</dl>\n</div>', html, re.S)


def test_an_author_card_is_drawn_once_per_version_of_the_member(member):
    first = card_of(member)
    assert card_of(member) is first  # kept: the same object, not drawn again
    assert "alice" in first and f'href="/members/{member.pk}/"' in first


@pytest.mark.parametrize(
    "change",
    [
        {"username": "alicia"},
        {"custom_title": "Keeper of keys"},
        {"post_count": 41},
        {"reaction_score": 7},
        {"date_joined": "shift"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_change_to_what_a_card_shows_draws_a_new_card(member, change):
    before = card_of(member)
    field, value = next(iter(change.items()))
    if value == "shift":
        value = member.date_joined - timedelta(days=400)
    User.objects.filter(pk=member.pk).update(**{field: value})
    after = card_of(member)
    assert after != before
    shown = value.strftime("%b %-d, %Y") if field == "date_joined" else str(value)
    assert shown in after


def test_a_renamed_or_restyled_tier_shows_on_the_card(member):
    tier = User.objects.get(pk=member.pk).tier
    before = card_of(member)
    Tier.objects.filter(pk=tier.pk).update(name="Fresh Face")
    renamed = card_of(member)
    assert "Fresh Face" in renamed and renamed != before
    Tier.objects.filter(pk=tier.pk).update(style="gold")
    assert 'tier-gold"' in card_of(member)


def test_a_pinned_tier_and_an_avatar_show_on_the_card(member):
    before = card_of(member)
    pinned = Tier.objects.exclude(pk=member.tier_id).order_by("pk").first()
    User.objects.filter(pk=member.pk).update(pinned_tier=pinned)
    assert pinned.name in card_of(member)
    member.refresh_from_db()
    member.avatar.save("a.png", ContentFile(b"\x89PNG"), save=True)
    with_avatar = card_of(member)
    assert member.avatar.url in with_avatar and with_avatar != before


def test_an_erased_member_has_the_erased_card(member):
    User.objects.filter(pk=member.pk).update(erased_at=member.date_joined)
    card = card_of(member)
    assert "Deleted member" in card and "alice" not in card


def test_the_kept_cards_stay_within_their_bound(member, monkeypatch):
    monkeypatch.setattr(rendering, "AUTHOR_CARDS", 3)
    monkeypatch.setattr(rendering, "_cards", {})
    for count in range(10):
        User.objects.filter(pk=member.pk).update(post_count=count)
        card = card_of(member)
        assert f'<dd class="d-inline">{count}</dd>' in card
        assert len(rendering._cards) <= 3


def test_every_viewer_sees_one_card_that_follows_the_member(
    client, thread, member, other_member
):
    url = thread.get_absolute_url()
    guest = cards(client.get(url).content.decode())
    client.force_login(other_member)
    assert cards(client.get(url).content.decode()) == guest
    User.objects.filter(pk=member.pk).update(custom_title="Changed since")
    (card,) = cards(client.get(url).content.decode())
    assert "Changed since" in card


def test_reaction_counts_follow_the_catalogue_and_leave_out_none(thread):
    post = Post.objects.for_blocks().get(pk=thread.posts.get().pk)
    post.reaction_catalogue = [[2, "b", "Bee"], [1, "a", "Ay"], [3, "c", "Sea"]]
    post.reaction_counts = {"1": 4, "2": 1, "3": 0}
    assert rendering.reaction_counts(post) == [(2, "b", "Bee", 1), (1, "a", "Ay", 4)]
    post.reaction_counts = {}
    assert rendering.reaction_counts(post) == []
    html = rendering.post_block(post)
    assert 'id="reaction-counts-' in html and "Who reacted" not in html


def test_links_inside_steady_follow_the_prefix_they_found():
    try:
        set_script_prefix("/forum/")
        with links.steady():
            assert links.url_with_id("forum:post_edit", 5) == "/forum/posts/5/edit/"
            assert links.fast_reverse("forum:post_edit", [6]) == reverse(
                "forum:post_edit", args=[6]
            )
        set_script_prefix("/other/")
        with links.steady():
            assert links.url_with_id("forum:post_edit", 5) == "/other/posts/5/edit/"
    finally:
        set_script_prefix("/")
    with links.steady():
        assert links.url_with_id("forum:post_edit", 5) == "/posts/5/edit/"


class PrefixHandler(ClientHandler):
    """The test client's handler, setting the script prefix as Django's WSGI
    handler does for each request (from SCRIPT_NAME or FORCE_SCRIPT_NAME)."""

    def __call__(self, environ):
        set_script_prefix(get_script_name(environ))
        return super().__call__(environ)


@pytest.mark.parametrize("how", ["SCRIPT_NAME", "FORCE_SCRIPT_NAME"])
def test_a_thread_page_under_a_script_prefix_links_under_it(
    client, thread, member, settings, how
):
    # Drawn for this request: a cached block keeps the prefix it was drawn under.
    settings.FORUM_FRAGMENT_SECONDS = 0
    services.post_reply(thread=thread, author=make_member("bob"), body="Second")
    post, url = thread.posts.last(), thread.get_absolute_url()
    client.handler = PrefixHandler()
    try:
        if how == "SCRIPT_NAME":
            response = client.get(url, SCRIPT_NAME="/sub")
        else:
            settings.FORCE_SCRIPT_NAME = "/sub"
            response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200
        assert f'href="/sub/posts/{post.pk}/"' in html  # the permalink
        assert f'href="/sub/members/{member.pk}/"' in html  # the author card
        assert f'href="/posts/{post.pk}/"' not in html
        # And the next request without a prefix links without one.
        settings.FORCE_SCRIPT_NAME = None
        html = client.get(url).content.decode()
        assert f'href="/posts/{post.pk}/"' in html
        assert f'href="/members/{member.pk}/"' in html
        assert "/sub/posts/" not in html and "/sub/members/" not in html
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("who", ["guest", "author", "other", "moderator"])
@pytest.mark.parametrize("locked", [False, True])
def test_each_posts_controls_are_what_the_permission_rules_say(
    client, thread, member, other_member, moderator, who, locked
):
    from forum import permissions

    make_member("carol")
    services.post_reply(thread=thread, author=other_member, body="From bob")
    if locked:
        services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    viewer = {"author": member, "other": other_member, "moderator": moderator}.get(who)
    if viewer:
        client.force_login(viewer)
    html = client.get(thread.get_absolute_url()).content.decode()
    user = User.objects.get(pk=viewer.pk) if viewer else None
    shown_all = {}
    for post in Post.objects.filter(thread=thread).select_related("thread"):
        shown = {
            verb: reverse(f"forum:{name}", args=[post.pk]) in html
            for verb, name in [
                ("edit", "post_edit"),
                ("delete", "post_delete"),
                ("report", "report_post"),
                ("react", "post_react"),
            ]
        }
        shown_all[post.author.username] = {v for v, on in shown.items() if on}
        if user is None:
            assert not any(shown.values())
            continue
        assert shown == {
            "edit": permissions.can_edit_post(user, post),
            "delete": permissions.can_delete_post(user, post),
            "report": permissions.can_report_post(user, post),
            "react": permissions.can_react(user, post),
        }
    expected = {
        ("author", False): {"alice": {"edit", "delete"}, "bob": {"report", "react"}},
        ("author", True): {"alice": set(), "bob": {"report"}},
        ("moderator", False): {
            "alice": {"edit", "delete", "report", "react"},
            "bob": {"edit", "delete", "report", "react"},
        },
        ("moderator", True): {
            "alice": {"edit", "delete", "report", "react"},
            "bob": {"edit", "delete", "report", "react"},
        },
    }.get((who, locked))
    if expected:
        assert shown_all == expected


def test_reaction_bars_drawn_once_carry_each_posts_own_id_and_pick(
    client, thread, member, other_member
):
    from forum import reactions
    from forum.models import Reaction

    posts = [thread.posts.get()]
    posts += [
        services.post_reply(thread=thread, author=member, body=f"Reply {n}")
        for n in range(2)
    ]
    like = Reaction.objects.order_by("position", "pk").first()
    reactions.react(user=other_member, post=posts[1], reaction=like)
    client.force_login(other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    for post in posts:
        bar = re.search(
            rf'<form[^>]*id="reaction-bar-{post.pk}"[^>]*>.*?</form>', html, re.S
        ).group(0)
        assert reverse("forum:post_react", args=[post.pk]) in bar
        assert "\x00" not in bar
        pressed = 'aria-pressed="true"' in bar
        assert pressed == (post == posts[1])
        if pressed:
            assert reverse("forum:post_unreact", args=[post.pk]) in bar


@pytest.mark.parametrize("who", ["other", "moderator"])
def test_controls_drawn_once_per_kind_of_post_carry_each_posts_own_id(
    client, thread, member, other_member, moderator, who, settings
):
    from forum import bookmarks

    settings.FORUM_APPROVAL_POSTS = 0
    replies = [
        services.post_reply(thread=thread, author=member, body=f"Reply {n}")
        for n in range(3)
    ]
    posts = [thread.posts.get(position=1), *replies]
    viewer = other_member if who == "other" else moderator
    bookmarks.bookmark_post(user=viewer, post=replies[1])
    client.force_login(viewer)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "\x00" not in html and str(rendering._STAND_IN) not in html
    footers = dict(
        re.findall(
            r'<article[^>]*data-post-id="(\d+)".*?(<footer.*?</footer>)', html, re.S
        )
    )
    assert set(footers) == {str(post.pk) for post in posts}
    for post in posts:
        footer = footers[str(post.pk)]
        # Every id in the controls is this post's, and its own links are there.
        assert set(re.findall(r"/posts/(\d+)/", footer)) == {str(post.pk)}
        assert set(re.findall(r'data-post-id="(\d+)"', footer)) == {str(post.pk)}
        assert reverse("forum:bookmark_post", args=[post.pk]) in footer
        assert ("Bookmarked</button>" in footer) == (post == replies[1])
        assert (reverse("forum:post_edit", args=[post.pk]) in footer) == (
            who == "moderator"
        )


def test_a_pages_forms_share_one_masked_token_that_the_site_accepts(
    thread, member, other_member
):
    from django.test import Client

    services.post_reply(thread=thread, author=member, body="A reply to bookmark")
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    # The bookmark, reaction, watch, reply and navigation forms: one mask.
    assert len(tokens) > 5 and len(set(tokens)) == 1
    post = thread.posts.order_by("position").last()
    url = reverse("forum:bookmark_post", args=[post.pk])
    assert client.post(url).status_code == 403  # no token: refused
    response = client.post(url, {"csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 302
    assert other_member.bookmarks.filter(post=post).exists()


def test_controls_kept_drawn_carry_each_threads_links_and_each_pages_token(
    board, member, other_member, moderator
):
    from django.test import Client

    from forum.models import Reaction
    from tests.factories import make_thread

    threads = [
        make_thread(board=board, author=member, title=f"Kept {n}") for n in range(2)
    ]
    for thread in threads:
        services.post_reply(thread=thread, author=member, body="A reply")
    pages = {}
    for viewer in (other_member, moderator):
        client = Client(enforce_csrf_checks=True)
        client.force_login(viewer)
        for thread in threads:  # the second thread's controls are the first's, kept
            html = client.get(thread.get_absolute_url()).content.decode()
            pages[viewer, thread] = html
            assert "\x00" not in html
            assert str(rendering._THREAD_STAND_IN) not in html
            replies = set(re.findall(r'href="/threads/(\d+)/reply/\?quote=', html))
            assert replies == {str(thread.pk)}
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        assert len(tokens) == 1  # this page's own, in every form of it
        post = threads[1].posts.order_by("position").last()
        url = reverse("forum:bookmark_post", args=[post.pk])
        response = client.post(url, {"csrfmiddlewaretoken": tokens.pop()})
        assert response.status_code == 302
        assert viewer.bookmarks.filter(post=post).exists()
    # A renamed reaction is a new drawing, not the kept one.
    like = Reaction.objects.order_by("position", "pk").first()
    assert f'aria-label="{like.name}"' in pages[other_member, threads[0]]
    Reaction.objects.filter(pk=like.pk).update(name="Thumbs up")
    client = Client()
    client.force_login(other_member)
    html = client.get(threads[0].get_absolute_url()).content.decode()
    assert 'aria-label="Thumbs up"' in html
