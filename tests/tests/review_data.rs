//! Data preconditions: `migrate review --production-url` checks that each pending statement will succeed on
//! the rows production has, where its role may read them (NULLs before `SET NOT NULL`, duplicates before a
//! unique index, orphans before a foreign key is validated, values a type change cannot cast, and the
//! migration's own `pgm.precondition`), and with a statistics-only role says which checks it could not run
//! and the grant that lets it; `up` refuses a migration whose own precondition does not hold, before any of
//! its statements.

use std::time::Duration;

use migrate_core::production::preconditions::{self, Count, Deriver, Outcome, Read};
use tests::cli::FixtureCli;
use tests::role::Role;
use tests::TestDb;

const FIXTURE: &str = "review_data";

/// "Production": the shop's tables (the fixture's first migration) with rows each pending migration would
/// fail on: 3 duplicated emails, 500 orders without a note, 500 of an unknown warehouse, 3 quantities that
/// are not numbers, 30 cancelled (a status the narrowed type lacks).
/// What these tests check is what production's rows make fail, not how long a statement takes: the smallest
/// calibration keeps each review to seconds (the default, 200,000 rows a table, is the estimates' tests' subject).
const CALIBRATION_ROWS: &str = "1000";

fn production() -> TestDb {
    let db = TestDb::new();
    FixtureCli::new(FIXTURE, &db)
        .run(&["up", "1"])
        .expect_code(0);
    db.exec(
        "INSERT INTO warehouses SELECT i FROM generate_series(1, 10) i;
         INSERT INTO users SELECT i, 'user' || i || '@example.com' FROM generate_series(1, 1000) i;
         INSERT INTO users SELECT 1000 + i, 'user' || i || '@example.com' FROM generate_series(1, 3) i;
         INSERT INTO orders SELECT i, CASE WHEN i % 6 = 0 THEN NULL ELSE 'note ' || i END, i % 12 + 1,
           CASE WHEN i % 1000 = 0 THEN 'many' ELSE i::text END,
           CASE WHEN i % 100 = 0 THEN 'cancelled' ELSE 'paid' END::status
         FROM generate_series(1, 3000) i;
         ANALYZE;",
    );
    db
}

/// The database the migrations are applied to: the first migration applied, no rows.
fn target() -> (TestDb, FixtureCli) {
    let db = TestDb::new();
    let cli = FixtureCli::new(FIXTURE, &db);
    cli.run(&["up", "1"]).expect_code(0);
    (db, cli)
}

/// The review's lines about data: each migration's header and its data checks' and preconditions' findings,
/// the role's name (which is the test database's) filtered.
fn data_lines(stdout: &str, role: &Role) -> String {
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            l.starts_with("2026")
                || l.contains(": data-check")
                || l.contains(": would-fail:")
                || l.contains(": precondition:")
        })
        .collect();
    version_neutral(&lines.join("\n").replace(&role.name, "<role>"))
}

/// `text` with the grant of every table's rows, which PostgreSQL 14 added (`pg_read_all_data`), left out
/// where the review offers it beside `GRANT SELECT` and written `<grant every table>` where it is the only one
/// offered (before 14, `GRANT SELECT ON <table>`): the snapshots hold on every major, and
/// [`offers_the_grant_of_the_major`] checks the version's own words.
fn version_neutral(text: &str) -> String {
    text.replace(
        "`GRANT pg_read_all_data TO \"<role>\"` (every table) or ",
        "",
    )
    .replace(
        "`GRANT pg_read_all_data TO \"<role>\"` lets",
        "<grant every table> lets",
    )
    .replace(
        "`GRANT SELECT ON <table> TO \"<role>\"` lets",
        "<grant every table> lets",
    )
}

/// The review offers the grant the production server has: `pg_read_all_data` from PostgreSQL 14 (beside
/// `GRANT SELECT` on the tables), `GRANT SELECT` alone before.
fn offers_the_grant_of_the_major(stdout: &str, role: &Role, prod: &TestDb) {
    let text = stdout.replace(&role.name, "<role>");
    let every_table = "`GRANT pg_read_all_data TO \"<role>\"` (every table) or `GRANT SELECT ON \"orders\" TO \"<role>\"`";
    if prod.server_major() >= 14 {
        assert!(text.contains(every_table), "{stdout}");
    } else {
        assert!(
            !text.contains("pg_read_all_data")
                && text.contains("`GRANT SELECT ON \"orders\" TO \"<role>\"`"),
            "{stdout}"
        );
    }
}

