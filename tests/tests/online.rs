//! Online changes: `rename_column_online` in its expand and its contract, each phase round-tripped
//! through the engine on tables with rows, and an old-version writer and a new-version writer kept busy
//! through every phase (up and down) with no failed write and no row whose two columns differ.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::roundtrip::Case;
use tests::TestDb;

fn expand(pgm: &mut MigrationBuilder) {
    pgm.rename_column_online("comments", "contents", "body")
        .batch_size(100);
}

fn contract(pgm: &mut MigrationBuilder) {
    pgm.contract("drops comments.contents, which the old version writes");
    pgm.rename_column_online("comments", "contents", "body")
        .contract();
}

/// A table with 1000 rows (ten batches of the expand's backfill); `contents` as given.
fn table(contents: &str) -> String {
    format!(
        "CREATE TABLE comments (id bigserial PRIMARY KEY, contents {contents});
         INSERT INTO comments (contents) SELECT 'comment ' || i FROM generate_series(1, 1000) i"
    )
}

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

/// Rows whose two columns differ (compared as text, as the trigger does).
fn differing(db: &TestDb) -> String {
    one(
        db,
        "SELECT count(*)::text FROM comments WHERE body::text IS DISTINCT FROM contents::text",
    )
}

/// The catalog as a sorted list of lines: a column added back comes last, which PostgreSQL cannot change,
/// so the order of columns is the one thing a round trip may not restore.
fn catalog(db: &TestDb) -> Vec<String> {
    let mut lines: Vec<String> = tests::roundtrip::catalog(db)
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// `up` then its derived `down` through the engine, twice: the first trip creates the engine's own
/// bookkeeping tables (backfill progress, failures); the second must leave the catalog as it found it.
fn round_trip(case: &Case, up: fn(&mut MigrationBuilder)) {
    case.engine_up(up).expect("up");
    case.engine_down(up).expect("down");
    let before = catalog(&case.db);
    case.engine_up(up).expect("up again");
    assert_ne!(before, catalog(&case.db), "up changed nothing");
    case.engine_down(up).expect("down again");
    assert_eq!(before, catalog(&case.db), "down restored the catalog");
}

/// What `sql` shows for the expand, the contract and their derived downs.
#[test]
fn rename_column_online_sql() {
    let db = TestDb::new();
    let cli = FixtureCli::new("online", &db);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("online_sql", sql, &["sql"]);
    cli.run(&["up"]).expect_code(0);
    for (name, migration) in [
        ("online_sql_down_contract", "20261201000003"),
        ("online_sql_down_expand", "20261201000002"),
    ] {
        let down = cli.run(&["sql", "--down", migration]).expect_code(0);
        assert_cli_snapshot!(name, down, &["sql", "--down", migration]);
    }
}

/// The expand on a table with rows, through the engine: the new column has the old one's type, collation
/// and a `NOT VALID` check for its `NOT NULL`, every row is backfilled; the derived `down` restores the
/// catalog exactly.
#[test]
fn expand_round_trip_on_rows() {
    for contents in [
        "text COLLATE \"C\" NOT NULL DEFAULT '(empty)'",
        "varchar(40)",
    ] {
        let case = Case::new(&table(contents));
        round_trip(&case, expand);
        // Up again, to look at what it left.
        case.engine_up(expand)
            .expect("expand runs again after its down");
        assert_eq!(differing(&case.db), "0", "{contents}");
        assert_eq!(
            one(
                &case.db,
                "SELECT format_type(atttypid, atttypmod) || ' ' || attcollation::regcollation::text
                 FROM pg_attribute WHERE attrelid = 'comments'::regclass AND attname = 'body'"
            ),
            if contents.starts_with("text") {
                "text \"C\""
            } else {
                "character varying(40) \"default\""
            },
        );
        let checks = one(
            &case.db,
            "SELECT count(*)::text FROM pg_constraint WHERE conname = 'comments_body_not_null_check' AND NOT convalidated",
        );
        assert_eq!(
            checks,
            if contents.contains("NOT NULL") {
                "1"
            } else {
                "0"
            }
        );
        case.engine_down(expand).expect("expand's down");
        assert_eq!(case.db.columns("comments"), ["id", "contents"]);
    }
}

/// The contract on a table where the expand ran, through the engine: `NOT NULL` and the default move to the
/// new column, the old column goes; the derived `down` restores the catalog and the old column's values.
#[test]
fn contract_round_trip_on_rows() {
    for contents in [
        "text COLLATE \"C\" NOT NULL DEFAULT '(empty)'",
        "varchar(40)",
    ] {
        let mut pgm = MigrationBuilder::new();
        expand(&mut pgm);
        let expand_sql = pgm.to_sql().expect("renders")[..4].join(";\n");
        let case = Case::new(&format!(
            "{};\n{expand_sql};\nUPDATE comments SET body = contents",
            table(contents)
        ));
        round_trip(&case, contract);
        assert_eq!(differing(&case.db), "0", "{contents}");
        case.engine_up(contract)
            .expect("contract runs again after its down");
        assert_eq!(case.db.columns("comments"), ["id", "body"]);
        if contents.contains("NOT NULL") {
            assert_eq!(
                one(
                    &case.db,
                    "SELECT attnotnull::text || ' ' || pg_get_expr(adbin, adrelid) FROM pg_attribute
                     JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
                     WHERE attrelid = 'comments'::regclass AND attname = 'body'"
                ),
                "true '(empty)'::text"
            );
        }
        case.engine_down(contract).expect("contract's down");
        assert_eq!(differing(&case.db), "0");
        assert_eq!(
            one(
                &case.db,
                "SELECT count(*)::text FROM comments WHERE contents IS NULL"
            ),
            "0"
        );
    }
}

/// The contract refuses, before changing anything, to drop a column an index still uses (dropping the
/// column would drop the index silently).
#[test]
fn contract_refuses_while_an_index_uses_the_old_column() {
    let mut pgm = MigrationBuilder::new();
    expand(&mut pgm);
    let expand_sql = pgm.to_sql().expect("renders")[..4].join(";\n");
    let case = Case::new(&format!(
        "{};\n{expand_sql};\nUPDATE comments SET body = contents;\nCREATE INDEX comments_contents_index ON comments (contents)",
        table("text NOT NULL")
    ));
    let before = case
        .db
        .schema_dump_excluding(&["pgmigrations", "pgmigrations_previous"]);
    let error = case.engine_up(contract).expect_err("refused");
    assert!(
        error.contains(
            "index comments_contents_index still use column \"contents\" of \"comments\""
        ),
        "{error}"
    );
    assert_eq!(
        before,
        case.db
            .schema_dump_excluding(&["pgmigrations", "pgmigrations_previous"]),
        "nothing changed"
    );
}

static MIGRATIONS: [Migration; 2] = [
    Migration::defined(&Definition {
        name: "20261201000002_expand_comments_body",
        path: "tests/online.rs",
        source: "expand",
        up: expand,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000003_contract_comments_contents",
        path: "tests/online.rs",
        source: "contract",
        up: contract,
        down: None,
    }),
];

/// What one app version writes: a column of the table, its SQL type, and the text of the value it writes in
/// round `n` (read back as that text).
#[derive(Clone, Copy)]
struct Version {
    name: &'static str,
    table: &'static str,
    column: &'static str,
    sql_type: &'static str,
    value: fn(usize) -> String,
}

const OLD_COMMENTS: Version = Version {
    name: "old",
    table: "comments",
    column: "contents",
    sql_type: "text",
    value: |n| format!("old {n}"),
};

const NEW_COMMENTS: Version = Version {
    name: "new",
    table: "comments",
    column: "body",
    sql_type: "text",
    value: |n| format!("new {n}"),
};

/// A writer on a thread of its own: inserts a row, updates an older one, reads both back (never NULL: the
/// column is NOT NULL in both versions), until stopped. The result is how many rounds ran, or the first
/// failure. The older rows it updates are its own `half` (0 or 1) of the first thousand: two writers that
/// updated the same row would read each other's value, a race of the test and not of the migration.
/// The rounds a writer writes at least (an insert, an update of an older row, both read back).
const MIN_ROUNDS: usize = 6;

struct Writer {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<(), String>>,
}

impl Writer {
    fn start(db: &TestDb, version: Version, half: i64) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let mut client = db.client();
        let Version {
            name,
            table,
            column,
            sql_type,
            value,
        } = version;
        let thread = std::thread::spawn(move || {
            let mut rounds = 0usize;
            // At least MIN_ROUNDS rounds however soon it is stopped: under a loaded machine a fixed sleep
            // gave it as few as five, and a count asserted after the sleep failed with no write wrong.
            while rounds < MIN_ROUNDS || !flag.load(Ordering::Relaxed) {
                let fail = |what: &str, e: postgres::Error| {
                    let message = e
                        .as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_owned());
                    format!("{name} round {rounds}: {what}: {message}")
                };
                let (inserted, edited) = (value(2 * rounds), value(2 * rounds + 1));
                let row = client
                    .query_one(
                        &format!(
                            "INSERT INTO {table} ({column}) VALUES ($1::text::{sql_type}) RETURNING id"
                        ),
                        &[&inserted],
                    )
                    .map_err(|e| fail("insert", e))?;
                let id: i64 = row.get(0);
                // An older row: one of the first thousand, written before the expand.
                let other = (rounds as i64 * 37) % 500 + 1 + 500 * half;
                client
                    .execute(
                        &format!(
                            "UPDATE {table} SET {column} = $1::text::{sql_type} WHERE id = $2"
                        ),
                        &[&edited, &other],
                    )
                    .map_err(|e| fail("update", e))?;
                for (id, expected) in [(id, inserted), (other, edited)] {
                    let read: Option<String> = client
                        .query_one(
                            &format!("SELECT {column}::text FROM {table} WHERE id = $1"),
                            &[&id],
                        )
                        .map_err(|e| fail("read", e))?
                        .get(0);
                    if read.as_deref() != Some(expected.as_str()) {
                        return Err(format!(
                            "{name} round {rounds}: row {id} reads {read:?}, not {expected:?}"
                        ));
                    }
                }
                rounds += 1;
            }
            Ok(())
        });
        Writer { stop, thread }
    }

    /// Stops the writer once it has written [`MIN_ROUNDS`] rounds; panics with the first write that failed
    /// or read back wrong.
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Err(e) = self.thread.join().expect("writer thread") {
            panic!("a write failed: {e}");
        }
    }
}

