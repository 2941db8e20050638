"""Strict readers for settings that come from the environment.

A typo has to stop the process with a message naming the variable, never quietly
mean "off": ``SECURE_SSL_REDIRECT=Ture`` is an error, not plain HTTP. A variable that
is unset or empty takes its default (docker compose passes ``${NAME}`` of an unset
variable as an empty string).

Neither PyPI helper fits as is: django-environ reads any unknown word as false, and
environs (marshmallow's booleans) takes "t" and "n" but refuses "tRuE" and an empty
value, and would add two dependencies for these few lines.
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})
INTEGER = re.compile(r"[+-]?[0-9]+")


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use true/false, yes/no, on/off or 1/0."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    if not INTEGER.fullmatch(raw):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.")
    value = int(raw)
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]
