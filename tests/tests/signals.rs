//! SIGINT and SIGTERM during a run, sent to a real runner process: the running statement is cancelled on the
//! server, its transaction rolls back, the lock is released, the runner says what happened and exits with
//! 130 or 143; during a backfill the first signal stops after the current batch, a second one at once, and
//! the next run resumes. And every wait of a backfill between its batches (a `pause_while` query that does
//! not answer, lock-timeout retries) ends at `max_pause`, at `--max-duration`, and at one signal.

use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use tests::cli::{runner, FixtureCli};
use tests::TestDb;

fn spawn(fixture: &str, db: &TestDb, args: &[&str]) -> Child {
    runner(fixture)
        .env("DATABASE_URL", db.url())
        .args(args)
        .spawn()
        .expect("the runner starts")
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} {}", child.id());
}

/// Waits (at most 30 s) until `sql` (a query returning one boolean) is true.
#[track_caller]
fn wait_until(db: &TestDb, what: &str, sql: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut client = db.client();
    loop {
        let yes: bool = client.query_one(sql, &[]).expect(what).get(0);
        if yes {
            return;
        }
        assert!(Instant::now() < deadline, "30 s without: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

const SLEEPING: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
     AND application_name = 'migrate' AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%')";

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No advisory lock is held on the database once the runner's session is gone (it never lingers: the
/// statement was cancelled, so the backend is idle and ends with the connection).
#[track_caller]
fn assert_lock_released(db: &TestDb) {
    wait_until(
        db,
        "the runner's session ends",
        "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrate')",
    );
    let locks = db.query_strings(
        "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    assert_eq!(locks[0][0].as_deref(), Some("0"), "no advisory lock left");
}

/// SIGINT and SIGTERM while a transactional migration's statement runs: the statement is cancelled on the
/// server (its error says so), the migration rolls back (its table is gone, it is not recorded), the one
/// before it stays applied, the exit status is 130 / 143, and the next `up` applies it.
#[test]
fn a_signal_during_a_transactional_migration_cancels_it_on_the_server_and_rolls_back() {
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let db = TestDb::new();
        let child = spawn("signals", &db, &["up", "--to", "20261201000002_slow_tx"]);
        wait_until(&db, "the slow statement runs", SLEEPING);
        signal(&child, name);
        let out = child.wait_with_output().expect("the runner ends");
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "SIG{name}\nstdout: {stdout}\nstderr: {stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "SIG{name} received: cancelling the running statement on the server"
            )) && stderr.contains("canceling statement due to user request")
                && stderr.contains("20261201000002_slow_tx")
                && stderr.contains(&format!("interrupted by SIG{name}"))
                && stderr.contains("rolled back"),
            "SIG{name}: {stderr}"
        );
        assert_eq!(db.recorded(), ["20261201000001_first"], "SIG{name}");
        assert_eq!(
            db.tables(),
            ["public.first", "public.pgmigrations"],
            "SIG{name}"
        );
        assert_lock_released(&db);
        // Nothing is marked: the next run just applies it (with the sleep cut short by a timeout).
        let cli = FixtureCli::new("signals", &db);
        let status = cli.run(&["status"]);
        assert!(!status.stdout.contains("FAILED"), "{}", status.stdout);
    }
}

