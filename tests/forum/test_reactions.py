"""Reactions: the rules of giving one, the counts and scores, the pages and controls."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from forum import reactions, services
from forum.models import Alert, BoardPermission, Post, PostReaction, Reaction
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def like():
    return Reaction.objects.get(name="Like")


@pytest.fixture
def sad():
    return Reaction.objects.get(name="Sad")


@pytest.fixture
def love():
    return Reaction.objects.get(name="Love")


@pytest.fixture
def post(thread):
    """The first post, by alice (``member``)."""
    return thread.posts.get(position=1)


def react_url(post: Post) -> str:
    return reverse("forum:post_react", args=[post.pk])


def unreact_url(post: Post) -> str:
    return reverse("forum:post_unreact", args=[post.pk])


def score(user: User) -> int:
    return User.objects.get(pk=user.pk).reaction_score


def counts(post: Post) -> dict:
    return Post.objects.get(pk=post.pk).reaction_counts


def no_drift() -> bool:
    try:
        call_command("recount", "--check", stdout=StringIO())
    except CommandError:
        return False
    return True


# The service: rules, counts and scores.


def test_a_reaction_counts_on_the_post_and_scores_for_its_author(
    post, member, other_member, like
):
    reactions.react(user=other_member, post=post, reaction=like)
    assert counts(post) == {str(like.pk): 1}
    assert score(member) == 1
    assert no_drift()


def test_changing_a_reaction_replaces_it_and_moves_the_score(
    post, member, other_member, like, sad, love
):
    reactions.react(user=other_member, post=post, reaction=like)
    reactions.react(user=other_member, post=post, reaction=sad)
    assert PostReaction.objects.get().reaction == sad
    assert counts(post) == {str(sad.pk): 1}
    assert score(member) == 0  # Sad is worth nothing
    reactions.react(user=other_member, post=post, reaction=love)
    assert counts(post) == {str(love.pk): 1}
    assert score(member) == 1
    assert no_drift()


def test_the_same_reaction_twice_is_one_reaction(post, member, other_member, like):
    first = reactions.react(user=other_member, post=post, reaction=like)
    again = reactions.react(user=other_member, post=post, reaction=like)
    assert first.pk == again.pk and PostReaction.objects.count() == 1
    assert score(member) == 1


def test_several_members_add_up(post, member, like, love, sad):
    fans = [make_member() for _ in range(3)]
    for fan, reaction in zip(fans, [like, love, sad], strict=True):
        reactions.react(user=fan, post=post, reaction=reaction)
    assert counts(post) == {str(like.pk): 1, str(love.pk): 1, str(sad.pk): 1}
    assert score(member) == 2
    assert no_drift()


def test_unreact_takes_the_reaction_and_its_score_back(
    post, member, other_member, like
):
    reactions.react(user=other_member, post=post, reaction=like)
    reactions.unreact(user=other_member, post=post)
    assert not PostReaction.objects.exists()
    assert counts(post) == {}
    assert score(member) == 0
    # Taking back what is not there changes nothing.
    reactions.unreact(user=other_member, post=post)
    assert score(member) == 0


def test_nobody_reacts_to_their_own_post(post, member, like):
    with pytest.raises(PermissionDenied, match="your own post"):
        reactions.react(user=member, post=post, reaction=like)
    assert score(member) == 0


def test_a_banned_member_cannot_react(post, like):
    banned = make_member(is_banned=True)
    with pytest.raises(PermissionDenied):
        reactions.react(user=banned, post=post, reaction=like)


def test_a_retired_reaction_cannot_be_given_but_can_be_taken_back(
    post, member, other_member, like
):
    reactions.react(user=other_member, post=post, reaction=like)
    Reaction.objects.filter(pk=like.pk).update(is_active=False)
    with pytest.raises(PermissionDenied, match="no longer"):
        reactions.react(user=make_member(), post=post, reaction=like)
    reactions.unreact(user=other_member, post=post)
    assert score(member) == 0


def test_no_reactions_on_deleted_or_held_posts(thread, member, other_member, like):
    (reply,) = make_posts(thread, count=1, authors=[member])
    services.delete_post(post=reply, actor=member)
    with pytest.raises(PermissionDenied):
        reactions.react(user=other_member, post=reply, reaction=like)
    held = Post.objects.create(
        thread=thread, author=member, body="x", body_html="x", is_approved=False
    )
    with pytest.raises(PermissionDenied):
        reactions.react(user=other_member, post=held, reaction=like)


def test_no_reactions_in_a_locked_thread_but_by_its_moderators(
    thread, post, moderator, other_member, like
):
    services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    with pytest.raises(PermissionDenied):
        reactions.react(user=other_member, post=post, reaction=like)
    reactions.react(user=moderator, post=post, reaction=like)
    assert PostReaction.objects.filter(user=moderator).exists()


def test_a_deleted_post_stops_counting_towards_the_score_until_restored(
    thread, member, other_member, moderator, like
):
    (reply,) = make_posts(thread, count=1, authors=[member])
    reactions.react(user=other_member, post=reply, reaction=like)
    reactions.react(user=other_member, post=thread.posts.get(position=1), reaction=like)
    assert score(member) == 2
    services.delete_post(post=reply, actor=moderator)
    assert score(member) == 1
    # The rows and the post's own counts stay, for the moderators' eyes.
    assert counts(reply) == {str(like.pk): 1}
    services.restore_post(post=reply, actor=moderator)
    assert score(member) == 2
    assert no_drift()


def test_a_deleted_thread_takes_its_posts_reactions_out_of_every_score(
    thread, member, other_member, moderator, like
):
    (reply,) = make_posts(thread, count=1, authors=[other_member])
    reactions.react(user=other_member, post=thread.posts.get(position=1), reaction=like)
    reactions.react(user=member, post=reply, reaction=like)
    services.delete_thread(thread=thread, moderator=moderator)
    assert (score(member), score(other_member)) == (0, 0)
    assert no_drift()
    services.restore_thread(thread=thread, moderator=moderator)
    assert (score(member), score(other_member)) == (1, 1)
    assert no_drift()


def test_an_edited_score_rescores_everyone_the_reaction_reached(
    thread, member, other_member, like
):
    (reply,) = make_posts(thread, count=1, authors=[other_member])
    reactions.react(user=other_member, post=thread.posts.get(position=1), reaction=like)
    reactions.react(user=member, post=reply, reaction=like)
    like.score = 5
    reactions.save_reaction(reaction=like)
    assert (score(member), score(other_member)) == (5, 5)
    assert no_drift()


def test_recount_repairs_counts_and_scores(post, member, other_member, like):
    reactions.react(user=other_member, post=post, reaction=like)
    Post.objects.filter(pk=post.pk).update(reaction_counts={"999": 4})
    User.objects.filter(pk=member.pk).update(reaction_score=77)
    assert not no_drift()
    out = StringIO()
    call_command("recount", stdout=out)
    assert "1 posts' reaction counts and 1 reaction scores" in out.getvalue()
    assert counts(post) == {str(like.pk): 1}
    assert score(member) == 1


def test_a_reaction_alerts_the_author_and_taking_it_back_withdraws_it(
    post, member, other_member, like, sad
):
    reactions.react(user=other_member, post=post, reaction=like)
    alert = Alert.objects.get(recipient=member, kind="reaction")
    assert (alert.actor, alert.post_id, alert.summary) == (
        other_member,
        post.pk,
        "Like",
    )
    reactions.react(user=other_member, post=post, reaction=sad)
    assert Alert.objects.get(recipient=member, kind="reaction").summary == "Sad"
    reactions.unreact(user=other_member, post=post)
    assert not Alert.objects.filter(recipient=member, kind="reaction").exists()
    assert User.objects.get(pk=member.pk).alerts_unread == 0


# Views: plain POST, htmx, refusals.


def test_a_plain_post_reacts_and_redirects_back_to_the_post(
    client, post, member, other_member, like
):
    client.force_login(other_member)
    response = client.post(react_url(post), {"reaction": like.pk})
    assert response.status_code == 302
    assert response.url == post.get_thread_url()
    assert score(member) == 1
    page = client.get(post.get_thread_url()).content.decode()
    assert 'aria-pressed="true" aria-label="Like"' in page
    assert f'data-reaction-id="{like.pk}"' in page


def test_a_double_submit_gives_one_reaction(client, post, member, other_member, like):
    client.force_login(other_member)
    for _ in range(2):
        assert client.post(react_url(post), {"reaction": like.pk}).status_code == 302
    assert PostReaction.objects.count() == 1 and score(member) == 1
    for _ in range(2):
        assert client.post(unreact_url(post)).status_code == 302
    assert not PostReaction.objects.exists() and score(member) == 0


def test_htmx_gets_the_bar_and_the_counts_out_of_band(client, post, other_member, like):
    client.force_login(other_member)
    response = client.post(
        react_url(post), {"reaction": like.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<form method="post" action="{react_url(post)}"')
    assert f'id="reaction-bar-{post.pk}"' in html
    assert 'aria-pressed="true" aria-label="Like"' in html
    assert html.count('aria-pressed="false"') == Reaction.objects.count() - 1
    assert f'id="reaction-counts-{post.pk}" hx-swap-oob="true"' in html
    assert "csrfmiddlewaretoken" in html
    assert "<html" not in html
    # Taken back: the bar has nothing pressed and the counts are empty.
    html = client.post(unreact_url(post), headers={"HX-Request": "true"}).content
    assert b'aria-pressed="true"' not in html
    assert b"reaction-count " not in html


def test_a_guest_is_sent_to_log_in(client, post, like):
    response = client.post(react_url(post), {"reaction": like.pk})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not PostReaction.objects.exists()


@pytest.mark.parametrize("name", ["post_react", "post_unreact"])
def test_get_on_the_post_urls_is_405(client, post, other_member, name):
    client.force_login(other_member)
    assert client.get(reverse(f"forum:{name}", args=[post.pk])).status_code == 405


def test_own_post_is_refused_with_a_message(client, post, member, like):
    client.force_login(member)
    response = client.post(react_url(post), {"reaction": like.pk})
    assert response.status_code == 403
    assert "You cannot react to your own post." in response.content.decode()


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1", "1e3", "٣", "9" * 40])
def test_a_bogus_reaction_is_a_400(client, post, other_member, value):
    client.force_login(other_member)
    response = client.post(react_url(post), {"reaction": value})
    assert response.status_code == 400
    assert "Choose one of the reactions offered." in response.content.decode()
    assert not PostReaction.objects.exists()


def test_a_retired_reaction_is_a_400(client, post, other_member, like):
    Reaction.objects.filter(pk=like.pk).update(is_active=False)
    client.force_login(other_member)
    assert client.post(react_url(post), {"reaction": like.pk}).status_code == 400


def test_a_missing_or_deleted_post_is_a_404(client, thread, member, other_member, like):
    (reply,) = make_posts(thread, count=1, authors=[member])
    services.delete_post(post=reply, actor=member)
    client.force_login(other_member)
    assert client.post(react_url(reply), {"reaction": like.pk}).status_code == 404
    missing = reverse("forum:post_react", args=[reply.pk + 1000])
    assert client.post(missing, {"reaction": like.pk}).status_code == 404
    who = reverse("forum:post_reactions", args=[reply.pk])
    assert client.get(who).status_code == 404


def test_a_private_boards_posts_are_404_to_outsiders(client, other_member, like):
    board = make_board("Staff room")
    group = Group.objects.create(name="Team")
    for audience in ("guests", "members"):
        BoardPermission.objects.create(board=board, audience=audience, view_board=False)
    BoardPermission.objects.create(
        board=board, audience="group", group=group, view_board=True
    )
    insider = make_member("insider")
    insider.groups.add(group)
    secret = make_thread(board=board, author=insider).posts.get()
    client.force_login(other_member)
    assert client.post(react_url(secret), {"reaction": like.pk}).status_code == 404
    who = reverse("forum:post_reactions", args=[secret.pk])
    assert client.get(who).status_code == 404
    client.logout()
    assert client.get(who).status_code == 404
    assert not PostReaction.objects.exists()


def test_the_csrf_token_is_required(post, other_member, like):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(other_member)
    assert strict.post(react_url(post), {"reaction": like.pk}).status_code == 403
    assert not PostReaction.objects.exists()


# What pages show.


def test_guests_see_counts_but_no_buttons(client, post, other_member, like):
    reactions.react(user=other_member, post=post, reaction=like)
    html = client.get(post.get_thread_url()).content.decode()
    assert f'<span role="img" aria-label="Like">{like.emoji}</span> 1' in html
    assert "reaction-bar" not in html


def test_the_author_sees_counts_but_no_buttons_on_their_own_post(
    client, post, member, other_member, like
):
    reactions.react(user=other_member, post=post, reaction=like)
    client.force_login(member)
    html = client.get(post.get_thread_url()).content.decode()
    assert f"reaction-bar-{post.pk}" not in html
    assert 'aria-label="Like">' in html


def test_counts_follow_a_reaction_at_once_with_the_cache_warm(
    client, post, other_member, like
):
    cache.clear()
    url = post.get_thread_url()
    assert "reaction-count " not in client.get(url).content.decode()
    reactions.react(user=other_member, post=post, reaction=like)
    html = client.get(url).content.decode()
    assert f'<span role="img" aria-label="Like">{like.emoji}</span> 1' in html


def test_one_viewers_reaction_never_shows_for_another(client, post, other_member, like):
    cache.clear()
    reactions.react(user=other_member, post=post, reaction=like)
    client.force_login(other_member)
    assert 'aria-pressed="true"' in client.get(post.get_thread_url()).content.decode()
    client.force_login(make_member())
    assert (
        'aria-pressed="true"' not in client.get(post.get_thread_url()).content.decode()
    )


def pressed(html: str) -> list[tuple[str, str]]:
    """(post id, reaction name) of each pressed button on a page."""
    return re.findall(
        r'formaction="/posts/(\d+)/unreact/"[^>]*'
        r'aria-pressed="true" aria-label="([^"]+)"',
        html,
    )


@pytest.mark.parametrize("cache_on", [True, False], ids=["cached", "cold"])
def test_each_page_shows_the_viewers_own_picks_on_its_own_posts(
    client, settings, thread, other_member, like, love, sad, cache_on
):
    """The picks come with the thread's query, by the page's positions."""
    if not cache_on:
        settings.FORUM_FRAGMENT_SECONDS = 0
    cache.clear()
    make_posts(thread, 24)
    first, third, last = (thread.posts.get(position=n) for n in (1, 3, 22))
    for post, reaction in ((first, like), (third, sad), (last, love)):
        reactions.react(user=other_member, post=post, reaction=reaction)
    # Someone else's pick on page 2 is not the viewer's.
    reactions.react(
        user=make_member(), post=thread.posts.get(position=23), reaction=like
    )
    client.force_login(other_member)
    thread.refresh_from_db()
    page_one = client.get(thread.get_absolute_url()).content.decode()
    page_two = client.get(thread.page_url(2)).content.decode()
    assert sorted(pressed(page_one)) == sorted(
        [(str(first.pk), "Like"), (str(third.pk), "Sad")]
    )
    assert pressed(page_two) == [(str(last.pk), "Love")]
    # Taken back, it is gone at once from the page.
    reactions.unreact(user=other_member, post=last)
    assert pressed(client.get(thread.page_url(2)).content.decode()) == []


def test_the_score_shows_on_the_author_card_and_profile(
    client, post, member, other_member, like
):
    cache.clear()
    url = post.get_thread_url()
    assert (
        '<dd class="d-inline author-reaction-score">0</dd>'
        in client.get(url).content.decode()
    )
    reactions.react(user=other_member, post=post, reaction=like)
    assert (
        '<dd class="d-inline author-reaction-score">1</dd>'
        in client.get(url).content.decode()
    )
    profile = client.get(reverse("member_detail", args=[member.pk])).content.decode()
    assert '<dd class="member-reaction-score">1</dd>' in profile


def test_who_reacted_lists_members_per_reaction(client, post, like, love):
    fans = [make_member(f"fan{n}") for n in range(3)]
    reactions.react(user=fans[0], post=post, reaction=like)
    reactions.react(user=fans[1], post=post, reaction=like)
    reactions.react(user=fans[2], post=post, reaction=love)
    url = reverse("forum:post_reactions", args=[post.pk])
    html = client.get(url).content.decode()
    assert "All (3)" in html and "Like (2)" in html and "Love (1)" in html
    assert all(f"<bdi>fan{n}</bdi>" in html for n in range(3))
    only_love = client.get(f"{url}?reaction={love.pk}").content.decode()
    assert "<bdi>fan2</bdi>" in only_love and "<bdi>fan0</bdi>" not in only_love
    # A reaction nobody gave, or nonsense, goes back to the whole list.
    assert client.get(f"{url}?reaction=abc").url == url
    assert client.get(f"{url}?reaction=99999").url == url


def test_who_reacted_is_paginated(client, post, like, monkeypatch):
    from forum.views import reactions as views

    monkeypatch.setattr(views, "MEMBERS_PER_PAGE", 2)
    for _ in range(3):
        reactions.react(user=make_member(), post=post, reaction=like)
    url = reverse("forum:post_reactions", args=[post.pk])
    assert client.get(url).content.decode().count('class="list-group-item') == 2
    second = client.get(f"{url}?page=2").content.decode()
    assert second.count('class="list-group-item') == 1
    assert client.get(f"{url}?page=9").url == f"{url}?page=2"
    tab = f"{url}?reaction={like.pk}"
    assert client.get(f"{tab}&page=9").url == f"{tab}&page=2"


def test_a_reaction_to_one_post_updates_the_card_on_the_authors_others(
    client, thread, member, other_member, like
):
    (reply,) = make_posts(thread, count=1, authors=[member])
    url = thread.get_absolute_url()
    cache.clear()
    card = '<dd class="d-inline author-reaction-score">{}</dd>'
    assert client.get(url).content.decode().count(card.format(0)) == 2
    # The first post's row does not change: its cached block must still go stale,
    # through the author's row in its fingerprint.
    reactions.react(user=other_member, post=reply, reaction=like)
    assert client.get(url).content.decode().count(card.format(1)) == 2


# The back office.


def test_a_score_edited_in_admin_rescores_the_authors(
    staff_client, post, member, other_member, like
):
    reactions.react(user=other_member, post=post, reaction=like)
    url = reverse("admin:forum_reaction_change", args=[like.pk])
    form = {
        "name": like.name,
        "emoji": like.emoji,
        "score": 3,
        "position": like.position,
        "is_active": "on",
    }
    assert staff_client.post(url, form).status_code == 302
    assert score(member) == 3
    assert no_drift()


def test_the_admin_lists_who_gave_which_reaction_read_only(
    staff_client, post, other_member, like
):
    reactions.react(user=other_member, post=post, reaction=like)
    listing = staff_client.get(reverse("admin:forum_postreaction_changelist"))
    assert listing.status_code == 200 and "bob" in listing.content.decode()
    assert staff_client.get(reverse("admin:forum_postreaction_add")).status_code == 403
