//! Safe recipes: `set_not_null` runs in three transactions, can be run again after a failure, and its
//! derived down restores the catalog.

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
fn set_not_null_runs_in_three_transactions_and_can_run_again_after_a_failure() {
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
                .contains("1 statement(s) of earlier ones were committed"),
        "{}",
        failed.stderr
    );
    let nullable = || {
        db.query_strings(
            "SELECT is_nullable::text FROM information_schema.columns WHERE table_name = 'comments' AND column_name = 'body'",
        )
    };
    assert_eq!(nullable(), [[Some("YES".to_owned())]]);

    // The committed part blocks `up` until it is repaired.
    let blocked = cli.run(&["up"]).expect_code(1);
    assert!(
        blocked.stderr.contains("failed part-way"),
        "{}",
        blocked.stderr
    );
    // It names the statement of the first transaction, which was committed.
    assert!(
        blocked.stderr.contains(
            r#"  committed: #1 (set_not_null): ALTER TABLE "comments" DROP CONSTRAINT IF EXISTS "comments_body_not_null", ADD CONSTRAINT"#
        ),
        "{}",
        blocked.stderr
    );

    // Fix the data, repair, and run the same migration again: the leftover check from the failed run is
    // replaced.
    db.exec("UPDATE comments SET body = '' WHERE body IS NULL");
    cli.run(&["repair", "20261001000002_body_not_null"])
        .expect_code(0);
    cli.run(&["up"]).expect_code(0);
    assert_eq!(nullable(), [[Some("NO".to_owned())]]);
    assert_eq!(
        db.query_strings(
            "SELECT count(*)::text FROM pg_constraint WHERE conname = 'comments_body_not_null'"
        ),
        [[Some("0".to_owned())]],
        "the temporary check is dropped"
    );
}
