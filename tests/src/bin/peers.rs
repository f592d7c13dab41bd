//! This project next to other migration tools, on the same generated SQL, through the commands users type.
//!
//! ```text
//! cargo run --release -p tests --bin peers -- [--peers] [--apply N] [--status N] [--loop 10,100,500,2000,10000] [--runs N] [--only NAME,..]
//! ```
//!
//! Every tool gets the same migrations: migration `i` creates the table `t{i}` with one `bigint` primary key,
//! each in its own transaction, recorded in the tool's bookkeeping table. Measured, each as a process (wall time
//! and maximum resident set size, from the child's `wait4` through `/usr/bin/time`):
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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::cli::workspace_root;
use tests::TestDb;

// ---------------------------------------------------------------------------------------------------------
// Options

struct Options {
    peers: bool,
    apply: usize,
    status: usize,
    loops: Vec<usize>,
    runs: usize,
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

/// Runs `cmd` under `/usr/bin/time`, failing loudly (see [`tests::timing::timed`]).
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
        // Only migration files: `sealed.txt` and `.gitkeep` stay.
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
// The tools

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Tool {
    /// `psql -f` of the same SQL with transactions and bookkeeping.
    Floor,
    /// The installed `migrate` front end.
    Installed,
    /// `cargo run -q -p migrate-cli -- ...`, as in the README.
    CargoRun,
    /// The runner binary (release), called directly.
    Runner,
    Sqlx,
    Refinery,
    NodePgMigrate,
}

impl Tool {
    fn label(self) -> &'static str {
        match self {
            Tool::Floor => "floor: `psql -f` (same SQL, transactions, bookkeeping)",
            Tool::Installed => "this project: `migrate up` (installed front end)",
            Tool::CargoRun => "this project: `cargo run -q -p migrate-cli -- up`",
            Tool::Runner => "this project: runner binary directly (release)",
            Tool::Sqlx => "sqlx-cli: `sqlx migrate run`",
            Tool::Refinery => "refinery: `refinery migrate`",
            Tool::NodePgMigrate => "node-pg-migrate: `node-pg-migrate up`",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Tool::Floor => "floor",
            Tool::Installed => "installed",
            Tool::CargoRun => "cargo-run",
            Tool::Runner => "runner",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::NodePgMigrate => "node-pg-migrate",
        }
    }

    /// The command shown for `status`, or why the tool has none.
    fn status_label(self) -> Result<&'static str, &'static str> {
        match self {
            Tool::Floor => Ok("`psql` reading the bookkeeping table"),
            Tool::Installed => Ok("`migrate status`"),
            Tool::CargoRun => Ok("`cargo run -q -p migrate-cli -- status`"),
            Tool::Runner => Ok("runner `status`"),
            Tool::Sqlx => Ok("`sqlx migrate info`"),
            Tool::Refinery => {
                Err("refinery_cli has no status command (only `setup` and `migrate`)")
            }
            Tool::NodePgMigrate => Err("node-pg-migrate has no status command"),
        }
    }
}

fn tail(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
}

/// `cargo install` of `krate` into the cache (once; later runs find the binary).
fn cargo_install(krate: &str, bin: &str, features: &[&str]) -> Result<PathBuf, String> {
    let root = cache().join("cargo");
    let path = root.join("bin").join(bin);
    if path.exists() {
        return Ok(path);
    }
    eprintln!(
        "(installing {krate} into {}; this takes minutes)",
        root.display()
    );
    let mut cmd = cargo();
    cmd.args(["install", "--locked", "--root"])
        .arg(&root)
        .arg("--target-dir")
        .arg(cache().join("cargo-build"))
        .arg(krate)
        .args(features);
    let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() || !path.exists() {
        return Err(format!(
            "`cargo install {krate}` failed: {}",
            tail(&output.stderr)
        ));
    }
    Ok(path)
}

fn npm_install() -> Result<PathBuf, String> {
    let dir = cache().join("npm");
    let path = dir
        .join("node_modules")
        .join(".bin")
        .join("node-pg-migrate");
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    eprintln!("(installing node-pg-migrate into {})", dir.display());
    let output = Command::new("npm")
        .args(["install", "--no-save", "--prefix"])
        .arg(&dir)
        .args(["node-pg-migrate@9", "pg"])
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !output.status.success() || !path.exists() {
        return Err(format!(
            "`npm install node-pg-migrate` failed: {}",
            tail(&output.stderr)
        ));
    }
    Ok(path)
}

/// One tool set up on one folder of migrations in its own format.
struct Setup {
    tool: Tool,
    /// The tool's migrations folder (for this project: the generated crate's root).
    dir: PathBuf,
    program: PathBuf,
}

