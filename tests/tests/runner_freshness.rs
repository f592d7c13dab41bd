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
        // A build says so, before and after; a fresh runner starts without a word.
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

    // The same profile chosen in migrate.toml is the same runner: built again because the runner carries
    // migrate.toml (for where it runs without it), in release, and no other one.
    let config = app.path().join("migrate.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}profile = \"release\"\n")).unwrap();
    let run = app.migrate(&db, &["sql"]).expect_code(0);
    assert!(run.stdout.contains("\"release_first\""), "{}", run.stdout);
    let calls = app.cargo_calls();
    assert!(
        calls.len() == 2 && calls[1].contains("--profile release"),
        "{calls:?}"
    );
    assert!(!e2e_target().join("debug/releaseapp-migrate").exists());
    let run = app.migrate(&db, &["sql"]).expect_code(0);
    assert!(run.stdout.contains("\"release_first\""), "{}", run.stdout);
    assert_eq!(app.cargo_calls().len(), 2, "{:?}", app.cargo_calls());

    // A profile name that is not one is refused before anything runs.
    std::fs::write(&config, format!("{text}profile = \"fast dev\"\n")).unwrap();
    let run = app.migrate(&db, &["sql"]).expect_code(1);
    assert!(
        run.stderr
            .contains("invalid [runner] profile = \"fast dev\""),
        "{}",
        run.stderr
    );
    assert_eq!(app.cargo_calls().len(), 2);
}

/// The runner binary of `app` (`<package>-migrate` in the shared target folder).
fn runner_exe(package: &str) -> PathBuf {
    e2e_target()
        .join("debug")
        .join(format!("{package}-migrate"))
}

/// Runs the runner binary itself, in the app's folder, with the same environment as `migrate`.
fn runner(app: &App, package: &str, db: &TestDb, args: &[&str]) -> Run {
    runner_with(app, package, db, args, &[])
}

