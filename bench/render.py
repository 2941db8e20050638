"""Time markup.render() per post for short, long and quote-heavy bodies.

Usage: ``.venv/bin/python bench/render.py [--rounds N]``. No database is used: the
@mention lookup is a stub, and DATABASE_URL is pointed at nothing so that loading the
settings does not start the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PARAGRAPH = (
    "I swapped the [b]stock intake[/b] for the short-ram kit last weekend and the "
    "difference is obvious above 4,000 rpm. @alice asked about fitment: it clears the "
    "battery tray with about 5 mm to spare. Details and photos are on "
    "https://example.com/builds/intake?id=42 if anyone wants them.\n"
    "Fuel trims settled after two drives, [i]no check engine light[/i] so far."
)


def short_body() -> str:
    return "Thanks, that fixed it! [b]Marking as solved.[/b] See https://example.com"


def long_body() -> str:
    parts = [PARAGRAPH] * 12
    parts.insert(
        3, "[list]\n[*]Filter\n[*]Coupler [u]with clamps[/u]\n[*]Heat shield\n[/list]"
    )
    parts.insert(
        6, "[code=python]\nfor rpm in range(1000, 7000, 500):\n    log(rpm)\n[/code]"
    )
    parts.insert(
        9, "[spoiler=Dyno sheet][img]https://example.com/dyno.png[/img][/spoiler]"
    )
    parts.append("[center][size=5][color=#b8312f]Drive safe[/color][/size][/center]")
    return "\n\n".join(parts)


def quote_heavy_body() -> str:
    inner = '[QUOTE="bob, post: 101, member: 7"]' + PARAGRAPH + "[/QUOTE]\nAgreed."
    middle = (
        '[QUOTE="carol, post: 102, member: 8"]' + inner + "\n" + PARAGRAPH + "[/QUOTE]"
    )
    outer = '[QUOTE="dave, post: 103, member: 9"]' + middle + "[/QUOTE]\nMy take:"
    folded = "[QUOTE=erin]" + "\n".join([PARAGRAPH] * 4) + "[/QUOTE]"
    return "\n".join([outer, PARAGRAPH, folded, "[quote]short one[/quote]", PARAGRAPH])


def known_members(names):
    return {name: name for name in names if name in {"alice", "bob"}}


def measure(render: Callable[..., str], body: str, rounds: int) -> list[float]:
    render(body, known_members=known_members)  # warm caches and the bleach parser
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        render(body, known_members=known_members)
        timings.append(time.perf_counter() - started)
    return timings


def percentile(timings: list[float], fraction: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="renders per body")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://bench@127.0.0.1:9/unused")
    import django

    django.setup()
    from markup import render

    bodies = {
        "short": short_body(),
        "long": long_body(),
        "quote-heavy": quote_heavy_body(),
    }
    print(f"render() per post, {args.rounds} rounds each")
    print(f"{'body':<12} {'chars':>7} {'median ms':>10} {'p95 ms':>8}")
    for name, body in bodies.items():
        timings = measure(render, body, max(1, args.rounds))
        print(
            f"{name:<12} {len(body):>7} {statistics.median(timings) * 1000:>10.2f} "
            f"{percentile(timings, 0.95) * 1000:>8.2f}"
        )


if __name__ == "__main__":
    main()
