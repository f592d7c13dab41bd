//! Background jobs: backfills a migration queues with `.in_background()`, run after `up` by workers (`migrate
//! work` processes and library workers side by side), listed, paused, resumed, retried and cancelled with
//! `migrate jobs`, waited for by the migration that needs them, and cancelled by the `down` of theirs.

use std::process::Child;
use std::time::{Duration, Instant};

use migrate_core::{Migrator, WorkOptions};
use tests::cli::{runner, FixtureCli};
use tests::TestDb;

const QUEUE: &str = "20261201000002_queue_jobs";

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

/// The fixture's table with `rows` items, before the migration that queues the jobs.
fn items(rows: u32) -> (TestDb, FixtureCli) {
    let db = TestDb::new();
    let cli = FixtureCli::new("jobs", &db);
    cli.run(&["up", "1"]).expect_code(0);
    db.exec(&format!(
        "INSERT INTO items (email) SELECT 'User' || i || '@Example.COM' FROM generate_series(1, {rows}) i; \
         ANALYZE items"
    ));
    (db, cli)
}

/// Each job's `state rows_done`, by id.
fn job_states(db: &TestDb) -> Vec<String> {
    db.query_strings(
        "SELECT j.state || ' ' || COALESCE((SELECT sum(rows) FROM public.pgmigrations_batches b \
         WHERE b.job = j.id AND b.state = 'done'), 0) FROM public.pgmigrations_jobs j ORDER BY j.id",
    )
    .into_iter()
    .map(|row| row[0].clone().unwrap_or_default())
    .collect()
}

fn done_right(db: &TestDb) -> String {
    one(
        db,
        "SELECT count(*) FILTER (WHERE touched = 1 AND email_lower = lower(email))::text FROM items",
    )
}

#[test]
fn up_queues_the_jobs_work_runs_them_and_the_migration_that_needs_them_waits() {
    let (db, cli) = items(5_000);
    let up = cli.run(&["up"]).expect_code(1);
    assert!(
        up.stdout.contains(&format!("applied  {QUEUE}")),
        "{}",
        up.stdout
    );
    assert!(
        up.stderr.contains(&format!(
            "migration 20261201000003_check_touched requires the background jobs of {QUEUE} to have finished"
        )) && up.stderr.contains("job 1 (20261201000002_queue_jobs #2, \"items\"): active, 0 row(s) of about 5000")
            && up.stderr.contains("let the job workers finish them, or finish them in this run")
            && up.stderr.contains("\nhint: `migrate work` runs the jobs until they finish")
            && up.stderr.contains("`up --finish-jobs` finishes them in this run"),
        "{}",
        up.stderr
    );
    // `up` queued the jobs and ran none of their batches.
    assert_eq!(
        one(&db, "SELECT count(*)::text FROM items WHERE touched > 0"),
        "0"
    );
    assert_eq!(job_states(&db), ["active 0", "active 0"]);
    // `--expand-only` stops before the migration that waits, without an error.
    let expand = cli.run(&["up", "--expand-only"]).expect_code(0);
    assert!(
        expand.stdout.contains("no expand to apply")
            && expand.stdout.contains("from the contract 20261201000003_check_touched (waits for the background jobs of 20261201000002_queue_jobs, which workers run after the deploy)"),
        "{}",
        expand.stdout
    );

    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains("background jobs (run by `migrate work`):\n  job 1 (20261201000002_queue_jobs #2, \"items\"): active, 0 row(s) of about 5000 in 0 batch(es)"),
        "{}",
        status.stdout
    );
    let listed = cli.run(&["jobs"]).expect_code(0);
    assert!(
        listed.stdout.contains("job 2 (20261201000002_queue_jobs #3, \"items\"): active, 0 row(s) of about 5000 in 0 batch(es)"),
        "{}",
        listed.stdout
    );

    let work = cli.run(&["work"]).expect_code(0);
    assert!(
        work.stdout.contains("worked 10000 row(s)") && work.stdout.contains("no job is left"),
        "{}",
        work.stdout
    );
    assert_eq!(done_right(&db), "5000");
    assert_eq!(job_states(&db), ["finished 5000", "finished 5000"]);
    let json = cli.run(&["jobs", "--json"]).expect_code(0);
    let listed: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(listed["jobs"][0]["state"], "finished");
    assert_eq!(
        listed["jobs"][1]["batches_done"], 8,
        "5000 rows in batches of 700"
    );

    cli.run(&["up"]).expect_code(0);
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM pgmigrations")[0][0].as_deref(),
        Some("3")
    );
}

