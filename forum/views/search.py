"""/search/: full-text search over what the visitor may read (forum/search.py)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import ratelimit
from accounts.http import client_ip
from forum import search as forum_search
from forum.forms import SearchForm
from forum.models import Board

GUEST_SEARCHES = ratelimit.Budget(
    "search-guest",
    "FORUM_SEARCH_GUEST_PER_MINUTE",
    60,
    "Guests may search only a few times a minute; log in to search more.",
)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    boards = list(
        Board.objects.visible_to(request.user)
        .select_related("category")
        .only("name", "slug", "category__name")
        .order_by("category__position", "category_id", "position", "id")
    )
    form = SearchForm(request.GET or None, boards=boards, user=request.user)
    context = {"form": form, "results": None, "per_page": forum_search.PER_PAGE}
    if not form.is_bound:
        return render(request, "forum/search.html", context)
    if not form.is_valid():
        return render(request, "forum/search.html", context, status=400)
    if not request.user.is_authenticated:
        try:
            GUEST_SEARCHES.spend(client_ip(request) or "unknown")
        except ratelimit.RateLimited as refusal:
            context["refusal"] = str(refusal)
            response = render(request, "forum/search.html", context, status=429)
            response["Retry-After"] = str(refusal.retry_after)
            return response
    criteria = form.criteria()
    context.update(
        criteria=criteria,
        results=forum_search.search(request.user, criteria),
        searched_thread=form.cleaned_data["thread"],
        max_pages=forum_search.MAX_RELEVANCE_PAGES,
        guest_limit=settings.FORUM_SEARCH_GUEST_PER_MINUTE,
    )
    return render(request, "forum/search.html", context)
