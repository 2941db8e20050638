"""Posting a reply over HTTP in a thread watched by 1,000 members vs by none.

Usage: ``make bench`` runs it after bench/run.py, or
``.venv/bin/python bench/fanout.py --replies 100 --watchers 1000``.

Alerts fan out in the worker (forum.alert_tasks.fan_out_post), so the request
should cost the same however many members watch. This builds a board of its own in
the configured database (DATABASE_URL or the embedded server), with two threads,
one watched by ``--watchers`` members; serves the forum with gunicorn and
config/gunicorn.py as bench/run.py does; posts replies to both threads alternately
through HTTP as a logged-in member and prints p50/p99 of each. It then times the
worker's fan-out of one reply to every watcher, in process, and removes what it
made (members, board, the queued tasks).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench_run():
    """bench/run.py's helpers (its environment, gunicorn wrapper, login cookie)."""
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench/run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None


def post_reply(base: str, thread_id: int, cookie: str, csrf: str, n: int) -> float:
    """Milliseconds for one reply form POST (answered with the redirect to it)."""
    data = urllib.parse.urlencode(
        {
            "body": f"Reply {n}: thanks, that worked for me too.",
            "csrfmiddlewaretoken": csrf,
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/threads/{thread_id}/reply/",
        data=data,
        headers={"Cookie": cookie, "X-CSRFToken": csrf, "Referer": base + "/"},
    )
    opener = urllib.request.build_opener(_NoRedirects)
    began = time.perf_counter()
    try:
        opener.open(request, timeout=30).read()
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    elapsed = (time.perf_counter() - began) * 1000
    if status != 302:
        sys.exit(f"Replying answered {status}, not the redirect to the new post.")
    return elapsed


def build(watchers: int, token: str):
    from accounts.models import User
    from forum import services
    from forum.models import Board, Category, ThreadWatch

    category = Category.objects.create(name="Fan-out bench", slug=f"fanout-{token}")
    board = Board.objects.create(
        category=category, name="Fan-out bench", slug=f"fanout-{token}"
    )
    author = User.objects.create_user(
        username=f"fanout-{token}",
        email=f"fanout-{token}@bench.invalid",
        password=None,
        email_verified=True,
    )
    members = User.objects.bulk_create(
        User(
            username=f"fanout-{token}-{n}",
            email=f"fanout-{token}-{n}@bench.invalid",
            email_verified=True,
            password="!",
        )
        for n in range(watchers)
    )
    watched = services.start_thread(
        board=board, author=author, title="Watched by many", body="Watch this."
    )
    quiet = services.start_thread(
        board=board, author=author, title="Watched by none", body="Nobody here."
    )
    ThreadWatch.objects.bulk_create(
        ThreadWatch(user=member, thread=watched) for member in members
    )
    return category, author, members, watched, quiet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=100, help="Per thread.")
    parser.add_argument("--watchers", type=int, default=1000)
    args = parser.parse_args()

    bench_run = _bench_run()
    env = bench_run.bench_environment()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from accounts.models import User
    from forum import alert_tasks
    from forum.models import Alert, Board, Post, Thread

    token = secrets.token_hex(4)
    category, author, members, watched, quiet = build(args.watchers, token)
    made_after = (
        DBTaskResult.objects.order_by("-enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    try:
        cookie = bench_run.member_cookie(author.pk)
        csrf = dict(part.split("=", 1) for part in cookie.split("; "))["csrftoken"]
        timings = {"watched": [], "quiet": []}
        with bench_run.Server(
            "fanout", "config.wsgi:application", bench_run.free_port(), env
        ) as server:
            base = f"http://127.0.0.1:{server.port}"
            for n in range(3):  # warm up both threads' paths
                post_reply(base, watched.pk, cookie, csrf, n)
                post_reply(base, quiet.pk, cookie, csrf, n)
            for n in range(args.replies):
                timings["watched"].append(post_reply(base, watched.pk, cookie, csrf, n))
                timings["quiet"].append(post_reply(base, quiet.pk, cookie, csrf, n))
        bench_run.forget_session(cookie)
        last = Post.objects.filter(thread=watched).order_by("-position").first()
        began = time.perf_counter()
        alerted = alert_tasks.fan_out_post.call(post_id=last.pk)
        fan_out_ms = (time.perf_counter() - began) * 1000
        print()
        print(
            f"Posting a reply over HTTP ({args.replies} replies per thread, one "
            "gunicorn -c config/gunicorn.py, the worker not running):"
        )
        print("| thread | watchers | p50 ms | p99 ms |")
        print("|---|---:|---:|---:|")
        for label, watchers in (("watched", args.watchers), ("quiet", 0)):
            values = timings[label]
            print(
                f"| {'watched by many' if label == 'watched' else 'watched by none'} "
                f"| {watchers:,} | {bench_run.percentile(values, 0.5):.1f} "
                f"| {bench_run.percentile(values, 0.99):.1f} |"
            )
        print(
            f"The worker's fan-out of one reply: {alerted:,} alerts in "
            f"{fan_out_ms:.0f} ms."
        )
    finally:
        queued = DBTaskResult.objects.filter(task_path__endswith="fan_out_post")
        if made_after is not None:
            queued = queued.filter(enqueued_at__gt=made_after)
        queued.filter(status="READY").delete()
        # Everything protects what it points at: remove it from the leaves up.
        Alert.objects.filter(thread__board__category=category).delete()
        Post.objects.filter(thread__board__category=category).delete()
        Thread.objects.filter(board__category=category).delete()
        Board.objects.filter(category=category).delete()
        category.delete()
        User.objects.filter(pk__in=[author.pk, *(m.pk for m in members)]).delete()
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
