//! Faults during a run, against a real PostgreSQL: many runners at once in `--lock-mode fail`, the runner
//! killed with SIGKILL at seeded random points, the server ending the connection mid-migration, and a
//! migration outside a transaction that fails part-way.
//!
//! (Sixteen runners in the default `wait` mode and a failing `down` are covered in `safety.rs`.)

use std::process::Child;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use tests::cli::{runner, FixtureCli, Run};
use tests::TestDb;

/// `status` when a migration is CHANGED, MISSING FILE, FAILED or OUT OF ORDER.
const EXIT_STATUS_PROBLEMS: i32 = migrate_cli::EXIT_STATUS_PROBLEMS as i32;

/// Migrations of the `slow` fixture: `t01`..`t20`, each creating its table, sleeping 50 ms and inserting
/// one row, in one transaction.
const SLOW: usize = 20;

fn slow_name(i: usize) -> String {
    format!("202610010000{i:02}_t{i:02}")
}

/// Recorded names in the default bookkeeping table (empty when it does not exist yet).
fn recorded(db: &TestDb) -> Vec<String> {
    let exists = db.query_strings("SELECT to_regclass('public.pgmigrations') IS NOT NULL");
    if exists[0][0].as_deref() != Some("t") {
        return Vec::new();
    }
    db.recorded()
}

/// Panics unless the `slow` fixture's effects and records agree: each migration is recorded at most once,
/// a recorded migration's table exists with its one row, and an unrecorded one left no table behind.
/// Returns how many are recorded.
#[track_caller]
fn assert_slow_consistent(db: &TestDb, context: &str) -> usize {
    let names = recorded(db);
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        names.len(),
        "{context}: recorded twice: {names:?}"
    );
    let tables = db.tables();
    for i in 1..=SLOW {
        let name = slow_name(i);
        let table = format!("public.t{i:02}");
        let is_recorded = names.contains(&name);
        let exists = tables.contains(&table);
        assert_eq!(
            is_recorded, exists,
            "{context}: {name} recorded = {is_recorded} but table {table} exists = {exists}\nrecorded: {names:?}\ntables: {tables:?}"
        );
        if exists {
            let rows = db.query_strings(&format!("SELECT count(*)::text FROM t{i:02}"));
            assert_eq!(
                rows[0][0].as_deref(),
                Some("1"),
                "{context}: {table} has its one row"
            );
        }
    }
    // Applied in order: the recorded ones are a prefix of the fixture.
    let expected: Vec<String> = (1..=names.len()).map(slow_name).collect();
    assert_eq!(names, expected, "{context}: applied in order");
    names.len()
}

/// The fixture runner, started (not waited for) against `url`, with the same clean environment as
/// [`FixtureCli`].
fn spawn_runner(fixture: &str, url: &str, args: &[&str]) -> Child {
    runner(fixture)
        .env("DATABASE_URL", url)
        .args(args)
        .spawn()
        .expect("the runner starts")
}

/// The seed of the kill test: `FAULTS_SEED` to replay another, else a fixed one.
fn seed() -> u64 {
    std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(20_261_001)
}

// ---------------------------------------------------------------------------------------------------------
// 1. many runners at once