/// [`runner`] with more environment variables.
fn runner_with(app: &App, package: &str, db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = std::process::Command::new(runner_exe(package))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(app.path())
        .env("DATABASE_URL", db.url())
        .env("XDG_CACHE_HOME", app.cache.path())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `up` with nothing to apply and `status` of a database that applied every migration are answered by the
/// front end from the folder and the migrations table, without cargo and without the runner, in the runner's
/// own words; anything else (a migration to apply, a changed file, other flags) still goes to the runner.
#[test]
fn nothing_to_apply_and_status_are_answered_without_the_runner() {
    let db = TestDb::new();
    let package = "answeredapp";
    let app = App::new(package);
    app.write_table_migration("20260101000000_first", "answered_first");
    app.write_table_migration("20260102000000_second", "answered_second");
    std::fs::write(
        app.path().join("migrations/repeatable_view.rs"),
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"CREATE OR REPLACE VIEW answered_v AS SELECT 1 AS one\");\n}\n",
    )
    .unwrap();
    let applied = app.migrate(&db, &["up"]).expect_code(0);
    assert!(
        applied.stdout.contains("2 migration(s) and 1 repeatable"),
        "{}",
        applied.stdout
    );
    let calls = app.cargo_calls().len();

    // The runner's own answers, for comparison.
    let runner_up = runner(&app, package, &db, &["up"]);
    let runner_status = runner(&app, package, &db, &["status"]);
    let runner_json = runner(&app, package, &db, &["status", "--json"]);
    assert_eq!(runner_up.code, 0, "{}", runner_up.stderr);
    assert!(
        runner_up.stdout.starts_with("nothing to apply: "),
        "{}",
        runner_up.stdout
    );

    // Without the runner binary (a `cargo clean`, say), the same answers, and cargo never runs.
    std::fs::remove_file(runner_exe(package)).unwrap();
    for (args, expected) in [
        (&["up"][..], &runner_up),
        (&["status"][..], &runner_status),
        (&["status", "--json"][..], &runner_json),
    ] {
        let run = app.migrate(&db, args);
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (expected.code, expected.stdout.as_str(), ""),
            "migrate {args:?}"
        );
    }
    assert_eq!(app.cargo_calls().len(), calls, "{:?}", app.cargo_calls());

    // Flags that change what `up` does or prints go to the runner (built again, as it is gone).
    let dry = app.migrate(&db, &["up", "--dry-run"]).expect_code(0);
    assert_eq!(app.cargo_calls().len(), calls + 1, "{}", dry.stderr);
    let calls = calls + 1;

    // A migration to apply: the runner applies it.
    app.write_table_migration("20260103000000_third", "answered_third");
    let third = app.migrate(&db, &["up"]).expect_code(0);
    assert!(
        third.stdout.contains("1 migration(s) applied"),
        "{}",
        third.stdout
    );
    assert_eq!(app.cargo_calls().len(), calls + 1, "{}", third.stderr);
    let calls = calls + 1;

    // A pending migration makes `status` the runner's (a pending migration may be a contract, which only
    // its code tells).
    app.write_table_migration("20260104000000_fourth", "answered_fourth");
    let status = app.migrate(&db, &["status"]).expect_code(0);
    assert!(status.stdout.contains("pending"), "{}", status.stdout);
    assert_eq!(app.cargo_calls().len(), calls + 1, "{}", status.stderr);
    std::fs::remove_file(app.migration("20260104000000_fourth")).unwrap();

    // An applied migration edited: not "nothing to apply", but the runner's refusal.
    let first = app.migration("20260101000000_first");
    let original = std::fs::read_to_string(&first).unwrap();
    std::fs::write(
        &first,
        format!("{original}// edited after it was applied\n"),
    )
    .unwrap();
    let changed = app.migrate(&db, &["up"]);
    assert_ne!(changed.code, 0, "{}", changed.stdout);
    assert!(
        changed.stderr.contains("20260101000000_first"),
        "{}",
        changed.stderr
    );
    // Put back, the folder is up to date again: answered without building the edited-back runner.
    std::fs::write(&first, original).unwrap();
    let calls = app.cargo_calls().len();
    let again = app.migrate(&db, &["up"]).expect_code(0);
    assert_eq!(again.stdout, runner_up.stdout);
    assert_eq!(app.cargo_calls().len(), calls, "{:?}", app.cargo_calls());

    // A repeatable migration changed: the runner applies it again.
    std::fs::write(
        app.path().join("migrations/repeatable_view.rs"),
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"CREATE OR REPLACE VIEW answered_v AS SELECT 1 AS one, 2 AS two\");\n}\n",
    )
    .unwrap();
    let repeatable = app.migrate(&db, &["up"]).expect_code(0);
    assert!(
        repeatable
            .stdout
            .contains("1 repeatable migration(s) applied"),
        "{}",
        repeatable.stdout
    );
    assert_eq!(app.cargo_calls().len(), calls + 1, "{}", repeatable.stderr);
}

/// A `migrate.toml` naming a folder the runner was not compiled from gets the runner's refusal, never an
/// answer read from that other folder.
#[test]
fn a_folder_the_runner_did_not_compile_is_never_answered_from() {
    let db = TestDb::new();
    let app = App::new("otherfolderapp");
    app.write_table_migration("20260101000000_first", "other_first");
    app.migrate(&db, &["up"]).expect_code(0);
    // The same files in another folder, named by migrate.toml: the runner compiles `migrations`.
    let other = app.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(
        app.migration("20260101000000_first"),
        other.join("20260101000000_first.rs"),
    )
    .unwrap();
    let config = app.path().join("migrate.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "migrations_dir = \"migrations\"",
            "migrations_dir = \"other\"",
        ),
    )
    .unwrap();
    let refused = app.migrate(&db, &["up"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("this runner was compiled with the migrations in"),
        "{}",
        refused.stderr
    );
}

