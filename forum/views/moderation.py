"""Moderator tools on the site itself: lock, stick, move, delete and restore threads;
remove a spammer; see the addresses a member posted from."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthedRequest
from accounts.models import User
from forum import moderation, permissions, services
from forum.forms import DeleteSpammerForm, DeleteThreadForm, MoveThreadForm
from forum.models import Post, Thread

DONE = {
    "lock": "The thread is locked.",
    "unlock": "The thread is open again.",
    "stick": "The thread is sticky.",
    "unstick": "The thread is no longer sticky.",
    "delete": "The thread was deleted. Moderators can still see and restore it.",
    "restore": "The thread was restored.",
}


def _moderated_thread(request: AuthedRequest, thread_id: int) -> Thread:
    thread = get_object_or_404(
        Thread.objects.select_related("board__category"), pk=thread_id
    )
    if not permissions.can_moderate(request.user, thread):
        raise PermissionDenied("Only moderators may do that.")
    return thread


@login_required
@require_POST
def thread_moderate(request: AuthedRequest, thread_id: int) -> HttpResponse:
    thread = _moderated_thread(request, thread_id)
    action = request.POST.get("action", "")
    if action not in DONE:
        messages.error(request, "Unknown moderation action.")
        return redirect(thread)
    services.moderate_thread(thread=thread, moderator=request.user, action=action)
    messages.success(request, DONE[action])
    return redirect(thread)


@login_required
@require_http_methods(["GET", "POST"])
def thread_delete(request: AuthedRequest, thread_id: int) -> HttpResponse:
    """Moderators delete a thread after confirming, with a reason for the log and
    the author's alert."""
    thread = _moderated_thread(request, thread_id)
    if thread.is_deleted:
        messages.info(request, "This thread is already deleted.")
        return redirect(thread)
    form = DeleteThreadForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.delete_thread(
            thread=thread, moderator=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, DONE["delete"])
        return redirect(thread)
    return render(
        request,
        "forum/thread_delete.html",
        {"thread": thread, "board": thread.board, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread_move(request: AuthedRequest, thread_id: int) -> HttpResponse:
    thread = _moderated_thread(request, thread_id)
    form = MoveThreadForm(
        request.POST if request.method == "POST" else None,
        initial={"board": thread.board_id},
        moderator=request.user,
    )
    if request.method == "POST" and form.is_valid():
        services.move_thread(
            thread=thread, moderator=request.user, board=form.cleaned_data["board"]
        )
        messages.success(request, f"The thread moved to {form.cleaned_data['board']}.")
        return redirect(thread)
    return render(
        request,
        "forum/thread_move.html",
        {"thread": thread, "board": thread.board, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_delete_spammer(request: AuthedRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=member_id)
    if not permissions.can_ban(request.user, member):
        raise PermissionDenied("You may not remove this member.")
    form = DeleteSpammerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        moderation.delete_spammer(
            member=member, moderator=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            f"{member.username} is banned and their threads and posts are deleted.",
        )
        return redirect(member)
    return render(
        request,
        "forum/member_delete_spammer.html",
        {
            "member": member,
            "form": form,
            "live_posts": Post.objects.filter(author=member, is_deleted=False).count(),
            "live_threads": Thread.objects.filter(
                author=member, is_deleted=False
            ).count(),
        },
    )


ADDRESSES_SHOWN = 100
SHARERS_SHOWN = 200


@login_required
def member_addresses(request: AuthedRequest, member_id: int) -> HttpResponse:
    if not permissions.can_see_addresses(request.user):
        raise Http404("No such page.")
    member = get_object_or_404(User, pk=member_id)
    addresses = list(
        Post.objects.filter(author=member, ip_address__isnull=False)
        .values("ip_address")
        .annotate(posts=Count("id"), last_used=Max("created_at"))
        .order_by("-last_used")[:ADDRESSES_SHOWN]
    )
    sharers = list(
        Post.objects.filter(ip_address__in=[a["ip_address"] for a in addresses])
        .exclude(author=member)
        .values("ip_address", "author_id", "author__username")
        .annotate(posts=Count("id"), last_used=Max("created_at"))
        .order_by("ip_address", "-last_used")[:SHARERS_SHOWN]
    )
    by_address: dict[str, list[dict]] = {}
    for row in sharers:
        by_address.setdefault(row["ip_address"], []).append(row)
    for address in addresses:
        address["others"] = by_address.get(address["ip_address"], [])
    return render(
        request,
        "forum/member_addresses.html",
        {"member": member, "addresses": addresses},
    )
