//! `verify`: every migration's down must undo its up, checked on a scratch database.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn verify_passes_when_every_down_undoes_its_up() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let run = cli.run(&["verify"]).expect_code(0);
    assert_cli_snapshot!("verify_ok", run, &["verify"]);
    assert!(db.tables().is_empty(), "verify touched the target database");
}

#[test]
fn verify_shows_what_a_down_leaves_behind() {
    let db = TestDb::new();
    let cli = FixtureCli::new("bad_down", &db);
    let run = cli.run(&["verify"]).expect_code(1);
    assert_cli_snapshot!("verify_diff", run, &["verify"]);
    let leftovers = db.query_strings(
        "SELECT datname::text FROM pg_database WHERE datname LIKE '%\\_verify\\_%' AND datname LIKE current_database() || '%'",
    );
    assert!(
        leftovers.is_empty(),
        "scratch database left behind: {leftovers:?}"
    );
}

// Migrations whose `down` does not run by design are skipped, with their reason, and stay
// applied so that the ones after them are checked; the run passes.
#[test]
fn verify_skips_irreversible_and_forward_only_migrations_and_checks_the_rest() {
    let db = TestDb::new();
    let cli = FixtureCli::new("verify_skips", &db);
    let run = cli.run(&["verify"]).expect_code(0);
    assert_cli_snapshot!("verify_skips", run, &["verify"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    for checked in [
        "ok    20260701000001_create_accounts",
        "ok    20260701000003_add_email",
        "ok    20260701000006_add_flag",
    ] {
        assert!(
            lines.contains(&checked),
            "{checked} missing:\n{}",
            run.stdout
        );
    }
    for skipped in [
        "20260701000002_archive_notes",
        "20260701000004_index_email",
        "20260701000005_drop_archive",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("skip  {skipped}: "))),
            "{skipped} not listed as skipped:\n{}",
            run.stdout
        );
    }
    assert!(db.tables().is_empty(), "verify touched the target database");
}

// With generated rows in every table: a down that drops the column its up filled loses data (named, with the
// column the values went to), and an up that fails on the rows names them (NULLs met by a plain SET NOT
// NULL and by the safe recipe's VALIDATE, the duplicated key of a unique index); each failing up is applied
// again on empty tables so the migrations after it are still checked, and the migration that keeps every
// value passes.
#[test]
fn verify_with_data_names_the_down_that_loses_data_and_the_rows_an_up_fails_on() {
    let db = TestDb::new();
    let cli = FixtureCli::new("verify_data", &db);
    let run = cli.run(&["verify", "--with-data"]).expect_code(1);
    assert_cli_snapshot!("verify_with_data", run, &["verify", "--with-data"]);
    assert!(db.tables().is_empty(), "verify touched the target database");
}

/// The JSON names each finding's kind, table and column; the same seed gives the same findings, row for row.
#[test]
fn verify_with_data_json_is_repeatable_with_its_seed() {
    let db = TestDb::new();
    let cli = FixtureCli::new("verify_data", &db);
    let args = [
        "verify",
        "--with-data",
        "--json",
        "--seed",
        "5",
        "--rows",
        "300",
        "--rows",
        "users=80",
    ];
    let first = cli.run(&args).expect_code(1);
    let again = cli.run(&args).expect_code(1);
    assert_eq!(
        first.stdout, again.stdout,
        "the same seed gave other results"
    );
    let json: serde_json::Value =
        serde_json::from_str(&first.stdout).expect("verify --json prints JSON");
    assert_eq!(json["with_data"]["seed"], 5);
    assert_eq!(json["with_data"]["rows"], 300);
    assert_eq!(json["with_data"]["per_table"]["users"], 80);
    assert_eq!(json["failed"], 4);
    let migrations = json["migrations"].as_array().expect("migrations");
    let verdicts: Vec<&str> = migrations
        .iter()
        .map(|m| m["verdict"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        verdicts,
        ["ok", "failed", "failed", "failed", "failed", "ok", "ok", "ok"]
    );
    let problem = |i: usize| &migrations[i]["problems"][0];
    assert_eq!(problem(1)["kind"], "values_lost");
    assert_eq!(problem(1)["finding"]["table"], "comments");
    assert_eq!(problem(1)["finding"]["column"], "contents");
    assert_eq!(problem(1)["finding"]["moved_to"], "body");
    assert_eq!(problem(1)["finding"]["moved_to_dropped"], true);
    // The rows it is about, by primary key, as they were and as the down left them.
    let example = problem(1)["rows_at_fault"].as_str().unwrap_or_default();
    assert!(
        example.starts_with("e.g. id=") && example.contains("' became NULL"),
        "{example}"
    );
    for (i, rows) in [(2, " of 80 row(s) of users have email NULL, e.g. id="), (4, " row(s) of comments break comments_user_id_not_null, CHECK (user_id IS NOT NULL), e.g. id=")] {
        assert_eq!(problem(i)["kind"], "up_fails_on_rows");
        let at_fault = problem(i)["rows_at_fault"].as_str().unwrap_or_default();
        assert!(at_fault.contains(rows), "{at_fault}");
    }
    assert_eq!(problem(3)["kind"], "up_fails_on_rows");
    let duplicated = problem(3)["message"].as_str().unwrap_or_default();
    assert!(
        duplicated.contains("Key (nickname)=(") && duplicated.contains("is duplicated"),
        "{duplicated}"
    );
    // The users the first migration's tables got, as asked: 80, fewer only where a unique index or a check
    // refused some (neither does here).
    let filled = migrations[1]["rows"]["filled"]
        .as_array()
        .expect("tables filled");
    assert_eq!(filled.len(), 2, "{filled:?}");
}

/// A row count that is not one, or rows without `--with-data`, is refused before anything is made.
#[test]
fn verify_refuses_rows_it_cannot_read() {
    let db = TestDb::new();
    let cli = FixtureCli::new("verify_data", &db);
    let bad = cli
        .run(&["verify", "--with-data", "--rows", "users=many"])
        .expect_code(2);
    assert!(
        bad.stderr
            .contains("\"many\" is not a number of rows (write N, or TABLE=N)"),
        "{}",
        bad.stderr
    );
    // A count for a table that does not exist is a warning (a misspelt name), not an error.
    let misspelt = cli
        .run(&["verify", "--with-data", "--rows", "oders=9"])
        .expect_code(1);
    assert!(
        misspelt.stderr.contains(
            "warning: rows were set for table \"oders\", but no table of that name was filled"
        ),
        "{}",
        misspelt.stderr
    );
    let without = cli.run(&["verify", "--rows", "10"]).expect_code(2);
    assert!(without.stderr.contains("--with-data"), "{}", without.stderr);
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[verify.rows_per_table]\norders = 3000000000\n",
    )
    .expect("migrate.toml");
    let too_many = cli.run(&["verify", "--with-data"]);
    assert_ne!(too_many.code, 0);
    assert!(
        too_many
            .stderr
            .contains("migrate.toml: [verify.rows_per_table] orders = 3000000000: 3000000000 is not in 0..=2147483647 (as for verify --rows TABLE=N)"),
        "{}",
        too_many.stderr
    );
    assert!(db.tables().is_empty());
    let leftovers = db.query_strings(
        "SELECT datname::text FROM pg_database WHERE datname LIKE current_database() || '\\_verify\\_%'",
    );
    assert!(leftovers.is_empty(), "scratch database made: {leftovers:?}");
}
