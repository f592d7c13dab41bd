//! This project next to other migration tools, on the same generated SQL, through the commands users type.
//!
//! ```text
//! cargo run --release -p tests --bin peers -- [--peers] [--apply N] [--status N] [--loop 10,100,500,2000,10000]
//!     [--runs N] [--pairs N] [--first-build N] [--only NAME,..]
//! ```
//!
//! Every tool gets the same migrations: migration `i` creates the table `t{i}` with one `bigint` primary key,
//! each in its own transaction, recorded in the tool's bookkeeping table. Measured, each as a process (wall time
//! and maximum resident set size, from the child's own `wait4`, with no `time` process around it):
//!
//! - apply `--apply` migrations to an empty database;
//! - a no-op `up` with those applied;
//! - `status` (or the tool's equivalent) with `--status` applied;
//! - the edit→run loop at each `--loop` size: one new migration file written into a folder holding that many,
//!   all applied, then the tool's `up`. This project's front end works on a package set up by `cargo new` and
//!   `migrate init`, whose older migrations are sealed as `migrate create` seals them, and its loop is
//!   `migrate create` + writing the file + `migrate up`;
//! - for this project's runner binary alone (release build, no front end): peak memory of `up` (applying and
//!   no-op) and `status` at `--apply` and at `--status` migrations, which must stay flat.
//!
//! `--only` takes tool keys: `floor`, `installed`, `cargo-run`, `runner`, `sqlx`, `refinery`,
//! `node-pg-migrate`.
//!
//! The floor is `psql -f` of the same SQL with the same transactions and bookkeeping rows (for a no-op `up` and
//! `status`: `psql` reading the bookkeeping table). Ratios are against the floor and against sqlx-cli, measured
//! in the same run.
//!
//! This project is measured three ways: the installed `migrate` front end (the release build of `migrate-cli`,
//! what `cargo install --path migrate-cli` installs), the README's `cargo run -q -p migrate-cli -- ...` (with
//! `--manifest-path` pointing at this workspace, since the generated project lives elsewhere), and the runner
//! binary called directly. The front end builds the runner in its own profile; the direct runner is a release
//! build.
//!
//! With `--peers`, other tools are installed into `target/bench-peers/` (or `PEERS_CACHE`; never globally) and measured too:
//! sqlx-cli (`cargo install sqlx-cli --no-default-features --features postgres,rustls`), refinery
//! (`cargo install refinery_cli`) and node-pg-migrate (`npm install node-pg-migrate pg`). A tool that cannot
//! be installed gets a row saying why. Without `--peers` only this project and the floor run.
//!
//! # The summary
//!
//! Every run ends with one table, a row per target: the measure, this project's figure, the
//! reference's, the ratio, the target and whether it is met. The full run measures all of them in one call:
//!
//! ```text
//! PEERS_CACHE=/work/peers-cache cargo run --release --locked -p tests --bin peers -- --peers
//! ```
//!
//! A row whose tool did not run in this call (no `--peers`, `--only`, `--first-build 0`) says so. The ratios
//! compare figures taken in the same minutes, so a change of load shows in both sides:
//!
//! - **Pairs run in turn.** While the installed `migrate`'s package holds `--apply` migrations, and again at
//!   `--status`, it is measured next to its reference in `--pairs` pairs, alternately A B and B A; each row's
//!   ratio is the median of the pairs' ratios. The reference is `psql -f` for applying (each side on a fresh
//!   database), and for the rest sqlx-cli on a folder of its own, filled and applied to the same size first
//!   (untimed). The no-op `up` runs twice over: once with `sslmode=prefer` and once with `sslmode=disable`, both
//!   URLs derived from `DATABASE_URL` (whatever `sslmode` it gives is replaced); the server's `ssl` setting is
//!   printed with them, since `prefer` means TLS only when the server has it on.
//! - **Peak memory** is the largest maximum RSS of those `sslmode=prefer` no-op `up` runs, at `--apply` and at
//!   `--status`, for `migrate` and for sqlx; flat means at most [`MEMORY_FLAT`] times from one to the other.
//! - **The loop** reports every loop of the installed `migrate`, not a median: at each `--loop` size it runs at
//!   least `--runs` loops, and more until one of them is a loop in which `migrate create` sealed older
//!   migrations (its output says `sealed N older migrations`; that loop's `up` recompiles what was sealed).
//!   `create` seals once more than
//!   [`SEAL_WHEN_UNSEALED_OVER`](migrate_core::seal::SEAL_WHEN_UNSEALED_OVER) migrations are unsealed, so
//!   that many loops plus one always include one; the harness reads the constant from `migrate-core` and
//!   detects the sealing loops from `create`'s output rather than predicting them. The row gives the worst
//!   loop at each size.
//! - **The first build** (`--first-build N` builds of each side, default 2, A B B A; 0 skips it): a fresh
//!   package made by `cargo new` + `migrate init --crates-path` this checkout, its runner built as `migrate up`
//!   builds it (`cargo build --package --bin --profile dev`), next to a fresh `cargo new` app with sqlx 0.9
//!   ([`SQLX_APP_DEPENDENCIES`]) whose `main` connects and runs `sqlx::migrate!("./migrations")`. Each
//!   build gets a fresh, empty `CARGO_TARGET_DIR`; both lockfiles are resolved and the crates fetched before
//!   the first timed build, so no build downloads. Wall time and CPU time (user + system of cargo and every
//!   process it waited for, from `/usr/bin/time`), the ratio of the medians, and the compile units of each
//!   (cargo's `compiler-artifact` and `build-script-executed` messages). It runs first, so that a broken build
//!   shows within minutes; its failure is a row saying why, not a lost run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::cli::workspace_root;
use tests::TestDb;

