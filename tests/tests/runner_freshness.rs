//! The generic `migrate` runs cargo only when the runner may be out of date: an unchanged migrations folder
//! starts the built runner directly, and every change the runner is built from (a migration added, edited or
//! removed, the package's `Cargo.toml`, the cargo configuration, the build environment, a deleted binary)
//! makes it build first. Cargo is a wrapper script here (`CARGO`), which notes each call before running the
//! real cargo, so the tests see exactly when it ran.
//!
//! The crates build into `target/e2e-target`, shared with `compile_loop.rs`.

use std::path::{Path, PathBuf};

use tests::cli::{e2e_target, front, scaffold_app, Run};
use tests::TestDb;

/// An application crate with a cargo that logs its calls.
struct App {
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
    log: PathBuf,
    wrapper: PathBuf,
}

impl App {
    fn new(package: &str) -> App {
        let dir = tempfile::tempdir().unwrap();
        scaffold_app(dir.path(), package);
        std::fs::create_dir_all(dir.path().join("migrations")).unwrap();
        let tools = dir.path().join("tools");
        std::fs::create_dir_all(&tools).unwrap();
        let log = tools.join("cargo-calls.log");
        let wrapper = tools.join("cargo");
        let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{real}' \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        App {
            dir,
            cache: tempfile::tempdir().unwrap(),
            log,
            wrapper,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn migration(&self, name: &str) -> PathBuf {
        self.path().join("migrations").join(format!("{name}.rs"))
    }

    fn write_table_migration(&self, name: &str, table: &str) {
        std::fs::write(
            self.migration(name),
            format!("use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.create_table(\"{table}\", [column(\"id\", \"integer\")]);\n}}\n"),
        )
        .unwrap();
    }

    /// The calls cargo got so far.
    fn cargo_calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Runs `migrate`, after the margin the freshness check leaves for file times around a build's start (a
    /// file changed within it counts as changed after the build started, so a script that writes a file and
    /// at once runs `migrate` would see one more build than a person does).
    fn migrate_env(&self, db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Run {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let target = e2e_target().display().to_string();
        let cache = self.cache.path().display().to_string();
        let wrapper = self.wrapper.display().to_string();
        let mut all = vec![
            ("DATABASE_URL", db.url()),
            ("CARGO_TARGET_DIR", target.as_str()),
            ("XDG_CACHE_HOME", cache.as_str()),
            ("CARGO", wrapper.as_str()),
        ];
        all.extend_from_slice(env);
        front(self.path(), args, &all)
    }

    fn migrate(&self, db: &TestDb, args: &[&str]) -> Run {
        self.migrate_env(db, args, &[])
    }

    /// `migrate sql`, which prints the pending migrations' SQL as compiled into the runner; checks how many
    /// times cargo ran in all.
    #[track_caller]
    fn sql_expecting_cargo_calls(&self, db: &TestDb, calls: usize) -> String {
        let before = self.cargo_calls().len();
        let run = self.migrate(db, &["sql"]).expect_code(0);
        assert_eq!(
            self.cargo_calls().len(),
            calls,
            "cargo calls: {:?}\n{}",
            self.cargo_calls(),
            run.stderr
        );
        // Issue 31: a build says so, before and after; a fresh runner starts without a word.
        assert_eq!(
            built_because(&run).is_some(),
            calls > before,
            "{}",
            run.stderr
        );
        run.stdout
    }

    /// [`Self::sql_expecting_cargo_calls`] for a command that builds, and why it says it builds.
    #[track_caller]
    fn sql_built_because(&self, db: &TestDb, calls: usize, why: &str) -> String {
        let before = self.cargo_calls().len();
        let run = self.migrate(db, &["sql"]).expect_code(0);
        assert_eq!(
            (self.cargo_calls().len(), built_because(&run).as_deref()),
            (calls, Some(why)),
            "cargo calls before: {before}\n{}",
            run.stderr
        );
        run.stdout
    }
}

/// Why the runner was built, as the line before the build says (`building the migrations runner <bin>
/// (<why>[; <hint>])...`), when the line after it says it was built.
fn built_because(run: &Run) -> Option<String> {
    let why = run.stderr.lines().find_map(|l| {
        let rest = l.strip_prefix("building the migrations runner ")?;
        let (_, why) = rest.split_once(" (")?;
        let why = why.strip_suffix(")...")?;
        Some(why.split(';').next().unwrap_or(why).to_owned())
    })?;
    run.stderr
        .lines()
        .any(|l| l.starts_with("built the migrations runner in ") && l.ends_with(" s"))
        .then_some(why)
}

#[test]
fn cargo_runs_exactly_when_the_runner_may_be_out_of_date() {
    let db = TestDb::new();
    let app = App::new("freshapp");
    app.write_table_migration("20260101000000_first", "fresh_first");

    // The first command builds; the same command on the unchanged folder does not run cargo.
    let sql = app.sql_built_because(&db, 1, "first build");
    assert!(sql.contains("\"fresh_first\""), "{sql}");
    assert!(
        app.cargo_calls()[0].contains("build") && app.cargo_calls()[0].contains("--profile dev"),
        "{:?}",
        app.cargo_calls()
    );
    let again = app.sql_expecting_cargo_calls(&db, 1);
    assert_eq!(again, sql);

    // A migration added, edited, removed: each is compiled in before the command runs.
    app.write_table_migration("20260102000000_second", "fresh_second");
    let sql = app.sql_built_because(&db, 2, "files added or removed");
    assert!(sql.contains("\"fresh_second\""), "{sql}");
    app.write_table_migration("20260102000000_second", "fresh_edited");
    let sql = app.sql_built_because(&db, 3, "1 changed file");
    assert!(
        sql.contains("\"fresh_edited\"") && !sql.contains("\"fresh_second\""),
        "{sql}"
    );
    std::fs::remove_file(app.migration("20260102000000_second")).unwrap();
    let sql = app.sql_built_because(&db, 4, "1 changed file, files added or removed");
    assert!(!sql.contains("\"fresh_edited\""), "{sql}");
    app.sql_expecting_cargo_calls(&db, 4);

    // The runner's Cargo.toml changed.
    let manifest = app.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}\n[features]\nunused = []\n")).unwrap();
    app.sql_built_because(&db, 5, "1 changed file");
    app.sql_expecting_cargo_calls(&db, 5);

    // A cargo configuration file appears (it could set another target folder or profile).
    std::fs::create_dir_all(app.path().join(".cargo")).unwrap();
    std::fs::write(app.path().join(".cargo/config.toml"), "[net]\nretry = 3\n").unwrap();
    app.sql_built_because(&db, 6, "the build settings changed");
    app.sql_expecting_cargo_calls(&db, 6);

    // The build environment changed (any `CARGO_BUILD_*`, `CARGO_PROFILE_*`, `CARGO_TARGET_*`, `RUSTFLAGS`,
    // ... may change what or where cargo builds), and back.
    let changed = app
        .migrate_env(&db, &["sql"], &[("CARGO_BUILD_JOBS", "1")])
        .expect_code(0);
    assert_eq!(app.cargo_calls().len(), 7, "{}", changed.stderr);
    assert_eq!(
        built_because(&changed).as_deref(),
        Some("the build settings changed")
    );
    app.sql_built_because(&db, 8, "the build settings changed");
    app.sql_expecting_cargo_calls(&db, 8);

    // The binary was deleted (`cargo clean`).
    std::fs::remove_file(e2e_target().join("debug/freshapp-migrate")).unwrap();
    let sql = app.sql_built_because(&db, 9, "the runner built last time is gone or was replaced");
    assert!(sql.contains("\"fresh_first\""), "{sql}");
}

#[test]
fn release_builds_and_runs_the_release_runner() {
    let db = TestDb::new();
    let app = App::new("releaseapp");
    // A release profile that compiles like dev, so the test does not spend minutes optimising.
    let manifest = app.path().join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!(
            "{text}\n[profile.release]\nopt-level = 0\ncodegen-units = 256\nincremental = true\n"
        ),
    )
    .unwrap();
    app.write_table_migration("20260101000000_first", "release_first");

