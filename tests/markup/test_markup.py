import pytest

from markup import mentions, problems, render
from markup.parser import MAX_DEPTH, Node, parse

REL = 'rel="nofollow ugc noopener"'
JUMP = (
    f'<a href="/posts/123/" class="bbquote-jump" {REL}><span aria-hidden="true">↑'
    '</span><span class="visually-hidden">Go to the quoted post</span></a>'
)


def members(*usernames: str) -> mentions.MemberLookup:
    known = {name.lower(): name for name in usernames}
    return lambda names: {name: known[name] for name in names if name in known}


def quote_block(body: str, header: str = "", data: str = "") -> str:
    header = f'<div class="bbquote-header">{header}</div>' if header else ""
    return (
        f'<blockquote class="bbquote"{data}>{header}'
        f'<div class="bbquote-body">{body}</div></blockquote>'
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hello", "<p>hello</p>"),
        ("one\ntwo", "<p>one<br>two</p>"),
        ("one\n\n\ntwo", "<p>one</p><p>two</p>"),
        ("a < b & c", "<p>a &lt; b &amp; c</p>"),
        ("<b>hi</b>", "<p>&lt;b&gt;hi&lt;/b&gt;</p>"),
        ("  padded  ", "<p>padded</p>"),
        ("crlf\r\nline", "<p>crlf<br>line</p>"),
        ("", ""),
        ("   \n\n  ", ""),
    ],
)
def test_plain_text_rendering(source, expected):
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "see https://example.com/page?a=1&b=2 now",
            '<p>see <a href="https://example.com/page?a=1&amp;b=2" class="bblink" '
            f"{REL}>https://example.com/page?a=1&amp;b=2</a> now</p>",
        ),
        (
            "www.example.com/path.",
            f'<p><a href="http://www.example.com/path" class="bblink" {REL}>'
            "www.example.com/path</a>.</p>",
        ),
        (
            "(see http://a.com/x_(y))",
            f'<p>(see <a href="http://a.com/x_(y)" class="bblink" {REL}>'
            "http://a.com/x_(y)</a>)</p>",
        ),
        (
            "mail me@example.com",
            f'<p>mail <a href="mailto:me@example.com" class="bblink" {REL}>'
            "me@example.com</a></p>",
        ),
        ("foohttp://x.com", "<p>foohttp://x.com</p>"),
    ],
)
def test_bare_urls_become_nofollow_links(source, expected):
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[b]bold[/b]", "<p><b>bold</b></p>"),
        ("[B]bold[/b]", "<p><b>bold</b></p>"),
        ("[i]it[/I]", "<p><i>it</i></p>"),
        ("[u]under[/u]", "<p><u>under</u></p>"),
        ("[s]gone[/S]", "<p><s>gone</s></p>"),
        ("[b][i]both[/i][/b]", "<p><b><i>both</i></b></p>"),
        ("[b]one\n\ntwo[/b]", "<p><b>one<br><br>two</b></p>"),
        ("[color=red]red[/color]", '<p><span style="color: red;">red</span></p>'),
        ("[COLOR=Red]red[/COLOR]", '<p><span style="color: red;">red</span></p>'),
        ("[color=#A0b]hex[/color]", '<p><span style="color: #a0b;">hex</span></p>'),
        (
            "[color=#aabbcc]hex[/color]",
            '<p><span style="color: #aabbcc;">hex</span></p>',
        ),
        (
            "[color=rgb(184, 49, 47)]xf[/color]",
            '<p><span style="color: #b8312f;">xf</span></p>',
        ),
        ("[size=1]s[/size]", '<p><span style="font-size: 9px;">s</span></p>'),
        ("[size=7]s[/size]", '<p><span style="font-size: 26px;">s</span></p>'),
        ("[SIZE=22px]s[/SIZE]", '<p><span style="font-size: 22px;">s</span></p>'),
        (
            "[icode][b]x[/b] <y>[/icode]",
            '<p><code class="bbicode">[b]x[/b] &lt;y&gt;</code></p>',
        ),
    ],
)
def test_inline_tags(source, expected):
    assert render(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "[url]http://example.com[/url]",
            f'<p><a href="http://example.com" class="bblink" {REL}>'
            "http://example.com</a></p>",
        ),
        (
            "[URL=https://example.com/a?b=1&c=2]the [b]site[/b][/URL]",
            '<p><a href="https://example.com/a?b=1&amp;c=2" class="bblink" '
            f"{REL}>the <b>site</b></a></p>",
        ),
        (
            '[url="http://example.com"]quoted[/url]',
            f'<p><a href="http://example.com" class="bblink" {REL}>quoted</a></p>',
        ),
        (
            "[url=example.com]bare domain[/url]",
            f'<p><a href="http://example.com" class="bblink" {REL}>bare domain</a></p>',
        ),
        (
            "[url=http://a.com][url=http://b.com]inner[/url][/url]",
            f'<p><a href="http://a.com" class="bblink" {REL}>inner</a></p>',
        ),
        (
            "[url=http://a.com]http://b.com @alice[/url]",
            f'<p><a href="http://a.com" class="bblink" {REL}>'
            "http://b.com @alice</a></p>",
        ),
        (
            "[email]me@example.com[/email]",
            f'<p><a href="mailto:me@example.com" class="bblink" {REL}>'
            "me@example.com</a></p>",
        ),
        (
            "[EMAIL=me@example.com]write[/EMAIL]",
            f'<p><a href="mailto:me@example.com" class="bblink" {REL}>write</a></p>',
        ),
        (
            "[url=mailto:me@example.com]write[/url]",
            f'<p><a href="mailto:me@example.com" class="bblink" {REL}>write</a></p>',
        ),
        (
            "[img]https://example.com/cat.png[/img]",
            '<p><img src="https://example.com/cat.png" alt="" loading="lazy" '
            'class="bbimage"></p>',
        ),
        (
            "[IMG]http://example.com/a[b].png[/IMG]",
            '<p><img src="http://example.com/a[b].png" alt="" loading="lazy" '
            'class="bbimage"></p>',
        ),
    ],
)
def test_links_and_images(source, expected):
    assert render(source, known_members=members("alice")) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "[code]\n[b]not bold[/b] <tag>\n  indented\n[/code]",
            '<div class="bbcode-block"><div class="bbcode-title">Code:</div>'
            '<pre class="bbcode"><code>[b]not bold[/b] &lt;tag&gt;\n  indented'
            "</code></pre></div>",
        ),
        (
            "[CODE=Python]print('http://x.com @alice')[/CODE]",
            '<div class="bbcode-block"><div class="bbcode-title">Code: python</div>'
            '<pre class="bbcode"><code class="language-python">'
            "print('http://x.com @alice')</code></pre></div>",
        ),
        (
            "[code=<b>]x[/code]",
            '<div class="bbcode-block"><div class="bbcode-title">Code:</div>'
            '<pre class="bbcode"><code>x</code></pre></div>',
        ),
        (
            "[list]\n[*]one\n[*]two [b]bold[/b]\n[/list]",
            '<ul class="bblist"><li>one</li><li>two <b>bold</b></li></ul>',
        ),
        (
            "[LIST=1][*]a[*]b[/LIST]",
            '<ol class="bblist" type="1"><li>a</li><li>b</li></ol>',
        ),
        ("[list=a][*]a[/list]", '<ol class="bblist" type="a"><li>a</li></ol>'),
        ("[list=disc][*]a[/list]", '<ul class="bblist"><li>a</li></ul>'),
        (
            "[list]before[*]a[/list]",
            '<ul class="bblist"><li>before</li><li>a</li></ul>',
        ),
        (
            "[list][*]outer[list][*]inner[/list][*]next[/list]",
            '<ul class="bblist"><li>outer<ul class="bblist"><li>inner</li></ul></li>'
            "<li>next</li></ul>",
        ),
        (
            "[spoiler]hidden[/spoiler]",
            '<details class="bbspoiler"><summary>Spoiler</summary>'
            '<div class="bbspoiler-body">hidden</div></details>',
        ),
        (
            "[SPOILER=The ending]they [i]win[/i][/SPOILER]",
            '<details class="bbspoiler"><summary>Spoiler: The ending</summary>'
            '<div class="bbspoiler-body">they <i>win</i></div></details>',
        ),
        ("[center]mid[/center]", '<div class="bbcenter">mid</div>'),
        ("[indent]in[/indent]", '<div class="bbindent">in</div>'),
        ("[indent=3]in[/indent]", '<div class="bbindent bbindent-3">in</div>'),
        (
            "before\n[center]\nmid\n[/center]\nafter",
            '<p>before</p><div class="bbcenter">mid</div><p>after</p>',
        ),
    ],
)
def test_block_tags(source, expected):
    assert render(source, known_members=members("alice")) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            '[QUOTE="Alice, post: 123, member: 45"]hi there[/QUOTE]',
            quote_block(
                "hi there",
                f"<bdi>Alice</bdi> said: {JUMP}",
                ' data-post="123" data-member="45"',
            ),
        ),
        (
            '[quote="Smith, John, post: 123"]x[/quote]',
            quote_block(
                "x", f"<bdi>Smith, John</bdi> said: {JUMP}", ' data-post="123"'
            ),
        ),
        (
            "[quote=Bob]short[/quote]",
            quote_block("short", "<bdi>Bob</bdi> said:"),
        ),
        (
            "[quote='Bob']short[/quote]",
            quote_block("short", "<bdi>Bob</bdi> said:"),
        ),
        ("[quote]plain[/quote]", quote_block("plain")),
        (
            '[quote="<b>Eve</b>"]x[/quote]',
            quote_block("x", "<bdi>&lt;b&gt;Eve&lt;/b&gt;</bdi> said:"),
        ),
        (
            "[quote]a\n[quote=Bob]b[/quote]\nc[/quote]",
            quote_block("a" + quote_block("b", "<bdi>Bob</bdi> said:") + "c"),
        ),
        (
            "reply above\n[quote]q[/quote]\nreply below",
            "<p>reply above</p>" + quote_block("q") + "<p>reply below</p>",
        ),
    ],
)
def test_quotes_in_xenforo_forms(source, expected):
    assert render(source) == expected


