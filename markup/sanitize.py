"""The last step of every render: bleach against ``allowlist.py``.

bleach is in maintenance mode, so it stays behind this module. Its ``Cleaner`` keeps
parser state and is not thread-safe, hence one per thread.
"""

from __future__ import annotations

import threading

import bleach
from bleach.css_sanitizer import CSSSanitizer
from bleach.html5lib_shim import Filter

from markup import allowlist
from markup.text import LINK_REL


class _LinkRelFilter(Filter):
    """Every link that survives gets the same rel, whoever wrote it."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in {"StartTag", "EmptyTag"} and token["name"] == "a":
                token["data"][(None, "rel")] = LINK_REL
            yield token


_local = threading.local()


def _cleaner() -> bleach.Cleaner:
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = bleach.Cleaner(
            tags=allowlist.TAGS,
            attributes=allowlist.allow_attribute,
            protocols=allowlist.PROTOCOLS,
            strip=True,
            strip_comments=True,
            css_sanitizer=CSSSanitizer(allowed_css_properties=allowlist.CSS_PROPERTIES),
            filters=[_LinkRelFilter],
        )
    return cleaner


def sanitize(html: str) -> str:
    """Drop every tag, attribute, URL scheme and style the allowlist does not name."""
    return _cleaner().clean(html)