/// Both app versions through every phase of `migrations` (an expand and a contract), up and back down: the
/// old version while the expand runs, both side by side after it, the new one alone through the contract,
/// its `down`, and then both again, the old one alone through the expand's `down`. No write fails, and
/// `differing` (a count of rows whose two columns disagree) stays 0.
fn through_every_phase(
    setup: &str,
    migrations: &'static [Migration],
    old: Version,
    new: Version,
    differing: &str,
) {
    let db = TestDb::new();
    db.exec(setup);
    let table = old.table;
    let columns = db.columns(table);
    let migrator = Migrator::new(migrations);
    let run = |what: &str, result: Result<_, migrate_core::Error>| {
        if let Err(e) = result {
            panic!("{what} failed: {e}");
        }
    };
    let differing = || one(&db, differing);

    let old_writer = Writer::start(&db, old, 0);
    std::thread::sleep(Duration::from_millis(100));
    run(
        "up --expand-only",
        migrator.run_up(&mut db.client(), &UpTarget::ExpandOnly, &mut |_| {}),
    );
    let mut expanded = columns.clone();
    expanded.push(new.column.to_owned());
    assert_eq!(db.columns(table), expanded, "the contract waits");
    let new_writer = Writer::start(&db, new, 1);
    std::thread::sleep(Duration::from_millis(300));
    old_writer.stop();
    assert_eq!(differing(), "0", "after the expand");

    run(
        "up (the contract)",
        migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}),
    );
    assert!(!db.columns(table).contains(&old.column.to_owned()));
    std::thread::sleep(Duration::from_millis(100));
    run(
        "down (the contract's)",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    let old_writer = Writer::start(&db, old, 0);
    std::thread::sleep(Duration::from_millis(300));
    new_writer.stop();
    assert_eq!(differing(), "0", "after the contract's down");

    run(
        "down (the expand's)",
        migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {}),
    );
    std::thread::sleep(Duration::from_millis(100));
    old_writer.stop();
    assert_eq!(db.columns(table), columns);
    assert_eq!(
        one(
            &db,
            &format!(
                "SELECT count(*)::text FROM {table} WHERE {} IS NULL",
                old.column
            )
        ),
        "0"
    );
}