def test_long_quotes_are_folded_behind_click_to_expand():
    by_lines = render("[quote=Bob]" + "line\n" * 9 + "[/quote]")
    by_length = render("[quote]" + "word " * 130 + "[/quote]")
    short = render("[quote]" + "line\n" * 8 + "[/quote]")
    for html in (by_lines, by_length):
        assert (
            '<details class="bbquote-fold"><summary>Click to expand…</summary>' in html
        )
    assert "<bdi>Bob</bdi> said:" in by_lines.split("<details")[0]
    assert "<details" not in short


def test_quotes_deeper_than_the_cap_collapse_to_a_link():
    html = render(
        "[quote=A][quote=B][quote=C]"
        '[quote="D, post: 7"]deepest[/quote][quote]x[/quote]'
        "[/quote][/quote][/quote]"
    )
    assert html.count('<blockquote class="bbquote"') == 3
    assert "deepest" not in html
    assert (
        '<div class="bbquote-collapsed"><a href="/posts/7/" class="bblink" '
        f"{REL}>[quote: <bdi>D</bdi>]</a></div>"
    ) in html
    assert '<div class="bbquote-collapsed">[quote]</div>' in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[b]unclosed", "<p>[b]unclosed</p>"),
        ("closed only[/b]", "<p>closed only[/b]</p>"),
        ("[b][i]crossed[/b][/i]", "<p><b>[i]crossed</b>[/i]</p>"),
        ("[foo]unknown[/foo]", "<p>[foo]unknown[/foo]</p>"),
        ("[b ]space[/b]", "<p>[b ]space[/b]</p>"),
        ("[code]never closed [b]x[/b]", "<p>[code]never closed <b>x</b></p>"),
        ("[quote]never closed", "<p>[quote]never closed</p>"),
        ("[list][*]never closed", "<p>[list][*]never closed</p>"),
        ("[*]outside a list", "<p>[*]outside a list</p>"),
        ("[/b=x]", "<p>[/b=x]</p>"),
        ("[url=javascript:alert(1)]x[/url]", "<p>[url=javascript:alert(1)]x[/url]</p>"),
        ("[url]not a url[/url]", "<p>[url]not a url[/url]</p>"),
        ("[img]javascript:alert(1)[/img]", "<p>[img]javascript:alert(1)[/img]</p>"),
        ("[img]//example.com/a.png[/img]", "<p>[img]//example.com/a.png[/img]</p>"),
        ("[email]nobody[/email]", "<p>[email]nobody[/email]</p>"),
        ("[color=blurple]x[/color]", "<p>[color=blurple]x[/color]</p>"),
        ("[color]x[/color]", "<p>[color]x[/color]</p>"),
        ("[size=8]x[/size]", "<p>[size=8]x[/size]</p>"),
        ("[size=0px]x[/size]", "<p>[size=0px]x[/size]</p>"),
        ("[b]", "<p>[b]</p>"),
        ("[", "<p>[</p>"),
        ("[]", "<p>[]</p>"),
    ],
)
def test_broken_and_unknown_tags_stay_literal(source, expected):
    assert render(source) == expected