#[path = "peers/tools.rs"]
mod tools;
use tools::*;
#[path = "peers/side_by_side.rs"]
mod side_by_side;
use side_by_side::*;
#[path = "peers/first_build.rs"]
mod first_build;
use first_build::*;
#[path = "peers/report.rs"]
mod report;
use report::*;

// ---------------------------------------------------------------------------------------------------------
// Options

struct Options {
    peers: bool,
    apply: usize,
    status: usize,
    loops: Vec<usize>,
    runs: usize,
    /// Pairs of the side-by-side measures (`--pairs`).
    pairs: usize,
    /// Builds of each side in the first-build measure (`--first-build`; 0 skips it).
    first_builds: usize,
    only: Option<Vec<String>>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter().position(|a| a == flag).map(|i| {
            args.get(i + 1)
                .unwrap_or_else(|| panic!("{flag} needs a value"))
                .clone()
        })
    };
    let number = |text: &str, flag: &str| {
        text.parse::<usize>()
            .unwrap_or_else(|_| panic!("{flag} takes a number, not {text:?}"))
    };
    let loops = value("--loop")
        .map(|l| {
            l.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| number(s, "--loop"))
                .collect()
        })
        .unwrap_or_else(|| vec![10, 100, 500, 2000, 10_000]);
    Options {
        peers: args.iter().any(|a| a == "--peers"),
        apply: value("--apply").map_or(500, |v| number(&v, "--apply")),
        status: value("--status").map_or(10_000, |v| number(&v, "--status")),
        loops,
        runs: value("--runs").map_or(3, |v| number(&v, "--runs")).max(1),
        pairs: value("--pairs").map_or(9, |v| number(&v, "--pairs")).max(1),
        first_builds: value("--first-build").map_or(2, |v| number(&v, "--first-build")),
        only: value("--only").map(|v| v.split(',').map(str::to_owned).collect()),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Processes

/// Wall time and maximum resident set size (KiB) of one process run.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    rss_kib: u64,
}

/// Runs `cmd`, timed with its peak memory, failing loudly (see [`tests::timing::timed`]).
fn timed(cmd: &mut Command) -> Sample {
    let (wall, rss_kib) = tests::timing::timed(cmd);
    Sample { wall, rss_kib }
}

