"""Profile one forum page, cold (fragment cache off), with cProfile, in process.

Usage: ``.venv/bin/python bench/profile_page.py [--path URL] [--member]``; see
bench/README.md. Django's test client requests the page on the generated forum, with
the benchmark's production settings and ``FORUM_FRAGMENT_SECONDS=0``: a few requests
to warm up, N timed without the profiler, then N under it. The default page is the
bench's 20-post thread, for a guest. The report gives the project's functions by
cumulative time and every function by own time, per request.

(Not named ``profile.py``: run as a script, that would shadow the standard library
module of that name, which cProfile imports.)
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

from run import ROOT, bench_environment, cold_environment, collect_static, find_targets

SITE_PACKAGES = "site-packages/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", help="Page to profile (default: a 20-post thread).")
    parser.add_argument("--member", action="store_true", help="As a logged-in member.")
    parser.add_argument(
        "--warm", action="store_true", help="With the fragment cache on (and filled)."
    )
    parser.add_argument("--requests", type=int, default=50, help="Profiled requests.")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--top", type=int, default=15, help="Rows in each list.")
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be at least 1")

    env = bench_environment() if args.warm else cold_environment(bench_environment())
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if not (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists():
        collect_static(env)

    from django.test import Client

    from accounts.models import User

    targets = find_targets()
    path = args.path or targets["thread"].get_absolute_url()
    client = Client()
    if args.member:
        client.force_login(User.objects.get(pk=targets["member_id"]))
    try:
        for _ in range(args.warmup):
            get(client, path, member=args.member)
        began = time.perf_counter()
        for _ in range(args.requests):
            get(client, path, member=args.member)
        plain_ms = (time.perf_counter() - began) * 1000 / args.requests
        profiler = cProfile.Profile()
        began = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            get(client, path, member=args.member)
        profiler.disable()
        profiled_ms = (time.perf_counter() - began) * 1000 / args.requests
    finally:
        if args.member:
            client.logout()  # deletes the session row force_login wrote
    visitor = "member" if args.member else "guest"
    mode = "warm" if args.warm else "cold"
    print(
        f"Profile of {path} ({visitor}, cache {mode}, in process): {args.requests} "
        f"requests, {plain_ms:.1f} ms each, {profiled_ms:.1f} ms under cProfile"
    )
    stats = pstats.Stats(profiler).stats
    project = [row for row in stats.items() if is_project(row[0][0])]
    print_rows(
        "By cumulative time, project code",
        sorted(project, key=lambda row: row[1][3], reverse=True)[: args.top],
        args.requests,
        column=3,
    )
    print_rows(
        "By own time, everything",
        sorted(stats.items(), key=lambda row: row[1][2], reverse=True)[: args.top],
        args.requests,
        column=2,
    )
    return 0


def get(client, path: str, *, member: bool) -> None:
    response = client.get(path)
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    if member and b"Log out" not in response.content:
        sys.exit(f"{path} did not show the member as logged in")


def is_project(filename: str) -> bool:
    """Colloquy's own code, its Jinja2 templates included, but not this script."""
    return (
        filename.startswith(str(ROOT) + "/")
        and SITE_PACKAGES not in filename
        and not filename.startswith(str(ROOT / "bench") + "/")
    )


def where(filename: str, line: int, function: str) -> str:
    """``file:line function``, the file relative to the project or its package."""
    if filename == "~":  # a C function
        return function
    if SITE_PACKAGES in filename:
        filename = filename.rsplit(SITE_PACKAGES, 1)[1]
    elif filename.startswith(str(ROOT) + "/"):
        filename = filename[len(str(ROOT)) + 1 :]
    else:
        stdlib = str(Path(os.__file__).parent) + "/"
        filename = filename.removeprefix(stdlib)
    return f"{filename}:{line} {function}"


def print_rows(title: str, rows: list, requests: int, *, column: int) -> None:
    """One row per function: milliseconds and calls per request, then where it is."""
    print(f"\n{title} (ms per request, calls per request):")
    for (filename, line, function), numbers in rows:
        calls = numbers[1] / requests
        ms = numbers[column] * 1000 / requests
        print(f"  {ms:8.2f} {calls:8.1f}  {where(filename, line, function)}")


if __name__ == "__main__":
    sys.exit(main())
