#!/usr/bin/env bash
# `migrate fleet drift` over SCHEMAS tenant schemas of one database (the `fleet` fixture's four migrations; a
# tenth of the tenants two migrations behind, so two scratch builds), run by the fixture runner built as
# an application's runner is. Prints one table row: `fleet drift` untouched and with an index added by hand in
# one tenant (median of RUNS), and, for scale, `fleet status` of the same fleet.
#
#   cargo build --release -p tests --bin fixture-runner
#   SCHEMAS=1000 tests/bench-fleet-drift.sh
#
# Settings (environment): RUNNER (default target/release/fixture-runner), SCHEMAS (default 1000), RUNS (default
# 3), PGURL (server URL without a database, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
RUNNER=${RUNNER:-$here/target/release/fixture-runner}
SCHEMAS=${SCHEMAS:-1000}
RUNS=${RUNS:-3}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}

# shellcheck source=tests/bench-timing.sh
source "$here/tests/bench-timing.sh"

db=bench_fleet_drift
psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
export DATABASE_URL=$PGURL/$db FIXTURE=fleet MIGRATIONS_DIR=$here/tests/fixtures/fleet
behind=$((SCHEMAS / 10))
all=$(seq -f "tenant_%g" 1 "$SCHEMAS" | paste -sd,)
old=$(seq -f "tenant_%g" 1 "$behind" | paste -sd,)
new=$(seq -f "tenant_%g" $((behind + 1)) "$SCHEMAS" | paste -sd,)
cd "$(mktemp -d)"
"$RUNNER" fleet up --schemas "$old" --to 20260601000002_add_note >/dev/null 2>&1
"$RUNNER" fleet up --schemas "$new" >/dev/null 2>&1
clean=$(timed 0 "$RUNNER" fleet drift --schemas "$all")
status=$(timed 0 "$RUNNER" fleet status --schemas "$all")
psql -q "$DATABASE_URL" -c "CREATE INDEX by_hand ON tenant_$SCHEMAS.items (id)"
drifted=$(timed 9 "$RUNNER" fleet drift --schemas "$all")
echo "| schemas | fleet drift, untouched | fleet drift, an index added by hand in one | fleet status (for scale) |"
echo "|---|---|---|---|"
echo "| $SCHEMAS | $(secs "$clean") | $(secs "$drifted") | $(secs "$status") |"
psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
