#!/usr/bin/env bash
# First build of a fresh package's runner, as a new user gets it: `cargo new`, `migrate init --crates-path` this
# checkout, then `cargo build` of the runner binary in an empty target folder. Two forms of the build-dependency,
# built in turn (A B B A) in one call, so a change of load shows in both:
#   engine-out: `migrate-core = { ..., default-features = false, features = ["build"] }` (what `init` writes)
#   engine-in:  `migrate-core = { ..., features = ["build"] }` (what `init` wrote before; the build script then
#               compiles the driver and the engine a second time)
# Prints one table row per build: wall time and CPU time (user + system, from GNU time).
#
#   MIGRATE=target/debug/migrate tests/bench-first-build.sh
#
# Settings (environment): MIGRATE (a `migrate` binary; default target/debug/migrate of this checkout), WORK
# (scratch folder, default /tmp/first-build).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
MIGRATE=${MIGRATE:-$here/target/debug/migrate}
WORK=${WORK:-/tmp/first-build}
unset CARGO_TARGET_DIR
rm -rf "$WORK" && mkdir -p "$WORK"

for form in engine-out engine-in; do
  (cd "$WORK" && cargo new -q "fb_${form//-/_}")
  dir="$WORK/fb_${form//-/_}"
  (cd "$dir" && "$MIGRATE" init --crates-path "$here" >/dev/null)
  if [[ $form == engine-in ]]; then
    sed -i 's/, default-features = false, features = \["build"\]/, features = ["build"]/' \
      "$dir/Cargo.toml" "$dir/sealed-migrations/Cargo.toml"
  fi
done

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo
echo "| build-dependency | wall | CPU (user + system) |"
echo "|---|---|---|"
for form in engine-out engine-in engine-in engine-out; do
  dir="$WORK/fb_${form//-/_}"
  rm -rf "$dir/target"
  bin=$(basename "$dir")-migrate
  start=$(date +%s%N)
  cpu=$(cd "$dir" && /usr/bin/time -f "%U %S" cargo build -q --bin "$bin" 2>&1 >/dev/null | tail -n1)
  end=$(date +%s%N)
  awk -v f="$form" -v ms=$(((end - start) / 1000000)) -v cpu="$cpu" \
    'BEGIN {split(cpu, c, " "); printf "| %s | %.1f s | %.0f s |\n", f, ms / 1000, c[1] + c[2]}'
done
