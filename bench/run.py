"""Load-test Colloquy against Django's own floor on the generated million-post forum.

Usage: ``make bench`` or ``.venv/bin/python bench/run.py --help``; see bench/README.md.

Both projects run under gunicorn with ``config/gunicorn.py`` (the Docker image's
settings) and production settings, on the same database; the forum twice, with its
fragment cache on (warm) and off (cold, ``FORUM_FRAGMENT_SECONDS=0``). wrk loads each
page and the floor in alternation; the table gives medians over the rounds and each
page's ratio to the floor measured in the same run. A profile of the cold thread page
(bench/profile_page.py) ends the report.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GENERATE_HINT = (
    "The benchmark needs the generated forum. Load it first (about a minute):\n"
    "    COLLOQUY_DEV_TOOLS=True .venv/bin/python manage.py generate_forum\n"
    "(add --force to replace an existing forum, e.g. the demo one)."
)
MODES = ("warm", "cold")


@dataclass
class Case:
    label: str
    path: str
    logged_in: bool
    mode: str
    queries: int | None = None
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    # The floor beside each run (the mean of the runs before and after it), and
    # the page's ratio to it.
    floor_rps: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3, help="Seconds per wrk run.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--only", help="Run only pages whose label contains this.")
    parser.add_argument(
        "--modes",
        type=parse_modes,
        default=list(MODES),
        help="Comma-separated: warm (fragment cache on), cold (off). Default: both.",
    )
    parser.add_argument(
        "--profile-requests",
        type=int,
        default=50,
        help="Requests per visitor in the cold thread page's profile; 0 skips it.",
    )
    args = parser.parse_args()

    env = bench_environment()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    targets = find_targets()
    give_reactions(targets)
    cases = build_cases(targets, args.only, args.modes)
    if not cases:
        sys.exit(f"No page label contains {args.only!r}.")
    ensure_wrk()
    collect_static(env)
    cookie = member_cookie(targets["member_id"])
    floor_path = f"/posts/{targets['thread_id']}/"
    measure_queries(cases, cookie)

    floor_port = free_port()
    with contextlib.ExitStack() as stack:
        forums = {
            mode: stack.enter_context(
                Server(
                    "forum" if mode == "warm" else "forum-cold",
                    "config.wsgi:application",
                    free_port(),
                    env if mode == "warm" else cold_environment(env),
                )
            )
            for mode in args.modes
        }
        floor = stack.enter_context(
            Server("floor", "floor.wsgi:application", floor_port, env, floor=True)
        )
        forum_urls = {
            mode: f"http://127.0.0.1:{server.port}" for mode, server in forums.items()
        }
        floor_url = f"http://127.0.0.1:{floor_port}{floor_path}"
        for case in cases:
            check_page(
                forum_urls[case.mode] + case.path, cookie if case.logged_in else None
            )
        check_page(floor_url, None)
        print(
            f"Warming up, then {args.rounds} rounds of {args.duration} s per page "
            f"and per floor run at {args.connections} connections "
            f"({len(cases)} pages, {', '.join(args.modes)})…",
            flush=True,
        )
        for case in cases:
            headers = [f"Cookie: {cookie}"] if case.logged_in else []
            wrk(forum_urls[case.mode] + case.path, 1, args.connections, headers)
        wrk(floor_url, 1, args.connections, [])
        # Every page run sits between two floor runs: its ratio is to their mean,
        # which follows the machine's drift through the run.
        before = wrk(floor_url, args.duration, args.connections, []).rps
        for number in range(1, args.rounds + 1):
            for case in cases:
                headers = [f"Cookie: {cookie}"] if case.logged_in else []
                page = wrk(
                    forum_urls[case.mode] + case.path,
                    args.duration,
                    args.connections,
                    headers,
                )
                after = wrk(floor_url, args.duration, args.connections, []).rps
                floor_rps = (before + after) / 2
                case.floor_rps.append(floor_rps)
                case.ratios.append(page.rps / floor_rps)
                case.rps.append(page.rps)
                case.p50.append(page.p50_ms)
                case.p99.append(page.p99_ms)
                before = after
            print(f"  round {number} done", flush=True)
        rss = {
            mode: worker_rss_mb(server.process.pid) for mode, server in forums.items()
        }
        floor_rss = worker_rss_mb(floor.process.pid)
    forget_session(cookie)
    replies = time_replies(targets, args.replies)
    print_report(cases, targets, replies, rss, floor_rss, args)
    if args.profile_requests > 0:
        profile_thread_page(targets["thread"].get_absolute_url(), env, args)
    return 0


def parse_modes(text: str) -> list[str]:
    modes = [mode.strip() for mode in text.split(",") if mode.strip()]
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown or not modes:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(MODES)}"
        )
    return [mode for mode in MODES if mode in modes]


def bench_environment() -> dict[str, str]:
    """Production settings for both servers, on DATABASE_URL or the embedded server."""
    database = os.environ.get("DATABASE_URL")
    if not database:
        sys.path.insert(0, str(ROOT))
        from config.embedded_db import database_url

        database = database_url(
            Path(os.environ.get("COLLOQUY_PGDATA", ROOT / ".pgdata"))
        )
    return {
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "False",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        # wrk speaks plain HTTP straight to gunicorn; no TLS proxy in the measurement.
        "SECURE_SSL_REDIRECT": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "STATIC_ROOT": str(ROOT / "staticfiles"),
        "GUNICORN_ACCESS_LOG": "",
        "BIND_HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        # The reply timing posts 200 replies from a few members as fast as it can:
        # flood control and the approval queue would refuse or hold them.
        "FORUM_POST_INTERVAL_SECONDS": "0",
        "FORUM_THREAD_INTERVAL_SECONDS": "0",
        "FORUM_APPROVAL_POSTS": "0",
        "FORUM_APPROVAL_LINK_POSTS": "0",
    }


def cold_environment(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the fragment cache off, and a Redis database of its own.

    ``{% cache 0 … %}`` still reads the cache (and Redis deletes what it sets with
    a timeout of 0): sharing the warm server's Redis database, the cold server
    would serve the warm server's blocks and remove them under it.
    """
    cold = {**env, "FORUM_FRAGMENT_SECONDS": "0"}
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        cold["REDIS_URL"] = other_redis_database(redis_url)
    return cold


