"""Hostile input: whatever a member types, the stored HTML carries no active content."""

import re
from html.parser import HTMLParser

import pytest

from markup import allowlist, render, values

# Written for this suite: raw HTML, BBCode parameters and contents that try to smuggle
# script, event handlers, dangerous URL schemes or CSS into the rendered post.
PAYLOADS = [
    # Raw HTML
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<body onload="alert(1)">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<base href="javascript:alert(1)//">',
    '<details open ontoggle="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<p title="</p><script>alert(1)</script>">',
    "<b onmouseover=alert(1)>hover</b>",
    "<<script>script>alert(1)<</script>/script>",
    "\x00<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "javascript:alert(1)",
    # [URL] targets
    "[url=javascript:alert(1)]x[/url]",
    "[url]javascript:alert(1)[/url]",
    "[URL=JAVASCRIPT:alert(1)]x[/URL]",
    "[url=JaVaScRiPt:alert(1)]x[/url]",
    "[url= javascript:alert(1)]x[/url]",
    "[url=java\tscript:alert(1)]x[/url]",
    "[url=java\nscript:alert(1)]x[/url]",
    "[url=java\x00script:alert(1)]x[/url]",
    "[url=\x01javascript:alert(1)]x[/url]",
    "[url=&#106;avascript:alert(1)]x[/url]",
    "[url=&#x6A;avascript:alert(1)]x[/url]",
    "[url=javascript&colon;alert(1)]x[/url]",
    "[url=%6Aavascript:alert(1)]x[/url]",
    "[url=vbscript:msgbox(1)]x[/url]",
    "[url=VBScript:msgbox(1)]x[/url]",
    "[url=data:text/html,<script>alert(1)</script>]x[/url]",
    "[url]data:text/html;base64,PHNjcmlwdD4=[/url]",
    "[url=livescript:alert(1)]x[/url]",
    "[url=file:///etc/passwd]x[/url]",
    "[url=//evil.example/]x[/url]",
    '[url="javascript:alert(1)"]x[/url]',
    "[url='javascript:alert(1)']x[/url]",
    '[URL="http://x.example" onmouseover="alert(1)"]x[/URL]',
    '[url=http://x.example" onmouseover="alert(1)]x[/url]',
    "[url=http://x.example' onmouseover='alert(1)]x[/url]",
    '[url=http://x.example/"><script>alert(1)</script>]x[/url]',
    "[url=http://x.example/<script>alert(1)</script>]x[/url]",
    "[url=http://x.example]<script>alert(1)</script>[/url]",
    '[url]http://x.example/" onmouseover="alert(1)[/url]',
    "[url]http://x.example/<img src=x onerror=alert(1)>[/url]",
    "[url=javascript:alert(1)][url=http://ok.example]x[/url][/url]",
    "[url=http://ok.example][url=javascript:alert(1)]x[/url][/url]",
    # [IMG] sources
    "[img]javascript:alert(1)[/img]",
    "[IMG]JaVaScRiPt:alert(1)[/IMG]",
    "[img]data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+[/img]",
    "[img]data:image/png;base64,iVBORw0KGgo=[/img]",
    "[img]vbscript:msgbox(1)[/img]",
    "[img] javascript:alert(1)[/img]",
    "[img]java\tscript:alert(1)[/img]",
    "[img]&#106;avascript:alert(1)[/img]",
    '[img]http://x.example/a.png" onerror="alert(1)[/img]',
    "[img]http://x.example/a.png' onerror='alert(1)[/img]",
    "[img]http://x.example/a.png onerror=alert(1)[/img]",
    "[img]http://x.example/<svg onload=alert(1)>[/img]",
    "[img]//evil.example/a.png[/img]",
    "[img=http://x.example/a.png]javascript:alert(1)[/img]",
    "[img][url=javascript:alert(1)]x[/url][/img]",
    "[url=http://ok.example][img]javascript:alert(1)[/img][/url]",
    # [EMAIL]
    "[email]javascript:alert(1)[/email]",
    "[email=javascript:alert(1)]x[/email]",
    '[email]a@b.example" onmouseover="alert(1)[/email]',
    "[email=a@b.example?subject=<script>]x[/email]",
    "[email]<script>alert(1)</script>@b.example[/email]",
    "[url=mailto:javascript:alert(1)]x[/url]",
    # [COLOR] and [SIZE]
    "[color=red;background:url(javascript:alert(1))]x[/color]",
    "[color=red; background-image: url(http://evil.example/)]x[/color]",
    "[color=expression(alert(1))]x[/color]",
    '[color=red" onmouseover="alert(1)]x[/color]',
    '[color="red" style="background:red"]x[/color]',
    "[color=#fff;position:fixed;top:0]x[/color]",
    "[color=rgb(1,2,3);background:url(x)]x[/color]",
    "[color=rgb(999,0,0)]x[/color]",
    "[color=\\72 ed]x[/color]",
    "[color=red/*x*/;behavior:url(x.htc)]x[/color]",
    "[color=</span><script>alert(1)</script>]x[/color]",
    "[size=7;background:url(javascript:alert(1))]x[/size]",
    "[size=expression(alert(1))]x[/size]",
    '[size=3" onmouseover="alert(1)]x[/size]',
    "[size=100px;position:fixed]x[/size]",
    "[size=-1]x[/size]",
    # Quote, spoiler, code and list parameters
    '[quote="<script>alert(1)</script>, post: 1"]x[/quote]',
    '[quote="x\\" onmouseover=\\"alert(1), post: 1"]x[/quote]',
    '[quote="Eve, post: 1 onmouseover=alert(1)"]x[/quote]',
    '[quote="Eve, post: javascript:alert(1)"]x[/quote]',
    "[quote=<img src=x onerror=alert(1)>]x[/quote]",
    "[spoiler=<script>alert(1)</script>]x[/spoiler]",
    '[spoiler="><img src=x onerror=alert(1)>]x[/spoiler]',
    '[code="><script>alert(1)</script>]x[/code]',
    "[code=js onmouseover=alert(1)]x[/code]",
    "[code]<script>alert(1)</script>[/code]",
    "[icode]<img src=x onerror=alert(1)>[/icode]",
    '[list=1" onmouseover="alert(1)][*]x[/list]',
    '[list="a" onclick="alert(1)"][*]x[/list]',
    "[indent=1 onclick=alert(1)]x[/indent]",
    # Nesting and splitting tricks
    "[b]<scr[/b]ipt>alert(1)</script>",
    "[url=http://ok.example]<[/url]script>alert(1)</script>",
    "<[b]script[/b]>alert(1)</script>",
    "[quote][url=javascript:alert(1)]x[/url][/quote]",
    "[spoiler][img]javascript:alert(1)[/img][/spoiler]",
    "[list][*][url=javascript:alert(1)]x[/url][/list]",
    "[code][url=javascript:alert(1)]x[/url][/code][url=javascript:alert(2)]y[/url]",
    "[b][i][u][s][color=red][size=3][url=javascript:alert(1)]x[/url]"
    "[/size][/color][/s][/u][/i][/b]",
    "[quote]" * 40 + "<script>alert(1)</script>" + "[/quote]" * 40,
    "http://ok.example/<script>alert(1)</script>",
    'http://ok.example/"onmouseover="alert(1)',
    "www.ok.example/'onmouseover='alert(1)",
    "@<script>alert(1)</script>",
    '@alice" onmouseover="alert(1)',
    "a@b.example<script>alert(1)</script>",
]

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "style",
    "link",
    "meta",
    "base",
    "form",
    "input",
}
SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_ALLOWED_STYLE = re.compile(
    r"color: (?P<colour>#[0-9a-f]{3}|#[0-9a-f]{6}|[a-z]+);"
    r"|font-size: (?P<size>\d+px);"
)


