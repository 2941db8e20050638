"""``manage.py backup``: dump the database and the media (``make backup``)."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ops.backups import BackupError, Database, create_backup


def current_database() -> Database:
    """The database Django is connected to, as libpq resolved it (host may be a
    socket folder, as with the embedded server)."""
    connection.ensure_connection()
    info = connection.connection.info
    return Database(
        name=info.dbname,
        user=info.user,
        password=info.password or "",
        host=info.host,
        port=str(info.port),
        server_major=connection.pg_version // 10000,
    )


def media_storage() -> Storage | None:
    """The storage holding the media when it is not the MEDIA_ROOT folder."""
    return storages["default"] if settings.MEDIA_STORAGE != "filesystem" else None


class Command(BaseCommand):
    help = "Write backups/<timestamp>/ with a pg_dump of the database and the media."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output-dir",
            default=str(Path(settings.BASE_DIR) / "backups"),
            help="Folder that receives the timestamped backup (default: backups/).",
        )

    def handle(self, *args, output_dir: str, **options) -> None:
        try:
            target = create_backup(
                database=current_database(),
                media_root=Path(settings.MEDIA_ROOT),
                output_dir=Path(output_dir),
                media_storage=media_storage(),
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(target))