/// SIGTERM while a migration outside a transaction runs its second statement: that statement is cancelled,
/// the first stays committed with its journal entry, `status` shows the migration in progress, and the next
/// `up` continues from the second statement rather than creating the table twice.
#[test]
fn a_signal_during_a_migration_outside_a_transaction_keeps_what_took_effect_and_up_continues() {
    let db = TestDb::new();
    let cli = FixtureCli::new("signals", &db);
    cli.run(&["up", "1"]).expect_code(0);
    cli.run(&["up", "1", "--fake"]).expect_code(0);
    let child = spawn("signals", &db, &["up"]);
    wait_until(&db, "the slow statement runs", SLEEPING);
    signal(&child, "TERM");
    let out = child.wait_with_output().expect("the runner ends");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(143),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("canceling statement due to user request")
            && stderr.contains("20261201000003_slow_no_tx")
            && stderr.contains("took effect and are kept"),
        "{stderr}"
    );
    assert!(db.tables().contains(&"public.slow_no_tx".to_owned()));
    assert_lock_released(&db);
    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status
            .stdout
            .contains("IN PROGRESS: 20261201000003_slow_no_tx was stopped part-way during `up`"),
        "{}",
        status.stdout
    );
    // The next run goes straight to the slow statement (the table is not created again), where it is
    // stopped once more.
    let again = spawn("signals", &db, &["up"]);
    wait_until(&db, "the slow statement runs again", SLEEPING);
    signal(&again, "TERM");
    let out = again.wait_with_output().expect("the runner ends");
    let (stdout, stderr) = text(&out);
    assert!(
        stdout.contains("continuing up of 20261201000003_slow_no_tx: 1 of its")
            && !stderr.contains("already exists"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
}

/// Counts: rows the backfill handled, rows it updated, rows its progress says are done.
fn backfill_counts(db: &TestDb) -> (i64, i64, i64, i64) {
    let row = &db.query_strings(
        "SELECT (SELECT count(*) FROM handled)::text, (SELECT count(DISTINCT id) FROM handled)::text, \
                (SELECT count(*) FROM items WHERE doubled = v * 2)::text, \
                (SELECT coalesce(sum(rows_done), 0) FROM public.pgmigrations_backfill)::text",
    )[0];
    let n = |i: usize| {
        row[i]
            .as_deref()
            .unwrap_or("0")
            .parse::<i64>()
            .unwrap_or(-1)
    };
    (n(0), n(1), n(2), n(3))
}

/// True while a batch of the `signals_backfill` fixture runs its first statement (300 ms of `pg_sleep`).
const IN_BATCH: &str = "EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
     AND application_name = 'migrate' AND state = 'active' AND query LIKE 'SELECT pg_sleep(0.3)%')";

/// During a backfill, a first SIGINT stops after the current batch: exit 130, the batches done stay done,
/// with their progress; the next run resumes and no row is handled twice. A second signal sent right after
/// the first stops at once: the batch in progress is cancelled and rolled back with its progress row.
#[test]
fn a_signal_during_a_backfill_stops_after_the_batch_and_the_next_run_resumes() {
    let db = TestDb::new();
    let cli = FixtureCli::new("signals_backfill", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let child = spawn("signals_backfill", &db, &["up"]);
    // In a batch after one committed: a signal between two batches (in the throttle's checks) stops at
    // once, rightly, and says so instead.
    wait_until(
        &db,
        "a batch committed and the next in its server statement",
        &format!(
            "SELECT to_regclass('public.pgmigrations_backfill') IS NOT NULL AND (SELECT count(*) > 0 FROM handled) \
             AND {IN_BATCH}"
        ),
    );
    signal(&child, "INT");
    let out = child.wait_with_output().expect("the runner ends");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(130),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("stopping after the backfill's current batch")
            && stderr.contains("stopped on SIGINT after a committed batch")
            && stderr.contains("run `up` again to resume"),
        "{stderr}"
    );
    let (handled, distinct, updated, progress) = backfill_counts(&db);
    assert!(handled > 0 && handled < 3000, "stopped part-way: {handled}");
    assert_eq!(handled % 100, 0, "whole batches only: {handled}");
    assert_eq!((distinct, updated, progress), (handled, handled, handled));
    assert_lock_released(&db);

    // Twice in a row: stops at once, the batch in progress rolled back.
    let child = spawn("signals_backfill", &db, &["up"]);
    wait_until(
        &db,
        "a batch of the second run is in its server statement",
        &format!("SELECT {IN_BATCH}"),
    );
    let before = backfill_counts(&db).0;
    signal(&child, "INT");
    signal(&child, "INT");
    let out = child.wait_with_output().expect("the runner ends");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(130),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let (handled, distinct, updated, progress) = backfill_counts(&db);
    assert!(handled >= before && handled < 3000, "{before} -> {handled}");
    assert_eq!((distinct, updated, progress), (handled, handled, handled));
    assert_lock_released(&db);

    // The next run resumes and finishes: every row handled exactly once.
    cli.run(&["up"]).expect_code(0);
    let handled = db.query_strings("SELECT count(*)::text, count(DISTINCT id)::text FROM handled");
    assert_eq!(
        handled[0],
        [Some("3000".to_owned()), Some("3000".to_owned())]
    );
    let updated = db.query_strings("SELECT count(*)::text FROM items WHERE doubled = v * 2");
    assert_eq!(updated[0][0].as_deref(), Some("3000"));
    assert_eq!(
        db.recorded(),
        ["20261201000101_items", "20261201000102_backfill"]
    );
}

