"""Writing pages: start a thread, reply (with quotes), preview, edit, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import ratelimit
from accounts.http import AuthedRequest, client_ip
from accounts.models import User
from forum import drafts, permissions, quoting, services
from forum.forms import DeletePostForm, EditPostForm, ReplyForm, ThreadForm
from forum.models import Board, Post, Thread
from forum.views import reading


def _wants_preview(request: HttpRequest) -> bool:
    return request.method == "POST" and "preview" in request.POST


def _thread_for(
    request: HttpRequest, thread_id: int, *, with_draft: bool = False
) -> Thread:
    threads = Thread.objects.select_related("board__category", "board__parent")
    if with_draft:  # the member's draft rides on the thread's query
        threads = drafts.with_draft(threads, request.user, place="thread")
    thread = get_object_or_404(threads, pk=thread_id)
    if not permissions.can_view_thread(request.user, thread):
        raise Http404("No such thread.")
    return thread


def _post_for(request: HttpRequest, post_id: int) -> Post:
    post = get_object_or_404(
        Post.objects.select_related(
            "author", "thread__board__category", "thread__board__parent"
        ),
        pk=post_id,
    )
    if not permissions.can_view_thread(request.user, post.thread):
        raise Http404("No such post.")
    return post


def _quoted_posts(request: HttpRequest, thread: Thread) -> list[Post]:
    ids = quoting.parse_ids(request.GET.getlist("quote"))
    if not ids:
        return []
    found = Post.objects.filter(
        thread=thread, pk__in=ids, is_deleted=False, is_approved=True
    ).select_related("author")
    by_id = {post.pk: post for post in found}
    return [by_id[pk] for pk in ids if pk in by_id]


@login_required
@require_http_methods(["GET", "POST"])
def thread_create(request: AuthedRequest, slug: str) -> HttpResponse:
    board = get_object_or_404(
        drafts.with_draft(
            Board.objects.visible_to(request.user).select_related("category"),
            request.user,
            place="board",
        ),
        slug=slug,
    )
    allowed = permissions.can_start_thread(request.user, board)
    if not allowed and request.user.is_currently_banned:
        return banned_page(request, "Post a new thread")
    draft = {"title": board.draft_title or "", "body": board.draft_body or ""}
    form = ThreadForm(
        request.POST if request.method == "POST" else None,
        initial=draft if any(draft.values()) else None,
    )
    status = 200 if allowed else 403
    preview = ""
    if not allowed:
        messages.error(request, _refusal_reason(request.user))
    elif _wants_preview(request):
        preview = form.preview_html()
    elif form.is_valid():
        try:
            thread = services.start_thread(
                board=board,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                ip_address=client_ip(request),
                submission_token=form.cleaned_data["submission_token"],
            )
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        except ratelimit.RateLimited as refusal:
            form.add_error(None, str(refusal))  # the typed thread stays in the form
            status = 429
        else:
            return redirect(thread)
    return render(
        request,
        "forum/thread_form.html",
        {"board": board, "form": form, "preview": preview, "allowed": allowed},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reply(request: AuthedRequest, thread_id: int) -> HttpResponse:
    thread = _thread_for(request, thread_id, with_draft=True)
    allowed = permissions.can_reply(request.user, thread)
    if not allowed and request.user.is_currently_banned:
        return banned_page(request, "Reply")
    if request.method == "POST":
        form = ReplyForm(request.POST)
    else:
        # The member's draft first, then the posts they chose to quote.
        quoted = quoting.quote_posts(_quoted_posts(request, thread))
        body = "\n".join(text for text in (thread.draft_body, quoted) if text)
        form = ReplyForm(initial={"body": body} if body else None)
    status = 200 if allowed else 403
    preview = ""
    if not allowed:
        messages.error(request, _refusal_reason(request.user, thread))
    elif _wants_preview(request):
        preview = form.preview_html()
    elif request.method == "POST" and form.is_valid():
        try:
            post = services.post_reply(
                thread=thread,
                author=request.user,
                body=form.cleaned_data["body"],
                ip_address=client_ip(request),
                submission_token=form.cleaned_data["submission_token"],
            )
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
            status = 403
        except ratelimit.RateLimited as refusal:
            form.add_error(None, str(refusal))  # the typed reply stays in the form
            status = 429
        else:
            if request.htmx:
                # The permalink, not the page's own address plus an anchor: the
                # browser would only scroll, without loading the new post.
                return HttpResponseClientRedirect(post.get_absolute_url())
            return redirect(post.get_thread_url())
    if allowed and request.POST.get("quick") and not _wants_preview(request):
        # From the thread page's reply box: the error goes where the box is.
        return _quick_reply_again(
            request, thread, form, 422 if status == 200 else status
        )
    context = {"thread": thread, "board": thread.board, "form": form}
    context.update(preview=preview, allowed=allowed)
    return render(request, "forum/reply_form.html", context, status=status)


def _quick_reply_again(
    request: AuthedRequest, thread: Thread, form: ReplyForm, status: int
) -> HttpResponse:
    """The thread page's reply box with its error and what was typed: the box
    alone for htmx, else the thread's last page around it."""
    if request.htmx:
        return render(
            request,
            "forum/_quick_reply.html",
            {"thread": thread, "form": form},
            status=status,
        )
    page = {"page": thread.page_count} if thread.page_count > 1 else {}
    request.GET = QueryDict(urlencode(page))
    response = reading.thread_detail(request, thread.pk, thread.slug, reply_form=form)
    response.status_code = status
    return response


