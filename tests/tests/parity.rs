//! What node-pg-migrate users rely on, found missing by running its own operation cases here: empty
//! `down`/`up`, composite primary keys from columns, constraint names derived as PostgreSQL derives them,
//! `down --fake` of a migration without a derivable `down`.

use migrate_dsl::prelude::*;
use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::roundtrip::Case;
use tests::TestDb;

const FORWARD_ONLY: &str = "20270401000001_forward_only";

fn has_table(db: &TestDb, table: &str) -> bool {
    db.tables().contains(&format!("public.{table}"))
}

/// node-pg-migrate's `down = () => null`: an explicitly empty `down` is a deliberate, visible no-op; an
/// empty `up` is valid too.
#[test]
fn an_empty_down_is_a_visible_no_op_and_an_empty_up_is_valid() {
    let db = TestDb::new();
    let cli = FixtureCli::new("empty_down", &db);
    let sql_down = cli.run(&["sql", "--down", FORWARD_ONLY]).expect_code(0);
    assert_cli_snapshot!(
        "empty_down_sql_down",
        sql_down,
        &["sql", "--down", FORWARD_ONLY]
    );
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("empty_down_sql", sql, &["sql"]);

    cli.run(&["up"]).expect_code(0);
    assert!(has_table(&db, "kept"));
    let down = cli.run(&["down", "2"]).expect_code(0);
    assert!(
        down.stdout.contains(&format!("reverted {FORWARD_ONLY}")),
        "{}",
        down.stdout
    );
    // Reverting the forward-only migration recorded the revert and changed nothing else.
    assert!(has_table(&db, "kept"));
    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains("0 applied, 2 pending"),
        "{}",
        status.stdout
    );
}

/// `--fake` runs no SQL, so a migration whose `down` cannot be derived can still be recorded as reverted.
#[test]
fn down_fake_needs_no_derivable_down() {
    let db = TestDb::new();
    let cli = FixtureCli::new("irreversible", &db);
    cli.run(&["up"]).expect_code(0);
    let refused = cli.run(&["down"]).expect_code(1);
    assert!(
        refused.stderr.contains("cannot be reversed automatically"),
        "{}",
        refused.stderr
    );
    let fake = cli.run(&["down", "--fake"]).expect_code(0);
    assert!(
        fake.stdout
            .contains("unrecorded (--fake, not run) 20260301000002_drop_tmp"),
        "{}",
        fake.stdout
    );
    // Nothing ran: the renamed table is still renamed.
    assert!(has_table(&db, "kept"));
    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains("1 applied, 1 pending"),
        "{}",
        status.stdout
    );
}

/// Two columns marked `primary_key()` render one composite key, as node-pg-migrate does, instead of SQL the
/// server rejects (`multiple primary keys`); a second key fails when rendered.
#[test]
fn two_primary_key_columns_make_one_composite_key() {
    let case = Case::new("");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_table(
            "order_lines",
            [
                column("order_id", "bigint").primary_key(),
                column("line", "int").primary_key(),
                column("qty", "int"),
            ],
        );
    }));

    let mut pgm = MigrationBuilder::new();
    pgm.create_table("t", [column("a", "int").primary_key(), column("b", "int")])
        .constraint(None, Constraint::primary_key(["b"]));
    let error = pgm.to_sql().unwrap_err().to_string();
    assert!(error.contains("two primary keys"), "{error}");

    let mut pgm = MigrationBuilder::new();
    pgm.add_columns(
        "t",
        [
            column("a", "int").primary_key(),
            column("b", "int").primary_key(),
        ],
    );
    let error = pgm.to_sql().unwrap_err().to_string();
    assert!(
        error.contains("add_constraint(table, None, Constraint::primary_key"),
        "{error}"
    );
}

/// Leaves out NOT NULL constraints, which PostgreSQL 18 records (named by the server on both sides, as no
/// operation names them), so the list reads the same on every supported major.
fn constraint_names(case: &Case, schema: &str) -> Vec<String> {
    case.db
        .query_strings(&format!(
            "SELECT conname FROM pg_constraint WHERE connamespace = '{schema}'::regnamespace \
             AND contype <> 'n' ORDER BY conname"
        ))
        .into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect()
}

