//! Running the CLI the way a user does, and pinning its output with insta.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::TestDb;

/// The result of one CLI run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// `$ migrate <args>`, the exit code, stdout and stderr, for a snapshot.
    pub fn transcript(&self, args: &[&str]) -> String {
        let mut out = format!("$ migrate {}\n[exit {}]\n", args.join(" "), self.code);
        if !self.stdout.is_empty() {
            out.push_str(&format!("--- stdout\n{}", self.stdout));
        }
        if !self.stderr.is_empty() {
            out.push_str(&format!("--- stderr\n{}", self.stderr));
        }
        out
    }

    /// Panics with the whole transcript unless the run exited with `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A fixture's runner binary pointed at a test database, run from an empty folder (so no `migrate.toml` or
/// `.env` of the repository is picked up).
#[derive(Debug)]
pub struct FixtureCli {
    fixture: String,
    database_url: String,
    cwd: tempfile::TempDir,
}

impl FixtureCli {
    pub fn new(fixture: &str, db: &TestDb) -> Self {
        Self::with_url(fixture, db.url())
    }

    pub fn with_url(fixture: &str, url: &str) -> Self {
        FixtureCli {
            fixture: fixture.to_owned(),
            database_url: url.to_owned(),
            cwd: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The same database, another compiled fixture (a later version of the migrations folder).
    pub fn switch(&self, fixture: &str) -> Self {
        Self::with_url(fixture, &self.database_url)
    }

    pub fn dir(&self) -> PathBuf {
        crate::fixtures::dir(&self.fixture)
    }

    /// The empty folder the CLI runs in (a test may put a `migrate.toml` there).
    pub fn cwd(&self) -> &Path {
        self.cwd.path()
    }

    /// Runs `migrate <args>` with the fixture's folder.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs with extra environment variables (which may set what the machine's environment may not).
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(bin("fixture-runner"));
        for var in MACHINE_SETTINGS {
            cmd.env_remove(var);
        }
        cmd.env("FIXTURE", &self.fixture)
            .env("MIGRATIONS_DIR", self.dir())
            .env("DATABASE_URL", &self.database_url);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_in(cmd, self.cwd.path(), args)
    }
}

/// Runs the generic front end (`migrate`) in `cwd`. Its notes on built runners go to `target/front-cache`
/// (`XDG_CACHE_HOME`), not the user's cache, unless `env` says otherwise.
pub fn front(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin("migrate-front"));
    for var in MACHINE_SETTINGS {
        cmd.env_remove(var);
    }
    cmd.env(
        "XDG_CACHE_HOME",
        workspace_root().join("target/front-cache"),
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_in(cmd, cwd, args)
}

/// The installed `migrate` run in package `dir` against `db`, its runner built in [`e2e_target`] with the other
/// end-to-end packages.
pub fn migrate_in(dir: &Path, db: &TestDb, args: &[&str]) -> Run {
    let target = e2e_target();
    front(
        dir,
        args,
        &[
            ("DATABASE_URL", db.url()),
            ("CARGO_TARGET_DIR", &target.display().to_string()),
        ],
    )
}

/// The names of the `.rs` files in `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".rs"))
        .collect();
    names.sort();
    names
}

/// A binary of this package. Integration tests run from `target/<profile>/deps/`; cargo builds the package's
/// binaries into `target/<profile>/` before running them.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing; run the tests through `cargo test`",
        path.display()
    );
    path
}

/// Settings a runner would otherwise take from the machine's environment: each test sets what it means.
pub const MACHINE_SETTINGS: [&str; 9] = [
    "MIGRATE_DIRECT_URL",
    "MIGRATIONS_TABLE",
    "MIGRATIONS_SCHEMA",
    "MIGRATE_CONFIG",
    "PGHOST",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
];

