//! Background jobs over a fleet: `fleet work` runs each tenant's jobs in the tenant's own schema, killed
//! (SIGKILL) and run again; `fleet jobs` shows them per tenant and in total; the migration that needs them
//! passes its gate on exactly the tenants whose jobs finished.

use std::time::{Duration, Instant};

use tests::cli::{runner, FixtureCli};
use tests::fleet::json;
use tests::TestDb;

const QUEUE: &str = "20261201000002_queue_jobs";
const TENANTS: usize = 20;
const ROWS: usize = 3000;

fn tenants(range: std::ops::RangeInclusive<usize>) -> String {
    range
        .map(|i| format!("t{i:02}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

/// `done/untouched` rows of `schema.items`: touched once with their lower-case email, or not at all; a row
/// touched twice counts in neither.
fn filled(db: &TestDb, schema: &str) -> String {
    one(
        db,
        &format!(
            "SELECT count(*) FILTER (WHERE touched = 1 AND email_lower = lower(email))::text || '/' || \
             count(*) FILTER (WHERE touched = 0 AND email_lower IS NULL)::text FROM {schema}.items"
        ),
    )
}

/// Batches committed over every tenant.
fn batches_done(db: &TestDb) -> i64 {
    let union: Vec<String> = (1..=TENANTS)
        .map(|i| {
            format!("SELECT count(*) AS n FROM t{i:02}.pgmigrations_batches WHERE state = 'done'")
        })
        .collect();
    one(
        db,
        &format!("SELECT sum(n)::text FROM ({}) b", union.join(" UNION ALL ")),
    )
    .parse()
    .expect("a count")
}

#[test]
fn tenant_jobs_are_worked_in_their_own_schemas_and_gate_each_tenant() {
    let db = TestDb::new();
    let cli = FixtureCli::new("jobs", &db);
    let all = tenants(1..=TENANTS);
    // A table of the same name in public, which a worker's own session would find first.
    db.exec(
        "CREATE TABLE public.items (id bigserial PRIMARY KEY, touched integer NOT NULL DEFAULT 0, email text, \
         email_lower text); INSERT INTO public.items (email) SELECT 'P' || i FROM generate_series(1, 500) i",
    );
    cli.run(&[
        "fleet",
        "up",
        "--schemas",
        &all,
        "--to",
        "20261201000001_create_items",
    ])
    .expect_code(0);
    for i in 1..=TENANTS {
        db.exec(&format!(
            "INSERT INTO t{i:02}.items (email) SELECT 'User' || g || '@Example.COM' \
             FROM generate_series(1, {ROWS}) g; ANALYZE t{i:02}.items"
        ));
    }
    cli.run(&["fleet", "up", "--schemas", &all, "--to", QUEUE])
        .expect_code(0);

    // Queued everywhere, none worked: listed per tenant and in total, and a gate for CI.
    let jobs = json(
        &cli.run(&["fleet", "jobs", "--schemas", &all, "--json"])
            .expect_code(0),
    );
    let summary = &jobs["summary"];
    assert_eq!(
        (
            summary["jobs"].as_u64(),
            summary["active"].as_u64(),
            summary["targets_unfinished"].as_u64()
        ),
        (
            Some(2 * TENANTS as u64),
            Some(2 * TENANTS as u64),
            Some(TENANTS as u64)
        ),
        "{jobs:#}"
    );
    assert_eq!(jobs["targets"][0]["jobs"].as_array().map(Vec::len), Some(2));
    let text = cli
        .run(&["fleet", "jobs", "--schemas", &all, "--fail-on-unfinished"])
        .expect_code(5);
    assert!(
        text.stdout.contains(&format!(
            "fleet jobs: {TENANTS} target(s), {} job(s): {} active",
            2 * TENANTS,
            2 * TENANTS
        )),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.lines().any(|l| l.starts_with("t07: job ")),
        "{}",
        text.stdout
    );

    // `fleet work` killed twice once batches are committing, then run to the end.
    for round in 0..2 {
        let before = batches_done(&db);
        let mut child = runner("jobs")
            .env("DATABASE_URL", db.url())
            .args(["fleet", "work", "--schemas", &all, "--parallel", "4"])
            .spawn()
            .expect("start fleet work");
        let waited = Instant::now();
        while batches_done(&db) < before + 10 + 5 * round {
            assert!(
                waited.elapsed() < Duration::from_secs(120),
                "no batch committed"
            );
            assert!(
                child.try_wait().expect("the worker").is_none(),
                "fleet work ended before the kill"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        db.wait_for_runner_sessions_to_end();
    }
    let killed_at = batches_done(&db);
    eprintln!("killed twice, at {killed_at} batches committed over {TENANTS} tenants");
    // The first half of the tenants to the end: their gates open, the others' stay shut.
    let first = tenants(1..=TENANTS / 2);
    let work = cli
        .run(&["fleet", "work", "--schemas", &first])
        .expect_code(0);
    assert!(
        work.stdout
            .contains(&format!("fleet work: {} target(s)", TENANTS / 2))
            && work.stdout.contains(", 0 failed"),
        "{}",
        work.stdout
    );
    let gated = json(
        &cli.run(&[
            "fleet",
            "up",
            "--schemas",
            &all,
            "--on-error",
            "continue",
            "--json",
        ])
        .expect_code(1),
    );
    for (i, target) in gated["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .enumerate()
    {
        let expected = if i < TENANTS / 2 { "done" } else { "failed" };
        assert_eq!(target["state"], expected, "{target:#}");
        if expected == "failed" {
            let message = target["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(QUEUE), "{message}");
        }
    }
    // The rest.
    let work = json(
        &cli.run(&["fleet", "work", "--schemas", &all, "--json"])
            .expect_code(0),
    );
    assert_eq!(work["summary"]["failed"], 0, "{work:#}");
    for i in 1..=TENANTS {
        assert_eq!(
            filled(&db, &format!("t{i:02}")),
            format!("{ROWS}/0"),
            "t{i:02}"
        );
    }
    assert_eq!(filled(&db, "public"), "0/500", "public's table left alone");
    let jobs = json(
        &cli.run(&[
            "fleet",
            "jobs",
            "--schemas",
            &all,
            "--json",
            "--fail-on-unfinished",
        ])
        .expect_code(0),
    );
    assert_eq!(jobs["summary"]["finished"], 2 * TENANTS as u64, "{jobs:#}");
    assert_eq!(
        jobs["summary"]["rows_done"],
        (2 * TENANTS * ROWS) as u64,
        "{jobs:#}"
    );
    cli.run(&["fleet", "up", "--schemas", &all]).expect_code(0);
}
