"""Tag options and contents checked before they reach HTML: URLs, colours, sizes.

Each function returns the value the renderer may write, or ``None`` when the input is
not acceptable (the tag then stays literal text).
"""

from __future__ import annotations

import re

# Whitespace and control characters are refused outright: browsers drop some of them
# inside a scheme ("java\tscript:"), so no URL containing one is ever emitted.
_UNSAFE_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\"<>`]")
_HTTP_URL = re.compile(r"https?://[^/?#:@]", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"\.[a-z]{2,63}(?::[0-9]{1,5})?(?:[/?#]|$)",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"[a-z0-9!#$%&*+/=?^_{|}~.-]{1,64}@"
    r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"\.[a-z]{2,63}",
    re.IGNORECASE,
)
MAX_URL_LENGTH = 2000

_COLOUR_NAMES = """
black white gray grey silver dimgray darkgray darkgrey lightgray lightgrey
slategray red darkred maroon crimson tomato coral salmon orangered orange
darkorange gold yellow khaki olive lime green darkgreen lightgreen teal
turquoise aqua cyan skyblue lightblue steelblue royalblue blue darkblue navy
indigo purple darkviolet violet plum orchid fuchsia magenta pink hotpink brown
chocolate sienna tan beige
"""
NAMED_COLOURS = frozenset(_COLOUR_NAMES.split())
_HEX_COLOUR = re.compile(r"#(?:[0-9a-f]{3}|[0-9a-f]{6})", re.IGNORECASE)
_RGB_COLOUR = re.compile(
    r"rgb\(\s*([0-9]{1,3})\s*,\s*([0-9]{1,3})\s*,\s*([0-9]{1,3})\s*\)",
    re.IGNORECASE,
)
# [SIZE=1] … [SIZE=7], as XenForo maps them; "[SIZE=20px]" takes the nearest one.
FONT_SIZES = {
    1: "9px",
    2: "10px",
    3: "12px",
    4: "15px",
    5: "18px",
    6: "22px",
    7: "26px",
}
_PIXEL_SIZE = re.compile(r"([0-9]{1,3})\s*px", re.IGNORECASE)

_CODE_LANGUAGE = re.compile(r"[a-z0-9][a-z0-9+#_-]{0,29}", re.IGNORECASE)
_QUOTE_SOURCE = re.compile(
    r",\s*(post|member|user)\s*:\s*([0-9]{1,18})\s*$", re.IGNORECASE
)
MAX_QUOTE_NAME = 100


def web_url(value: str, *, allow_bare_domain: bool = True) -> str | None:
    """An http(s) URL as written, "example.com/x" as http://, anything else refused."""
    value = value.strip()
    if not value or len(value) > MAX_URL_LENGTH or _UNSAFE_URL_CHARS.search(value):
        return None
    if _HTTP_URL.match(value):
        return value
    if allow_bare_domain and _BARE_DOMAIN.match(value):
        return "http://" + value
    return None


def email_address(value: str) -> str | None:
    """A plain address (no name, no query) or ``None``."""
    value = value.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    return value if _EMAIL.fullmatch(value) else None


def link_target(value: str) -> str | None:
    """What [URL=…] may point at: an http(s) URL or a mailto: address."""
    if value.strip()[:7].lower() == "mailto:":
        address = email_address(value)
        return "mailto:" + address if address else None
    return web_url(value)


def colour(value: str | None) -> str | None:
    """A named colour from the fixed list, #rgb, #rrggbb, or rgb() made #rrggbb."""
    if value is None:
        return None
    value = value.strip().lower()
    if value in NAMED_COLOURS or _HEX_COLOUR.fullmatch(value):
        return value
    if match := _RGB_COLOUR.fullmatch(value):
        channels = [int(channel) for channel in match.groups()]
        if all(channel <= 255 for channel in channels):
            return "#" + "".join(f"{channel:02x}" for channel in channels)
    return None


def font_size(value: str | None) -> str | None:
    """Sizes 1–7 to fixed CSS sizes; a pixel size to the nearest of those."""
    if value is None:
        return None
    value = value.strip()
    if value in {str(size) for size in FONT_SIZES}:
        return FONT_SIZES[int(value)]
    if match := _PIXEL_SIZE.fullmatch(value):
        pixels = int(match.group(1))
        if pixels > 0:
            return min(
                FONT_SIZES.values(), key=lambda size: abs(int(size[:-2]) - pixels)
            )
    return None


def code_language(value: str | None) -> str | None:
    """A short language name for [CODE=lang], lower-cased; odd ones are ignored."""
    if value and _CODE_LANGUAGE.fullmatch(value.strip()):
        return value.strip().lower()
    return None


def list_type(value: str | None) -> str | None:
    """``None`` for a bulleted list, else the <ol type> of a numbered one."""
    if value is None:
        return None
    value = value.strip()
    return value if value in {"1", "a", "A", "i", "I"} else None


def indent_level(value: str | None) -> int | None:
    """[INDENT] is one level; [INDENT=n] takes 1 to 4."""
    if value is None:
        return 1
    value = value.strip()
    return int(value) if value in {"1", "2", "3", "4"} else None


def quote_source(value: str | None) -> tuple[str, int | None, int | None]:
    """XenForo's "Name, post: 123, member: 45" as (name, post id, member id)."""
    if not value:
        return "", None, None
    name, post_id, member_id = value, None, None
    while match := _QUOTE_SOURCE.search(name):
        number = int(match.group(2)) or None
        if match.group(1).lower() == "post":
            post_id = post_id or number
        else:
            member_id = member_id or number
        name = name[: match.start()]
    return name.strip()[:MAX_QUOTE_NAME], post_id, member_id