/// Pins `text` as snapshot `name`, its volatile parts (the fixtures' folder, database names) filtered.
fn snapshot(name: &str, text: &str) {
    let filters = tests::cli::filters();
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn a_role_that_may_read_the_rows_finds_what_would_fail_on_production() {
    let prod = production();
    let reader = Role::new(&prod, "reader");
    reader.grant_read_all_data(&prod);
    let (_target, cli) = target();
    let url = reader.url(&prod);
    // A statement that would fail on production's rows is an error: exit 10, the report printed.
    let run = cli
        .run(&[
            "review",
            "--production-url",
            &url,
            "--calibration-rows",
            CALIBRATION_ROWS,
        ])
        .expect_code(10);
    let lines = data_lines(&run.stdout, &reader);
    for expected in [
        "would-fail: would fail on production: 500 rows of orders have note NULL (read whole)",
        "would-fail: would fail on production: 3 values of (\"email\") appear more than once in users (read whole)",
        "would-fail: would fail on production: 500 rows of orders have a warehouse_id with no match in warehouses (read whole)",
        "precondition \"no duplicate emails\" does not hold on production: 3 offending rows (email, count): \
         (user1@example.com,2); (user2@example.com,2); (user3@example.com,2)",
        "would-fail: would fail on production: a value of orders.qty does not cast to integer (USING \
         qty::integer): ERROR: invalid input syntax for type integer: \"many\"",
        "would-fail: would fail on production: 30 rows of orders have a status outside status_v2 (read whole)",
    ] {
        assert!(lines.contains(expected), "{expected:?} in:\n{}", run.stdout);
    }
    assert!(!lines.contains("not checked"), "{}", run.stdout);
    snapshot("review_data_reader", &lines);
}

#[test]
fn a_statistics_only_role_names_the_checks_it_could_not_run_and_the_grant() {
    let prod = production();
    let stats = Role::new(&prod, "stats");
    prod.exec(&format!("GRANT pg_read_all_stats TO \"{}\"", stats.name));
    let (_target, cli) = target();
    let url = stats.url(&prod);
    // Nothing was found to fail: warnings only, exit 0.
    let run = cli
        .run(&[
            "review",
            "--production-url",
            &url,
            "--calibration-rows",
            CALIBRATION_ROWS,
        ])
        .expect_code(0);
    let lines = data_lines(&run.stdout, &stats);
    assert!(!lines.contains("would-fail"), "{}", run.stdout);
    assert!(
        lines.contains(
            "not checked on production: no NULL in orders.note (role <role> may not read orders: it reads \
             statistics only); `GRANT SELECT ON \"orders\" TO \"<role>\"` lets the review check it"
        ),
        "{}",
        run.stdout
    );
    offers_the_grant_of_the_major(&run.stdout, &stats, &prod);
    snapshot("review_data_statistics_only", &lines);
}

#[test]
fn up_refuses_a_migration_whose_precondition_does_not_hold_and_applies_none_of_it() {
    let prod = production();
    let cli = FixtureCli::new(FIXTURE, &prod);
    // The payments' backfill first (no payment rows here), then the migration with the precondition.
    cli.run(&["up", "1"]).expect_code(0);
    let run = cli.run(&["up", "1"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    for expected in [
        "precondition \"no duplicate emails\" does not hold: its query returned rows; nothing of the migration ran",
        "offending rows (3):",
        "    (email, count)",
        "    (user1@example.com,2)",
        "    (user3@example.com,2)",
    ] {
        assert!(run.stderr.contains(expected), "{expected:?} in:\n{}", run.stderr);
    }
    // The column its first statement adds is not there, and the migration is not recorded.
    let added: i64 = prod
        .client()
        .query_one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email_verified'",
            &[],
        )
        .expect("catalog")
        .get(0);
    assert_eq!(added, 0);
    let applied: i64 = prod
        .client()
        .query_one("SELECT count(*) FROM pgmigrations", &[])
        .expect("bookkeeping")
        .get(0);
    assert_eq!(applied, 2, "the shop and the payments' backfill only");
    snapshot("up_precondition_refused", &run.stderr);

    // Once the data is fixed, the same migration applies.
    prod.exec("DELETE FROM users WHERE id > 1000");
    cli.run(&["up", "1"]).expect_code(0);
}

#[test]
fn outside_a_transaction_a_false_precondition_refuses_before_the_first_statement_commits() {
    let db = TestDb::new();
    let cli = FixtureCli::new("precondition_no_tx", &db);
    cli.run(&["up", "1"]).expect_code(0);
    db.exec("INSERT INTO users VALUES (1, 'a@example.com'), (2, 'a@example.com')");
    let run = cli.run(&["up"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "precondition \"no duplicate emails\" does not hold: its query returned false; nothing of the \
             migration ran"
        ),
        "{}",
        run.stderr
    );
    let added: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email_verified'",
            &[],
        )
        .expect("catalog")
        .get(0);
    assert_eq!(added, 0, "the first statement did not run");
    // Nothing of it ran, so nothing is in progress: once the data is fixed, a plain `up` applies it.
    db.exec("DELETE FROM users WHERE id = 2");
    cli.run(&["up"]).expect_code(0);
}

#[test]
fn a_table_too_big_to_read_in_time_is_checked_on_a_sample_the_result_names() {
    const ROWS: i64 = 2_000_000;
    let db = TestDb::new();
    db.exec(&format!(
        "CREATE TABLE big (id bigint PRIMARY KEY, note text);
         INSERT INTO big SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'n' END FROM generate_series(1, {ROWS}) i;
         ANALYZE big;"
    ));
    let checks = Deriver::new().statement("ALTER TABLE big ALTER COLUMN note SET NOT NULL");
    assert_eq!(checks.len(), 1, "{checks:?}");
    let mut client = db.client();
    // Reading 2,000,000 rows takes far longer than 200 ms; 1% of their pages, far less.
    let tight = Duration::from_millis(200);
    match preconditions::check(&mut client, &checks[0], tight).expect("the check") {
        Outcome::Fails {
            count: Count::About {
                estimate,
                in_sample,
            },
            read: Read::Sample { percent, after },
        } => {
            assert!(in_sample > 0);
            assert_eq!((percent, after), (preconditions::SAMPLE_PERCENT, tight));
            // A quarter of the rows, within what a sample of pages gives.
            let expected = ROWS as f64 / 4.0;
            assert!((estimate - expected).abs() < expected * 0.5, "{estimate}");
        }
        other => panic!("a sampled count: {other:?}"),
    }
    // With time enough, the whole table, counted exactly.
    let outcome =
        preconditions::check(&mut client, &checks[0], Duration::from_secs(60)).expect("the check");
    assert_eq!(
        outcome,
        Outcome::Fails {
            count: Count::Exact(ROWS as u64 / 4),
            read: Read::Whole
        }
    );
}

/// The review of a whole pull request on a production of 2,000,000 orders while an application writes to
/// them, once through a role that may read the rows and once through a statistics-only one: the backfill is
/// estimated from its rows (never "catalog only"), the stricter changes are contracts, and each statement
/// that would fail on production's rows is named with the rows that make it fail (or, for the
/// statistics-only role, the check it could not run and the grant that lets it). Durations are filtered out
/// of the snapshot: they are measured, not pinned.
#[test]
fn a_pull_request_reviewed_on_two_million_rows_under_writes_through_both_roles() {
    const ROWS: i64 = 2_000_000;
    let prod = TestDb::new();
    FixtureCli::new(FIXTURE, &prod)
        .run(&["up", "1"])
        .expect_code(0);
    // A quarter of the notes NULL, a sixth of the orders from a warehouse that does not exist, a
    // quantity in a thousand not a number, one order in a hundred cancelled, three emails twice.
    prod.exec(&format!(
        "INSERT INTO warehouses SELECT i FROM generate_series(1, 10) i;
         INSERT INTO users SELECT i, 'user' || i || '@example.com' FROM generate_series(1, 1000) i;
         INSERT INTO users SELECT 1000 + i, 'user' || i || '@example.com' FROM generate_series(1, 3) i;
         INSERT INTO orders SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'note ' || i END, i % 12 + 1,
           CASE WHEN i % 1000 = 0 THEN 'many' ELSE i::text END,
           CASE WHEN i % 100 = 0 THEN 'cancelled' ELSE 'paid' END::status
         FROM generate_series(1, {ROWS}) i;
         INSERT INTO payments SELECT i, i % 1000 + 0.99 FROM generate_series(1, {ROWS}) i;
         ANALYZE;"
    ));
    // The application: rewrites random orders' notes with the value they have (NULLs stay NULL), as long as
    // the reviews run.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let mut client = prod.client();
        std::thread::spawn(move || {
            let mut writes = 0u64;
            let mut id = 1i64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                id = (id * 7919 + 13) % ROWS + 1;
                client
                    .execute("UPDATE orders SET note = note WHERE id = $1", &[&id])
                    .expect("the application's write");
                writes += 1;
            }
            writes
        })
    };
    let reader = Role::new(&prod, "reader");
    reader.grant_read_all_data(&prod);
    let stats = Role::new(&prod, "stats");
    prod.exec(&format!("GRANT pg_read_all_stats TO \"{}\"", stats.name));
    let (_target, cli) = target();

    let read = cli
        .run(&[
            "review",
            "--production-url",
            &reader.url(&prod),
            "--calibration-rows",
            CALIBRATION_ROWS,
        ])
        .expect_code(10);
    // At 2,000,000 rows the in-place type change is an error by size for both (exit 10); only the reader
    // finds what would fail.
    let only_stats = cli
        .run(&[
            "review",
            "--production-url",
            &stats.url(&prod),
            "--calibration-rows",
            CALIBRATION_ROWS,
        ])
        .expect_code(10);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let writes = writer.join().expect("the writer");
    assert!(writes > 0, "the application wrote during the reviews");

    for run in [&read, &only_stats] {
        assert!(
            backfill_section(&run.stdout).contains("2.0M rows"),
            "the backfill is estimated from its rows:\n{}",
            run.stdout
        );
        assert!(
            !backfill_section(&run.stdout).contains("estimate: unknown"),
            "the backfill has an estimate:\n{}",
            run.stdout
        );
    }
    let found = data_lines(&read.stdout, &reader);
    for expected in [
        "would fail on production: 500,000 rows of orders have note NULL (read whole)",
        "would fail on production: 3 values of (\"email\") appear more than once in users (read whole)",
        "would fail on production: 333,332 rows of orders have a warehouse_id with no match in warehouses (read whole)",
        "a value of orders.qty does not cast to integer",
        "would fail on production: 20,000 rows of orders have a status outside status_v2 (read whole)",
    ] {
        assert!(found.contains(expected), "{expected:?} in:\n{}", read.stdout);
    }
    let not_run = data_lines(&only_stats.stdout, &stats);
    assert!(!not_run.contains("would-fail"), "{}", only_stats.stdout);
    offers_the_grant_of_the_major(&only_stats.stdout, &stats, &prod);
    let pinned = format!(
        "# pg_read_all_data\n{}\n{}\n\n# statistics only\n{}\n{}\n",
        summary_lines(&read.stdout),
        found,
        summary_lines(&only_stats.stdout),
        not_run
    );
    snapshot("review_data_two_million_rows", &pinned);
}

