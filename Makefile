# Colloquy: `make run` serves the demo forum, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean-db

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Colloquy needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# xstatic-bootstrap ships only an sdist whose setup.py needs pkg_resources, which
# setuptools 81 removed; requirements-build.txt pins the build backend below that.
$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt requirements-build.txt
	$(BIN)/pip install --quiet --build-constraint requirements-build.txt -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=True $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=True $(BIN)/python manage.py load_demo_forum --if-empty
	DJANGO_DEBUG=True $(BIN)/python manage.py ensure_admin
	@# The worker forgets old IP addresses daily (a task that queues its next run).
	DJANGO_DEBUG=True $(BIN)/python manage.py prune_ip_addresses --schedule
	DJANGO_DEBUG=True $(BIN)/python manage.py prune_read_state --schedule
	DJANGO_DEBUG=True $(BIN)/python manage.py privacy_upkeep --schedule
	@# The task worker (queued mail) runs beside the web server and stops with it.
	@# Without --reload it is one process, which the trap can stop.
	@DJANGO_DEBUG=True $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=True $(BIN)/python manage.py runserver 127.0.0.1:8000

# With DATABASE_URL unset, tests run on an embedded PostgreSQL in a throwaway folder
# that is stopped and deleted when the run ends. They run in one process per core
# (pytest-xdist), each with its own test database, a whole file at a time;
# TEST_WORKERS=0 runs them in this one process, TEST_WORKERS=4 in four.
TEST_WORKERS ?= auto
test: $(STAMP)
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$PLAYWRIGHT_CHROMIUM" ]; then $(BIN)/playwright install chromium; fi
	@pgdata=$$(mktemp -d /tmp/colloquy-test-pg.XXXXXX); \
	CONN_MAX_AGE=0 COLLOQUY_PGDATA=$$pgdata/data COLLOQUY_PGDATA_EPHEMERAL=1 $(BIN)/pytest \
		-n $(TEST_WORKERS) --dist loadfile --durations=15 $(PYTEST_ARGS); \
	status=$$?; rm -rf $$pgdata; exit $$status

# ruff, then the import contracts in .importlinter (see docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Load-test the forum against Django's floor on the generated forum (run
# `COLLOQUY_DEV_TOOLS=True .venv/bin/python manage.py generate_forum` first); see
# bench/README.md. BENCH_ARGS="--rounds 5". The bench-only apps are installed here.
bench: $(STAMP)
	COLLOQUY_DEV_TOOLS=True $(BIN)/python bench/run.py $(BENCH_ARGS)
	@# A reply in a thread watched by 1,000 members vs by none (alerts fan out in
	@# the worker); builds and removes its own board. FANOUT_ARGS="--replies 50".
	$(BIN)/python bench/fanout.py $(FANOUT_ARGS)
	@# /search/ through HTTP (about 60 mixed searches) and the reply's index upkeep.
	COLLOQUY_DEV_TOOLS=True $(BIN)/python bench/search.py $(SEARCH_ARGS)
	@# Two nodes on Redis behind haproxy vs one node on local memory: CPU per
	@# request of app, database, Redis and proxy. NODES_ARGS="--rounds 5".
	COLLOQUY_DEV_TOOLS=True $(BIN)/python bench/nodes.py $(NODES_ARGS)

# Backups: backups/<timestamp>/ holds a pg_dump (custom format) and a tar of the media
# folder; restore loads one into an empty database. See README "Backups".
.PHONY: backup restore
backup: $(STAMP)
	$(BIN)/python manage.py backup $(if $(BACKUP_DIR),--output-dir "$(BACKUP_DIR)")

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/<timestamp>"; exit 2; }
	$(BIN)/python manage.py restore "$(BACKUP)"