/// A rename: the old version writes `contents`, the new one `body`.
#[test]
fn old_and_new_writers_through_every_phase() {
    through_every_phase(
        &table("text NOT NULL"),
        &MIGRATIONS,
        OLD_COMMENTS,
        NEW_COMMENTS,
        "SELECT count(*)::text FROM comments WHERE body::text IS DISTINCT FROM contents::text",
    );
}

/// `lint` finds nothing to report in the two phases: the drops are the contract's, the check is added
/// `NOT VALID` and validated in a transaction of its own.
#[test]
fn lint_accepts_both_phases() {
    let db = TestDb::new();
    let cli = FixtureCli::new("online", &db);
    let lint = cli.run(&["lint"]).expect_code(0);
    assert_cli_snapshot!("online_lint", lint, &["lint"]);
}

// ---------------------------------------------------------------------------------------------------------
// change_column_type_online

fn expand_type(pgm: &mut MigrationBuilder) {
    pgm.change_column_type_online("products", "price", "price_cents", "bigint")
        .using("(price * 100)::bigint")
        .back("price_cents / 100.0")
        .batch_size(100);
}

fn contract_type(pgm: &mut MigrationBuilder) {
    pgm.contract("drops products.price, which the old version writes");
    pgm.change_column_type_online("products", "price", "price_cents", "bigint")
        .using("(price * 100)::bigint")
        .back("price_cents / 100.0")
        .old_type("numeric(10,2)")
        .contract();
}

