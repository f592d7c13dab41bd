//! Safe recipes: `set_not_null` runs in three transactions, is continued after a failure, and its derived
//! down restores the catalog.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::roundtrip::Case;
use tests::TestDb;

#[test]
fn set_not_null_round_trip() {
    let case = Case::new("CREATE TABLE comments (id bigint PRIMARY KEY, body text)");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.set_not_null("comments", "body");
    }));
}

#[test]
fn set_not_null_runs_in_three_transactions_and_is_continued_after_a_failure() {
    let db = TestDb::new();
    let cli = FixtureCli::new("not_null", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("not_null_sql", sql, &["sql"]);

    let failed = cli.run(&["up"]).expect_code(1);
    assert!(
        failed.stderr.contains("is violated by some row")
            && failed
                .stderr
                .contains("1 of its 4 statement(s) took effect and are kept"),
        "{}",
        failed.stderr
    );
    let nullable = || {
        db.query_strings(
            "SELECT is_nullable::text FROM information_schema.columns WHERE table_name = 'comments' AND column_name = 'body'",
        )
    };
    assert_eq!(nullable(), [[Some("YES".to_owned())]]);
    // Nothing for a person: the check that took effect is recorded, `status` says the next `up` continues.
    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains(
            "IN PROGRESS: 20261001000002_body_not_null was stopped part-way during `up`: 1 statement(s) took effect"
        ),
        "{}",
        status.stdout
    );

    // Fix the data and run `up` again: it continues with the VALIDATE, the check is not added again.
    db.exec("UPDATE comments SET body = '' WHERE body IS NULL");
    let again = cli.run(&["up"]).expect_code(0);
    assert!(
        again
            .stdout
            .contains("continuing up of 20261001000002_body_not_null: 1 of its 4 statement(s)"),
        "{}",
        again.stdout
    );
    assert_eq!(nullable(), [[Some("NO".to_owned())]]);
    assert_eq!(
        db.query_strings(
            "SELECT count(*)::text FROM pg_constraint WHERE conname = 'comments_body_not_null'"
        ),
        [[Some("0".to_owned())]],
        "the temporary check is dropped"
    );
}
