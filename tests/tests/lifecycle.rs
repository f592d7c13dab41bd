//! The everyday loop, driven through the CLI against a fresh database per test: up, status, down, redo,
//! sql, dry runs, fakes, failures and non-transactional migrations.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn up_applies_everything_in_order_and_status_shows_it() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);

    let before = cli.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("basic_status_before", before, &["status"]);
    assert!(
        db.tables().is_empty(),
        "status must not create the migrations table: {:?}",
        db.tables()
    );

    let up = cli.run(&["up"]).expect_code(0);
    assert_cli_snapshot!("basic_up", up, &["up"]);
    assert_eq!(
        db.tables(),
        ["public.pgmigrations", "public.posts", "public.users"]
    );
    assert_eq!(db.columns("users"), ["id", "email", "display_name", "bio"]);
    assert_eq!(
        db.recorded(),
        [
            "20260101000001_create_users",
            "20260101000002_add_profile",
            "20260101000003_create_posts"
        ]
    );
    // run_on is distinct per row even though they ran in quick succession.
    let distinct = db.query_strings("SELECT count(DISTINCT run_on) FROM public.pgmigrations");
    assert_eq!(distinct[0][0].as_deref(), Some("3"));

    let status = cli.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("basic_status_after", status, &["status"]);

    let again = cli.run(&["up"]).expect_code(0);
    assert!(
        again.stdout.contains("nothing to apply"),
        "{}",
        again.stdout
    );
}

#[test]
fn down_reverts_exactly_the_last_one_and_restores_the_schema() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    cli.run(&["up", "2"]).expect_code(0);
    let after_two = db.schema_dump();
    cli.run(&["up"]).expect_code(0);
    assert_ne!(db.schema_dump(), after_two);

    let down = cli.run(&["down"]).expect_code(0);
    assert_cli_snapshot!("basic_down", down, &["down"]);
    assert_eq!(
        db.schema_dump(),
        after_two,
        "down must undo exactly the last migration"
    );
    assert_eq!(
        db.recorded(),
        ["20260101000001_create_users", "20260101000002_add_profile"]
    );

    // Derived down (no `down` fn) and explicit down, back to an empty schema.
    let empty = TestDb::new().schema_dump();
    cli.run(&["down", "2"]).expect_code(0);
    assert_eq!(db.schema_dump(), empty);
    assert!(db.recorded().is_empty());
}

#[test]
fn down_to_all_and_counts() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    cli.run(&["up"]).expect_code(0);

    // --to keeps the named migration applied.
    cli.run(&["down", "--to", "20260101000001_create_users"])
        .expect_code(0);
    assert_eq!(db.recorded(), ["20260101000001_create_users"]);

    let too_many = cli.run(&["down", "5"]).expect_code(1);
    assert_cli_snapshot!("down_too_many", too_many, &["down", "5"]);
    assert_eq!(db.recorded(), ["20260101000001_create_users"]);

    cli.run(&["up"]).expect_code(0);
    cli.run(&["down", "--all"]).expect_code(0);
    assert!(db.recorded().is_empty());
    assert_eq!(db.tables(), ["public.pgmigrations"]);

    let nothing = cli.run(&["down"]).expect_code(1);
    assert_cli_snapshot!("down_nothing_applied", nothing, &["down"]);

    let zero = cli.run(&["down", "0"]).expect_code(2);
    assert!(zero.stderr.contains("0 is not in 1.."), "{}", zero.stderr);
}

#[test]
fn up_count_and_to() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    cli.run(&["up", "1"]).expect_code(0);
    assert_eq!(db.recorded(), ["20260101000001_create_users"]);

    // A timestamp prefix names a migration too; --to is inclusive.
    cli.run(&["up", "--to", "20260101000002"]).expect_code(0);
    assert_eq!(db.recorded().len(), 2);

    let too_many = cli.run(&["up", "2"]).expect_code(1);
    assert_cli_snapshot!("up_too_many", too_many, &["up", "2"]);

    let unknown = cli
        .run(&["up", "--to", "20990101000000_nope"])
        .expect_code(1);
    assert_cli_snapshot!(
        "up_to_unknown",
        unknown,
        &["up", "--to", "20990101000000_nope"]
    );

    let conflict = cli
        .run(&["up", "1", "--to", "20260101000003"])
        .expect_code(2);
    assert!(
        conflict.stderr.contains("cannot be used with"),
        "{}",
        conflict.stderr
    );
    assert_eq!(db.recorded().len(), 2);
}

#[test]
fn redo_reapplies_exactly_what_it_reverted() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    cli.run(&["up", "2"]).expect_code(0);
    let before = db.schema_dump();
    let redo = cli.run(&["redo"]).expect_code(0);
    assert_cli_snapshot!("basic_redo", redo, &["redo"]);
    assert_eq!(db.schema_dump(), before);
    // The third migration was pending before and stays pending: redo is not "down then up everything".
    assert_eq!(
        db.recorded(),
        ["20260101000001_create_users", "20260101000002_add_profile"]
    );

    cli.run(&["redo", "2"]).expect_code(0);
    assert_eq!(
        db.recorded(),
        ["20260101000001_create_users", "20260101000002_add_profile"]
    );
    assert_eq!(db.schema_dump(), before);
}

