"""The approval queue: held posts and threads, approved or rejected by moderators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest, redirect_back
from forum import permissions, services
from forum.models import Post

QUEUE_SIZE = 50


@login_required
def approval_queue(request: AuthedRequest) -> HttpResponse:
    if not permissions.moderates_any_board(request.user):
        raise PermissionDenied("The approval queue is for moderators.")
    posts = list(
        Post.objects.awaiting_approval(request.user).select_related(
            "thread__board", "author"
        )[: QUEUE_SIZE + 1]
    )
    return render(
        request,
        "forum/approval_queue.html",
        {"posts": posts[:QUEUE_SIZE], "more": len(posts) > QUEUE_SIZE},
    )


def _held_post(request: AuthedRequest, post_id: int) -> Post:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
    if not permissions.can_approve_post(request.user, post):
        raise PermissionDenied("Only moderators of this board approve its posts.")
    return post


@login_required
@require_POST
def post_approve(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _held_post(request, post_id)
    if post.is_approved or post.is_deleted:
        messages.info(request, "That post was already approved or rejected.")
        return redirect_back(request, reverse("forum:approval_queue"))
    post = services.approve_post(post=post, moderator=request.user)
    messages.success(request, "The post is approved and shown to everyone.")
    return redirect_back(request, post.get_thread_url())


@login_required
@require_POST
def post_reject(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _held_post(request, post_id)
    if post.is_approved or post.is_deleted:
        messages.info(request, "That post was already approved or rejected.")
        return redirect_back(request, reverse("forum:approval_queue"))
    reason = request.POST.get("reason", "").strip()[:255]
    services.reject_post(post=post, moderator=request.user, reason=reason)
    messages.success(request, "The post is rejected.")
    return redirect_back(request, reverse("forum:approval_queue"))
