import os

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import _get_databases_for_setup, validate_django_db
from pytest_django.plugin import blocking_manager_key

from forum import viewcounts
from tests import migration_rows
from tests.factories import make_board, make_member, make_thread

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    # The production hasher costs about a third of a second of CPU for every member a
    # test creates or logs in. Session-wide, so module-scoped fixtures and the live
    # server's thread use it too; config/settings.py keeps Django's default.
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        yield


@pytest.fixture(scope="session")
def _media_root(tmp_path_factory):
    # Uploads land in this run's own folder (one per parallel process), never in
    # the checkout's media/, where another process could write the same name.
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _quiet_settings(settings, _media_root):
    settings.MEDIA_ROOT = _media_root
    # View counts are flushed by tests that want them, never in the middle of another.
    settings.FORUM_VIEW_FLUSH_SECONDS = 10**9
    # Members post in quick succession all through the suite; the flood-control
    # tests (tests/forum/test_flood_control.py) switch the intervals back on.
    settings.FORUM_POST_INTERVAL_SECONDS = 0
    settings.FORUM_THREAD_INTERVAL_SECONDS = 0
    # Members are new all through the suite; the approval tests
    # (tests/forum/test_approval.py) switch holding back on.
    settings.FORUM_APPROVAL_POSTS = 0
    settings.FORUM_APPROVAL_LINK_POSTS = 0
    settings.FORUM_SPAM_PHRASES = []
    # Tests post the registration form straight away; tests/accounts/
    # test_registration_spam.py switches the minimum fill time back on.
    settings.ACCOUNTS_REGISTRATION_MIN_SECONDS = 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks run at once, in the test's thread; tests about queueing use
    # tests.conftest.database_queue and run the worker themselves.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit and failed-login counters live in the cache, which outlives a
    # test: 127.0.0.1 would run out of registrations halfway through the suite.
    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(request, django_db_setup, django_db_blocker):
    """The test database as migrated, with a copy of the rows the migrations wrote."""
    aliases, _ = _get_databases_for_setup(request.session.items)
    if DEFAULT_DB_ALIAS not in aliases:
        # No test of this run uses the database, so none was made.
        yield
        return
    with django_db_blocker.unblock():
        _MIGRATED_ROWS[:] = migration_rows.snapshot()
    yield
    # The live server's request threads can leave a session open on the test
    # database, and PostgreSQL refuses to drop a database in use (after waiting
    # five seconds). End them; each process drops only its own test database.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """In a parallel run, hand out the files of slow tests first.

    pytest-xdist (``--dist loadfile``) gives each process one file at a time in
    this order. pytest-django sorts the transactional tests (the browser tests, the
    operator tests that start servers) to the end, where one slow file would keep
    one process busy long after the other has run out of work.
    """
    if not hasattr(config, "workerinput"):
        return
    slow = {item.path for item in items if _flushes_tables(item)}
    items.sort(key=lambda item: item.path not in slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # A transactional test ends by emptying every table, which takes the rows the
    # migrations wrote (the tier ladder, the default groups, the reactions) with
    # it. Put them back, so every test starts from the migrated database whatever
    # ran before it in this process: parallel runs give each process its own order.
    # After the last test the test database is already gone (nextitem is None).
    result = yield
    if nextitem is not None and _MIGRATED_ROWS and _flushes_tables(item):
        with item.config.stash[blocking_manager_key].unblock():
            migration_rows.restore(_MIGRATED_ROWS)
    return result


_MIGRATED_ROWS: list = []


def _flushes_tables(item) -> bool:
    """Whether pytest-django ran this test as a TransactionTestCase."""
    marker = item.get_closest_marker("django_db")
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    names = getattr(item, "fixturenames", ())
    return any(
        name in names
        for name in ("transactional_db", "live_server", "django_db_reset_sequences")
    )


@pytest.fixture(autouse=True)
def _empty_view_buffer():
    # Views recorded by an earlier test stay buffered in the process (for rows
    # that its rolled-back transaction removed, they never leave): start empty.
    with viewcounts._lock:
        viewcounts._pending.clear()


@pytest.fixture
def member(db):
    return make_member("alice")


@pytest.fixture
def other_member(db):
    return make_member("bob")


@pytest.fixture
def moderator(db):
    return make_member("mod", is_moderator=True)


@pytest.fixture
def staff(db):
    return make_member("staffer", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def board(db):
    return make_board("General chat")


@pytest.fixture
def thread(board, member):
    return make_thread(board=board, author=member, title="Hello world")


def count_queries(client, url: str, status: int = 200) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == status, response
    return len(ctx.captured_queries)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls
    # tests make between browser steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launch = {"headless": True, "args": CHROMIUM_ARGS}
        if os.path.exists(CHROMIUM):
            launch["executable_path"] = CHROMIUM
        browser = playwright.chromium.launch(**launch)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def database_queue(settings):
    """The production task queue (django_tasks_db) instead of the immediate backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """Run every queued task the way the worker process does, then return."""
    call_command("db_worker", batch=True, startup_delay=False, reload=False)
