//! Running the CLI the way a user does, and pinning its output with insta.

use std::path::{Path, PathBuf};
use std::process::Command;

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
        let mut cmd = Command::new(bin("fixture-runner"));
        cmd.env("FIXTURE", &self.fixture)
            .env("MIGRATIONS_DIR", self.dir())
            .env("DATABASE_URL", &self.database_url);
        run_in(cmd, self.cwd.path(), args)
    }

    /// Runs with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(bin("fixture-runner"));
        cmd.env("FIXTURE", &self.fixture)
            .env("MIGRATIONS_DIR", self.dir())
            .env("DATABASE_URL", &self.database_url);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_in(cmd, self.cwd.path(), args)
    }
}

/// Runs the generic front end (`migrate`) in `cwd`.
pub fn front(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin("migrate-front"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_in(cmd, cwd, args)
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

fn run_in(mut cmd: Command, cwd: &Path, args: &[&str]) -> Run {
    for var in [
        "MIGRATE_DIRECT_URL",
        "MIGRATIONS_TABLE",
        "MIGRATIONS_SCHEMA",
        "MIGRATE_CONFIG",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "PGUSER",
        "PGPASSWORD",
    ] {
        cmd.env_remove(var);
    }
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
