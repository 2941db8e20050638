"""A member's profile page (the card, the texts, what they posted) and the list."""

from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import prebuilt, relations
from accounts.models import Follow, User
from forum import directory, permissions
from forum.forms import MemberListForm
from forum.models import Post, Thread
from forum.pagination import ASCII_NUMBER
from forum.querysets import viewer_shape

PROFILE_ITEMS_PER_PAGE = 10
# Longer than any row id, as the paths' id converter has it (config/converters.py):
# such a path is a 404, not a bigint overflow in the database.
ID_DIGITS = 18
# What the profile's lists show (templates/jinja2/forum/member_detail.html): a
# post's body is read for its snippet, never its search vector or source.
PROFILE_POST_FIELDS = (
    "position", "created_at", "body_html", "thread__slug", "thread__title"
)  # fmt: skip
PROFILE_THREAD_FIELDS = (
    "slug", "title", "created_at", "reply_count", "board__slug", "board__name"
)  # fmt: skip


def _page_number(raw: str | None) -> int:
    page = int(raw) if raw and ASCII_NUMBER.fullmatch(raw) else 1
    return page if 0 < page <= 10_000 else 1


def _slice_page(key: tuple, build, member_id: int, page: int) -> tuple[list, bool]:
    """One page of ``build(member_id)``'s rows and whether another follows, without
    a COUNT query. The first page, which nearly every visit shows, is compiled once
    per ``key`` (``accounts/prebuilt.py``); the others, rarer, as usual."""
    per_page = PROFILE_ITEMS_PER_PAGE
    if page == 1:
        rows = prebuilt.fetch(
            key, lambda member: build(member)[: per_page + 1], member_id
        )
    else:
        rows = list(build(member_id)[(page - 1) * per_page : page * per_page + 1])
    return rows[:per_page], len(rows) > per_page


def _member(key: str, viewer) -> User | None:
    """The member named by id or (case-insensitive) name, with their tiers and
    whether the viewer follows them: one query, compiled once per kind of lookup."""
    by_id = ASCII_NUMBER.fullmatch(key) is not None
    if by_id and len(key) > ID_DIGITS:
        return None

    def build(value, viewer_id: int):
        members = User.objects.select_related("tier", "pinned_tier")
        if viewer.is_authenticated:
            # Whether the viewer follows this member, in the same query.
            members = members.annotate(
                viewer_follows=Exists(
                    Follow.objects.filter(follower=viewer_id, followed=OuterRef("pk"))
                )
            )
        if by_id:
            return members.filter(is_active=True, pk=value)
        # Compared as the unique index on lower(username) holds names, so the
        # index finds the one match (a mention's link is by name). A name is
        # bound as text: the stand-in compiled in its place is a number.
        return members.alias(name=Lower("username")).filter(
            is_active=True, name=Lower(Value(str(value)))
        )

    shape = ("profile member", by_id, viewer.is_authenticated)
    value = int(key) if by_id else key
    found = prebuilt.fetch(shape, build, value, viewer.pk or 0)
    return found[0] if found else None


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
    viewer = request.user
    member = _member(key, viewer)
    if member is None:
        raise Http404("No such member.")
    posts_page = _page_number(request.GET.get("posts_page"))
    threads_page = _page_number(request.GET.get("threads_page"))
    shape = viewer_shape(viewer)
    recent_posts, more_posts = _slice_page(
        ("profile posts", *shape, PROFILE_ITEMS_PER_PAGE),
        lambda member_id: (
            Post.objects.visible_to(viewer)
            .filter(author_id=prebuilt.opaque(member_id))
            .select_related("thread")
            .only(*PROFILE_POST_FIELDS)
            .order_by("-created_at", "-id")
        ),
        member.pk,
        posts_page,
    )
    recent_threads, more_threads = _slice_page(
        ("profile threads", *shape, PROFILE_ITEMS_PER_PAGE),
        lambda member_id: (
            Thread.objects.visible_to(viewer)
            .filter(author_id=prebuilt.opaque(member_id), is_deleted=False)
            .select_related("board")
            .only(*PROFILE_THREAD_FIELDS)
            .order_by("-created_at", "-id")
        ),
        member.pk,
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
