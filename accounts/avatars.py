"""Uploaded avatars: checked with Pillow, then re-encoded as a small square PNG.

Nothing of the uploaded file is kept: the pixels are decoded, cropped to a square,
resized and written out again, so metadata, trailing bytes and anything a browser
might sniff as script are gone.
"""

import io
import struct
import warnings
import zlib

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
SIZE = 192
ACCEPTED_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "WebP"}
ACCEPTED_TEXT = "PNG, JPEG, GIF or WebP"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Samples per pixel of each PNG colour type: grey, RGB, palette, grey+alpha, RGBA.
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 interlacing: each pass's first column and row, and its steps across and down.
ADAM7_PASSES = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
INFLATE_STEP = 64 * 1024


class AvatarError(Exception):
    """The upload is not an avatar we accept; the message says why."""


def _looks_like_markup(head: bytes) -> bool:
    text = head.lstrip().lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype", b"<html")) or (
        b"<svg" in text
    )


def process_avatar(upload: UploadedFile) -> ContentFile:
    """Check an upload and return it as a SIZE×SIZE PNG, or raise AvatarError."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise AvatarError(
            f"That file is {upload.size / 1024 / 1024:.1f} MB; avatars may be at "
            f"most {MAX_BYTES // 1024 // 1024} MB."
        )
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise AvatarError(f"Avatars may be at most {MAX_BYTES // 1024 // 1024} MB.")
    if _looks_like_markup(data[:1024]):
        raise AvatarError(
            f"SVG and other drawing formats are not accepted; upload a "
            f"{ACCEPTED_TEXT} image."
        )
    with warnings.catch_warnings():
        # A decompression bomb is refused below by its pixel count; make Pillow's
        # own warning an error too so nothing big is ever decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                if image_format not in ACCEPTED_FORMATS:
                    raise AvatarError(
                        f"{image_format or 'That'} images are not accepted; upload "
                        f"a {ACCEPTED_TEXT} image."
                    )
                if width * height > MAX_PIXELS:
                    raise AvatarError(_too_many_pixels(f" ({width}×{height} pixels)"))
                probe.verify()
            if image_format == "PNG":
                _check_png_data(data)
            # verify() leaves the image unusable; decode it for real from the start.
            with Image.open(io.BytesIO(data)) as image:
                # A JPEG decodes at 1/2 to 1/8 scale when that still covers the
                # avatar: a 4000-pixel photo never takes 48 MB of memory.
                image.draft(None, (SIZE, SIZE))
                image.load()
                square = _square(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise AvatarError(_too_many_pixels("")) from e
        except UnidentifiedImageError as error:
            raise AvatarError(
                f"That file is not an image we can read; upload a {ACCEPTED_TEXT} "
                "image."
            ) from error
        except (OSError, SyntaxError, ValueError) as error:
            # Pillow reports damaged files with any of these.
            raise AvatarError(
                "That image is damaged or truncated; try saving it again."
            ) from error
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="avatar.png")


def _check_png_data(data: bytes) -> None:
    """Refuse a PNG whose image data inflates past what its header says it holds.

    Pillow stops inflating once every row is filled, so trailing data costs nothing
    there; but a file that unpacks to far more than its pixels is no honest image.
    The check inflates a step at a time and stops one step past the expected size
    (the step is slack for sloppy encoders), so memory and work stay bounded.
    """
    view = memoryview(data)
    position = len(PNG_SIGNATURE)
    expected = None
    inflater = zlib.decompressobj()
    inflated = 0
    while position + 8 <= len(view) and not inflater.eof:
        length, kind = struct.unpack(">I4s", view[position : position + 8])
        body = view[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR" and len(body) >= 13:
            width, height, depth, colour, _, _, interlace = struct.unpack(
                ">IIBBBBB", body[:13]
            )
            expected = _png_raw_size(width, height, depth, colour, interlace == 1)
        elif kind == b"IDAT" and expected is not None:
            pending = body
            while pending and not inflater.eof:
                try:
                    inflated += len(inflater.decompress(pending, INFLATE_STEP))
                except zlib.error as error:
                    raise AvatarError(
                        "That image is damaged or truncated; try saving it again."
                    ) from error
                if inflated > expected + INFLATE_STEP:
                    raise AvatarError(
                        f"That image's data unpacks to more than its {width}×{height} "
                        "pixels need, as a decompression bomb does; save it again "
                        "from an image editor."
                    )
                pending = inflater.unconsumed_tail
        elif kind == b"IEND":
            break


def _png_raw_size(
    width: int, height: int, depth: int, colour: int, interlaced: bool
) -> int:
    """Bytes a PNG's image data inflates to: per row a filter byte and its pixels."""
    bits = depth * PNG_CHANNELS.get(colour, 4)

    def rows(across: int, down: int) -> int:
        return down * (1 + (across * bits + 7) // 8) if across and down else 0

    if not interlaced:
        return rows(width, height)
    return sum(
        rows((width - x + dx - 1) // dx, (height - y + dy - 1) // dy)
        for x, y, dx, dy in ADAM7_PASSES
    )


def _too_many_pixels(size: str) -> str:
    return (
        f"That image is too large{size}; avatars may have at most "
        f"{MAX_PIXELS:,} pixels, for example 4096×4096."
    )


def _square(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    return ImageOps.fit(image, (SIZE, SIZE), method=Image.Resampling.LANCZOS)
