"""Alert pages: the list, the bell's dropdown, opening one, settings, unsubscribe."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthedRequest
from accounts.models import User
from forum import alert_tasks, alerts
from forum.alert_forms import AlertPreferencesForm
from forum.models import Alert, MemberPreferences

PAGE_SIZE = 30
MENU_SIZE = 10


def _items(rows: list[Alert]) -> list[dict]:
    return [
        {
            "alert": alert,
            "text": alerts.describe(alert),
            "open_url": reverse("forum:alert_open", args=[alert.pk]),
        }
        for alert in rows
    ]


def _cursor(value: str) -> tuple[datetime, int] | None:
    """``?before=<iso time>_<id>`` of the last alert on the previous page."""
    stamp, _, pk = value.rpartition("_")
    when = parse_datetime(stamp) if stamp else None
    if when is None or not pk.isascii() or not pk.isdigit() or len(pk) > 18:
        return None
    return when, int(pk)


@login_required
def alert_list(request: AuthedRequest) -> HttpResponse:
    """Every alert, newest first, paginated by seeking past the last one shown."""
    rows = alerts.visible_alerts(request.user)
    before = request.GET.get("before", "")
    if before:
        cursor = _cursor(before)
        if cursor is None:
            return redirect("forum:alert_list")
        when, pk = cursor
        rows = rows.filter(created_at__lte=when).exclude(created_at=when, pk__gte=pk)
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    next_cursor = (
        f"{page[-1].created_at.isoformat()}_{page[-1].pk}" if more and page else ""
    )
    return render(
        request,
        "forum/alert_list.html",
        {"items": _items(page), "next_cursor": next_cursor, "first_page": not before},
    )


@login_required
def alert_menu(request: AuthedRequest) -> HttpResponse:
    """The bell's dropdown (an htmx fragment): the latest alerts."""
    page = list(alerts.visible_alerts(request.user)[:MENU_SIZE])
    return render(request, "forum/_alert_menu.html", {"items": _items(page)})


@login_required
def alert_open(request: AuthedRequest, alert_id: int) -> HttpResponse:
    """Mark the alert read and go where it leads (another member's alert: 404)."""
    alert = get_object_or_404(
        Alert.objects.select_related("thread", "post"),
        pk=alert_id,
        recipient=request.user,
    )
    if alert.read_at is None:
        alerts.mark_read(request.user, [alert.pk])
    target = alerts.link(alert)
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=set()):
        target = reverse("forum:alert_list")
    return redirect(target)


@login_required
@require_POST
def alert_read_all(request: AuthedRequest) -> HttpResponse:
    changed = alerts.mark_read(request.user)
    if request.htmx:
        return render(request, "forum/_alert_bell.html", {"user": request.user})
    if changed:
        messages.success(request, "All alerts are marked read.")
    return redirect("forum:alert_list")


@login_required
@require_http_methods(["GET", "POST"])
def alert_preferences(request: AuthedRequest) -> HttpResponse:
    """How each kind of alert arrives, and whether posting watches a thread."""
    prefs = MemberPreferences.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = AlertPreferencesForm(request.POST, prefs=prefs)
        if form.is_valid():
            form.save(request.user)
            messages.success(request, "Your alert settings are saved.")
            return redirect("forum:alert_preferences")
    else:
        form = AlertPreferencesForm(prefs=prefs)
    return render(request, "forum/alert_preferences.html", {"form": form})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop email for the kinds a mail was about.

    GET (a person following the link) asks to confirm; POST does it, from the
    confirm page or from a mail client's RFC 8058 one-click request, which has
    no session and no CSRF token: the signed token is the proof.
    """
    found = alert_tasks.read_unsubscribe_token(token)
    if found is None:
        raise Http404("This unsubscribe link is not valid.")
    user_id, kinds = found
    member = User.objects.filter(pk=user_id, is_active=True).first()
    if member is None:
        raise Http404("This unsubscribe link is not valid.")
    labels = [alerts.Kind(kind).label for kind in kinds]
    if request.method == "POST":
        for kind in kinds:
            # Email stops; alerts on the site stay as they were (off stays off).
            current = alerts.preference(member, kind)
            alerts.set_preference(
                member, kind, alerts.OFF if current == alerts.OFF else alerts.SITE
            )
        return render(
            request, "forum/alert_unsubscribe.html", {"done": True, "labels": labels}
        )
    return render(
        request,
        "forum/alert_unsubscribe.html",
        {"done": False, "labels": labels, "member": member},
    )
