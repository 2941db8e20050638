"""Upload limits: request size before the body is read, file size while it streams,
and PNG data that inflates past what its pixels need."""

import io
import json
import struct
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from PIL import Image

from accounts import avatars
from accounts.avatars import AvatarError, process_avatar
from config.uploads import CappedUploadHandler, OversizedUpload
from tests.accounts.conftest import png_bytes

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
EDIT_URL = "/accounts/profile/"
MIB = 1024 * 1024
BOUNDARY = "colloquy-test-boundary"


class StreamedBody:
    """A request body made a piece at a time as it is read, counting what is read."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self.pieces = iter(pieces)
        self.buffer = b""
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            piece = next(self.pieces, None)
            if piece is None:
                break
            self.buffer += piece
        size = len(self.buffer) if size < 0 else size
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        self.bytes_read += len(out)
        return out

    def readline(self, size: int = -1) -> bytes:
        line = b""
        while not line.endswith(b"\n") and (size < 0 or len(line) < size):
            byte = self.read(1)
            if not byte:
                break
            line += byte
        return line


def multipart(file_size: int, *, before: str = "Lisbon", after: str = "Kept text"):
    """A profile form body with a file of file_size bytes between two text fields,
    as (pieces, length): the file is never held whole."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="location"\r\n\r\n'
        f"{before}\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="avatar"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = (
        f"\r\n--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="about"\r\n\r\n'
        f"{after}\r\n--{BOUNDARY}--\r\n"
    ).encode()

    def pieces() -> Iterator[bytes]:
        yield head
        step = 64 * 1024
        for start in range(0, file_size, step):
            yield b"x" * min(step, file_size - start)
        yield tail

    return pieces(), len(head) + file_size + len(tail)


def post_streamed(client, url: str, pieces, length: int, content_type: str):
    body = StreamedBody(pieces)
    response = client.generic(
        "POST",
        url,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": body},
    )
    return response, body


def test_fifty_megabyte_upload_is_refused_before_its_body_is_read(client, member):
    client.force_login(member)
    pieces, length = multipart(50 * MIB)
    response, body = post_streamed(
        client, EDIT_URL, pieces, length, f"multipart/form-data; boundary={BOUNDARY}"
    )
    html = response.content.decode()
    assert response.status_code == 413
    assert "What you sent is 50 MB" in html and "at most 5 MB" in html
    assert "files of at most 2 MB" in html
    assert body.bytes_read == 0


