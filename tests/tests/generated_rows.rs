//! The rows `verify --with-data` generates (`migrate_core::rows::fill_empty`): every table filled within its
//! constraints, values that repeat and NULLs where the schema allows them, the same rows for the same seed.

use migrate_core::rows::{fill_empty, Generation, Snapshot};
use migrate_core::MigrationsTable;
use tests::TestDb;

const SCHEMA: &str = "
CREATE TYPE mood AS ENUM ('happy', 'sad', 'calm', 'angry');
CREATE DOMAIN short_code AS varchar(3);
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    nickname text NOT NULL,
    note text,
    mood mood NOT NULL,
    code short_code,
    balance numeric(6, 2) NOT NULL,
    born date,
    settings jsonb,
    token uuid NOT NULL,
    CHECK (balance < 500)
);
CREATE TABLE orders (
    id serial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts,
    parent_id integer REFERENCES orders,
    placed_at timestamptz NOT NULL DEFAULT '2026-01-01',
    quantity smallint NOT NULL CHECK (quantity BETWEEN 1 AND 40),
    shipped boolean
);
CREATE TABLE profiles (
    account_id bigint PRIMARY KEY REFERENCES accounts,
    bio text
);
CREATE DOMAIN required_text AS text NOT NULL;
CREATE DOMAIN mood_too AS mood;
CREATE TABLE lists (
    id int PRIMARY KEY,
    pos int NOT NULL,
    name required_text,
    feeling mood_too,
    owner_id bigint NOT NULL DEFAULT 0 REFERENCES accounts,
    UNIQUE (pos) DEFERRABLE
);
CREATE TABLE already_there (id int PRIMARY KEY);
INSERT INTO already_there VALUES (1), (2);
";

fn filled(seed: u64) -> (TestDb, migrate_core::rows::Seeding) {
    let db = TestDb::new();
    db.exec(SCHEMA);
    let generation = Generation {
        rows: 200,
        per_table: [("profiles".to_owned(), 50)].into(),
        seed,
    };
    let seeding = fill_empty(&mut db.client(), &MigrationsTable::default(), &generation)
        .expect("the tables are filled");
    (db, seeding)
}

fn number(db: &TestDb, sql: &str) -> i64 {
    db.query_strings(sql)[0][0]
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number from {sql}"))
}

#[test]
fn every_table_is_filled_within_its_constraints_with_nulls_and_repeated_values() {
    let (db, seeding) = filled(1);
    assert!(seeding.skipped.is_empty(), "{:?}", seeding.skipped);
    assert_eq!(
        seeding.filled,
        [
            "public.accounts",
            "public.orders",
            "public.profiles",
            "public.lists"
        ],
        "parents first; a table with rows keeps them"
    );
    assert_eq!(number(&db, "SELECT count(*) FROM already_there"), 2);
    // Checks filter the rows: fewer than asked where one refuses some, never a row that breaks one.
    let accounts = number(&db, "SELECT count(*) FROM accounts");
    assert!((1..=200).contains(&accounts), "{accounts}");
    assert_eq!(
        number(&db, "SELECT count(*) FROM accounts WHERE balance >= 500"),
        0
    );
    let orders = number(&db, "SELECT count(*) FROM orders");
    assert!(
        (1..200).contains(&orders),
        "the quantity check refuses some: {orders}"
    );
    assert_eq!(number(&db, "SELECT count(*) FROM profiles"), 50);
    // Unique columns are distinct; the others repeat; nullable ones have NULLs, NOT NULL ones none.
    assert_eq!(
        number(&db, "SELECT count(DISTINCT email) - count(*) FROM accounts"),
        0
    );
    assert!(
        number(
            &db,
            "SELECT count(*) - count(DISTINCT nickname) FROM accounts"
        ) > 0
    );
    assert!(number(&db, "SELECT count(*) - count(note) FROM accounts") > 0);
    assert!(number(&db, "SELECT count(*) - count(shipped) FROM orders") > 0);
    // Every enum label is used, the domain's length is kept, foreign keys point at rows that exist.
    assert_eq!(number(&db, "SELECT count(DISTINCT mood) FROM accounts"), 4);
    assert_eq!(
        number(&db, "SELECT count(*) FROM accounts WHERE length(code) > 3"),
        0
    );
    assert!(number(&db, "SELECT count(DISTINCT account_id) FROM orders") > 1);
    // A domain's NOT NULL is kept, an enum behind a domain takes its labels, a foreign key column with a
    // default takes the referenced rows, and a deferrable unique constraint (no `ON CONFLICT` there) is kept.
    assert_eq!(number(&db, "SELECT count(*) FROM lists"), 200);
    assert_eq!(
        number(&db, "SELECT count(*) FROM lists WHERE name IS NULL"),
        0
    );
    assert!(number(&db, "SELECT count(DISTINCT feeling) FROM lists") > 1);
    assert_eq!(
        number(&db, "SELECT count(*) FROM lists WHERE owner_id = 0"),
        0
    );
    // A key to the table itself has no rows to take while the table is filled: it stays NULL.
    assert_eq!(number(&db, "SELECT count(parent_id) FROM orders"), 0);
}

#[test]
fn the_same_seed_gives_the_same_rows_and_another_seed_others() {
    let (first, _) = filled(7);
    let (again, _) = filled(7);
    let (other, _) = filled(8);
    let table = MigrationsTable::default();
    let snapshot = |db: &TestDb| Snapshot::take(&mut db.client(), &table).expect("a snapshot");
    assert_eq!(snapshot(&first), snapshot(&again));
    assert_ne!(snapshot(&first), snapshot(&other));
}
