"""The Jinja2 environment for the partials a page repeats many times.

A thread page renders its post block and author card twenty times or more; Jinja2
compiles a template to Python and renders those several times faster than Django's
engine (measured on a 20-post page: about a fifth of the time). Page shells and forms
stay in Django templates. Only helpers that need no request are global here: a
shared block is rendered with its row alone, so nothing of the viewer can reach it.
"""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from jinja2 import Environment, StrictUndefined

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


# Stand-ins for ids while a URL is reversed once: as long as any id, and distinct.
_STAND_IN = 2_146_000_000
_url_shapes: dict[tuple, tuple[str, tuple[str, ...]] | None] = {}


def url(name: str, *args) -> str:
    """``reverse(name, args=args)``, from a URL reversed once per name and prefix.

    The per-viewer controls print a few links per post (report, edit, bookmark…):
    Django's ``reverse`` costs about as much as rendering the rest of a post's
    controls. With integer arguments the URL is reversed once, with stand-ins, and
    the ids are put in their place; anything else goes through ``reverse``.
    """
    if not all(type(arg) is int for arg in args):
        return reverse(name, args=args)
    key = (get_script_prefix(), get_urlconf(), name, len(args))
    if key not in _url_shapes:
        stand_ins = tuple(str(_STAND_IN + n) for n in range(len(args)))
        text = reverse(name, args=[int(s) for s in stand_ins])
        usable = all(text.count(s) == 1 for s in stand_ins)
        _url_shapes[key] = (text, stand_ins) if usable else None
    shape = _url_shapes[key]
    if shape is None:
        return reverse(name, args=args)
    text, stand_ins = shape
    for stand_in, arg in zip(stand_ins, args, strict=True):
        text = text.replace(stand_in, str(arg))
    return text


def environment(**options) -> Environment:
    # Undefined names raise instead of printing nothing, so a typo or a viewer
    # variable used in a shared block fails the tests instead of the page.
    env = Environment(**{**options, "undefined": StrictUndefined})
    env.globals.update(url=url)
    env.globals.update(static=staticfiles_storage.url)
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
