"""Properties over generated text: rendering never raises and stays in the allowlist."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from markup import allowlist, problems, render
from markup.parser import TAG_NAMES
from tests.markup.test_markup_xss import assert_safe_html, elements

OPTIONS = [
    "",
    "=",
    "=red",
    "=#abc",
    "=7",
    "=1",
    "=http://example.com",
    "=javascript:alert(1)",
    '="Name, post: 1, member: 2"',
    "='x'",
    '="',
    "=<b>",
]
TAG_FRAGMENTS = [
    f"[{slash}{name}{option if not slash else ''}]"
    for name in TAG_NAMES
    for slash in ("", "/")
    for option in (OPTIONS if not slash else [""])
] + [
    "[",
    "]",
    "[/",
    "=",
    '"',
    "<",
    ">",
    "&",
    "&amp;",
    "<script>",
    "<a href='javascript:x'>",
    " onerror=",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\x00",
    "@",
    "@alice",
    "http://",
    "https://example.com/x?a=1&b=2",
    "www.",
    "javascript:",
    "mailto:",
    "a@b.example",
    "…",
    "\u202e",
]

texts = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.one_of(st.sampled_from(TAG_FRAGMENTS), st.text(max_size=8)), max_size=60
    ).map("".join),
)


def known_members(names):
    return {name: name for name in names if name in {"alice", "a"}}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_any_text_renders_to_allowlisted_html(source):
    html = render(source, known_members=known_members)
    assert_safe_html(html)
    for tag, attrs in elements(html):
        for name, value in attrs:
            assert allowlist.allow_attribute(tag, name, value), (tag, name, value)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_problems_never_raise_and_return_messages(source):
    found = problems(source)
    assert isinstance(found, list)
    assert all(isinstance(message, str) and message for message in found)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="[@:.&<>"), max_size=200))
def test_text_without_markup_keeps_every_word(source):
    html = render(source, known_members=known_members)
    for word in source.split():
        if word.isprintable():
            assert word in html
