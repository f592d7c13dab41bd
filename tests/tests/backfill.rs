//! Batched backfills: keyset batches each committed on their own, SQL or Rust per batch, any primary key,
//! and resuming after an interruption without redoing finished batches.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

fn count(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

#[test]
fn backfills_every_row_in_batches_and_sql_shows_the_plan() {
    let db = TestDb::new();
    let cli = FixtureCli::new("backfill", &db);
    cli.run(&["up", "2"]).expect_code(0);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("backfill_sql", sql, &["sql"]);

    let up = cli.run(&["up"]).expect_code(0);
    assert!(
        up.stdout
            .contains("applied  20260701000003_backfill_doubled"),
        "{}",
        up.stdout
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "10500"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pairs WHERE label = a || '/' || b"
        ),
        "2500"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM public.pgmigrations_backfill"),
        "0",
        "finished backfills leave no progress behind"
    );
}

#[test]
fn an_interrupted_backfill_resumes_after_its_last_committed_batch() {
    let db = TestDb::new();
    let cli = FixtureCli::new("backfill_resume", &db);
    let failed = cli.run(&["up"]).expect_code(1);
    assert!(
        failed.stderr.contains("interrupted at row 5001"),
        "{}",
        failed.stderr
    );
    // Five batches of 1000 were committed, with their progress.
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE doubled IS NOT NULL"),
        "5000"
    );
    assert_eq!(
        db.query_strings("SELECT cursor::text, rows_done::text FROM public.pgmigrations_backfill"),
        [[Some("{5000}".to_owned()), Some("5000".to_owned())]]
    );

    db.exec("INSERT INTO gate VALUES (true)");
    cli.run(&["up"]).expect_code(0);
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "10000"
    );
    // Every row was handled exactly once: the second run started after row 5000.
    assert_eq!(count(&db, "SELECT count(*) FROM handled"), "10000");
    assert_eq!(
        count(&db, "SELECT count(DISTINCT id) FROM handled"),
        "10000"
    );
}
