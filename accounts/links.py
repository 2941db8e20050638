"""Links that pages repeat many times, reversed once per URL pattern.

A thread page links to each post and, twice, to each author, and its controls and
navigation name a few dozen more URLs: with Django's ``reverse`` that came to
several milliseconds of every page. Here each pattern is reversed once per script
prefix and kind of arguments, with stand-ins for the arguments, and each call puts
its own values in their places. Only arguments that ``reverse`` would write as they
are take this way (integers, ASCII slugs); anything else goes through ``reverse``.

The script prefix and URLconf pick the shape. Django keeps both in asgiref Locals,
and reading them cost more than the rest of a link; a renderer that prints many
links reads them once for all of them with ``steady()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
# Per (prefix, urlconf, name, argument kinds): the URL cut around its arguments,
# with the argument each cut is followed by, or None when the shape cannot be used.
_shapes: dict[tuple, tuple[tuple[str, ...], tuple[int, ...]] | None] = {}
# The (prefix, urlconf) that steady() read, inside it; None elsewhere.
_steady: ContextVar[tuple[str, object] | None] = ContextVar("links", default=None)
_ONE_ID = ("int",)


@contextmanager
def steady() -> Iterator[None]:
    """Within, links use the script prefix and URLconf as they are on entering.

    For a render: the prefix and URLconf are set for a request before its view
    runs, and nothing changes them while a template prints links.
    """
    token = _steady.set((get_script_prefix(), get_urlconf()))
    try:
        yield
    finally:
        _steady.reset(token)


def _kind(value: object) -> str | None:
    if type(value) is int:
        return "int"
    if type(value) is str and _SLUG.match(value):
        return "slug"
    return None


def _stand_in(kind: str, n: int) -> int | str:
    # As long as any real value, matched by the patterns that take such a value.
    return 2_146_000_000 + n if kind == "int" else f"qzx{n}standinqzx"


def _shape(name: str, kinds: tuple[str, ...]):
    stand_ins = [_stand_in(kind, n) for n, kind in enumerate(kinds)]
    try:
        text = reverse(name, args=stand_ins)
    except NoReverseMatch:
        return None
    marks = [str(s) for s in stand_ins]
    if any(text.count(mark) != 1 for mark in marks):
        return None
    order = sorted(range(len(marks)), key=lambda n: text.index(marks[n]))
    pieces, rest = [], text
    for n in order:
        head, _, rest = rest.partition(marks[n])
        pieces.append(head)
    pieces.append(rest)
    return tuple(pieces), tuple(order)


def _shape_here(name: str, kinds: tuple[str, ...]):
    key = (_steady.get() or (get_script_prefix(), get_urlconf()), name, kinds)
    try:
        return _shapes[key]
    except KeyError:
        shape = _shapes[key] = _shape(name, kinds)
        return shape


def fast_reverse(name: str, args: Sequence[object] = ()) -> str:
    """``reverse(name, args=args)``, from the pattern reversed once."""
    kinds = tuple(_kind(arg) for arg in args)
    if None in kinds:
        return reverse(name, args=args)
    shape = _shape_here(name, kinds)
    if shape is None:
        return reverse(name, args=args)
    pieces, order = shape
    parts = [pieces[0]]
    for piece, n in zip(pieces[1:], order, strict=True):
        parts.append(str(args[n]))
        parts.append(piece)
    return "".join(parts)


def url_with_id(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a pattern whose one argument is an id."""
    shape = _shape_here(name, _ONE_ID)
    if shape is None:
        return reverse(name, args=[int(pk)])
    (head, tail), _ = shape
    return f"{head}{int(pk)}{tail}"
