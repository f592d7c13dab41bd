#!/usr/bin/env bash
# Fleet benchmark: `migrate fleet up` against a shell loop of `migrate up`, one target at a time, over the same
# five migrations (tests/fixtures/fleet_bench: two tables, a column, an index, a column with a default), on
# one server. For each shape it prints one table row: wall time of each, the ratio, and the fleet's peak memory
# (maximum RSS, /usr/bin/time -f %M). Then the memory at SCHEMAS_SMALL against SCHEMAS schemas, and the cost of
# resuming a fleet run killed (SIGKILL) at half-way.
#
#   cargo build --release -p tests --bin fixture-runner
#   cargo install --locked --path migrate-cli --root /tmp/fleet-front/inst
#   MIGRATE=/tmp/fleet-front/inst/bin/migrate tests/bench-fleet.sh
#
# The runner is the fixtures' runner binary (what an application's `migrate` runs after its build), called
# directly by both sides: the loop pays neither the front end nor a build per call, so its figures are the best a
# loop can do. A schema target in the loop is the way a loop reaches one: MIGRATIONS_SCHEMA for the table and
# `options=-c search_path=...` in the URL. The fleet runs with its defaults (16 at once, 8 per server).
#
# Settings (environment): RUNNER (default target/release/fixture-runner), BASE_RUNNER (another build of the same
# runner, say of the commit before a change: `pairs` adds it as a member of each round; BASE_MIGRATIONS_DIR is the
# fixture's folder it was built from, when another checkout's), PGURL (server URL without a database,
# default postgres://postgres@127.0.0.1:5432), SCHEMAS (default 1000), SCHEMAS_SMALL (default 100), DATABASES
# (default 100), MIGRATE (an installed `migrate`: adds the row through it, see `front` below), PARTS (default
# "schemas status floor databases front memory resume"; `status` times `fleet status` after `schemas`; `pairs`, not run by default, compares the fleet with psql round by
# round, see below), FRONT_PROFILES and ROUNDS (see `front` and `pairs` below), LOOP_SCHEMAS (schemas the loop
# runs over, default SCHEMAS; fewer to save time, its time is then scaled up to SCHEMAS and marked so).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
RUNNER=${RUNNER:-$here/target/release/fixture-runner}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
SCHEMAS=${SCHEMAS:-1000}
SCHEMAS_SMALL=${SCHEMAS_SMALL:-100}
DATABASES=${DATABASES:-100}
LOOP_SCHEMAS=${LOOP_SCHEMAS:-$SCHEMAS}
export FIXTURE=fleet_bench
export MIGRATIONS_DIR=$here/tests/fixtures/fleet_bench
MIGRATIONS=5
PARTS=${PARTS:-"schemas status floor databases front memory resume"}
WORK=$(mktemp -d)
# On a failure, the last lines of the fleet's output say why.
trap 'status=$?; if [ $status != 0 ] && [ -f "$WORK/fleet.out" ]; then tail -n 20 "$WORK/fleet.out" >&2; fi; rm -rf "$WORK"' EXIT
cd "$WORK"
part() { [[ " $PARTS " == *" $1 "* ]]; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN {printf "%.1f s", ms/1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a/b}'; }
# A new database $1, after a checkpoint: a timed run does not pay for flushing what the previous one (or its
# database's drop) left dirty.
fresh_db() { psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" -c "CHECKPOINT" >/dev/null; }
drop_db() { psql -q "$PGURL/postgres" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }
# Migrations recorded over every schema of database $1 named tenant_*.
recorded() {
    psql -Atq "$PGURL/$1" -c "SELECT coalesce(sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.pgmigrations', nspname), false, true, '')))[1]::text::int), 0) FROM pg_namespace WHERE nspname LIKE 'tenant\_%'"
}
schemas_query() { echo "SELECT 'tenant_' || i AS schema FROM generate_series(1, $1) AS i"; }
# `fleet up` over $2 schemas of database $1; prints "wall_ms peak_kib".
fleet_schemas() {
    local start end
    start=$(now_ms)
    DATABASE_URL=$PGURL/$1 /usr/bin/time -o time.txt -f %M "$RUNNER" fleet up --query "$(schemas_query "$2")" >fleet.out 2>fleet.err
    end=$(now_ms)
    echo "$((end - start)) $(tail -n1 time.txt)"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(psql -Atq "$PGURL/postgres" -c 'SHOW server_version')"
echo
echo "| shape | fleet up | loop of migrate up | fleet is faster by | fleet peak memory |"
echo "|---|---|---|---|---|"

# Schemas on one database.
if part schemas; then
fresh_db bench_fleet_s
read -r fleet_ms fleet_kib < <(fleet_schemas bench_fleet_s "$SCHEMAS")
[ "$(recorded bench_fleet_s)" = $((SCHEMAS * MIGRATIONS)) ] || { echo "fleet: not every migration recorded" >&2; exit 1; }
if part status; then
    # `fleet status` of the schemas just rolled out: its budget is 1 s. Three runs, the median; the
    # transactions the server counted for the database say how many queries it took.
    status_ms=()
    xacts_before=$(psql -Atq "$PGURL/postgres" -c "SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench_fleet_s'" | tail -n1)
    for round in 1 2 3; do
        start=$(now_ms)
        DATABASE_URL=$PGURL/bench_fleet_s "$RUNNER" fleet status --query "$(schemas_query "$SCHEMAS")" >status.out 2>status.err
        status_ms+=($(($(now_ms) - start)))
        grep -q "current: $SCHEMAS" status.out || { echo "fleet status: not every schema current" >&2; cat status.out >&2; exit 1; }
    done
    sleep 1
    xacts_after=$(psql -Atq "$PGURL/postgres" -c "SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench_fleet_s'" | tail -n1)
    median_ms=$(printf '%s\n' "${status_ms[@]}" | sort -n | sed -n 2p)
    echo "| fleet status of $SCHEMAS schemas, one database (budget 1 s) | $(secs "$median_ms") (runs: ${status_ms[*]} ms) | | $(((xacts_after - xacts_before) / 3)) transaction(s) a run on the server | |"
fi
fresh_db bench_fleet_s
start=$(now_ms)
for ((i = 1; i <= LOOP_SCHEMAS; i++)); do
    DATABASE_URL="$PGURL/bench_fleet_s?options=-c%20search_path%3Dtenant_$i" MIGRATIONS_SCHEMA=tenant_$i "$RUNNER" up >/dev/null
done
loop_ms=$(($(now_ms) - start))
[ "$(recorded bench_fleet_s)" = $((LOOP_SCHEMAS * MIGRATIONS)) ] || { echo "loop: not every migration recorded" >&2; exit 1; }
loop_note=""
if [ "$LOOP_SCHEMAS" != "$SCHEMAS" ]; then
    loop_ms=$((loop_ms * SCHEMAS / LOOP_SCHEMAS))
    loop_note=" (scaled from $LOOP_SCHEMAS)"
fi
echo "| $SCHEMAS schemas x $MIGRATIONS migrations, one database | $(secs "$fleet_ms") | $(secs "$loop_ms")$loop_note | $(ratio "$loop_ms" "$fleet_ms") | $((fleet_kib / 1024)) MiB |"
drop_db bench_fleet_s
fi

# The server's own work for the same schemas: each tenant's schema, its migrations table, the five migrations'
# transactions and their bookkeeping rows, sent by psql over as many sessions as the fleet uses on one server (8),
# without any of the tool's reads. Not a floor: psql sends each statement in a round trip of its own, and the fleet,
# which sends fewer, has been faster than it since each migration's record takes one round trip (2026-11-26).
# floor_scripts writes the eight scripts once; floor_run runs them on a new database and prints its wall time (ms).
floor_scripts() {
    [ -f floor_0.sql ] && return
    fresh_db bench_fleet_floor
    DATABASE_URL=$PGURL/bench_fleet_floor "$RUNNER" sql 2>/dev/null | grep -v '^--' \
        | sed -E "s/\"public\"\.\"pgmigrations\"/pgmigrations/; s/VALUES \(\\\$1, (pg_catalog.clock_timestamp\(\)), \\\$2, \\\$3, \\\$4, \\\$5, \\\$6\); -- \\\$1 = ('[^']*'), \\\$2 = ('[^']*'), \\\$3 = [^,]*, \\\$4 = ('[^']*'), .*, \\\$6 = (true|false)\$/VALUES (\2, \1, \3, 0, \4, '{}', \5);/" >body.sql
    grep -q "VALUES ('" body.sql || { echo "floor: cannot turn the runner's SQL into a script" >&2; exit 1; }
    for ((s = 0; s < 8; s++)); do
        for ((i = s + 1; i <= SCHEMAS; i += 8)); do
            # The schema and its migrations table in one transaction, as the runner creates them.
            printf 'BEGIN;\nCREATE SCHEMA tenant_%d;\nSET search_path = tenant_%d;\n' "$i" "$i"
            printf 'CREATE TABLE pgmigrations (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, run_on timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), checksum text NOT NULL, execution_ms bigint NOT NULL, phase text, down_statements text[], down_transactional boolean);\nCOMMIT;\n'
            cat body.sql
        done >"floor_$s.sql"
    done
}
floor_run() {
    local start ms
    floor_scripts
    fresh_db bench_fleet_floor
    start=$(now_ms)
    for ((s = 0; s < 8; s++)); do psql -X -q -v ON_ERROR_STOP=1 "$PGURL/bench_fleet_floor" -f "floor_$s.sql" >/dev/null & done
    wait
    ms=$(($(now_ms) - start))
    [ "$(recorded bench_fleet_floor)" = $((SCHEMAS * MIGRATIONS)) ] || { echo "floor: not every migration recorded" >&2; exit 1; }
    drop_db bench_fleet_floor
    echo "$ms"
}
if part floor; then
floor_ms=$(floor_run)
echo "| $SCHEMAS schemas x $MIGRATIONS migrations, psql -f sending only the migrations, one statement per round trip (8 sessions) | $(secs "$floor_ms") | | fleet / psql: $(if [ -n "${fleet_ms:-}" ]; then ratio "$fleet_ms" "$floor_ms"; else echo "(fleet not run)"; fi) | |"
fi

# Databases on one server: the fleet reads them from a control query.
if part databases; then
for ((i = 1; i <= DATABASES; i++)); do fresh_db "bench_fleet_d$i"; done
start=$(now_ms)
DATABASE_URL=$PGURL/postgres /usr/bin/time -o time.txt -f %M "$RUNNER" fleet up \
    --query "SELECT '$PGURL/bench_fleet_d' || i AS url FROM generate_series(1, $DATABASES) AS i" >fleet.out
dbs_fleet_ms=$(($(now_ms) - start))
dbs_kib=$(tail -n1 time.txt)
for ((i = 1; i <= DATABASES; i++)); do fresh_db "bench_fleet_d$i"; done
start=$(now_ms)
for ((i = 1; i <= DATABASES; i++)); do
    DATABASE_URL="$PGURL/bench_fleet_d$i" "$RUNNER" up >/dev/null
done
dbs_loop_ms=$(($(now_ms) - start))
echo "| $DATABASES databases x $MIGRATIONS migrations, one server | $(secs "$dbs_fleet_ms") | $(secs "$dbs_loop_ms") | $(ratio "$dbs_loop_ms" "$dbs_fleet_ms") | $((dbs_kib / 1024)) MiB |"
for ((i = 1; i <= DATABASES; i++)); do drop_db "bench_fleet_d$i"; done
fi

# Through the installed `migrate` (MIGRATE), in a package set up as a user sets one up (`cargo new`, `migrate
# init`, the five migrations), its runner built in each profile of FRONT_PROFILES (default "dev", what a user's
# loop calls; "release" is `fleet up --release`, which docs/fleet.md advises for large fleets).
# front_setup makes the package; front_build builds its runner in profile $1 and prints the first build's time
# (ms); front_fleet runs `fleet up` through it and prints its wall time (ms).
app=$WORK/app
release_flag() { [ "$1" = release ] && echo --release || true; }
front_setup() {
    [ -d "$app" ] && return
    cargo new --quiet --vcs none "$app"
    cp "$here/Cargo.lock" "$app/Cargo.lock"
    (cd "$app" && "$MIGRATE" init --crates-path "$here" >/dev/null)
    cp "$MIGRATIONS_DIR"/*.rs "$app/migrations/"
}
front_build() {
    local start ms
    front_setup
    fresh_db bench_fleet_f
    # Twice: the first builds the runner, the second lets the front end note the build as fresh.
    start=$(now_ms)
    (cd "$app" && env -u FIXTURE -u MIGRATIONS_DIR DATABASE_URL=$PGURL/bench_fleet_f "$MIGRATE" up $(release_flag "$1") >/dev/null)
    ms=$(($(now_ms) - start))
    (cd "$app" && env -u FIXTURE -u MIGRATIONS_DIR DATABASE_URL=$PGURL/bench_fleet_f "$MIGRATE" up $(release_flag "$1") >/dev/null)
    drop_db bench_fleet_f
    echo "$ms"
}
front_fleet() {
    local start ms
    fresh_db bench_fleet_f
    start=$(now_ms)
    (cd "$app" && env -u FIXTURE -u MIGRATIONS_DIR DATABASE_URL=$PGURL/bench_fleet_f "$MIGRATE" fleet up $(release_flag "$1") --query "$(schemas_query "$SCHEMAS")" >"$WORK/fleet.out" 2>"$WORK/fleet.err")
    ms=$(($(now_ms) - start))
    [ "$(recorded bench_fleet_f)" = $((SCHEMAS * MIGRATIONS)) ] || { echo "fleet via migrate: not every migration recorded" >&2; exit 1; }
    drop_db bench_fleet_f
    echo "$ms"
}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target/bench-fleet-front}
if part front && [ -n "${MIGRATE:-}" ]; then
for profile in ${FRONT_PROFILES:-dev}; do
build_ms=$(front_build "$profile")
front_fleet_ms=$(front_fleet "$profile")
fresh_db bench_fleet_f
start=$(now_ms)
for ((i = 1; i <= LOOP_SCHEMAS; i++)); do
    (cd "$app" && env -u FIXTURE -u MIGRATIONS_DIR DATABASE_URL="$PGURL/bench_fleet_f?options=-c%20search_path%3Dtenant_$i" MIGRATIONS_SCHEMA=tenant_$i "$MIGRATE" up $(release_flag "$profile") >/dev/null)
done
front_loop_ms=$(($(now_ms) - start))
[ "$(recorded bench_fleet_f)" = $((LOOP_SCHEMAS * MIGRATIONS)) ] || { echo "loop via migrate: not every migration recorded" >&2; exit 1; }
note=""
if [ "$LOOP_SCHEMAS" != "$SCHEMAS" ]; then
    front_loop_ms=$((front_loop_ms * SCHEMAS / LOOP_SCHEMAS))
    note=" (scaled from $LOOP_SCHEMAS)"
fi
vs_psql=""
[ -n "${floor_ms:-}" ] && vs_psql="; fleet / psql: $(ratio "$front_fleet_ms" "$floor_ms")"
echo "| $SCHEMAS schemas x $MIGRATIONS migrations, through the installed \`migrate\` ($profile runner, first build $(secs "$build_ms")) | $(secs "$front_fleet_ms") | $(secs "$front_loop_ms")$note | $(ratio "$front_loop_ms" "$front_fleet_ms")$vs_psql | |"
drop_db bench_fleet_f
done
fi

# The fleet against psql in ROUNDS rounds (default 3), each running the runner binary's fleet, psql's scripts and
# the fleet through the installed `migrate` in each of FRONT_PROFILES (when MIGRATE is set) one after another,
# so that a server whose pace drifts from minute to minute weighs on every ratio of a round alike. Prints each
# round's times and ratios, then the median ratio of each.
if part pairs; then
profiles=""
if [ -n "${MIGRATE:-}" ]; then
    profiles=${FRONT_PROFILES:-dev}
    for profile in $profiles; do echo "(the $profile runner built in $(secs "$(front_build "$profile")"))"; done
fi
echo
header="| round | psql | runner binary (release) |"
rule="|---|---|---|"
base=""
if [ -n "${BASE_RUNNER:-}" ]; then base=base; header="$header base runner binary |"; rule="$rule---|"; fi
for profile in $profiles; do header="$header migrate fleet up, $profile runner |"; rule="$rule---|"; done
echo "$header"
echo "$rule"
: >ratios.txt
binary_run() {
    local ms
    fresh_db bench_fleet_s
    ms=$(RUNNER=${1:-$RUNNER} fleet_schemas bench_fleet_s "$SCHEMAS" | cut -d' ' -f1)
    [ "$(recorded bench_fleet_s)" = $((SCHEMAS * MIGRATIONS)) ] || { echo "fleet: not every migration recorded" >&2; exit 1; }
    drop_db bench_fleet_s
    echo "$ms"
}
members=(psql binary $base $profiles)
for ((r = 1; r <= ${ROUNDS:-3}; r++)); do
    # Each round starts one member later, so no member always runs first (or right after the slowest).
    declare -A took=()
    for ((k = 0; k < ${#members[@]}; k++)); do
        what=${members[$(((k + r - 1) % ${#members[@]}))]}
        case $what in
            psql) took[$what]=$(floor_run) ;;
            binary) took[$what]=$(binary_run) ;;
            base) took[$what]=$(MIGRATIONS_DIR=${BASE_MIGRATIONS_DIR:-$MIGRATIONS_DIR} binary_run "$BASE_RUNNER") ;;
            *) took[$what]=$(front_fleet "$what") ;;
        esac
    done
    row="| $r | $(secs "${took[psql]}") |"
    for what in binary $base $profiles; do
        row="$row $(secs "${took[$what]}") ($(ratio "${took[$what]}" "${took[psql]}")) |"
        echo "$what $(ratio "${took[$what]}" "${took[psql]}")" >>ratios.txt
    done
    echo "$row"
    unset took
done
echo
for what in binary $base $profiles; do
    echo "median of $what / psql: $(grep "^$what " ratios.txt | cut -d' ' -f2 | tr -d x | sort -n | awk '{a[NR]=$1} END {printf "%.2fx", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
done
fi

# Memory flat in the number of targets.
if part memory; then
fresh_db bench_fleet_m
read -r small_ms small_kib < <(fleet_schemas bench_fleet_m "$SCHEMAS_SMALL")
fresh_db bench_fleet_m
read -r large_ms large_kib < <(fleet_schemas bench_fleet_m "$SCHEMAS")
echo
echo "| fleet up, peak memory | $SCHEMAS_SMALL schemas | $SCHEMAS schemas | ratio |"
echo "|---|---|---|---|"
echo "| maximum RSS | $small_kib KiB ($(secs "$small_ms")) | $large_kib KiB ($(secs "$large_ms")) | $(awk -v a="$large_kib" -v b="$small_kib" 'BEGIN {printf "%.2fx", a/b}') |"
drop_db bench_fleet_m
fi

# Resume after a kill at half-way.
if part resume; then
fresh_db bench_fleet_r
: >killed.out
DATABASE_URL=$PGURL/bench_fleet_r "$RUNNER" fleet up --query "$(schemas_query "$SCHEMAS")" >killed.out &
pid=$!
while [ "$(grep -c ': done, ' killed.out || true)" -lt $((SCHEMAS / 2)) ]; do sleep 0.05; done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
while [ "$(psql -Atq "$PGURL/bench_fleet_r" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate'")" != 0 ]; do sleep 0.05; done
before=$(recorded bench_fleet_r)
read -r resume_ms _ < <(fleet_schemas bench_fleet_r "$SCHEMAS")
resumed=$(grep -c ': applied ' fleet.out || true)
read -r noop_ms _ < <(fleet_schemas bench_fleet_r "$SCHEMAS")
[ "$(recorded bench_fleet_r)" = $((SCHEMAS * MIGRATIONS)) ] || { echo "resume: not every migration recorded" >&2; exit 1; }
echo
echo "| killed at half-way ($SCHEMAS schemas) | migrations recorded at the kill | resume applies | resume | no-op run after | full run (above) |"
echo "|---|---|---|---|---|---|"
full=${fleet_ms:+$(secs "$fleet_ms")}
echo "| SIGKILL after $((SCHEMAS / 2)) targets done | $before of $((SCHEMAS * MIGRATIONS)) | $resumed | $(secs "$resume_ms") | $(secs "$noop_ms") | ${full:-(not run)} |"
drop_db bench_fleet_r
fi
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
