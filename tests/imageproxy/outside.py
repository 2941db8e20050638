"""A stand-in for an outside image host: a real HTTP server on 127.0.0.2.

Loopback is refused by the proxy by design; the tests let exactly 127.0.0.2 through
(FORUM_IMAGE_PROXY_ALLOW_ADDRESSES), so 127.0.0.1, where the forum itself runs,
stays refused while they run.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

HOST = "127.0.0.2"
SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script></svg>"
)


def picture(kind: str, size: tuple[int, int] = (3, 2)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 40)).save(out, kind)
    return out.getvalue()


class OutsideHost:
    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/pic.png": (200, {"Content-Type": "image/png"}, picture("PNG")),
            "/pic.gif": (200, {"Content-Type": "image/gif"}, picture("GIF")),
            "/pic.jpg": (200, {"Content-Type": "image/jpeg"}, picture("JPEG")),
            "/pic.webp": (200, {"Content-Type": "image/webp"}, picture("WEBP")),
            "/wide.png": (200, {"Content-Type": "image/png"}, picture("PNG", (64, 48))),
            # Says PNG, holds a script: the type is read from the bytes.
            "/lies.png": (200, {"Content-Type": "image/png"}, SVG_WITH_SCRIPT),
            "/drawing.svg": (200, {"Content-Type": "image/svg+xml"}, SVG_WITH_SCRIPT),
            "/page.html": (200, {"Content-Type": "text/html"}, b"<h1>hi</h1>"),
            "/truncated.png": (200, {}, picture("PNG")[:30]),
            "/missing.png": (404, {}, b"not here"),
            "/to-pic": (302, {"Location": "/pic.png"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/nowhere": (302, {}, b""),
        }
        self.server = ThreadingHTTPServer((HOST, 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, status: int, headers: dict[str, str], body: bytes):
        self.routes[path] = (status, headers, body)

    def _handler(self):
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                path = self.path
                host.hits[path] = host.hits[path] + 1
                if path == "/hang":
                    # Headers, then nothing: the proxy's read timeout must end it.
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.end_headers()
                    self.wfile.flush()
                    host.release.wait(10)
                    return
                if path == "/streamed-big.png":
                    # No Content-Length: only counting while reading can stop it.
                    self.send_response(200)
                    self.end_headers()
                    for _ in range(64):
                        self.wfile.write(b"\0" * 4096)
                    return
                status, headers, body = host.routes.get(path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def outside():
    host = OutsideHost()
    host.start()
    yield host
    host.stop()


@pytest.fixture
def proxy_settings(settings, tmp_path, outside):
    """The proxy on, storing under a fresh media folder, 127.0.0.2 let through."""
    settings.FORUM_IMAGE_PROXY = True
    settings.FORUM_IMAGE_PROXY_ALLOW_ADDRESSES = [HOST]
    settings.MEDIA_ROOT = tmp_path
    outside.hits.clear()
    return settings
