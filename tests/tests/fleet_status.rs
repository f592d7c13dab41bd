//! `fleet status` at fleet scale: the schema targets of one database are read together (a query for their
//! tables, one for every migrations table), and what that gives is what reading each target alone gives.

use migrate_core::fleet::{Fleet, FleetOptions, Stop, Target, TargetStatus};
use migrate_core::Migrator;
use tests::fixtures::fleet;
use tests::fleet::PlainConnector;
use tests::TestDb;

const TENANTS: usize = 40;

fn schema(i: usize) -> String {
    format!("s{i:02}")
}

fn statuses(db: &TestDb, targets: Vec<Target>) -> Vec<TargetStatus> {
    let connector = PlainConnector {
        default_url: db.url().to_owned(),
    };
    let fleet = Fleet::new(
        Migrator::new(fleet::REGISTRY.migrations.as_slice()),
        targets,
        &connector,
        FleetOptions::default(),
    )
    .expect("a fleet");
    fleet.status(&Stop::new(), &|_| {})
}

/// The transactions the server counted for `db` while `run` ran (its sessions' counts are sent when they end).
fn transactions_of(db: &TestDb, run: impl FnOnce()) -> i64 {
    let mut admin = postgres::Client::connect(db.admin_url(), postgres::NoTls).expect("admin");
    let mut read = || -> i64 {
        admin
            .query_one(
                "SELECT xact_commit FROM pg_catalog.pg_stat_database WHERE datname = $1",
                &[&db.name()],
            )
            .expect("stats")
            .get(0)
    };
    let before = read();
    run();
    db.wait_for_runner_sessions_to_end();
    let mut last = read();
    for _ in 0..30 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = read();
        if now == last {
            break;
        }
        last = now;
    }
    last - before
}

// Forty schemas in every state `status` tells apart: current, behind, expanded, a changed file, a failure
// mark, a row newer than every file, a schema without the table, a schema that does not exist. Read together,
// each target's status is what reading it alone gives, and the whole read took fewer transactions on the
// server than there are targets.
#[test]
fn schema_targets_of_one_database_are_read_together_and_as_each_alone() {
    let db = TestDb::new();
    let cli = tests::cli::FixtureCli::with_url("fleet", db.url());
    let names: Vec<&str> = fleet::REGISTRY
        .migrations
        .as_slice()
        .iter()
        .map(|m| m.name())
        .collect();
    let all: Vec<String> = (1..=TENANTS).map(schema).collect();
    let current: Vec<String> = all[..TENANTS - 8].to_vec();
    cli.run(&["fleet", "up", "--schemas", &current.join(",")])
        .expect_code(0);
    let s = |i: usize| schema(TENANTS - 8 + i);
    cli.run(&["fleet", "up", "--schemas", &s(1), "--to", names[1]])
        .expect_code(0);
    cli.run(&[
        "fleet",
        "up",
        "--schemas",
        &format!("{},{},{},{}", s(2), s(3), s(4), s(5)),
        "--expand-only",
    ])
    .expect_code(0);
    // A changed file, a failure mark, a newer release's row.
    db.exec(&format!(
        "UPDATE {}.pgmigrations SET checksum = 'changed' WHERE name = '{}';
         CREATE TABLE {}.pgmigrations_failed (name text PRIMARY KEY, direction text NOT NULL, committed bigint NOT NULL,
           error text NOT NULL, failed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
           statements text[] NOT NULL DEFAULT '{{}}');
         INSERT INTO {}.pgmigrations_failed (name, direction, committed, error) VALUES ('{}', 'up', 1, 'by hand');
         INSERT INTO {}.pgmigrations (name, checksum, execution_ms) VALUES ('29990101000000_from_a_newer_release', 'x', 1);
         CREATE SCHEMA {}",
        s(2), names[0], s(3), s(3), names[3], s(4), s(6)
    ));
    // s(6) has no table (a schema made by hand); s(7) and s(8) do not exist.
    let targets: Vec<Target> = all.iter().map(Target::schema).collect();
    let mut together = Vec::new();
    let used = transactions_of(&db, || together = statuses(&db, targets.clone()));
    let mut alone = Vec::new();
    let used_alone = transactions_of(&db, || {
        alone = targets
            .iter()
            .map(|t| statuses(&db, vec![t.clone()]).remove(0))
            .collect();
    });
    eprintln!(
        "{TENANTS} schema targets read in {used} transaction(s) together, {used_alone} one by one"
    );
    assert!(
        used * 3 < used_alone,
        "{used} transactions together, {used_alone} one by one"
    );
    for ((t, read), alone) in targets.iter().zip(&together).zip(&alone) {
        let mut read = read.clone();
        read.duration = alone.duration;
        assert_eq!(&read, alone, "{}", t.name);
    }
    // The states are the ones set up, so the comparison covered each.
    let problems: Vec<usize> = together.iter().map(|s| s.problems.len()).collect();
    assert!(
        problems[TENANTS - 8 + 1] > 0
            && problems[TENANTS - 8 + 2] > 0
            && problems[TENANTS - 8 + 3] > 0,
        "{together:#?}"
    );
    assert_eq!(together[0].applied, names.len());
    assert_eq!(together[TENANTS - 8].applied, 2);
    assert_eq!(
        (together[TENANTS - 2].applied, together[TENANTS - 1].applied),
        (0, 0)
    );
}