/// Table constraints given without a name (`None`, node-pg-migrate's `null`) get the names PostgreSQL
/// gives unnamed constraints: the same statement written without names, run by the server in another
/// schema, names every constraint alike (including numbering after the column constraints, and truncation
/// of long names).
#[test]
fn unnamed_constraints_are_named_as_postgresql_names_them() {
    let long = "a_table_name_long_enough_that_derived_names_must_be_shortened_";
    let case = Case::new(&format!(
        "CREATE SCHEMA ours; CREATE SCHEMA theirs; \
         CREATE TABLE ours.parents (id int PRIMARY KEY); CREATE TABLE theirs.parents (id int PRIMARY KEY); \
         CREATE TABLE theirs.\"line items\" (\"order id\" int, line int, qty int CHECK (qty > 0), \
         sku text UNIQUE, parent int REFERENCES theirs.parents, \
         PRIMARY KEY (\"order id\", line), UNIQUE (sku, qty), FOREIGN KEY (parent) REFERENCES theirs.parents (id), \
         CHECK (qty < 100), CHECK (\"order id\" > 0 AND line > 0), CHECK (length('x') > 0), \
         EXCLUDE USING btree (sku WITH =), EXCLUDE USING btree (lower(sku) WITH =, (qty + 1) WITH =)); \
         CREATE TABLE theirs.{long} (a_rather_long_column_name int, b int, \
         UNIQUE (a_rather_long_column_name, b), CHECK (a_rather_long_column_name > b)); \
         CREATE TABLE theirs.added (id int, code text, parent int); \
         ALTER TABLE theirs.added ADD PRIMARY KEY (id), ADD UNIQUE (code), \
         ADD FOREIGN KEY (parent) REFERENCES theirs.parents, ADD CHECK (code <> '')"
    ));
    let mut pgm = MigrationBuilder::new();
    pgm.create_table(
        ("ours", "line items"),
        [
            column("order id", "int"),
            column("line", "int"),
            column("qty", "int").check("qty > 0"),
            column("sku", "text").unique(),
            column("parent", "int").references(("ours", "parents")),
        ],
    )
    .constraint(None, Constraint::primary_key(["order id", "line"]))
    .constraint(None, Constraint::unique(["sku", "qty"]))
    .constraint(
        None,
        Constraint::foreign_key(["parent"], ("ours", "parents"), ["id"]),
    )
    .constraint(
        None,
        Constraint::checks([
            "qty < 100",
            "\"order id\" > 0 AND line > 0",
            "length('x') > 0",
        ]),
    )
    .constraint(None, Constraint::exclude("btree", [("sku", "=")]))
    .constraint(
        None,
        Constraint::exclude(
            "btree",
            [
                (IndexColumn::expression("lower(sku)"), "="),
                (IndexColumn::expression("qty + 1"), "="),
            ],
        ),
    );
    pgm.create_table(
        ("ours", long),
        [
            column("a_rather_long_column_name", "int"),
            column("b", "int"),
        ],
    )
    .constraint(None, Constraint::unique(["a_rather_long_column_name", "b"]))
    .constraint(None, Constraint::check("a_rather_long_column_name > b"));
    pgm.create_table(
        ("ours", "added"),
        [
            column("id", "int"),
            column("code", "text"),
            column("parent", "int"),
        ],
    );
    pgm.add_constraint(("ours", "added"), None, Constraint::primary_key(["id"]));
    pgm.add_constraint(("ours", "added"), None, Constraint::unique(["code"]));
    pgm.add_constraint(
        ("ours", "added"),
        None,
        Constraint::foreign_key(["parent"], ("ours", "parents"), Vec::<&str>::new()),
    );
    pgm.add_constraint(("ours", "added"), None, Constraint::check("code <> ''"));
    let sql = pgm.to_sql().expect("renders").join(";\n");
    case.db.exec(&sql);
    let theirs = constraint_names(&case, "theirs");
    assert_eq!(constraint_names(&case, "ours"), theirs, "{sql}");
    assert!(
        theirs.contains(&"line items_parent_fkey1".to_owned()),
        "{theirs:?}"
    );
    insta::assert_snapshot!(format!("{sql}\n-- names\n{}", theirs.join("\n")));
}
