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
//! # The issue-33 summary
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
    /// create` leaves a folder that grew to `n` (all but the newest ten in chunks of sealed lists), with the same
    /// library function.
    fn fill(&self, n: usize) {
        let files: Vec<(String, String)> = (0..n).map(|i| self.file(i)).collect();
        let dir = self.migrations_dir();
        sync_folder(&dir, &files);
        let chunks = dir.join(migrate_core::seal::CHUNKS_DIR);
        let single = dir.join(migrate_core::seal::LIST_FILE);
        if chunks.exists() || single.exists() {
            // Start from no sealed migration (in chunks, or the first layout's one list), then seal.
            if chunks.exists() {
                for entry in std::fs::read_dir(&chunks)
                    .expect("read the chunks' lists")
                    .flatten()
                {
                    let _ = std::fs::remove_file(entry.path());
                }
                // As `init` leaves a new package: chunk 0's list, empty. Without it, a folder refilled to
                // fewer migrations than a seal takes would have no list at all, and `init` below would write
                // no sealed-migrations package for the dependency it declares.
                migrate_core::seal::SealList::empty_at(migrate_core::seal::chunk_list_path(
                    &dir, 0,
                ))
                .write()
                .unwrap_or_else(|e| panic!("{}: {e}", chunks.display()));
            } else {
                migrate_core::seal::SealList::empty(&dir)
                    .write()
                    .unwrap_or_else(|e| panic!("{}: {e}", single.display()));
            }
            let outcome = migrate_core::scan(&dir)
                .and_then(|found| migrate_core::seal::seal_older(&dir, &found))
                .unwrap_or_else(|e| panic!("sealing {}: {e}", dir.display()));
            // The chunks' packages, as `create` writes them after a seal. A folder refilled to fewer
            // migrations than the cached package last held has fewer lists than packages: `init` adds
            // packages but never removes one, and a chunk whose list is gone reruns its build script at every
            // build (cargo treats a watched file that does not exist as changed), so every loop would
            // rebuild the sealed crates. Start their packages afresh then, as a new package would have them.
            let count = |dir: PathBuf| std::fs::read_dir(dir).map_or(0, |d| d.flatten().count());
            let package = self.dir.join("sealed-migrations");
            if count(package.join("chunks")) > count(chunks.clone()) {
                std::fs::remove_dir_all(&package)
                    .unwrap_or_else(|e| panic!("{}: {e}", package.display()));
            }
            run(Command::new(&self.program)
                .args(["init", "--crates-path"])
                .arg(project_root())
                .current_dir(&self.dir));
            eprintln!("({} of {n} migrations sealed)", outcome.sealed);
        }
    }

    /// Adds migration `i` (the edit of the edit→run loop): for this project through its `create` command (as
    /// users do; it also seals older migrations when enough are unsealed), the new file then renamed to the
    /// generated name and given its body; for the others, the file written. Returns how many older migrations
    /// `create` sealed (its line `sealed N older migrations`), 0 when it sealed none or for another tool.
    fn add(&self, i: usize) -> usize {
        let (name, text) = self.file(i);
        let path = self.migrations_dir().join(name);
        let mut sealed = 0;
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
            sealed = stdout.lines().find_map(sealed_count).unwrap_or(0);
        }
        write_if_changed(&path, &text);
        sealed
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
        self.command_on(db.url(), status)
    }

    /// [`command`](Self::command) against `url` (a test database's URL with another `sslmode`).
    fn command_on(&self, url: &str, status: bool) -> Command {
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

/// The number in `create`'s line `sealed N older migrations ...`, if `line` is that line.
fn sealed_count(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("sealed ")?;
    let (count, rest) = rest.split_once(' ')?;
    rest.starts_with("older migration")
        .then(|| count.parse().ok())
        .flatten()
}

/// `url` with `sslmode=mode` (any `sslmode` it had replaced; its other parameters kept).
fn with_sslmode(url: &str, mode: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("DATABASE_URL: {e}"));
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != "sslmode")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("sslmode", mode);
    parsed.into()
}

