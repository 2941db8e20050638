"""Media in S3-compatible storage (MEDIA_STORAGE=s3), against a real S3 server: moto
in server mode, started on a free port for this module. An avatar goes up through the
profile form and comes back over HTTP from the bucket's URL; a backup archives the
bucket and a restore puts the objects back."""

import html
import io
import json
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import connection
from PIL import Image
from storages.backends.s3 import S3Storage

from accounts.models import User
from config.media_storage import media_storage
from ops.backups import (
    BackupError,
    Database,
    _restore_storage,
    create_backup,
    restore_backup,
)
from ops.management.commands.backup import media_storage as backup_storage
from tests.accounts.conftest import png_bytes
from tests.accounts.test_profile import EDIT_URL, profile_data, upload
from tests.ops.conftest import Databases, free_port

pytestmark = pytest.mark.django_db
KEYS = {"AWS_ACCESS_KEY_ID": "colloquy-test", "AWS_SECRET_ACCESS_KEY": "not-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=2).close()
            break
        except urllib.error.HTTPError:
            break  # answering, if only with an error: it is up
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"moto did not start: {server.stderr.read().decode()}")
            time.sleep(0.1)
    yield endpoint
    server.terminate()
    server.wait(10)


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )


def new_bucket(endpoint: str) -> str:
    name = f"colloquy-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


def use_bucket(settings, monkeypatch, endpoint: str, bucket: str, **extra: str):
    """Point the default storage at ``bucket`` as the environment would."""
    for name, value in {
        **KEYS,
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        **extra,
    }.items():
        monkeypatch.setenv(name, value)
    media = media_storage()
    settings.MEDIA_STORAGE = media.kind
    settings.STORAGES = {**settings.STORAGES, "default": media.storage}
    return media


def keys(endpoint: str, bucket: str) -> list[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_avatar_goes_to_the_bucket_and_is_served_from_it(
    client,
    member,
    settings,
    monkeypatch,
    tmp_path,
    s3_endpoint,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    bucket = new_bucket(s3_endpoint)
    media = use_bucket(settings, monkeypatch, s3_endpoint, bucket)
    assert media.origins[0] == s3_endpoint
    client.force_login(member)
    response = client.post(
        EDIT_URL, {**profile_data(), "avatar": upload("me.png", png_bytes(300, 200))}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    first = member.avatar.name
    assert keys(s3_endpoint, bucket) == [first] and first.startswith("avatars/")
    assert not (tmp_path / "media").exists()

    url = member.avatar.url
    assert url.startswith(f"{s3_endpoint}/{bucket}/{first}?")  # signed by default
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        with Image.open(io.BytesIO(answer.read())) as stored:
            assert (stored.format, stored.size) == ("PNG", (192, 192))
    page = client.get(member.get_absolute_url()).content.decode()
    assert f'src="{html.escape(url).split("?")[0]}?' in page
    # Unsigned, the object is private: the page's URL is what opens it.
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"{s3_endpoint}/{bucket}/{first}", timeout=10)
    assert denied.value.code == 403

    # A new avatar gets a name of its own (no cached URL shows the old one) and
    # the old object goes once the change commits; removing it empties the bucket.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            EDIT_URL, {**profile_data(), "avatar": upload("b.png", png_bytes(80, 80))}
        )
    member.refresh_from_db()
    assert member.avatar.name != first
    assert keys(s3_endpoint, bucket) == [member.avatar.name]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EDIT_URL, {**profile_data(), "remove_avatar": "on"})
    assert keys(s3_endpoint, bucket) == []
    assert User.objects.get(pk=member.pk).avatar.name == ""


def test_unsigned_urls_and_a_custom_domain(settings, monkeypatch, s3_endpoint):
    bucket = new_bucket(s3_endpoint)
    media = use_bucket(
        settings,
        monkeypatch,
        s3_endpoint,
        bucket,
        AWS_QUERYSTRING_AUTH="false",
        AWS_S3_CUSTOM_DOMAIN="media.example.org",
        AWS_LOCATION="forum",
    )
    assert media.origins == ["https://media.example.org"]
    name = default_storage.save("avatars/9.png", io.BytesIO(b"png"))
    assert default_storage.url(name) == "https://media.example.org/forum/avatars/9.png"
    assert keys(s3_endpoint, bucket) == ["forum/avatars/9.png"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEDIA_STORAGE": "ftp"}, "is not a media storage: use filesystem or s3"),
        ({"MEDIA_STORAGE": "s3"}, "needs AWS_STORAGE_BUCKET_NAME"),
        (
            {"AWS_ACCESS_KEY_ID": "only-half"},
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ),
        ({"AWS_S3_ENDPOINT_URL": "javascript:alert(1)"}, "must start with https://"),
        ({"AWS_S3_ADDRESSING_STYLE": "sideways"}, "use auto, path or virtual"),
        ({"AWS_QUERYSTRING_AUTH": "maybe"}, "is not a boolean"),
    ],
)
def test_a_wrong_storage_setting_stops_the_site_with_a_clear_message(
    monkeypatch, env, message
):
    monkeypatch.setenv("MEDIA_STORAGE", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "media")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if name == "MEDIA_STORAGE" and value == "s3":
            monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME")
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        media_storage()


