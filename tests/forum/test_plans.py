"""PostgreSQL plans a page's prepared statements once, not on every view.

psycopg prepares a statement after a connection has run it five times; PostgreSQL
then keeps one generic plan unless plans made for the values at hand look cheaper,
which on a big forum they do for a board with more threads than the others, or a
member with more posts: the busiest board's page was planned anew on every view.
Their ids reach the query as ``prebuilt.opaque`` values, which the estimate cannot
see, so a plan for one board costs what the generic plan does and that one is kept.
``pg_prepared_statements`` counts, per statement, the plans of each kind.
"""

import json

import pytest
from django.db import connection
from django.utils import timezone

from forum.models import Thread
from tests.factories import make_board, make_member, make_posts

pytestmark = pytest.mark.django_db


def prepared(fragment: str) -> list[tuple[str, str, int, int]]:
    """(statement, its parameters' types, generic plans, custom plans) of this
    session's statements holding ``fragment``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, array_to_string(parameter_types, ','), generic_plans,"
            " custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchall()


def estimated_costs(statement: str, types: str, values: list[list[int]]) -> set[float]:
    """The planner's estimate of ``statement`` with each list of ``values``, as
    planned for them, and as its generic plan."""
    costs = set()
    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE probe({types}) AS {statement}")
        try:
            for mode, runs in (
                ("force_custom_plan", values),
                ("force_generic_plan", values[:1]),
            ):
                cursor.execute(f"SET plan_cache_mode = {mode}")
                for args in runs:
                    listed = ", ".join(str(int(arg)) for arg in args)
                    cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE probe({listed})")
                    plan = cursor.fetchone()[0]
                    plan = json.loads(plan) if isinstance(plan, str) else plan
                    costs.add(plan[0]["Plan"]["Total Cost"])
        finally:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("DEALLOCATE probe")
    return costs


def same(costs: set[float]) -> bool:
    """Equal, but for the rounding of a subquery's value folded in or not."""
    return max(costs) <= min(costs) * 1.01


def analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def viewed_often(client, url: str) -> None:
    for _ in range(16):  # prepared after 5; PostgreSQL's 5 custom plans; then kept
        assert client.get(url).status_code == 200


def test_the_busiest_boards_page_keeps_one_plan(client, member):
    # One board with most of the threads, as a real forum's general board has.
    busy, *quiet = [make_board(f"Board {n}") for n in range(30)]
    now = timezone.now()
    Thread.objects.bulk_create(
        Thread(
            board=board, author=member, title="Topic", slug="topic", last_post_at=now
        )
        for board in (busy,) * 3000 + tuple(quiet) * 20
    )
    analyze("forum_thread")
    viewed_often(client, busy.get_absolute_url())
    found = prepared('"board_id" = (SELECT')
    assert found, "the board's fingerprint query was not prepared"
    for statement, types, generic, custom in found:
        assert custom <= 5 and generic >= 5, (generic, custom)
        # The busy board's plan and a quiet one's cost what the kept plan does.
        values = [[busy.pk], [quiet[0].pk]]
        assert same(estimated_costs(statement, types, values))


def test_a_prolific_members_profile_keeps_one_plan(client, thread):
    prolific, quiet = make_member("prolific"), make_member("quiet")
    make_posts(thread, count=60, authors=[prolific])
    make_posts(thread, count=1, authors=[quiet])
    analyze("forum_post")
    viewed_often(client, prolific.get_absolute_url())
    found = prepared('"author_id" = (SELECT')
    assert len(found) == 2, found  # the recent posts and the threads started
    for statement, types, generic, custom in found:
        assert custom <= 5 and generic >= 5, (generic, custom)
        params = len(types.split(","))
        values = [[prolific.pk] * params, [quiet.pk] * params]
        assert same(estimated_costs(statement, types, values))