/// SIGINT and SIGTERM while `squash`, `schema check` or `verify` runs a migration on its scratch database: the
/// scratch database (a full copy, rows included) is dropped, the runner says so and exits with 130 / 143, and
/// nothing else changes (`squash` leaves the migrations folder as it was).
#[test]
fn a_signal_during_a_command_on_a_scratch_database_drops_it() {
    let cases: [(&str, &[&str], &str, i32); 3] = [
        (
            "squash",
            &["squash", "--to", "20261201000002_slow_tx"],
            "INT",
            130,
        ),
        (
            "schema check",
            &["schema", "check", "--file", "schema.sql"],
            "TERM",
            143,
        ),
        ("verify", &["verify"], "INT", 130),
    ];
    for (command, args, name, code) in cases {
        let db = TestDb::new();
        // `squash` squashes only what the database applied (recorded is enough), and writes files: into a copy.
        FixtureCli::new("signals", &db)
            .run(&["up", "--to", "20261201000002", "--fake"])
            .expect_code(0);
        let folder = tempfile::tempdir().unwrap();
        let migrations = folder.path().join("migrations");
        std::fs::create_dir(&migrations).unwrap();
        for entry in std::fs::read_dir(tests::fixtures::dir("signals")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), migrations.join(entry.file_name())).unwrap();
        }
        std::fs::write(folder.path().join("schema.sql"), "").unwrap();
        let files = std::fs::read_dir(&migrations).unwrap().count();
        let child = runner("signals")
            .env("DATABASE_URL", db.url())
            .env("FIXTURE_DIR", &migrations)
            .env("MIGRATIONS_DIR", &migrations)
            .current_dir(folder.path())
            .args(args)
            .spawn()
            .expect("the runner starts");
        let scratch = format!("{}\\_%", db.name());
        wait_until(
            &db,
            "the slow statement runs on the scratch database",
            &format!(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname LIKE '{scratch}' \
                 AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%')"
            ),
        );
        let scratch_name = db.query_strings(&format!(
            "SELECT datname FROM pg_database WHERE datname LIKE '{scratch}'"
        ))[0][0]
            .clone()
            .unwrap_or_default();
        signal(&child, name);
        let out = child.wait_with_output().expect("the runner ends");
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{command}, SIG{name}\nstdout: {stdout}\nstderr: {stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "SIG{name} received: {command} stopped; dropped the scratch database {scratch_name}; nothing else was changed"
            )),
            "{command}, SIG{name}: {stderr}"
        );
        let left = db.query_strings(&format!(
            "SELECT datname FROM pg_database WHERE datname LIKE '{scratch}'"
        ));
        assert!(left.is_empty(), "{command}: {left:?}");
        assert_eq!(
            std::fs::read_dir(&migrations).unwrap().count(),
            files,
            "{command}"
        );
        assert_eq!(
            db.recorded(),
            ["20261201000001_first", "20261201000002_slow_tx"],
            "{command}"
        );
    }
}

/// One command run with its output closed from the start, as `migrate up | head -0` leaves it.
struct ClosedOutputCase {
    name: &'static str,
    args: &'static [&'static str],
    /// `up` run first, with its output open.
    applied_first: bool,
    /// stderr closed too (`2>&1 | head`): nothing can be read, only the status and the database.
    stderr_closed: bool,
    /// In stderr (when it is open).
    fragments: &'static [&'static str],
    /// The bookkeeping rows afterwards.
    recorded: &'static [&'static str],
}

