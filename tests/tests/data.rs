//! Data code (`pgm.db`): runs at apply time in the migration's transaction, never while showing SQL, and a
//! failure rolls the whole migration back.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn data_code_runs_in_the_migration_and_sql_shows_where() {
    let db = TestDb::new();
    let cli = FixtureCli::new("data", &db);

    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("data_sql", sql, &["sql"]);
    let dry = cli.run(&["up", "--dry-run"]).expect_code(0);
    assert_eq!(dry.stdout, sql.stdout, "a dry run shows the same plan");
    assert!(db.tables().is_empty(), "showing SQL changed the database");

    cli.run(&["up"]).expect_code(0);
    assert_eq!(
        db.query_strings("SELECT slug FROM posts ORDER BY id"),
        [
            [Some("hello-world".to_owned())],
            [Some("second-post".to_owned())],
            [Some("why-rust".to_owned())]
        ]
    );

    // `--fake` records without running: the closure must not run either.
    cli.run(&["down"]).expect_code(0);
    db.exec("ALTER TABLE posts ADD COLUMN slug text");
    cli.run(&["up", "--fake"]).expect_code(0);
    assert_eq!(
        db.query_strings("SELECT count(*) FROM posts WHERE slug IS NULL"),
        [[Some("3".to_owned())]]
    );
}

#[test]
fn failing_data_code_rolls_the_migration_back() {
    let db = TestDb::new();
    let cli = FixtureCli::new("data_fails", &db);
    let up = cli.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("data_fails_up", up, &["up"]);
    assert_eq!(
        db.columns("posts"),
        ["id", "title"],
        "the new column stayed"
    );
    assert_eq!(
        db.query_strings("SELECT name FROM pgmigrations ORDER BY id"),
        [[Some("20260501000001_create_posts".to_owned())]]
    );
}