def test_tags_nested_past_the_depth_limit_stay_literal():
    source = "[b]" * (MAX_DEPTH + 5) + "x" + "[/b]" * (MAX_DEPTH + 5)
    html = render(source)
    assert html.count("<b>") == MAX_DEPTH
    assert html.count("[b]") == 5 and html.count("[/b]") == 5


def test_mentions_link_only_members_who_exist():
    html = render("hi @alice, @Carol and @BOB.", known_members=members("alice", "Bob"))
    assert html == (
        f'<p>hi <a href="/members/alice/" class="bbmention" {REL}>@alice</a>, '
        f'@Carol and <a href="/members/Bob/" class="bbmention" {REL}>@BOB</a>.</p>'
    )


def test_mentions_are_not_looked_for_in_code_links_or_addresses():
    asked = []

    def lookup(names):
        asked.append(sorted(names))
        return {}

    render(
        "[code]@a[/code] [icode]@b[/icode] [url=http://x.com]@c[/url] d@e.com @f @f",
        known_members=lookup,
    )
    assert asked == [["f"]]


def test_rendering_without_mentions_asks_no_one():
    def lookup(names):
        raise AssertionError("no lookup expected")

    assert render("no names here", known_members=lookup) == "<p>no names here</p>"


def test_without_a_lookup_no_mention_is_linked():
    # No database here: a lookup the renderer made by itself would fail this test.
    assert render("hi @alice") == "<p>hi @alice</p>"