    let run = app.migrate(&db, &["--release", "sql"]).expect_code(0);
    assert!(run.stdout.contains("\"release_first\""), "{}", run.stdout);
    let calls = app.cargo_calls();
    assert!(
        calls.len() == 1 && calls[0].contains("--profile release"),
        "{calls:?}"
    );
    let release = e2e_target().join("release/releaseapp-migrate");
    assert!(release.is_file(), "{}", release.display());
    assert!(!e2e_target().join("debug/releaseapp-migrate").exists());

    // Fresh: no cargo, and the runner that answers is the release one (there is no other).
    let run = app.migrate(&db, &["sql", "--release"]).expect_code(0);
    assert!(run.stdout.contains("\"release_first\""), "{}", run.stdout);
    assert_eq!(app.cargo_calls().len(), 1, "{:?}", app.cargo_calls());

    // The same profile chosen in migrate.toml is the same runner.
    let config = app.path().join("migrate.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}profile = \"release\"\n")).unwrap();
    let run = app.migrate(&db, &["sql"]).expect_code(0);
    assert!(run.stdout.contains("\"release_first\""), "{}", run.stdout);
    assert_eq!(app.cargo_calls().len(), 1, "{:?}", app.cargo_calls());

    // A profile name that is not one is refused before anything runs.
    std::fs::write(&config, format!("{text}profile = \"fast dev\"\n")).unwrap();
    let run = app.migrate(&db, &["sql"]).expect_code(1);
    assert!(
        run.stderr
            .contains("invalid [runner] profile = \"fast dev\""),
        "{}",
        run.stderr
    );
    assert_eq!(app.cargo_calls().len(), 1);
}
