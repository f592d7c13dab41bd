//! Scale: generated application crates, timed as processes

use super::*;

pub(super) fn bench_target() -> PathBuf {
    workspace_root().join("target").join("bench-target")
}

/// Where the generated crates build. With `--dev`, the end-to-end tests' target folder: the crates have the
/// manifest and dev profile of `tests::cli::scaffold_app`'s, so the dependencies the test suite compiled there
/// are reused (in CI's reduced run, after the tests, that spares a second build of every dependency: 213 s of
/// CPU measured for the first crate in a folder of its own). The generated crates' names (`bench-...`) are no
/// test's. In release mode, a folder of the benchmarks' own.
pub(super) fn build_target() -> PathBuf {
    if dev_profile() {
        tests::cli::e2e_target()
    } else {
        bench_target()
    }
}

/// A crate like `example-app`: a build.rs compiling `migrations/`, and a runner binary. `files` are
/// `(file name, source)`.
pub(super) fn scaffold(name: &str, files: &[(String, String)]) -> PathBuf {
    let root = workspace_root();
    let dir = bench_target().join("crates").join(name);
    let _ = std::fs::remove_dir_all(dir.join("migrations"));
    std::fs::create_dir_all(dir.join("src")).expect("crate folder");
    std::fs::create_dir_all(dir.join("migrations")).expect("migrations folder");
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    for (file, text) in tests::scaffold::runner_crate(name, &root) {
        write(dir.join(file), &text);
    }
    for (file, source) in files {
        write(dir.join("migrations").join(file), source);
    }
    dir
}

pub(super) fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// Whether `--dev` asked for the dev profile (quicker to build, for the reduced run in CI).
pub(super) fn dev_profile() -> bool {
    std::env::args().any(|a| a == "--dev")
}

/// With `--dev`, a binary of this workspace that the test command built beside this one (`cargo test
/// --workspace` builds every package's binaries for its integration tests), when it is there. A `cargo build -p
/// ..` of it instead would resolve that one package's features and compile half the dependencies again (minutes
/// in the CI's reduced run, which runs right after the test command). `None` without `--dev`, or when it is
/// missing: the caller builds it.
pub(super) fn built_beside(name: &str) -> Option<PathBuf> {
    if !dev_profile() {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let beside = exe
        .parent()?
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    beside.is_file().then_some(beside)
}

/// The `migrate` front end the edit→run loop runs. By default the installed build (`cargo build --release -p
/// migrate-cli`, release: minutes from scratch); with `--dev` the test package's `migrate-front` (the same
/// one-line `main`) from this binary's own folder, which the build of the tests made already: the CI's reduced
/// run checks the loop works, not its speed.
pub(super) fn front_end() -> PathBuf {
    if let Some(front) = built_beside("migrate-front") {
        return front;
    }
    if dev_profile() {
        let status_ok = cargo()
            .args(["build", "--quiet", "-p", "tests", "--bin", "migrate-front"])
            .current_dir(workspace_root())
            .status()
            .expect("cargo");
        assert!(status_ok.success(), "building the migrate front end failed");
        return workspace_root().join("target/debug/migrate-front");
    }
    tests::cli::release_front_end(&workspace_root(), &workspace_root().join("target"))
}

/// Builds the crate's runner (release mode unless `--dev`); returns the binary.
pub(super) fn build_release(dir: &Path, name: &str) -> PathBuf {
    let started = Instant::now();
    let profile = if dev_profile() {
        "--profile=dev"
    } else {
        "--release"
    };
    let status = cargo()
        .args(["build", profile, "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(build_target())
        .status()
        .expect("cargo");
    assert!(status.success(), "building {name} failed");
    eprintln!("(built {name} in {:.0} s)", started.elapsed().as_secs_f64());
    let profile_dir = if dev_profile() { "debug" } else { "release" };
    build_target()
        .join(profile_dir)
        .join(format!("{name}-migrate"))
}

pub(super) fn runner(bin: &Path, dir: &Path, db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .env("DATABASE_URL", db.url())
        .env("MIGRATIONS_DIR", dir.join("migrations"));
    cmd
}

pub(super) fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The timestamp of generated migration `i`: one second apart from 2026-01-01 00:00:00 (up to 86,400).
pub(super) fn version(i: usize) -> String {
    assert!(i < 86_400, "at most 86,400 generated migrations");
    format!("20260101{:02}{:02}{:02}", i / 3600, i / 60 % 60, i % 60)
}

pub(super) fn table_migrations(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("{}_create_t{i}.rs", version(i)),
                format!(
                    "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.create_table(\"t{i}\", [column(\"id\", \"bigint\").primary_key()]);\n}}\n"
                ),
            )
        })
        .collect()
}

