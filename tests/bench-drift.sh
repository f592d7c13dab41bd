#!/usr/bin/env bash
# `migrate drift` at the size of a real schema: an installed `migrate` in a fresh `cargo new` package set up by
# `migrate init`, outside this workspace, with TABLES one-table migrations (each table with a column, an index
# and a foreign key to the one before), all applied. Prints one table row: the time of `drift` on the
# untouched database (median of RUNS) and with an index added by hand, and, for scale, a `status` of the same
# database (what reading the history alone costs). The difference is the scratch database: created, migrated
# to the applied version, described, dropped.
#
#   cargo install --locked --path migrate-cli --root /tmp/front/inst
#   MIGRATE=/tmp/front/inst/bin/migrate TABLES=200 tests/bench-drift.sh
#
# Settings (environment): MIGRATE, CRATES (checkout for `migrate init --crates-path`, default: this one), WORK
# (scratch folder, default /tmp/drift-bench), TABLES (default 200), RUNS (default 3), PGURL (server URL without a
# database, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
MIGRATE=${MIGRATE:-/tmp/front/inst/bin/migrate}
CRATES=${CRATES:-$here}
WORK=${WORK:-/tmp/drift-bench}
TABLES=${TABLES:-200}
RUNS=${RUNS:-3}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$WORK/target}

# shellcheck source=tests/bench-timing.sh
source "$here/tests/bench-timing.sh"

app=$WORK/app$TABLES
rm -rf "$app"
mkdir -p "$WORK"
cargo new --quiet --vcs none "$app"
cp "$here/Cargo.lock" "$app/Cargo.lock"
cd "$app"
"$MIGRATE" init --crates-path "$CRATES" >/dev/null
for ((i = 1; i <= TABLES; i++)); do
    ts=$(printf "202001%02d%02d%02d%02d" $((1 + i / 86400)) $((i / 3600 % 24)) $((i / 60 % 60)) $((i % 60)))
    {
        printf 'use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n'
        printf '    pgm.create_table("t%d", [column("id", "bigint").primary_key(), column("name", "text")' "$i"
        if ((i > 1)); then printf ', column("parent", "bigint").references("t%d")' $((i - 1)); fi
        printf ']);\n    pgm.create_index("t%d", ["name"]);\n}\n' "$i"
    } >"migrations/${ts}_t$i.rs"
done
db=bench_drift_$TABLES
psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
export DATABASE_URL=$PGURL/$db
"$MIGRATE" up >/dev/null 2>&1
# Once more so the front end has noted the runner as fresh: the rows below time the commands, not a build.
"$MIGRATE" status >/dev/null 2>&1
clean=$(timed 0 "$MIGRATE" drift)
status=$(timed 0 "$MIGRATE" status)
psql -q "$DATABASE_URL" -c "CREATE INDEX t1_by_hand ON t1 (id, name)"
drifted=$(timed 9 "$MIGRATE" drift)
echo "| tables | drift, untouched | drift, an index added by hand | status (for scale) |"
echo "|---|---|---|---|"
echo "| $TABLES | $(secs "$clean") | $(secs "$drifted") | $(secs "$status") |"
psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
