#!/bin/sh
# Container entry point: wait for PostgreSQL, apply migrations (unless
# MIGRATE_ON_START=false), then serve with gunicorn. The test suite runs this same
# script outside Docker (tests/ops/test_production.py, tests/ops/test_stack.py), so
# it only relies on python and gunicorn on PATH.
set -eu

cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
    echo "entrypoint: DATABASE_URL must point at the PostgreSQL server" >&2
    exit 64
fi

python docker/wait_for_db.py
# docker compose migrates once in its migrate service and sets this to false, so
# web replicas started together never race to apply the same migration.
if [ "${MIGRATE_ON_START:-true}" != "false" ]; then
    python manage.py migrate --noinput
fi

# Extra arguments (for example "--check-config") go to gunicorn.
exec gunicorn --config config/gunicorn.py "$@" config.wsgi:application
