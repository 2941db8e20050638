"""Two web nodes on Redis behind haproxy vs one node on local memory: CPU per request.

Usage: ``make bench`` runs it after bench/run.py, or
``.venv/bin/python bench/nodes.py --rounds 3 --duration 5``.

Both setups serve the generated forum (see bench/README.md) with production
settings and config/gunicorn.py, two workers in all:

- **one node**: one gunicorn with ``WEB_CONCURRENCY=2``, no ``REDIS_URL``: the
  cache in local memory, sessions in PostgreSQL, view counts in the process;
- **two nodes**: two gunicorns with one worker each and ``REDIS_URL`` (cache,
  sessions, rate limits, view counts in Redis), behind a round-robin haproxy.

wrk loads the 20-post thread page, for a guest and for a logged-in member, on
each setup in turn every round. Around each run the script reads the CPU time
(user + system, ``/proc/<pid>/stat``) of the gunicorn processes, of the
PostgreSQL backends serving the bench database, of redis-server (when it runs on
this machine) and of haproxy, and prints milliseconds of CPU per request:
medians over the rounds. The machine's other load shows in these figures; run it
on a quiet machine and compare the two setups of one run, not runs of two days.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import run as bench_run  # noqa: E402 (bench/run.py, found by the path above)

TICK = os.sysconf("SC_CLK_TCK")


def haproxy_config(
    port: int, servers: dict[str, int], *, pinnable: bool = False
) -> str:
    """haproxy on ``port`` sending requests in turn to ``servers`` (name: port),
    naming the one that answered in ``X-Node``. With ``pinnable``, a request with
    ``X-Want-Node: <name>`` goes to that server (tests/ops/test_two_nodes.py)."""
    lines = [
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    option forwardfor",
        "frontend forum",
        f"    bind 127.0.0.1:{port}",
        "    default_backend nodes",
        "backend nodes",
        "    balance roundrobin",
        "    http-response set-header X-Node %[srv_name]",
    ]
    for name in servers if pinnable else ():
        lines.append(
            f"    use-server {name} if {{ req.hdr(x-want-node) -m str {name} }}"
        )
    lines += [f"    server {name} 127.0.0.1:{p}" for name, p in servers.items()]
    return "\n".join(lines) + "\n"


SETUPS = ("one node, local memory", "two nodes, Redis, haproxy")
PARTS = ("app", "database", "redis", "proxy")


@dataclass
class Sample:
    rps: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_ms: dict[str, list[float]] = field(
        default_factory=lambda: {part: [] for part in PARTS}
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="Seconds per wrk run.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12",
        help="The two nodes' Redis (default: REDIS_URL, else database 12 on "
        "127.0.0.1:6379); the script empties that database first.",
    )
    args = parser.parse_args()

    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        sys.exit("The two-node bench needs haproxy: apt-get install haproxy")
    env = bench_run.bench_environment()
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)  # the process's own settings: local memory
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis
    from django.db import connection

    shared = redis.Redis.from_url(args.redis)
    try:
        shared.flushdb()
    except redis.RedisError as error:
        sys.exit(f"Redis at {args.redis} does not answer: {error}")
    targets = bench_run.find_targets()
    bench_run.ensure_wrk()
    bench_run.collect_static(env)
    cookie = bench_run.member_cookie(targets["member_id"])
    pages = [
        ("thread, 20 posts, guest", targets["thread"].get_absolute_url(), None),
        ("thread, 20 posts, member", targets["thread"].get_absolute_url(), cookie),
    ]
    results = {(s, label): Sample() for s in SETUPS for label, _, _ in pages}

    with contextlib.ExitStack() as stack:
        one = stack.enter_context(
            bench_run.Server(
                "one-node",
                "config.wsgi:application",
                bench_run.free_port(),
                {**env, "WEB_CONCURRENCY": "2"},
            )
        )
        node_env = {**env, "WEB_CONCURRENCY": "1", "REDIS_URL": args.redis}
        nodes = [
            stack.enter_context(
                bench_run.Server(
                    f"node-{n}",
                    "config.wsgi:application",
                    bench_run.free_port(),
                    node_env,
                )
            )
            for n in (1, 2)
        ]
        proxy, proxy_port = stack.enter_context(start_haproxy(haproxy, nodes))
        urls = {
            SETUPS[0]: (f"http://127.0.0.1:{one.port}", [one.process.pid], None),
            SETUPS[1]: (
                f"http://127.0.0.1:{proxy_port}",
                [node.process.pid for node in nodes],
                proxy.pid,
            ),
        }
        # Only the two nodes use Redis: other clients' load on it is not theirs.
        redis_pid = local_redis_pid(shared)
        redis_of = {SETUPS[0]: None, SETUPS[1]: redis_pid}
        for base, _, _ in urls.values():
            for _, path, page_cookie in pages:
                bench_run.check_page(base + path, page_cookie)
                bench_run.wrk(base + path, 1, args.connections, headers(page_cookie))
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}/{args.rounds}", flush=True)
            for setup, (base, masters, proxy_pid) in urls.items():
                for label, path, page_cookie in pages:
                    watched = (connection, masters, proxy_pid, redis_of[setup])
                    before = cpu_now(*watched)
                    result = bench_run.wrk(
                        base + path,
                        args.duration,
                        args.connections,
                        headers(page_cookie),
                    )
                    after = cpu_now(*watched)
                    sample = results[(setup, label)]
                    sample.rps.append(result.rps)
                    sample.errors += result.errors
                    requests = max(1.0, result.rps * args.duration)
                    for part in PARTS:
                        spent = after[part] - before[part]
                        sample.cpu_ms[part].append(1000 * spent / requests)
    print_report(results, pages, args, redis_pid is not None)
    return 0


def headers(cookie: str | None) -> list[str]:
    return [f"Cookie: {cookie}"] if cookie else []


@contextlib.contextmanager
def start_haproxy(binary: str, nodes):
    port = bench_run.free_port()
    with tempfile.TemporaryDirectory(prefix="colloquy-bench-haproxy-") as folder:
        config = Path(folder) / "haproxy.cfg"
        config.write_text(
            haproxy_config(port, {"one": nodes[0].port, "two": nodes[1].port})
        )
        process = subprocess.Popen(
            [binary, "-db", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while not port_open(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("haproxy did not start")
                time.sleep(0.1)
            yield process, port
        finally:
            process.terminate()
            process.wait(timeout=10)


def port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def local_redis_pid(client) -> int | None:
    """redis-server's pid when it runs on this machine (its /proc entry is ours)."""
    pid = int(client.info("server").get("process_id", 0))
    try:
        return pid if "redis" in Path(f"/proc/{pid}/comm").read_text() else None
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far; 0 for one that is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_now(connection, masters, proxy_pid, redis_pid) -> dict[str, float]:
    """CPU seconds so far of each part; backends and workers found afresh each time
    (a backend that ended between two readings loses its share)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    app = [
        pid for master in masters for pid in (master, *bench_run.child_statuses(master))
    ]
    return {
        "app": sum(cpu_seconds(pid) for pid in app),
        "database": sum(cpu_seconds(pid) for pid in backends),
        "redis": cpu_seconds(redis_pid) if redis_pid else 0.0,
        "proxy": cpu_seconds(proxy_pid) if proxy_pid else 0.0,
    }


def print_report(results, pages, args, redis_measured: bool) -> None:
    print()
    print(
        f"CPU ms per request (median of {args.rounds} rounds, wrk {args.duration} s, "
        f"{args.connections} connections; 2 gunicorn workers in each setup)"
    )
    columns = ("req/s", "errors", *PARTS, "app+db+redis")
    print(f"{'setup':28} {'page':26} " + " ".join(f"{c:>12}" for c in columns))
    totals = {}
    for setup in SETUPS:
        for label, _, _ in pages:
            sample = results[(setup, label)]
            cpu = {part: statistics.median(v) for part, v in sample.cpu_ms.items()}
            total = cpu["app"] + cpu["database"] + cpu["redis"]
            totals[(setup, label)] = total
            cells = [f"{statistics.median(sample.rps):12.0f}", f"{sample.errors:12d}"]
            cells += [f"{cpu[part]:12.2f}" for part in PARTS]
            cells.append(f"{total:12.2f}")
            print(f"{setup:28} {label:26} " + " ".join(cells))
    print()
    for label, _, _ in pages:
        one, two = totals[(SETUPS[0], label)], totals[(SETUPS[1], label)]
        change = (two / one - 1) * 100 if one else float("nan")
        print(f"{label}: two nodes cost {change:+.1f}% CPU per request (app+db+redis)")
    if not redis_measured:
        print("(redis-server runs elsewhere: its CPU is not in the figures)")
    errors = sum(sample.errors for sample in results.values())
    if errors:
        sys.exit(f"{errors} requests failed")


if __name__ == "__main__":
    sys.exit(main())