/// Sixteen runners start `up` at once on a run slow enough (about a second) that most find the lock taken:
/// half wait, half use `--lock-mode fail`. Every waiter exits 0; every failer exits 0 (the lock was free when
/// it asked) or 3 with the lock-busy message; every migration is applied exactly once, in order.
#[test]
fn sixteen_runners_with_wait_and_fail_modes_apply_each_migration_once() {
    const RUNNERS: usize = 16;
    let db = TestDb::new();
    let cli = FixtureCli::new("slow", &db);
    let barrier = Barrier::new(RUNNERS);
    let runs: Vec<(bool, Run)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RUNNERS)
            .map(|i| {
                let (cli, barrier) = (&cli, &barrier);
                s.spawn(move || {
                    let fail = i % 2 == 1;
                    barrier.wait();
                    let run = if fail {
                        cli.run(&["up", "--lock-mode", "fail"])
                    } else {
                        cli.run(&["up"])
                    };
                    (fail, run)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut busy = 0;
    let mut applied = 0;
    for (fail, run) in &runs {
        match (fail, run.code) {
            (_, 0) => {}
            (true, 3) => {
                busy += 1;
                assert!(
                    run.stderr
                        .contains("another migration run holds the lock on public.pgmigrations")
                        && run.stderr.contains("--lock-mode wait"),
                    "{}",
                    run.stderr
                );
                assert!(
                    run.stdout.is_empty(),
                    "a busy runner applies nothing: {}",
                    run.stdout
                );
            }
            _ => panic!(
                "runner (fail mode: {fail}) exited {}\nstdout:\n{}\nstderr:\n{}",
                run.code, run.stdout, run.stderr
            ),
        }
        applied += run.stdout.matches("\napplied ").count()
            + usize::from(run.stdout.starts_with("applied "));
    }
    assert_eq!(
        applied, SLOW,
        "each migration applied by exactly one runner: {runs:#?}"
    );
    assert!(
        busy > 0,
        "with a one-second run some fail-mode runner found the lock taken: {runs:#?}"
    );
    assert_eq!(assert_slow_consistent(&db, "after 16 runners"), SLOW);
}

// ---------------------------------------------------------------------------------------------------------
// 2. the runner killed

/// The runner is killed with SIGKILL at seeded random points of a long `up` (20 migrations of about 50 ms
/// each), 24 times, each on a fresh database. After each kill: whatever is recorded exists, nothing exists
/// without its record (every migration of the fixture is transactional), the advisory lock died with the
/// connection, and the next `up` completes.
#[test]
fn a_runner_killed_at_random_points_leaves_no_half_applied_migration() {
    const KILLS: usize = 24;
    let seed = seed();
    // Printed so a failure can be replayed with FAULTS_SEED=<seed>.
    println!("faults: kill test seed {seed} (replay with FAULTS_SEED={seed})");
    // Seeded, so a failing seed can be replayed.
    let mut rng = fastrand::Rng::with_seed(seed);

    // How long a whole run takes here, so the kills spread over it.
    let full = {
        let db = TestDb::new();
        let started = Instant::now();
        FixtureCli::new("slow", &db).run(&["up"]).expect_code(0);
        started.elapsed()
    };
    let span_ms = u64::try_from(full.as_millis()).unwrap_or(2000).max(200);
    println!("faults: a full run takes {} ms", full.as_millis());

    let mut interrupted = 0;
    for round in 0..KILLS {
        let db = TestDb::new();
        let delay = Duration::from_millis(rng.u64(..span_ms.max(1)));
        let context = format!(
            "seed {seed}, round {round}, kill after {} ms",
            delay.as_millis()
        );
        let mut child = spawn_runner("slow", db.url(), &["up"]);
        std::thread::sleep(delay);
        let finished_first = child.try_wait().expect("try_wait").is_some();
        // Child::kill sends SIGKILL on Unix: no destructor, no unlock, no ROLLBACK from the runner.
        let _ = child.kill();
        let _ = child.wait();
        db.wait_for_runner_sessions_to_end();

        let done = assert_slow_consistent(&db, &context);
        if !finished_first && done < SLOW {
            interrupted += 1;
        }
        println!("faults: {context}: {done} of {SLOW} applied before the kill");

        let next = FixtureCli::new("slow", &db).run(&["up", "--lock-mode", "fail"]);
        assert_eq!(
            next.code, 0,
            "{context}: the next `up` completes (and finds the lock free)\nstdout:\n{}\nstderr:\n{}",
            next.stdout, next.stderr
        );
        assert_eq!(assert_slow_consistent(&db, &context), SLOW, "{context}");
    }
    assert!(
        interrupted >= KILLS / 2,
        "seed {seed}: only {interrupted} of {KILLS} kills landed in the middle of a run"
    );
}

// ---------------------------------------------------------------------------------------------------------
// 3. the server ends the connection

/// Waits (at most 30 s) for the runner's session to run one of the migrations' `pg_sleep`s and returns its
/// server process id.
fn runner_backend_in_pg_sleep(db: &TestDb, after_recorded: usize) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut client = db.client();
    loop {
        if recorded(db).len() >= after_recorded {
            let row = client
                .query_opt(
                    "SELECT pid FROM pg_stat_activity
                     WHERE datname = current_database() AND application_name = 'migrate'
                       AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()
                     LIMIT 1",
                    &[],
                )
                .expect("pg_stat_activity");
            if let Some(row) = row {
                return row.get(0);
            }
        }
        assert!(
            Instant::now() < deadline,
            "the runner never ran a pg_sleep migration"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `pg_terminate_backend` on the runner's session while a migration runs: a clear error and exit 1, the
/// migration in flight left nothing behind (earlier ones stay committed and recorded), and the next run
/// completes.
#[test]
fn the_server_ending_the_connection_mid_migration_is_a_clear_error() {
    let db = TestDb::new();
    let child = spawn_runner("slow", db.url(), &["up"]);
    let pid = runner_backend_in_pg_sleep(&db, 3);
    let terminated: bool = db
        .client()
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .expect("pg_terminate_backend")
        .get(0);
    assert!(terminated, "server process {pid} was terminated");
    let out = child.wait_with_output().expect("the runner exits");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stderr.starts_with("error: migration 2026100100")
            && (run
                .stderr
                .contains("terminating connection due to administrator command")
                || run
                    .stderr
                    .contains("the connection to the server was closed")),
        "names the migration and what happened: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    db.wait_for_runner_sessions_to_end();
    let done = assert_slow_consistent(&db, "after pg_terminate_backend");
    assert!((3..SLOW).contains(&done), "stopped in the middle: {done}");
    // The migration named in the error is the one in flight: not recorded, no table.
    let in_flight = slow_name(done + 1);
    assert!(
        run.stderr.contains(&in_flight),
        "{in_flight}: {}",
        run.stderr
    );

    let next = FixtureCli::new("slow", &db).run(&["up"]).expect_code(0);
    assert!(
        next.stdout
            .contains(&format!("{} migration(s) applied", SLOW - done)),
        "{}",
        next.stdout
    );
    assert_eq!(assert_slow_consistent(&db, "after the next up"), SLOW);
}

// ---------------------------------------------------------------------------------------------------------
// 4. a migration outside a transaction that fails part-way

const PARTIAL: &str = "20261101000001_log";

fn log_rows(db: &TestDb) -> String {
    db.query_strings("SELECT count(*)::text FROM log")[0][0]
        .clone()
        .unwrap_or_default()
}

/// A migration outside a transaction commits two statements, then fails. Fixing the cause is not enough:
/// the next `up` refuses, naming the migration and how many statements were committed, rather than
/// silently running those two again (which would insert a second row); `status` shows it; `repair NAME`
/// clears the mark once the rest was finished by hand, and `up --fake 1` then records it.
#[test]
fn a_partly_applied_migration_outside_a_transaction_blocks_up_until_repaired() {
    let db = TestDb::new();
    let cli = FixtureCli::new("partial_no_tx", &db);

    let first = cli.run(&["up"]).expect_code(1);
    assert!(
        first.stderr.contains(PARTIAL)
            && first
                .stderr
                .contains("2 earlier statement(s) of this `up` were committed")
            && first.stderr.contains(&format!("`up --retry {PARTIAL}`"))
            && first.stderr.contains("relation \"gate\" does not exist"),
        "{}",
        first.stderr
    );
    assert_eq!(log_rows(&db), "1");
    assert!(recorded(&db).is_empty());

    // The cause is fixed, but the two committed statements must not run again.
    db.exec("CREATE TABLE gate (v integer)");
    let before = db.schema_dump();
    // Which statements were committed, not only how many: the refusal and `status` list them.
    let committed = [
        "  committed: #1 (sql): CREATE TABLE IF NOT EXISTS log (v text NOT NULL)",
        "  committed: #1 (sql): INSERT INTO log VALUES ('once')",
    ];
    for _ in 0..2 {
        let again = cli.run(&["up"]).expect_code(1);
        assert!(
            again.stderr.contains(PARTIAL)
                && again.stderr.contains("2 statement(s)")
                && again.stderr.contains(&format!("repair {PARTIAL}")),
            "{}",
            again.stderr
        );
        assert!(
            again.stderr.contains(&committed.join("\n")),
            "{}",
            again.stderr
        );
        assert_eq!(log_rows(&db), "1", "nothing was re-run");
        assert!(recorded(&db).is_empty());
        assert_eq!(db.schema_dump(), before, "a refused `up` changes nothing");
    }
    // `down` and `redo` touch nothing either while the mark is there.
    cli.run(&["down"]).expect_code(1);
    assert_eq!(log_rows(&db), "1");

    let status = cli.run(&["status"]).expect_code(EXIT_STATUS_PROBLEMS);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("FAILED") && l.ends_with(PARTIAL)),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("2 statement(s)"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains(&committed.join("\n")),
        "{}",
        status.stdout
    );
    let json = cli
        .run(&["status", "--json"])
        .expect_code(EXIT_STATUS_PROBLEMS);
    let json: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("status --json is JSON");
    let entry = json["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .find(|e| e["name"] == PARTIAL)
        .expect("listed")
        .clone();
    assert_eq!(entry["state"], "failed", "{entry}");
    assert_eq!(entry["failure"]["committed"], 2, "{entry}");
    assert_eq!(entry["failure"]["direction"], "up", "{entry}");
    assert_eq!(
        entry["failure"]["statements"],
        serde_json::json!([
            "#1 (sql): CREATE TABLE IF NOT EXISTS log (v text NOT NULL)",
            "#1 (sql): INSERT INTO log VALUES ('once')"
        ]),
        "{entry}"
    );
    assert_eq!(json["summary"]["failed"], 1, "{json}");
    assert_eq!(json["summary"]["problems"], 1, "{json}");

    // Finished by hand, then marked explicitly.
    db.exec("INSERT INTO gate VALUES (1)");
    let repair = cli.run(&["repair", PARTIAL]).expect_code(0);
    assert!(
        repair
            .stdout
            .contains(&format!("cleared the failure of {PARTIAL}")),
        "{}",
        repair.stdout
    );
    cli.run(&["up", "--fake", "1"]).expect_code(0);
    cli.run(&["up"]).expect_code(0);
    assert_eq!(recorded(&db), [PARTIAL, "20261101000002_after"]);
    assert_eq!(
        log_rows(&db),
        "1",
        "the committed statements ran exactly once"
    );
    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains("2 applied, 0 pending"),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("FAILED"), "{}", status.stdout);
}

/// The other way out of the same mark: the cause fixed, `up --retry NAME` continues from the statement that
/// failed, and the two committed statements do not run again.
#[test]
fn retry_continues_a_partly_applied_migration_from_the_statement_that_failed() {
    let db = TestDb::new();
    let cli = FixtureCli::new("partial_no_tx", &db);
    cli.run(&["up"]).expect_code(1);
    db.exec("CREATE TABLE gate (v integer)");
    cli.run(&["up"]).expect_code(1);
    let retried = cli.run(&["up", "--retry", PARTIAL]).expect_code(0);
    assert!(
        retried.stdout.contains(&format!(
            "continuing up of {PARTIAL}: 2 of its 3 statement(s)"
        )),
        "{}",
        retried.stdout
    );
    assert_eq!(recorded(&db), [PARTIAL, "20261101000002_after"]);
    assert_eq!(log_rows(&db), "1", "the committed statements ran once");
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM gate")[0][0].as_deref(),
        Some("1")
    );
}

/// A failures table written by an earlier version (no `statements` column) still reads, and the next failure
/// adds the column and lists its statements.
#[test]
fn a_failures_table_without_statements_still_reads_and_gains_them() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE public.pgmigrations (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
         name text NOT NULL UNIQUE, run_on timestamptz NOT NULL DEFAULT clock_timestamp(), \
         checksum text NOT NULL, execution_ms bigint NOT NULL);
         CREATE TABLE public.pgmigrations_failed (name text PRIMARY KEY, direction text NOT NULL, \
         committed bigint NOT NULL, error text NOT NULL, failed_at timestamptz NOT NULL DEFAULT clock_timestamp());
         INSERT INTO public.pgmigrations_failed (name, direction, committed, error) \
         VALUES ('20261101000001_log', 'up', 2, 'ERROR: relation \"gate\" does not exist');",
    );
    let cli = FixtureCli::new("partial_no_tx", &db);
    let status = cli.run(&["status"]).expect_code(EXIT_STATUS_PROBLEMS);
    assert!(
        status.stdout.contains("2 statement(s) were committed")
            && !status.stdout.contains("committed: #"),
        "{}",
        status.stdout
    );
    cli.run(&["repair", PARTIAL]).expect_code(0);
    cli.run(&["up"]).expect_code(1);
    let status = cli.run(&["status"]).expect_code(EXIT_STATUS_PROBLEMS);
    assert!(
        status
            .stdout
            .contains("  committed: #1 (sql): INSERT INTO log VALUES ('once')"),
        "{}",
        status.stdout
    );
}

/// A migration outside a transaction whose very first statement fails committed nothing, so it leaves no
/// mark: once the cause is fixed, the next `up` simply runs it again.
#[test]
fn a_migration_outside_a_transaction_failing_on_its_first_statement_can_just_be_rerun() {
    let db = TestDb::new();
    // CREATE TABLE IF NOT EXISTS only looks for a relation; a domain of the same name makes it fail on the row type.
    db.exec("CREATE DOMAIN log AS text");
    let cli = FixtureCli::new("partial_no_tx", &db);
    let run = cli.run(&["up"]).expect_code(1);
    assert!(
        run.stderr
            .contains("rolled back: nothing of this `up` was applied")
            && run.stderr.contains("type \"log\" already exists"),
        "{}",
        run.stderr
    );
    let status = cli.run(&["status"]).expect_code(0);
    assert!(!status.stdout.contains("FAILED"), "{}", status.stdout);
    db.exec("DROP DOMAIN log; CREATE TABLE gate (v integer)");
    cli.run(&["up"]).expect_code(0);
    assert_eq!(log_rows(&db), "1");
    assert_eq!(recorded(&db), [PARTIAL, "20261101000002_after"]);
}

// ---------------------------------------------------------------------------------------------------------
// 5. user code that panics, fails half-way or ends the process

/// A run of a fixture whose Rust code misbehaves: the exit code, what stderr must and must not say, and
/// what the database must look like afterwards.
struct UserCodeCase {
    name: &'static str,
    fixture: &'static str,
    code: i32,
    fragments: &'static [&'static str],
    absent: &'static [&'static str],
    /// `(sql, expected)`: each query's single value as text.
    state: &'static [(&'static str, &'static str)],
}

