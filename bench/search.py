"""Time /search/ through HTTP on the generated million-post forum, and index upkeep.

Usage: ``make bench`` runs it after bench/run.py, or
``COLLOQUY_DEV_TOOLS=True .venv/bin/python bench/search.py --rounds 3``.

It starts one gunicorn with config/gunicorn.py and production settings (as
bench/run.py does), asks for a mixed list of searches (common and unknown words,
phrases taken from real posts, OR and -word, every filter, relevance and date,
posts and threads, a second page) one request at a time, ``--rounds`` times each,
and prints each search's median and the p50 and p99 over all requests. Then it
times ``forum.services.post_reply`` with the search vector and its GIN index and
without them (the index dropped and the vector made empty inside a transaction
that is rolled back), so the difference
is what keeping the index right adds to posting a reply.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import (  # noqa: E402 (bench/run.py is a script beside this one)
    GENERATE_HINT,
    Server,
    bench_environment,
    collect_static,
    free_port,
    percentile,
)

TARGETS = {"p50": 50.0, "p99": 250.0, "upkeep": 2.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replies", type=int, default=100)
    args = parser.parse_args()

    env = bench_environment()
    # One address sends every request: the guest limit would refuse most of them.
    env["FORUM_SEARCH_GUEST_PER_MINUTE"] = "0"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    searches = build_searches()
    collect_static(env)
    timings: dict[str, list[float]] = {label: [] for label, _ in searches}
    with Server("forum-search", "config.wsgi:application", free_port(), env) as server:
        base = f"http://127.0.0.1:{server.port}"
        for label, path in searches:  # warm-up, and every search must answer 200
            fetch(base + path, label)
        for _ in range(args.rounds):
            for label, path in searches:
                began = time.perf_counter()
                fetch(base + path, label)
                timings[label].append((time.perf_counter() - began) * 1000)
    with_index, without_index = time_upkeep(args.replies)
    report(timings, with_index, without_index, args)
    return 0


def build_searches() -> list[tuple[str, str]]:
    """About sixty searches: (label, path)."""
    from accounts.models import User
    from bench.generator.management.commands.generate_forum import (
        MEMBER_DOMAIN,
        WORDS,
    )
    from forum.models import Board, Post, Thread

    hot = Thread.objects.filter(is_deleted=False).order_by("-last_position").first()
    if hot is None or hot.last_position < 1000:
        sys.exit(GENERATE_HINT)
    boards = list(Board.objects.order_by("-post_count").values_list("slug", flat=True))
    poster = (
        User.objects.filter(email__endswith="@" + MEMBER_DOMAIN)
        .order_by("-post_count")
        .values_list("username", flat=True)
        .first()
    )
    quiet = (
        User.objects.filter(email__endswith="@" + MEMBER_DOMAIN, post_count__gt=0)
        .order_by("post_count")
        .values_list("username", flat=True)
        .first()
    )
    # Real phrases: consecutive words of a few posts' bodies.
    phrases = []
    for body in Post.objects.filter(
        pk__in=[101, 5_003, 77_777, 450_001, 900_000]
    ).values_list("body", flat=True):
        words = re.findall(r"[a-z]{4,}", re.sub(r"\[[^\]]*\]", " ", body.lower()))
        if len(words) >= 6:
            phrases += [" ".join(words[1:3]), " ".join(words[3:6])]
    words = WORDS[::9][:16]  # common words: each is in about a third of the posts
    searches: list[tuple[str, dict]] = []
    for word in words[:8]:
        searches.append((f"word {word}", {"q": word}))
    for word in words[8:12]:
        searches.append((f"word {word}, by date", {"q": word, "sort": "date"}))
    for a, b in zip(words[::2], words[1::2], strict=False):
        searches.append((f"two words {a} {b}", {"q": f"{a} {b}"}))
    for phrase in phrases:
        searches.append((f'phrase "{phrase}"', {"q": f'"{phrase}"'}))
        searches.append(
            (f'phrase "{phrase}", by date', {"q": f'"{phrase}"', "sort": "date"})
        )
    searches += [
        ("unknown word", {"q": "zyzzogeton"}),
        ("unknown word, by date", {"q": "zyzzogeton", "sort": "date"}),
        ("unknown phrase", {"q": '"quantum walrus"'}),
        ("url host", {"q": "example.com"}),
        ("or", {"q": f"{words[0]} OR {words[1]}"}),
        ("-word", {"q": f"{words[2]} -{words[3]}"}),
        ("stop words only", {"q": "the and of"}),
        ("largest board", {"q": words[4], "board": boards[0]}),
        ("smallest board", {"q": words[5], "board": boards[-1]}),
        ("three boards", {"q": words[6], "board": boards[3:6]}),
        ("busiest member", {"q": words[7], "author": poster}),
        ("quietest member", {"q": words[8], "author": quiet}),
        ("member, no words", {"author": poster}),
        ("last year", {"q": words[9], "since": "2025-01-01", "until": "2025-12-31"}),
        (
            "a day long ago",
            {"q": words[10], "since": "2023-06-01", "until": "2023-06-01"},
        ),
        ("titles only", {"q": words[11], "titles_only": "on"}),
        (
            "titles only, phrase",
            {"q": f'"{words[12]} {words[13]}"', "titles_only": "on"},
        ),
        ("as threads", {"q": words[12], "show": "threads"}),
        ("as threads, by date", {"q": words[13], "show": "threads", "sort": "date"}),
        ("the 10k thread", {"q": words[14], "thread": hot.pk}),
        ("the 10k thread, by date", {"q": words[15], "thread": hot.pk, "sort": "date"}),
        ("relevance page 5", {"q": words[0], "page": 5}),
        ("relevance page 10", {"q": words[1], "page": 10}),
    ]
    searches += date_pages(words[2])
    return [
        (label, "/search/?" + urllib.parse.urlencode(params, doseq=True))
        for label, params in searches
    ]


def date_pages(word: str) -> list[tuple[str, dict]]:
    """Pages 2 and 5 by date, found by following the cursor in process."""
    from datetime import UTC, datetime

    from django.contrib.auth.models import AnonymousUser

    from forum import search

    pages, criteria = [], search.Criteria(text=word, by_date=True)
    for number in range(2, 6):
        cursor = search.search(AnonymousUser(), criteria).next_before
        if not cursor:
            break
        stamp, pk = cursor.split("-")
        at = datetime.fromtimestamp(int(stamp) / 1_000_000, tz=UTC)
        criteria = search.Criteria(text=word, by_date=True, before=(at, int(pk)))
        if number in (2, 5):
            pages.append(
                (
                    f"by date, page {number}",
                    {"q": word, "sort": "date", "before": cursor},
                )
            )
    return pages


def fetch(url: str, label: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as error:
        sys.exit(f"{label}: {url} answered {error.code}")


def time_upkeep(count: int) -> tuple[list[float], list[float]]:
    """post_reply milliseconds with the search vector kept, and with it dropped."""
    import random

    from django.db import connection, transaction

    from accounts.models import User
    from bench.generator.management.commands.generate_forum import MEMBER_DOMAIN
    from forum import services
    from forum.models import Thread

    rng = random.Random(12)
    threads = list(
        Thread.objects.filter(is_deleted=False, is_locked=False, last_position__lt=500)
        .order_by("-last_post_at")
        .values_list("pk", flat=True)[:2000]
    )
    author = User.objects.filter(email__endswith="@" + MEMBER_DOMAIN).first()
    body = (
        "Thanks, that [b]worked[/b] for me too.\n\n[quote]Replace the filter "
        "first.[/quote]\nI checked the setting again and the noise is gone."
    )

    def replies() -> list[float]:
        timings = []
        for _ in range(count):
            thread = Thread.objects.get(pk=rng.choice(threads))
            began = time.perf_counter()
            services.post_reply(thread=thread, author=author, body=body)
            timings.append((time.perf_counter() - began) * 1000)
        return timings

    results = []
    for drop in (False, True):
        # Everything is rolled back: the bench forum keeps no reply and no schema
        # change. Within the outer transaction each reply commits to a savepoint.
        with transaction.atomic():
            if drop:
                # The column stays (the model reads it back after an insert), but
                # costs nothing: an empty vector, and no GIN index to add it to.
                with connection.cursor() as cursor:
                    cursor.execute("DROP INDEX forum_post_search")
                    cursor.execute(
                        "CREATE OR REPLACE FUNCTION forum_post_search_vector(body text)"
                        " RETURNS tsvector LANGUAGE sql IMMUTABLE"
                        " RETURN ''::tsvector"
                    )
            replies()  # warm-up
            results.append(replies())
            transaction.set_rollback(True)
    connection.close()
    return results[0], results[1]


def report(
    timings: dict[str, list[float]],
    with_index: list[float],
    without_index: list[float],
    args: argparse.Namespace,
) -> None:
    every = [ms for values in timings.values() for ms in values]
    print()
    print(
        f"Search through HTTP: {len(timings)} searches × {args.rounds} rounds, one "
        "request at a time, gunicorn -c config/gunicorn.py, production settings"
    )
    print()
    print("| search | median ms | max ms |")
    print("|---|---:|---:|")
    for label, values in timings.items():
        print(f"| {label} | {statistics.median(values):.1f} | {max(values):.1f} |")
    print()
    p50, p99 = percentile(every, 0.5), percentile(every, 0.99)
    print(
        f"All {len(every)} requests: p50 {p50:.1f} ms (target < {TARGETS['p50']:.0f}), "
        f"p99 {p99:.1f} ms (target < {TARGETS['p99']:.0f})"
    )
    kept, dropped = percentile(with_index, 0.5), percentile(without_index, 0.5)
    print(
        f"Posting a reply ({len(with_index)} replies, rolled back): p50 {kept:.2f} ms "
        f"with the search vector and GIN index, {dropped:.2f} ms without: upkeep "
        f"adds {kept - dropped:.2f} ms (target < {TARGETS['upkeep']:.0f})"
    )


if __name__ == "__main__":
    sys.exit(main())
