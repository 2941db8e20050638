"""The Jinja2 environment for the pages served most and the partials they repeat.

A thread page renders its post block and author card twenty times or more; Jinja2
compiles a template to Python and renders those several times faster than Django's
engine (measured on a 20-post page: about a fifth of the time). The thread, board and
forum list pages and the layout's partials (templates/jinja2/layout.html, partials/)
are Jinja2 too; forms stay in Django templates (crispy-forms), and Django pages
include the layout's partials through ``{% jinja %}``. Only helpers that need no
request are global here: a shared block is rendered with its row alone, so nothing
of the viewer can reach it.
"""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils import timezone
from jinja2 import Environment, StrictUndefined

from accounts.links import fast_reverse
from config import jinja_pages
from forum.templatetags import forum_tags


def strftime(value, format_string: str) -> str:
    """A time in the current time zone, formatted by ``datetime.strftime``.

    Django's ``date`` filter costs several times as much; these pages print three
    times per post.
    """
    if value is None:
        return ""
    return timezone.localtime(value).strftime(format_string)


def isoformat(value) -> str:
    return "" if value is None else timezone.localtime(value).isoformat()


def url(name: str, *args) -> str:
    """``reverse(name, args=args)``, from the URL reversed once per pattern
    (``accounts/links.py``): the per-viewer controls print a few links per post."""
    return fast_reverse(name, args)


def environment(**options) -> Environment:
    # Undefined names raise instead of printing nothing, so a typo or a viewer
    # variable used in a shared block fails the tests instead of the page.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.globals.update(url=url)
    env.globals.update(static=staticfiles_storage.url)
    # The page layout's helpers (templates/jinja2/layout.html and partials/).
    env.globals.update(jinja_pages.GLOBALS)
    env.filters.update(jinja_pages.FILTERS)
    env.filters.update(
        strftime=strftime,
        isoformat=isoformat,
        reltime=forum_tags.reltime,
        timetag=forum_tags.timetag,
        can_edit=forum_tags.can_edit,
        can_delete=forum_tags.can_delete,
        can_report=forum_tags.can_report,
    )
    return env