fn user_code_cases() -> Vec<UserCodeCase> {
    vec![
        UserCodeCase {
            name: "backfill_closure_panics",
            fixture: "backfill_panic",
            code: 1,
            fragments: &[
                "error: migration 20270201000002_backfill_panics",
                "at operation #1 (backfill)",
                "panicked: no doubling for row 25",
                "2 batch(es) of this backfill were committed",
                "resumes after the last committed batch",
            ],
            absent: &["(db)", "building the migrations runner failed"],
            state: &[
                ("SELECT count(*) FROM items WHERE doubled = v * 2", "20"),
                (
                    "SELECT string_agg(name, ',') FROM pgmigrations",
                    "20270201000001_create_items",
                ),
            ],
        },
        UserCodeCase {
            name: "backfill_interrupted_half_way",
            fixture: "backfill_resume",
            code: 1,
            fragments: &[
                "error: migration 20260701000002_backfill",
                "at operation #1 (backfill)",
                "interrupted at row 5001",
                "5 batch(es) of this backfill were committed",
                "5000 rows done",
                "resumes after the last committed batch",
            ],
            absent: &["(db)", "0 earlier statement(s) were committed"],
            state: &[
                (
                    "SELECT count(*) FROM items WHERE doubled IS NOT NULL",
                    "5000",
                ),
                (
                    "SELECT string_agg(name, ',') FROM pgmigrations",
                    "20260701000001_create_items",
                ),
            ],
        },
        UserCodeCase {
            name: "data_code_calls_process_exit_0",
            fixture: "exit_in_db",
            code: 1,
            fragments: &[
                "migration 20270101000001_exits",
                "operation #2 (db)",
                "ended the process",
                "not applied",
            ],
            absent: &[],
            state: &[
                ("SELECT to_regclass('marker') IS NULL", "t"),
                ("SELECT count(*) FROM pgmigrations", "0"),
            ],
        },
    ]
}

