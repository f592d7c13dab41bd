#!/usr/bin/env bash
# How close `migrate review`'s estimates come to the real durations. A "production" database with ROWS items
# (the `review` fixture: an index built concurrently, a column type change that rewrites the table, a foreign
# key added NOT VALID then validated, NOT NULL through the check recipe) is reviewed twice, as a user types it:
# with --production-url (a role that may only read statistics; durations estimated from a calibration run on a
# scratch database) and with --clone-url naming the same database (the migrations run on a throwaway copy of it,
# durations measured). Prints one row per statement that reads or rewrites the table: estimate, measured, ratio.
# Target: each estimate within a factor of 2 of the measured duration.
#
#   cargo build --release -p tests --bin fixture-runner
#   tests/bench-review.sh
#
# Settings (environment): RUNNER (default target/release/fixture-runner), ROWS (default 5000000), PGURL (server
# URL without a database, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
RUNNER=${RUNNER:-$here/target/release/fixture-runner}
ROWS=${ROWS:-5000000}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}

prod=bench_review_prod
target=bench_review_target
role=bench_review_stats
admin() { psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" "$@"; }
admin -c "DROP DATABASE IF EXISTS $prod WITH (FORCE)" -c "DROP DATABASE IF EXISTS $target WITH (FORCE)" \
    -c "DROP ROLE IF EXISTS $role" -c "CREATE DATABASE $prod" -c "CREATE DATABASE $target" \
    -c "CREATE ROLE $role LOGIN" -c "GRANT pg_read_all_stats TO $role"
export FIXTURE=review MIGRATIONS_DIR=$here/tests/fixtures/review
work=$(mktemp -d)
cd "$work"
for db in $prod $target; do DATABASE_URL=$PGURL/$db "$RUNNER" up 1 >/dev/null; done
psql -q "$PGURL/$prod" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC" \
    -c "INSERT INTO categories SELECT i, 'category ' || i FROM generate_series(1, 1000) i" \
    -c "INSERT INTO items SELECT i, 'item number ' || i, i % 1000, 1 + i % 1000,
          CASE WHEN i % 3 = 0 THEN 'note ' || i ELSE 'n' END FROM generate_series(1, $ROWS) i" \
    -c "VACUUM ANALYZE items" -c "VACUUM ANALYZE categories"
host=${PGURL#postgres://*@}
export DATABASE_URL=$PGURL/$target
code=0
"$RUNNER" review --production-url "postgres://$role@$host/$prod" --format json ${CALIBRATION_ROWS:+--calibration-rows $CALIBRATION_ROWS} >estimated.json || code=$?
[ "$code" = 0 ] || [ "$code" = 10 ] || { echo "review --production-url exited $code" >&2; exit 1; }
code=0
"$RUNNER" review --clone-url "$PGURL/$prod" --format json >measured.json || code=$?
[ "$code" = 0 ] || [ "$code" = 10 ] || { echo "review --clone-url exited $code" >&2; exit 1; }
python3 - estimated.json measured.json "$ROWS" <<'PY'
import json, sys
est, real, rows = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
print(f"| rows | statement | work | estimated | measured | ratio | within 2x |")
print("|---|---|---|---|---|---|---|")
worst = 1.0
for m, n in zip(est["review"]["migrations"], real["review"]["migrations"]):
    for s, t in zip(m["statements"], n["statements"]):
        if s["work"] == "metadata":
            continue
        e, r = s["estimate"]["seconds"], t["estimate"]["seconds"]
        ratio = e / r if r > 0 else float("inf")
        worst = max(worst, ratio, 1 / ratio if ratio > 0 else float("inf"))
        sql = s["sql"].split("\n")[0][:60].replace("|", "\\|")
        ok = "yes" if 0.5 <= ratio <= 2 else "NO"
        print(f"| {rows:,} | `{sql}` | {s['work']} | {e:.2f} s | {r:.2f} s | {ratio:.2f} | {ok} |")
print(f"\nworst factor: {worst:.2f}")
PY
cd /
rm -rf "$work"
admin -c "DROP DATABASE IF EXISTS $prod WITH (FORCE)" -c "DROP DATABASE IF EXISTS $target WITH (FORCE)" -c "DROP ROLE IF EXISTS $role"
