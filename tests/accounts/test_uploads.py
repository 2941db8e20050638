"""Upload limits: request size before the body is read, file size while it streams."""

import tracemalloc
from collections.abc import Iterable, Iterator

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.http.multipartparser import MultiPartParser

from accounts import avatars
from config.uploads import CappedUploadHandler, OversizedUpload

pytestmark = pytest.mark.django_db

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
