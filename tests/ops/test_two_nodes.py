"""Two web nodes behind a round-robin proxy behave like one forum.

Two gunicorn nodes (config/gunicorn.py, production settings, one worker each) run
on the suite's PostgreSQL database and one Redis, behind haproxy, which sends
each request to the next node and names it in an ``X-Node`` header, so every
step below knows which node answered. Each node collected its static files
itself, as two machines building one release would.
"""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from bench.nodes import haproxy_config
from forum.models import Post, Thread
from tests.factories import PASSWORD, make_member, make_thread
from tests.ops.conftest import ROOT, VENV_BIN, free_port, project_env, server_url
from tests.redis_server import redis_url
from tests.tools import missing_tool

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_DB = 13
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
GUEST_SEARCHES = 3


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a kill -9 takes its workers too
        )


def wait_for_port(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/robots-probe/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered on port {port}:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Visitor:
    """One browser's worth of cookies, speaking to the proxy."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict | None = None, node: str = ""):
        headers = {"Host": "127.0.0.1", "X-Want-Node": node}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("X-Node"), text

    def get(self, path: str, node: str = ""):
        return self.send("GET", path, node=node)

    def post(self, path: str, form: dict, node: str = ""):
        return self.send("POST", path, form, node=node)


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


@pytest.fixture
def stack(transactional_db, tmp_path):
    if not shutil.which("haproxy") and not Path(HAPROXY).exists():
        missing_tool("haproxy is not installed (apt-get install haproxy; .ci/run does)")
    shared_redis = redis_url(REDIS_DB)
    connection.ensure_connection()
    database_url = server_url(
        connection.connection.info, connection.settings_dict["NAME"]
    )
    release = project_env(
        database_url,
        DJANGO_DEBUG="False",
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_PROXY="True",
        SECURE_SSL_REDIRECT="False",
        SECURE_COOKIES="False",
        SECURE_HSTS_SECONDS="0",
        REDIS_URL=shared_redis,
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG="",
        BIND_HOST="127.0.0.1",
        # Neither node flushes view counts on its own: only node two, as it stops.
        FORUM_VIEW_FLUSH_SECONDS="100000000",
        FORUM_POST_INTERVAL_SECONDS="600",
        FORUM_SEARCH_GUEST_PER_MINUTE=str(GUEST_SEARCHES),
        FORUM_APPROVAL_POSTS="0",
        FORUM_APPROVAL_LINK_POSTS="0",
    )
    nodes = {}
    for name in ("one", "two"):
        env = {
            **release,
            "PORT": str(free_port()),
            "STATIC_ROOT": str(tmp_path / name / "static"),
            "GUNICORN_RUNTIME_DIR": str(tmp_path / name / "run"),
        }
        nodes[name] = {"env": env, "log": tmp_path / f"{name}.log"}
    # Each node builds its static files itself, both at once (admin's are not served).
    collecting = [
        subprocess.Popen(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
            + ["-i", "admin"],
            cwd=ROOT,
            env=node["env"],
        )
        for node in nodes.values()
    ]
    assert [c.wait(timeout=120) for c in collecting] == [0, 0]
    gunicorn = [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.py"]
    proxy_port = free_port()
    config = tmp_path / "haproxy.cfg"
    ports = {name: int(node["env"]["PORT"]) for name, node in nodes.items()}
    config.write_text(haproxy_config(proxy_port, ports, pinnable=True))
    proxy_log = tmp_path / "haproxy.log"
    started: list[subprocess.Popen] = []
    try:
        for node in nodes.values():
            node["process"] = start(
                [*gunicorn, "config.wsgi:application"], node["env"], node["log"]
            )
            started.append(node["process"])
        proxy = start([HAPROXY, "-db", "-f", str(config)], dict(os.environ), proxy_log)
        started.append(proxy)
        for node in nodes.values():
            wait_for_port(node["process"], int(node["env"]["PORT"]), node["log"])
        wait_for_port(proxy, proxy_port, proxy_log)
        yield {
            "port": proxy_port,
            "nodes": {name: node["process"] for name, node in nodes.items()},
            "redis": redis.Redis.from_url(shared_redis),
        }
    finally:
        for process in reversed(started):
            stop(process)
        redis.Redis.from_url(shared_redis).flushdb()


def test_two_nodes_behind_a_proxy_behave_as_one(stack):
    member = make_member("alice")
    # The nodes know only the production hashers; few rounds keep the login cheap
    # (the node hashes it again, once, at full strength).
    member.password = PBKDF2PasswordHasher().encode(PASSWORD, "nodes", iterations=1)
    member.save(update_fields=["password"])
    thread = make_thread(title="Across the nodes", body="Which node am I on?")
    thread_url = thread.get_absolute_url()
    guest, alice = Visitor(stack["port"]), Visitor(stack["port"])
    thread_views = 0

    # Static files: both nodes, each with its own collected copy, name the
    # stylesheet alike, and each serves it.
    pages = [guest.get("/") for _ in range(2)]
    assert {node for _, node, _ in pages} == {"one", "two"}
    (stylesheet,) = {
        re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
        for _, _, html in pages
    }
    served = [guest.get(stylesheet) for _ in range(2)]
    assert {node for _, node, _ in served} == {"one", "two"}
    assert all(status == 200 and ".post-body" in css for status, _, css in served)

    # Logged in through one node, still logged in on the other.
    _, _, form = alice.get("/accounts/login/", node="two")
    status, node, _ = alice.post(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": csrf_token(form),
            "username": "alice",
            "password": PASSWORD,
        },
        node="one",
    )
    assert (status, node) == (302, "one")
    status, node, html = alice.get(thread_url, node="two")
    thread_views += 1
    assert (status, node) == (200, "two")
    assert "Log out" in html and "alice" in html

    # A reply posted through one node shows at once on the other.
    reply = {"csrfmiddlewaretoken": csrf_token(html), "body": "Posted on node one."}
    status, node, _ = alice.post(
        f"/threads/{thread.pk}/reply/",
        {**reply, "submission_token": uuid.uuid4()},
        node="one",
    )
    assert (status, node) == (302, "one")
    status, node, html = guest.get(thread_url, node="two")
    thread_views += 1
    assert (status, node) == (200, "two")
    assert "Posted on node one." in html

    # Rate limits count across nodes: flood control refuses a second reply on the
    # other node, and a guest's searches are counted wherever they land.
    again = {**reply, "body": "And again at once.", "submission_token": uuid.uuid4()}
    status, node, html = alice.post(f"/threads/{thread.pk}/reply/", again, node="two")
    assert (status, node) == (429, "two")
    assert "Try again in" in html and "And again at once." in html
    assert Post.objects.filter(thread=thread).count() == 2
    searches = [guest.get("/search/?q=node") for _ in range(GUEST_SEARCHES + 1)]
    assert {node for _, node, _ in searches} == {"one", "two"}
    assert [status for status, _, _ in searches] == [200] * GUEST_SEARCHES + [429]

    # View counts add up exactly when a node dies before it ever flushed.
    views = [guest.get(thread_url) for _ in range(10)]
    assert {node for _, node, _ in views} == {"one", "two"}
    assert all(status == 200 for status, _, _ in views)
    thread_views += len(views)
    stop(stack["nodes"]["one"], signal.SIGKILL)
    assert Thread.objects.get(pk=thread.pk).view_count == 0  # nothing flushed yet
    stop(stack["nodes"]["two"])  # its worker writes what the Redis buffer holds
    assert Thread.objects.get(pk=thread.pk).view_count == thread_views
    assert stack["redis"].keys("colloquy:views:*") == []
