"""Reactions to posts: giving, changing and taking one back, and the scores they make.

Two numbers are kept with the rows in ``PostReaction``:

- ``Post.reaction_counts`` ({reaction id as text: count}) counts every reaction row
  of the post. Each writer recomputes it from the post's own rows while holding the
  post's row lock, so it is exact by construction and costs one small GROUP BY.
- ``User.reaction_score`` is the sum of ``Reaction.score`` over the reactions to the
  member's *live* posts (not deleted, approved, in a live approved thread), the same
  posts their post count counts. A deleted post's reactions stop counting and a
  restore brings them back; the rows themselves are never removed by moderation.

Why the score stays exact under concurrency:

- ``react`` and ``unreact`` move the score by a delta with ``F()``. They hold the
  thread (FOR KEY SHARE: against deleting, restoring or moving it, which take FOR
  UPDATE) and the post (FOR UPDATE: against deleting it and against a second reactor
  on the same post, so a double submit finds the first row), and the reactions
  involved FOR SHARE (against an admin editing their score). So the post is live and
  the scores are the ones in force for as long as the delta is in flight.
- Everything else that changes which reactions count, or what they are worth
  (deleting or restoring a post or thread, a score edited in admin), calls
  :func:`rescore_members`: it locks the member rows first and recomputes their score
  from the rows in a statement of its own, whose snapshot is taken after the lock
  wait and therefore sees every writer that held the lock before. A delta landing
  after that waits on the member row and adds to the recomputed value.
- ``manage.py recount`` recomputes both numbers from the rows (``--check`` reports
  drift), and is what an operator runs after editing rows by hand.

Locks are taken in the project's order: thread, post, reaction, member.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection, connections, router, transaction
from django.db.models import (
    Count,
    F,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.links import url_with_id
from accounts.models import User
from forum import alerts, permissions
from forum.models import Post, PostReaction, Reaction, Thread

REFUSED = "You cannot react to this post."


@dataclass(frozen=True)
class Bar:
    """What one viewer's reaction controls under one post need."""

    post_id: int
    choices: Sequence[Reaction]
    mine: int | None

    # Built from a cached prefix and suffix: twenty posts, two links each.
    @property
    def react_url(self) -> str:
        return url_with_id("forum:post_react", self.post_id)

    @property
    def unreact_url(self) -> str:
        return url_with_id("forum:post_unreact", self.post_id)


def _lock(post: Post, user: User) -> tuple[Post, PostReaction | None]:
    """Lock the post's thread (shared) and the post; return the post as locked and
    the member's reaction to it, read after the lock wait."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Thread._meta.db_table} WHERE id = %s FOR KEY SHARE",
            [post.thread_id],
        )
    locked = (
        Post.objects.select_related("thread")
        .select_for_update(of=("self",))
        .get(pk=post.pk)
    )
    # A second submit of the same form waited above and now finds the first's row.
    given = PostReaction.objects.filter(post=locked, user=user).first()
    return locked, given


def _share(reaction_ids: Iterable[int]) -> dict[int, Reaction]:
    """The reactions, locked FOR SHARE: an admin's score edit waits for us, or we for
    it, so the scores read here are the ones in force when the delta lands."""
    ids = sorted(set(reaction_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Reaction._meta.db_table} WHERE id = ANY(%s) "
            "ORDER BY id FOR SHARE",
            [ids],
        )
    return Reaction.objects.in_bulk(ids)


def _check(user: User, post: Post) -> None:
    if post.author_id == user.pk:
        raise PermissionDenied("You cannot react to your own post.")
    if not permissions.can_react(user, post):
        raise PermissionDenied(REFUSED)


def _recount_post(post_id: int) -> dict[str, int]:
    counts = {
        str(reaction_id): n
        for reaction_id, n in PostReaction.objects.filter(post_id=post_id)
        .values_list("reaction_id")
        .annotate(n=Count("id"))
        .order_by("reaction_id")
    }
    Post.objects.filter(pk=post_id).update(reaction_counts=counts)
    return counts


def _move_score(user_id: int, delta: int) -> None:
    if delta:
        User.objects.filter(pk=user_id).update(
            reaction_score=F("reaction_score") + delta
        )


@transaction.atomic
def react(*, user: User, post: Post, reaction: Reaction) -> PostReaction:
    """Give a post a reaction, replacing the member's earlier one; not on your own
    post, nor on one you cannot read, nor with a retired reaction."""
    post, given = _lock(post, user)
    _check(user, post)
    reactions = _share([reaction.pk, *([given.reaction_id] if given else [])])
    reaction = reactions.get(reaction.pk)
    if reaction is None or not reaction.is_active:
        raise PermissionDenied("This reaction can no longer be given.")
    if given is not None and given.reaction_id == reaction.pk:
        return given
    old_score = reactions[given.reaction_id].score if given else 0
    if given is None:
        given = PostReaction.objects.create(post=post, user=user, reaction=reaction)
    else:
        PostReaction.objects.filter(pk=given.pk).update(
            reaction=reaction, created_at=timezone.now()
        )
        given.reaction = reaction
    post.reaction_counts = _recount_post(post.pk)
    _move_score(post.author_id, reaction.score - old_score)
    _alert(post, user, reaction)
    return given


@transaction.atomic
def unreact(*, user: User, post: Post) -> Post:
    """Take back the member's reaction to a post (nothing happens if there is none)."""
    post, given = _lock(post, user)
    _check(user, post)
    if given is None:
        return post
    score = _share([given.reaction_id])[given.reaction_id].score
    given.delete()
    post.reaction_counts = _recount_post(post.pk)
    _move_score(post.author_id, -score)
    _withdraw_alert(post, user)
    return post


