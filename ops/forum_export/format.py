"""What the export format fixes: its name, version, record kinds, helpers both
sides share. The format itself is described in docs/export-format.md."""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from forum import access

FORMAT = "colloquy-forum"
VERSION = 1
CHUNK = 2000
# Imported members have no address: a placeholder in a domain that can never
# receive mail (RFC 2606) keeps the column unique until they set theirs.
PLACEHOLDER_DOMAIN = "import.invalid"
KINDS = ("tier", "member", "category", "board", "permission", "thread", "post")
PLURALS = {kind: f"{kind}s" for kind in KINDS} | {"category": "categories"}
PERMISSION_FIELDS = (*access.PERMISSIONS, "edit_window_minutes")


class FormatError(Exception):
    """The file is not a forum export this code can load; the message says why."""


Progress = Callable[[str, int, int], None]


def no_progress(kind: str, done: int, total: int) -> None:
    return None


def open_file(path: Path, mode: str) -> IO[str]:
    """A text stream on ``path``, gzip-compressed when the name ends in .gz."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding="utf-8")
    return path.open(mode, encoding="utf-8")


def iso_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class ProgressLine:
    """ "posts 12,000 / 1,000,000" rewritten in place on a terminal, else silent."""

    def __init__(self, stream: IO[str] = sys.stderr) -> None:
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, kind: str, done: int, total: int) -> None:
        if not self.live:
            return
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{PLURALS[kind]:<12} {done:>12,} / {total:,}{end}")
        self.stream.flush()
