"""Bookmarks: keep a post with a note, list them, edit the note, remove one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthedRequest
from forum import bookmarks, seek
from forum.forms import BookmarkForm
from forum.models import Bookmark, Post

PER_PAGE = 25


@require_POST
@login_required
def bookmark_post(request: AuthedRequest, post_id: int) -> HttpResponse:
    """Bookmark a post (``remove`` forgets it); htmx gets the button back."""
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related("thread"), pk=post_id
    )
    form = BookmarkForm(request.POST)
    if request.POST.get("remove"):
        bookmarks.remove_bookmark(user=request.user, post_id=post.pk)
        bookmarked = False
    elif form.is_valid():
        # A button without a note field must not wipe a note written earlier.
        note = form.cleaned_data["note"] if "note" in request.POST else None
        bookmarks.bookmark_post(user=request.user, post=post, note=note)
        bookmarked = True
    else:
        messages.error(request, " ".join(form.errors.get("note", [])))
        return redirect(post.get_thread_url())
    if request.htmx:
        return render(
            request,
            "forum/_bookmark_control.html",
            {"post": post, "bookmarked": bookmarked},
            using="jinja2",
        )
    messages.success(
        request, "Bookmarked." if bookmarked else "The bookmark is removed."
    )
    return redirect(post.get_thread_url())


@login_required
def bookmark_list(request: AuthedRequest) -> HttpResponse:
    cursor = seek.parse(request.GET.get("before"))
    page = seek.page(bookmarks.bookmarks_of(request.user), cursor, PER_PAGE)
    return render(
        request,
        "forum/bookmark_list.html",
        {"page": page, "first_page": cursor is None},
    )


@require_http_methods(["GET", "POST"])
@login_required
def bookmark_edit(request: AuthedRequest, bookmark_id: int) -> HttpResponse:
    # Another member's bookmark is a 404, like one that never existed.
    bookmark = get_object_or_404(bookmarks.bookmarks_of(request.user), pk=bookmark_id)
    form = BookmarkForm(
        request.POST if request.method == "POST" else None,
        initial={"note": bookmark.note},
    )
    if form.is_valid():
        bookmarks.edit_bookmark_note(bookmark=bookmark, note=form.cleaned_data["note"])
        messages.success(request, "The note is saved.")
        return redirect("forum:bookmark_list")
    return render(
        request, "forum/bookmark_edit.html", {"bookmark": bookmark, "form": form}
    )


@require_POST
@login_required
def bookmark_delete(request: AuthedRequest, bookmark_id: int) -> HttpResponse:
    bookmark = get_object_or_404(
        Bookmark.objects.filter(user=request.user), pk=bookmark_id
    )
    bookmarks.remove_bookmark(user=request.user, post_id=bookmark.post_id)
    messages.success(request, "The bookmark is removed.")
    return redirect("forum:bookmark_list")
