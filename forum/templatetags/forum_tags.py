"""Template helpers. They wrap permissions and formatting; none of them query."""

import functools
from datetime import UTC, datetime, tzinfo

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from forum import permissions

register = template.Library()


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


def _relative(value: datetime, now: datetime, zone: tzinfo | None) -> str:
    # static/js/times.js says the same words, for the times in shared blocks.
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _plural(int(seconds // 60), "minute")
    if seconds < 86400:
        return _plural(int(seconds // 3600), "hour")
    if seconds < 7 * 86400:
        return _plural(int(seconds // 86400), "day")
    return timezone.localtime(value, zone).strftime("%b %-d, %Y")


def _absolute(local: datetime) -> str:
    """ "2 Dec 2026, 14:05 CET": the tooltip of every shown time."""
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@register.filter
def reltime(value):
    """ "3 minutes ago" for recent times, a date for older ones."""
    if value is None:
        return ""
    return _relative(value, timezone.now(), None)


# What a <time> shows: relative, the date, or the date and time.
_SHOWN = {"relative", "date", "datetime"}


@register.filter
def timetag(value, shown: str = "relative", shared: bool = False):
    """A time as ``<time datetime="…Z" title="2 Dec 2026, 14:05 CET">3 minutes
    ago</time>``: the attribute in UTC, the tooltip in the reader's zone.

    ``shared`` is for blocks cached for every reader (a post, a thread row): the
    tooltip is in UTC, and ``data-shown`` lets static/js/times.js put it and the
    relative text in the reader's zone, and now, in the browser.
    """
    if value is None:
        return ""
    if shown not in _SHOWN:
        raise ValueError(f"timetag shows one of {sorted(_SHOWN)}, not {shown!r}")
    zone = UTC if shared else None
    local = timezone.localtime(value, zone)
    if shown == "relative":
        text = _relative(value, timezone.now(), zone)
    elif shown == "date":
        text = local.strftime("%b %-d, %Y")
    else:
        text = local.strftime("%b %-d, %Y, %H:%M")
    stamp = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    marker = f' data-shown="{shown}"' if shared else ""
    return mark_safe(  # noqa: S308 (digits, month names and a zone abbreviation)
        f'<time datetime="{stamp}" title="{_absolute(local)}"{marker}>{text}</time>'
    )


@register.filter
def shared_timetag(value, shown: str = "relative"):
    """``timetag`` for a Django ``{% cache %}`` block every reader shares."""
    return timetag(value, shown, shared=True)


@register.filter
def can_edit(post, user) -> bool:
    return permissions.can_edit_post(user, post)


@register.filter
def can_delete(post, user) -> bool:
    return permissions.can_delete_post(user, post)


@register.filter
def can_report(post, user) -> bool:
    return permissions.can_report_post(user, post)


# A value no form ever gets: replaced by each form's own token after rendering.
_TOKEN_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


@register.simple_tag
def crispy_form(form) -> str:
    """``{{ form|crispy }}``, from a copy rendered once when the form is blank.

    The quick reply box under every thread page is the same empty form for every
    member but its double-submit token, and crispy takes longer to render it than
    the twenty posts above it. A blank form (unbound, no initial value but its
    token) is rendered once per process and class, and the token is put in.
    """
    initial = {k: v for k, v in form.initial.items() if k != "submission_token"}
    if form.is_bound or initial or "submission_token" not in form.initial:
        return as_crispy_form(form)
    html = _blank_form(type(form))
    return mark_safe(
        html.replace(_TOKEN_PLACEHOLDER, str(form.initial["submission_token"]))
    )  # noqa: S308 (crispy's output and a UUID)


@functools.cache
def _blank_form(form_class) -> str:
    return str(
        as_crispy_form(form_class(initial={"submission_token": _TOKEN_PLACEHOLDER}))
    )
