//! The lock queue: a migration that cannot get its lock must give way to the application's queries (short
//! `lock_timeout`), retry, and succeed once the blocking transaction ends; a failed concurrent index build
//! must not leave an invalid index behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tests::cli::FixtureCli;
use tests::TestDb;

/// Holds ACCESS SHARE on `accounts` (an open transaction that read it) for `hold`.
fn hold_read_lock(db: &TestDb, hold: Duration) {
    let mut client = db.client();
    let mut tx = client.transaction().expect("begin");
    tx.query("SELECT count(*) FROM accounts", &[])
        .expect("read");
    std::thread::sleep(hold);
    tx.commit().expect("commit");
}

#[test]
fn a_blocked_migration_lets_readers_through_retries_and_succeeds_after_the_blocker_ends() {
    let db = TestDb::new();
    let cli = FixtureCli::new("locking", &db);
    cli.run(&["up", "1"]).expect_code(0);

    let hold = Duration::from_secs(4);
    let migration_done = AtomicBool::new(false);
    let (run, worst_read) = std::thread::scope(|s| {
        s.spawn(|| hold_read_lock(&db, hold));
        // Let the holder take its lock before the migration queues behind it.
        std::thread::sleep(Duration::from_millis(300));
        let migration = s.spawn(|| {
            let run = cli.run(&["up", "--lock-timeout", "200ms"]);
            migration_done.store(true, Ordering::SeqCst);
            run
        });
        // The application: a plain read every 50 ms while the migration runs.
        let reader = s.spawn(|| {
            let mut client = db.client();
            let mut worst = Duration::ZERO;
            while !migration_done.load(Ordering::SeqCst) {
                let started = Instant::now();
                client
                    .query("SELECT count(*) FROM accounts", &[])
                    .expect("read");
                worst = worst.max(started.elapsed());
                std::thread::sleep(Duration::from_millis(50));
            }
            worst
        });
        (
            migration.join().expect("migration thread"),
            reader.join().expect("reader thread"),
        )
    });

    let run = run.expect_code(0);
    assert!(
        run.stderr.contains("lock not available") && run.stderr.contains("retry 1 in"),
        "the migration should have hit lock_timeout and retried:\n{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("applied  20260601000002_add_email"),
        "{}",
        run.stdout
    );
    assert_eq!(db.columns("accounts"), ["id", "name", "email"]);
    // Without a lock timeout the reads would queue behind the migration for the whole 4 s hold. With 200 ms
    // they wait at most about that long; the bound is loose so a slow machine does not fail it.
    assert!(
        worst_read < Duration::from_secs(2),
        "a reader waited {worst_read:?} behind the migration"
    );
}

#[test]
fn a_migration_that_never_gets_its_lock_fails_cleanly_when_the_retry_budget_is_spent() {
    let db = TestDb::new();
    let cli = FixtureCli::new("locking", &db);
    cli.run(&["up", "1"]).expect_code(0);

    let run = std::thread::scope(|s| {
        s.spawn(|| hold_read_lock(&db, Duration::from_secs(4)));
        std::thread::sleep(Duration::from_millis(300));
        cli.run(&["up", "--lock-timeout", "100ms", "--lock-retry-budget", "1s"])
    });

    let run = run.expect_code(1);
    assert!(
        run.stderr
            .contains("error: migration 20260601000002_add_email could not get its locks")
            && run
                .stderr
                .contains("canceling statement due to lock timeout"),
        "{}",
        run.stderr
    );
    assert_eq!(db.columns("accounts"), ["id", "name"], "nothing applied");
    assert_eq!(
        db.query_strings("SELECT name FROM pgmigrations"),
        [[Some("20260601000001_create_accounts".to_owned())]]
    );
}

