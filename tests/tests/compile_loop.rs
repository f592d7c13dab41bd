//! The compile step, end to end, as a user meets it: a fresh crate owning a migrations folder, the generic
//! `migrate` front end, and real `cargo` builds. Proves that `create` then `up` needs no other edit, that a
//! compile error points at the migration file's own line, that renamed and removed files are picked up, and
//! that bad file names fail the build with a readable message.
//!
//! The crate builds into `target/e2e-target`, kept between runs, so only the first run compiles the
//! dependencies.

use std::path::Path;

use tests::cli::{front, migrate_in as migrate};
use tests::TestDb;

/// Writes a minimal application crate that owns `migrations/`, like `example-app` does.
/// A package named `name`, one name per test: the tests share one target folder, where cargo keys a root
/// package's build by its name, not its folder, so two tests building a `loopapp` at once could each be
/// handed the other's build (its build script not run again, its migrations compiled in).
fn scaffold(dir: &Path, name: &str) {
    tests::cli::scaffold_app(dir, name);
}

fn table_exists(db: &TestDb, name: &str) -> bool {
    db.tables().contains(&format!("public.{name}"))
}

#[test]
fn create_then_up_compiles_and_runs_new_files_with_no_other_edit() {
    let db = TestDb::new();
    let app = tempfile::tempdir().unwrap();
    scaffold(app.path(), "loopapp");

    // create: no build, no database (the URL is unreachable on purpose).
    let created = front(
        app.path(),
        &["create", "create", "widgets"],
        &[("DATABASE_URL", "postgres://x@127.0.0.1:1/x")],
    )
    .expect_code(0);
    let rel = created
        .stdout
        .trim()
        .strip_prefix("created ")
        .expect("prints the new file")
        .to_owned();
    let first = app.path().join(&rel);
    assert!(first.is_file(), "{}", first.display());
    assert!(!app.path().join("target").exists(), "create must not build");

    // The template refuses to run until it is written.
    let unwritten = migrate(app.path(), &db, &["up"]).expect_code(1);
    assert!(
        unwritten
            .stderr
            .contains("`up` of create_widgets is not written yet"),
        "{}",
        unwritten.stderr
    );
    assert!(!table_exists(&db, "pgmigrations"), "nothing may change");

    std::fs::write(
        &first,
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"widgets\", [column(\"id\", \"bigserial\").primary_key()]);\n}\n",
    )
    .unwrap();
    migrate(app.path(), &db, &["up"]).expect_code(0);
    assert!(table_exists(&db, "widgets"));

    // A compile error in a new file: reported by cargo at that file's path and line; nothing applied.
    let broken = app.path().join("migrations/20991231000000_broken.rs");
    std::fs::write(
        &broken,
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"gadgets\", 42);\n}\n",
    )
    .unwrap();
    let failed = migrate(app.path(), &db, &["up"]).expect_code(1);
    assert!(
        failed
            .stderr
            .contains("migrations/20991231000000_broken.rs:4:"),
        "{}",
        failed.stderr
    );
    assert!(
        failed
            .stderr
            .contains("building the migrations runner (loopapp-migrate in package loopapp, profile dev) failed"),
        "{}",
        failed.stderr
    );
    assert!(!table_exists(&db, "gadgets"));

    // Renaming (and fixing) it: the old module is gone from the build, the new name applies.
    std::fs::remove_file(&broken).unwrap();
    let renamed = app.path().join("migrations/20991231000001_add_gadgets.rs");
    std::fs::write(
        &renamed,
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"gadgets\", [column(\"id\", \"integer\")]);\n}\n",
    )
    .unwrap();
    let up = migrate(app.path(), &db, &["up"]).expect_code(0);
    assert!(
        up.stdout.contains("20991231000001_add_gadgets"),
        "{}",
        up.stdout
    );
    assert!(table_exists(&db, "gadgets"));

    // Reverting and removing it: the next build no longer knows it.
    migrate(app.path(), &db, &["down"]).expect_code(0);
    std::fs::remove_file(&renamed).unwrap();
    let status = migrate(app.path(), &db, &["status"]).expect_code(0);
    assert!(!status.stdout.contains("add_gadgets"), "{}", status.stdout);
    assert!(
        status.stdout.contains("1 applied, 0 pending"),
        "{}",
        status.stdout
    );

    // Bad file names fail the build, naming the file.
    let bad = app.path().join("migrations/2026112214300_short.rs");
    std::fs::write(
        &bad,
        "pub fn up(_: &mut migrate_dsl::MigrationBuilder) {}\n",
    )
    .unwrap();
    let run = migrate(app.path(), &db, &["status"]).expect_code(1);
    assert!(
        run.stderr.contains("invalid migration file name")
            && run.stderr.contains("2026112214300_short.rs")
            && !run.stderr.contains("hint:"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(&bad).unwrap();
    // A Flyway-style name: the build says what it is, the front end how to convert such a folder.
    let flyway = app.path().join("migrations/V2__add_email.rs");
    std::fs::write(
        &flyway,
        "pub fn up(_: &mut migrate_dsl::MigrationBuilder) {}\n",
    )
    .unwrap();
    let run = migrate(app.path(), &db, &["status"]).expect_code(1);
    assert!(
        run.stderr
            .contains("a Flyway- or refinery-style versioned name")
            && run
                .stderr
                .contains("\nhint: `migrate import --from flyway DIR` (or `--from refinery`)"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(&flyway).unwrap();

    let dup = app.path().join("migrations").join(format!(
        "{}_same_second.rs",
        &first.file_name().unwrap().to_string_lossy()[..14]
    ));
    std::fs::write(
        &dup,
        "pub fn up(_: &mut migrate_dsl::MigrationBuilder) {}\n",
    )
    .unwrap();
    let run = migrate(app.path(), &db, &["status"]).expect_code(1);
    assert!(run.stderr.contains("share the timestamp"), "{}", run.stderr);
    std::fs::remove_file(&dup).unwrap();

    // Something named `down` that is not `pub fn down(pgm)` would be ignored (and the `down` derived): it
    // fails the build, naming the file.
    let aliased = app.path().join("migrations/20991231000002_aliased_down.rs");
    std::fs::write(
        &aliased,
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"aliased\", [column(\"id\", \"integer\")]);\n}\n\npub use self::up as down;\n",
    )
    .unwrap();
    let run = migrate(app.path(), &db, &["up"]).expect_code(1);
    assert!(
        run.stderr.contains(
            "20991231000002_aliased_down.rs has a `use` that brings in `down` (self::up as down)"
        ),
        "{}",
        run.stderr
    );
    assert!(!table_exists(&db, "aliased"));
}

/// After a file dated in the last second a file name can hold, `create` writes nothing (the
/// next second would need a five-digit year, a name the build refuses) and names that file; the folder still
/// builds, so every later command works.
#[test]
fn create_after_the_last_timestamp_writes_nothing_and_later_commands_work() {
    let db = TestDb::new();
    let app = tempfile::tempdir().unwrap();
    scaffold(app.path(), "endapp");
    let dir = app.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("99991231235959_the_end.rs"),
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"the_end\", [column(\"id\", \"integer\")]);\n}\n",
    )
    .unwrap();
    let refused = front(
        app.path(),
        &["create", "after", "the", "end"],
        &[("DATABASE_URL", "postgres://x@127.0.0.1:1/x")],
    );
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("99991231235959_the_end.rs")
            && refused.stderr.contains("no file was written"),
        "{}",
        refused.stderr
    );
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["99991231235959_the_end.rs"]);
    migrate(app.path(), &db, &["up"]).expect_code(0);
    assert!(table_exists(&db, "the_end"));
}

/// A signal while the front end builds the runner (SIGTERM to the front end alone, as a
/// service manager sends it; SIGINT to the whole process group, as Ctrl-C does) is reported as that signal, and
/// the front end exits with 143 / 130 without running anything, instead of "building failed; see cargo's
/// messages above" (there are none) and exit 1. The crate's build script holds the build at a gate the test
/// opens, so the signal always comes mid-build.
#[test]
fn a_signal_while_the_front_end_builds_the_runner_is_reported_with_its_status() {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let mut failures = Vec::new();
    for (signal, to_group, code) in [("TERM", false, 143), ("INT", true, 130)] {
        let db = TestDb::new();
        let app = tempfile::tempdir().unwrap();
        scaffold(app.path(), "gateapp");
        std::fs::create_dir_all(app.path().join("migrations")).unwrap();
        std::fs::write(
            app.path().join("migrations/20261204000001_built.rs"),
            "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"built\", [column(\"id\", \"integer\")]);\n}\n",
        )
        .unwrap();
        std::fs::write(
            app.path().join("build.rs"),
            r#"fn main() {
    migrate_core::build::compile_migrations("migrations");
    // The test's gate: say the build is under way, then wait until the test opens it (five minutes at most),
    // or until the test has removed it (a script left behind by a killed cargo may look after that).
    if let Some(dir) = std::env::var_os("BUILD_GATE") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::write(dir.join("started"), "").unwrap();
        for _ in 0..3000 {
            if dir.join("open").exists() || !dir.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}
"#,
        )
        .unwrap();
        let gate = tempfile::tempdir().unwrap();
        // Ctrl-C's premise: a terminal where SIGINT is not ignored. A test process started by a
        // non-interactive shell's `&` (as a CI job may start it) inherits SIGINT ignored, and so would cargo
        // and the build script, which would then wait out the gate (five minutes) holding the build
        // directory's lock that every other end-to-end build waits for.
        // SAFETY: `signal` is async-signal-safe; nothing else runs between fork and exec.
        let mut command = Command::new(tests::cli::bin("migrate-front"));
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            });
        }
        let child = command
            .arg("up")
            .current_dir(app.path())
            .env("DATABASE_URL", db.url())
            .env("CARGO_TARGET_DIR", tests::cli::e2e_target())
            .env("XDG_CACHE_HOME", gate.path().join("cache"))
            .env("BUILD_GATE", gate.path())
            .env_remove("MIGRATE_DIRECT_URL")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the front end starts");
        // The first build of the scaffold's dependencies may take minutes on a busy machine.
        let mut child = child;
        let deadline = Instant::now() + Duration::from_secs(900);
        while !gate.path().join("started").exists() {
            // A front end that ended before its build script ran says why, instead of a wait to the deadline.
            if let Ok(Some(status)) = child.try_wait() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "the front end ended ({status}) before the build reached its build script: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(
                Instant::now() < deadline,
                "the build never reached its build script"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let target = if to_group {
            format!("-{}", child.id())
        } else {
            child.id().to_string()
        };
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), "--", &target])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        // A build script left behind by a killed cargo ends too.
        std::fs::write(gate.path().join("open"), "").unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(code) {
            problems.push(format!("exit status {:?}", out.status));
        }
        let said = format!(
            "building the migrations runner (gateapp-migrate in package gateapp, profile dev) was stopped by SIG{signal}; nothing was run"
        );
        if !stderr.contains(&said) {
            problems.push(format!("stderr lacks {said:?}"));
        }
        if stderr.contains("see cargo's messages above") {
            problems.push("blames cargo's messages".to_owned());
        }
        if table_exists(&db, "built") {
            problems.push("the migration ran".to_owned());
        }
        if !problems.is_empty() {
            failures.push(format!("SIG{signal}: {}\n{stderr}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// SIGTERM sent to the generic front end alone (as a service manager does) reaches the runner it started:
/// the running statement is cancelled on the server, the migration rolls back, and the front end exits with
/// the runner's 143.
#[test]
fn sigterm_to_the_front_end_reaches_the_runner_and_its_exit_status_is_passed_on() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let db = TestDb::new();
    let app = tempfile::tempdir().unwrap();
    scaffold(app.path(), "termapp");
    std::fs::create_dir_all(app.path().join("migrations")).unwrap();
    std::fs::write(
        app.path().join("migrations/20261204000001_slow.rs"),
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"slow\", [column(\"id\", \"integer\")]);\n    pgm.sql(\"SELECT pg_sleep(60)\");\n}\n",
    )
    .unwrap();
    let target = tests::cli::e2e_target();
    let child = Command::new(tests::cli::bin("migrate-front"))
        .arg("up")
        .current_dir(app.path())
        .env("DATABASE_URL", db.url())
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("MIGRATE_DIRECT_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the front end starts");
    // The first build of the scaffold's dependencies may take minutes on a busy machine.
    let deadline = Instant::now() + Duration::from_secs(900);
    let mut client = db.client();
    loop {
        let sleeping: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
                 AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%')",
                &[],
            )
            .unwrap()
            .get(0);
        if sleeping {
            break;
        }
        assert!(Instant::now() < deadline, "the migration never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("SIGTERM received: cancelling the running statement")
            && stderr.contains("canceling statement due to user request"),
        "{stderr}"
    );
    assert!(!table_exists(&db, "slow"), "rolled back");
}
