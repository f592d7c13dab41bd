//! The tools: each peer installed and set up in a package of its own, and `migrate`'s package.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Tool {
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
    pub(super) fn label(self) -> &'static str {
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

    pub(super) fn key(self) -> &'static str {
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
    pub(super) fn status_label(self) -> Result<&'static str, &'static str> {
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

pub(super) fn tail(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
}

/// `cargo install` of `krate` into the cache (once; later runs find the binary).
pub(super) fn cargo_install(krate: &str, bin: &str, features: &[&str]) -> Result<PathBuf, String> {
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

pub(super) fn npm_install() -> Result<PathBuf, String> {
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
pub(super) struct Setup {
    pub(super) tool: Tool,
    /// The tool's migrations folder (for this project: the generated crate's root).
    pub(super) dir: PathBuf,
    pub(super) program: PathBuf,
}

impl Setup {
    /// The folder holding the migration files.
    pub(super) fn migrations_dir(&self) -> PathBuf {
        match self.tool {
            Tool::Installed | Tool::CargoRun | Tool::Runner => self.dir.join("migrations"),
            _ => self.dir.clone(),
        }
    }

    /// File name and content of migration `i` in this tool's format.
    pub(super) fn file(&self, i: usize) -> (String, String) {
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
    pub(super) fn fill(&self, n: usize) {
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
    pub(super) fn add(&self, i: usize) -> usize {
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

    pub(super) fn through_front_end(&self) -> bool {
        matches!(self.tool, Tool::Installed | Tool::CargoRun)
    }

    /// `create NAME` as the user types it with this tool.
    pub(super) fn create_command(&self, name: &str) -> Command {
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

    pub(super) fn command(&self, db: &TestDb, status: bool) -> Command {
        self.command_on(db.url(), status)
    }

    /// [`command`](Self::command) against `url` (a test database's URL with another `sslmode`).
    pub(super) fn command_on(&self, url: &str, status: bool) -> Command {
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

    pub(super) fn ours(&self, mut cmd: Command, url: &str) -> Command {
        cmd.current_dir(&self.dir)
            .env("DATABASE_URL", url)
            .env("CARGO_TARGET_DIR", target_dir())
            .stdout(Stdio::null());
        cmd
    }
}

/// The number in `create`'s line `sealed N older migrations ...`, if `line` is that line.
pub(super) fn sealed_count(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("sealed ")?;
    let (count, rest) = rest.split_once(' ')?;
    rest.starts_with("older migration")
        .then(|| count.parse().ok())
        .flatten()
}

/// `url` with `sslmode=mode` (any `sslmode` it had replaced; its other parameters kept).
pub(super) fn with_sslmode(url: &str, mode: &str) -> String {
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
pub(super) fn init_package(dir: &Path, name: &str, migrate: &Path) {
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
pub(super) fn scaffold(dir: &Path, name: &str) {
    let root = project_root();
    std::fs::create_dir_all(dir.join("src")).expect("crate folder");
    std::fs::create_dir_all(dir.join("migrations")).expect("migrations folder");
    for (file, text) in tests::scaffold::runner_crate(name, &root) {
        write_if_changed(&dir.join(file), &text);
    }
}

/// Builds a generated crate's runner in release; returns the binary.
pub(super) fn build_runner(dir: &Path, name: &str) -> PathBuf {
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
