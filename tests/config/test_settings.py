"""config/settings.py with DEBUG off: it fails closed and assumes HTTPS.

Settings are read fresh from the file (runpy) with an environment of the test's own,
or, where what matters is how the process ends, in a subprocess with exactly the
environment an operator would give it.
"""

import runpy
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "config" / "settings.py"
# Checks never connect, but a URL keeps the settings from starting an embedded server.
LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
HTTPS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
)
READS = (
    "DJANGO_DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "BEHIND_PROXY",
    "PROXY_HOPS",
    "REDIS_URL",
    "FORUM_SITE_NAME",
    "DEFAULT_FROM_EMAIL",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
)


def production(**extra: str) -> dict[str, str]:
    """Only what the issue says a deployment must set, and nothing from this run."""
    return {
        "DJANGO_DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "forum.example.org",
        "DATABASE_URL": LOCAL_SERVER,
        **extra,
    }


def read_settings(monkeypatch, **env: str) -> dict:
    for name in READS:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"DATABASE_URL": LOCAL_SERVER, **env}.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_only_debug_off_a_key_and_hosts():
    result = manage(production(), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_still_flags_a_plain_http_setup():
    env = production(SECURE_SSL_REDIRECT="off", SECURE_COOKIES="off")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for warning in ("security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_check_deploy_flags_a_debug_deployment():
    env = production(DJANGO_DEBUG="True")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0 and "security.W018" in result.stderr


def test_without_a_secret_key_the_process_stops_with_one_line_naming_it():
    env = production()
    del env["SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set; with "
        "DJANGO_DEBUG off it must be a long random string (see .env.example)."
    )


def test_a_mistyped_boolean_stops_the_process_naming_the_variable():
    result = manage(production(SECURE_SSL_REDIRECT="Ture"), "check")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SECURE_SSL_REDIRECT='Ture' is "
        "not a boolean: use true/false, yes/no, on/off or 1/0."
    )


def test_an_empty_secret_key_is_no_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        read_settings(monkeypatch, DJANGO_DEBUG="False", SECRET_KEY="")


def test_debug_alone_may_use_the_development_key(monkeypatch):
    settings = read_settings(monkeypatch, DJANGO_DEBUG="True")
    assert settings["SECRET_KEY"].startswith("dev-only-")


def test_https_is_on_by_default_with_debug_off(monkeypatch):
    settings = read_settings(monkeypatch, **production())
    assert all(settings[name] is True for name in HTTPS)
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["SECURE_PROXY_SSL_HEADER"] is None


def test_each_https_setting_can_be_switched_off_for_plain_http(monkeypatch):
    settings = read_settings(
        monkeypatch,
        **production(
            SECURE_SSL_REDIRECT="False",
            SECURE_COOKIES="no",
            SECURE_HSTS_SECONDS="0",
            SECURE_HSTS_INCLUDE_SUBDOMAINS="off",
            SECURE_HSTS_PRELOAD="0",
        ),
    )
    assert not any(settings[name] for name in HTTPS)
    assert settings["SECURE_HSTS_SECONDS"] == 0


def test_debug_leaves_https_off(monkeypatch):
    settings = read_settings(monkeypatch, DJANGO_DEBUG="True")
    assert not any(settings[name] for name in HTTPS)
    assert settings["SECURE_HSTS_SECONDS"] == 0


def test_the_proxy_is_trusted_only_when_configured(monkeypatch):
    settings = read_settings(monkeypatch, **production(BEHIND_PROXY="yes"))
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert (settings["BEHIND_PROXY"], settings["PROXY_HOPS"]) == (True, 1)
    with pytest.raises(ImproperlyConfigured, match="PROXY_HOPS='0'"):
        read_settings(monkeypatch, **production(PROXY_HOPS="0"))


def test_mail_comes_from_the_site_name(monkeypatch):
    settings = read_settings(monkeypatch, **production(FORUM_SITE_NAME="Bikes, Etc."))
    assert settings["DEFAULT_FROM_EMAIL"] == '"Bikes, Etc." <noreply@localhost>'


# The development machines and CI run Redis on 127.0.0.1:6379; without it this fails.
def test_redis_url_gives_a_working_shared_cache(monkeypatch):
    # Django's own backend, which needs only the redis package (no django-redis).
    settings = read_settings(
        monkeypatch, **production(REDIS_URL="redis://127.0.0.1:6379/0")
    )
    config = settings["CACHES"]["default"]
    # Django's backend, counting hits and misses for the metrics (config/metrics.py).
    assert config["BACKEND"] == "config.metrics.CountedRedisCache"
    assert issubclass(import_string(config["BACKEND"]), RedisCache)
    cache = import_string(config["BACKEND"])(config["LOCATION"], {})
    key = f"colloquy-test-{uuid.uuid4().hex}"
    try:
        cache.set(key, {"posts": 3}, timeout=60)
        assert cache.get(key) == {"posts": 3}
    finally:
        cache.delete(key)