/// Runs `cmd` untimed, failing loudly.
fn run(cmd: &mut Command) {
    let output = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The median sample by wall time; its RSS is the largest seen.
fn median(mut samples: Vec<Sample>) -> Sample {
    let rss_kib = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    samples.sort_by_key(|s| s.wall);
    Sample {
        wall: samples[samples.len() / 2].wall,
        rss_kib,
    }
}

/// The checkout of this project whose front end and crates are measured: this workspace, or `PEERS_PROJECT`
/// (another checkout, e.g. of an older commit, to compare before and after with the same harness).
fn project_root() -> PathBuf {
    std::env::var_os("PEERS_PROJECT")
        .map(PathBuf::from)
        .unwrap_or_else(workspace_root)
}

/// One target folder for every build this benchmark makes (the front end, the runners, and what the front end
/// builds): dependencies are built once.
fn target_dir() -> PathBuf {
    cache().join("target")
}

/// Where everything this benchmark generates or installs lives: `target/bench-peers/` (never committed), or
/// `PEERS_CACHE`, e.g. to share the installed tools and built dependencies with another checkout.
fn cache() -> PathBuf {
    std::env::var_os("PEERS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target").join("bench-peers"))
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

// ---------------------------------------------------------------------------------------------------------
// The generated migrations

/// The timestamp of generated migration `i`: one second apart from 2026-01-01 00:00:00 (up to 86,400).
fn version(i: usize) -> String {
    assert!(i < 86_400, "at most 86,400 generated migrations");
    format!("20260101{:02}{:02}{:02}", i / 3600, i / 60 % 60, i % 60)
}

/// The statement of migration `i`, exactly as this project renders `pgm.create_table("t{i}", ..)`.
fn statement(i: usize) -> String {
    format!("CREATE TABLE \"t{i}\" (\n    \"id\" bigint PRIMARY KEY\n);\n")
}

/// Writes `path` unless it already holds `text` (an unchanged file must not trigger a rebuild).
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A folder holding exactly `files`; other files in it are removed.
fn sync_folder(dir: &Path, files: &[(String, String)]) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let keep: std::collections::HashSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for entry in std::fs::read_dir(dir).expect("read folder").flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Only migration files: the seal lists and `.gitkeep` stay.
        let migration = name.ends_with(".rs") || name.ends_with(".sql");
        if migration && !keep.contains(name.as_ref()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    for (name, text) in files {
        write_if_changed(&dir.join(name), text);
    }
}

// ---------------------------------------------------------------------------------------------------------
// The floor

/// `psql -f` of migrations `from..to`: per migration a transaction with the statement and its bookkeeping row.
fn floor_apply(db: &TestDb, from: usize, to: usize) -> Sample {
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS \"public\".\"pgmigrations\" (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
         name text NOT NULL UNIQUE, run_on timestamptz NOT NULL DEFAULT clock_timestamp(), checksum text NOT NULL, \
         execution_ms bigint NOT NULL);\n",
    );
    for i in from..to {
        sql.push_str(&format!(
            "BEGIN;\nSET LOCAL lock_timeout = '500ms';\n{}INSERT INTO \"public\".\"pgmigrations\" (name, checksum, execution_ms) VALUES ('{}_create_t{i}', '{:064}', 0);\nCOMMIT;\n",
            statement(i),
            version(i),
            i
        ));
    }
    let script = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(script.path(), sql).expect("floor script");
    timed(psql(db).arg("-f").arg(script.path()))
}

/// `psql` reading the bookkeeping table: the floor of a no-op `up` and of `status`.
fn floor_read(db: &TestDb) -> Sample {
    timed(psql(db).args([
        "-c",
        "SELECT name, checksum, run_on FROM \"public\".\"pgmigrations\" ORDER BY id",
    ]))
}

fn psql(db: &TestDb) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", db.url()])
        .stdout(Stdio::null());
    cmd
}

// ---------------------------------------------------------------------------------------------------------
// Measuring

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Measure {
    Apply,
    Noop,
    Status,
    Loop(usize),
}

/// Every figure of the run: (measure, tool) → sample, and the side-by-side figures of the summary.
#[derive(Default)]
struct Results {
    samples: BTreeMap<(Measure, Tool), Sample>,
    /// Every loop of the installed `migrate`, by loop size.
    loops: BTreeMap<usize, Vec<LoopSample>>,
    /// The pairs run in turn, by measure.
    pairs: BTreeMap<Pair, Paired>,
    /// Why the pairs against sqlx did not run, when they did not.
    pairs_missing: Option<String>,
    /// The server's `ssl` setting, read when the no-op pairs ran.
    server_ssl: Option<String>,
    /// The first build, or why it was not measured; `None` when not asked for.
    first_build: Option<Result<FirstBuild, String>>,
}

/// One edit→run loop: its time, and how many older migrations `migrate create` sealed in it.
#[derive(Clone, Copy)]
struct LoopSample {
    sample: Sample,
    sealed: usize,
}