/// Products with 1000 prices (ten batches of the expand's backfill).
const PRODUCTS: &str =
    "CREATE TABLE products (id bigserial PRIMARY KEY, price numeric(10,2) NOT NULL DEFAULT 0);
     INSERT INTO products (price) SELECT i / 100.0 FROM generate_series(1, 1000) i";

const PRICES_DIFFERING: &str =
    "SELECT count(*)::text FROM products WHERE price_cents IS DISTINCT FROM (price * 100)::bigint";

/// `PRODUCTS` after the expand of the type change and its backfill.
fn expanded_products() -> String {
    let mut pgm = MigrationBuilder::new();
    expand_type(&mut pgm);
    let expand_sql = pgm.to_sql().expect("renders")[..4].join(";\n");
    format!("{PRODUCTS};\n{expand_sql};\nUPDATE products SET price_cents = (price * 100)::bigint")
}

/// Each phase of a type change round-trips through the engine on a table with rows; the values are converted
/// both ways.
#[test]
fn change_column_type_round_trips_on_rows() {
    let case = Case::new(PRODUCTS);
    round_trip(&case, expand_type);
    case.engine_up(expand_type).expect("expand");
    assert_eq!(one(&case.db, PRICES_DIFFERING), "0");
    assert_eq!(
        one(
            &case.db,
            "SELECT price_cents::text FROM products WHERE id = 7"
        ),
        "7"
    );

    let case = Case::new(&expanded_products());
    round_trip(&case, contract_type);
    case.engine_up(contract_type).expect("contract");
    assert_eq!(case.db.columns("products"), ["id", "price_cents"]);
    assert_eq!(
        one(
            &case.db,
            "SELECT attnotnull::text || ' ' || pg_get_expr(adbin, adrelid) FROM pg_attribute
             JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
             WHERE attrelid = 'products'::regclass AND attname = 'price_cents'"
        ),
        "true 0"
    );
    case.engine_down(contract_type).expect("contract's down");
    assert_eq!(one(&case.db, PRICES_DIFFERING), "0");
    assert_eq!(
        one(&case.db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'price'"),
        "numeric(10,2)"
    );
}

/// The contract refuses, before changing anything, when the old column's type is not the one `.old_type`
/// gives: its `down` would add the column back with another type.
#[test]
fn change_column_type_contract_checks_the_old_type() {
    fn wrong(pgm: &mut MigrationBuilder) {
        pgm.contract("drops products.price");
        pgm.change_column_type_online("products", "price", "price_cents", "bigint")
            .old_type("numeric")
            .contract();
    }
    let case = Case::new(&expanded_products());
    let error = case.engine_up(wrong).expect_err("refused");
    assert!(
        error.contains(
            "column \"price\" of \"products\" is numeric(10,2), not numeric as .old_type(..) says"
        ),
        "{error}"
    );
    assert_eq!(case.db.columns("products"), ["id", "price", "price_cents"]);
}

static TYPE_MIGRATIONS: [Migration; 2] = [
    Migration::defined(&Definition {
        name: "20261201000012_expand_products_price_cents",
        path: "tests/online.rs",
        source: "expand_type",
        up: expand_type,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000013_contract_products_price",
        path: "tests/online.rs",
        source: "contract_type",
        up: contract_type,
        down: None,
    }),
];

/// A type change: the old version writes `price` (numeric), the new one `price_cents` (bigint).
#[test]
fn old_and_new_writers_through_every_phase_of_a_type_change() {
    through_every_phase(
        PRODUCTS,
        &TYPE_MIGRATIONS,
        Version {
            name: "old",
            table: "products",
            column: "price",
            sql_type: "numeric",
            value: |n| format!("{}.{:02}", n, n % 100),
        },
        Version {
            name: "new",
            table: "products",
            column: "price_cents",
            sql_type: "bigint",
            value: |n| (n * 100 + n % 97).to_string(),
        },
        PRICES_DIFFERING,
    );
}

// ---------------------------------------------------------------------------------------------------------
// add_constraint_online

const USERS: &str = "CREATE TABLE teams (id bigint PRIMARY KEY);
     INSERT INTO teams SELECT i FROM generate_series(1, 10) i;
     CREATE TABLE users (id bigserial PRIMARY KEY, email text, team_id bigint, age int);
     INSERT INTO users (email, team_id, age) SELECT 'user' || i, i % 10 + 1, 20 + i % 50 FROM generate_series(1, 1000) i";

fn add_check(pgm: &mut MigrationBuilder) {
    pgm.add_constraint_online("users", None, Constraint::check("age >= 0"));
}

fn add_foreign_key(pgm: &mut MigrationBuilder) {
    pgm.add_constraint_online(
        "users",
        None,
        Constraint::foreign_key(["team_id"], "teams", ["id"]),
    );
}

fn add_unique(pgm: &mut MigrationBuilder) {
    pgm.add_constraint_online("users", None, Constraint::unique(["email"]));
}

/// Each kind round-trips through the engine on a table with rows, and ends up valid.
#[test]
fn add_constraint_online_round_trips_on_rows() {
    for (up, name) in [
        (add_check as fn(&mut MigrationBuilder), "users_age_check"),
        (add_foreign_key, "users_team_id_fkey"),
        (add_unique, "users_email_key"),
    ] {
        let case = Case::new(USERS);
        round_trip(&case, up);
        case.engine_up(up).expect("up");
        assert_eq!(
            one(
                &case.db,
                &format!("SELECT convalidated::text FROM pg_constraint WHERE conname = '{name}'")
            ),
            "true",
            "{name}"
        );
    }
}

/// A row that breaks the constraint stops the migration at the `VALIDATE`, which names it; the constraint
/// is then in place `NOT VALID` (it was committed first), so new rows are checked already.
#[test]
fn add_constraint_online_stops_at_the_validate_when_a_row_breaks_it() {
    let case = Case::new(&format!("{USERS}; UPDATE users SET age = -1 WHERE id = 5"));
    let error = case.engine_up(add_check).expect_err("a row breaks it");
    assert!(error.contains("is violated by some row"), "{error}");
    assert_eq!(
        one(
            &case.db,
            "SELECT convalidated::text FROM pg_constraint WHERE conname = 'users_age_check'"
        ),
        "false"
    );
}

static CONSTRAINT_MIGRATIONS: [Migration; 3] = [
    Migration::defined(&Definition {
        name: "20261201000021_users_age_check",
        path: "tests/online.rs",
        source: "add_check",
        up: add_check,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000022_users_team_id_fkey",
        path: "tests/online.rs",
        source: "add_foreign_key",
        up: add_foreign_key,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000023_users_email_key",
        path: "tests/online.rs",
        source: "add_unique",
        up: add_unique,
        down: None,
    }),
];

/// A writer keeps inserting and updating users while the three constraints are added and removed again,
/// with no failed write.
#[test]
fn a_writer_keeps_writing_while_constraints_are_added_online() {
    let db = TestDb::new();
    db.exec(USERS);
    let writer = Writer::start(
        &db,
        Version {
            name: "app",
            table: "users",
            column: "email",
            sql_type: "text",
            value: |n| format!("writer{n}@example.com"),
        },
        0,
    );
    let migrator = Migrator::new(&CONSTRAINT_MIGRATIONS);
    std::thread::sleep(Duration::from_millis(100));
    if let Err(e) = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |_| {}) {
        panic!("up failed: {e}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_constraint WHERE conrelid = 'users'::regclass AND convalidated AND contype IN ('c', 'f', 'u')"
        ),
        "3"
    );
    std::thread::sleep(Duration::from_millis(100));
    if let Err(e) = migrator.run_down(&mut db.client(), &DownTarget::All, &mut |_| {}) {
        panic!("down failed: {e}");
    }
    writer.stop();
    assert_eq!(
        one(
            &db,
            "SELECT count(*)::text FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype IN ('c', 'f', 'u')"
        ),
        "0"
    );
}

/// The expand refuses, before changing anything, a column it cannot keep in step: a generated (or identity)
/// column cannot be written by the trigger.
#[test]
fn expand_refuses_a_generated_column() {
    let case = Case::new(
        "CREATE TABLE comments (id bigserial PRIMARY KEY, title text, contents text GENERATED ALWAYS AS (upper(title)) STORED)",
    );
    let error = case.engine_up(expand).expect_err("refused");
    assert!(
        error.contains(
            "column \"contents\" of \"comments\" does not exist, or is an identity or generated column"
        ),
        "{error}"
    );
    assert_eq!(case.db.columns("comments"), ["id", "title", "contents"]);
}
