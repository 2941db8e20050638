"""The container's entry point, run outside Docker: migrate, then gunicorn serving
the forum with DEBUG off, whitenoise static files and the HTTPS settings DEBUG off
turns on by default, against a fresh database on a real PostgreSQL server.

tests/config/test_settings.py checks the settings themselves (check --deploy, the
missing SECRET_KEY)."""

import http.client
import re
import signal
import subprocess
import time

import psycopg
import pytest

from tests.ops.conftest import ROOT, Databases, free_port, manage, project_env

# No SECURE_* variable: the redirect, HSTS and secure cookies are the defaults.
PRODUCTION = {
    "DJANGO_DEBUG": "False",
    "ALLOWED_HOSTS": "forum.example.org,127.0.0.1",
    "CSRF_TRUSTED_ORIGINS": "https://forum.example.org",
    "BEHIND_PROXY": "True",
    "WEB_CONCURRENCY": "1",
    "BIND_HOST": "127.0.0.1",
}


@pytest.fixture
def databases(local_or_suite_server):
    made = Databases(local_or_suite_server)
    yield made
    made.drop_all()


def get(port: int, path: str, *, https: bool = True, host: str = "forum.example.org"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": host}
    if https:
        headers["X-Forwarded-Proto"] = "https"
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body.decode("utf-8", "replace")


def wait_until_serving(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            out, err = server.communicate()
            pytest.fail(f"entrypoint exited {server.returncode}:\n{out}\n{err}")
        try:
            get(port, "/robots-probe/")
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail("gunicorn did not start listening within 90 seconds")


def test_entrypoint_migrates_and_serves_the_forum_under_gunicorn(databases, tmp_path):
    database_url = databases.create()
    port = free_port()
    env = project_env(
        database_url,
        **PRODUCTION,
        PORT=str(port),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        GUNICORN_RUNTIME_DIR=str(tmp_path / "run"),
    )
    # What the Dockerfile does at build time.
    manage(env, "collectstatic", "--noinput")
    server = subprocess.Popen(
        ["sh", "docker/entrypoint.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until_serving(server, port)
        manage(env, "load_demo_forum")
        with psycopg.connect(database_url) as conn:
            thread_id, title = conn.execute(
                "SELECT id, title FROM forum_thread ORDER BY id LIMIT 1"
            ).fetchone()
            (first_body,) = conn.execute(
                "SELECT body FROM forum_post WHERE thread_id = %s AND position = 1",
                [thread_id],
            ).fetchone()
            (migrated,) = conn.execute(
                "SELECT count(*) FROM django_migrations WHERE app = 'accounts'"
            ).fetchone()
        assert migrated >= 2

        response, html = get(port, "/")
        assert response.status == 200
        assert "max-age=31536000; includeSubDomains; preload" in response.getheader(
            "Strict-Transport-Security", ""
        )
        assert title in html

        # /posts/<id>/ redirects to the post's thread page.
        first_post_id = _first_post_id(database_url, thread_id)
        response, _ = get(port, f"/posts/{first_post_id}/")
        assert response.status == 302
        location = response.getheader("Location").split("#")[0]
        response, thread_html = get(port, location)
        assert response.status == 200
        assert title in thread_html
        assert first_body.split()[0] in thread_html

        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', html)
        assert stylesheet, "whitenoise's hashed stylesheet URL is in the page"
        response, css = get(port, stylesheet.group(1))
        assert response.status == 200 and ".post-body" in css
        assert "immutable" in response.getheader("Cache-Control", "")

        response, body = get(port, "/no-such-page/")
        assert response.status == 404
        assert "Using the URLconf" not in body  # no debug page

        response, _ = get(port, "/", https=False)
        assert response.status == 301
        assert response.getheader("Location") == "https://forum.example.org/"

        response, _ = get(port, "/accounts/login/")
        assert response.status == 200
        cookie = response.getheader("Set-Cookie", "")
        assert cookie.startswith("csrftoken=") and "; Secure" in cookie

        response, _ = get(port, "/", host="evil.example.com")
        assert response.status == 400
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, err = server.communicate()
    assert "Booting worker" in err
    assert "GET / HTTP/1.1" in out + err  # the access log goes to standard output


def _first_post_id(database_url: str, thread_id: int) -> int:
    with psycopg.connect(database_url) as conn:
        (post_id,) = conn.execute(
            "SELECT id FROM forum_post WHERE thread_id = %s AND position = 1",
            [thread_id],
        ).fetchone()
    return post_id


def test_entrypoint_refuses_to_start_without_a_database_url():
    env = project_env("", **PRODUCTION)
    env.pop("DATABASE_URL")
    result = subprocess.run(
        ["sh", "docker/entrypoint.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 64
    assert "DATABASE_URL must point at the PostgreSQL server" in result.stderr


def test_entrypoint_gives_up_when_the_database_never_answers():
    port = free_port()  # nothing listens there
    env = project_env(
        f"postgres://postgres@127.0.0.1:{port}/nothing",
        **PRODUCTION,
        DB_WAIT_SECONDS="2",
    )
    result = subprocess.run(
        ["sh", "docker/entrypoint.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "giving up" in result.stderr