/// The text report's part about the backfill migration (from its header to the next migration's).
fn backfill_section(stdout: &str) -> String {
    let start = stdout
        .find("20261129000001_payment_amounts (")
        .unwrap_or_else(|| panic!("the backfill's migration in:\n{stdout}"));
    let rest = &stdout[start..];
    let end = rest[1..].find("\n2026").map_or(rest.len(), |i| i + 1);
    rest[..end].to_owned()
}

/// Each migration's header line and its statements' work lines, their numbers replaced by `[N]` and durations by
/// `[T]` (measured, so neither their figures nor their units are stable).
fn summary_lines(stdout: &str) -> String {
    stdout
        .lines()
        .filter(|l| l.starts_with("2026") || l.trim_start().starts_with("work:"))
        .map(|l| {
            if l.starts_with("2026") {
                return l.to_owned();
            }
            let mut out = numbers_masked(l);
            for unit in [" ms", " s", " min", " h"] {
                out = out.replace(&format!("[N]{unit}"), "[T]");
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with each run of digits (with the `,` and `.` inside it) replaced by `[N]`.
fn numbers_masked(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|n| n.is_ascii_digit() || *n == ',' || *n == '.')
            {
                chars.next();
            }
            out.push_str("[N]");
        } else {
            out.push(c);
        }
    }
    out
}
