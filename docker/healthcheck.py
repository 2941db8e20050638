"""Container health check: the app answers an HTTP request without a server error.

Any status below 500 counts (a redirect to HTTPS, or 400 for a host name the check
cannot guess, still proves gunicorn and Django are up); a 500 usually means the
database is gone.
"""

import http.client
import os
import sys


def main() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and not h.startswith(".") and h != "*"), "")
    connection = http.client.HTTPConnection(
        "127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=5
    )
    headers = {"X-Forwarded-Proto": "https"}
    if host:
        headers["Host"] = host
    try:
        connection.request("GET", "/", headers=headers)
        status = connection.getresponse().status
    except OSError as error:
        print(f"healthcheck: {error}", file=sys.stderr)
        return 1
    return 0 if status < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
