"""``manage.py restore <folder>``: load a backup into an empty database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ops.backups import BackupError, restore_backup
from ops.management.commands.backup import current_database, media_storage


class Command(BaseCommand):
    help = (
        "Restore backups/<timestamp>/ into the (empty) database and the media "
        "storage (MEDIA_ROOT, or the bucket with MEDIA_STORAGE=s3)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "backup_dir", help="A folder written by `manage.py backup`."
        )

    def handle(self, *args, backup_dir: str, **options) -> None:
        database = current_database()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
            (table_count,) = cursor.fetchone()
        # pg_restore opens its own connection; leave the server to it.
        connection.close()
        try:
            result = restore_backup(
                backup_dir=Path(backup_dir),
                database=database,
                media_root=Path(settings.MEDIA_ROOT),
                table_count=table_count,
                media_storage=media_storage(),
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {database.name} and {result['media_files']} media files "
            f"from {backup_dir}."
        )