#[test]
fn up_finish_jobs_runs_them_before_the_migration_that_needs_them() {
    let (db, cli) = items(1_200);
    let up = cli.run(&["up", "--finish-jobs"]).expect_code(0);
    assert!(
        up.stdout.contains("2 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert_eq!(done_right(&db), "1200");
    assert_eq!(job_states(&db), ["finished 1200", "finished 1200"]);
}

/// The commands that build the schema on a scratch database (`verify`, `drift`) run the jobs there before
/// the migration that waits for them; the jobs tables are bookkeeping, not schema.
#[test]
fn scratch_databases_run_the_jobs_and_drift_leaves_their_tables_out() {
    let (_db, cli) = items(100);
    cli.run(&["up", "--finish-jobs"]).expect_code(0);
    let drift = cli.run(&["drift"]).expect_code(0);
    assert!(
        !drift.stdout.contains("pgmigrations_jobs"),
        "{}",
        drift.stdout
    );
    let verify = cli.run(&["verify"]).expect_code(0);
    assert!(
        verify.stdout.contains("20261201000003_check_touched"),
        "{}",
        verify.stdout
    );
}

#[test]
fn pause_resume_retry_and_cancel() {
    let (db, cli) = items(2_000);
    cli.run(&["up", "1"]).expect_code(0);
    cli.run(&["jobs", "pause", "1"]).expect_code(0);
    let refused = cli.run(&["jobs", "resume", "2"]).expect_code(1);
    assert!(
        refused
            .stderr
            .contains("background job 2 is active: only a job that is paused can be resumed"),
        "{}",
        refused.stderr
    );
    let unknown = cli.run(&["jobs", "cancel", "9"]).expect_code(1);
    assert!(
        unknown.stderr.contains("there is no background job 9"),
        "{}",
        unknown.stderr
    );
    // The paused job waits; the other one runs.
    cli.run(&["work"]).expect_code(0);
    assert_eq!(job_states(&db), ["paused 0", "finished 2000"]);
    cli.run(&["jobs", "resume", "1"]).expect_code(0);

    // A batch that fails three times fails its job, naming the error; the worker says so and exits 1.
    db.exec(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.id = 1234 THEN RAISE EXCEPTION 'item 1234 is locked by the auditors'; END IF; RETURN NEW; END $$; \
         CREATE TRIGGER refuse BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION refuse()",
    );
    let failed = cli.run(&["work"]).expect_code(1);
    assert!(
        failed.stderr.contains("background job 1 (20261201000002_queue_jobs #2) failed: a batch failed 3 times, last: ERROR: item 1234 is locked by the auditors")
            && failed.stderr.contains("`migrate jobs retry 1`"),
        "{}",
        failed.stderr
    );
    let states = job_states(&db);
    assert_eq!(
        states[0], "failed 1000",
        "two batches of 500 done, the third (rows 1001 to 1500) failed"
    );
    let listed = cli.run(&["jobs"]).expect_code(0);
    assert!(
        listed.stdout.contains("error: a batch failed 3 times"),
        "{}",
        listed.stdout
    );

    db.exec("DROP TRIGGER refuse ON items");
    cli.run(&["jobs", "retry", "1"]).expect_code(0);
    cli.run(&["work"]).expect_code(0);
    assert_eq!(done_right(&db), "2000");

    // Cancelling a finished job is refused.
    let refused = cli.run(&["jobs", "cancel", "1"]).expect_code(1);
    assert!(
        refused.stderr.contains("background job 1 is finished"),
        "{}",
        refused.stderr
    );
}

#[test]
fn the_down_of_the_migration_that_queued_a_job_cancels_it() {
    let (db, cli) = items(3_000);
    cli.run(&["up", "1"]).expect_code(0);
    cli.run(&["work", "--job", "1", "--budget", "1ms"])
        .expect_code(0);
    cli.run(&["down"]).expect_code(0);
    let states = job_states(&db);
    assert!(
        states.iter().all(|s| s.starts_with("cancelled")),
        "{states:?}"
    );
    let work = cli.run(&["work"]).expect_code(0);
    assert!(work.stdout.contains("worked 0 row(s)"), "{}", work.stdout);
    // Applied again, the migration queues new jobs, which walk the table from its start.
    cli.run(&["up", "--finish-jobs"]).expect_code(0);
    let states = job_states(&db);
    assert_eq!(&states[2..], ["finished 3000", "finished 3000"]);
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM items WHERE email_lower = lower(email)"
        ),
        "3000"
    );
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Four workers over the same jobs, two `migrate work` processes killed with SIGKILL at random moments and
/// started again, and two library workers in this process: every row is updated exactly once (`touched`
/// is 1, never 2) and every batch is recorded once.
#[test]
fn four_workers_with_sigkills_update_every_row_exactly_once() {
    const ROWS: u32 = 60_000;
    let (db, cli) = items(ROWS);
    cli.run(&["up", "1"]).expect_code(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut rng = seed;
    let mut next = move |below: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % below
    };
    let library: Vec<_> = (0..2)
        .map(|i| {
            let url = db.url().to_owned();
            std::thread::spawn(move || {
                let mut client =
                    postgres::Client::connect(&url, postgres::NoTls).expect("connects");
                let migrations = tests::fixtures::jobs::REGISTRY.migrations.as_slice();
                Migrator::new(migrations)
                    .work(
                        &mut client,
                        &WorkOptions::default().name(format!("library-{i}")),
                        &mut |_| {},
                    )
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let spawn = || {
        runner("jobs")
            .env("DATABASE_URL", db.url())
            .args(["work"])
            .spawn()
            .expect("the worker starts")
    };
    let mut processes = [spawn(), spawn()];
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while kills < 8 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(30 + next(300)));
        let victim = &mut processes[next(2) as usize];
        if victim.try_wait().ok().flatten().is_some() {
            break;
        }
        kill(victim);
        kills += 1;
        *victim = spawn();
    }
    for worker in library {
        let report = worker
            .join()
            .expect("the library worker")
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(report.failed.is_empty(), "seed {seed}: {report:?}");
    }
    for process in processes {
        let out = process.wait_with_output().expect("the worker ends");
        assert!(
            out.status.success(),
            "seed {seed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        job_states(&db),
        [format!("finished {ROWS}"), format!("finished {ROWS}")],
        "seed {seed}"
    );
    assert_eq!(
        done_right(&db),
        ROWS.to_string(),
        "seed {seed}: every row once"
    );
    assert_eq!(
        one(&db, "SELECT count(*)::text FROM items WHERE touched <> 1"),
        "0",
        "seed {seed}: no row updated twice"
    );
    // The batches: no key range claimed twice within a walk.
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM (SELECT job, walk, last_key FROM public.pgmigrations_batches \
             GROUP BY 1, 2, 3 HAVING count(*) > 1) twice"
        ),
        "0"
    );
    let workers = one(
        &db,
        "SELECT count(DISTINCT worker)::text FROM public.pgmigrations_batches",
    );
    assert!(
        workers.parse::<u32>().unwrap_or(0) >= 3,
        "seed {seed}: {workers} workers did batches"
    );
}

/// SIGTERM stops a worker after its batch in progress (exit 143), leaving no batch half done; the next
/// worker finishes the job.
#[test]
fn sigterm_stops_a_worker_after_its_batch() {
    let (db, cli) = items(20_000);
    cli.run(&["up", "1"]).expect_code(0);
    let worker = runner("jobs")
        .env("DATABASE_URL", db.url())
        .args(["work"])
        .spawn()
        .expect("the worker starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while one(
        &db,
        "SELECT count(*)::text FROM public.pgmigrations_batches WHERE state = 'done'",
    ) == "0"
    {
        assert!(Instant::now() < deadline, "60 s without a batch");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = worker.wait_with_output().expect("the worker ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("the next worker goes on from there"),
        "{stderr}"
    );
    assert_eq!(job_states(&db).len(), 2);
    assert_ne!(
        job_states(&db),
        ["finished 20000", "finished 20000"],
        "stopped before the end"
    );
    cli.run(&["work"]).expect_code(0);
    assert_eq!(done_right(&db), "20000");
    assert_eq!(
        one(&db, "SELECT count(*)::text FROM items WHERE touched <> 1"),
        "0"
    );
}

/// Each job's `state rows_done` in `schema`'s jobs table, by id.
fn job_states_in(db: &TestDb, schema: &str) -> Vec<String> {
    db.query_strings(&format!(
        "SELECT j.state || ' ' || COALESCE((SELECT sum(rows) FROM {schema}.pgmigrations_batches b \
         WHERE b.job = j.id AND b.state = 'done'), 0) FROM {schema}.pgmigrations_jobs j ORDER BY j.id"
    ))
    .into_iter()
    .map(|row| row[0].clone().unwrap_or_default())
    .collect()
}

/// A fleet's tenant queues its jobs in its own schema; a worker pointed at that tenant's migrations table
/// (`MIGRATIONS_SCHEMA`), whose own session searches `public` where a table of the same name is, runs them
/// on the tenant's table, with the session settings of the migration that queued them, and checks the rows
/// there before the job counts as finished.
#[test]
fn a_tenants_job_runs_in_its_schema_not_the_workers_search_path() {
    let db = TestDb::new();
    let cli = FixtureCli::new("jobs", &db);
    // A table of the same name in public, which the worker's own session finds first.
    db.exec(
        "CREATE TABLE public.items (id bigserial PRIMARY KEY, touched integer NOT NULL DEFAULT 0, email text, \
         email_lower text); INSERT INTO public.items (email) SELECT 'P' || i FROM generate_series(1, 500) i",
    );
    let fleet_up = |to: &str| {
        cli.run(&["fleet", "up", "--schemas", "t1,t2", "--to", to])
            .expect_code(0)
    };
    fleet_up("20261201000001_create_items");
    for schema in ["t1", "t2"] {
        db.exec(&format!(
            "INSERT INTO {schema}.items (email) SELECT 'User' || i || '@Example.COM' \
             FROM generate_series(1, 3000) i; ANALYZE {schema}.items"
        ));
    }
    fleet_up(QUEUE);
    let work = cli
        .run_env(&["work"], &[("MIGRATIONS_SCHEMA", "t1")])
        .expect_code(0);
    assert!(
        work.stdout.contains("worked 6000 row(s)") && work.stdout.contains("no job is left"),
        "{}",
        work.stdout
    );
    let filled = |schema: &str| {
        one(
            &db,
            &format!(
                "SELECT count(*) FILTER (WHERE touched = 1 AND email_lower = lower(email))::text || '/' || \
                 count(*) FILTER (WHERE touched = 0 AND email_lower IS NULL)::text FROM {schema}.items"
            ),
        )
    };
    assert_eq!(filled("t1"), "3000/0", "t1's rows filled");
    assert_eq!(filled("public"), "0/500", "public's table left alone");
    assert_eq!(filled("t2"), "0/3000", "t2 waits for its own worker");
    assert_eq!(job_states_in(&db, "t1"), ["finished 3000", "finished 3000"]);
    assert_eq!(job_states_in(&db, "t2"), ["active 0", "active 0"]);
    // t1's gate is open: its contract applies there.
    cli.run(&["fleet", "up", "--schemas", "t1"]).expect_code(0);
    assert_eq!(
        one(
            &db,
            "SELECT string_agg(n.nspname, ',') FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
             WHERE c.conname = 'items_touched'"
        ),
        "t1"
    );
    // A worker in the application's own session, which searches `public` first: t2's jobs run in t2, and
    // the session gets its own settings back.
    let mut client = db.client();
    client
        .batch_execute("SET search_path = public")
        .expect("search_path");
    let report = Migrator::new(tests::fixtures::jobs::REGISTRY.migrations.as_slice())
        .table(migrate_core::MigrationsTable::new("t2", "pgmigrations").expect("a valid table"))
        .work(&mut client, &WorkOptions::default(), &mut |_| {})
        .expect("the worker runs");
    assert_eq!((report.rows, report.finished.len()), (6000, 2));
    let setting: String = client
        .query_one("SELECT current_setting('search_path')", &[])
        .expect("reads the setting")
        .get(0);
    assert_eq!(setting, "public");
    assert_eq!(filled("t2"), "3000/0");
    assert_eq!(filled("public"), "0/500");
}

/// `down --recorded` of a migration that queued jobs (a newer release's, reverted with the `down` its row
/// recorded) cancels the jobs first, as the compiled `down` does: no worker runs them on the column it drops.
#[test]
fn down_recorded_cancels_the_jobs_of_the_migration_it_reverts() {
    let (db, cli) = items(2_000);
    cli.run(&["up", "1"]).expect_code(0);
    cli.run(&["work", "--job", "1", "--budget", "1ms"])
        .expect_code(0);
    let release_1 = cli.switch("jobs_r1");
    release_1.run(&["down", "--recorded"]).expect_code(0);
    let states = job_states(&db);
    assert!(
        states.iter().all(|s| s.starts_with("cancelled")),
        "{states:?}"
    );
    let work = cli.run(&["work"]).expect_code(0);
    assert!(
        work.stdout.contains("worked 0 row(s)") && work.stdout.contains("no job is left"),
        "{}",
        work.stdout
    );
}

/// A worker asked for a job or a migration that has none is an error, not a run that did nothing; one that
/// runs out of active jobs while a job it was given is paused names it, with what lets it go on.
#[test]
fn work_refuses_unknown_jobs_and_names_a_paused_one() {
    let (db, cli) = items(1_000);
    let unknown = cli.run(&["work", "--job", "424242"]).expect_code(1);
    assert!(
        unknown.stderr.contains("there is no background job 424242"),
        "{}",
        unknown.stderr
    );
    cli.run(&["up", "1"]).expect_code(0);
    let unknown = cli.run(&["work", "--job", "424242"]).expect_code(1);
    assert!(
        unknown.stderr.contains("there is no background job 424242"),
        "{}",
        unknown.stderr
    );
    let nope = cli.run(&["work", "--migration", "nope"]).expect_code(1);
    assert!(
        nope.stderr.contains(
            "there is no background job of migration \"nope\": no migration has that name"
        ),
        "{}",
        nope.stderr
    );
    let none = cli
        .run(&["work", "--migration", "20261201000001_create_items"])
        .expect_code(1);
    assert!(
        none.stderr
            .contains("that migration queues no background job"),
        "{}",
        none.stderr
    );
    cli.run(&["jobs", "pause", "1"]).expect_code(0);
    let work = cli.run(&["work"]).expect_code(0);
    assert!(
        !work.stdout.contains("no job is left")
            && work.stdout.contains(
                "no active job is left, and 1 job(s) it was given are not finished:\n  job 1 (20261201000002_queue_jobs #2, \"items\"): paused"
            )
            && work.stdout.contains("no worker runs it until it is resumed (`migrate jobs resume 1`)"),
        "{}",
        work.stdout
    );
    assert_eq!(job_states(&db), ["paused 0", "finished 1000"]);
    // By its migration's timestamp, as other commands take a name.
    cli.run(&["jobs", "resume", "1"]).expect_code(0);
    let work = cli
        .run(&["work", "--migration", "20261201000002"])
        .expect_code(0);
    assert!(work.stdout.contains("no job is left"), "{}", work.stdout);
    assert_eq!(job_states(&db), ["finished 1000", "finished 1000"]);
}

/// A change a job's state does not allow is refused in words written out, not made by appending letters.
#[test]
fn a_refused_change_says_cancelled_and_retried() {
    let (_db, cli) = items(100);
    cli.run(&["up", "--finish-jobs"]).expect_code(0);
    let cancel = cli.run(&["jobs", "cancel", "1"]).expect_code(1);
    assert!(
        cancel.stderr.contains(
            "background job 1 is finished: only a job that is active, paused or failed can be cancelled"
        ),
        "{}",
        cancel.stderr
    );
    let retry = cli.run(&["jobs", "retry", "1"]).expect_code(1);
    assert!(
        retry.stderr.contains(
            "background job 1 is finished: only a job that is failed or cancelled can be retried"
        ),
        "{}",
        retry.stderr
    );
}

/// Two `up --to NAME --finish-jobs` at once (replicas starting together): one runs the jobs and applies the
/// migration, the other finds it applied, and both succeed.
#[test]
fn two_runs_up_to_the_same_target_finishing_jobs_both_succeed() {
    let (db, cli) = items(2_000);
    let target = "20261201000003_check_touched";
    let barrier = std::sync::Barrier::new(2);
    let runs: Vec<tests::cli::Run> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    cli.run(&["up", "--to", target, "--finish-jobs"])
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("joins"))
            .collect()
    });
    for run in &runs {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    assert!(
        runs.iter().any(|r| r
            .stdout
            .contains(&format!("nothing to apply: {target} is applied on"))),
        "{runs:#?}"
    );
    assert_eq!(
        one(&db, "SELECT count(*)::text FROM public.pgmigrations"),
        "3"
    );
    assert_eq!(done_right(&db), "2000");
}

fn queue_outside_a_transaction(pgm: &mut migrate_dsl::prelude::MigrationBuilder) {
    pgm.no_transaction();
    pgm.create_index("items", ["email"]).concurrently();
    pgm.backfill("items", "touched = 1").in_background();
}

static OUTSIDE: [migrate_core::Migration; 1] = [migrate_core::Migration::defined(
    &migrate_core::Definition {
        name: "20261201000009_queue_outside_a_transaction",
        path: "tests/jobs.rs",
        source: "queue outside a transaction",
        up: queue_outside_a_transaction,
        down: None,
    },
)];

/// A migration outside a transaction queues its background backfill as one in a transaction does (its
/// statement was once sent as the comment it renders to, and no job existed).
#[test]
fn a_migration_outside_a_transaction_queues_its_jobs() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE items (id bigserial PRIMARY KEY, email text, touched int);
         INSERT INTO items (email) SELECT 'u' || i FROM generate_series(1, 1200) i;",
    );
    let migrator = Migrator::new(&OUTSIDE);
    migrator
        .run_up(&mut db.client(), &migrate_core::UpTarget::All, &mut |_| {})
        .expect("up");
    assert_eq!(
        one(&db, "SELECT count(*)::text FROM items WHERE touched = 1"),
        "0"
    );
    let jobs = migrator.jobs(&mut db.client()).expect("jobs");
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    migrator
        .work(&mut db.client(), &WorkOptions::default(), &mut |_| {})
        .expect("work");
    assert_eq!(
        one(&db, "SELECT count(*)::text FROM items WHERE touched = 1"),
        "1200"
    );
}
