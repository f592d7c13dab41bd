//! `VALIDATE CONSTRAINT` runs in a transaction of its own, after the `ADD ... NOT VALID` before it commits.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

fn constraint(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings(
        "SELECT conname::text, convalidated::text FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'c'",
    )
}

#[test]
fn validate_is_split_from_the_add_and_a_failure_says_what_was_committed() {
    let db = TestDb::new();
    let cli = FixtureCli::new("validate", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("validate_sql", sql, &["sql"]);

    let failed = cli.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("validate_fails", failed, &["up"]);
    // The ADD committed on its own; the migration is not recorded.
    assert_eq!(
        constraint(&db),
        [[
            Some("orders_total_positive".to_owned()),
            Some("false".to_owned())
        ]]
    );
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM pgmigrations"),
        [[Some("1".to_owned())]]
    );
}

#[test]
fn validate_in_its_own_transaction_succeeds_on_valid_rows() {
    let db = TestDb::new();
    let cli = FixtureCli::new("validate", &db);
    cli.run(&["up", "1"]).expect_code(0);
    db.exec("UPDATE orders SET total = 0 WHERE total < 0");
    cli.run(&["up"]).expect_code(0);
    assert_eq!(
        constraint(&db),
        [[
            Some("orders_total_positive".to_owned()),
            Some("true".to_owned())
        ]]
    );
    // Its derived down drops the constraint again.
    cli.run(&["down"]).expect_code(0);
    assert!(constraint(&db).is_empty());
}
