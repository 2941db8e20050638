"""Proxied image addresses: the outside URL inside a signed path of the forum's own.

Only the renderer makes these, so the proxy fetches only what members wrote in an
[IMG] tag and can never be asked to fetch an arbitrary address. The signature uses
the site's SECRET_KEY (and SECRET_KEY_FALLBACKS, so a rotated key keeps old posts'
pictures working until they are re-rendered).
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.core import signing
from django.urls import reverse

_SALT = "imageproxy.links"


def proxied_url(src: str) -> str | None:
    """The renderer's hook (``MARKUP_IMAGE_URL``): the forum's address for the
    picture at ``src``, or ``None`` (shown as a plain link) with the proxy off."""
    if not settings.FORUM_IMAGE_PROXY:
        return None
    payload = base64.urlsafe_b64encode(src.encode()).decode("ascii").rstrip("=")
    signature = signing.Signer(salt=_SALT).signature(payload)
    return reverse("image_proxy", args=[signature, payload])


def original_url(signature: str, payload: str) -> str | None:
    """The outside URL a proxied address stands for, if its signature holds."""
    try:
        signing.Signer(salt=_SALT).unsign(f"{payload}:{signature}")
        padded = payload + "=" * (-len(payload) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (signing.BadSignature, binascii.Error, ValueError):
        return None
