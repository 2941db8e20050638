"""Instructions per request of the main pages and the floor, counted by callgrind.

Usage: ``.venv/bin/python bench/instructions.py [--pages thread,board] [--requests 10]``
on the generated forum (see bench/README.md). Valgrind's callgrind counts the
instructions the Python process runs, not seconds, so the figure is the same on a
quiet machine and on a busy one: it is the bench for a shared machine, where
``bench/run.py``'s throughputs swing with the neighbours. The database's own work
is not counted (the query counts show it).

Each page is requested in process through Django's test client, in one process
that serves a few warm-up requests and stops, and in one that serves N more; the
difference over N is the cost of a request, start-up and warm-up taken out.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from run import ROOT, bench_environment, cold_environment, collect_static

VISITS = ("guest-cold", "guest-warm", "member-cold", "member-warm")
WARMUP = 5


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        return serve(*sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pages", default="thread,board", help="thread, hot, board, index, profile"
    )
    parser.add_argument("--visits", default=",".join(VISITS))
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install valgrind")
    env = {**os.environ, **bench_environment()}
    # One key for every process: the session cookie must survive from one to the next.
    env["SECRET_KEY"] = "bench-instructions-" + "k" * 40
    if not (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists():
        collect_static(env)
    floor = per_request(env, ["--serve", "floor", "floor", "-"], args.requests)
    print(f"{'floor (20 posts, one query)':32} {floor / 1e6:7.1f} M instructions")
    for page in args.pages.split(","):
        for visit in args.visits.split(","):
            count = per_request(env, ["--serve", page, visit, "-"], args.requests)
            print(
                f"{page + ', ' + visit:32} {count / 1e6:7.1f} M instructions"
                f"   {floor / count:5.2f} of the floor"
            )
    return 0


def per_request(env: dict[str, str], serve_args: list[str], requests: int) -> float:
    def run(n: int) -> int:
        command = [
            *("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"),
            *(sys.executable, __file__, *serve_args[:-1], str(n)),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or not found:
            sys.exit(f"{' '.join(serve_args)} failed:\n{done.stderr[-2000:]}")
        return int(found.group(1))

    return (run(requests) - run(0)) / requests


def serve(page: str, visit: str, count: str) -> int:
    """In the child: WARMUP requests, then ``count`` more, of one page and visit."""
    sys.path.insert(0, str(ROOT))
    if page == "floor":
        sys.path.insert(0, str(ROOT / "bench"))
        os.environ["DJANGO_SETTINGS_MODULE"] = "floor.settings"
    elif visit.endswith("cold"):
        os.environ.update(cold_environment(dict(os.environ)))
    import django

    django.setup()
    from django.test import Client

    client = Client()
    if page == "floor":
        from floor.models import Post

        full = Post.objects.filter(position=20).order_by("thread_id").first()
        path = f"/posts/{full.thread_id}/"  # a thread of at least 20 posts
    else:
        from run import find_targets

        from accounts.models import User

        targets = find_targets()
        path = {
            "thread": targets["thread"].get_absolute_url(),
            "hot": targets["hot"].get_absolute_url(),  # the 10,000-post thread
            "board": targets["board"].get_absolute_url(),
            "index": "/",
            "profile": targets["member"].get_absolute_url(),
        }[page]
        if visit.startswith("member"):
            client.force_login(User.objects.get(pk=targets["member_id"]))
    for _ in range(WARMUP + int(count)):
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
    if visit.startswith("member"):
        client.logout()
    return 0


if __name__ == "__main__":
    sys.exit(main())