/// The runner of `fixture`, started by the test and left running (to signal it, kill it, or start several
/// at once): the clean environment of [`FixtureCli`] without a database (the caller sets `DATABASE_URL`),
/// run from the system's temporary folder, output piped.
pub fn runner(fixture: &str) -> Command {
    let mut cmd = Command::new(bin("fixture-runner"));
    for var in MACHINE_SETTINGS {
        cmd.env_remove(var);
    }
    cmd.env_remove("DATABASE_URL")
        .env("FIXTURE", fixture)
        .env("MIGRATIONS_DIR", crate::fixtures::dir(fixture))
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd` in `cwd`; the caller cleared [`MACHINE_SETTINGS`] before setting what the run needs.
fn run_in(mut cmd: Command, cwd: &Path, args: &[&str]) -> Run {
    let out = cmd
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("the CLI binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Filters for volatile parts of CLI output: timings, dates, database names, fixture paths, process ids.
pub fn filters() -> Vec<(String, String)> {
    let fixtures = crate::fixtures::dir("x")
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    vec![
        (regex_escape(&fixtures), "[FIXTURES]".to_owned()),
        (r"\(\d+ ms\)".to_owned(), "(N ms)".to_owned()),
        (
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}".to_owned(),
            "[RUN ON]".to_owned(),
        ),
        (r"mt_[0-9a-z_]+".to_owned(), "[DB]".to_owned()),
        (
            r"server process \d+".to_owned(),
            "server process [PID]".to_owned(),
        ),
        (
            r"127\.0\.0\.1:\d+|localhost:\d+".to_owned(),
            "[HOST]".to_owned(),
        ),
    ]
}

fn regex_escape(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// Snapshots `$run` (a [`Run`]) with `$args`, through [`filters`].
#[macro_export]
macro_rules! assert_cli_snapshot {
    ($name:expr, $run:expr, $args:expr) => {{
        let filters = $crate::cli::filters();
        let filters: Vec<(&str, &str)> = filters.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $run.transcript($args));
        });
    }};
}

/// Builds the installed command, `migrate`, as `cargo install` does (release, minutes from scratch),
/// from the checkout at `project` into `target_dir`, and returns it. The benchmarks measure this build, the one
/// users run.
pub fn release_front_end(project: &Path, target_dir: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
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
        .arg(target_dir)
        .current_dir(project)
        .status();
    match status {
        Ok(s) if s.success() => target_dir.join("release").join("migrate"),
        other => panic!(
            "building the migrate front end in {} failed: {other:?}",
            project.display()
        ),
    }
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// The `[profile]` of every crate the tests generate and build in [`e2e_target`]: one profile, so that they
/// share the compiled dependencies there (a crate whose profile differs compiles the whole dependency tree
/// again, a few minutes of CPU each). Dependencies without debug info: nothing debugs them, and they build
/// a quarter faster.
pub const E2E_PROFILE: &str = "[profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\ndebug = false\nincremental = false\n";

/// The modules whose tests build in a target folder of their own ([`e2e_target`]), and that folder: the
/// ones that run several builds one after the other, each waiting for the one before.
const OWN_TARGET_MODULES: &[(&str, &str)] = &[
    ("runner_freshness::", "e2e-target-b"),
    ("new_user::", "e2e-target-b"),
    ("sealing::", "e2e-target-c"),
];

/// The target folder of the throwaway application crates the end-to-end tests build, kept between runs so only
/// the first run compiles the dependencies.
///
/// There are three. Cargo builds in a target folder one build at a time, and on a 2-core machine the front
/// end's last minutes were builds queued in one folder at 1.3 to 1.4 cores busy: the tests of
/// [`OWN_TARGET_MODULES`] build in `target/e2e-target-b` and `-c`, the others in `target/e2e-target`. The
/// choice follows the test's name (libtest names each test's thread after it), so every call of one test gets
/// the same folder; a thread a test starts itself gets the first. The other folders start as a copy of the
/// first one's compiled dependencies ([`seed_target`]), so they are not compiled again.
pub fn e2e_target() -> PathBuf {
    let target = workspace_root().join("target");
    let first = target.join("e2e-target");
    let thread = std::thread::current();
    let own = thread.name().and_then(|test| {
        OWN_TARGET_MODULES
            .iter()
            .find(|(module, _)| test.starts_with(module))
    });
    let Some((_, folder)) = own else {
        return first;
    };
    let own = target.join(folder);
    seed_target(&first, &own);
    own
}

/// Copies what the first target folder compiled (`debug/{deps,build,.fingerprint}`) into `second` when it has
/// none yet: cargo then finds the dependencies fresh there (its records of them are relative to the target
/// folder). Once seeded, a call only looks for `second`'s `deps`. The copy is made under the first folder's
/// build lock (cargo's own `debug/.cargo-lock`), so that no build writes there meanwhile, and that lock also
/// keeps two tests (of this process or another) from seeding at once. Nothing to copy (a first run that starts
/// with these modules) leaves the second folder to compile its own.
fn seed_target(first: &Path, second: &Path) {
    let from = first.join("debug");
    let to = second.join("debug");
    if to.join("deps").is_dir() || !from.join("deps").is_dir() {
        return;
    }
    let lock_path = from.join(".cargo-lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    // Another test may have seeded it while this one waited for the lock.
    if to.join("deps").is_dir() {
        return;
    }
    let partial = second.join("debug.partial");
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", partial.display()));
    let started = std::time::Instant::now();
    for part in ["deps", "build", ".fingerprint"] {
        let status = Command::new("cp")
            .arg("-a")
            .arg(from.join(part))
            .arg(&partial)
            .status()
            .unwrap_or_else(|e| panic!("cannot run cp: {e}"));
        assert!(
            status.success(),
            "cp -a {} failed",
            from.join(part).display()
        );
    }
    std::fs::rename(&partial, &to).unwrap_or_else(|e| {
        panic!(
            "cannot rename {} to {}: {e}",
            partial.display(),
            to.display()
        )
    });
    eprintln!(
        "seeded {} from {} in {:.1} s",
        to.display(),
        from.display(),
        started.elapsed().as_secs_f64()
    );
}

/// Writes a minimal application crate `package` that owns `migrations/`, like `example-app` does: a library
/// with the registry, and the runner binary `<package>-migrate`.
pub fn scaffold_app(dir: &Path, package: &str) {
    let root = workspace_root();
    let dep = |name: &str| crate::consumer::path_entry(&root, name, "");
    // The build script needs the registry generation and not the engine; the application the reverse.
    let build_dep = |name: &str| {
        crate::consumer::path_entry(
            &root,
            name,
            ", default-features = false, features = [\"build\"]",
        )
    };
    let manifest = format!(
        "[workspace]\n\n[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [[bin]]\nname = \"{package}-migrate\"\npath = \"src/main.rs\"\n\n\
         [dependencies]\n{}\n{}\n{}\n\n[build-dependencies]\n{}\n\n{E2E_PROFILE}",
        dep("migrate-core"),
        dep("migrate-dsl"),
        dep("migrate-cli"),
        build_dep("migrate-core"),
    );
    std::fs::create_dir_all(dir.join("src")).expect("create src/");
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    // Same dependency versions as the workspace, so no registry lookup is needed.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    std::fs::write(
        dir.join("migrate.toml"),
        format!("migrations_dir = \"migrations\"\n\n[runner]\npackage = \"{package}\"\nbin = \"{package}-migrate\"\n"),
    )
    .expect("write migrate.toml");
    std::fs::write(
        dir.join("build.rs"),
        "fn main() { migrate_core::build::compile_migrations(\"migrations\"); }\n",
    )
    .expect("write build.rs");
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub mod migrations { include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\")); }\n",
    )
    .expect("write src/lib.rs");
    std::fs::write(
        dir.join("src/main.rs"),
        format!("fn main() -> std::process::ExitCode {{ migrate_cli::run_embedded(&{}::migrations::REGISTRY) }}\n", package.replace('-', "_")),
    )
    .expect("write src/main.rs");
}
