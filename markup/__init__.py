"""Member text to safe HTML. The only place post bodies are turned into markup.

``render()`` parses the BBCode (``parser.py``), writes HTML for each tag
(``tags.py``), links the @mentions of members the caller's lookup knows
(``mentions.py``), then sanitises the result with bleach against ``allowlist.py``
(``sanitize.py``).
``problems()`` says what in a body breaks the limits, for the posting forms;
``clean_text()`` is what a form stores of a typed body (``characters.py``).

A library below both apps: it imports neither ``forum`` nor ``accounts``.
"""

from __future__ import annotations

from markup import mentions
from markup.characters import limit_combining_marks, strip_controls
from markup.mentions import MemberLookup
from markup.parser import MAX_DEPTH, parse
from markup.sanitize import sanitize
from markup.tags import HtmlWriter, url_for
from markup.text import Mention, escape, link

__all__ = [
    "MAX_BODY_LENGTH",
    "MAX_IMAGES",
    "MAX_QUOTE_NESTING",
    "clean_text",
    "image_count",
    "problems",
    "render",
]

MAX_BODY_LENGTH = 50_000
MAX_QUOTE_NESTING = 10
MAX_IMAGES = 20


def clean_text(source: str) -> str:
    """A typed body as it is stored: newlines as ``\\n``, no other control character
    but tab, no surrounding whitespace."""
    return strip_controls(source).strip()


def _normalise(source: str) -> str:
    # Texts stored before the forms cleaned them, or edited in the admin, are cleaned
    # here too; towers of combining marks are cut down to a few marks per letter.
    return limit_combining_marks(clean_text(source))


def render(source: str, known_members: MemberLookup | None = None) -> str:
    """BBCode to sanitised HTML; never raises on any text.

    ``known_members`` maps lower-cased @names to usernames, asked once for all the
    names in ``source`` (``accounts.mentions.members_in_database`` is one query);
    without it no @name is linked.
    """
    root, _ = parse(_normalise(source))
    writer = HtmlWriter()
    writer.document(root)
    names = list(
        dict.fromkeys(piece.key for piece in writer.out if isinstance(piece, Mention))
    )[: mentions.MAX_MENTIONS]
    members = known_members(names) if names and known_members else {}
    html = "".join(_mention_html(piece, members) for piece in writer.out)
    return sanitize(html)


def _mention_html(piece: str | Mention, members: dict[str, str]) -> str:
    if isinstance(piece, str):
        return piece
    username = members.get(piece.key)
    url = url_for("member_detail", username) if username else None
    return link(url, escape(piece.text), "bbmention") if url else escape(piece.text)


def problems(source: str) -> list[str]:
    """What in ``source`` breaks a posting limit, as messages for the person."""
    if len(source) > MAX_BODY_LENGTH:
        return [
            f"The message is {len(source):,} characters long; "
            f"the limit is {MAX_BODY_LENGTH:,}."
        ]
    _, stats = parse(_normalise(source))
    found = []
    if stats.max_quote_depth > MAX_QUOTE_NESTING:
        found.append(
            f"Quotes are nested {stats.max_quote_depth:,} levels deep; "
            f"the limit is {MAX_QUOTE_NESTING}. Remove some of the older quotes."
        )
    elif stats.too_deep:
        found.append(
            f"Formatting tags are nested more than {MAX_DEPTH} levels deep; "
            "the deeper ones would show as plain text."
        )
    if stats.images > MAX_IMAGES:
        found.append(
            f"The message has {stats.images} images; the limit is {MAX_IMAGES}."
        )
    return found


def image_count(source: str) -> int:
    """How many [IMG] tags ``source`` holds, as ``problems()`` counts them."""
    return parse(_normalise(source))[1].images
