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

/// The plan shows the real key columns where the table exists, and says why not where it does not (yet), or
/// has no primary key, or when there is no database to ask.
#[test]
fn the_plan_shows_the_key_columns_or_says_why_it_cannot() {
    let db = TestDb::new();
    let cli = FixtureCli::new("backfill", &db);
    let keys = |sql: &str| {
        sql.lines()
            .filter(|l| l.starts_with("-- "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };

    // Nothing applied: the tables are created earlier in the same run.
    let pending = cli.run(&["sql"]).expect_code(0);
    let lines = keys(&pending.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with(r#"-- <primary key>: "items" does not exist in the database yet"#)),
        "{}",
        pending.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(r#"WHERE <primary key> IN (SELECT <primary key> FROM "items""#)),
        "{}",
        pending.stdout
    );

    // No database at all (`sql NAME`): the placeholder, with what it stands for.
    let named = FixtureCli::with_url("backfill", "postgres://nobody@127.0.0.1:1/none")
        .run(&["sql", "20260701000003"])
        .expect_code(0);
    assert!(
        named.stdout.contains(
            "-- <primary key>: the table's primary key columns, read when the backfill starts"
        ),
        "{}",
        named.stdout
    );

    // The tables exist: single and composite keys (the snapshot in the test above pins the whole plan).
    cli.run(&["up", "2"]).expect_code(0);
    let ready = cli.run(&["up", "--dry-run"]).expect_code(0);
    assert!(
        ready.stdout.contains(
            r#"-- each batch: UPDATE "items" SET doubled = v * 2 WHERE "id" IN (SELECT "id" FROM "items" WHERE "id" > $1 AND (doubled IS NULL) ORDER BY "id" LIMIT 1000)"#
        ),
        "{}",
        ready.stdout
    );
    assert!(
        ready.stdout.contains(
            r#"-- each batch: SELECT * FROM "pairs" WHERE ("a", "b") > ($1, $2) ORDER BY "a", "b" LIMIT 300 and Rust code"#
        ),
        "{}",
        ready.stdout
    );
    assert!(!ready.stdout.contains("<primary key>"), "{}", ready.stdout);

    // A table without a primary key: the backfill would fail, and the plan says so before it runs.
    db.exec("ALTER TABLE pairs DROP CONSTRAINT pairs_pkey");
    let keyless = cli.run(&["sql"]).expect_code(0);
    assert!(
        keyless.stdout.contains(
            r#"-- "pairs" has no primary key, so this backfill will fail when it starts"#
        ),
        "{}",
        keyless.stdout
    );
}