#[test]
fn a_failing_statement_rolls_back_its_whole_migration() {
    let db = TestDb::new();
    let cli = FixtureCli::new("failing", &db);
    let up = cli.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("failing_up", up, &["up"]);
    // The first migration committed on its own; the second left nothing behind.
    assert_eq!(db.recorded(), ["20260201000001_create_items"]);
    assert_eq!(db.tables(), ["public.items", "public.pgmigrations"]);
    assert_eq!(
        db.query_strings("SELECT count(*) FROM items")[0][0].as_deref(),
        Some("0")
    );
}

#[test]
fn single_transaction_rolls_back_the_whole_run() {
    let db = TestDb::new();
    let cli = FixtureCli::new("failing", &db);
    cli.run(&["up", "--single-transaction"]).expect_code(1);
    assert!(
        !db.tables().contains(&"public.items".to_owned()),
        "{:?}",
        db.tables()
    );
    assert!(db.recorded().is_empty());
}

#[test]
fn an_irreversible_migration_refuses_down_before_touching_anything() {
    let db = TestDb::new();
    let cli = FixtureCli::new("irreversible", &db);
    cli.run(&["up"]).expect_code(0);
    let before = db.schema_dump();
    let down = cli.run(&["down"]).expect_code(1);
    assert_cli_snapshot!("irreversible_down", down, &["down"]);
    assert_eq!(db.schema_dump(), before);
    assert_eq!(db.recorded().len(), 2);
}

#[test]
fn an_invalid_migration_stops_the_run_before_anything_changes() {
    let db = TestDb::new();
    let cli = FixtureCli::new("invalid", &db);
    let up = cli.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("invalid_up", up, &["up"]);
    // Not even the valid first migration nor the bookkeeping table.
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

#[test]
fn concurrently_runs_outside_a_transaction_statement_by_statement() {
    let db = TestDb::new();
    let cli = FixtureCli::new("concurrent", &db);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("concurrent_sql", sql, &["sql"]);

    let refused = cli.run(&["up", "--single-transaction"]).expect_code(1);
    assert!(
        refused.stderr.contains("must run outside a transaction")
            && refused
                .stderr
                .contains("hint: run without --single-transaction"),
        "{}",
        refused.stderr
    );
    assert!(db.tables().is_empty());

    let up = cli.run(&["up"]).expect_code(0);
    assert_cli_snapshot!("concurrent_up", up, &["up"]);
    let indexes = db.query_strings(
        "SELECT c.relname::text, i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = 'events'::regclass AND NOT i.indisprimary ORDER BY 1",
    );
    assert_eq!(
        indexes,
        [
            ["events_id_kind", "true"],
            ["events_kind_id", "true"],
            ["events_kind_index", "true"]
        ]
        .map(|r| r.map(|v| Some(v.to_owned())).to_vec())
    );
    cli.run(&["down", "2"]).expect_code(0);
    assert_eq!(db.recorded(), ["20260401000001_create_events"]);
    assert!(db
        .query_strings(
            "SELECT 1 FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey'"
        )
        .is_empty());
}

#[test]
fn sql_and_dry_run_change_nothing() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let dry = cli.run(&["up", "--dry-run"]).expect_code(0);
    assert_cli_snapshot!("basic_up_dry_run", dry, &["up", "--dry-run"]);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_eq!(
        sql.stdout, dry.stdout,
        "`sql` and `up --dry-run` print the same plan"
    );
    assert!(
        db.tables().is_empty(),
        "a dry run must not create the migrations table"
    );

    // Named migrations need no database at all.
    let offline = FixtureCli::with_url("basic", "postgres://nobody@127.0.0.1:1/none");
    let down = offline
        .run(&[
            "sql",
            "--down",
            "20260101000001",
            "20260101000002_add_profile",
        ])
        .expect_code(0);
    assert_cli_snapshot!(
        "basic_sql_down_named",
        down,
        &[
            "sql",
            "--down",
            "20260101000001",
            "20260101000002_add_profile"
        ]
    );

    cli.run(&["up"]).expect_code(0);
    let dry_down = cli.run(&["down", "--dry-run"]).expect_code(0);
    assert!(
        dry_down.stdout.contains("DROP TABLE \"posts\";"),
        "{}",
        dry_down.stdout
    );
    assert_eq!(db.recorded().len(), 3);
}

#[test]
fn fake_records_without_running() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    // The plan of a fake run is what it writes: the bookkeeping rows, none of the migrations' statements.
    let plan = cli.run(&["up", "--dry-run", "--fake"]).expect_code(0);
    assert_cli_snapshot!(
        "basic_up_dry_run_fake",
        plan,
        &["up", "--dry-run", "--fake"]
    );
    assert!(!plan.stdout.contains("CREATE"), "{}", plan.stdout);
    assert!(
        db.tables().is_empty(),
        "a dry run must not create the migrations table"
    );
    let fake = cli.run(&["up", "--fake"]).expect_code(0);
    assert_cli_snapshot!("basic_up_fake", fake, &["up", "--fake"]);
    assert_eq!(db.tables(), ["public.pgmigrations"]);
    assert_eq!(db.recorded().len(), 3);
    let plan = cli
        .run(&["down", "--all", "--dry-run", "--fake"])
        .expect_code(0);
    assert_cli_snapshot!(
        "basic_down_dry_run_fake",
        plan,
        &["down", "--all", "--dry-run", "--fake"]
    );
    assert_eq!(db.recorded().len(), 3, "a dry run changes nothing");
    cli.run(&["down", "--all", "--fake"]).expect_code(0);
    assert!(db.recorded().is_empty());
}