impl Setup {
    /// The folder holding the migration files.
    fn migrations_dir(&self) -> PathBuf {
        match self.tool {
            Tool::Installed | Tool::CargoRun | Tool::Runner => self.dir.join("migrations"),
            _ => self.dir.clone(),
        }
    }

    /// File name and content of migration `i` in this tool's format.
    fn file(&self, i: usize) -> (String, String) {
        let sql = statement(i);
        match self.tool {
            Tool::Floor => unreachable!("the floor has no folder"),
            Tool::Installed | Tool::CargoRun | Tool::Runner => (
                format!("{}_create_t{i}.rs", version(i)),
                format!(
                    "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.create_table(\"t{i}\", [column(\"id\", \"bigint\").primary_key()]);\n}}\n"
                ),
            ),
            Tool::Sqlx => (format!("{}_create_t{i}.sql", version(i)), sql),
            Tool::Refinery => (format!("V{}__create_t{i}.sql", i + 1), sql),
            Tool::NodePgMigrate => (
                format!("{}_create_t{i}.sql", version(i)),
                format!("-- Up Migration\n{sql}\n-- Down Migration\nDROP TABLE \"t{i}\";\n"),
            ),
        }
    }

    /// Makes the folder hold migrations `0..n`. For this project, older ones are then sealed as `migrate
    /// create` leaves a folder that grew to `n` (all but the newest ten in `sealed.txt`), with the same
    /// library function.
    fn fill(&self, n: usize) {
        let files: Vec<(String, String)> = (0..n).map(|i| self.file(i)).collect();
        let dir = self.migrations_dir();
        sync_folder(&dir, &files);
        if dir.join(migrate_core::seal::LIST_FILE).exists() {
            let sealed = migrate_core::seal::SealList::empty(&dir)
                .write()
                .and_then(|()| migrate_core::scan(&dir))
                .and_then(|found| migrate_core::seal::seal_older(&dir, &found))
                .unwrap_or_else(|e| panic!("sealing {}: {e}", dir.display()));
            eprintln!("({sealed} of {n} migrations sealed)");
        }
    }

    /// Adds migration `i` (the edit of the edit→run loop): for this project through its `create` command (as
    /// users do; it also seals older migrations when enough are unsealed), the new file then renamed to the
    /// generated name and given its body; for the others, the file written.
    fn add(&self, i: usize) {
        let (name, text) = self.file(i);
        let path = self.migrations_dir().join(name);
        if self.through_front_end() {
            let mut cmd = self.create_command(&format!("create_t{i}"));
            let output = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
            let stdout = String::from_utf8_lossy(&output.stdout);
            let created = stdout
                .lines()
                .find_map(|l| l.strip_prefix("created "))
                .unwrap_or_else(|| {
                    panic!(
                        "{cmd:?} printed no `created` line: {stdout}{}",
                        String::from_utf8_lossy(&output.stderr)
                    )
                });
            std::fs::rename(self.dir.join(created), &path)
                .unwrap_or_else(|e| panic!("{created} -> {}: {e}", path.display()));
        }
        write_if_changed(&path, &text);
    }

    fn through_front_end(&self) -> bool {
        matches!(self.tool, Tool::Installed | Tool::CargoRun)
    }

    /// `create NAME` as the user types it with this tool.
    fn create_command(&self, name: &str) -> Command {
        let mut cmd = match self.tool {
            Tool::Installed => Command::new(&self.program),
            Tool::CargoRun => {
                let mut cmd = cargo();
                cmd.args(["run", "-q", "--manifest-path"])
                    .arg(project_root().join("Cargo.toml"))
                    .args(["-p", "migrate-cli", "--"]);
                cmd
            }
            tool => unreachable!("{tool:?} has no create command here"),
        };
        cmd.args(["create", name])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", target_dir());
        cmd
    }