class _Elements(HTMLParser):
    """Every start tag in a document, with its attributes as the browser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, [(name, value or "") for name, value in attrs]))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_safe_url(value: str) -> None:
    cleaned = _INVISIBLE.sub("", value).lower()
    scheme = _SCHEME.match(cleaned)
    if scheme:
        assert scheme.group(1) in SAFE_SCHEMES, value
    else:
        # The renderer's own links: a post or a member page on this site.
        assert cleaned.startswith(("/posts/", "/members/")), value


def assert_safe_style(value: str) -> None:
    match = _ALLOWED_STYLE.fullmatch(value)
    assert match, value
    if match.group("colour"):
        assert values.colour(match.group("colour")) == match.group("colour"), value
    else:
        assert match.group("size") in values.FONT_SIZES.values(), value


def assert_safe_html(html: str) -> None:
    for tag, attrs in elements(html):
        assert tag not in FORBIDDEN_TAGS, html
        assert tag in allowlist.TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert name in allowlist.ATTRIBUTES.get(tag, ()), html
            if name in {"href", "src"}:
                assert_safe_url(value)
            else:
                assert "script:" not in _INVISIBLE.sub("", value).lower(), html
            if name == "style":
                assert_safe_style(value)
            if name == "rel":
                assert value == "nofollow ugc noopener"
    lowered = html.lower()
    for tag in FORBIDDEN_TAGS:
        assert f"<{tag}" not in lowered, html


def known_members(names):
    return {name: name for name in names if name == "alice"}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_input_renders_without_active_content(payload):
    assert_safe_html(render(payload, known_members=known_members))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_input_stays_inert_inside_every_tag(payload):
    wrapped = (
        f'[quote="Eve, post: 1"][b]{payload}[/b][/quote]'
        f"[list][*]{payload}[/list][spoiler={payload}]{payload}[/spoiler]"
    )
    assert_safe_html(render(wrapped, known_members=known_members))


def test_every_link_carries_the_nofollow_rel():
    html = render(
        "[url=http://a.example]a[/url] http://b.example [email]c@d.example[/email] "
        '@alice [quote="Alice, post: 3"]x[/quote]',
        known_members=known_members,
    )
    links = [attrs for tag, attrs in elements(html) if tag == "a"]
    assert len(links) == 5
    assert all(("rel", "nofollow ugc noopener") in attrs for attrs in links)


def test_raw_html_is_shown_as_text():
    html = render("<script>alert('x')</script>")
    assert html == "<p>&lt;script&gt;alert('x')&lt;/script&gt;</p>"


def test_validated_styles_are_the_only_styles():
    html = render("[color=red]a[/color][size=4]b[/size][color=#123456]c[/color]")
    styles = [
        value for _, attrs in elements(html) for name, value in attrs if name == "style"
    ]
    assert styles == ["color: red;", "font-size: 15px;", "color: #123456;"]


@pytest.mark.parametrize(
    "unsafe",
    [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<a href="java&#9;script:alert(1)" rel="nofollow ugc noopener">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<b onclick="alert(1)">x</b>',
        '<span style="color: red; background: url(x)">x</span>',
        '<span style="color: expression(alert(1));">x</span>',
        '<a href="//evil.example/" rel="nofollow ugc noopener">x</a>',
    ],
)
def test_the_checker_itself_catches_unsafe_html(unsafe):
    with pytest.raises(AssertionError):
        assert_safe_html(unsafe)