/// A closed stdout never panics (it was "failed printing to stdout: Broken pipe", exit
/// 101) and never leaves a run half-way: `up` and `down` stop before their next migration, as for a first
/// SIGINT, say so on stderr and exit 141 (128 + SIGPIPE); every other command finishes and exits 141.
#[test]
fn a_closed_output_stops_a_run_between_migrations_and_never_panics() {
    const M1: &str = "20260101000001_create_users";
    const M2: &str = "20260101000002_add_profile";
    const M3: &str = "20260101000003_create_posts";
    const STOPPED_UP: &[&str] = &[
        "stopped on SIGPIPE: before migration 20260101000002_add_profile (`up`), of which nothing ran",
        "the output was closed (its reader went away), so the run stopped",
    ];
    const STOPPED_DOWN: &[&str] = &[
        "stopped on SIGPIPE: before migration 20260101000002_add_profile (`down`), of which nothing ran",
        "the output was closed (its reader went away), so the run stopped",
    ];
    let finished: &[&str] = &["note: the output was closed before the command finished"];
    let cases = [
        ClosedOutputCase {
            name: "up",
            args: &["up"],
            applied_first: false,
            stderr_closed: false,
            fragments: STOPPED_UP,
            recorded: &[M1],
        },
        ClosedOutputCase {
            name: "up_with_stderr_closed_too",
            args: &["up"],
            applied_first: false,
            stderr_closed: true,
            fragments: &[],
            recorded: &[M1],
        },
        ClosedOutputCase {
            name: "down_all",
            args: &["down", "--all"],
            applied_first: true,
            stderr_closed: false,
            fragments: STOPPED_DOWN,
            recorded: &[M1, M2],
        },
        ClosedOutputCase {
            name: "status",
            args: &["status"],
            applied_first: true,
            stderr_closed: false,
            fragments: finished,
            recorded: &[M1, M2, M3],
        },
        ClosedOutputCase {
            name: "status_json",
            args: &["status", "--json"],
            applied_first: true,
            stderr_closed: false,
            fragments: finished,
            recorded: &[M1, M2, M3],
        },
        ClosedOutputCase {
            name: "sql",
            args: &["sql"],
            applied_first: false,
            stderr_closed: false,
            fragments: finished,
            recorded: &[],
        },
        ClosedOutputCase {
            name: "lint",
            args: &["lint"],
            applied_first: false,
            stderr_closed: false,
            fragments: finished,
            recorded: &[],
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let db = TestDb::new();
        if case.applied_first {
            FixtureCli::new("basic", &db).run(&["up"]).expect_code(0);
        }
        let (reader, writer) = std::io::pipe().expect("a pipe");
        // The reader is gone before the runner writes anything.
        drop(reader);
        let mut cmd = runner("basic");
        cmd.env("DATABASE_URL", db.url())
            .args(case.args)
            .stdout(writer.try_clone().expect("the pipe's writer"));
        if case.stderr_closed {
            cmd.stderr(writer);
        } else {
            drop(writer);
        }
        let out = cmd.output().expect("the runner runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(141) {
            problems.push(format!("exit status {:?}", out.status));
        }
        if stderr.contains("panicked") || stderr.contains("Broken pipe") {
            problems.push("a panic or a broken-pipe error".to_owned());
        }
        for fragment in case.fragments {
            if !stderr.contains(fragment) {
                problems.push(format!("stderr lacks {fragment:?}"));
            }
        }
        let recorded = if db.tables().contains(&"public.pgmigrations".to_owned()) {
            db.recorded()
        } else {
            Vec::new()
        };
        if recorded != case.recorded {
            problems.push(format!(
                "recorded {recorded:?}, expected {:?}",
                case.recorded
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "case {}: {}\n{stderr}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------------------
// Waits between batches: bounded by max_pause, --max-duration and one signal

/// A `pause_while` query that does not answer for ten minutes.
const HANGING: &str = "SELECT pg_sleep(600) IS NULL";

/// The `backfill` fixture's schema applied, and a `migrate.toml` with `[backfill]` `settings` in the folder the
/// runner will start in.
fn before_the_backfill(db: &TestDb, settings: &str) -> FixtureCli {
    let cli = FixtureCli::new("backfill", db);
    cli.run(&["up", "2"]).expect_code(0);
    configured(cli, settings)
}

/// `cli` with a `migrate.toml` of `[backfill]` `settings`.
fn configured(cli: FixtureCli, settings: &str) -> FixtureCli {
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        format!("[backfill]\nmax_replica_lag = \"off\"\n{settings}"),
    )
    .expect("write migrate.toml");
    cli
}

/// The `backfill` fixture's runner with `args`, started in `cli`'s folder.
fn spawn_in(cli: &FixtureCli, db: &TestDb, args: &[&str]) -> Child {
    runner("backfill")
        .env("DATABASE_URL", db.url())
        .current_dir(cli.cwd())
        .args(args)
        .spawn()
        .expect("the runner starts")
}

/// The child's output once it ended; fails (killing it) when it runs for a minute: the waits under test
/// would last ten minutes or two.
#[track_caller]
fn ended_within_a_minute(mut child: Child, what: &str) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("the runner's status").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("the killed runner");
            let (stdout, stderr) = text(&out);
            panic!("still running after a minute: {what}\nstdout: {stdout}\nstderr: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("the runner's output")
}

/// Whether the server still runs `sql` for some session of the test's database.
fn still_running(db: &TestDb, sql: &str) -> bool {
    db.query_strings(&format!(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND state = 'active' AND query = '{sql}')::text"
    ))[0][0]
        .as_deref()
        == Some("true")
}

/// Nothing of the backfill was done or recorded.
#[track_caller]
fn nothing_backfilled(db: &TestDb) {
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM items WHERE doubled IS NOT NULL")[0][0]
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        db.recorded(),
        ["20260701000001_create_items", "20260701000002_add_doubled"]
    );
}

#[test]
fn a_pause_while_query_that_does_not_answer_ends_at_max_pause() {
    let db = TestDb::new();
    let cli = before_the_backfill(
        &db,
        &format!("pause_while = \"{HANGING}\"\nmax_pause = \"2s\"\n"),
    );
    let out = ended_within_a_minute(spawn_in(&cli, &db, &["up"]), "max_pause of 2 s");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "the pause_while query `{HANGING}` did not answer within 2.0 s (max_pause), so the server cancelled it; \
             stopped after 0 of 10500 rows; run `up` again to resume once it answers"
        )),
        "{stderr}"
    );
    assert!(
        !still_running(&db, HANGING),
        "the query was cancelled on the server"
    );
    nothing_backfilled(&db);
    assert_lock_released(&db);
}

