"""``manage.py export_forum <file>``: the public forum as JSON lines (.gz: compressed).

The format is documented in docs/export-format.md; ``import_forum`` reads it back.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.forum_export import PLURALS, ProgressLine, open_file, write_export


class Command(BaseCommand):
    help = (
        "Write what guests can read (categories, boards, threads, posts, members' "
        "public profiles, tiers) to a versioned JSON-lines file; .gz compresses it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Where to write; '-' writes to stdout.")

    def handle(self, *args, file: str, verbosity: int = 1, **options) -> None:
        progress = ProgressLine(self.stderr._out) if verbosity else None
        if file == "-":
            counts = write_export(self.stdout._out, *([progress] if progress else []))
            return
        path = Path(file)
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a folder.")
        try:
            with open_file(path, "w") as stream:
                counts = write_export(stream, *([progress] if progress else []))
        except OSError as error:
            raise CommandError(f"Could not write {path}: {error}") from error
        summary = ", ".join(f"{n:,} {PLURALS[kind]}" for kind, n in counts.items())
        self.stdout.write(f"Exported {summary} to {path}.")
