"""Template helpers. They wrap permissions and formatting; none of them query."""

import functools
from datetime import timedelta

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.safestring import mark_safe

from forum import permissions

register = template.Library()


@register.filter
def reltime(value):
    """ "3 minutes ago" for recent times, a date for older ones."""
    if value is None:
        return ""
    if timezone.now() - value > timedelta(days=7):
        return timezone.localtime(value).strftime("%b %-d, %Y")
    return naturaltime(value)


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