    fn command(&self, db: &TestDb, status: bool) -> Command {
        let url = db.url();
        match self.tool {
            Tool::Floor => unreachable!("the floor runs psql"),
            Tool::Installed | Tool::Runner => {
                let mut cmd = Command::new(&self.program);
                cmd.arg(if status { "status" } else { "up" });
                self.ours(cmd, url)
            }
            Tool::CargoRun => {
                let mut cmd = cargo();
                cmd.args(["run", "-q", "--manifest-path"])
                    .arg(project_root().join("Cargo.toml"))
                    .args(["-p", "migrate-cli", "--"])
                    .arg(if status { "status" } else { "up" });
                self.ours(cmd, url)
            }
            Tool::Sqlx => {
                let mut cmd = Command::new(&self.program);
                cmd.args(["migrate", if status { "info" } else { "run" }, "--source"])
                    .arg(&self.dir)
                    .args(["--database-url", url]);
                cmd
            }
            Tool::Refinery => {
                let mut cmd = Command::new(&self.program);
                cmd.args(["migrate", "-e", "DATABASE_URL", "-p"])
                    .arg(&self.dir)
                    .env("DATABASE_URL", url);
                cmd
            }
            Tool::NodePgMigrate => {
                let mut cmd = Command::new(&self.program);
                // Each migration in its own transaction, as the other tools do (its default is one transaction
                // for the whole run).
                cmd.args(["up", "--no-single-transaction", "-m"])
                    .arg(&self.dir)
                    .env("DATABASE_URL", url);
                cmd
            }
        }
    }

    fn ours(&self, mut cmd: Command, url: &str) -> Command {
        cmd.current_dir(&self.dir)
            .env("DATABASE_URL", url)
            .env("CARGO_TARGET_DIR", target_dir())
            .stdout(Stdio::null());
        cmd
    }
}

