"""Characters member text may not carry as typed: controls, bidi controls, mark towers.

Bodies keep tab and newline of the control characters and lose the others; a title is
one line of plain text, so a control or bidi character in it is refused instead
(``forbidden_in_line``). Combining marks are capped per base character
(``limit_combining_marks``): a letter under 5,000 accents draws a tower across the
posts above it.
"""

from __future__ import annotations

import re
import unicodedata

# C0 but tab and newline, DEL, and C1 (U+0085 NEXT LINE included).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Marks that change the order text is shown in: an unclosed RLO in a title reverses
# the interface text after it in lists and breadcrumbs.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
# Vietnamese stacks two marks, pointed and cantillated Hebrew four or five.
MAX_COMBINING_MARKS = 8


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_controls(text: str) -> str:
    """``text`` with newlines as ``\\n``, keeping no other control but tab."""
    return _CONTROLS.sub("", normalise_newlines(text))


def forbidden_in_line(text: str) -> str | None:
    """The first control or bidi control character in one line of text, if any."""
    found = _LINE_CONTROLS.search(text) or _BIDI.search(text)
    return found.group(0) if found else None


def describe(character: str) -> str:
    """ "U+202E RIGHT-TO-LEFT OVERRIDE", for an error message."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".rstrip()


def _is_mark(character: str) -> bool:
    return character >= "\u0300" and unicodedata.category(character)[0] == "M"


def longest_mark_run(text: str) -> int:
    """How many combining marks sit on one base character, at most, in ``text``."""
    if text.isascii():
        return 0
    longest = run = 0
    for character in text:
        run = run + 1 if _is_mark(character) else 0
        longest = max(longest, run)
    return longest


def limit_combining_marks(text: str, limit: int = MAX_COMBINING_MARKS) -> str:
    """``text`` with at most ``limit`` combining marks kept on each base character."""
    if text.isascii():
        return text
    kept: list[str] = []
    run = 0
    for character in text:
        if _is_mark(character):
            run += 1
            if run > limit:
                continue
        else:
            run = 0
        kept.append(character)
    return "".join(kept)
