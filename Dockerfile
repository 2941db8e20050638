# Colloquy production image: gunicorn serving Django, static files by whitenoise.
# Build:  docker build -t colloquy .     Run: docker compose up -d (see README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    GUNICORN_RUNTIME_DIR=/run/colloquy \
    PORT=8000

WORKDIR /app

# pip 25.3 brought --build-constraint; xstatic-bootstrap is an sdist whose build
# needs setuptools<81 (requirements-build.txt).
COPY requirements.txt requirements-build.txt ./
RUN python -m pip install --upgrade "pip>=25.3" \
    && pip install --build-constraint requirements-build.txt -r requirements.txt

COPY . .

# collectstatic imports the settings, which need a database URL to parse but never
# connect here; the throwaway key exists only for this build step.
RUN DATABASE_URL=postgres://build@localhost/build \
    SECRET_KEY=collectstatic-only-not-a-secret \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home-dir /app --shell /usr/sbin/nologin colloquy \
    && mkdir -p /data/media /run/colloquy \
    && chown -R colloquy:colloquy /data /run/colloquy \
    && chmod 0700 /run/colloquy \
    && chmod 0755 docker/entrypoint.sh

USER colloquy
VOLUME ["/data/media"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "docker/healthcheck.py"]

ENTRYPOINT ["docker/entrypoint.sh"]
