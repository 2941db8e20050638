"""Who may do what: plain functions of user and object, no writes.

Board permissions come from ``access.for_user``, read once per request; nothing
else here queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from forum import access

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from forum.models import Board, Post, Report, Thread


def is_moderator(user: User | AnonymousUser) -> bool:
    """Staff and members flagged as moderators moderate every board, unless banned."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_moderator)
        and not user.is_currently_banned
    )


def can_ban(actor: User, member: User) -> bool:
    """Staff and moderators ban members; nobody bans themselves or a superuser,
    and only superusers ban staff."""
    if not (actor.is_active and (actor.is_staff or actor.is_moderator)):
        return False
    if actor.is_currently_banned:
        return False
    if member.pk == actor.pk or member.is_superuser:
        return False
    return not member.is_staff or actor.is_superuser


def can_post(user: User | AnonymousUser) -> bool:
    """Active members who are not banned, and confirmed their email address where
    the site asks for it, may write."""
    return bool(
        user.is_authenticated
        and user.is_active
        and not user.is_currently_banned
        and not user.needs_email_verification
    )


def moderates(user: User | AnonymousUser, board_id: int) -> bool:
    """Moderators of every board, and members granted "moderate" on this one."""
    if is_moderator(user):
        return True
    return can_post(user) and access.for_user(user).can(board_id, "moderate")


def can_view_board(user: User | AnonymousUser, board: Board) -> bool:
    """A board and the titles of its threads are for those granted "view board"."""
    return access.for_user(user).can(board.pk, "view_board") or moderates(
        user, board.pk
    )


def can_start_thread(user: User | AnonymousUser, board: Board) -> bool:
    """Members who may post and are granted "start threads" on the board."""
    return (
        can_post(user)
        and can_view_board(user, board)
        and (
            access.for_user(user).can(board.pk, "start_threads")
            or moderates(user, board.pk)
        )
    )


def can_view_thread(user: User | AnonymousUser, thread: Thread) -> bool:
    """Threads are read where "read threads" is granted; deleted ones by moderators."""
    if moderates(user, thread.board_id):
        return True
    if not thread.is_approved and thread.author_id != user.pk:
        return False
    board_access = access.for_user(user)
    return (
        not thread.is_deleted
        and board_access.can(thread.board_id, "view_board")
        and board_access.can(thread.board_id, "read_threads")
    )


def can_reply(user: User | AnonymousUser, thread: Thread) -> bool:
    """Members reply to open threads where granted; moderators to locked ones too;
    nobody to deleted ones."""
    if not can_post(user) or thread.is_deleted or not thread.is_approved:
        return False
    if moderates(user, thread.board_id):
        return True
    return (
        not thread.is_locked
        and can_view_thread(user, thread)
        and access.for_user(user).can(thread.board_id, "reply")
    )


@dataclass(frozen=True)
class PostRights:
    """What one visitor may do to the posts of one thread.

    The part that depends on the visitor and the thread alone is worked out once
    (``post_rights``); each post then costs a few comparisons, so a page of posts
    asks the rules below once, not three times per post. ``can_edit_post`` and the
    others are these methods for one post: the rules live here only.
    """

    user_id: int | None
    moderates: bool
    # Members who may post and read the thread: report others' live posts.
    may_report: bool
    # ... and react to others' live approved posts (a locked thread: moderators).
    may_react: bool
    # ... and, the thread open, edit or delete their own where granted.
    may_edit_own: bool
    may_delete_own: bool
    edit_window: int | None

    def can_edit(self, post: Post) -> bool:
        if self.moderates:
            return True
        if not (self.may_edit_own and self._own_live(post)):
            return False
        return self.edit_window is None or (
            post.created_at is not None
            and timezone.now() - post.created_at <= timedelta(minutes=self.edit_window)
        )

    def can_delete(self, post: Post) -> bool:
        return self.moderates or (self.may_delete_own and self._own_live(post))

    def can_report(self, post: Post) -> bool:
        return (
            self.may_report and post.author_id != self.user_id and not post.is_deleted
        )

    def can_react(self, post: Post) -> bool:
        return (
            self.may_react
            and post.author_id != self.user_id
            and not post.is_deleted
            and post.is_approved
        )

    def _own_live(self, post: Post) -> bool:
        return post.author_id == self.user_id and not post.is_deleted


