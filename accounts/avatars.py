"""Uploaded avatars: checked with Pillow, then re-encoded as a small square PNG.

Nothing of the uploaded file is kept: the pixels are decoded, cropped to a square,
resized and written out again, so metadata, trailing bytes and anything a browser
might sniff as script are gone.
"""

import io
import warnings

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
SIZE = 192
ACCEPTED_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "WebP"}
ACCEPTED_TEXT = "PNG, JPEG, GIF or WebP"


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
            # verify() leaves the image unusable; decode it for real from the start.
            with Image.open(io.BytesIO(data)) as image:
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
