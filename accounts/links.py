"""Links that pages repeat many times, reversed once per URL pattern.

A thread page links to each post and, twice, to each author, and its controls and
navigation name a few dozen more URLs: with Django's ``reverse`` that came to
several milliseconds of every page. Here each pattern is reversed once per script
prefix and kind of arguments, with stand-ins for the arguments, and each call puts
its own values in their places. Only arguments that ``reverse`` would write as they
are take this way (integers, ASCII slugs); anything else goes through ``reverse``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
# Per (prefix, urlconf, name, argument kinds): the URL cut around its arguments,
# with the argument each cut is followed by, or None when the shape cannot be used.
_shapes: dict[tuple, tuple[tuple[str, ...], tuple[int, ...]] | None] = {}


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


def fast_reverse(name: str, args: Sequence[object] = ()) -> str:
    """``reverse(name, args=args)``, from the pattern reversed once."""
    kinds = tuple(_kind(arg) for arg in args)
    if None in kinds:
        return reverse(name, args=args)
    key = (get_script_prefix(), get_urlconf(), name, kinds)
    try:
        shape = _shapes[key]
    except KeyError:
        shape = _shapes[key] = _shape(name, kinds)
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
    return fast_reverse(name, (int(pk),))