def banned_page(request: AuthedRequest, heading: str) -> HttpResponse:
    """A banned member opening a posting page: the ban notice, no editor (also for
    conversations' writing pages)."""
    return render(
        request, "forum/posting_banned.html", {"heading": heading}, status=403
    )


@login_required
def quotes(request: AuthedRequest, thread_id: int) -> HttpResponse:
    """The BBCode quoting the posts in ``?quote=``, for the editor's script."""
    thread = _thread_for(request, thread_id)
    text = quoting.quote_posts(_quoted_posts(request, thread))
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@login_required
@require_POST
def preview(request: AuthedRequest) -> HttpResponse:
    """The rendered post for the editor's Preview button (htmx)."""
    form = ReplyForm({"body": request.POST.get("body", "")})
    return TemplateResponse(
        request,
        "forum/_preview.html",
        {"preview": form.preview_html(), "problems": form.errors.get("body", [])},
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    thread = post.thread
    if request.user.is_currently_banned and post.author_id == request.user.pk:
        return banned_page(request, "Edit your post")
    if not permissions.can_edit_post(request.user, post):
        raise PermissionDenied("You may not edit this post.")
    can_rename = post.position == 1 and permissions.can_rename_thread(
        request.user, thread
    )
    initial = {"body": post.body, "title": thread.title}
    form = EditPostForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        can_rename=can_rename,
    )
    preview = ""
    if _wants_preview(request):
        preview = form.preview_html()
    elif request.method == "POST" and form.is_valid():
        try:
            post = services.edit_post(
                post=post,
                editor=request.user,
                body=form.cleaned_data["body"],
                title=form.cleaned_data.get("title"),
            )
        except PermissionDenied as refusal:
            # Locked or banned since the form was opened: keep what was typed.
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Your changes were saved.")
            return redirect(post.get_thread_url())
    return render(
        request,
        "forum/post_edit.html",
        {
            "post": post,
            "thread": thread,
            "board": thread.board,
            "form": form,
            "preview": preview,
        },
    )


@login_required
def post_history(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    if not permissions.can_view_history(request.user, post):
        raise PermissionDenied("Edit histories are for moderators.")
    revisions = post.revisions.select_related("editor")
    return render(
        request,
        "forum/post_history.html",
        {
            "post": post,
            "thread": post.thread,
            "board": post.thread.board,
            "revisions": revisions,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_delete(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    if not permissions.can_delete_post(request.user, post):
        raise PermissionDenied("You may not delete this post.")
    form = DeletePostForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_post(
                post=post, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "The post was deleted.")
            post.thread.refresh_from_db()
            if post.thread.is_deleted and not permissions.can_moderate(
                request.user, post.thread
            ):
                return redirect(post.thread.board)
            return redirect(post.get_thread_url())
    return render(
        request,
        "forum/post_delete.html",
        {"post": post, "thread": post.thread, "board": post.thread.board, "form": form},
    )


@login_required
@require_POST
def post_restore(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    if not permissions.can_restore_post(request.user, post):
        raise PermissionDenied("Only moderators restore posts.")
    try:
        services.restore_post(post=post, actor=request.user)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
        return redirect(post.get_thread_url())
    messages.success(request, "The post was restored.")
    return redirect(post.get_thread_url())


def _refusal_reason(user: User, thread: Thread | None = None) -> str:
    if user.is_currently_banned:
        return "Your account is banned from posting."
    if user.needs_email_verification:
        return "Confirm your email address first: follow the link we mailed you."
    if thread is not None and thread.is_deleted:
        return "This thread is deleted; it does not accept replies."
    if thread is not None and thread.is_locked:
        return "This thread is locked; it no longer accepts replies."
    return "You may not post here."