/// Gives `path` the modification time `time`, as `cp -p`, `rsync -a`, `tar x` and `touch -r` do.
fn set_mtime(path: &Path, time: std::time::SystemTime) {
    let file = std::fs::File::open(path).unwrap();
    file.set_times(std::fs::FileTimes::new().set_modified(time))
        .unwrap();
}

fn mtime(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Whether the runner is current is decided by what the files hold, never by their times: every way of
/// bringing in content with an older time (`cp -p` of an edited copy, `rsync -a` or a tar extraction of a
/// new file, an in-place edit followed by `touch -r`, a repeatable replaced with `cp -p`) is applied or
/// reported as the file says. The runner started directly (cargo, which goes by times, did not rebuild it)
/// refuses to act on what it compiled, naming the file.
#[test]
fn files_with_older_times_are_compiled_and_run_as_they_read() {
    let db = TestDb::new();
    let package = "contentapp";
    let app = App::new(package);
    let folder = app.path().join("migrations");
    app.write_table_migration("20260101000000_first", "content_first");
    app.write_table_migration("20260102000000_pending", "app_d_old");
    app.migrate(&db, &["up", "1"]).expect_code(0);
    let calls = app.cargo_calls().len();

    // `cp -p` of an edited copy over the pending migration: the copy keeps the original's time.
    let pending = app.migration("20260102000000_pending");
    let before = mtime(&pending);
    let folder_time = mtime(&folder);
    app.write_table_migration("20260102000000_pending", "app_d_new");
    set_mtime(&pending, before);
    set_mtime(&folder, folder_time);
    // The runner as cargo left it refuses: it compiled other content.
    let direct = runner(&app, package, &db, &["up"]);
    assert_ne!(direct.code, 0, "{}", direct.stdout);
    assert!(
        direct.stderr.contains("edited: 20260102000000_pending")
            && direct.stderr.contains("nothing was run"),
        "{}",
        direct.stderr
    );
    // The installed `migrate` tells a runner it checked the folder with a note naming that executable; a
    // note naming anything else (another build, another file) does not spare the check.
    let foreign = migrate_runner::checked::note(&app.path().join("Cargo.toml")).unwrap();
    let noted = runner_with(
        &app,
        package,
        &db,
        &["up"],
        &[(migrate_runner::checked::ENV, &foreign)],
    );
    assert_ne!(noted.code, 0, "{}", noted.stdout);
    assert!(
        noted.stderr.contains("edited: 20260102000000_pending"),
        "{}",
        noted.stderr
    );
    assert!(!db.tables().iter().any(|t| t.starts_with("public.app_d")));
    let up = app.migrate(&db, &["up"]).expect_code(0);
    assert_eq!(app.cargo_calls().len(), calls + 1, "{}", up.stderr);
    let tables = db.tables();
    assert!(
        tables.contains(&"public.app_d_new".to_owned())
            && !tables.contains(&"public.app_d_old".to_owned()),
        "{tables:?}\n{}",
        up.stderr
    );

    // A new migration brought by `rsync -a` or `tar x`: an old time, and the folder's time set back too.
    let folder_time = mtime(&folder);
    app.write_table_migration("20260103000000_synced", "content_synced");
    set_mtime(&app.migration("20260103000000_synced"), before);
    set_mtime(&folder, folder_time);
    let up = app.migrate(&db, &["up"]).expect_code(0);
    assert!(
        db.tables().contains(&"public.content_synced".to_owned()),
        "{}\n{}",
        up.stdout,
        up.stderr
    );

    // An applied migration edited in place at the same size, its time put back (`touch -r`): CHANGED.
    let first = app.migration("20260101000000_first");
    let time = mtime(&first);
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, text.replace("content_first", "content_frist")).unwrap();
    set_mtime(&first, time);
    let status = app.migrate(&db, &["status"]);
    assert!(
        status.stdout.contains("CHANGED") && status.stdout.contains("20260101000000_first"),
        "{}\n{}",
        status.stdout,
        status.stderr
    );
    let up = app.migrate(&db, &["up"]);
    assert_ne!(up.code, 0, "{}", up.stdout);
    assert!(!up.stdout.contains("nothing to apply"), "{}", up.stdout);
    std::fs::write(&first, text).unwrap();

    // A repeatable migration replaced with `cp -p`: `status` and `up` agree that it changed, and `up`
    // applies it.
    let repeatable = folder.join("repeatable_view.rs");
    std::fs::write(
        &repeatable,
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"CREATE OR REPLACE VIEW content_v AS SELECT 1 AS one\");\n}\n",
    )
    .unwrap();
    app.migrate(&db, &["up"]).expect_code(0);
    let time = mtime(&repeatable);
    let folder_time = mtime(&folder);
    std::fs::write(
        &repeatable,
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"CREATE OR REPLACE VIEW content_v AS SELECT 1 AS one, 2 AS two\");\n}\n",
    )
    .unwrap();
    set_mtime(&repeatable, time);
    set_mtime(&folder, folder_time);
    let up = app.migrate(&db, &["up"]).expect_code(0);
    assert!(
        up.stdout.contains("1 repeatable migration(s) applied"),
        "{}\n{}",
        up.stdout,
        up.stderr
    );
    assert_eq!(
        db.query_strings(
            "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'content_v'"
        ),
        [[Some("2".to_owned())]]
    );
}

