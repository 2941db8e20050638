"""Log lines as JSON objects (``LOG_FORMAT=json``) and one line per request.

``RequestLogMiddleware`` is the outermost middleware. It gives each request an id
(the proxy's ``X-Request-ID`` when it is a plausible one, else a new one), sends it
back in the response's ``X-Request-ID`` header, makes it part of every log line the
request writes, and logs one ``colloquy.request`` line with the method, path,
status and duration once the response is ready. With ``LOG_FORMAT=json`` those
lines and every other record are one JSON object each, which log shippers read
without a pattern; the plain format is for people reading a terminal.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

request_id: ContextVar[str] = ContextVar("request_id", default="")
request_logger = logging.getLogger("colloquy.request")

# What a proxy may hand on: nginx's $request_id is 32 hex digits; a UUID has dashes.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Probes every few seconds would drown the requests people make.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})
# Fields every LogRecord has; anything else was passed in ``extra=`` and is kept.
_STANDARD = frozenset(
    set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if current := request_id.get():
            entry["request_id"] = current
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestLogMiddleware:
    """Tags the request with an id and logs its outcome and duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        current = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(current)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = current
            if request.path not in QUIET_PATHS:
                duration_ms = round((time.perf_counter() - started) * 1000, 1)
                request_logger.info(
                    "%s %s %s %.1fms",
                    request.method,
                    request.path,
                    response.status_code,
                    duration_ms,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": duration_ms,
                    },
                )
            return response
        finally:
            request_id.reset(token)


def logging_config(*, fmt: str, level: str) -> dict:
    """The LOGGING setting: plain or JSON lines on standard error."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "config.logs.JsonFormatter"},
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if fmt == "json" else "plain",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # The request lines are INFO whatever LOG_LEVEL is: in the plain format
        # gunicorn's access log already tells the same, so they are off there.
        "loggers": {
            "colloquy.request": {"level": "INFO" if fmt == "json" else "WARNING"},
        },
    }