#[test]
fn a_pause_while_query_that_does_not_answer_ends_at_max_duration() {
    let db = TestDb::new();
    let cli = before_the_backfill(&db, &format!("pause_while = \"{HANGING}\"\n"));
    let out = ended_within_a_minute(
        spawn_in(&cli, &db, &["up", "--max-duration", "3s"]),
        "--max-duration 3s",
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains(
            "time budget of 3.0 s is spent; stopped after a committed batch (0 of 10500 rows done)"
        ),
        "{stderr}"
    );
    assert!(
        !still_running(&db, HANGING),
        "the query was cancelled on the server"
    );
    nothing_backfilled(&db);
    assert_lock_released(&db);
}

#[test]
fn one_sigterm_stops_a_backfill_whose_pause_while_query_does_not_answer() {
    let db = TestDb::new();
    let cli = before_the_backfill(&db, &format!("pause_while = \"{HANGING}\"\n"));
    let child = spawn_in(&cli, &db, &["up"]);
    wait_until(
        &db,
        "the pause_while query runs",
        &format!(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = 'migrate' AND state = 'active' AND query = '{HANGING}')"
        ),
    );
    signal(&child, "TERM");
    let out = ended_within_a_minute(child, "one SIGTERM");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(143),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("SIGTERM received: cancelling the running statement on the server")
            && stderr.contains("stopped on SIGTERM after a committed batch (0 of 10500 rows done)"),
        "{stderr}"
    );
    nothing_backfilled(&db);
    assert_lock_released(&db);
}

/// A session holding row 5 of `items` locked (an open transaction) until it is dropped.
struct RowLock(std::sync::mpsc::Sender<()>);

impl RowLock {
    fn hold(db: &TestDb) -> RowLock {
        let mut client = db.client();
        let (release, released) = std::sync::mpsc::channel();
        let (held, is_held) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = client.transaction().expect("begin");
            tx.execute("UPDATE items SET v = v WHERE id = 5", &[])
                .expect("lock row 5");
            held.send(()).expect("tell the test");
            let _ = released.recv();
            tx.rollback().expect("rollback");
        });
        is_held.recv().expect("the row is locked");
        RowLock(release)
    }
}

impl Drop for RowLock {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn lock_timeout_retries_of_a_batch_end_at_max_pause_max_duration_and_one_signal() {
    // Each batch attempt waits for row 5 until lock_timeout (500 ms); the retries would go on for the
    // retry budget (two minutes) without the bounds.
    let db = TestDb::new();
    let cli = before_the_backfill(&db, "max_pause = \"2s\"\n");
    let _lock = RowLock::hold(&db);
    let out = ended_within_a_minute(spawn_in(&cli, &db, &["up"]), "max_pause of 2 s");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("a batch kept hitting lock_timeout"),
        "{stderr}"
    );
    nothing_backfilled(&db);

