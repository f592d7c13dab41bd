#!/usr/bin/env bash
# How close `migrate review`'s estimates come to the real durations, in two parts (PARTS, default "ddl data").
#
# ddl: a "production" database with ROWS items (the `review` fixture: an index built concurrently, a column
# type change that rewrites the table, a foreign key added NOT VALID then validated, NOT NULL through the check
# recipe) is reviewed twice, as a user types it: with --production-url (a role that may only read statistics;
# durations estimated from a calibration run on a scratch database) and with --clone-url naming the same
# database (the migrations run on a throwaway copy of it, durations measured). Prints one row per statement
# that reads or rewrites the table: estimate, measured, ratio.
#
# data: a "production" database with ROWS orders (the `review_estimates` fixture: a backfill of the tenth without a
# note, a background job filling the fifth without a total, a foreign key added NOT VALID then validated),
# reviewed with --production-url through a role that may read the rows (pg_read_all_data: the planner
# estimates each condition) and through one that may only read statistics (the table's rows, an upper bound),
# and measured with --clone-url; the background job, which a deploy only queues, is measured by `work` on a
# copy where the migrations before it ran. Prints the rows each estimate counts and the durations.
#
# Target: each estimate within a factor of 2 of the measured duration.
#
#   cargo build --release -p tests --bin fixture-runner
#   tests/bench-review.sh
#
# Settings (environment): RUNNER (default target/release/fixture-runner), ROWS (default 5000000), PGURL (server
# URL without a database, default postgres://postgres@127.0.0.1:5432), PARTS, CALIBRATION_ROWS.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
RUNNER=${RUNNER:-$here/target/release/fixture-runner}
ROWS=${ROWS:-5000000}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
PARTS=${PARTS:-ddl data}
admin() { psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" "$@"; }
host=${PGURL#postgres://*@}

# The DDL statements of the `review` fixture.
ddl() {
prod=bench_review_prod
target=bench_review_target
role=bench_review_stats
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
}

# The data steps of the `review_estimates` fixture: backfill, background job, foreign key validation.
data() {
prod=bench_review_estimates_prod
target=bench_review_estimates_target
copy=bench_review_estimates_copy
stats=bench_review_estimates_stats
reader=bench_review_estimates_reader
admin -c "DROP DATABASE IF EXISTS $prod WITH (FORCE)" -c "DROP DATABASE IF EXISTS $target WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $copy WITH (FORCE)" -c "DROP ROLE IF EXISTS $stats" -c "DROP ROLE IF EXISTS $reader" \
    -c "CREATE DATABASE $prod" -c "CREATE DATABASE $target" \
    -c "CREATE ROLE $stats LOGIN" -c "GRANT pg_read_all_stats TO $stats" \
    -c "CREATE ROLE $reader LOGIN" -c "GRANT pg_read_all_stats, pg_read_all_data TO $reader"
export FIXTURE=review_estimates MIGRATIONS_DIR=$here/tests/fixtures/review_estimates
work=$(mktemp -d)
cd "$work"
for db in $prod $target; do DATABASE_URL=$PGURL/$db "$RUNNER" up 1 >/dev/null; done
# A tenth of the orders without a note (the backfill's rows), a fifth without a total (the job's).
psql -q "$PGURL/$prod" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC" \
    -c "INSERT INTO warehouses SELECT i, 'warehouse ' || i FROM generate_series(1, 100) i" \
    -c "INSERT INTO orders SELECT i, CASE WHEN i % 10 <> 0 THEN 'note ' || i END,
          CASE WHEN i % 5 <> 0 THEN i % 1000 END, 1 + i % 100 FROM generate_series(1, $ROWS) i" \
    -c "VACUUM ANALYZE orders" -c "VACUUM ANALYZE warehouses"
export DATABASE_URL=$PGURL/$target
# Exit 10 is a review whose verdict is an error: its report is printed all the same.
review() { "$RUNNER" review "$@" || [ $? = 10 ]; }
review --production-url "postgres://$reader@$host/$prod" --format json \
    ${CALIBRATION_ROWS:+--calibration-rows $CALIBRATION_ROWS} >planned.json
review --production-url "postgres://$stats@$host/$prod" --format json \
    ${CALIBRATION_ROWS:+--calibration-rows $CALIBRATION_ROWS} >bounded.json
review --clone-url "$PGURL/$prod" --format json >measured.json
# The job: on a copy where the migrations before it and its own (which queues it) ran, `work` until done.
admin -c "CREATE DATABASE $copy TEMPLATE $prod"
DATABASE_URL=$PGURL/$copy "$RUNNER" up 2 >/dev/null
start=$(date +%s.%N)
DATABASE_URL=$PGURL/$copy "$RUNNER" work >/dev/null
end=$(date +%s.%N)
python3 - planned.json bounded.json measured.json "$ROWS" "$(echo "$end - $start" | bc)" <<'PY'
import json, sys
planned, bounded, real = (json.load(open(f))["review"] for f in sys.argv[1:4])
rows, job_measured = int(sys.argv[4]), float(sys.argv[5])
def statements(review):
    return [(m["name"], s) for m in review["migrations"] for s in m["statements"]]
def rows_words(s):
    r = s.get("rows")
    if not r:
        return "?"
    return ("up to " if r["upper_bound"] else "~") + f"{r['rows']:,.0f}"
print("| orders | statement | work | role | rows counted | estimated | measured | ratio | within 2x |")
print("|---|---|---|---|---|---|---|---|---|")
worst = 1.0
for label, review in (("reader", planned), ("statistics only", bounded)):
    for (name, s), (_, t) in zip(statements(review), statements(real)):
        if s["work"] == "metadata":
            continue
        e = s.get("estimate") or {}
        if s["work"] == "job":
            est, meas = e.get("job_seconds"), job_measured
        else:
            est, meas = e.get("seconds"), t["estimate"]["seconds"]
        if est is None:
            print(f"| {rows:,} | {name} | {s['work']} | {label} | {rows_words(s)} | unknown: {s.get('unknown')} | {meas:.2f} s | | |")
            continue
        ratio = est / meas if meas > 0 else float("inf")
        ok = "yes" if 0.5 <= ratio <= 2 else "NO"
        if label == "reader":
            worst = max(worst, ratio, 1 / ratio if ratio > 0 else float("inf"))
        print(f"| {rows:,} | {name} | {s['work']} | {label} | {rows_words(s)} | {est:.2f} s | {meas:.2f} s | {ratio:.2f} | {ok} |")
print(f"\nworst factor (reader role): {worst:.2f}")
for name, s in statements(planned):
    if s["work"] != "metadata" and s.get("estimate"):
        print(f"- {name} ({s['work']}): {s['estimate']['basis']}")
PY
cd /
rm -rf "$work"
admin -c "DROP DATABASE IF EXISTS $prod WITH (FORCE)" -c "DROP DATABASE IF EXISTS $target WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $copy WITH (FORCE)" -c "DROP ROLE IF EXISTS $stats" -c "DROP ROLE IF EXISTS $reader"
}

for part in $PARTS; do
    "$part"
done