/// The floor for applying `n` migrations: the same statements, per-migration transactions and bookkeeping
/// rows, sent by `psql -f`.
pub(super) fn floor_script(n: usize) -> String {
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS \"public\".\"pgmigrations\" (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
         name text NOT NULL UNIQUE, run_on timestamptz NOT NULL DEFAULT clock_timestamp(), checksum text NOT NULL, \
         execution_ms bigint NOT NULL);\n",
    );
    for i in 0..n {
        sql.push_str(&format!(
            "BEGIN;\nSET LOCAL lock_timeout = '500ms';\nCREATE TABLE \"t{i}\" (\n    \"id\" bigint PRIMARY KEY\n);\n\
             INSERT INTO \"public\".\"pgmigrations\" (name, checksum, execution_ms) VALUES ('{}_create_t{i}', '{:064}', 0);\nCOMMIT;\n",
            version(i),
            i
        ));
    }
    sql
}

pub(super) fn kib(k: u64) -> String {
    format!("{:.1} MiB", k as f64 / 1024.0)
}

pub(super) fn bench_scale(n: usize, status_rows: usize, backfill_rows: u64) {
    println!(
        "\n## scale: generated crates, timed as processes (wall time; peak memory = maximum RSS)\n"
    );
    // 1. Apply n migrations: runner vs psql -f.
    let dir = scaffold("bench-many", &table_migrations(n));
    let bin = build_release(&dir, "bench-many");
    let db = TestDb::new();
    let (ours, ours_rss) = timed(&mut runner(&bin, &dir, &db, &["up"]));
    let floor_db = TestDb::new();
    let script = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(script.path(), floor_script(n)).expect("floor script");
    let (floor, _) = timed(
        Command::new("psql")
            .args([
                "-q",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                floor_db.url(),
                "-f",
            ])
            .arg(script.path()),
    );
    // 2. No-op up with n applied.
    let noop = median(
        (0..5)
            .map(|_| timed(&mut runner(&bin, &dir, &db, &["up"])).0)
            .collect(),
    );
    // 7a. Peak memory applying few migrations with the same binary.
    let few = n.min(50);
    let few_db = TestDb::new();
    let (_, few_rss) = timed(&mut runner(&bin, &dir, &few_db, &["up", &few.to_string()]));

    // 3. status with many applied.
    let status = status_median(status_rows);

    // 7b. Peak memory of a backfill: few rows against many.
    let backfill_dir = scaffold(
        "bench-backfill",
        &[(
            "20260101000000_backfill.rs".to_owned(),
            "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.backfill(\"items\", \"doubled = v * 2\");\n}\n".to_owned(),
        )],
    );
    let backfill_bin = build_release(&backfill_dir, "bench-backfill");
    let backfill_rss = |rows: u64| {
        let db = TestDb::new();
        db.exec(&format!(
            "CREATE TABLE items (id bigserial PRIMARY KEY, v integer NOT NULL, doubled integer);
             INSERT INTO items (v) SELECT i FROM generate_series(1, {rows}) i"
        ));
        timed(&mut runner(&backfill_bin, &backfill_dir, &db, &["up"]))
    };
    let small_rows = (backfill_rows / 10).max(1);
    let (_, backfill_small_rss) = backfill_rss(small_rows);
    let (backfill_took, backfill_big_rss) = backfill_rss(backfill_rows);

    // 6. The edit→run loop through the generic front end, in the dev profile a developer uses.
    let loops = edit_run_loops();

    println!("| measure | result | floor / target |");
    println!("|---|---|---|");
    println!(
        "| 1. apply {n} one-table migrations (runner process) | {} | psql -f floor {} → {:.2}× (target ≤ 1.10×) |",
        ms(ours),
        ms(floor),
        ours.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| 2. no-op `up` with {n} applied (median of 5) | {} | target ≤ 60 ms |",
        ms(noop)
    );
    println!(
        "| 3. `status` with {status_rows} applied (median of 5) | {} | target ≤ 100 ms |",
        ms(status)
    );
    println!(
        "| 6. edit→run loop: `create` + `up` after one new file, incremental build (3 runs) | {} | target ≤ 3 s |",
        loops.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
    );
    println!(
        "| 7a. runner peak memory: up of {few} vs {n} migrations | {} vs {} | flat |",
        kib(few_rss),
        kib(ours_rss)
    );
    println!(
        "| 7b. runner peak memory: backfill of {small_rows} vs {backfill_rows} rows | {} vs {} (the {backfill_rows}-row run took {}) | flat |",
        kib(backfill_small_rss),
        kib(backfill_big_rss),
        ms(backfill_took)
    );
}