/// The package the front end works on, set up as a user does: `cargo new`, then `migrate init --crates-path`
/// (the registry module, the runner binary, `migrate.toml`, and the sealed-migrations package with an empty
/// `sealed.txt`). The package is made a workspace root of its own (the cache can lie inside this workspace),
/// and this workspace's lockfile is copied in, so it builds offline with the versions this checkout uses.
fn init_package(dir: &Path, name: &str, migrate: &Path) {
    if dir.join("migrate.toml").exists() && dir.join("sealed-migrations").exists() {
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
    let parent = dir.parent().expect("the package folder has a parent");
    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
    run(cargo()
        .args(["new", "--quiet", "--vcs", "none", "--bin", "--name", name])
        .arg(dir));
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("cargo new wrote Cargo.toml");
    std::fs::write(&manifest, format!("{text}\n[workspace]\n")).expect("write Cargo.toml");
    std::fs::copy(project_root().join("Cargo.lock"), dir.join("Cargo.lock"))
        .expect("copy Cargo.lock");
    run(Command::new(migrate)
        .args(["init", "--crates-path"])
        .arg(project_root())
        .current_dir(dir));
}

/// A crate like an application's: `migrations/` compiled by its build script, a runner binary, and a
/// `migrate.toml` naming it (the runner measured alone).
fn scaffold(dir: &Path, name: &str) {
    let root = project_root();
    std::fs::create_dir_all(dir.join("src")).expect("crate folder");
    std::fs::create_dir_all(dir.join("migrations")).expect("migrations folder");
    for (file, text) in tests::scaffold::runner_crate(name, &root) {
        write_if_changed(&dir.join(file), &text);
    }
}

/// Builds a generated crate's runner in release; returns the binary.
fn build_runner(dir: &Path, name: &str) -> PathBuf {
    let started = Instant::now();
    let target = target_dir();
    run(cargo()
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target));
    eprintln!("(built {name} in {:.0} s)", started.elapsed().as_secs_f64());
    target.join("release").join(format!("{name}-migrate"))
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

/// Every figure of the run: (measure, tool) → sample.
#[derive(Default)]
struct Results {
    samples: BTreeMap<(Measure, Tool), Sample>,
}

/// Runs every measure for `setups` (one tool, or several ways of calling one tool, sharing one folder) on a
/// folder that grows through the sizes: each size is reached by adding files and applying them (untimed),
/// then measured. Each setup has a database of its own; before each of its measures it catches up, untimed,
/// with what another setup added.
fn measure_growing(setups: &[Setup], opts: &Options, results: &mut Results) {
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
            if opts.loops.contains(&size) {
                let mut samples = Vec::new();
                for _ in 0..opts.runs {
                    let started = Instant::now();
                    setup.add(count);
                    count += 1;
                    let sample = timed(&mut setup.command(db, false));
                    samples.push(Sample {
                        wall: started.elapsed(),
                        ..sample
                    });
                }
                results.add(Measure::Loop(size), tool, median(samples));
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

/// The floor at every size: applying to a fresh database, and reading the bookkeeping table.
fn measure_floor(opts: &Options, results: &mut Results) {
    let samples = (0..opts.runs.min(3))
        .map(|_| floor_apply(&TestDb::new(), 0, opts.apply))
        .collect();
    results.add(Measure::Apply, Tool::Floor, median(samples));
    let db = TestDb::new();
    floor_apply(&db, 0, opts.apply);
    let samples = (0..opts.runs).map(|_| floor_read(&db)).collect();
    results.add(Measure::Noop, Tool::Floor, median(samples));
    let db = TestDb::new();
    floor_apply(&db, 0, opts.status);
    let samples = (0..opts.runs).map(|_| floor_read(&db)).collect();
    results.add(Measure::Status, Tool::Floor, median(samples));
    // One more migration after `size` applied: a transaction with the statement and its bookkeeping row.
    let db = TestDb::new();
    let mut count = 0;
    for &size in &opts.loops {
        if size > count {
            floor_apply(&db, count, size);
            count = size;
        }
        let samples = (0..opts.runs)
            .map(|_| {
                let sample = floor_apply(&db, count, count + 1);
                count += 1;
                sample
            })
            .collect();
        results.add(Measure::Loop(size), Tool::Floor, median(samples));
    }
}

/// The runner binary called directly (release): apply, no-op and status at both sizes, for the loop-free
/// rows and the memory table.
fn measure_runner(opts: &Options, results: &mut Results) -> Vec<MemoryRow> {
    let mut rows = Vec::new();
    let mut sizes = vec![opts.apply, opts.status];
    sizes.dedup();
    for n in sizes {
        let name = format!("peers-runner-{n}");
        let dir = cache().join("crates").join(&name);
        scaffold(&dir, &name);
        let mut setup = Setup {
            tool: Tool::Runner,
            dir: dir.clone(),
            program: PathBuf::new(),
        };
        setup.fill(n);
        setup.program = build_runner(&dir, &name);
        // Applying the larger size takes long: once is enough for its memory figure.
        let apply_runs = if n == opts.apply { opts.runs.min(3) } else { 1 };
        let apply = median(
            (0..apply_runs)
                .map(|_| timed(&mut setup.command(&TestDb::new(), false)))
                .collect(),
        );
        let db = TestDb::new();
        run(&mut setup.command(&db, false));
        let noop = median(
            (0..opts.runs)
                .map(|_| timed(&mut setup.command(&db, false)))
                .collect(),
        );
        let status = median(
            (0..opts.runs)
                .map(|_| timed(&mut setup.command(&db, true)))
                .collect(),
        );
        if n == opts.apply {
            results.add(Measure::Apply, Tool::Runner, apply);
            results.add(Measure::Noop, Tool::Runner, noop);
        }
        if n == opts.status {
            results.add(Measure::Status, Tool::Runner, status);
        }
        rows.push(MemoryRow {
            n,
            apply,
            noop,
            status,
        });
    }
    rows
}

struct MemoryRow {
    n: usize,
    apply: Sample,
    noop: Sample,
    status: Sample,
}

impl Results {
    fn add(&mut self, measure: Measure, tool: Tool, sample: Sample) {
        self.samples.insert((measure, tool), sample);
    }

    fn get(&self, measure: Measure, tool: Tool) -> Option<Sample> {
        self.samples.get(&(measure, tool)).copied()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Printing

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ratio(a: Duration, b: Option<Sample>) -> String {
    match b {
        Some(b) if !b.wall.is_zero() => format!("{:.2}×", a.as_secs_f64() / b.wall.as_secs_f64()),
        _ => "–".to_owned(),
    }
}

fn print_measure(
    results: &Results,
    tools: &[(Tool, Result<(), String>)],
    measure: Measure,
    title: &str,
) {
    println!("\n### {title}\n");
    println!("| tool (command) | wall (median) | × floor | × sqlx | max RSS |");
    println!("|---|---|---|---|---|");
    let floor = results.get(measure, Tool::Floor);
    let sqlx = results.get(measure, Tool::Sqlx);
    for (tool, available) in tools {
        let name = tool.label().split(':').next().unwrap_or_default();
        let label = match (measure, tool.status_label()) {
            (Measure::Status, Ok(command)) => format!("{name}: {command}"),
            (Measure::Status, Err(_)) => name.to_owned(),
            _ => tool.label().to_owned(),
        };
        match (available, results.get(measure, *tool)) {
            (Err(why), _) => println!("| {label} | not measured: {why} | | | |"),
            (Ok(()), Some(s)) => println!(
                "| {label} | {} | {} | {} | {} |",
                ms(s.wall),
                ratio(s.wall, floor),
                ratio(s.wall, sqlx),
                mib(s.rss_kib)
            ),
            (Ok(()), None) => {
                let why = match (measure, tool.status_label(), tool) {
                    (Measure::Status, Err(why), _) => why,
                    (Measure::Loop(_), _, Tool::Runner) => {
                        "a new file needs a build first: the front-end rows are the loop"
                    }
                    _ => "not measured in this run",
                };
                println!("| {label} | {why} | | | |");
            }
        }
    }
}

fn print_loop(results: &Results, tools: &[(Tool, Result<(), String>)], loops: &[usize]) {
    println!("\n### edit→run loop: one new migration file + `up`, with N applied (median wall; × floor, × sqlx)\n");
    let header: Vec<String> = loops.iter().map(|n| format!("N = {n}")).collect();
    println!("| tool | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(loops.len()));
    for (tool, available) in tools {
        if *tool == Tool::Runner {
            continue;
        }
        let cells: Vec<String> = loops
            .iter()
            .map(
                |&n| match (available, results.get(Measure::Loop(n), *tool)) {
                    (Err(_), _) => "not installed".to_owned(),
                    (Ok(()), Some(s)) => format!(
                        "{} ({}, {})",
                        ms(s.wall),
                        ratio(s.wall, results.get(Measure::Loop(n), Tool::Floor)),
                        ratio(s.wall, results.get(Measure::Loop(n), Tool::Sqlx))
                    ),
                    (Ok(()), None) => "–".to_owned(),
                },
            )
            .collect();
        println!("| {} | {} |", tool.label(), cells.join(" | "));
    }
}

fn print_memory(rows: &[MemoryRow]) {
    let [small, big] = rows else {
        return;
    };
    println!(
        "\n### runner peak memory (maximum RSS, release runner called directly): {} vs {} migrations\n",
        small.n, big.n
    );
    println!(
        "| command | at {} | at {} | ratio (target ≤ 1.20) | wall at {} | wall at {} |",
        small.n, big.n, small.n, big.n
    );
    println!("|---|---|---|---|---|---|");
    for (what, a, b) in [
        ("`up` applying all", small.apply, big.apply),
        ("`up` with all applied (no-op)", small.noop, big.noop),
        ("`status` with all applied", small.status, big.status),
    ] {
        println!(
            "| {what} | {} | {} | {:.2}× | {} | {} |",
            mib(a.rss_kib),
            mib(b.rss_kib),
            b.rss_kib as f64 / a.rss_kib.max(1) as f64,
            ms(a.wall),
            ms(b.wall)
        );
    }
}

fn main() {
    let opts = options();
    let wanted = |tool: Tool| {
        opts.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == tool.key()))
    };
    println!("# this project next to other migration tools (PostgreSQL at DATABASE_URL or the local default)");
    let mut results = Results::default();
    let mut tools: Vec<(Tool, Result<(), String>)> = Vec::new();

    if wanted(Tool::Floor) {
        eprintln!("(floor)");
        measure_floor(&opts, &mut results);
        tools.push((Tool::Floor, Ok(())));
    }

    // This project through its front end: one crate, growing, shared by both ways of typing the command.
    let mut memory = Vec::new();
    if wanted(Tool::Runner) {
        memory = measure_runner(&opts, &mut results);
    }
    if wanted(Tool::Installed) || wanted(Tool::CargoRun) {
        // What `cargo install --path migrate-cli` installs: the release build of the front end.
        run(cargo()
            .args([
                "build",
                "--release",
                "--quiet",
                "-p",
                "migrate-cli",
                "--bin",
                "migrate",
            ])
            .arg("--target-dir")
            .arg(target_dir())
            .current_dir(project_root()));
        // Both ways of typing the command on one crate: the runner they build is the same.
        let name = "peers-front";
        let dir = cache().join("crates").join(name);
        init_package(&dir, name, &target_dir().join("release").join("migrate"));
        let setups: Vec<Setup> = [Tool::Installed, Tool::CargoRun]
            .into_iter()
            .filter(|t| wanted(*t))
            .map(|tool| Setup {
                tool,
                dir: dir.clone(),
                program: target_dir().join("release").join("migrate"),
            })
            .collect();
        measure_growing(&setups, &opts, &mut results);
        tools.extend(setups.iter().map(|s| (s.tool, Ok(()))));
    }
    if wanted(Tool::Runner) {
        tools.push((Tool::Runner, Ok(())));
    }

    if opts.peers {
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
        for (tool, install) in installs {
            if !wanted(tool) {
                continue;
            }
            match install() {
                Ok(program) => {
                    let setup = Setup {
                        tool,
                        dir: cache().join("folders").join(tool.key()),
                        program,
                    };
                    measure_growing(std::slice::from_ref(&setup), &opts, &mut results);
                    tools.push((tool, Ok(())));
                }
                Err(why) => tools.push((tool, Err(why))),
            }
        }
    } else {
        println!("\n(peers not run: pass --peers to install and measure sqlx-cli, refinery and node-pg-migrate)");
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
}