def test_cached_lookup_asks_only_for_new_names():
    asked = []

    def lookup(names):
        asked.append(sorted(names))
        return {"a": "A"} if "a" in names else {}

    cached = mentions.CachedLookup(lookup)
    assert cached(["a", "b"]) == {"a": "A"}
    assert cached(["a", "b", "c"]) == {"a": "A"}
    assert asked == [["a", "b"], ["c"]]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        (
            "[quote]" * 11 + "x" + "[/quote]" * 11,
            "nested 11 levels deep; the limit is 10",
        ),
        ("[img]http://a.com/x.png[/img]" * 21, "21 images; the limit is 20"),
        ("x" * 50_001, "50,001 characters long; the limit is 50,000"),
        ("[b]" * (MAX_DEPTH + 1) + "x", f"more than {MAX_DEPTH} levels deep"),
        (
            "[quote]" * 3_000 + "x" + "[/quote]" * 3_000,
            "nested 3,000 levels deep; the limit is 10",
        ),
    ],
)
def test_problems_name_each_broken_limit(source, fragment):
    found = problems(source)
    assert len(found) == 1
    assert fragment in found[0]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "plain",
        "[quote]" * 10 + "x" + "[/quote]" * 10,
        "[img]http://a.com/x.png[/img]" * 20,
        "[code]" + "[quote]" * 50 + "[/code]",
        "x" * 50_000,
    ],
)
def test_problems_accept_posts_within_the_limits(source):
    assert problems(source) == []


def tree_depth(node: Node) -> int:
    return max(
        (1 + tree_depth(child) for child in node.children if isinstance(child, Node)),
        default=0,
    )


# A tag is read once, looks at no more than MAX_DEPTH open tags to find the one it
# closes, and it and the text before it move out of at most MAX_DEPTH unclosed tags.
STEPS_PER_TAG = 1 + MAX_DEPTH + 2 * MAX_DEPTH


@pytest.mark.parametrize(
    "source",
    [
        "[QUOTE]" * 20_000 + "deep" + "[/QUOTE]" * 20_000,
        "[quote]" * 20_000 + "never closed",
        "[b]" * 10_000 + "x[/i]" * 10_000,
        "[b][i]" * 10_000 + "[/b][/i]" * 10_000,
        "[b][quote][list][*][spoiler]" * 4_000 + "x",
    ],
    ids=["closed-quotes", "unclosed-quotes", "stray-closers", "crossed", "mixed"],
)
def test_hostile_nesting_costs_a_bounded_number_of_steps_per_tag(source):
    root, stats = parse(source)
    assert stats.steps <= STEPS_PER_TAG * source.count("[")
    assert tree_depth(root) <= MAX_DEPTH


def test_twenty_thousand_nested_quotes_render_what_ten_thousand_do():
    html = render("[QUOTE]" * 20_000 + "deep" + "[/QUOTE]" * 20_000)
    assert html.count('<blockquote class="bbquote"') == 3
    assert html == render("[QUOTE]" * 10_000 + "deep" + "[/QUOTE]" * 10_000)


def test_a_body_over_the_length_limit_is_refused_before_it_is_parsed():
    # Nested far too deep as well: only the length is reported, so nothing was parsed.
    assert problems("[QUOTE]" * 150_000) == [
        "The message is 1,050,000 characters long; the limit is 50,000."
    ]


def test_a_one_megabyte_paragraph_renders_as_one_paragraph_of_the_same_text():
    plain = ("A long ordinary paragraph of forum text. " * 25_000)[:1_000_000]
    assert render(plain) == f"<p>{plain.strip()}</p>"
