"""Hostile Unicode in member text: numbers written in other scripts, control and bidi
characters, towers of combining marks. Each renders without an error."""

import pytest

from markup import problems, render
from markup.characters import (
    MAX_COMBINING_MARKS,
    limit_combining_marks,
    longest_mark_run,
)

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


def test_render_drops_control_characters_but_tab_and_newline():
    html = render("a\x00b\x01c\x7fd\x85e\x9ff\tg\r\nh\ri")
    assert html == "<p>abcdef\tg<br>h<br>i</p>"


def test_render_keeps_a_few_combining_marks_per_letter():
    assert render("Tiê\u0301ng") == "<p>Tiê\u0301ng</p>"
    tower = render("Z" + "\u0336\u0301" * 2500 + " next")
    marks = sum(1 for ch in tower if "\u0300" <= ch <= "\u036f")
    assert marks == MAX_COMBINING_MARKS
    assert tower.endswith(" next</p>")


def test_combining_marks_after_each_letter_are_counted_apart():
    word = "a\u0301\u0302" * 100
    assert render(word) == f"<p>{word}</p>"
    assert longest_mark_run(word) == 2
    assert limit_combining_marks("e" + "\u0301" * 9, limit=3) == "e\u0301\u0301\u0301"


@pytest.mark.parametrize("name", ["\u202eevil", "שרה", "\u2067x", "Bob\u200f", "عمر 2"])
def test_quote_attribution_isolates_the_name_from_said(name):
    html = render(f'[quote="{name}"]hi[/quote]')
    # An RLO stays in the name (bodies keep bidi controls): <bdi> ends its reach.
    assert f'<div class="bbquote-header"><bdi>{name}</bdi> said:</div>' in html


def test_a_member_cannot_write_bdi_markup_of_their_own():
    html = render("<bdi>x</bdi> [b]y[/b]")
    assert "<bdi>" not in html and "&lt;bdi&gt;" in html
