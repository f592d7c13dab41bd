//! The guards of a single `up`, on every target of a fleet: the time budget
//! (`--max-duration`, the whole fleet run's), SIGTERM cancelling the statement running on every target, and
//! the lock watch naming the session that blocks a target's migration. Durations here are budgets of
//! seconds against statements of a minute; the assertions are on states, never on how long anything took.

use std::time::{Duration, Instant};

use tests::cli::FixtureCli;
use tests::fixtures::fleet_budget;
use tests::fleet::{json, recorded, states};
use tests::TestDb;

/// The fixture's migrations: a quick one, then one that sleeps a minute while `public.fleet_hold` exists.
fn names() -> Vec<String> {
    fleet_budget::REGISTRY
        .migrations
        .as_slice()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// Statements of the fixture's slow migration still running on the server (any session but this one).
fn sleeping(db: &TestDb) -> i64 {
    db.client()
        .query_one(
            "SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity \
              WHERE datname = pg_catalog.current_database() AND state = 'active' \
                AND query LIKE '%pg_sleep(CASE%' AND pid <> pg_catalog.pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0)
}

/// Every schema's migrations table lists only the quick migration (or nothing), and no schema has the slow
/// migration's column: the slow one rolled back everywhere, nothing is half-recorded.
fn slow_rolled_back_everywhere(db: &TestDb, schemas: &[&str]) {
    let names = names();
    let mut client = db.client();
    for schema in schemas {
        let rows = recorded(&mut client, schema);
        assert!(
            rows.is_empty() || rows == [names[0].as_str()],
            "{schema}: recorded {rows:?}"
        );
        let columns = db.columns(&format!("{schema}.items"));
        assert!(
            !columns.iter().any(|c| c == "note"),
            "{schema}: {columns:?}"
        );
    }
}

// `fleet up --max-duration 2s` over five schemas, three at a time, with a migration that
// runs for a minute: once the budget is spent, the statement running on each of the three targets is
// cancelled and rolled back, the other two never start; the summary names each target and what stopped it,
// the exit status is 1, and no statement is left running on the server. Run again, the fleet completes.
// The budget leaves a busy machine seconds to start the three targets' slow statements.
#[test]
fn a_spent_budget_rolls_back_every_running_target_and_the_next_run_completes() {
    let db = TestDb::new();
    db.exec("CREATE TABLE public.fleet_hold ()");
    let cli = FixtureCli::with_url("fleet_budget", db.url());
    let schemas = ["a", "b", "c", "d", "e"];
    let up = [
        "fleet",
        "up",
        "--schemas",
        "a,b,c,d,e",
        "--parallel",
        "3",
        "--max-duration",
        "5s",
    ];
    let run = cli.run(&up).expect_code(1);
    // The summary: three interrupted, each named with the budget, two never started.
    assert!(run.stdout.contains("  interrupted  3\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  pending      2\n"), "{}", run.stdout);
    for schema in ["a", "b", "c"] {
        assert!(
            run.stdout.contains(&format!(
                "\n  {schema}: stopped: the run's time budget of 5.0 s is spent"
            )),
            "{schema} not named as stopped by the budget:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("\nnot started: d, e\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "\nstopped: the time budget of 5.0 s is spent: no other target was started\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("the fleet's time budget of 5s (--max-duration) is spent"),
        "{}",
        run.stdout
    );
    // Cancelled, not left to run on: nothing of the slow migration is running, before the sessions end.
    assert_eq!(sleeping(&db), 0);
    slow_rolled_back_everywhere(&db, &schemas);

    // The JSON report says the same.
    let again = [&up[..], &["--json"]].concat();
    let run = cli.run(&again).expect_code(1);
    let report = json(&run);
    assert_eq!(
        states(&report),
        [
            "a=interrupted",
            "b=interrupted",
            "c=interrupted",
            "d=pending",
            "e=pending"
        ]
    );
    assert_eq!(
        report["stopped"],
        "the time budget of 5.0 s is spent: no other target was started"
    );
    slow_rolled_back_everywhere(&db, &schemas);

    // Without the hold the slow migration is quick: the next run applies everything, on every target.
    db.exec("DROP TABLE public.fleet_hold");
    let run = cli
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "a,b,c,d,e",
            "--parallel",
            "3",
            "--max-duration",
            "5m",
            "--json",
        ])
        .expect_code(0);
    let report = json(&run);
    assert_eq!(
        states(&report),
        ["a=done", "b=done", "c=done", "d=done", "e=done"]
    );
    let mut client = db.client();
    for schema in schemas {
        assert_eq!(recorded(&mut client, schema), names());
        assert_eq!(db.columns(&format!("{schema}.items")), ["id", "note"]);
    }
}

// SIGTERM while two targets run the minute-long statement: each one's statement is
// cancelled on the server (none is left running once the runner is gone), its migration rolled back and not
// recorded, no failure mark anywhere (`fleet status` finds no problem), the others never start, the summary
// says which, and the exit status is 143.
#[test]
fn sigterm_cancels_the_statement_running_on_every_target() {
    let db = TestDb::new();
    db.exec("CREATE TABLE public.fleet_hold ()");
    let child = tests::cli::runner("fleet_budget")
        .env("DATABASE_URL", db.url())
        .args([
            "fleet",
            "up",
            "--schemas",
            "a,b,c,d",
            "--parallel",
            "2",
            "--json",
        ])
        .spawn()
        .expect("start the runner");
    let deadline = Instant::now() + Duration::from_secs(60);
    while sleeping(&db) < 2 {
        assert!(
            Instant::now() < deadline,
            "two targets never got to the slow migration"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("the runner ends");
    // Right as the runner is gone: a statement it left running would still sleep on the server (a backend
    // does not notice its client is gone while it sleeps).
    assert_eq!(sleeping(&db), 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(143),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains("SIGTERM received: no other target starts; the 2 running target(s) stop"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        states(&report),
        ["a=interrupted", "b=interrupted", "c=pending", "d=pending"]
    );
    for target in &report["targets"].as_array().unwrap()[..2] {
        let message = target["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "stopped on SIGTERM: the running statement of {} was cancelled on the server",
                names()[1]
            )),
            "{message}"
        );
        assert_eq!(target["error"]["sqlstate"], "57014");
        assert!(
            message.contains("rolled back: nothing of this `up` was applied"),
            "{message}"
        );
    }
    slow_rolled_back_everywhere(&db, &["a", "b", "c", "d"]);
    let names = names();
    let mut client = db.client();
    for schema in ["a", "b"] {
        assert_eq!(recorded(&mut client, schema), [names[0].as_str()]);
    }
    // No failure mark: nothing for `status` to report but pending migrations.
    let cli = FixtureCli::with_url("fleet_budget", db.url());
    cli.run(&["fleet", "status", "--schemas", "a,b,c,d"])
        .expect_code(0);
    db.wait_for_runner_sessions_to_end();
    let locks: i64 = client
        .query_one(
            "SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' \
              AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(locks, 0);
}

// A target whose table another session holds a lock on: each time its migration's
// statement hits lock_timeout, a line named after the target says which session blocks it (pid,
// application, state, its query); the target fails once its retries are spent, the other target is done.
// With the lock released, the next run completes.
#[test]
fn the_lock_watch_names_the_session_blocking_a_target() {
    let db = TestDb::new();
    let cli = FixtureCli::with_url("fleet_budget", db.url());
    let names = names();
    cli.run(&["fleet", "up", "--schemas", "a,b", "--to", &names[0]])
        .expect_code(0);
    let mut blocker = db.client();
    let pid: i32 = blocker
        .query_one("SELECT pg_catalog.pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    // Its last query, which the lock watch shows, is the lock it holds.
    blocker
        .batch_execute(
            "SET application_name = 'fleet-blocker'; BEGIN; LOCK TABLE b.items IN ACCESS SHARE MODE",
        )
        .unwrap();
    let run = cli
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "a,b",
            "--on-error",
            "continue",
            // Several attempts, each watched, even when connecting the watch is slow on a busy machine.
            "--lock-retry-budget",
            "4s",
        ])
        .expect_code(1);
    let watched = format!("b: {}: blocked by pid {pid} (user ", names[1]);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&watched))
        .unwrap_or_else(|| panic!("no lock watch line for b:\n{}", run.stdout));
    assert!(
        line.contains("application fleet-blocker, idle in transaction for "),
        "{line}"
    );
    assert!(
        line.contains("LOCK TABLE b.items IN ACCESS SHARE MODE"),
        "{line}"
    );
    // Only the blocked target has such lines; it failed on its lock timeout, the other is done.
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.starts_with("a: ") && l.contains("blocked by")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\n  b: migration "), "{}", run.stdout);
    assert!(
        run.stdout.contains("could not get its locks"),
        "{}",
        run.stdout
    );
    let mut client = db.client();
    assert_eq!(recorded(&mut client, "a"), names);
    assert_eq!(recorded(&mut client, "b"), [names[0].as_str()]);

    blocker.batch_execute("ROLLBACK").unwrap();
    cli.run(&["fleet", "up", "--schemas", "a,b"]).expect_code(0);
    assert_eq!(recorded(&mut client, "b"), names);
}

