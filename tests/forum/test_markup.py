import pytest

from forum.markup import render


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hello", "<p>hello</p>"),
        ("one\ntwo", "<p>one<br>two</p>"),
        ("one\n\n\ntwo", "<p>one</p><p>two</p>"),
        ("a < b & c", "<p>a &lt; b &amp; c</p>"),
        ("  padded  ", "<p>padded</p>"),
        ("crlf\r\nline", "<p>crlf<br>line</p>"),
    ],
)
def test_plain_text_rendering(source, expected):
    assert render(source) == expected


def test_bare_urls_become_nofollow_links():
    html = render("see https://example.com/page?a=1&b=2 now")
    assert (
        '<a href="https://example.com/page?a=1&amp;b=2" rel="nofollow ugc noopener">'
        in html
    )


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "javascript:alert(1)",
        '<a href="javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        '"><script>alert(1)</script>',
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_markup_never_emits_active_content(payload):
    html = render(payload).lower()
    assert "<script" not in html
    assert "<img" not in html and "<svg" not in html
    assert '<a href="javascript:' not in html and '<a href="data:' not in html
