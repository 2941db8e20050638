"""``manage.py import_forum <file>``: load an ``export_forum`` file into an empty forum.

Ids are kept, counters and tiers recomputed; the whole load is one transaction.
See docs/export-format.md.
"""

import gzip
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.forum_export import PLURALS, FormatError, ProgressLine, load_export, open_file


class Command(BaseCommand):
    help = (
        "Load a forum export (JSON lines, optionally .gz) into this empty Colloquy; "
        "refuses a forum that already has members or boards."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="A file written by export_forum.")

    def handle(self, *args, file: str, verbosity: int = 1, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        progress = ProgressLine(self.stderr._out) if verbosity else None
        try:
            with open_file(path, "r") as stream:
                loaded = load_export(stream, *([progress] if progress else []))
        except FormatError as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as error:
            raise CommandError(
                f"Nothing was imported: cannot read {path}: {error}"
            ) from error
        summary = ", ".join(f"{n:,} {PLURALS[kind]}" for kind, n in loaded.items())
        self.stdout.write(f"Imported {summary or 'nothing'} from {path}.")
