"""Page numbers from the query string, and the window of links a page shows.

Counts come from counter columns, never from COUNT(*): the caller passes the number
of pages, so a page costs no extra query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A page number or row id: ASCII digits only. int() also reads "١٢", " 12" and "1_2",
# and str.isdigit() takes "²", which int() then refuses.
ASCII_NUMBER = re.compile(r"[0-9]{1,18}")


def resolve_page(raw: str | None, num_pages: int) -> tuple[int, bool]:
    """Return the page to show and whether the URL must be redirected to it.

    Anything that is not a page number in range (``0``, ``-1``, ``abc``, ``²``, past
    the end) is redirected to the nearest real page rather than answered with an error.
    """
    if raw is None:
        return 1, False
    if not ASCII_NUMBER.fullmatch(raw):
        return 1, True
    page = int(raw)
    if page < 1:
        return 1, True
    if page > num_pages:
        return num_pages, True
    # ?page=1 is the bare URL; keep one canonical address per page.
    return page, page == 1


@dataclass(frozen=True)
class PageWindow:
    number: int
    num_pages: int

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.num_pages else None

    @property
    def links(self) -> list[int | None]:
        """Page numbers to link, with ``None`` where a gap is shown as an ellipsis."""
        shown = {1, self.num_pages, *range(self.number - 2, self.number + 3)}
        pages = sorted(p for p in shown if 1 <= p <= self.num_pages)
        result: list[int | None] = []
        for page in pages:
            if result and page - result[-1] > 1:
                result.append(None)
            result.append(page)
        return result


def num_pages(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))