/// The package the front end works on, set up as a user does: `cargo new`, then `migrate init --crates-path`
/// (the registry module, the runner binary, `migrate.toml`, and the sealed-migrations package with an empty
/// `sealed.txt`). The package is made a workspace root of its own (the cache can lie inside this workspace),
/// and this workspace's lockfile is copied in, so it builds offline with the versions this checkout uses.
fn init_package(dir: &Path, name: &str, migrate: &Path) {
    // A package set up for another checkout (a cache shared with another worktree) would measure that
    // checkout's crates: it is set up again.
    let crates = project_root().join("migrate-core");
    let crates = crates
        .canonicalize()
        .unwrap_or(crates)
        .display()
        .to_string();
    let ours = std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.contains(&format!("{crates:?}")));
    if ours && dir.join("migrate.toml").exists() && dir.join("sealed-migrations").exists() {
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

/// Every figure of the run: (measure, tool) → sample, and the side-by-side figures of the issue-33 summary.
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

// ---------------------------------------------------------------------------------------------------------
// Side by side: the pairs of the issue-33 summary

/// The measures run in pairs, this project (A) next to its reference (B).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Pair {
    /// Installed `migrate up` on an empty database / `psql -f`, at `--apply`.
    Apply,
    /// No-op `up` / `sqlx migrate run`, `sslmode=prefer`, at `--apply`.
    NoopPrefer,
    /// The same with `sslmode=disable`.
    NoopDisable,
    /// No-op `up`, `sslmode=prefer`, at `--status` (for the peak memory's flatness).
    NoopPreferAtStatus,
    /// `migrate status` / `sqlx migrate info`, at `--status`.
    Status,
}

impl Pair {
    fn label(self, opts: &Options) -> String {
        let (apply, status) = (thousands(opts.apply), thousands(opts.status));
        match self {
            Pair::Apply => format!("apply {apply}: `migrate up` / `psql -f`"),
            Pair::NoopPrefer => format!("no-op `up`, {apply} applied, `sslmode=prefer` / sqlx"),
            Pair::NoopDisable => format!("no-op `up`, {apply} applied, `sslmode=disable` / sqlx"),
            Pair::NoopPreferAtStatus => {
                format!("no-op `up`, {status} applied, `sslmode=prefer` / sqlx")
            }
            Pair::Status => format!("`status` with {status} applied / `sqlx migrate info`"),
        }
    }
}

/// Samples of A and B, run in turn: pair `i` is (a[i], b[i]).
#[derive(Default)]
struct Paired {
    a: Vec<Sample>,
    b: Vec<Sample>,
}

impl Paired {
    /// `pairs` pairs, alternately A B and B A, so that a drift of the load weighs on both sides alike.
    fn run(pairs: usize, mut a: impl FnMut() -> Sample, mut b: impl FnMut() -> Sample) -> Paired {
        let mut paired = Paired::default();
        for i in 0..pairs {
            if i % 2 == 0 {
                paired.a.push(a());
                paired.b.push(b());
            } else {
                paired.b.push(b());
                paired.a.push(a());
            }
        }
        paired
    }

    /// Each pair's ratio A / B, sorted.
    fn ratios(&self) -> Vec<f64> {
        let mut ratios: Vec<f64> = self
            .a
            .iter()
            .zip(&self.b)
            .map(|(a, b)| a.wall.as_secs_f64() / b.wall.as_secs_f64().max(1e-9))
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios
    }

    /// The median of the pairs' ratios: the ratio the summary reports.
    fn ratio(&self) -> f64 {
        median_f64(&self.ratios())
    }

    fn wall_a(&self) -> Duration {
        median(self.a.clone()).wall
    }

    fn wall_b(&self) -> Duration {
        median(self.b.clone()).wall
    }

    fn rss_a(&self) -> u64 {
        self.a.iter().map(|s| s.rss_kib).max().unwrap_or(0)
    }

    fn rss_b(&self) -> u64 {
        self.b.iter().map(|s| s.rss_kib).max().unwrap_or(0)
    }
}

