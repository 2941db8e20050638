"""Limits on what a request may send, enforced before and while its body is read.

- ``RequestSizeLimitMiddleware`` refuses a body whose Content-Length is over the
  limit with a 413 page, before anything reads a byte of it: a 50 MB upload costs
  the headers, not 50 MB.
- ``CappedUploadHandler`` (``FILE_UPLOAD_HANDLERS``) holds each uploaded file in
  memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE`` and never writes one to disk. Of a
  larger file it keeps only the size, so the form that asked for it says the file is
  too big while the rest of what was typed comes back with the error.
"""

import io
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

MEGABYTE = 1024 * 1024


def megabytes(size: int) -> str:
    """A byte count as people read it: "2 MB", "2.5 MB"."""
    return f"{size / MEGABYTE:.1f}".removesuffix(".0") + " MB"


class RequestSizeLimitMiddleware:
    """Answer 413 to a body over the limit, judged by its Content-Length alone.

    Multipart bodies (file uploads) may be up to ``UPLOAD_MAX_REQUEST_BYTES``; any
    other body up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, which Django would otherwise
    refuse with a bare 400. Over WSGI the body stream ends at the Content-Length, so
    a client cannot send more than it announced.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not (declared.isascii() and declared.isdigit()):
            return render(request, "400.html", status=400)
        if request.content_type == "multipart/form-data":
            limit = settings.UPLOAD_MAX_REQUEST_BYTES
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if int(declared) > limit:
            context = {
                "size": megabytes(int(declared)),
                "limit": megabytes(limit),
                "file_limit": megabytes(settings.FILE_UPLOAD_MAX_MEMORY_SIZE),
            }
            return render(request, "413.html", context, status=413)
        return self.get_response(request)


class OversizedUpload(UploadedFile):
    """A file that was over the limit: its name and size, none of its bytes."""

    def __init__(self, name: str, content_type: str, size: int, charset: str | None):
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class CappedUploadHandler(FileUploadHandler):
    """Hold each file in memory up to a limit; of a larger one keep only its size."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        self.kept: io.BytesIO | None = io.BytesIO()
        self.seen = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.seen += len(raw_data)
        if self.kept is not None and self.seen > self.limit:
            # Past the limit nothing more is kept: the rest of the file streams by
            # (the request is at most UPLOAD_MAX_REQUEST_BYTES) and is only counted.
            self.kept = None
        if self.kept is not None:
            self.kept.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        if self.kept is None:
            return OversizedUpload(
                self.file_name, self.content_type, file_size, self.charset
            )
        self.kept.seek(0)
        return InMemoryUploadedFile(
            file=self.kept,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
