"""config/env.py: settings from the environment take clear words or stop the site."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("tRuE", True),
        ("Yes", True),
        ("on", True),
        ("1", True),
        (" yes ", True),
        ("false", False),
        ("False", False),
        ("NO", False),
        ("Off", False),
        ("0", False),
    ],
)
def test_booleans_take_true_and_false_words_in_any_case(monkeypatch, raw, expected):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", raw)
    assert env_bool("SECURE_SSL_REDIRECT", not expected) is expected


@pytest.mark.parametrize("raw", ["Ture", "flase", "2", "-1", "y", "t", "yes please"])
def test_any_other_boolean_is_an_error_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", raw)
    with pytest.raises(ImproperlyConfigured) as refusal:
        env_bool("SECURE_SSL_REDIRECT", True)
    assert str(refusal.value).startswith(f"SECURE_SSL_REDIRECT={raw.strip()!r} ")


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_an_unset_or_empty_boolean_takes_its_default(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("SECURE_SSL_REDIRECT", raising=False)
    else:
        monkeypatch.setenv("SECURE_SSL_REDIRECT", raw)
    assert env_bool("SECURE_SSL_REDIRECT", True) is True
    assert env_bool("SECURE_SSL_REDIRECT", False) is False


@pytest.mark.parametrize(("raw", "expected"), [("3600", 3600), (" 0 ", 0), ("+7", 7)])
def test_whole_numbers_are_read(monkeypatch, raw, expected):
    monkeypatch.setenv("SECURE_HSTS_SECONDS", raw)
    assert env_int("SECURE_HSTS_SECONDS", 1) == expected


@pytest.mark.parametrize("raw", ["1.5", "ten", "1_000", "1e3", "0x10", "٣"])
def test_anything_but_a_whole_number_is_an_error_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SECURE_HSTS_SECONDS", raw)
    with pytest.raises(ImproperlyConfigured, match="SECURE_HSTS_SECONDS=.* whole"):
        env_int("SECURE_HSTS_SECONDS", 0)


def test_a_number_below_the_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("PROXY_HOPS", "0")
    with pytest.raises(ImproperlyConfigured, match="PROXY_HOPS='0' must be at least 1"):
        env_int("PROXY_HOPS", 1, minimum=1)
    monkeypatch.setenv("PROXY_HOPS", "")
    assert env_int("PROXY_HOPS", 1, minimum=1) == 1


def test_lists_drop_blank_items(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " forum.example.org, ,127.0.0.1,")
    assert env_list("ALLOWED_HOSTS") == ["forum.example.org", "127.0.0.1"]
