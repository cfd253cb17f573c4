"""Wait until PostgreSQL at $DATABASE_URL accepts connections (`entrypoint.sh wait-db`).

Gives up after $WAIT_FOR_DB_SECONDS (default 300) with a non-zero exit. Used as the
migration Job's init container: the database may still be starting (bundled PostgreSQL,
a fail-over).
"""

import os
import sys
import time

import psycopg2


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.stderr.write("wait-db: DATABASE_URL is not set\n")
        return 2
    deadline = time.monotonic() + int(os.environ.get("WAIT_FOR_DB_SECONDS") or 300)
    while True:
        try:
            psycopg2.connect(url, connect_timeout=5).close()
        except psycopg2.OperationalError as exc:
            if time.monotonic() >= deadline:
                sys.stderr.write(f"wait-db: database not reachable: {str(exc).strip()}\n")
                return 1
            time.sleep(2)
        else:
            sys.stderr.write("wait-db: database is up\n")
            return 0


if __name__ == "__main__":
    sys.exit(main())
