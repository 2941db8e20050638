"""Plain text to HTML: escaped, line breaks kept, bare links and @mentions found."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markup import values

LINK_REL = "nofollow ugc noopener"

# Each alternative can only start where a run of its characters starts (a word
# boundary or a lookbehind), which keeps the scan linear on long runs of letters.
_LINKABLE = re.compile(
    r"(?P<url>\b(?:https?://|www\.)[^\s\x00-\x1f\x7f<>\[\]\"`]+)"
    r"|(?P<email>(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<mention>(?<![\w@.+-])@\w[\w.+-]{0,149})",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?'\"*_"


@dataclass(frozen=True, slots=True)
class Mention:
    """An @name in the output, linked once the members who exist are known."""

    text: str

    @property
    def key(self) -> str:
        return self.text[1:].lower()


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def attr(value: str) -> str:
    return html.escape(value, quote=True)


def link(href: str, content_html: str, css_class: str) -> str:
    return (
        f'<a href="{attr(href)}" class="{css_class}" rel="{LINK_REL}">'
        f"{content_html}</a>"
    )


def _trim_url(url: str) -> str:
    while url:
        unbalanced = url[-1] == ")" and url.count("(") < url.count(")")
        if url[-1] not in _TRAILING_PUNCTUATION and not unbalanced:
            break
        url = url[:-1]
    return url


def _lines(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def add_text(out: list, text: str, *, linkify: bool) -> None:
    """Append ``text`` as HTML; with ``linkify``, URLs, addresses and @names too."""
    if not linkify:
        out.append(_lines(text))
        return
    pos = 0
    for match in _LINKABLE.finditer(text):
        found = match.group(0)
        start = match.start()
        if match.lastgroup == "url":
            found = _trim_url(found)
            target = values.web_url(found)
            piece = link(target, escape(found), "bblink") if target else None
        elif match.lastgroup == "email":
            address = values.email_address(found)
            piece = (
                link("mailto:" + address, escape(found), "bblink") if address else None
            )
        else:
            found = found.rstrip(".+-")
            piece = Mention(found) if len(found) > 1 else None
        if piece is None:
            continue
        out.append(_lines(text[pos:start]))
        out.append(piece)
        pos = start + len(found)
    out.append(_lines(text[pos:]))
