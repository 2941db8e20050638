"""A conversation page's messages for one reader (Jinja2, like the thread page).

Nothing here is cached: a conversation is private, and a shared cache must never
hold a block another member could be served.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from conversations import permissions
from conversations.models import Message


def message_list(
    request: HttpRequest,
    messages: list[Message],
    *,
    new_after: datetime | None,
    can_write: bool,
    reply_url: str = "",
    read_only: bool = False,
) -> SafeString:
    """The messages with the controls this reader may use (none when ``read_only``:
    a moderator's audited look)."""
    user = request.user
    items = [
        {
            "message": m,
            "is_new": new_after is not None
            and m.created_at >= new_after
            and m.author_id != user.pk,
            "can_edit": not read_only and permissions.can_edit_message(user, m),
            "can_report": not read_only and permissions.can_report_message(user, m),
        }
        for m in messages
    ]
    context = {
        "items": items,
        "ignored_ids": () if read_only else user.ignored_member_ids,
        "can_reply": can_write and not read_only,
        "reply_url": reply_url,
    }
    template = engines["jinja2"].get_template("conversations/_message_list.html")
    return mark_safe(template.render(context, request))  # noqa: S308 (escaped by the template)