/// A failure mark of a migration this folder does not have (a newer release's, failed part-way) keeps the
/// installed `migrate` from answering "nothing to apply": the runner's refusal is what it says.
#[test]
fn a_failure_mark_of_an_unknown_migration_is_not_answered_as_up_to_date() {
    let db = TestDb::new();
    let app = App::new("unknownmarkapp");
    app.write_table_migration("20260101000000_first", "mark_first");
    app.migrate(&db, &["up"]).expect_code(0);
    let up = app.migrate(&db, &["up"]).expect_code(0);
    assert!(up.stdout.starts_with("nothing to apply"), "{}", up.stdout);
    db.exec(
        "CREATE TABLE public.pgmigrations_failed (name text PRIMARY KEY, direction text NOT NULL, \
         committed bigint NOT NULL, error text NOT NULL, \
         failed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), \
         statements text[] NOT NULL DEFAULT '{}'); \
         INSERT INTO public.pgmigrations_failed (name, direction, committed, error) \
         VALUES ('20270101000000_from_a_newer_release', 'up', 2, 'canceling statement due to user request')",
    );
    let up = app.migrate(&db, &["up"]);
    assert_ne!(up.code, 0, "{}", up.stdout);
    assert!(!up.stdout.contains("nothing to apply"), "{}", up.stdout);
    assert!(
        up.stderr.contains("20270101000000_from_a_newer_release")
            && up.stderr.contains("this build has no file of it"),
        "{}",
        up.stderr
    );
    // `status` shows it (exit 5, problems), in text and JSON.
    let status = app.migrate(&db, &["status"]).expect_code(5);
    assert!(
        status.stdout.contains(
            "FAILED: 20270101000000_from_a_newer_release failed part-way during `up`, and this folder has no file of it"
        ),
        "{}",
        status.stdout
    );
    let json = app.migrate(&db, &["status", "--json"]).expect_code(5);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        json["failed_elsewhere"][0]["name"],
        "20270101000000_from_a_newer_release"
    );
    assert_eq!(json["summary"]["failed"], 1);
    // `repair` of it clears the mark, after which nothing is left to do.
    app.migrate(&db, &["repair", "20270101000000_from_a_newer_release"])
        .expect_code(0);
    let up = app.migrate(&db, &["up"]).expect_code(0);
    assert!(up.stdout.starts_with("nothing to apply"), "{}", up.stdout);
}