def test_large_form_post_is_refused_with_413_before_it_is_read(client, member, thread):
    client.force_login(member)
    size = 6 * MIB
    pieces = (b"body=" + b"x" * (size - 5),)
    response, body = post_streamed(
        client,
        thread.get_absolute_url(),
        pieces,
        size,
        "application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "What you sent is 6 MB" in response.content.decode()
    assert body.bytes_read == 0


@pytest.mark.parametrize("declared", ["abc", "²", "١٢", "-5", "1e3"])
def test_content_length_that_is_not_ascii_digits_is_a_bad_request(
    client, member, declared
):
    client.force_login(member)
    response = client.generic(
        "POST",
        EDIT_URL,
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=declared,
    )
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_file_over_the_limit_is_refused_and_the_typed_text_is_kept(client, member):
    client.force_login(member)
    pieces, length = multipart(4 * MIB, before="Porto", after="Typed after the file")
    response, body = post_streamed(
        client, EDIT_URL, pieces, length, f"multipart/form-data; boundary={BOUNDARY}"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "That file is 4.0 MB; avatars may be at most 2 MB." in html
    assert "Porto" in html and "Typed after the file" in html
    assert body.bytes_read == length
    member.refresh_from_db()
    assert not member.avatar and member.location == ""


def parse(pieces, length: int):
    meta = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(length),
    }
    parser = MultiPartParser(meta, StreamedBody(pieces), [CappedUploadHandler()])
    return parser.parse()


def test_handler_keeps_only_the_size_of_a_file_over_the_limit(settings):
    post, files = parse(*multipart(settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1))
    upload = files["avatar"]
    assert isinstance(upload, OversizedUpload)
    assert upload.size == settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1
    assert upload.name == "big.png" and upload.read() == b""
    assert post["location"] == "Lisbon" and post["about"] == "Kept text"


def test_handler_keeps_a_file_at_the_limit_in_memory(settings):
    size = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    _, files = parse(*multipart(size))
    upload = files["avatar"]
    assert isinstance(upload, InMemoryUploadedFile)
    assert upload.size == size and upload.read() == b"x" * size


def test_memory_stays_flat_while_an_oversized_file_streams_by(settings):
    # Memory holds a file up to the limit, and nothing of the rest of it.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
    pieces, length = multipart(4 * MIB)
    tracemalloc.start()
    try:
        _, files = parse(pieces, length)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert files["avatar"].size == 4 * MIB
    assert peak < MIB // 2


def test_upload_limits_cover_an_avatar(settings):
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= avatars.MAX_BYTES
    assert settings.UPLOAD_MAX_REQUEST_BYTES > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert settings.FILE_UPLOAD_HANDLERS == ["config.uploads.CappedUploadHandler"]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def zero_stream(size: int, *, checksum_ok: bool = True) -> bytes:
    """A zlib stream inflating to size zero bytes, made without compressing them all.

    A full flush makes each compressed mebibyte stand alone, so one copy repeated
    is a valid stream; the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1.
    """
    block = min(size, MIB)
    count, rest = divmod(size, block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    one_block = deflate.compress(bytes(block)) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(bytes(rest)) + deflate.flush()
    checksum = (size % 65521) << 16 | 1
    if not checksum_ok:
        checksum ^= 0xFFFF
    return b"\x78\xda" + one_block * count + tail + struct.pack(">I", checksum)


def png_file(width: int, height: int, idat: bytes, *, interlace: int = 0) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, interlace)
    return (
        avatars.PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def raw_size(width: int, height: int, interlace: int = 0) -> int:
    return avatars._png_raw_size(width, height, 8, 2, interlace == 1)


def bomb(*, checksum_ok: bool = True) -> bytes:
    """1000×1000 RGB whose image data inflates to 1 GiB, in about 1 MB of file."""
    return png_file(1000, 1000, zero_stream(1 << 30, checksum_ok=checksum_ok))


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("image.png", content, content_type="image/png")


def test_png_whose_data_inflates_past_its_pixels_is_refused(client, member):
    # About 1 MB, under the byte limit: the message shows the data check refused it.
    data = bomb()
    client.force_login(member)
    response = client.post(
        EDIT_URL, {"location": "Braga", "about": "Typed text", "avatar": upload(data)}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "unpacks to more than its 1000×1000 pixels need" in html
    assert "Braga" in html and "Typed text" in html
    member.refresh_from_db()
    assert not member.avatar


def test_bomb_is_refused_before_its_data_is_inflated_to_the_end():
    # The stream's checksum, at its very end, is wrong: a check that inflated all
    # of it would call the file damaged instead.
    with pytest.raises(AvatarError, match="decompression bomb"):
        process_avatar(upload(bomb(checksum_ok=False)))


MEASURE = """
import json, resource, sys
from django.core.files.uploadedfile import SimpleUploadedFile
from accounts.avatars import AvatarError, process_avatar
from PIL import PngImagePlugin  # imported before measuring: only the check counts
with open(sys.argv[1], "rb") as source:
    upload = SimpleUploadedFile("upload", source.read())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    process_avatar(upload)
    message = None
except AvatarError as error:
    message = str(error)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"message": message, "grown_kib": grown}))
"""


def measure(path: Path) -> dict:
    """process_avatar on a file in a fresh interpreter: its message and peak growth."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_refusing_a_bomb_keeps_memory_flat(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb())
    result = measure(path)
    assert "decompression bomb" in result["message"]
    # ru_maxrss is in KiB on Linux: the peak grew by less than 16 MiB, where
    # inflating the data at once would take 1 GiB.
    assert result["grown_kib"] < 16 * 1024


def test_large_photo_is_decoded_at_a_fraction_of_its_size(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (4096, 3072), (30, 90, 160)).save(path, format="JPEG")
    result = measure(path)
    assert result["message"] is None
    # Decoded whole it takes 36 MiB; at an eighth of its size, well under 16.
    assert result["grown_kib"] < 16 * 1024


@pytest.mark.parametrize("interlace", [0, 1])
def test_png_with_exactly_the_data_its_pixels_need_is_accepted(interlace):
    data = png_file(
        300, 200, zero_stream(raw_size(300, 200, interlace)), interlace=interlace
    )
    avatar = process_avatar(upload(data))
    with Image.open(avatar) as stored:
        assert stored.size == (avatars.SIZE, avatars.SIZE)


@pytest.mark.parametrize("interlace", [0, 1])
def test_png_with_data_well_past_its_pixels_is_refused(interlace):
    extra = 2 * avatars.INFLATE_STEP
    data = png_file(
        300,
        200,
        zero_stream(raw_size(300, 200, interlace) + extra),
        interlace=interlace,
    )
    with pytest.raises(AvatarError, match="unpacks to more than its 300×200"):
        process_avatar(upload(data))


@pytest.mark.parametrize(
    ("mode", "options"),
    [("1", {}), ("P", {"bits": 4}), ("LA", {}), ("I;16", {}), ("RGBA", {})],
)
def test_honest_pngs_of_every_depth_are_accepted(mode, options):
    out = io.BytesIO()
    Image.new(mode, (97, 61)).save(out, format="PNG", **options)
    with Image.open(process_avatar(upload(out.getvalue()))) as stored:
        assert stored.size == (avatars.SIZE, avatars.SIZE)


def test_damaged_png_data_is_refused_as_damaged():
    stream = bytearray(zero_stream(raw_size(40, 40)))
    stream[2] = 0xFF  # a deflate block of the reserved type 3: invalid
    with pytest.raises(AvatarError, match="damaged or truncated"):
        process_avatar(upload(png_file(40, 40, bytes(stream))))


def test_small_png_still_becomes_an_avatar():
    with Image.open(process_avatar(upload(png_bytes(40, 40)))) as stored:
        assert (stored.format, stored.size) == ("PNG", (avatars.SIZE, avatars.SIZE))