def test_media_origins_follow_the_bucket_addressing(monkeypatch):
    monkeypatch.delenv("MEDIA_STORAGE", raising=False)
    assert media_storage().kind == "filesystem" and media_storage().origins == []
    monkeypatch.setenv("MEDIA_STORAGE", "S3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "media")
    monkeypatch.setenv("AWS_S3_REGION_NAME", "eu-west-3")
    assert media_storage().origins == [
        "https://media.s3.amazonaws.com",
        "https://media.s3.eu-west-3.amazonaws.com",
    ]
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "https://objects.example.net:9000/")
    assert media_storage().origins == [
        "https://objects.example.net:9000",
        "https://media.objects.example.net:9000",
    ]
    monkeypatch.setenv("AWS_S3_ADDRESSING_STYLE", "path")
    assert media_storage().origins == ["https://objects.example.net:9000"]


def empty_database(databases: Databases) -> Database:
    """A new database on the suite's server, reached as the suite reaches it."""
    connection.ensure_connection()
    info = connection.connection.info
    return Database(
        name=urlsplit(databases.create()).path.lstrip("/"),
        user=info.user,
        password=info.password or "",
        host=info.host,
        port=str(info.port),
        server_major=connection.pg_version // 10000,
    )


@pytest.fixture
def databases(suite_server):
    made = Databases(suite_server)
    yield made
    made.drop_all()


def test_backup_archives_the_bucket_and_restore_puts_it_back(
    settings, monkeypatch, tmp_path, s3_endpoint, databases
):
    source = new_bucket(s3_endpoint)
    settings.MEDIA_STORAGE = "filesystem"
    assert backup_storage() is None  # the folder, read as before
    use_bucket(settings, monkeypatch, s3_endpoint, source)
    assert isinstance(backup_storage(), S3Storage)  # what the commands pass
    client = s3_client(s3_endpoint)
    objects = {
        "avatars/7.png": b"\x89PNG avatar seven",
        "avatars/8.png": b"\x89PNG avatar eight",
        "exports/2026/member-7.zip": b"PK" + bytes(range(256)) * 64,
    }
    for key, body in objects.items():
        client.put_object(Bucket=source, Key=key, Body=body)

    # Both databases are new and empty: what is under test here is the media.
    backup_dir = create_backup(
        database=empty_database(databases),
        media_root=tmp_path / "unused",
        output_dir=tmp_path / "backups",
        media_storage=backup_storage(),
    )
    with tarfile.open(backup_dir / "media.tar.gz") as archive:
        assert sorted(archive.getnames()) == sorted(objects)
        member = archive.extractfile("exports/2026/member-7.zip")
        assert member.read() == objects["exports/2026/member-7.zip"]
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert (manifest["media_files"], manifest["media_storage"]) == (3, "S3Storage")

    # Into another bucket, where a stale copy of one avatar is replaced, not kept
    # beside it under a new name.
    target = new_bucket(s3_endpoint)
    client.put_object(Bucket=target, Key="avatars/7.png", Body=b"stale")
    use_bucket(settings, monkeypatch, s3_endpoint, target)
    result = restore_backup(
        backup_dir=backup_dir,
        database=empty_database(databases),
        media_root=tmp_path / "unused",
        table_count=0,
        media_storage=backup_storage(),
    )
    assert result["media_files"] == 3
    assert keys(s3_endpoint, target) == sorted(objects)
    for key, body in objects.items():
        assert client.get_object(Bucket=target, Key=key)["Body"].read() == body
    assert not (tmp_path / "unused").exists()


def test_restore_into_a_bucket_refuses_paths_out_of_it(
    settings, monkeypatch, tmp_path, s3_endpoint
):
    bucket = new_bucket(s3_endpoint)
    use_bucket(settings, monkeypatch, s3_endpoint, bucket)
    for hostile in ("../outside.png", "/etc/cron.d/evil", "avatars/link"):
        path = tmp_path / "hostile.tar.gz"
        with tarfile.open(path, "w:gz") as archive:
            info = tarfile.TarInfo(hostile)
            if hostile.endswith("link"):
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                archive.addfile(info)
            else:
                info.size = 3
                archive.addfile(info, io.BytesIO(b"bad"))
        with tarfile.open(path) as archive, pytest.raises(BackupError, match=hostile):
            _restore_storage(default_storage, archive)
    assert keys(s3_endpoint, bucket) == []
