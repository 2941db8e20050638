"""GET /img/<signature>/<payload>/: a member's [IMG] picture, served by the forum."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from imageproxy import store
from imageproxy.links import original_url

# What a refused or broken picture shows in its place: the forum's own drawing.
PLACEHOLDER = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="90" '
    b'viewBox="0 0 160 90" role="img" aria-label="Image unavailable">'
    b'<rect width="160" height="90" fill="#e9ecef"/>'
    b'<text x="80" y="50" font-family="sans-serif" font-size="12" fill="#495057" '
    b'text-anchor="middle">Image unavailable</text></svg>'
)
# Whatever the bytes are, no browser runs them as a page.
SANDBOX = "default-src 'none'; sandbox"


@require_safe
def image_proxy(request: HttpRequest, signature: str, payload: str) -> HttpResponse:
    url = original_url(signature, payload) if settings.FORUM_IMAGE_PROXY else None
    if url is None:
        return _unavailable(404, "No such image.")
    found = store.picture(url)
    if isinstance(found, store.Failed):
        return _unavailable(found.status, found.reason)
    response = FileResponse(found.file, content_type=found.content_type)
    # The address names the picture's source URL, whose bytes were kept once.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return _harden(response)


def _unavailable(status: int, reason: str) -> HttpResponse:
    response = HttpResponse(PLACEHOLDER, content_type="image/svg+xml", status=status)
    response["X-Image-Proxy-Error"] = reason
    if status == 503:
        response["Retry-After"] = "5"
        response["Cache-Control"] = "no-store"
    else:
        response["Cache-Control"] = f"public, max-age={store.FAILURE_SECONDS}"
    return _harden(response)


def _harden(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    # Other sites cannot embed the forum as their own image proxy.
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
