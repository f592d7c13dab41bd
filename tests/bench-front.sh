#!/usr/bin/env bash
# What users type, timed at the sizes they have: an installed `migrate` in a fresh `cargo new` package set up by
# `migrate init`, outside this workspace, with N one-table migrations.
#
# For each N it prints one table row:
# - no-op `up` on an unchanged folder through `migrate` vs the runner binary run directly (median of NOOP_RUNS,
#   taken in turn), and the difference: what the front end adds;
# - the edit→run loop: `migrate create`, write a one-table migration, `migrate up` (RUNS times; each run is
#   one new file and one incremental build);
# - the loop when `create` seals older migrations (above 50 migrations, once per 40 new ones): that `up`
#   compiles the chunk the seal appended to; SEALS such loops (default 1), each with the chunk's size after
#   the seal in brackets;
# - `status` with all N applied through `migrate` (median of NOOP_RUNS, taken in turn with the no-op `up`);
# - the runner's rebuild alone: after `migrate create` and a new file, `cargo build` of the runner binary, timed
#   without the rest of the loop (median of RUNS; each such file is then applied, untimed);
# - peak memory (maximum RSS, `/usr/bin/time -f %M`, median of NOOP_RUNS) of a no-op `migrate up` and of
#   `migrate status` with all N applied, and of the runner applying all N to a fresh database;
# - with RELEASE_MEMORY=1, the same three through `migrate up --release` / `migrate status --release` (the
#   release runner; its first build per size is not timed).
#
#   cargo install --locked --path migrate-cli --root /tmp/front/inst
#   MIGRATE=/tmp/front/inst/bin/migrate SIZES="10 100 500 2000 10000" tests/bench-front.sh
#
# Settings (environment): MIGRATE (the `migrate` binary), CRATES (checkout for `migrate init --crates-path`,
# default: this one), WORK (scratch folder, default /tmp/front/bench), SIZES, RUNS (default 3), NOOP_RUNS
# (default 11), SEALS (default 1), PGURL (server URL without a database, default postgres://postgres@127.0.0.1:5432), LABEL (for
# the table), CARGO_RUN=1 adds a no-op `up` through `cargo run -p migrate-cli` of CRATES (built once, dev),
# RELEASE_MEMORY=1 adds the release runner's peak memory.
# The packages share one CARGO_TARGET_DIR (default: under WORK), so the dependencies are compiled once; the first `up`
# of each size (a full build and applying N migrations) is not part of the figures.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
MIGRATE=${MIGRATE:-/tmp/front/inst/bin/migrate}
CRATES=${CRATES:-$here}
WORK=${WORK:-/tmp/front/bench}
SIZES=${SIZES:-"10 100 500 2000 10000"}
RUNS=${RUNS:-3}
NOOP_RUNS=${NOOP_RUNS:-11}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
LABEL=${LABEL:-$MIGRATE}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$WORK/target}
mkdir -p "$WORK"

# shellcheck source=tests/bench-timing.sh
source "$here/tests/bench-timing.sh"

# A one-table migration creating table t$1.
body() {
    printf 'use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table("t%d", [column("id", "bigint").primary_key()]);\n}\n' "$1"
}

# Migration number $2 into folder $1, with a timestamp $2 seconds after 2020-01-01 00:00:00.
write_migration() {
    local i=$2
    body "$i" >"$1/$(printf "202001%02d%02d%02d%02d" $((1 + i / 86400)) $((i / 3600 % 24)) $((i / 60 % 60)) $((i % 60)))_t$i.rs"
}

# Peak RSS in MiB of a command, from GNU time.
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1 | awk '{printf "%.1f", $1/1024}'; }

