"""Member text to safe HTML. The only place post bodies are turned into markup.

``render()`` escapes the source, converts it, then sanitises the result with bleach
against ``allowlist.py``. bleach is in maintenance mode, so it stays behind this
function.
"""

import html
import re

import bleach
from bleach.linkifier import Linker

from forum.markup import allowlist

_PARAGRAPH_BREAK = re.compile(r"\n{2,}")


def _set_link_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = allowlist.LINK_REL
    return attrs


_linker = Linker(callbacks=[_set_link_rel], parse_email=True)


def render(source: str) -> str:
    """Plain member text to HTML: escaped, line breaks kept, links made clickable."""
    text = source.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    converted = "".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>") + "</p>"
        for p in paragraphs
    )
    linked = _linker.linkify(converted)
    return bleach.clean(
        linked,
        tags=allowlist.TAGS,
        attributes=allowlist.ATTRIBUTES,
        protocols=allowlist.PROTOCOLS,
        strip=True,
    )
