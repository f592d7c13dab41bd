//! The app and the database at different versions: what each applied row records so that a binary without
//! the migration's file (an older release, after a rollback) can judge it and revert it.

use tests::cli::FixtureCli;
use tests::TestDb;

/// The rows as `(name, phase, down_statements, down_transactional)`, oldest first.
fn recorded(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings(
        "SELECT name, phase, array_to_string(down_statements, E'\\n'), down_transactional::text \
         FROM public.pgmigrations ORDER BY id",
    )
}

#[test]
fn each_applied_row_records_its_phase_and_its_down_as_rendered() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up"]).expect_code(0);
    let rows = recorded(&db);
    let phases: Vec<_> = rows.iter().map(|r| r[1].as_deref()).collect();
    assert_eq!(
        phases,
        [
            Some("expand"),
            Some("expand"),
            Some("contract"),
            Some("expand")
        ]
    );
    // A derived down and a written one, both as the server runs them, in a transaction.
    assert_eq!(rows[0][2].as_deref(), Some("DROP TABLE \"posts\""));
    assert_eq!(
        rows[2][2].as_deref(),
        Some("ALTER TABLE \"posts\" ADD COLUMN \"legacy\" text")
    );
    assert!(
        rows.iter().all(|r| r[3].as_deref() == Some("true")),
        "{rows:?}"
    );

    // The recorded down is exact: run as it is, it gives the schema from before its `up`.
    let newest = rows[3][2]
        .clone()
        .expect("the newest migration's down is recorded");
    let with_three = {
        let other = TestDb::new();
        FixtureCli::new("phases", &other)
            .run(&["up", "3"])
            .expect_code(0);
        other.schema_dump_excluding(&["pgmigrations"])
    };
    db.exec(&newest);
    assert_eq!(db.schema_dump_excluding(&["pgmigrations"]), with_three);
}

#[test]
fn a_down_outside_a_transaction_is_recorded_so_and_one_that_cannot_be_derived_is_not() {
    let db = TestDb::new();
    FixtureCli::new("concurrent", &db)
        .run(&["up"])
        .expect_code(0);
    let rows = recorded(&db);
    let index = rows
        .iter()
        .find(|r| r[0].as_deref() == Some("20260401000002_index_events"))
        .expect("the index migration is recorded");
    assert_eq!(index[3].as_deref(), Some("false"), "{index:?}");
    assert!(
        index[2]
            .as_deref()
            .is_some_and(|d| d.contains("DROP INDEX CONCURRENTLY")),
        "{index:?}"
    );

    // Raw SQL without a written `down`: nothing can be derived, so nothing is recorded.
    let db = TestDb::new();
    FixtureCli::new("backfill", &db)
        .run(&["up", "1"])
        .expect_code(0);
    let rows = recorded(&db);
    assert_eq!(rows[0][1].as_deref(), Some("expand"));
    assert_eq!(rows[0][2], None, "{rows:?}");
    assert_eq!(rows[0][3], None, "{rows:?}");
}

#[test]
fn a_table_made_by_an_earlier_version_gains_the_columns_and_its_old_rows_have_no_phase() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up", "1"]).expect_code(0);
    // The table as earlier versions made it.
    db.exec(
        "ALTER TABLE public.pgmigrations DROP COLUMN phase, DROP COLUMN down_statements, \
         DROP COLUMN down_transactional",
    );
    cli.run(&["up", "1"]).expect_code(0);
    let rows = recorded(&db);
    assert_eq!(rows[0][1], None, "a row from before has no phase: {rows:?}");
    assert_eq!(rows[1][1].as_deref(), Some("expand"));

    // A table with a trigger of its own is left as it is: its rows are written as before.
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up", "1"]).expect_code(0);
    db.exec(
        "ALTER TABLE public.pgmigrations DROP COLUMN phase, DROP COLUMN down_statements, \
         DROP COLUMN down_transactional;
         CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER audit AFTER INSERT ON public.pgmigrations FOR EACH ROW EXECUTE FUNCTION public.audit();",
    );
    cli.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded().len(), 4);
    assert!(
        !db.columns("pgmigrations").iter().any(|c| c == "phase"),
        "{:?}",
        db.columns("pgmigrations")
    );
}