def other_redis_database(url: str) -> str:
    """The same Redis server, the database next to the one ``url`` names."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    in_query = "db" in query or parts.scheme == "unix"
    number = int((query.get("db") if in_query else parts.path.strip("/")) or 0)
    other = str(number + 1 if number < 15 else number - 1)
    if in_query:
        query["db"] = other
        return f"{url.split('?')[0]}?{urllib.parse.urlencode(query)}"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{other}"))


def cold_caches() -> dict:
    """The CACHES the cold server has, for counting its queries in process."""
    from django.conf import settings

    caches = {alias: dict(config) for alias, config in settings.CACHES.items()}
    default = caches["default"]
    if default["BACKEND"].endswith("RedisCache"):
        default["LOCATION"] = other_redis_database(default["LOCATION"])
    else:
        # A local-memory store of its own, empty of the warm count's blocks.
        default["LOCATION"] = "colloquy-bench-cold"
    return caches


def find_targets() -> dict:
    from django.conf import settings
    from django.db.models import Sum

    from accounts.models import User
    from bench.generator.management.commands.generate_forum import MEMBER_DOMAIN
    from forum.models import Board, Thread

    generated = User.objects.filter(email__endswith="@" + MEMBER_DOMAIN)
    hot = Thread.objects.filter(is_deleted=False).order_by("-last_position").first()
    if not generated.exists() or hot is None or hot.last_position < 1000:
        sys.exit(GENERATE_HINT)
    board = Board.objects.order_by("-thread_count").first()
    thread = (
        Thread.objects.filter(
            board=board, is_deleted=False, last_position__range=(40, 200)
        )
        .order_by("pk")
        .first()
    ) or hot
    member = generated.order_by("-post_count").first()
    reader = generated.filter(is_active=True, is_staff=False).order_by("pk").first()
    per_page = settings.FORUM_THREADS_PER_PAGE
    board_pages = max(1, -(-board.thread_count // per_page))
    return {
        "board": board,
        "board_pages": board_pages,
        "thread": thread,
        "thread_id": thread.pk,
        "hot": hot,
        "member": member,
        "member_id": reader.pk,
        "posts": Board.objects.aggregate(n=Sum("post_count"))["n"],
    }


def give_reactions(targets: dict) -> None:
    """Give the benched thread's first page reactions, as a lively thread has: five
    generated members react to each of its 20 posts (Like and Love in turn), and the
    logged-in member to every one not their own, so the member's page draws pressed
    buttons. Through the real service, so counts and scores are exact; a second
    run finds every reaction given and changes nothing.

    Generated members have not confirmed their email, which the production
    settings require before taking part: these six, the logged-in member and the
    profiled one (who also posts the timed replies) are marked confirmed, so the
    member's thread page is a taking-part member's (with reaction buttons and the
    reply box), as it is for most readers of a forum."""
    from django.conf import settings
    from django.core.exceptions import PermissionDenied

    from accounts.models import User
    from bench.generator.management.commands.generate_forum import MEMBER_DOMAIN
    from forum import reactions
    from forum.models import Reaction

    thread = targets["thread"]
    posts = list(
        thread.posts.filter(
            position__lte=settings.FORUM_POSTS_PER_PAGE, is_deleted=False
        ).order_by("position")
    )
    choices = list(Reaction.objects.filter(is_active=True)[:2])
    reader = User.objects.get(pk=targets["member_id"])
    fans = list(
        User.objects.filter(email__endswith="@" + MEMBER_DOMAIN, is_banned=False)
        .exclude(pk=reader.pk)
        .order_by("pk")[:6]
    )
    confirmed = [reader.pk, targets["member"].pk, *(fan.pk for fan in fans)]
    User.objects.filter(pk__in=confirmed).update(email_verified=True)
    reader.email_verified = True
    for fan in fans:
        fan.email_verified = True
    for n, post in enumerate(posts):
        givers = [fan for fan in fans if fan.pk != post.author_id][:5] + [reader]
        for k, fan in enumerate(givers):
            if fan.pk != post.author_id:
                reaction = choices[(n + k) % len(choices)]
                try:
                    reactions.react(user=fan, post=post, reaction=reaction)
                except PermissionDenied as refusal:
                    sys.exit(f"Cannot give the benched thread reactions: {refusal}")


def build_cases(targets: dict, only: str | None, modes: list[str]) -> list[Case]:
    board, thread, hot = targets["board"], targets["thread"], targets["hot"]
    pages = [
        ("forum list", "/"),
        ("board, first page", board.get_absolute_url()),
        (
            f"board, last page ({targets['board_pages']})",
            f"{board.get_absolute_url()}?page={targets['board_pages']}",
        ),
        ("thread, 20 posts", thread.get_absolute_url()),
        ("10k thread, first page", hot.get_absolute_url()),
        (f"10k thread, last page ({hot.page_count})", hot.page_url(hot.page_count)),
        ("member profile", targets["member"].get_absolute_url()),
    ]
    return [
        Case(label, path, logged_in, mode)
        for label, path in pages
        for logged_in in (False, True)
        for mode in modes
        if not only or only in label
    ]


def member_cookie(member_id: int) -> str:
    """A session (and CSRF cookie) for a generated member, as a browser holds them."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=member_id))
    response = client.get("/")
    cookies = {
        name: morsel.value for name, morsel in client.cookies.items() if morsel.value
    }
    cookies.update(
        {n: m.value for n, m in response.cookies.items() if m.value and n in cookies}
    )
    assert settings.SESSION_COOKIE_NAME in cookies, "no session cookie"
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def measure_queries(cases: list[Case], cookie: str) -> None:
    """SQL queries per request, in process, on a second request (as under load).

    Warm pages count with the fragment cache on and filled by the first request;
    cold ones with it off, as the cold server runs.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    cookies = dict(part.split("=", 1) for part in cookie.split("; "))
    cold = override_settings(FORUM_FRAGMENT_SECONDS=0, CACHES=cold_caches())
    for case in cases:
        client = Client()
        if case.logged_in:
            for name, value in cookies.items():
                client.cookies[name] = value
        with cold if case.mode == "cold" else contextlib.nullcontext():
            client.get(case.path)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(case.path)
        if response.status_code != 200:
            sys.exit(f"{case.path} answered {response.status_code} in process")
        case.queries = len(captured.captured_queries)


def collect_static(env: dict[str, str]) -> None:
    # The production static storage needs its manifest to render any page.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing; installing it with apt-get…", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=False)
    if not shutil.which("wrk"):
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn master with config/gunicorn.py, stopped cleanly on exit."""

    def __init__(
        self, name: str, app: str, port: int, env: dict, *, floor: bool = False
    ) -> None:
        self.name, self.app, self.port = name, app, port
        self.env = {**os.environ, **env, "PORT": str(port)}
        self.floor = floor
        if floor:
            self.env["DJANGO_SETTINGS_MODULE"] = "floor.settings"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in __exit__)
            prefix=f"colloquy-bench-{name}-", suffix=".log", delete=False
        )

    def __enter__(self) -> Server:
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.py")]
        if self.floor:
            command += ["--pythonpath", str(ROOT / "bench")]
        self.process = subprocess.Popen(
            [*command, self.app],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn ({self.name}) exited; see {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        sys.exit(f"gunicorn ({self.name}) did not start; see {self.log.name}")

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        if exc and exc[0] is None and self.process.returncode == 0:
            Path(self.log.name).unlink(missing_ok=True)  # kept only when it failed


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None  # the redirect surfaces as an HTTPError below


def check_page(url: str, cookie: str | None) -> None:
    """The page answers 200 itself (wrk counts a redirect as a success), as a member."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=30) as response:
            body = response.read().decode()
    except urllib.error.HTTPError as error:
        where = error.headers.get("Location")
        sys.exit(f"{url} answered {error.code}" + (f" (to {where})" if where else ""))
    if cookie and "Log out" not in body:
        sys.exit(f"{url} did not show the member as logged in")


LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, headers: list[str]) -> WrkResult:
    command = ["wrk", "--latency", f"-t{min(2, connections)}", f"-c{connections}"]
    command += [f"-d{seconds}s", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    latency = {p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if errors or socket_errors:
        print(f"  ! {url}: {errors.group(0) if errors else socket_errors.group(0)}")
    return WrkResult(
        rps=rps,
        p50_ms=latency.get("50", 0.0),
        p99_ms=latency.get("99", 0.0),
        errors=int(errors.group(1)) if errors else 0,
    )


def worker_rss_mb(master_pid: int) -> float:
    """The largest resident set of the master's workers, in MB."""
    largest = 0.0
    for fields in child_statuses(master_pid).values():
        kilobytes = int(fields.get("VmRSS", "0 kB").split()[0])
        largest = max(largest, kilobytes / 1024)
    return largest


def child_statuses(parent_pid: int) -> dict[int, dict[str, str]]:
    """The fields of /proc/<pid>/status of each child of ``parent_pid``, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(parent_pid):
            found[int(entry.name)] = fields
    return found


def forget_session(cookie: str) -> None:
    """Delete the member's bench session, so runs leave no session rows behind."""
    from importlib import import_module

    from django.conf import settings
    from django.test.utils import override_settings

    cookies = dict(part.split("=", 1) for part in cookie.split("; "))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    key = cookies[settings.SESSION_COOKIE_NAME]
    store(key).delete()
    with override_settings(CACHES=cold_caches()):  # the cold server's cached copy
        store(key).delete()


def time_replies(targets: dict, count: int) -> list[float]:
    """Milliseconds per forum.services.post_reply call into the generated forum."""
    import random

    from django.db import connection

    from forum import services
    from forum.models import Thread

    rng = random.Random(5)
    board = targets["board"]
    threads = list(
        Thread.objects.filter(board=board, is_deleted=False, is_locked=False)
        .exclude(pk=targets["hot"].pk)
        .order_by("-last_post_at")
        .values_list("pk", flat=True)[:2000]
    )
    from accounts.models import User

    authors = list(
        User.objects.filter(pk__in=[targets["member_id"], targets["member"].pk])
    )
    timings = []
    body = (
        "Thanks, that [b]worked[/b] for me too.\n\nI replaced the filter and "
        "checked the setting again: https://example.com/manual has the details."
    )
    for n in range(count):
        thread = Thread.objects.get(pk=rng.choice(threads))
        began = time.perf_counter()
        services.post_reply(thread=thread, author=authors[n % len(authors)], body=body)
        timings.append((time.perf_counter() - began) * 1000)
    connection.close()
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def print_report(
    cases: list[Case],
    targets: dict,
    replies: list[float],
    rss: dict[str, float],
    floor_rss: float,
    args: argparse.Namespace,
) -> None:
    print()
    print(
        f"Colloquy vs the Django floor: {targets['posts']:,} posts, "
        f"{args.connections} connections, medians of {args.rounds} rounds × "
        f"{args.duration} s, gunicorn -c config/gunicorn.py "
        f"({os.environ.get('WEB_CONCURRENCY', '2')} workers × "
        f"{os.environ.get('GUNICORN_THREADS', '2')} threads); cache warm: "
        f"fragment cache on and filled, cold: FORUM_FRAGMENT_SECONDS=0"
    )
    print()
    print(
        "| page | visitor | cache | req/s | p50 ms | p99 ms | queries "
        "| floor req/s | ratio |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for case in cases:
        rps = statistics.median(case.rps)
        floor = statistics.median(case.floor_rps)
        ratio = statistics.median(case.ratios)
        print(
            f"| {case.label} | {'member' if case.logged_in else 'guest'} "
            f"| {case.mode} | {rps:.0f} | {statistics.median(case.p50):.1f} "
            f"| {statistics.median(case.p99):.1f} | {case.queries} "
            f"| {floor:.0f} | {ratio:.2f} |"
        )
    print()
    if replies:
        p50, p99 = percentile(replies, 0.5), percentile(replies, 0.99)
        print(
            f"Posting a reply (forum.services.post_reply, {len(replies)} replies): "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
    forums = ", ".join(f"forum ({mode}) {mb:.0f} MB" for mode, mb in rss.items())
    print(f"gunicorn worker RSS after the run: {forums}, floor {floor_rss:.0f} MB")


def profile_thread_page(path: str, env: dict[str, str], args) -> None:
    """bench/profile_page.py on the cold thread page, for a guest and a member."""
    for member in (False, True):
        print(flush=True)
        command = [sys.executable, str(ROOT / "bench" / "profile_page.py")]
        command += ["--path", path, "--requests", str(args.profile_requests)]
        subprocess.run(
            [*command, *(["--member"] if member else [])],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )


if __name__ == "__main__":
    sys.exit(main())
