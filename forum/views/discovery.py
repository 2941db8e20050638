"""Pages for finding things: who's online, sitemap.xml and robots.txt."""

from django.contrib.sitemaps import views as sitemap_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from forum import online as online_now
from forum import sitemaps

# Pages only a member acts on, and action URLs under public ones: a crawler has
# nothing to read there. "*" is the wildcard every major crawler honours.
ROBOTS_DISALLOW = (
    *("/accounts/", "/account/", "/admin/", "/moderation/", "/search/"),
    *("/preview/", "/alerts/", "/mark-all-read/", "/whats-new/", "/posts/"),
    *("/threads/*/reply/", "/threads/*/quotes/", "/threads/*/moderate/"),
    *("/threads/*/move/", "/threads/*/unread/", "/threads/*/watch/"),
    *("/boards/*/new-thread/", "/boards/*/mark-read/", "/boards/*/watch/"),
    *("/members/*/report/", "/members/*/delete-spammer/", "/members/*/addresses/"),
)


def online(request: HttpRequest) -> HttpResponse:
    return render(request, "forum/online.html", {"stats": online_now.snapshot(request)})


def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines += ["Allow: /", ""]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('forum:sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def sitemap(request: HttpRequest) -> HttpResponse:
    return sitemap_views.index(
        request, sitemaps.for_request(), sitemap_url_name="forum:sitemap_section"
    )


def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    return sitemap_views.sitemap(request, sitemaps.for_request(), section=section)