/// The median of sorted `values` (the mean of the middle two for an even count).
fn median_f64(values: &[f64]) -> f64 {
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The references of the installed `migrate`'s pairs: `psql -f` for applying, and sqlx-cli on a folder of its
/// own, grown with this project's (untimed) to each size the pairs run at.
struct SideBySide {
    /// sqlx-cli set up on its folder, or why it is not measured.
    sqlx: Result<Setup, String>,
    /// sqlx's database and how many migrations it holds.
    sqlx_db: Option<(TestDb, usize)>,
}

impl SideBySide {
    fn new(sqlx: Result<PathBuf, String>) -> SideBySide {
        let sqlx = sqlx.map(|program| Setup {
            tool: Tool::Sqlx,
            dir: cache().join("folders").join("sqlx-pairs"),
            program,
        });
        SideBySide {
            sqlx,
            sqlx_db: None,
        }
    }

    /// sqlx's folder and database at `size` (filled and applied, untimed).
    fn sqlx_at(&mut self, size: usize) -> Option<(&Setup, &TestDb)> {
        let sqlx = self.sqlx.as_ref().ok()?;
        if self.sqlx_db.as_ref().is_none_or(|(_, n)| *n > size) {
            // A smaller size than the database holds (`--status` below `--apply`): a fresh database.
            self.sqlx_db = Some((TestDb::new(), 0));
        }
        let (db, n) = self.sqlx_db.as_mut().expect("set above");
        eprintln!("(sqlx, for the pairs: {size} migrations)");
        sqlx.fill(size);
        run(&mut sqlx.command(db, false));
        *n = size;
        Some((sqlx, db))
    }

    /// The pairs due at `size`, with `ours` (the installed `migrate`) holding `size` migrations, all applied
    /// on `db`.
    fn at(
        &mut self,
        size: usize,
        ours: &Setup,
        db: &TestDb,
        opts: &Options,
        results: &mut Results,
    ) {
        if size != opts.apply && size != opts.status {
            return;
        }
        let pairs = opts.pairs;
        if size == opts.apply {
            eprintln!("(pairs: apply {size}, `migrate up` / `psql -f`)");
            let paired = Paired::run(
                pairs,
                || timed(&mut ours.command(&TestDb::new(), false)),
                || floor_apply(&TestDb::new(), 0, size),
            );
            results.pairs.insert(Pair::Apply, paired);
        }
        if let Err(why) = &self.sqlx {
            results.pairs_missing = Some(why.clone());
            return;
        }
        if results.server_ssl.is_none() {
            let ssl = db
                .client()
                .query_one("SHOW ssl", &[])
                .map(|row| row.get::<_, String>(0))
                .unwrap_or_else(|e| format!("unknown ({e})"));
            results.server_ssl = Some(ssl);
        }
        let Some((sqlx, sqlx_db)) = self.sqlx_at(size) else {
            return;
        };
        let noop = |mode: &str| {
            let (url_a, url_b) = (
                with_sslmode(db.url(), mode),
                with_sslmode(sqlx_db.url(), mode),
            );
            Paired::run(
                pairs,
                || timed(&mut ours.command_on(&url_a, false)),
                || timed(&mut sqlx.command_on(&url_b, false)),
            )
        };
        if size == opts.apply {
            eprintln!("(pairs: no-op `up` at {size}, `sslmode=prefer` and `disable`)");
            results.pairs.insert(Pair::NoopPrefer, noop("prefer"));
            results.pairs.insert(Pair::NoopDisable, noop("disable"));
        }
        if size == opts.status {
            eprintln!("(pairs: `status` and no-op `up` at {size})");
            results
                .pairs
                .insert(Pair::NoopPreferAtStatus, noop("prefer"));
            let status = Paired::run(
                pairs,
                || timed(&mut ours.command(db, true)),
                || timed(&mut sqlx.command(sqlx_db, true)),
            );
            results.pairs.insert(Pair::Status, status);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The first build

/// The sqlx app's dependencies, as its `Cargo.toml` lists them.
const SQLX_APP_DEPENDENCIES: &str = "\
sqlx = { version = \"0.9\", features = [\"runtime-tokio\", \"postgres\", \"migrate\", \"macros\"] }
tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }
";

/// The sqlx app's `main`: connect, run the embedded migrations.
const SQLX_APP_MAIN: &str = "\
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var(\"DATABASE_URL\")?;
    let pool = sqlx::PgPool::connect(&url).await?;
    sqlx::migrate!(\"./migrations\").run(&pool).await?;
    Ok(())
}
";

/// One build in an empty target folder.
#[derive(Clone, Copy)]
struct Build {
    wall: Duration,
    /// User + system time of cargo and every process it waited for.
    cpu: Duration,
    /// cargo's `compiler-artifact` messages: crates (libraries, binaries, build scripts) compiled.
    artifacts: usize,
    /// cargo's `build-script-executed` messages.
    build_scripts: usize,
}

impl Build {
    fn units(&self) -> usize {
        self.artifacts + self.build_scripts
    }
}

/// Both sides' builds, in the order they ran.
struct FirstBuild {
    /// `(ours, build)`: true for this project's package.
    builds: Vec<(bool, Build)>,
    /// The load average before the first build.
    load: String,
    /// The sqlx version the app's lockfile resolved.
    sqlx_version: String,
}

impl FirstBuild {
    fn side(&self, ours: bool) -> Vec<Build> {
        self.builds
            .iter()
            .filter(|(o, _)| *o == ours)
            .map(|(_, b)| *b)
            .collect()
    }

    /// The median wall and CPU time of one side.
    fn medians(&self, ours: bool) -> (Duration, Duration) {
        let side = self.side(ours);
        let mut walls: Vec<f64> = side.iter().map(|b| b.wall.as_secs_f64()).collect();
        let mut cpus: Vec<f64> = side.iter().map(|b| b.cpu.as_secs_f64()).collect();
        walls.sort_by(f64::total_cmp);
        cpus.sort_by(f64::total_cmp);
        (
            Duration::from_secs_f64(median_f64(&walls)),
            Duration::from_secs_f64(median_f64(&cpus)),
        )
    }
}

/// Runs `cmd` to completion; its stdout, or why it failed.
fn try_run(cmd: &mut Command) -> Result<String, String> {
    let output = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{cmd:?} failed: {}", tail(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Resolves the lockfile of the package at `dir` and fetches its crates for this host, so that no timed build
/// downloads. Offline (from the registry cache) when the registry cannot be reached.
fn resolve(dir: &Path) -> Result<(), String> {
    let manifest = dir.join("Cargo.toml");
    let host = try_run(Command::new("rustc").arg("-vV"))?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or("`rustc -vV` names no host")?;
    for offline in [false, true] {
        let mut lock = cargo();
        lock.arg("generate-lockfile")
            .arg("--manifest-path")
            .arg(&manifest);
        let mut fetch = cargo();
        fetch
            .args(["fetch", "--target", &host, "--manifest-path"])
            .arg(&manifest);
        if offline {
            lock.arg("--offline");
            fetch.arg("--offline");
        }
        match try_run(&mut lock).and_then(|_| try_run(&mut fetch)) {
            Ok(_) => return Ok(()),
            Err(why) if offline => return Err(why),
            Err(why) => eprintln!("({why}; resolving offline)"),
        }
    }
    unreachable!("the offline attempt returns")
}

/// `cargo build` of `args` in the package at `dir`, in a new empty target folder under `scratch` (removed
/// after), under `/usr/bin/time`.
fn timed_build(dir: &Path, args: &[&str], scratch: &Path) -> Result<Build, String> {
    let target = tempfile::Builder::new()
        .prefix("target-")
        .tempdir_in(scratch)
        .map_err(|e| format!("target folder: {e}"))?;
    let times = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%U %S", "-o"])
        .arg(times.path())
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "build",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
        .args(args)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target.path())
        .stdin(Stdio::null());
    let started = Instant::now();
    let stdout = try_run(&mut cmd)?;
    let wall = started.elapsed();
    let cpu: f64 = std::fs::read_to_string(times.path())
        .map_err(|e| e.to_string())?
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    let reasons: Vec<String> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
        .collect();
    let count = |reason: &str| reasons.iter().filter(|r| *r == reason).count();
    Ok(Build {
        wall,
        cpu: Duration::from_secs_f64(cpu),
        artifacts: count("compiler-artifact"),
        build_scripts: count("build-script-executed"),
    })
}

/// The first build of a fresh package's runner next to a fresh sqlx app's, `builds` of each, A B B A.
fn measure_first_build(builds: usize, migrate: &Path) -> Result<FirstBuild, String> {
    let scratch = tempfile::Builder::new()
        .prefix("peers-first-build-")
        .tempdir()
        .map_err(|e| format!("scratch folder: {e}"))?;
    let new_package = |side: &str| -> Result<PathBuf, String> {
        let dir = scratch.path().join(side).join("app");
        std::fs::create_dir_all(dir.parent().expect("has a parent")).map_err(|e| e.to_string())?;
        try_run(
            cargo()
                .args(["new", "--quiet", "--vcs", "none", "--bin", "--name", "app"])
                .arg(&dir),
        )?;
        Ok(dir)
    };
    // This project: `cargo new`, `migrate init --crates-path` this checkout; the runner built as `migrate up`
    // builds it.
    let ours = new_package("migrate")?;
    try_run(
        Command::new(migrate)
            .args(["init", "--crates-path"])
            .arg(project_root())
            .current_dir(&ours),
    )?;
    let config = std::fs::read_to_string(ours.join("migrate.toml")).map_err(|e| e.to_string())?;
    let setting = |key: &str| {
        config
            .lines()
            .skip_while(|l| l.trim() != "[runner]")
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
            .ok_or(format!("`migrate init` wrote no [runner] {key}"))
    };
    let ours_args = [
        "--package".to_owned(),
        setting("package")?,
        "--bin".to_owned(),
        setting("bin")?,
        "--profile".to_owned(),
        setting("profile").unwrap_or_else(|_| "dev".to_owned()),
    ];
    // sqlx: `cargo new`, sqlx and tokio added, a `main` that runs `sqlx::migrate!`.
    let sqlx = new_package("sqlx")?;
    let manifest = sqlx.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| e.to_string())?;
    let text = text.replace(
        "[dependencies]\n",
        &format!("[dependencies]\n{SQLX_APP_DEPENDENCIES}"),
    );
    std::fs::write(&manifest, text).map_err(|e| e.to_string())?;
    std::fs::write(sqlx.join("src/main.rs"), SQLX_APP_MAIN).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(sqlx.join("migrations")).map_err(|e| e.to_string())?;
    resolve(&ours)?;
    resolve(&sqlx)?;
    let lock = std::fs::read_to_string(sqlx.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let sqlx_version = lock
        .split("[[package]]")
        .find_map(|p| {
            p.contains("name = \"sqlx\"\n")
                .then(|| p.lines().find_map(|l| l.strip_prefix("version = ")))
                .flatten()
        })
        .unwrap_or("?")
        .trim_matches('"')
        .to_owned();
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let ours_args: Vec<&str> = ours_args.iter().map(String::as_str).collect();
    let mut done = Vec::new();
    for i in 0..builds {
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for side in order {
            eprintln!(
                "(first build {} of {builds}: {})",
                i + 1,
                if side {
                    "this project's runner"
                } else {
                    "the sqlx app"
                }
            );
            let build = if side {
                timed_build(&ours, &ours_args, scratch.path())?
            } else {
                timed_build(&sqlx, &["--bin", "app"], scratch.path())?
            };
            done.push((side, build));
        }
    }
    Ok(FirstBuild {
        builds: done,
        load,
        sqlx_version,
    })
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

/// `n` with thousands separated by commas.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn print_pairs(results: &Results, opts: &Options) {
    if results.pairs.is_empty() {
        return;
    }
    println!(
        "\n### side by side: pairs run in turn (A B, B A, ...), this project's installed `migrate` (A) / reference (B)\n"
    );
    if let Some(ssl) = &results.server_ssl {
        println!("The server's `ssl` setting: {ssl}.");
    }
    if let Some(why) = &results.pairs_missing {
        println!("The pairs against sqlx-cli did not run: {why}.");
    }
    println!();
    println!("| measure | A (median) | B (median) | ratio (median of pairs) | pair ratios (min–max) | max RSS A | max RSS B | pairs |");
    println!("|---|---|---|---|---|---|---|---|");
    for (pair, paired) in &results.pairs {
        let ratios = paired.ratios();
        println!(
            "| {} | {} | {} | {:.2}× | {:.2}–{:.2}× | {} | {} | {} |",
            pair.label(opts),
            ms(paired.wall_a()),
            ms(paired.wall_b()),
            paired.ratio(),
            ratios.first().copied().unwrap_or(f64::NAN),
            ratios.last().copied().unwrap_or(f64::NAN),
            mib(paired.rss_a()),
            mib(paired.rss_b()),
            ratios.len()
        );
    }
}

/// The most a loop at `n` migrations may take (1 s up to 2,000, 2 s above).
fn loop_bound(n: usize) -> Duration {
    if n <= 2000 {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(2)
    }
}

/// The worst loop at `n`, and the worst of the loops that sealed.
fn worst_loops(loops: &[LoopSample]) -> (Option<Duration>, Option<Duration>) {
    let worst = loops.iter().map(|l| l.sample.wall).max();
    let sealing = loops
        .iter()
        .filter(|l| l.sealed > 0)
        .map(|l| l.sample.wall)
        .max();
    (worst, sealing)
}

fn print_every_loop(results: &Results) {
    if results.loops.is_empty() {
        return;
    }
    println!(
        "\n### edit→run loop of the installed `migrate`, every loop (a sealing loop is one in which `migrate create` sealed older migrations)\n"
    );
    println!("| N | loops | sealing loops (migrations sealed) | median | worst | worst sealing loop | worst other loop | bound |");
    println!("|---|---|---|---|---|---|---|---|");
    for (n, loops) in &results.loops {
        let (worst, sealing) = worst_loops(loops);
        let other = loops
            .iter()
            .filter(|l| l.sealed == 0)
            .map(|l| l.sample.wall)
            .max();
        let sealed: Vec<String> = loops
            .iter()
            .filter(|l| l.sealed > 0)
            .map(|l| thousands(l.sealed))
            .collect();
        let shown = |d: Option<Duration>| d.map_or("–".to_owned(), secs);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            thousands(*n),
            loops.len(),
            if sealed.is_empty() {
                "none".to_owned()
            } else {
                format!("{} ({})", sealed.len(), sealed.join(", "))
            },
            secs(median(loops.iter().map(|l| l.sample).collect()).wall),
            shown(worst),
            shown(sealing),
            shown(other),
            secs(loop_bound(*n))
        );
    }
}

fn print_first_build(results: &Results) {
    let Some(first) = &results.first_build else {
        return;
    };
    println!("\n### first build of a fresh package's runner and of a fresh sqlx app, each in an empty target folder\n");
    let first = match first {
        Ok(first) => first,
        Err(why) => {
            println!("Not measured: {why}");
            return;
        }
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "In turn (A B B A ...); load before: {}; {cores} cores. The sqlx app (sqlx {}): `{}`.\n",
        first.load,
        first.sqlx_version,
        SQLX_APP_DEPENDENCIES.trim().replace('\n', "` + `")
    );
    println!("| # | package | wall | CPU (user + system) | compile units (crates compiled + build scripts run) |");
    println!("|---|---|---|---|---|");
    let side = |ours: bool| {
        if ours {
            "this project: `cargo new` + `migrate init`, the runner"
        } else {
            "sqlx app with `sqlx::migrate!`"
        }
    };
    for (i, (ours, build)) in first.builds.iter().enumerate() {
        println!(
            "| {} | {} | {:.1} s | {:.1} s | {} ({} + {}) |",
            i + 1,
            side(*ours),
            build.wall.as_secs_f64(),
            build.cpu.as_secs_f64(),
            build.units(),
            build.artifacts,
            build.build_scripts
        );
    }
    for ours in [true, false] {
        let (wall, cpu) = first.medians(ours);
        println!(
            "| median | {} | {:.1} s | {:.1} s | |",
            side(ours),
            wall.as_secs_f64(),
            cpu.as_secs_f64()
        );
    }
}

/// The targets each row is held to.
const APPLY_TARGET: f64 = 1.05;
/// "Keep" the no-op `up` with `sslmode=prefer` where it is (0.32–0.35× sqlx): met up to the top of that range.
const NOOP_PREFER_KEEP: f64 = 0.35;
const NOOP_DISABLE_TARGET: f64 = 0.8;
const STATUS_TARGET: f64 = 0.35;
const MEMORY_TARGET: f64 = 1.5;
/// Flat in N: peak memory at `--status` at most this many times that at `--apply` (the runner's target 7).
const MEMORY_FLAT: f64 = 1.2;
const FIRST_BUILD_TARGET: f64 = 1.0;

/// One row of the summary.
struct Row {
    measure: String,
    ours: String,
    reference: String,
    ratio: String,
    target: String,
    met: String,
}

impl Row {
    fn missing(measure: String, target: String, why: &str) -> Row {
        Row {
            measure,
            ours: format!("not measured: {why}"),
            reference: String::new(),
            ratio: String::new(),
            target,
            met: "–".to_owned(),
        }
    }
}

fn yes_no(met: bool) -> String {
    if met { "yes" } else { "**no**" }.to_owned()
}

fn print_summary(results: &Results, opts: &Options) {
    let (apply, status) = (thousands(opts.apply), thousands(opts.status));
    let no_sqlx = results
        .pairs_missing
        .as_deref()
        .unwrap_or("the installed `migrate` did not run (`--only`)");
    let mut rows = Vec::new();
    let paired_row = |pair: Pair, measure: String, target: f64, target_text: String| match results
        .pairs
        .get(&pair)
    {
        Some(paired) => Row {
            measure,
            ours: ms(paired.wall_a()),
            reference: ms(paired.wall_b()),
            ratio: format!("{:.2}×", paired.ratio()),
            target: target_text,
            met: yes_no(paired.ratio() <= target),
        },
        None if pair == Pair::Apply => Row::missing(
            measure,
            target_text,
            "the installed `migrate` did not run (`--only`)",
        ),
        None => Row::missing(measure, target_text, no_sqlx),
    };
    rows.push(paired_row(
        Pair::Apply,
        format!("apply {apply} migrations, installed `migrate up` / one `psql -f` floor"),
        APPLY_TARGET,
        format!("≤ {APPLY_TARGET:.2}×"),
    ));
    rows.push(paired_row(
        Pair::NoopPrefer,
        format!("no-op `up`, {apply} applied, `sslmode=prefer` (TLS server) / sqlx"),
        NOOP_PREFER_KEEP,
        format!("keep: ≤ {NOOP_PREFER_KEEP:.2}× (0.32–0.35× before)"),
    ));
    rows.push(paired_row(
        Pair::NoopDisable,
        format!("no-op `up`, {apply} applied, `sslmode=disable` / sqlx"),
        NOOP_DISABLE_TARGET,
        format!("≤ {NOOP_DISABLE_TARGET:.2}×"),
    ));
    rows.push(paired_row(
        Pair::Status,
        format!("`status` with {status} applied / `sqlx migrate info`"),
        STATUS_TARGET,
        format!("≤ {STATUS_TARGET:.2}×"),
    ));

    // Peak memory: the no-op `up` with `sslmode=prefer`, at both sizes.
    let measure =
        format!("peak memory, no-op `up`, {apply} applied / sqlx; flat in N ({status} vs {apply})");
    let target =
        format!("≤ {MEMORY_TARGET:.1}×, and flat (≤ {MEMORY_FLAT:.1}× from {apply} to {status})");
    rows.push(
        match (
            results.pairs.get(&Pair::NoopPrefer),
            results.pairs.get(&Pair::NoopPreferAtStatus),
        ) {
            (Some(small), Some(big)) => {
                let of = |a: u64, b: u64| a as f64 / b.max(1) as f64;
                let vs_sqlx = of(small.rss_a(), small.rss_b());
                let flat = of(big.rss_a(), small.rss_a());
                Row {
                    measure,
                    ours: format!(
                        "{} at {apply}, {} at {status} ({:.2}×)",
                        mib(small.rss_a()),
                        mib(big.rss_a()),
                        flat
                    ),
                    reference: format!(
                        "{} at {apply}, {} at {status} ({:.2}×)",
                        mib(small.rss_b()),
                        mib(big.rss_b()),
                        of(big.rss_b(), small.rss_b())
                    ),
                    ratio: format!("{vs_sqlx:.2}× (flat: {flat:.2}×)"),
                    target,
                    met: yes_no(vs_sqlx <= MEMORY_TARGET && flat <= MEMORY_FLAT),
                }
            }
            _ => Row::missing(measure, target, no_sqlx),
        },
    );

    // The loop: every loop at the issue's sizes (or at every size measured when the run has neither).
    let issue_sizes: Vec<usize> = [2000, 10_000]
        .into_iter()
        .filter(|n| results.loops.contains_key(n))
        .collect();
    let sizes: Vec<usize> = if issue_sizes.is_empty() {
        results.loops.keys().copied().collect()
    } else {
        issue_sizes
    };
    let at = sizes
        .iter()
        .map(|n| thousands(*n))
        .collect::<Vec<_>>()
        .join(" / ");
    let bounds = sizes
        .iter()
        .map(|n| format!("{} s", loop_bound(*n).as_secs()))
        .collect::<Vec<_>>()
        .join(" / ");
    let measure = format!("edit→run loop at {at}, every loop, sealing included");
    let target = format!("every loop ≤ {bounds}");
    rows.push(if sizes.is_empty() {
        Row::missing(
            measure,
            target,
            "no loop of the installed `migrate` (`--loop`, `--only`)",
        )
    } else {
        let mut ours = Vec::new();
        let mut ratios = Vec::new();
        let mut met = true;
        let mut unsealed = Vec::new();
        for n in &sizes {
            let loops = &results.loops[n];
            let (worst, sealing) = worst_loops(loops);
            let worst = worst.unwrap_or_default();
            met &= worst <= loop_bound(*n);
            ours.push(format!(
                "worst {} at {} ({} loops; worst sealing {})",
                secs(worst),
                thousands(*n),
                loops.len(),
                sealing.map_or("none".to_owned(), secs)
            ));
            ratios.push(format!(
                "{:.2}×",
                worst.as_secs_f64() / loop_bound(*n).as_secs_f64()
            ));
            if sealing.is_none() {
                unsealed.push(thousands(*n));
            }
        }
        Row {
            measure,
            ours: ours.join("; "),
            reference: format!("the bound: {bounds}"),
            ratio: format!("{} of the bound", ratios.join(" / ")),
            target,
            met: if unsealed.is_empty() {
                yes_no(met)
            } else {
                format!(
                    "{} (no sealing loop at {})",
                    yes_no(met),
                    unsealed.join(", ")
                )
            },
        }
    });

    let measure = "first build of a fresh package's runner (`cargo new` + `migrate init`, empty target folder) / \
                   a fresh sqlx app with `sqlx::migrate!`"
        .to_owned();
    let target = format!("≤ {FIRST_BUILD_TARGET:.1}× (wall)");
    rows.push(match &results.first_build {
        None => Row::missing(measure, target, "`--first-build 0`"),
        Some(Err(why)) => Row::missing(measure, target, why),
        Some(Ok(first)) => {
            let (ours_wall, ours_cpu) = first.medians(true);
            let (sqlx_wall, sqlx_cpu) = first.medians(false);
            let units = |ours: bool| first.side(ours).first().map_or(0, |b| b.units());
            let wall = ours_wall.as_secs_f64() / sqlx_wall.as_secs_f64().max(1e-9);
            let cpu = ours_cpu.as_secs_f64() / sqlx_cpu.as_secs_f64().max(1e-9);
            Row {
                measure,
                ours: format!(
                    "{:.1} s ({:.0} CPU-s, {} units)",
                    ours_wall.as_secs_f64(),
                    ours_cpu.as_secs_f64(),
                    units(true)
                ),
                reference: format!(
                    "{:.1} s ({:.0} CPU-s, {} units)",
                    sqlx_wall.as_secs_f64(),
                    sqlx_cpu.as_secs_f64(),
                    units(false)
                ),
                ratio: format!("{wall:.2}× (CPU {cpu:.2}×)"),
                target,
                met: yes_no(wall <= FIRST_BUILD_TARGET),
            }
        }
    });

    println!("\n## summary\n");
    println!("| measure | this project | reference | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.measure, row.ours, row.reference, row.ratio, row.target, row.met
        );
    }
}

/// The installed `migrate`: the release build of `migrate-cli`, what `cargo install --path migrate-cli`
/// installs, built into the cache's target folder.
fn build_front_end() -> PathBuf {
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
    target_dir().join("release").join("migrate")
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