// The application's fleet and single-target calls keep the same guards: with `max_duration`
// in the settings, the budget is the whole fleet run's and cancels the statement running on every target, and
// a new tenant's `up_target` has its statement cancelled as `up` does; nothing is left running either way.
#[tokio::test(flavor = "multi_thread")]
async fn the_applications_fleet_keeps_the_budget() {
    use migrate_cli::{Embedded, EmbeddedFleet, Settings};
    use migrate_core::fleet::{Target, TargetState};
    use migrate_core::UpTarget;
    // The test's own synchronous client must not run on the runtime's threads.
    let db = std::thread::spawn(|| {
        let db = TestDb::new();
        db.exec("CREATE TABLE public.fleet_hold ()");
        db
    })
    .join()
    .unwrap();
    let settings = Settings {
        database_url: Some(db.url().to_owned()),
        max_duration: Some(Duration::from_secs(2)),
        ..Settings::default()
    };
    let fleet = EmbeddedFleet::with_settings(&fleet_budget::REGISTRY, settings.clone())
        .schemas(["x", "y", "z"])
        .parallel(2);
    assert_eq!(fleet.options().max_duration, Some(Duration::from_secs(2)));
    let report = fleet
        .up(UpTarget::All, |_| {})
        .await
        .expect("the fleet runs");
    let states: Vec<TargetState> = report.targets.iter().map(|t| t.state).collect();
    assert_eq!(
        states,
        [
            TargetState::Interrupted,
            TargetState::Interrupted,
            TargetState::Pending
        ],
        "{report:#?}"
    );
    // The spent budget was that run's: the same fleet's status afterwards reads every target.
    let statuses = fleet.status().await.expect("status");
    assert!(
        statuses.iter().all(|s| s.error.is_none() && s.pending > 0),
        "{statuses:#?}"
    );
    let error = Embedded::with_settings(&fleet_budget::REGISTRY, settings)
        .up_target(Target::schema("w"), UpTarget::All, |_| {})
        .await
        .expect_err("the budget stops the new tenant's slow migration");
    // Cancelled in the slow statement; on a machine so busy that the quick migration took the whole budget,
    // stopped before the slow one.
    let error = format!("{error:#}");
    assert!(
        error.contains("canceling statement due to user request")
            || error.contains("time budget of 2.0 s is spent"),
        "{error}"
    );
    std::thread::spawn(move || {
        assert_eq!(sleeping(&db), 0);
        slow_rolled_back_everywhere(&db, &["x", "y", "w"]);
    })
    .join()
    .expect("no panic");
}

