"""Container health check: /readyz answers 200 (config/health.py).

That is gunicorn and Django up, and the database, Redis (when REDIS_URL is set) and
the media storage answering. The probe is answered before the HTTPS redirect and the
host check, so plain HTTP to the container's own address is enough. On failure the
names of the checks that failed are printed, which `docker inspect` shows.
"""

import http.client
import os
import sys


def main() -> int:
    connection = http.client.HTTPConnection(
        "127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=10
    )
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    except OSError as error:
        print(f"healthcheck: {error}", file=sys.stderr)
        return 1
    if response.status != 200:
        print(
            f"healthcheck: /readyz answered {response.status}: {body}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