/// A migration's `up` function that calls `std::process::exit(0)` while it records (every
/// command that plans calls it) used to end `up`, `status`, `sql`... with status 0 and nothing done, so a CI
/// gate passed. Each command now fails with status 1 and an error naming the migration, and that migration is
/// not applied.
#[test]
fn exiting_while_a_migration_records_fails_every_command_that_plans() {
    let commands: &[&[&str]] = &[
        &["up"],
        &["up", "--dry-run"],
        &["up", "--expand-only"],
        &["status"],
        &["status", "--json"],
        &["sql"],
        &["sql", "20270102000002"],
        &["lint"],
        &["verify"],
    ];
    let mut failures = Vec::new();
    for args in commands {
        let db = TestDb::new();
        let run = FixtureCli::new("exit_in_up", &db).run(args);
        let mut problems = Vec::new();
        if run.code != 1 {
            problems.push(format!("exit code {}", run.code));
        }
        for fragment in [
            "error: migration 20270102000002_exits_while_recording (",
            "ended the process while its `up` function was recording its operations",
            "this migration was not run",
        ] {
            if !run.stderr.contains(fragment) {
                problems.push(format!("stderr lacks {fragment:?}"));
            }
        }
        let never = db.query_strings("SELECT (to_regclass('never') IS NULL)::text");
        if never != [[Some("true".to_owned())]] {
            problems.push("the migration's table exists".to_owned());
        }
        // `verify` works on a scratch database, which the exit must not leave behind.
        let scratch = db.query_strings(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, current_database() || '_')",
        );
        for [name] in scratch.iter().map(|r| [r[0].clone().unwrap_or_default()]) {
            problems.push(format!("the scratch database {name} was left behind"));
            db.client()
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .expect("drop the scratch database");
        }
        if !problems.is_empty() {
            failures.push(format!(
                "migrate {}: {}\n[exit {}]\n--- stdout\n{}--- stderr\n{}",
                args.join(" "),
                problems.join("; "),
                run.code,
                run.stdout,
                run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every case on its own database; all failures are reported together.
#[test]
fn misbehaving_user_code_is_reported_with_the_truth() {
    let mut failures = Vec::new();
    for case in user_code_cases() {
        let db = TestDb::new();
        let run = FixtureCli::new(case.fixture, &db).run(&["up"]);
        let mut problems = Vec::new();
        if run.code != case.code {
            problems.push(format!("exit code {} (expected {})", run.code, case.code));
        }
        for fragment in case.fragments {
            if !run.stderr.contains(fragment) {
                problems.push(format!("stderr lacks {fragment:?}"));
            }
        }
        for fragment in case.absent {
            if run.stderr.contains(fragment) {
                problems.push(format!("stderr says {fragment:?}"));
            }
        }
        for (sql, expected) in case.state {
            let got = db.query_strings(sql)[0][0].clone().unwrap_or_default();
            if got != *expected {
                problems.push(format!("{sql} gave {got:?}, expected {expected:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "case {}: {}\n[exit {}]\n--- stdout\n{}--- stderr\n{}",
                case.name,
                problems.join("; "),
                run.code,
                run.stdout,
                run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------------------
// 6. transaction control inside a transactional migration

mod transaction_control {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    fn commit_in_sql(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.sql("INSERT INTO a VALUES (1); COMMIT; INSERT INTO a VALUES (2)");
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn commit_in_db(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.db("commits", |tx| {
            tx.batch_execute("INSERT INTO a VALUES (1); COMMIT")?;
            Ok(())
        });
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn commit_then_error_in_db(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.db("commits, then fails", |tx| {
            tx.batch_execute("INSERT INTO a VALUES (1); COMMIT")?;
            Err("gave up after committing".into())
        });
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn rollback_in_db(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.db("rolls back", |tx| {
            tx.batch_execute("ROLLBACK")?;
            Ok(())
        });
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn commit_and_chain_in_sql(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.sql("INSERT INTO a VALUES (1); COMMIT AND CHAIN; INSERT INTO a VALUES (2)");
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn commit_and_chain_in_db(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.db("commits and chains", |tx| {
            tx.batch_execute(
                "INSERT INTO a VALUES (1); COMMIT AND CHAIN; INSERT INTO a VALUES (2)",
            )?;
            Ok(())
        });
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn commit_and_chain_then_failure_in_sql(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.sql(
            "INSERT INTO a VALUES (1); COMMIT AND CHAIN; INSERT INTO a VALUES ('not a number')",
        );
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn rollback_and_chain_in_sql(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE a (id integer)");
        pgm.sql("ROLLBACK AND CHAIN; CREATE TABLE c (id integer)");
        pgm.sql("CREATE TABLE b (id integer)");
    }

    fn first(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE first_t (id integer)");
    }

    const fn migration(name: &'static str, up: fn(&mut MigrationBuilder)) -> Definition {
        Definition {
            name,
            path: "tests/faults.rs",
            source: name,
            up,
            down: None,
        }
    }

    pub static COMMIT_IN_SQL: Migrations =
        Migrations::new(&[migration("20270501000001_commit_in_sql", commit_in_sql)]);
    pub static COMMIT_IN_DB: Migrations =
        Migrations::new(&[migration("20270501000001_commit_in_db", commit_in_db)]);
    pub static COMMIT_THEN_ERROR_IN_DB: Migrations = Migrations::new(&[migration(
        "20270501000001_commit_then_error_in_db",
        commit_then_error_in_db,
    )]);
    pub static ROLLBACK_IN_DB: Migrations =
        Migrations::new(&[migration("20270501000001_rollback_in_db", rollback_in_db)]);
    pub static COMMIT_AND_CHAIN_IN_SQL: Migrations = Migrations::new(&[migration(
        "20270501000001_commit_and_chain_in_sql",
        commit_and_chain_in_sql,
    )]);
    pub static COMMIT_AND_CHAIN_IN_DB: Migrations = Migrations::new(&[migration(
        "20270501000001_commit_and_chain_in_db",
        commit_and_chain_in_db,
    )]);
    pub static COMMIT_AND_CHAIN_THEN_FAILURE_IN_SQL: Migrations = Migrations::new(&[migration(
        "20270501000001_commit_and_chain_then_failure_in_sql",
        commit_and_chain_then_failure_in_sql,
    )]);
    pub static ROLLBACK_AND_CHAIN_IN_SQL: Migrations = Migrations::new(&[migration(
        "20270501000001_rollback_and_chain_in_sql",
        rollback_and_chain_in_sql,
    )]);
    pub static FIRST_THEN_COMMIT_IN_DB: Migrations = Migrations::new(&[
        migration("20270501000001_first", first),
        migration("20270501000002_commit_in_db", commit_in_db),
    ]);
}

struct TransactionCase {
    name: &'static str,
    migrations: &'static [migrate_core::Migration],
    single_transaction: bool,
    fragments: &'static [&'static str],
    /// What the error must not say.
    absent: &'static [&'static str],
    /// User tables afterwards, with their row counts.
    tables: &'static [(&'static str, i64)],
    recorded: &'static [&'static str],
    /// The statement count kept with the failure mark.
    marked_committed: &'static str,
}

fn transaction_cases() -> Vec<TransactionCase> {
    use transaction_control::*;
    vec![
        TransactionCase {
            name: "commit_in_raw_sql",
            migrations: &COMMIT_IN_SQL,
            single_transaction: false,
            fragments: &[
                "migration 20270501000001_commit_in_sql",
                "operation #2 (sql)",
                "ended the migration's transaction",
                "was committed",
                "not recorded as applied",
                "repair 20270501000001_commit_in_sql",
            ],
            absent: &[],
            tables: &[("a", 2)],
            recorded: &[],
            marked_committed: "2",
        },
        TransactionCase {
            name: "commit_in_data_code",
            migrations: &COMMIT_IN_DB,
            single_transaction: false,
            fragments: &[
                "migration 20270501000001_commit_in_db",
                "operation #2 (db)",
                "was committed",
                "not recorded as applied",
            ],
            absent: &[],
            tables: &[("a", 1)],
            recorded: &[],
            marked_committed: "2",
        },
        TransactionCase {
            name: "commit_then_error_in_data_code",
            migrations: &COMMIT_THEN_ERROR_IN_DB,
            single_transaction: false,
            fragments: &[
                "operation #2 (db)",
                "was committed",
                "gave up after committing",
            ],
            absent: &[],
            tables: &[("a", 1)],
            recorded: &[],
            marked_committed: "2",
        },
        TransactionCase {
            name: "rollback_in_data_code",
            migrations: &ROLLBACK_IN_DB,
            single_transaction: false,
            fragments: &[
                "operation #2 (db)",
                "was rolled back",
                "not recorded as applied",
            ],
            absent: &[],
            tables: &[],
            recorded: &[],
            marked_committed: "0",
        },
        TransactionCase {
            name: "commit_in_data_code_with_single_transaction",
            migrations: &FIRST_THEN_COMMIT_IN_DB,
            single_transaction: true,
            fragments: &[
                "operation #2 (db)",
                "was committed",
                "the run was one transaction",
                "20270501000001_first",
            ],
            absent: &[],
            tables: &[("a", 1), ("first_t", 0)],
            recorded: &["20270501000001_first"],
            marked_committed: "2",
        },
        // After COMMIT AND CHAIN the rest of the operation runs in the chained transaction,
        // which the runner rolls back: the second row is not in the database, and the error says so.
        TransactionCase {
            name: "commit_and_chain_in_raw_sql",
            migrations: &COMMIT_AND_CHAIN_IN_SQL,
            single_transaction: false,
            fragments: &[
                "operation #2 (sql)",
                "the transaction was committed",
                "what it ran after the COMMIT AND CHAIN ran in the new transaction that opened, which the runner rolled back",
                "not recorded as applied",
            ],
            absent: &["committed on its own"],
            tables: &[("a", 1)],
            recorded: &[],
            marked_committed: "2",
        },
        // The chained transaction aborted by a failing statement of the same operation: the COMMIT still
        // committed what came before it.
        TransactionCase {
            name: "commit_and_chain_then_a_failure_in_raw_sql",
            migrations: &COMMIT_AND_CHAIN_THEN_FAILURE_IN_SQL,
            single_transaction: false,
            fragments: &[
                "operation #2 (sql)",
                "the transaction was committed",
                "which the runner rolled back",
                "not recorded as applied",
                "invalid input syntax for type integer",
            ],
            absent: &["committed on its own"],
            tables: &[("a", 1)],
            recorded: &[],
            marked_committed: "2",
        },
        TransactionCase {
            name: "commit_and_chain_in_data_code",
            migrations: &COMMIT_AND_CHAIN_IN_DB,
            single_transaction: false,
            fragments: &[
                "operation #2 (db)",
                "the transaction was committed",
                "which the runner rolled back",
            ],
            absent: &["committed on its own"],
            tables: &[("a", 1)],
            recorded: &[],
            marked_committed: "2",
        },
        TransactionCase {
            name: "rollback_and_chain_in_raw_sql",
            migrations: &ROLLBACK_AND_CHAIN_IN_SQL,
            single_transaction: false,
            fragments: &[
                "operation #2 (sql)",
                "the transaction was rolled back",
                "what the operation ran after the ROLLBACK AND CHAIN ran in the new transaction that opened, which the runner rolled back too",
            ],
            absent: &["committed on its own"],
            tables: &[],
            recorded: &[],
            marked_committed: "0",
        },
    ]
}

/// A `COMMIT` or `ROLLBACK` sent by a transactional migration's own SQL or data code ends the runner's
/// transaction. The run stops there with an error that says what happened to the statements (committed or
/// rolled back) and that the migration is not recorded, and marks it as failed part-way, so the next `up`
/// refuses instead of running it again.
#[test]
fn transaction_control_in_a_migration_is_reported_truthfully() {
    use migrate_core::{Migrator, UpTarget};
    let mut failures = Vec::new();
    for case in transaction_cases() {
        let db = TestDb::new();
        let migrator = Migrator::new(case.migrations).single_transaction(case.single_transaction);
        let mut client = db.client();
        let result = migrator.run_up(&mut client, &UpTarget::All, &mut |_| {});
        let mut problems = Vec::new();
        match &result {
            Ok(ran) => problems.push(format!("succeeded: {ran:?}")),
            Err(e) => {
                let message = e.to_string();
                println!("case {}:\n{message}\n", case.name);
                for fragment in case.fragments {
                    if !message.contains(fragment) {
                        problems.push(format!("the error lacks {fragment:?}: {message}"));
                    }
                }
                for fragment in case.absent {
                    if message.contains(fragment) {
                        problems.push(format!("the error says {fragment:?}: {message}"));
                    }
                }
                if message.contains("nothing from this migration was applied") {
                    problems.push(format!("the error claims nothing was applied: {message}"));
                }
            }
        }
        let mut tables: Vec<(String, i64)> = db
            .tables()
            .into_iter()
            .filter(|t| !t.starts_with("public.pgmigrations"))
            .map(|t| {
                let rows = db.query_strings(&format!("SELECT count(*)::text FROM {t}"));
                let rows = rows[0][0].as_deref().unwrap_or("0").parse().unwrap_or(-1);
                (t.trim_start_matches("public.").to_owned(), rows)
            })
            .collect();
        tables.sort();
        let expected: Vec<(String, i64)> = case
            .tables
            .iter()
            .map(|(t, n)| ((*t).to_owned(), *n))
            .collect();
        if tables != expected {
            problems.push(format!("tables {tables:?}, expected {expected:?}"));
        }
        if recorded(&db) != case.recorded {
            problems.push(format!(
                "recorded {:?}, expected {:?}",
                recorded(&db),
                case.recorded
            ));
        }
        let marked = db.query_strings("SELECT committed::text FROM public.pgmigrations_failed");
        if marked != [[Some(case.marked_committed.to_owned())]] {
            problems.push(format!(
                "failure mark {marked:?}, expected {} committed statement(s)",
                case.marked_committed
            ));
        }
        // The next run refuses rather than repeating what was committed.
        match migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}) {
            Err(e) if e.to_string().contains("failed part-way") => {}
            other => problems.push(format!("the next up did not refuse: {other:?}")),
        }
        if !problems.is_empty() {
            failures.push(format!("case {}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------------------
// 7. another session's concurrent index build

mod concurrent_build {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    fn unique_index(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.sql("CREATE UNIQUE INDEX CONCURRENTLY mine ON t2 (y)");
    }

    pub static UNIQUE_INDEX: Migrations = Migrations::new(&[Definition {
        name: "20270701000001_unique_index",
        path: "tests/faults.rs",
        source: "unique_index",
        up: unique_index,
        down: None,
    }]);
}

/// Waits (at most 30 s) until a `CREATE INDEX CONCURRENTLY` on `table` waits for the table's writers.
fn wait_for_index_build_waiting(client: &mut postgres::Client, table: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index
                 WHERE relid = to_regclass($1) AND index_relid <> 0 AND phase LIKE 'waiting for writers%')",
                &[&table],
            )
            .expect("pg_stat_progress_create_index")
            .get(0);
        if waiting {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no index build on {table} started waiting within 30 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A migration's `CREATE UNIQUE INDEX CONCURRENTLY` fails on duplicates while another session builds an
/// index of its own concurrently on another table. The runner drops only the invalid index its statement
/// left: the other session's index, invalid while it is being built, is left alone (dropping it would wait
/// for that build, replace the real error by a lock timeout, and with no timeout destroy the build), and
/// the migration's own error is the one reported.
#[test]
fn invalid_index_cleanup_leaves_another_sessions_build_alone() {
    use migrate_core::{Event, Migrator, UpTarget};
    let db = TestDb::new();
    db.exec("CREATE TABLE t (x integer); CREATE TABLE t2 (y integer)");
    let mut watcher = db.client();

    // Duplicates on t2, not committed yet: the migration's build waits for them, then fails on them.
    let mut t2_writer = db.client();
    t2_writer
        .batch_execute("BEGIN; INSERT INTO t2 VALUES (1), (1)")
        .expect("t2 writer");
    let url = db.url().to_owned();
    let runner = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("runner connects");
        let mut dropped = Vec::new();
        let result = Migrator::new(&concurrent_build::UNIQUE_INDEX).run_up(
            &mut client,
            &UpTarget::All,
            &mut |event| {
                if let Event::DroppedInvalidIndex { index, .. } = event {
                    dropped.push(index.to_owned());
                }
            },
        );
        (result.map_err(|e| e.to_string()), dropped)
    });
    wait_for_index_build_waiting(&mut watcher, "t2");

    // Another session's build on t, held in progress (its index exists, invalid) by an open writer on t.
    let mut t_writer = db.client();
    t_writer
        .batch_execute("BEGIN; INSERT INTO t VALUES (1)")
        .expect("t writer");
    let url = db.url().to_owned();
    let other = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
        client
            .batch_execute("CREATE INDEX CONCURRENTLY theirs ON t (x)")
            .map_err(|e| e.to_string())
    });
    wait_for_index_build_waiting(&mut watcher, "t");

    t2_writer.batch_execute("COMMIT").expect("commit t2");
    let (result, dropped) = runner.join().expect("runner thread");
    let theirs_during: i64 = watcher
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname = 'theirs'",
            &[],
        )
        .expect("pg_class")
        .get(0);
    t_writer.batch_execute("COMMIT").expect("commit t");
    let other = other.join().expect("other thread");

    let message = result.expect_err("the migration fails on the duplicates");
    assert!(
        message.contains("could not create unique index \"mine\""),
        "the migration's own error is reported: {message}"
    );
    assert!(!message.contains("lock timeout"), "{message}");
    assert_eq!(dropped, ["public.mine"], "only its own leftover is dropped");
    assert_eq!(theirs_during, 1, "the other session's index was left alone");
    assert_eq!(other, Ok(()), "the other session's build completed");
    assert_eq!(
        db.query_strings(
            "SELECT c.relname::text, i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname IN ('mine', 'theirs')"
        ),
        [[Some("theirs".to_owned()), Some("true".to_owned())]]
    );
}