    let cli = configured(cli, "");
    let out = ended_within_a_minute(
        spawn_in(&cli, &db, &["up", "--max-duration", "3s"]),
        "--max-duration 3s",
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains(
            "time budget of 3.0 s is spent; stopped after a committed batch (0 of 10500 rows done)"
        ),
        "{stderr}"
    );
    nothing_backfilled(&db);

    let child = spawn_in(&cli, &db, &["up"]);
    wait_until(
        &db,
        "a batch waits for the row lock",
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = 'migrate' AND wait_event_type = 'Lock')",
    );
    signal(&child, "TERM");
    let out = ended_within_a_minute(child, "one SIGTERM");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(143),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("stopped on SIGTERM after a committed batch (0 of 10500 rows done)"),
        "{stderr}"
    );
    nothing_backfilled(&db);
    assert_lock_released(&db);
}

#[test]
fn a_batch_that_waits_for_a_lock_past_the_grace_is_cancelled_by_one_signal() {
    // A lock_timeout of a minute: the first batch waits for row 5 that long. A first SIGTERM lets a batch
    // commit, for a few seconds at most: then it is cancelled (it rolls back), and the run stops.
    let db = TestDb::new();
    let cli = before_the_backfill(&db, "");
    let _lock = RowLock::hold(&db);
    let child = spawn_in(&cli, &db, &["up", "--lock-timeout", "1min"]);
    wait_until(
        &db,
        "a batch waits for the row lock",
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = 'migrate' AND wait_event_type = 'Lock')",
    );
    signal(&child, "TERM");
    let out = ended_within_a_minute(child, "one SIGTERM, a batch waiting for a lock");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(143),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("SIGTERM received: stopping after the backfill's current batch")
            && stderr.contains("the backfill's batch did not commit within 3 s of SIGTERM: cancelling it on the server")
            && stderr.contains("stopped on SIGTERM after a committed batch (0 of 10500 rows done)"),
        "{stderr}"
    );
    nothing_backfilled(&db);
    assert_lock_released(&db);
}

/// SIGKILL while `verify` runs on its scratch database leaves the database behind (nothing runs to drop it);
/// the next command that makes a scratch database for the same database on this machine sees the process gone
/// and drops it, saying so.
#[test]
fn a_scratch_database_a_killed_process_left_is_dropped_by_the_next_command() {
    let db = TestDb::new();
    FixtureCli::new("signals", &db)
        .run(&["up", "--to", "20261201000002", "--fake"])
        .expect_code(0);
    let child = runner("signals")
        .env("DATABASE_URL", db.url())
        .args(["verify"])
        .spawn()
        .expect("the runner starts");
    let pid = child.id();
    let scratch = format!("{}\\_%", db.name());
    wait_until(
        &db,
        "the slow statement runs on the scratch database",
        &format!(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname LIKE '{scratch}' \
             AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%')"
        ),
    );
    signal(&child, "KILL");
    let out = child.wait_with_output().expect("the runner ends");
    assert_eq!(out.status.code(), None, "killed");
    let left = db.query_strings(&format!(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname LIKE '{scratch}'"
    ));
    assert_eq!(left.len(), 1, "{left:?}");
    let name = left[0][0].clone().unwrap_or_default();
    let comment = left[0][1].clone().unwrap_or_default();
    assert!(
        comment.starts_with(&format!("migrate scratch database of process {pid} on "))
            && comment.ends_with(&format!(" for {}", db.name())),
        "{comment}"
    );
    // `trace` of the first migration alone makes a scratch database of its own, and sweeps first.
    let trace = FixtureCli::new("signals", &db)
        .run(&["trace", "20261201000001"])
        .expect_code(0);
    assert!(
        trace.stderr.contains(&format!(
            "dropped the scratch database {name}, which process {pid} (gone: killed, or its machine restarted) left behind"
        )),
        "{}",
        trace.stderr
    );
    let left = db.query_strings(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{scratch}'"
    ));
    assert!(left.is_empty(), "{left:?}");
}
