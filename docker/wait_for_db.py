"""Wait until the server in DATABASE_URL accepts connections (docker compose start)."""

import os
import sys
import time

import psycopg


def main() -> int:
    url = os.environ["DATABASE_URL"]
    deadline = time.monotonic() + float(os.environ.get("DB_WAIT_SECONDS", "60"))
    while True:
        try:
            psycopg.connect(url, connect_timeout=3).close()
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                print(f"wait_for_db: giving up: {error}", file=sys.stderr)
                return 1
            print("wait_for_db: database not ready, retrying…", file=sys.stderr)
            time.sleep(1)
        else:
            return 0


if __name__ == "__main__":
    sys.exit(main())