#[test]
fn a_failed_concurrent_unique_index_is_dropped_so_the_migration_can_run_again() {
    let db = TestDb::new();
    let cli = FixtureCli::new("invalid_index", &db);
    let invalid = || db.query_strings("SELECT count(*) FROM pg_index WHERE NOT indisvalid");

    let failed = cli.run(&["up"]).expect_code(1);
    assert!(
        failed
            .stderr
            .contains("dropped the invalid index public.emails_address_unique_index"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("could not create unique index"),
        "{}",
        failed.stderr
    );
    assert_eq!(invalid(), [[Some("0".to_owned())]]);

    // Fix the data; the same migration now runs, with no leftover index in its way.
    db.exec("DELETE FROM emails WHERE ctid NOT IN (SELECT min(ctid) FROM emails GROUP BY address)");
    cli.run(&["up"]).expect_code(0);
    assert_eq!(
        db.query_strings(
            "SELECT indexrelid::regclass::text, indisvalid::text FROM pg_index \
             WHERE indrelid = 'emails'::regclass"
        ),
        [[
            Some("emails_address_unique_index".to_owned()),
            Some("true".to_owned())
        ]]
    );
}

#[test]
fn an_invalid_index_left_by_an_interrupted_run_is_rebuilt_not_kept() {
    let db = TestDb::new();
    let cli = FixtureCli::new("invalid_index", &db);
    cli.run(&["up", "1"]).expect_code(0);
    // A first attempt of the migration fails on the duplicates: it records that it builds the index (as a
    // runner does before every build) and drops the invalid index its failure left.
    cli.run(&["up"]).expect_code(1);
    // What a runner killed during its next build leaves behind: the index, marked invalid. (An invalid index
    // of that name that no attempt of the migration built is someone else's, and refused: `resumable.rs`.)
    let mut client = db.client();
    let failed = client.batch_execute(
        "CREATE UNIQUE INDEX CONCURRENTLY emails_address_unique_index ON emails (address)",
    );
    assert!(failed.is_err(), "the duplicate rows make the build fail");
    db.exec("DELETE FROM emails WHERE ctid NOT IN (SELECT min(ctid) FROM emails GROUP BY address)");

    // IF NOT EXISTS alone would skip the build and keep the invalid index.
    let up = cli.run(&["up"]).expect_code(0);
    assert!(
        up.stderr
            .contains("dropped the invalid index public.emails_address_unique_index"),
        "{}",
        up.stderr
    );
    assert_eq!(
        db.query_strings(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'emails_address_unique_index'::regclass"
        ),
        [[Some("true".to_owned())]]
    );
}

/// Holds a lock of `mode` on `table` in an open transaction of a session named `holder`, until the returned
/// client commits or is dropped; with its server process id.
fn hold_lock(db: &TestDb, table: &str, mode: &str) -> (postgres::Client, i32) {
    let mut holder = db.client();
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    holder
        .batch_execute(&format!(
            "SET application_name = 'holder'; BEGIN; LOCK TABLE {table} IN {mode} MODE"
        ))
        .expect("hold the lock");
    (holder, pid)
}

// A statement outside a transaction (`CREATE INDEX CONCURRENTLY`) that never gets its lock fails as a
// migration's transaction does: the error counts the retries and names who blocked the last attempt.
#[test]
fn a_concurrent_build_that_spends_its_retries_says_so_and_names_the_blocker() {
    let db = TestDb::new();
    let cli = FixtureCli::new("concurrent", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let (mut holder, pid) = hold_lock(&db, "events", "SHARE UPDATE EXCLUSIVE");
    let run = cli.run(&["up", "--lock-retry-budget", "3s"]).expect_code(1);
    assert!(
        run.stderr
            .contains("error: migration 20260401000002_index_events could not get its locks: ")
            && run.stderr.contains(" attempt(s) over ")
            && run
                .stderr
                .contains("canceling statement due to lock timeout"),
        "{}",
        run.stderr
    );
    let blocker = run
        .stderr
        .lines()
        .find(|l| l.starts_with("the last attempt was blocked by pid"))
        .unwrap_or_else(|| panic!("the error names no blocker:\n{}", run.stderr));
    assert!(
        blocker.contains(&format!("pid {pid} (user postgres, application holder")),
        "{blocker}"
    );
    assert_eq!(
        db.query_strings("SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
        [[Some("0".to_owned())]]
    );
    holder.batch_execute("COMMIT").expect("release");
    cli.run(&["up"]).expect_code(0);
}

// The same over a fleet: the blocked target's error counts the retries and names the blocker, in the JSON
// report, and its line of the summary says it could not get its locks.
#[test]
fn a_fleet_targets_concurrent_build_that_spends_its_retries_says_so_and_names_the_blocker() {
    let db = TestDb::new();
    let cli = FixtureCli::new("concurrent", &db);
    let schemas = ["--schemas", "a,b"];
    cli.run(
        &[
            &["fleet", "up", "--to", "20260401000001_create_events"],
            &schemas[..],
        ]
        .concat(),
    )
    .expect_code(0);
    let (mut holder, pid) = hold_lock(&db, "b.events", "SHARE UPDATE EXCLUSIVE");
    let up = [
        &[
            "fleet",
            "up",
            "--on-error",
            "continue",
            "--lock-retry-budget",
            "3s",
        ],
        &schemas[..],
    ]
    .concat();
    let run = cli.run(&up).expect_code(1);
    assert!(
        run.stdout
            .contains("\n  b: migration 20260401000002_index_events could not get its locks: "),
        "{}",
        run.stdout
    );
    // Reverted on `a` and retried on both, the JSON this time.
    cli.run(
        &[
            &["fleet", "down", "--to", "20260401000001_create_events"],
            &schemas[..],
        ]
        .concat(),
    )
    .expect_code(0);
    let report: serde_json::Value = serde_json::from_str(
        &cli.run(&[&up[..], &["--json"]].concat())
            .expect_code(1)
            .stdout,
    )
    .expect("the JSON report");
    let error = report["targets"][1]["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error on b: {report}"));
    assert!(
        error.starts_with("migration 20260401000002_index_events could not get its locks: ")
            && error.contains(&format!(
                "\nthe last attempt was blocked by pid {pid} (user postgres, application holder"
            )),
        "{error}"
    );
    holder.batch_execute("COMMIT").expect("release");
    cli.run(&[&["fleet", "up"], &schemas[..]].concat())
        .expect_code(0);
}

// Outside a transaction, a raw statement that spends its lock retries after earlier ones took effect leaves
// the migration marked as failed part-way, and its error says so (not that the next `up` continues it).
#[test]
fn a_raw_statement_that_spends_its_retries_after_others_took_effect_says_it_is_marked() {
    let db = TestDb::new();
    let cli = FixtureCli::new("partial_no_tx", &db);
    db.exec("CREATE TABLE gate (v integer)");
    let (mut holder, _) = hold_lock(&db, "gate", "EXCLUSIVE");
    let run = cli.run(&["up", "--lock-retry-budget", "1s"]).expect_code(1);
    assert!(
        run.stderr.contains(
            "error: migration 20261101000001_log could not get its locks: "
        ) && run.stderr.contains(
            "2 earlier statement(s) of this `up` were committed and it is not recorded as applied; it is \
             marked as failed part-way"
        ),
        "{}",
        run.stderr
    );
    holder.batch_execute("COMMIT").expect("release");
    let refused = cli.run(&["up"]).expect_code(1);
    assert!(
        refused.stderr.contains("20261101000001_log"),
        "{}",
        refused.stderr
    );
}
