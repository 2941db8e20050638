"""Links to rows that a page repeats many times, reversed once per URL pattern.

A thread page links to each post and, twice, to each author: some sixty ``reverse()``
calls, a few milliseconds of every page. Each pattern is reversed once, with a
placeholder id, for each script prefix; the id is then put in its place.
"""

from functools import cache

from django.urls import get_script_prefix, reverse

_PLACEHOLDER = 2_147_483_647


@cache
def _around_id(name: str, prefix: str) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[_PLACEHOLDER]).rpartition(str(_PLACEHOLDER))
    return head, tail


def url_with_id(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a pattern whose one argument is an id."""
    head, tail = _around_id(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"
