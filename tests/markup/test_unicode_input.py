"""Hostile Unicode in member text: numbers written in other scripts, control and bidi
characters, towers of combining marks. Each renders without an error."""

import pytest

from markup import problems, render

# Superscript two, circled one, Arabic-Indic and fullwidth digits.
UNICODE_DIGITS = ["²", "①", "١", "١٢", "２"]


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
def test_tag_options_of_unicode_digits_stay_literal(digits):
    for source in (
        f"[size={digits}]x[/size]",
        f"[size={digits}px]x[/size]",
        f"[indent={digits}]x[/indent]",
        f"[list={digits}][*]x[/list]",
        f"[color=rgb({digits},0,0)]x[/color]",
    ):
        html = render(source)
        assert "style=" not in html and "bbindent" not in html, source
        assert problems(source) == []


def test_quote_source_ids_are_ascii_digits_only():
    html = render('[quote="bob, post: ١٢, member: ３"]hi[/quote]')
    assert "data-post" not in html and "data-member" not in html
    assert "/posts/" not in html
    assert "post: ١٢" in html  # the unread part stays in the name, as typed
    linked = render('[quote="bob, post: 12, member: 3"]hi[/quote]')
    assert 'data-post="12"' in linked and 'data-member="3"' in linked