def _alert(post: Post, actor: User, reaction: Reaction) -> None:
    alerts.notify(
        post.author_id, "reaction", actor=actor, post=post, summary=reaction.name
    )


def _withdraw_alert(post: Post, actor: User) -> None:
    alerts.withdraw("reaction", recipient_id=post.author_id, post=post, actor=actor)


def score_of_member():
    """The reaction score a member's row should hold, on ``OuterRef("pk")``."""
    live = PostReaction.objects.filter(
        post__author=OuterRef("pk"),
        post__is_deleted=False,
        post__is_approved=True,
        post__thread__is_deleted=False,
        post__thread__is_approved=True,
    )
    total = (
        live.order_by()
        .values("post__author")
        .annotate(total=Sum("reaction__score"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


def rescore_members(user_ids: Iterable[int]) -> None:
    """Recompute members' reaction scores from the rows, under their row locks.

    Call inside the transaction that changed which reactions count for them (a post
    or thread deleted or restored) or what they are worth (a score edited).
    """
    ids = sorted(set(user_ids))
    if not ids:
        return
    # Locked in a statement of its own, so the UPDATE's snapshot is taken after the
    # wait: an UPDATE that waited would re-check its row but compute the score from
    # the rows as they were before the other writer committed.
    list(
        User.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=ids).update(reaction_score=score_of_member())


@transaction.atomic
def save_reaction(*, reaction: Reaction) -> Reaction:
    """Save a reaction edited in admin; a changed score rescores everyone it reached."""
    old = None
    if reaction.pk is not None:
        old = Reaction.objects.select_for_update().filter(pk=reaction.pk).first()
    reaction.save()
    if old is not None and old.score != reaction.score:
        # After the UPDATE above: reactors holding this reaction FOR SHARE have
        # committed, and new ones wait until this transaction does.
        rescore_members(
            Post.objects.filter(reactions__reaction=reaction)
            .values_list("author_id", flat=True)
            .distinct()
        )
    return reaction


# The reaction catalogue with the viewer's picks among a page's posts. Plain SQL:
# Django's compiler took longer to build the ArraySubquery version than PostgreSQL
# took to run it, on every member's thread page.
_FOR_VIEWER = f"""
SELECT r.id, r.name, r.emoji, r.score, r.position, r.is_active,
       ARRAY(SELECT pr.post_id FROM {PostReaction._meta.db_table} pr
             WHERE pr.reaction_id = r.id AND pr.user_id = %s
               AND pr.post_id = ANY(%s))
FROM {Reaction._meta.db_table} r
ORDER BY r.position, r.id
"""


def for_viewer(user: User, post_ids: Sequence[int]) -> tuple[list[Reaction], dict]:
    """Every reaction (ordered) and the viewer's reaction per post, in one query.

    Each reaction carries ``mine``: the ids among ``post_ids`` the viewer gave it.
    """
    # Through the router: a read replica, when there is one, serves page reads.
    with connections[router.db_for_read(Reaction)].cursor() as cursor:
        cursor.execute(_FOR_VIEWER, [user.pk, list(post_ids)])
        return page_picks(cursor.fetchall())


# The same, for the posts at positions [first, end) of the thread in the outer
# query: a thread page's viewer picks ride on its thread's query.
_ON_PAGE = f"""
SELECT COALESCE(jsonb_agg(jsonb_build_array(
           r.id, r.name, r.emoji, r.score, r.position, r.is_active,
           COALESCE(picked.posts, ARRAY[]::bigint[])) ORDER BY r.position, r.id),
       '[]'::jsonb)
FROM {Reaction._meta.db_table} r
LEFT JOIN (
    SELECT pr.reaction_id, array_agg(pr.post_id::bigint) AS posts
    FROM {Post._meta.db_table} p
    JOIN {PostReaction._meta.db_table} pr ON pr.post_id = p.id AND pr.user_id = %s
    WHERE p.thread_id = %s AND p.position >= %s AND p.position < %s
    GROUP BY pr.reaction_id
) picked ON picked.reaction_id = r.id
"""


def with_page_picks(
    threads: QuerySet[Thread], user: User, thread_id: int, first: int, end: int
) -> QuerySet[Thread]:
    """Annotate ``page_reactions``: what ``for_viewer`` gives for the posts of
    thread ``thread_id`` at positions ``first`` to ``end`` (excluded), as rows for
    ``page_picks``. Members only: a guest picks nothing."""
    if not user.is_authenticated:
        return threads
    picks = RawSQL(_ON_PAGE, [user.pk, thread_id, first, end], output_field=JSONField())
    return threads.annotate(page_reactions=picks)


def page_picks(rows: Sequence[Sequence]) -> tuple[list[Reaction], dict]:
    """``for_viewer``'s answer from its rows, or from ``with_page_picks``'s."""
    reactions = []
    for pk, name, emoji, score, position, is_active, mine in rows:
        reaction = Reaction(
            pk=pk,
            name=name,
            emoji=emoji,
            score=score,
            position=position,
            is_active=is_active,
        )
        reaction.mine = mine
        reactions.append(reaction)
    given = {
        post_id: reaction.pk for reaction in reactions for post_id in reaction.mine
    }
    return reactions, given


def bar(
    post: Post,
    rights: permissions.PostRights,
    reactions: Sequence[Reaction],
    given: dict,
) -> Bar | None:
    """The controls a viewer gets under a post, or None when they may not react
    (``rights``: the viewer's in the post's thread).

    Retired reactions are not offered, except the viewer's own, so it can be taken
    back.
    """
    if not rights.can_react(post):
        return None
    mine = given.get(post.pk)
    choices = [r for r in reactions if r.is_active or r.pk == mine]
    return Bar(post_id=post.pk, choices=choices, mine=mine)
