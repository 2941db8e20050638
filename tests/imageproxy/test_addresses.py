"""Which addresses the proxy would fetch from, and which bytes it would keep."""

from __future__ import annotations

import ipaddress
import struct
import zlib

import pytest

from imageproxy.addresses import Refused, is_public, networks, vet
from imageproxy.fetch import sniff
from tests.imageproxy.outside import SVG_WITH_SCRIPT, picture

PRIVATE = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://localhost/",
    "http://LocalHost/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:8.8.8.8]/",
    "http://[::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a00:1::]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fe80::1%25lo]/",
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://192.0.0.8/",
    "http://198.18.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "https://127.0.0.1:8443/a.png",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_loopback_and_special_addresses_are_refused(url):
    with pytest.raises(Refused) as refused:
        vet(url)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/a.png", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://example.com/", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("data:image/png;base64,AAAA", "Only http and https"),
        ("//example.com/a.png", "Only http and https"),
        ("http://", "no valid host"),
        ("http:///a.png", "no valid host"),
        ("http://[::1/", "malformed"),
        ("http://example.com:99999/", "malformed"),
        ("http://example.com:port/", "malformed"),
        ("http://user:pw@example.com/", "user name"),
        ("http://127.0.0.1@example.com/", "user name"),
        ("http://exa mple.com/", "no valid host"),
        ("http://exa%6dple.com/", "no valid host"),
        ("http://" + "a" * 64 + ".example/", "no valid host"),
        ("http://example.com/" + "a" * 2000, "too long"),
    ],
)
def test_other_schemes_and_malformed_addresses_are_refused(url, reason):
    with pytest.raises(Refused) as refused:
        vet(url)
    assert reason in refused.value.reason
    assert refused.value.status == 403


def test_a_public_address_is_dialled_as_vetted():
    target = vet("https://8.8.8.8/pics/a.png?size=2")
    assert (target.scheme, target.host, target.port) == ("https", "8.8.8.8", 443)
    assert (target.address, target.path) == ("8.8.8.8", "/pics/a.png?size=2")
    assert vet("HTTP://[2001:4860:4860::8888]:8080").port == 8080


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "2606:4700::1111"]
)
def test_public_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


def test_the_allow_list_lets_through_only_its_own_network():
    allowed = networks(["127.0.0.2"])
    assert vet("http://127.0.0.2:9/", allowed).address == "127.0.0.2"
    for url in ["http://127.0.0.1/", "http://127.0.0.3/", "http://[::ffff:127.0.0.2]/"]:
        with pytest.raises(Refused):
            vet(url, allowed)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
    )


def test_only_sound_pictures_of_the_allowed_formats_are_kept():
    assert sniff(picture("PNG")) == "image/png"
    assert sniff(picture("WEBP")) == "image/webp"
    for data in [
        SVG_WITH_SCRIPT,
        b"<html><script>alert(1)</script></html>",
        b"GIF89a<script>alert(1)</script>",
        picture("BMP"),
        picture("TIFF"),
        picture("PNG")[:40],
        _png_header(100_000, 100_000),  # a decompression bomb's header
        b"",
    ]:
        with pytest.raises(Refused):
            sniff(data)
