#!/usr/bin/env python3
"""Times gzca's OCSP status query alone, in the database, once per serial of a pool.

Usage: query_latency.py sqlite DB_FILE ISSUER_ID SERIALS_FILE KEY
       query_latency.py pg     PG_URL  ISSUER_ID SERIALS_FILE KEY

Prints "KEY.query_p50_us<TAB>N" and "KEY.query_p99_us<TAB>N" (bench/run.sh's results format).
The query is the one src/ca/ocsp_responder.cpp runs. SQLite: through Python's sqlite3 module on a
read-only connection (a few µs of Python per call included). PostgreSQL: a PL/pgSQL loop run by
psql, timed with clock_timestamp() inside the server, so no client round trip is included.
"""

import subprocess
import sys
import time

QUERY = ("SELECT status, revoked_at, revocation_reason FROM certificates "
         "WHERE issuer_id = ? AND serial = ?")


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def sqlite_times(path, iid, serials):
    import sqlite3
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    times = []
    for s in serials:
        t0 = time.perf_counter_ns()
        row = db.execute(QUERY, (iid, s)).fetchone()
        times.append((time.perf_counter_ns() - t0) / 1000)
        if row is None:
            raise SystemExit(f"query_latency: serial {s} not found")
    return times


def pg_times(url, iid, serials):
    values = ",".join(f"('{s}')" for s in serials if all(c in "0123456789abcdef" for c in s))
    sql = f"""
CREATE TEMP TABLE pool (serial text);
INSERT INTO pool VALUES {values};
CREATE TEMP TABLE lat (us float8);
DO $$
DECLARE s text; st text; t0 timestamptz;
BEGIN
    FOR s IN SELECT serial FROM pool LOOP
        t0 := clock_timestamp();
        SELECT status INTO st FROM certificates WHERE issuer_id = {int(iid)} AND serial = s;
        INSERT INTO lat VALUES (extract(epoch FROM clock_timestamp() - t0) * 1e6);
    END LOOP;
END
$$;
SELECT us FROM lat;
"""
    out = subprocess.run(["psql", "-Atq", "-v", "ON_ERROR_STOP=1", url], input=sql, text=True,
                         capture_output=True, check=True).stdout
    return [float(x) for x in out.split()]


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("sqlite", "pg"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, where, iid, pool, key = sys.argv[1:]
    serials = [s.strip() for s in open(pool) if s.strip()]
    times = sorted(sqlite_times(where, int(iid), serials) if kind == "sqlite"
                   else pg_times(where, iid, serials))
    print(f"{key}.query_p50_us\t{percentile(times, 50):.1f}")
    print(f"{key}.query_p99_us\t{percentile(times, 99):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
