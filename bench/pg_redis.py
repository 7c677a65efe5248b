"""A PostgreSQL cluster and a Redis server for the benchmarks, started with the tests' own server code.

Run by hand, in its own terminal, and leave it running while the benchmarks use it::

    .venv/bin/python bench/pg_redis.py --databases cc_a cc_b   # prints one URL per database and Redis's URL

PostgreSQL runs as the tests run it (``fsync=off``, ``synchronous_commit=off``: a benchmark of the
product's CPU and round trips, not of a disk). Ctrl-C (or SIGTERM) stops both.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dbservers import PostgresServer, RedisServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="+", default=["cc_bench"], help="empty databases to create")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cc-bench-pg-"))
    root.chmod(0o755)  # the cluster runs as the postgres user below it when we are root
    postgres, redis = PostgresServer(root), RedisServer(root)
    postgres.launch()
    redis.launch()
    postgres.wait_ready()
    redis.wait_ready()
    try:
        for name in args.databases:
            postgres.execute(f'CREATE DATABASE "{name}"')
            print(f"database {name}: {postgres.url(name)}", flush=True)
        print(f"redis: {redis.url}", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
