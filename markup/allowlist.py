"""What post HTML may contain once sanitised. Everything else is stripped or escaped.

Attribute values are checked too: classes come from the renderer's own set, and a
``style`` is only one of the declarations the renderer writes after validating a
[COLOR] or [SIZE] option.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markup import values
from markup.text import LINK_REL

TAGS = frozenset(
    {
        "a",
        "b",
        # The renderer's own, around a quoted name: members' "<bdi>" is escaped.
        "bdi",
        "blockquote",
        "br",
        "code",
        "details",
        "div",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "span",
        "summary",
        "u",
        "ul",
    }
)
PROTOCOLS = frozenset({"http", "https", "mailto"})
CSS_PROPERTIES = frozenset({"color", "font-size"})

CLASSES = frozenset(
    {
        "bbcenter",
        "bbcode",
        "bbcode-block",
        "bbcode-title",
        "bbicode",
        "bbimage",
        "bbindent",
        "bbindent-2",
        "bbindent-3",
        "bbindent-4",
        "bblink",
        "bblist",
        "bbmention",
        "bbquote",
        "bbquote-body",
        "bbquote-collapsed",
        "bbquote-fold",
        "bbquote-header",
        "bbquote-jump",
        "bbspoiler",
        "bbspoiler-body",
        "visually-hidden",
    }
)
_LANGUAGE_CLASS = re.compile(r"language-[a-z0-9][a-z0-9+#_-]{0,29}")
_STYLE = re.compile(
    r"color: (?P<colour>#[0-9a-f]{3}|#[0-9a-f]{6}|[a-z]+);?"
    r"|font-size: (?P<size>[0-9]+px);?"
)
_DIGITS = re.compile(r"[1-9][0-9]{0,17}")


def _classes(value: str) -> bool:
    names = value.split()
    return bool(names) and all(
        name in CLASSES or _LANGUAGE_CLASS.fullmatch(name) for name in names
    )


def _style(value: str) -> bool:
    match = _STYLE.fullmatch(value.strip())
    if match is None:
        return False
    if match.group("colour"):
        return values.colour(match.group("colour")) == match.group("colour")
    return match.group("size") in values.FONT_SIZES.values()


def _any(value: str) -> bool:
    return True


Check = Callable[[str], bool]
_ATTRIBUTES: dict[str, dict[str, Check]] = {
    "a": {
        "href": _any,  # bleach checks the protocol against PROTOCOLS
        "rel": lambda value: value == LINK_REL,
        "class": _classes,
        "title": _any,
    },
    "img": {
        "src": _any,  # bleach checks the protocol against PROTOCOLS
        "alt": _any,
        "loading": lambda value: value == "lazy",
        "class": _classes,
    },
    "blockquote": {
        "class": _classes,
        "data-post": _DIGITS.fullmatch,
        "data-member": _DIGITS.fullmatch,
    },
    "span": {
        "class": _classes,
        "style": _style,
        "aria-hidden": lambda value: value == "true",
    },
    "ol": {"class": _classes, "type": lambda value: value in {"1", "a", "A", "i", "I"}},
    "code": {"class": _classes},
    "details": {"class": _classes},
    "div": {"class": _classes},
    "pre": {"class": _classes},
    "summary": {"class": _classes},
    "ul": {"class": _classes},
}
ATTRIBUTES = {tag: frozenset(checks) for tag, checks in _ATTRIBUTES.items()}


def allow_attribute(tag: str, name: str, value: str) -> bool:
    """bleach's attribute filter: the attribute is listed and its value passes."""
    check = _ATTRIBUTES.get(tag, {}).get(name)
    return check is not None and bool(check(value))
