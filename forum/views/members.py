"""A member's profile page (the card, the texts, what they posted) and the list."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts import relations
from accounts.models import Follow, User
from forum import directory, permissions
from forum.forms import MemberListForm
from forum.models import Post, Thread
from forum.pagination import ASCII_NUMBER

PROFILE_ITEMS_PER_PAGE = 10


def _page_number(raw: str | None) -> int:
    page = int(raw) if raw and ASCII_NUMBER.fullmatch(raw) else 1
    return page if 0 < page <= 10_000 else 1


def _slice_page(queryset: QuerySet, page: int) -> tuple[list, bool]:
    """One page of rows and whether another follows, without a COUNT query."""
    per_page = PROFILE_ITEMS_PER_PAGE
    rows = list(queryset[(page - 1) * per_page : page * per_page + 1])
    return rows[:per_page], len(rows) > per_page


def _relations(viewer, member: User) -> dict | None:
    """The follow, ignore and start-a-conversation buttons (none on one's own page
    or for guests); read from the viewer's row and the annotation, no query."""
    if not viewer.is_authenticated or viewer.pk == member.pk:
        return None
    return {
        "follows": member.viewer_follows,
        "ignores": member.pk in viewer.ignored_member_ids,
        "can_ignore": relations.can_ignore(viewer, member),
    }


def member_detail(request: HttpRequest, key: str) -> HttpResponse:
    if "\x00" in key or len(key) > 150:
        raise Http404("No such member.")
    # An id is ASCII digits: "١٢" or "²" is looked up as a name (and not found).
    lookup = (
        {"pk": int(key)} if ASCII_NUMBER.fullmatch(key) else {"username__iexact": key}
    )
    members = User.objects.select_related("tier", "pinned_tier")
    if request.user.is_authenticated:
        # Whether the viewer follows this member, in the same query (no extra one).
        members = members.annotate(
            viewer_follows=Exists(
                Follow.objects.filter(follower=request.user.pk, followed=OuterRef("pk"))
            )
        )
    member = get_object_or_404(members, is_active=True, **lookup)
    posts_page = _page_number(request.GET.get("posts_page"))
    threads_page = _page_number(request.GET.get("threads_page"))
    recent_posts, more_posts = _slice_page(
        Post.objects.visible_to(request.user)
        .filter(author=member)
        .select_related("thread")
        .order_by("-created_at", "-id"),
        posts_page,
    )
    recent_threads, more_threads = _slice_page(
        Thread.objects.visible_to(request.user)
        .filter(author=member, is_deleted=False)
        .select_related("board")
        .order_by("-created_at", "-id"),
        threads_page,
    )
    return render(
        request,
        "forum/member_detail.html",
        {
            "member": member,
            "is_self": request.user.is_authenticated and request.user.pk == member.pk,
            "can_report": permissions.can_report_member(request.user, member),
            "relations": _relations(request.user, member),
            "can_see_addresses": permissions.can_see_addresses(request.user),
            "can_delete_spammer": request.user.is_authenticated
            and permissions.can_ban(request.user, member),
            "recent_posts": recent_posts,
            "posts_page": posts_page,
            "more_posts": more_posts,
            "recent_threads": recent_threads,
            "threads_page": threads_page,
            "more_threads": more_threads,
        },
    )


def member_list(request: HttpRequest) -> HttpResponse:
    sorts = {name: sort.label for name, sort in directory.SORTS.items()}
    form = MemberListForm(request.GET, sorts=sorts)
    page = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            page = directory.member_page(
                data["name"],
                data["sort"] or directory.DEFAULT_SORT,
                after=data["after"],
                before="" if data["after"] else data["before"],
            )
        except directory.BadCursor as error:
            form.add_error(None, str(error))
    return render(
        request,
        "forum/member_list.html",
        {"form": form, "page": page},
        status=200 if page is not None else 400,
    )