// A backfill running on two targets when the fleet's budget is spent is not cancelled: each
// stops after its current batch (committed whole: every row it updated is logged, nothing else), the targets
// are interrupted, and the next run resumes each backfill where it stopped, handling every row exactly once.
#[test]
fn a_spent_budget_stops_each_backfill_after_its_batch_and_the_next_run_resumes() {
    let db = TestDb::new();
    let cli = FixtureCli::with_url("signals_backfill", db.url());
    let up = [
        "fleet",
        "up",
        "--schemas",
        "a,b",
        "--max-duration",
        "2s",
        "--json",
    ];
    let report = json(&cli.run(&up).expect_code(1));
    assert_eq!(states(&report), ["a=interrupted", "b=interrupted"]);
    let mut client = db.client();
    for schema in ["a", "b"] {
        let message = report["targets"][if schema == "a" { 0 } else { 1 }]["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            // After a committed batch; on a slow machine, possibly before the backfill's first.
            message.contains("s is spent"),
            "{message}"
        );
        let row = client
            .query_one(
                &format!(
                    "SELECT (SELECT count(*) FROM {schema}.handled), \
                            (SELECT count(*) FROM {schema}.items WHERE doubled IS NOT NULL)"
                ),
                &[],
            )
            .unwrap();
        let (handled, doubled): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(handled, doubled, "{schema}");
        assert!(handled < 3000 && handled % 100 == 0, "{schema}: {handled}");
    }
    let report = json(
        &cli.run(&["fleet", "up", "--schemas", "a,b", "--json"])
            .expect_code(0),
    );
    assert_eq!(states(&report), ["a=done", "b=done"]);
    for schema in ["a", "b"] {
        let row = client
            .query_one(
                &format!(
                    "SELECT (SELECT count(*) FROM {schema}.handled), \
                            (SELECT count(DISTINCT id) FROM {schema}.handled), \
                            (SELECT count(*) FROM {schema}.items WHERE doubled = v * 2)"
                ),
                &[],
            )
            .unwrap();
        let counts: (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(counts, (3000, 3000, 3000), "{schema}");
    }
}

/// A target whose session the server ends in the middle of its run (here its own
/// `idle_in_transaction_session_timeout`, which data code idle for two seconds exceeds) is failed with the
/// single run's hint: the summary names the targets and the setting, the JSON report marks them, nothing is
/// recorded, and with the setting left to the server the same command completes.
#[test]
fn a_session_the_server_ended_is_named_with_the_reasons() {
    let db = TestDb::new();
    let cli = FixtureCli::with_url("idle_data", db.url());
    let up = [
        "fleet",
        "up",
        "--schemas",
        "a,b",
        "--on-error",
        "continue",
        "--idle-in-transaction-session-timeout",
        "1s",
    ];
    let run = cli.run(&up).expect_code(1);
    assert!(run.stdout.contains("  failed       2\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "\nhint: the server ended the session of a, b: It does so when a transaction stays idle longer \
             than idle_in_transaction_session_timeout (1s for this run)"
        ),
        "{}",
        run.stdout
    );
    let mut json_run = up.to_vec();
    json_run.push("--json");
    let report = json(&cli.run(&json_run).expect_code(1));
    for target in report["targets"].as_array().expect("targets") {
        assert_eq!(target["error"]["session_ended"], true, "{target:#}");
    }
    for schema in ["a", "b"] {
        assert!(recorded(&mut db.client(), schema).is_empty(), "{schema}");
    }
    let run = cli
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "a,b",
            "--idle-in-transaction-session-timeout",
            "0",
        ])
        .expect_code(0);
    assert!(!run.stdout.contains("hint:"), "{}", run.stdout);
    for schema in ["a", "b"] {
        assert_eq!(recorded(&mut db.client(), schema).len(), 1, "{schema}");
    }
}
