#!/bin/sh
# Container entry point: wait for PostgreSQL, apply migrations, then serve with
# gunicorn. The test suite runs this same script outside Docker
# (tests/ops/test_production.py), so it only relies on python and gunicorn on PATH.
set -eu

cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
    echo "entrypoint: DATABASE_URL must point at the PostgreSQL server" >&2
    exit 64
fi

python docker/wait_for_db.py
python manage.py migrate --noinput

# Extra arguments (for example "--check-config") go to gunicorn.
exec gunicorn --config config/gunicorn.py "$@" config.wsgi:application