def post_rights(user: User | AnonymousUser, thread: Thread) -> PostRights:
    """The visitor's rights over the posts of ``thread`` (see ``PostRights``)."""
    board_id = thread.board_id
    moderates_here = moderates(user, board_id)
    posting = can_post(user) and can_view_thread(user, thread)
    live = not thread.is_deleted
    own = posting and not thread.is_locked
    board_access = access.for_user(user) if own else None
    return PostRights(
        user_id=user.pk,
        moderates=moderates_here,
        may_report=posting and live,
        may_react=posting
        and live
        and thread.is_approved
        and (not thread.is_locked or moderates_here),
        may_edit_own=own and board_access.can(board_id, "edit_own"),
        may_delete_own=own and board_access.can(board_id, "delete_own"),
        edit_window=board_access.edit_window(board_id) if own else None,
    )


def can_edit_post(user: User | AnonymousUser, post: Post) -> bool:
    """Authors edit their own live posts in open threads, within the board's edit
    window; moderators of the board edit any post."""
    return post_rights(user, post.thread).can_edit(post)


def can_rename_thread(user: User | AnonymousUser, thread: Thread) -> bool:
    """The thread's starter renames it while it is open; moderators always may."""
    if moderates(user, thread.board_id):
        return True
    return (
        can_post(user)
        and thread.author_id == user.pk
        and not thread.is_locked
        and can_view_thread(user, thread)
    )


def can_view_history(user: User | AnonymousUser, post: Post) -> bool:
    """Edit histories are for the board's moderators."""
    return moderates(user, post.thread.board_id)


def can_delete_post(user: User | AnonymousUser, post: Post) -> bool:
    """Authors delete their own live posts where granted; moderators delete any."""
    return post_rights(user, post.thread).can_delete(post)


def can_moderate(user: User | AnonymousUser, thread: Thread) -> bool:
    """Locking, sticking and moving are for the board's moderators."""
    return moderates(user, thread.board_id)


def can_restore_post(user: User | AnonymousUser, post: Post) -> bool:
    """Only moderators bring a deleted post back, even the author's own."""
    return moderates(user, post.thread.board_id)


def can_delete_thread(user: User | AnonymousUser, thread: Thread) -> bool:
    """Only moderators delete or restore a whole thread, others' replies included."""
    return moderates(user, thread.board_id)


def can_view_post(user: User | AnonymousUser, post: Post) -> bool:
    """A post is seen with its thread; a held one only by its author and the board's
    moderators."""
    if not can_view_thread(user, post.thread):
        return False
    return (
        post.is_approved
        or post.author_id == user.pk
        or moderates(user, post.thread.board_id)
    )


def can_approve_post(user: User | AnonymousUser, post: Post) -> bool:
    """Held posts are approved or rejected by the moderators of their board."""
    return moderates(user, post.thread.board_id)


def moderates_any_board(user: User | AnonymousUser) -> bool:
    """Whether the member moderates at least one board (the approval queue)."""
    if is_moderator(user):
        return True
    return can_post(user) and access.for_user(user).moderated_filter() is not None


def can_report_post(user: User | AnonymousUser, post: Post) -> bool:
    """Members who may post report live posts they can read, except their own."""
    return post_rights(user, post.thread).can_report(post)


def can_react(user: User | AnonymousUser, post: Post) -> bool:
    """Members who may post react to live posts they can read, except their own;
    in a locked thread only its moderators do."""
    return post_rights(user, post.thread).can_react(post)


def can_report_member(user: User | AnonymousUser, member: User) -> bool:
    """Members who may post report other active members."""
    return can_post(user) and member.pk != user.pk and member.is_active


def can_handle_report(user: User | AnonymousUser, report: Report) -> bool:
    """A post's report is for the moderators of the board the post is in now; a
    member's for forum-wide ones. Reads ``report.post.thread``: fetch it along."""
    if report.post_id is None:
        return is_moderator(user)
    return moderates(user, report.post.thread.board_id)


def can_see_addresses(user: User | AnonymousUser) -> bool:
    """The addresses members post from are for forum-wide moderators."""
    return is_moderator(user)
