"""Conversation pages and actions. Every one finds its conversation through the
reader's own participant row (``reads.membership``), so a conversation the reader
is not in answers 404 on every URL, whatever the id."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts import ratelimit
from accounts.http import AuthedRequest, client_ip
from conversations import permissions, reads, rendering, services
from conversations.forms import (
    ConversationForm,
    EditMessageForm,
    InviteForm,
    MessageForm,
    quote_messages,
)
from conversations.models import Message, Participant
from forum.forms import ReportForm
from forum.pagination import ASCII_NUMBER, PageWindow, resolve_page
from forum.quoting import parse_ids
from forum.views.posting import banned_page

CONVERSATIONS_PER_PAGE = 25


def _participant(request: AuthedRequest, conversation_id: int) -> Participant:
    participant = reads.membership(request.user, conversation_id)
    if participant is None:
        raise Http404("No such conversation.")
    return participant


def _message(request: AuthedRequest, message_id: int) -> tuple[Message, Participant]:
    found = reads.message_of(request.user, message_id)
    if found is None:
        raise Http404("No such message.")
    return found


def _wants_preview(request: HttpRequest) -> bool:
    return request.method == "POST" and "preview" in request.POST


def _page_url(conversation, page: int) -> str:
    url = conversation.get_absolute_url()
    return url if page == 1 else f"{url}?page={page}"


def _refusal(user) -> str:
    try:
        services.refuse_unless_writer(user)
    except PermissionDenied as refusal:
        return str(refusal)
    return ""


@login_required
@require_safe
def conversation_list(request: AuthedRequest) -> HttpResponse:
    raw = request.GET.get("page")
    page = int(raw) if raw and ASCII_NUMBER.fullmatch(raw) else 1
    page = page if 0 < page <= 10_000 else 1
    start = (page - 1) * CONVERSATIONS_PER_PAGE
    rows = list(reads.inbox(request.user)[start : start + CONVERSATIONS_PER_PAGE + 1])
    return render(
        request,
        "conversations/conversation_list.html",
        {
            "rows": rows[:CONVERSATIONS_PER_PAGE],
            "page": page,
            "has_next": len(rows) > CONVERSATIONS_PER_PAGE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_create(request: AuthedRequest) -> HttpResponse:
    if request.user.is_currently_banned:
        return banned_page(request, "Start a conversation")
    to = request.GET.get("to", "")[:150].replace("\x00", "")
    form = ConversationForm(
        request.POST if request.method == "POST" else None,
        initial={"recipients": to} if to else None,
    )
    refusal = _refusal(request.user)
    status = 403 if refusal else 200
    preview = ""
    if refusal:
        messages.error(request, refusal)
    elif _wants_preview(request):
        preview = form.preview_html()
    elif form.is_valid():
        try:
            conversation = services.start_conversation(
                starter=request.user,
                recipients=form.cleaned_data["recipients"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                ip_address=client_ip(request),
                submission_token=form.cleaned_data["submission_token"],
            )
        except PermissionDenied as refused:
            form.add_error("recipients", str(refused))
            status = 403
        except ValidationError as refused:
            form.add_error("recipients", refused.messages)
        except ratelimit.RateLimited as refused:
            form.add_error(None, str(refused))  # what was typed stays in the form
            status = 429
        else:
            return redirect(conversation)
    return render(
        request,
        "conversations/conversation_form.html",
        {"form": form, "preview": preview},
        status=status,
    )


@login_required
@require_safe
def conversation_detail(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    conversation = participant.conversation
    page, moved = resolve_page(request.GET.get("page"), conversation.page_count)
    if moved:
        return redirect(_page_url(conversation, page))
    page_messages = list(reads.message_page(conversation.pk, page))
    members = list(reads.members_in(conversation.pk))
    # What came since the member last read the end of the conversation.
    new_after = participant.unread_since
    can_write = permissions.can_write(request.user)
    reply_url = reverse("conversations:conversation_reply", args=[conversation.pk])
    html = rendering.message_list(
        request,
        page_messages,
        new_after=new_after,
        can_write=can_write,
        reply_url=reply_url,
    )
    if page == conversation.page_count and page_messages:
        cleared = services.mark_read(
            participant=participant, seen_position=page_messages[-1].position
        )
        if cleared:
            # The header below is rendered from this row: show the count as it is now.
            request.user.conversations_unread = max(
                0, request.user.conversations_unread - 1
            )
    return render(
        request,
        "conversations/conversation_detail.html",
        {
            "conversation": conversation,
            "messages_html": html,
            "members": members,
            "page": PageWindow(page, conversation.page_count),
            "base_url": conversation.get_absolute_url(),
            "can_invite": permissions.can_invite(request.user, conversation),
            "can_write": can_write,
            "form": MessageForm() if can_write else None,
        },
    )


@login_required
@require_safe
def conversation_unread(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    """Go to the first message the member has not read, else to the last page."""
    participant = _participant(request, conversation_id)
    conversation = participant.conversation
    since = participant.unread_since
    first_new = (
        Message.objects.filter(conversation=conversation, created_at__gte=since)
        .exclude(author=request.user)
        .order_by("position")
        .only("pk", "position")
        .first()
        if since
        else None
    )
    if first_new is None:
        return redirect(_page_url(conversation, conversation.page_count))
    return redirect(f"{_page_url(conversation, first_new.page)}#{first_new.anchor}")


@login_required
@require_safe
def message_detail(request: AuthedRequest, message_id: int) -> HttpResponse:
    message, _ = _message(request, message_id)
    return redirect(f"{_page_url(message.conversation, message.page)}#{message.anchor}")


@login_required
@require_http_methods(["GET", "POST"])
def conversation_reply(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    conversation = participant.conversation
    if request.user.is_currently_banned:
        return banned_page(request, "Reply")
    if request.method == "POST":
        form = MessageForm(request.POST)
    else:
        quoted = reads.quoted_messages(
            conversation.pk, parse_ids(request.GET.getlist("quote"))
        )
        form = MessageForm(initial={"body": quote_messages(quoted)} if quoted else None)
    refusal = _refusal(request.user)
    status = 403 if refusal else 200
    preview = ""
    if refusal:
        messages.error(request, refusal)
    elif _wants_preview(request):
        preview = form.preview_html()
    elif request.method == "POST" and form.is_valid():
        try:
            message = services.post_message(
                conversation=conversation,
                author=request.user,
                body=form.cleaned_data["body"],
                ip_address=client_ip(request),
                submission_token=form.cleaned_data["submission_token"],
            )
        except PermissionDenied as refused:
            messages.error(request, str(refused))
            status = 403
        except ratelimit.RateLimited as refused:
            form.add_error(None, str(refused))
            status = 429
        else:
            return redirect(message)
    return render(
        request,
        "conversations/message_form.html",
        {
            "conversation": conversation,
            "form": form,
            "preview": preview,
            "action": reverse(
                "conversations:conversation_reply", args=[conversation.pk]
            ),
            "heading": "Reply",
            "submit_label": "Send reply",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_edit(request: AuthedRequest, message_id: int) -> HttpResponse:
    message, participant = _message(request, message_id)
    if request.user.is_currently_banned:
        return banned_page(request, "Edit your message")
    if not permissions.can_edit_message(request.user, message):
        raise PermissionDenied("You may edit only your own messages.")
    form = EditMessageForm(
        request.POST if request.method == "POST" else None,
        initial={"body": message.body},
    )
    preview = ""
    if _wants_preview(request):
        preview = form.preview_html()
    elif request.method == "POST" and form.is_valid():
        try:
            message = services.edit_message(
                message=message, editor=request.user, body=form.cleaned_data["body"]
            )
        except PermissionDenied as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, "Your changes were saved.")
            return redirect(message)
    return render(
        request,
        "conversations/message_form.html",
        {
            "conversation": participant.conversation,
            "form": form,
            "preview": preview,
            "action": reverse("conversations:message_edit", args=[message.pk]),
            "heading": f"Edit message #{message.position}",
            "submit_label": "Save changes",
        },
    )


@login_required
@require_safe
def message_history(request: AuthedRequest, message_id: int) -> HttpResponse:
    """Every participant may see what a message said before each edit."""
    message, participant = _message(request, message_id)
    return render(
        request,
        "conversations/message_history.html",
        {
            "conversation": participant.conversation,
            "message": message,
            "revisions": list(message.revisions.all()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_invite(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    conversation = participant.conversation
    if not permissions.can_invite(request.user, conversation):
        raise PermissionDenied(
            "Only the starter may invite, while the conversation has room."
        )
    form = InviteForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            invited = services.invite_members(
                conversation=conversation,
                inviter=request.user,
                members=form.cleaned_data["members"],
            )
        except PermissionDenied as refused:
            form.add_error("members", str(refused))
            status = 403
        except ValidationError as refused:
            form.add_error("members", refused.messages)
        else:
            names = ", ".join(m.username for m in invited)
            messages.success(request, f"Invited: {names}.")
            return redirect(conversation)
    return render(
        request,
        "conversations/conversation_invite.html",
        {"conversation": conversation, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_leave(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    participant = _participant(request, conversation_id)
    conversation = participant.conversation
    if request.method == "POST":
        deleted = services.leave_conversation(
            conversation=conversation, member=request.user
        )
        if participant.is_unread:
            request.user.conversations_unread = max(
                0, request.user.conversations_unread - 1
            )
        messages.success(
            request,
            "You left the conversation; it was deleted, as nobody else was in it."
            if deleted
            else "You left the conversation. Only a new invitation brings you back.",
        )
        return redirect("conversations:conversation_list")
    return render(
        request, "conversations/conversation_leave.html", {"conversation": conversation}
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: AuthedRequest, message_id: int) -> HttpResponse:
    message, participant = _message(request, message_id)
    if not permissions.can_report_message(request.user, message):
        raise PermissionDenied("You may not report your own message.")
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.report_message(
                message=message,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as refused:
            form.add_error("reason", refused.messages)
        except ratelimit.RateLimited as refused:
            form.add_error(None, str(refused))
            status = 429
        else:
            messages.success(
                request,
                "Thank you: moderators will read the message you reported, and "
                "only that message.",
            )
            return redirect(message)
    return render(
        request,
        "conversations/message_report.html",
        {"conversation": participant.conversation, "message": message, "form": form},
        status=status,
    )