/// `status` with `status_rows` applied (recorded with `--fake`, as the statements do not matter here): the
/// median of 5.
fn status_median(status_rows: usize) -> Duration {
    let status_dir = scaffold(
        "bench-status",
        &(0..status_rows)
            .map(|i| {
                (
                    format!("{}_m{i}.rs", version(i)),
                    "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"SELECT 1\");\n}\n".to_owned(),
                )
            })
            .collect::<Vec<_>>(),
    );
    let status_bin = build_release(&status_dir, "bench-status");
    let status_db = TestDb::new();
    timed(&mut runner(
        &status_bin,
        &status_dir,
        &status_db,
        &["up", "--fake"],
    ));
    median(
        (0..5)
            .map(|_| {
                timed(&mut runner(
                    &status_bin,
                    &status_dir,
                    &status_db,
                    &["status"],
                ))
                .0
            })
            .collect(),
    )
}

/// Three edit→run loops (`create`, write the file, `up`) through the generic front end, after a first build.
fn edit_run_loops() -> Vec<Duration> {
    let front = front_end();
    let loop_dir = scaffold("bench-loop", &table_migrations(3));
    let loop_db = TestDb::new();
    // With `--dev` the loop's runner builds beside the other generated crates (same profile, so their
    // dependencies are reused); in release mode those are release builds, and the loop gets a folder of its own.
    let loop_target = if dev_profile() {
        build_target()
    } else {
        bench_target().join("loop-dev")
    };
    let front_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&front);
        cmd.args(args)
            .current_dir(&loop_dir)
            .env("DATABASE_URL", loop_db.url())
            .env("CARGO_TARGET_DIR", &loop_target);
        cmd
    };
    timed(&mut front_cmd(&["up"])); // first build, not measured
    let mut loops = Vec::new();
    for i in 0..3 {
        let started = Instant::now();
        let out = front_cmd(&["create", &format!("probe {i}")])
            .output()
            .expect("create");
        assert!(out.status.success(), "create failed");
        let created = String::from_utf8_lossy(&out.stdout);
        let file = loop_dir.join(created.trim().trim_start_matches("created "));
        std::fs::write(
            &file,
            format!("use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.create_table(\"probe{i}\", [column(\"id\", \"bigint\")]);\n}}\n"),
        )
        .expect("write migration");
        timed(&mut front_cmd(&["up"]));
        loops.push(started.elapsed());
    }
    loops
}
