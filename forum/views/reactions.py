"""Reactions: give or take back one (plain POST or htmx), and who reacted to a post."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthedRequest
from forum import permissions, reactions, rendering
from forum.models import Post, PostReaction, Reaction
from forum.pagination import ASCII_NUMBER, PageWindow, num_pages, resolve_page

MEMBERS_PER_PAGE = 50


def _visible_post(request: HttpRequest, post_id: int) -> Post:
    post = get_object_or_404(
        Post.objects.select_related(
            "author", "thread__board__category", "thread__board__parent"
        ),
        pk=post_id,
    )
    # A deleted post is "This post was deleted." for everyone but its moderators.
    hidden = post.is_deleted and not permissions.can_restore_post(request.user, post)
    if hidden or not permissions.can_view_post(request.user, post):
        raise Http404("No such post.")
    return post


def _refused(request: HttpRequest, post: Post, message: str, status: int):
    return render(
        request,
        "forum/post_react_refused.html",
        {"post": post, "message": message},
        status=status,
    )


def _answer(request: AuthedRequest, post: Post) -> HttpResponse:
    if request.htmx:
        fresh = Post.objects.for_blocks().select_related("thread").get(pk=post.pk)
        return HttpResponse(rendering.reaction_update(request, fresh))
    return redirect(post.get_thread_url())


@require_POST
@login_required
def post_react(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _visible_post(request, post_id)
    raw = request.POST.get("reaction", "")
    reaction = (
        Reaction.objects.filter(pk=int(raw), is_active=True).first()
        if ASCII_NUMBER.fullmatch(raw)
        else None
    )
    if reaction is None:
        return _refused(request, post, "Choose one of the reactions offered.", 400)
    try:
        reactions.react(user=request.user, post=post, reaction=reaction)
    except PermissionDenied as refusal:
        return _refused(request, post, str(refusal), 403)
    return _answer(request, post)


@require_POST
@login_required
def post_unreact(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _visible_post(request, post_id)
    try:
        reactions.unreact(user=request.user, post=post)
    except PermissionDenied as refusal:
        return _refused(request, post, str(refusal), 403)
    return _answer(request, post)


@require_GET
def post_reactions(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _visible_post(request, post_id)
    counts = {int(k): n for k, n in post.reaction_counts.items()}
    tabs = [
        (reaction, counts[reaction.pk])
        for reaction in Reaction.objects.filter(pk__in=counts)
        if counts.get(reaction.pk)
    ]
    raw = request.GET.get("reaction")
    chosen = next((r for r, _ in tabs if raw == str(r.pk)), None)
    if raw is not None and chosen is None:
        return redirect("forum:post_reactions", post.pk)
    total = counts.get(chosen.pk, 0) if chosen else sum(counts.values())
    page, must_redirect = resolve_page(
        request.GET.get("page"), num_pages(total, MEMBERS_PER_PAGE)
    )
    if must_redirect:
        query = request.GET.copy()
        query.pop("page", None)
        if page > 1:
            query["page"] = str(page)
        url = reverse("forum:post_reactions", args=[post.pk])
        return redirect(f"{url}?{query.urlencode()}" if query else url)
    given = PostReaction.objects.filter(post=post).select_related("user", "reaction")
    if chosen:
        given = given.filter(reaction=chosen)
    start = (page - 1) * MEMBERS_PER_PAGE
    rows = given.order_by("-created_at", "-id")[start : start + MEMBERS_PER_PAGE]
    return render(
        request,
        "forum/post_reactions.html",
        {
            "post": post,
            "thread": post.thread,
            "board": post.thread.board,
            "tabs": tabs,
            "chosen": chosen,
            "total": sum(counts.values()),
            "rows": rows,
            "page": PageWindow(page, num_pages(total, MEMBERS_PER_PAGE)),
            "base_url": reverse("forum:post_reactions", args=[post.pk])
            + (f"?reaction={chosen.pk}" if chosen else ""),
        },
    )
