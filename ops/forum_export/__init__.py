"""The public forum as a stream of JSON lines, and back: see docs/export-format.md.

``export_forum`` writes what a guest can read (categories, the boards guests see,
their live threads and every post slot of them, the tiers, and members' public
profiles) one record per line, reading the database through server-side cursors in
one read-only snapshot, so a million posts never sit in memory and the file is
consistent while the forum keeps taking replies.

``import_forum`` loads such a file into an empty Colloquy in one transaction: ids
are kept, so links into the old forum (``/threads/12-…``, ``/posts/345/``), the
rendered HTML and the ``[QUOTE="name, post: N, member: M"]`` references in the
sources all stay right without rewriting a byte. Imported HTML is sanitised again
(a file is input like any other), counters and tiers are recomputed by
``recount``, and the id sequences move past the imported ids.
"""

from ops.forum_export.format import (
    FORMAT,
    PLACEHOLDER_DOMAIN,
    PLURALS,
    VERSION,
    FormatError,
    ProgressLine,
    open_file,
)
from ops.forum_export.loader import forum_is_empty, load_export
from ops.forum_export.writer import write_export

__all__ = [
    "FORMAT",
    "PLACEHOLDER_DOMAIN",
    "PLURALS",
    "VERSION",
    "FormatError",
    "ProgressLine",
    "forum_is_empty",
    "load_export",
    "open_file",
    "write_export",
]
