"""The forum's models, one module per concern; import them from here."""

from forum.models.content import (
    Board,
    BoardPermission,
    Category,
    ModerationAction,
    Post,
    PostRevision,
    Report,
    ReportComment,
    Thread,
    make_slug,
)
from forum.models.engagement import (
    Alert,
    BoardRead,
    BoardWatch,
    Bookmark,
    Draft,
    MemberPreferences,
    PostReaction,
    Reaction,
    ThreadRead,
    ThreadWatch,
)
from forum.models.stats import OnlineRecord

__all__ = [
    "Alert",
    "Board",
    "BoardPermission",
    "BoardRead",
    "BoardWatch",
    "Bookmark",
    "Draft",
    "Category",
    "MemberPreferences",
    "ModerationAction",
    "OnlineRecord",
    "Post",
    "PostReaction",
    "PostRevision",
    "Reaction",
    "Report",
    "ReportComment",
    "Thread",
    "ThreadRead",
    "ThreadWatch",
    "make_slug",
]
