//! `migrate review` of data steps against a "production" database of 300,000 orders: a backfill, a
//! background job and a foreign key validation are estimated from their rows (production's planner for the
//! backfill's and the job's conditions when the role may read the table, else the table's rows labelled as
//! an upper bound) at the rate the calibration measured, never as catalog-only statements.

use serde_json::Value;
use tests::cli::FixtureCli;
use tests::role::Role;
use tests::TestDb;

use super::review::statement;

const FIXTURE: &str = "review_estimates";
const ROWS: u64 = 300_000;

/// Production: the fixture's first migration, 100 warehouses and `ROWS` orders, a tenth without a note, a
/// fifth without a total; analysed.
fn production() -> TestDb {
    let db = TestDb::new();
    FixtureCli::new(FIXTURE, &db)
        .run(&["up", "1"])
        .expect_code(0);
    db.exec(&format!(
        "INSERT INTO warehouses SELECT i, 'warehouse ' || i FROM generate_series(1, 100) i;
         INSERT INTO orders SELECT i, CASE WHEN i % 10 <> 0 THEN 'note ' || i END,
           CASE WHEN i % 5 <> 0 THEN i % 1000 END, 1 + i % 100 FROM generate_series(1, {ROWS}) i;"
    ));
    db.exec("VACUUM ANALYZE orders");
    db.exec("VACUUM ANALYZE warehouses");
    db
}

/// A role that may read statistics, and with `read_data` every table's rows as well.
fn role(db: &TestDb, read_data: bool) -> Role {
    let role = Role::new(db, if read_data { "reader" } else { "stats" });
    db.exec(&format!("GRANT pg_read_all_stats TO \"{}\"", role.name));
    if read_data {
        role.grant_read_all_data(db);
    }
    role
}

fn review(cli: &FixtureCli, role: &Role, prod: &TestDb) -> Value {
    let run = cli
        .run(&[
            "review",
            "--production-url",
            &role.url(prod),
            "--calibration-rows",
            "20000",
            "--format",
            "json",
        ])
        .expect_code(0);
    serde_json::from_str(&run.stdout).expect("JSON")
}

/// The rows a statement's estimate counts, and whether they are an upper bound.
fn rows(s: &Value) -> (f64, bool) {
    (
        s["rows"]["rows"]
            .as_f64()
            .unwrap_or_else(|| panic!("rows: {s:#}")),
        s["rows"]["upper_bound"].as_bool().expect("upper_bound"),
    )
}

fn near(value: f64, expected: f64) -> bool {
    (value - expected).abs() <= expected * 0.3
}

#[test]
fn backfills_jobs_and_validations_are_estimated_from_their_rows_never_catalog_only() {
    let prod = production();
    let target = TestDb::new();
    let cli = FixtureCli::new(FIXTURE, &target);
    cli.run(&["up", "1"]).expect_code(0);

    // A role that may read the rows: the planner estimates each condition.
    let reader = role(&prod, true);
    let planned = review(&cli, &reader, &prod);
    let backfill = statement(&planned, "backfill_notes", 0);
    assert_eq!(backfill["work"], "backfill", "{backfill:#}");
    let (n, bound) = rows(backfill);
    assert!(near(n, ROWS as f64 / 10.0) && !bound, "{backfill:#}");
    let estimate = &backfill["estimate"];
    assert!(
        estimate["seconds"].as_f64().expect("seconds") > 0.0,
        "{backfill:#}"
    );
    let basis = estimate["basis"].as_str().expect("basis");
    assert!(
        basis.contains("production's planner, for its condition") && basis.contains("rows/s"),
        "{basis}"
    );
    assert!(!basis.contains("catalog only"), "{basis}");

    let job = statement(&planned, "queue_totals", 0);
    assert_eq!(job["work"], "job", "{job:#}");
    let (n, bound) = rows(job);
    assert!(near(n, ROWS as f64 / 5.0) && !bound, "{job:#}");
    assert!(
        job["estimate"]["job_seconds"]
            .as_f64()
            .expect("the job's duration")
            > 0.0,
        "{job:#}"
    );
    assert!(
        job["estimate"]["basis"]
            .as_str()
            .is_some_and(|b| b.contains("after the deploy, which does not wait for it")),
        "{job:#}"
    );

    let validate = statement(&planned, "warehouse_fk", 1);
    assert_eq!(validate["work"], "validate_foreign_key", "{validate:#}");
    let (n, bound) = rows(validate);
    assert!(near(n, ROWS as f64) && !bound, "{validate:#}");

    // A role that may only read statistics: the planner cannot be asked, so the table's rows bound them.
    let stats = role(&prod, false);
    let bounded = review(&cli, &stats, &prod);
    let backfill = statement(&bounded, "backfill_notes", 0);
    let (n, bound) = rows(backfill);
    assert!(near(n, ROWS as f64) && bound, "{backfill:#}");
    let basis = backfill["rows"]["basis"].as_str().expect("basis");
    assert!(
        basis.contains("an upper bound") && basis.contains("pg_read_all_data"),
        "{basis}"
    );
    assert!(
        backfill["estimate"]["seconds"].as_f64().is_some(),
        "{backfill:#}"
    );

    // As printed: the rows, and the job's own duration apart from the deploy's.
    let text = cli
        .run(&[
            "review",
            "--production-url",
            &stats.url(&prod),
            "--calibration-rows",
            "20000",
        ])
        .expect_code(0);
    assert!(
        text.stdout
            .contains("work:     updates up to 300k rows in batches (orders"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("after the deploy (it does not hold the deploy)"),
        "{}",
        text.stdout
    );
}