/// Runs every measure for `setups` (one tool, or several ways of calling one tool, sharing one folder) on a
/// folder that grows through the sizes: each size is reached by adding files and applying them (untimed),
/// then measured. Each setup has a database of its own; before each of its measures it catches up, untimed,
/// with what another setup added.
///
/// The installed `migrate`'s loops go on until one of them seals; with `side`, it is also measured next to its
/// references at `--apply` and `--status` (after the measures above at that size, before its loops).
fn measure_growing(
    setups: &[Setup],
    opts: &Options,
    results: &mut Results,
    mut side: Option<&mut SideBySide>,
) {
    let Some(first) = setups.first() else {
        return;
    };
    let dbs: Vec<TestDb> = setups.iter().map(|_| TestDb::new()).collect();
    let mut sizes: Vec<usize> = opts.loops.clone();
    sizes.push(opts.apply);
    if first.tool.status_label().is_ok() {
        sizes.push(opts.status);
    }
    sizes.sort_unstable();
    sizes.dedup();
    let mut count = 0;
    for &size in &sizes {
        if size < count {
            // The loops at a smaller size added more than the gap (the installed `migrate`'s run until one
            // seals): the folder and the databases are past this size.
            eprintln!(
                "({}: size {size} skipped, the loops before it brought the folder to {count}; give sizes further apart)",
                first.tool.key()
            );
            continue;
        }
        eprintln!("({}: {size} migrations)", first.tool.key());
        first.fill(size);
        count = size;
        for (setup, db) in setups.iter().zip(&dbs) {
            let tool = setup.tool;
            // Apply what is new, untimed (for this project the first call also builds the runner).
            run(&mut setup.command(db, false));
            if setup.through_front_end() {
                // Once more: the front end does not trust a build that started within 20 ms of the last write
                // to the folder (file times can be that coarse), so the first command after such a build runs
                // cargo once (a no-op build). A user's edit is never that close to the command that follows.
                run(&mut setup.command(db, false));
            }
            if size == opts.apply {
                let samples = (0..opts.runs.min(3))
                    .map(|_| timed(&mut setup.command(&TestDb::new(), false)))
                    .collect();
                results.add(Measure::Apply, tool, median(samples));
                let samples = (0..opts.runs)
                    .map(|_| timed(&mut setup.command(db, false)))
                    .collect();
                results.add(Measure::Noop, tool, median(samples));
            }
            if size == opts.status && tool.status_label().is_ok() {
                let samples = (0..opts.runs)
                    .map(|_| timed(&mut setup.command(db, true)))
                    .collect();
                results.add(Measure::Status, tool, median(samples));
            }
            if let (Tool::Installed, Some(side)) = (tool, side.as_deref_mut()) {
                side.at(size, setup, db, opts, results);
            }
            if opts.loops.contains(&size) {
                // The installed `migrate`'s loops go on until `create` has sealed in one of them (it does once
                // more than SEAL_WHEN_UNSEALED_OVER are unsealed, so within that many plus one loops).
                // Sealed in either layout: chunk lists (`sealed/NNNN.txt`) or the one older list.
                let sealed_dir = setup.migrations_dir();
                let until_sealing = tool == Tool::Installed
                    && (sealed_dir.join(migrate_core::seal::CHUNKS_DIR).is_dir()
                        || sealed_dir.join(migrate_core::seal::LIST_FILE).exists());
                let most = if until_sealing {
                    opts.runs
                        .max(migrate_core::seal::SEAL_WHEN_UNSEALED_OVER + 1)
                } else {
                    opts.runs
                };
                let mut loops: Vec<LoopSample> = Vec::new();
                while loops.len() < most {
                    let started = Instant::now();
                    let sealed = setup.add(count);
                    count += 1;
                    let sample = timed(&mut setup.command(db, false));
                    loops.push(LoopSample {
                        sample: Sample {
                            wall: started.elapsed(),
                            ..sample
                        },
                        sealed,
                    });
                    let sealing_seen = !until_sealing || loops.iter().any(|l| l.sealed > 0);
                    if loops.len() >= opts.runs && sealing_seen {
                        break;
                    }
                }
                results.add(
                    Measure::Loop(size),
                    tool,
                    median(loops.iter().map(|l| l.sample).collect()),
                );
                if tool == Tool::Installed {
                    results.loops.insert(size, loops);
                }
                // The others apply what this one added before their own measures (untimed).
                for (other, db) in setups.iter().zip(&dbs) {
                    if other.tool != tool {
                        run(&mut other.command(db, false));
                    }
                }
            }
        }
    }
}

/// The installed `migrate`: the release build of `migrate-cli`, what `cargo install --path migrate-cli`
/// installs, built into the cache's target folder.
fn build_front_end() -> PathBuf {
    tests::cli::release_front_end(&project_root(), &target_dir())
}

