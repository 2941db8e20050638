"""Template helpers. They wrap permissions and formatting; none of them query."""

from datetime import timedelta

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone

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