echo "| $LABEL | N | no-op up via migrate | runner direct | front end adds | status via migrate | edit→run loop (create + write + up), $RUNS runs | runner rebuild alone, median of $RUNS | the loop when create seals | peak memory: no-op up / status via migrate, runner applying all |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
    app=$WORK/app$n
    db=bench_front_$n
    rm -rf "$app"
    cargo new --quiet --vcs none "$app"
    cp "$CRATES/Cargo.lock" "$app/Cargo.lock"
    (cd "$app" && "$MIGRATE" init --crates-path "$CRATES" >/dev/null)
    for ((i = 0; i < n; i++)); do write_migration "$app/migrations" "$i"; done
    psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    export DATABASE_URL=$PGURL/$db
    cd "$app"
    # A project reaches N through `migrate create`, which seals the older migrations (more than 50 unsealed:
    # all but the newest 10); one create here does that for the N written above.
    next=$n
    new_migration() {
        created=$("$MIGRATE" create "$1")
        body "$next" >"$(head -1 <<<"$created" | sed 's/^created //')"
        next=$((next + 1))
        sealed_now=$(grep -c '^sealed ' <<<"$created" || true)
    }
    new_migration "seal"
    t0=$(now_ms)
    "$MIGRATE" up >/dev/null
    first=$(($(now_ms) - t0))
    runner=$CARGO_TARGET_DIR/debug/app$n-migrate
    front=() direct=() viacargo=() status=()
    for ((r = 0; r < NOOP_RUNS; r++)); do
        t0=$(now_ms); "$MIGRATE" up >/dev/null; front+=($(($(now_ms) - t0)))
        t0=$(now_ms); "$runner" up >/dev/null; direct+=($(($(now_ms) - t0)))
        t0=$(now_ms); "$MIGRATE" status >/dev/null; status+=($(($(now_ms) - t0)))
        if [[ ${CARGO_RUN:-} == 1 ]]; then
            t0=$(now_ms)
            cargo run --quiet --manifest-path "$CRATES/Cargo.toml" -p migrate-cli -- up >/dev/null
            viacargo+=($(($(now_ms) - t0)))
        fi
    done
    f=$(printf '%s\n' "${front[@]}" | median)
    d=$(printf '%s\n' "${direct[@]}" | median)
    st=$(printf '%s\n' "${status[@]}" | median)
    mem_up=() mem_status=()
    for ((r = 0; r < NOOP_RUNS; r++)); do
        mem_up+=($(peak "$MIGRATE" up))
        mem_status+=($(peak "$MIGRATE" status))
    done
    psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS ${db}_apply" -c "CREATE DATABASE ${db}_apply" >/dev/null
    mem_apply=$(DATABASE_URL=$PGURL/${db}_apply peak "$runner" up)
    psql -q "$PGURL/postgres" -c "DROP DATABASE ${db}_apply" >/dev/null
    memory="$(printf '%s\n' "${mem_up[@]}" | median) / $(printf '%s\n' "${mem_status[@]}" | median) MiB, $mem_apply MiB"
    if [[ ${RELEASE_MEMORY:-} == 1 ]]; then
        # Twice: the first builds, the second lets the front end note the build as fresh (see docs/compilation.md, item 5).
        "$MIGRATE" up --release >/dev/null
        "$MIGRATE" up --release >/dev/null
        rel_up=() rel_status=()
        for ((r = 0; r < NOOP_RUNS; r++)); do
            rel_up+=($(peak "$MIGRATE" up --release))
            rel_status+=($(peak "$MIGRATE" status --release))
        done
        psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS ${db}_apply" -c "CREATE DATABASE ${db}_apply" >/dev/null
        rel_apply=$(DATABASE_URL=$PGURL/${db}_apply peak "$CARGO_TARGET_DIR/release/app$n-migrate" up)
        psql -q "$PGURL/postgres" -c "DROP DATABASE ${db}_apply" >/dev/null
        memory="$memory; release: $(printf '%s\n' "${rel_up[@]}" | median) / $(printf '%s\n' "${rel_status[@]}" | median) MiB, $rel_apply MiB"
    fi
    loops=()
    for ((r = 0; r < RUNS; r++)); do
        t0=$(now_ms)
        new_migration "probe $r"
        "$MIGRATE" up >/dev/null
        loops+=($(($(now_ms) - t0)))
    done
    rebuilds=()
    for ((r = 0; r < RUNS; r++)); do
        new_migration "rebuild $r"
        t0=$(now_ms)
        cargo build --quiet --bin "app$n-migrate"
        rebuilds+=($(($(now_ms) - t0)))
        "$MIGRATE" up >/dev/null
    done
    # The loop that seals (once per 40 new migrations): `create`, write the file, `up`, as in the loop above
    # (each `up` untimed), until `create` seals; that loop is timed: its `up` compiles the chunk the seal
    # appended to, with the number of migrations the chunk then holds in brackets. SEALS such loops (default
    # 1); a chunk near 250 migrations is the most a seal recompiles.
    sealing="-"
    if ((n > 50)); then
        sealing=""
        for ((s = 0; s < ${SEALS:-1}; s++)); do
            for ((k = 0; k < 100; k++)); do
                t0=$(now_ms)
                new_migration "grow $s $k"
                "$MIGRATE" up >/dev/null
                if ((sealed_now > 0)); then
                    # "into chunk 0008 (...)" or "into chunks 0008 to 0009 (...)": the size of each.
                    held=$(sed -n 's/^sealed .* into chunks* \([0-9]*\)\( to \([0-9]*\)\)* .*/\1 \3/p' <<<"$created" |
                        { read -r a b; for ((c = 10#$a; c <= 10#${b:-$a}; c++)); do grep -vc '^#' "$(printf 'migrations/sealed/%04d.txt' "$c")"; done; } | paste -sd+)
                    sealing="$sealing$(secs $(($(now_ms) - t0))) [$held], "
                    break
                fi
            done
        done
        sealing=${sealing%, }
    fi
    cd "$WORK"
    extra=""
    if [[ ${CARGO_RUN:-} == 1 ]]; then
        extra=" (via cargo run: $(secs "$(printf '%s\n' "${viacargo[@]}" | median)"))"
    fi
    echo "| | $n | $(secs "$f")$extra | $(secs "$d") | $(secs $((f - d))) | ${st} ms | $(for l in "${loops[@]}"; do secs "$l"; echo -n ", "; done | sed 's/, $//') (first build $(secs "$first")) | $(secs "$(printf '%s\n' "${rebuilds[@]}" | median)") | $sealing | $memory |"
done