/// Installs (or finds in the cache) the peers `wanted` asks for: each tool's program, or why it has none.
fn install_peers(wanted: impl Fn(Tool) -> bool) -> Vec<(Tool, Result<PathBuf, String>)> {
    type Install = fn() -> Result<PathBuf, String>;
    let installs: [(Tool, Install); 3] = [
        (Tool::Sqlx, || {
            cargo_install(
                "sqlx-cli",
                "sqlx",
                &["--no-default-features", "--features", "postgres,rustls"],
            )
        }),
        (Tool::Refinery, || {
            cargo_install(
                "refinery_cli",
                "refinery",
                &["--no-default-features", "--features", "postgresql"],
            )
        }),
        (Tool::NodePgMigrate, npm_install),
    ];
    installs
        .into_iter()
        .filter(|(tool, _)| wanted(*tool))
        .map(|(tool, install)| (tool, install()))
        .collect()
}

fn main() {
    tests::timing::spawner_main();
    let opts = options();
    let wanted = |tool: Tool| {
        opts.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == tool.key()))
    };
    println!("# this project next to other migration tools (PostgreSQL at DATABASE_URL or the local default)");
    let mut results = Results::default();
    let mut tools: Vec<(Tool, Result<(), String>)> = Vec::new();

    // The first build first: it takes minutes, and a broken build shows before the hour of the rest.
    let migrate = build_front_end();
    if opts.first_builds > 0 {
        eprintln!("(first build, {} of each side)", opts.first_builds);
        results.first_build = Some(measure_first_build(opts.first_builds, &migrate));
    }

    if wanted(Tool::Floor) {
        eprintln!("(floor)");
        measure_floor(&opts, &mut results);
        tools.push((Tool::Floor, Ok(())));
    }

    // The peers are found (or installed) first: the pairs need sqlx while this project's folder grows.
    let peers = if opts.peers {
        install_peers(wanted)
    } else {
        println!("\n(peers not run: pass --peers to install and measure sqlx-cli, refinery and node-pg-migrate)");
        Vec::new()
    };
    let sqlx = peers
        .iter()
        .find(|(tool, _)| *tool == Tool::Sqlx)
        .map(|(_, program)| program.clone())
        .unwrap_or_else(|| Err("sqlx-cli not run (pass --peers, and `sqlx` in --only)".to_owned()));

    // This project through its front end: one crate, growing, shared by both ways of typing the command.
    let mut memory = Vec::new();
    if wanted(Tool::Runner) {
        memory = measure_runner(&opts, &mut results);
    }
    if wanted(Tool::Installed) || wanted(Tool::CargoRun) {
        // Both ways of typing the command on one crate: the runner they build is the same.
        let name = "peers-front";
        let dir = cache().join("crates").join(name);
        init_package(&dir, name, &migrate);
        let setups: Vec<Setup> = [Tool::Installed, Tool::CargoRun]
            .into_iter()
            .filter(|t| wanted(*t))
            .map(|tool| Setup {
                tool,
                dir: dir.clone(),
                program: migrate.clone(),
            })
            .collect();
        let mut side = SideBySide::new(sqlx);
        measure_growing(&setups, &opts, &mut results, Some(&mut side));
        tools.extend(setups.iter().map(|s| (s.tool, Ok(()))));
    }
    if wanted(Tool::Runner) {
        tools.push((Tool::Runner, Ok(())));
    }

    for (tool, program) in peers {
        match program {
            Ok(program) => {
                let setup = Setup {
                    tool,
                    dir: cache().join("folders").join(tool.key()),
                    program,
                };
                measure_growing(std::slice::from_ref(&setup), &opts, &mut results, None);
                tools.push((tool, Ok(())));
            }
            Err(why) => tools.push((tool, Err(why))),
        }
    }
    tools.sort_by_key(|(t, _)| *t);

    print_measure(
        &results,
        &tools,
        Measure::Apply,
        &format!("apply {} migrations to an empty database", opts.apply),
    );
    print_measure(
        &results,
        &tools,
        Measure::Noop,
        &format!("no-op `up` with {} applied", opts.apply),
    );
    print_measure(
        &results,
        &tools,
        Measure::Status,
        &format!("status with {} applied", opts.status),
    );
    print_loop(&results, &tools, &opts.loops);
    print_memory(&memory);
    print_pairs(&results, &opts);
    print_every_loop(&results);
    print_first_build(&results);
    print_summary(&results, &opts);
}
