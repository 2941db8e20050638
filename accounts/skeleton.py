"""Confusable skeletons (Unicode TR39): names that look alike share one.

``skeleton()`` is the UTS #39 skeleton: NFD, each character replaced by its
prototype, NFD again. The prototypes are in ``data/confusables.txt``, generated from
ICU by ``data/build_confusables.py`` (which also checks this module against ICU on
every code point). ``username_key()`` is what the user row stores and indexes;
``lookalike_keys()`` are the keys a new name must not share with a stored one.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "confusables.txt"


@cache
def _prototypes() -> dict[int, str]:
    table: dict[int, str] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        source, _, target = line.partition("\t")
        prototype = "".join(chr(int(code, 16)) for code in target.split())
        first, _, last = source.partition("..")
        for code in range(int(first, 16), int(last or first, 16) + 1):
            table[code] = prototype
    return table


def is_ignorable(character: str) -> bool:
    """Whether UTS #39 drops ``character`` as default-ignorable (invisible: ZWJ, the
    Hangul fillers, variation selectors, tags...)."""
    return _prototypes().get(ord(character)) == ""


def skeleton(text: str) -> str:
    """The UTS #39 skeleton of ``text``: equal for strings that look alike."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", decomposed.translate(_prototypes()))


def username_key(username: str) -> str:
    """What two usernames share when they read alike, whatever their case.

    Names are compared case-insensitively, so the name is case-folded first (``I``
    must meet ``i``, not ``l``); the skeleton can bring capitals back (``0`` has
    the prototype ``O``), so the two alternate until nothing changes.
    """
    key = unicodedata.normalize("NFKC", username).casefold()
    for _ in range(4):
        folded = skeleton(key).casefold()
        if folded == key:
            break
        key = folded
    return key


def lookalike_keys(username: str) -> set[str]:
    """The stored keys ``username`` must not meet: its own, and the one read with
    case kept, where capital ``I`` is the prototype ``l`` ("paypaI" is "paypal")."""
    cased = skeleton(unicodedata.normalize("NFKC", username))
    return {username_key(username), username_key(cased)}
