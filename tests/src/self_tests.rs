//! Tests of the harness itself, against the PostgreSQL server named by
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use super::*;
use crate::schema_dump::unqualify_columns;

fn admin_client() -> Client {
    connect(&admin_url_from_env(), "admin database")
}

fn database_exists(name: &str) -> bool {
    let rows = query_text(
        &mut admin_client(),
        &format!(
            "SELECT count(*)::text FROM pg_database WHERE datname = {}",
            quote_literal(name)
        ),
    );
    match rows[0][0].as_deref() {
        Some("1") => true,
        Some("0") => false,
        other => panic!("unexpected count {other:?}"),
    }
}

#[test]
fn url_keeps_everything_but_the_path() {
    assert_eq!(
        database_url(
            "postgres://u:p%40ss@db.example:6543/admin?sslmode=disable&application_name=x",
            "mt_1_2_ab"
        ),
        "postgres://u:p%40ss@db.example:6543/mt_1_2_ab?sslmode=disable&application_name=x"
    );
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5432/postgres", "mt_1_0_ff"),
        "postgres://postgres@127.0.0.1:5432/mt_1_0_ff"
    );
    assert_eq!(
        database_url("postgresql://postgres@localhost", "mt_x"),
        "postgresql://postgres@localhost/mt_x"
    );
}

#[test]
fn redaction_hides_passwords_only() {
    assert_eq!(
        redact_url("postgres://u:secret@h:1/db?sslmode=disable"),
        "postgres://u:***@h:1/db?sslmode=disable"
    );
    assert_eq!(
        redact_url("postgres://postgres@127.0.0.1:5432/postgres"),
        "postgres://postgres@127.0.0.1:5432/postgres"
    );
    // Not parseable by `url` (space in the host): fallback still hides it.
    let redacted = redact_url("postgres://u:secret@bad host/db");
    assert!(!redacted.contains("secret"), "{redacted}");
    assert_eq!(redacted, "postgres://u:***@bad host/db");
    assert_eq!(
        redact_url("host=x password=secret"),
        "<connection string not shown>"
    );
}

#[test]
fn names_are_unique_lower_case_and_fit_an_identifier() {
    let pid = std::process::id();
    let names: Vec<String> = (0..1000).map(|_| unique_db_name()).collect();
    let distinct: BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len());
    for name in &names {
        assert!(name.starts_with(&format!("mt_{pid}_")), "{name}");
        assert!(name.len() <= MAX_IDENTIFIER_BYTES, "{name}");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{name}"
        );
    }
}

#[test]
fn each_test_db_is_distinct_exists_and_is_dropped() {
    let a = TestDb::new();
    let b = TestDb::new();
    assert_ne!(a.name(), b.name());
    assert_ne!(a.url(), b.url());
    let a_url = url::Url::parse(a.url()).unwrap();
    let admin = url::Url::parse(a.admin_url()).unwrap();
    assert_eq!(a_url.path(), format!("/{}", a.name()));
    assert_eq!(a_url.query(), admin.query());
    assert_eq!(a_url.host(), admin.host());
    assert_eq!(a_url.username(), admin.username());
    assert!(database_exists(a.name()));
    assert!(database_exists(b.name()));

    // Each URL really leads to its own database.
    for db in [&a, &b] {
        assert_eq!(
            db.query_strings("SELECT current_database()"),
            vec![vec![Some(db.name().to_owned())]]
        );
    }
    a.exec("CREATE TABLE only_in_a (id int)");
    assert_eq!(a.tables(), ["public.only_in_a"]);
    assert!(b.tables().is_empty());

    // Dropping works even with a connection still open (WITH (FORCE)).
    let (a_name, b_name) = (a.name().to_owned(), b.name().to_owned());
    let mut open = a.client();
    drop(a);
    assert!(!database_exists(&a_name));
    assert!(open.simple_query("SELECT 1").is_err());
    assert!(database_exists(&b_name));
    drop(b);
    assert!(!database_exists(&b_name));
}

#[test]
fn concurrent_creation_gives_distinct_databases() {
    let dbs: Vec<TestDb> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(TestDb::new)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let names: BTreeSet<&str> = dbs.iter().map(TestDb::name).collect();
    assert_eq!(names.len(), 8);
    for db in &dbs {
        assert!(database_exists(db.name()));
    }
    let names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    drop(dbs);
    for name in &names {
        assert!(!database_exists(name), "{name} left behind");
    }
}

#[test]
fn debug_does_not_show_passwords() {
    let db = TestDb {
        name: "mt_0_0_0".into(),
        url: "postgres://u:secret@h/mt_0_0_0".into(),
        admin_url: "postgres://u:secret@h/postgres".into(),
    };
    let shown = format!("{db:?}");
    std::mem::forget(db); // nothing to drop on a server that doesn't exist
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("mt_0_0_0"), "{shown}");
}

#[test]
fn tables_and_columns() {
    let db = TestDb::new();
    assert!(db.tables().is_empty());
    db.exec(
        "CREATE SCHEMA app;
         CREATE TABLE public.zeta (id int, b text, a text);
         CREATE TABLE app.alpha (x int);
         CREATE TABLE public.\"Mixed\" (y int);
         CREATE VIEW public.not_a_table AS SELECT 1 AS one;
         CREATE SEQUENCE public.not_a_table_either;",
    );
    assert_eq!(db.tables(), ["app.alpha", "public.Mixed", "public.zeta"]);
    assert_eq!(db.columns("zeta"), ["id", "b", "a"]);
    assert_eq!(db.columns("public.zeta"), ["id", "b", "a"]);
    assert_eq!(db.columns("app.alpha"), ["x"]);
    assert_eq!(db.columns("Mixed"), ["y"]);
    assert!(db.columns("alpha").is_empty(), "alpha is not in public");
    assert!(db.columns("nope").is_empty());

    db.exec("ALTER TABLE zeta DROP COLUMN b; ALTER TABLE zeta ADD COLUMN c int");
    assert_eq!(db.columns("zeta"), ["id", "a", "c"]);
}

#[test]
fn query_strings_returns_text_and_nulls() {
    let db = TestDb::new();
    db.exec("CREATE TABLE t (id int, name text, ok boolean); INSERT INTO t VALUES (1, 'a', true), (2, NULL, false)");
    assert_eq!(
        db.query_strings("SELECT id::text, name, ok::text FROM t ORDER BY id"),
        vec![
            vec![
                Some("1".to_owned()),
                Some("a".to_owned()),
                Some("true".to_owned())
            ],
            vec![Some("2".to_owned()), None, Some("false".to_owned())],
        ]
    );
    // Uncast values come back in their text form too.
    assert_eq!(
        db.query_strings("SELECT id, ok FROM t ORDER BY id"),
        vec![
            vec![Some("1".to_owned()), Some("t".to_owned())],
            vec![Some("2".to_owned()), Some("f".to_owned())],
        ]
    );
    assert!(db.query_strings("SELECT 1 WHERE false").is_empty());
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn exec_panics_with_sql_and_server_message() {
    let db = TestDb::new();
    let message =
        panic_message(|| db.exec("CREATE TABLE t (id int);\nSELECT * FROM missing_table"));
    assert!(message.contains("SELECT * FROM missing_table"), "{message}");
    assert!(
        message.contains("ERROR 42P01: relation \"missing_table\" does not exist"),
        "{message}"
    );
    assert!(message.contains(db.name()), "{message}");

    let message = panic_message(|| {
        db.query_strings("SELECT nope");
    });
    assert!(message.contains("SELECT nope"), "{message}");
    assert!(
        message.contains("column \"nope\" does not exist"),
        "{message}"
    );
}

#[test]
fn unreachable_server_panics_with_redacted_url_and_hint() {
    let message = panic_message(|| {
        connect(
            "postgres://someone:hunter2@127.0.0.1:1/postgres",
            "admin database",
        );
    });
    assert!(
        message.contains("postgres://someone:***@127.0.0.1:1/postgres"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("set DATABASE_URL"), "{message}");
    // The cause, not just "error connecting to server".
    assert!(message.contains("refused"), "{message}");
}

const USERS_DUMP: &str = r#"schema public comment "standard public schema"
extension plpgsql version 1.0 schema pg_catalog
table public.users
  column id bigint not null generated always as identity
  column email text not null
  column status text not null default 'active'::text
  column age integer
  constraint users_age_check CHECK ((age >= 0))
  constraint users_pkey PRIMARY KEY (id)
  index CREATE INDEX users_status_idx ON public.users USING btree (status)
  index CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)
  comment "people who log in"
  comment on column email "login, unique per user"
sequence public.users_id_seq as bigint start 1 increment 1 min 1 max 9223372036854775807 cache 1 owned by public.users.id (identity)
"#;

#[test]
fn schema_dump_reflects_the_schema_and_ignores_undone_changes() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE users (
             id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             email text NOT NULL,
             status text NOT NULL DEFAULT 'active',
             age int CHECK (age >= 0)
         );
         CREATE INDEX users_status_idx ON users (status);
         COMMENT ON TABLE users IS 'people who log in';
         COMMENT ON COLUMN users.email IS 'login, unique per user';",
    );
    let before = db.schema_dump();
    assert_eq!(before, USERS_DUMP);

    // An extra table appears in the dump while it exists...
    db.exec("CREATE TABLE extra (id serial PRIMARY KEY, note text DEFAULT 'x')");
    let during = db.schema_dump();
    assert_ne!(during, before);
    assert!(during.contains("table public.extra\n  column id integer not null default nextval('extra_id_seq'::regclass)\n  column note text default 'x'::text\n  constraint extra_pkey PRIMARY KEY (id)\n"), "{during}");
    assert!(during.contains("sequence public.extra_id_seq as integer start 1 increment 1 min 1 max 2147483647 cache 1 owned by public.extra.id\n"), "{during}");

    // ...and leaves no trace once dropped; neither does a column added and
    // dropped again.
    db.exec("DROP TABLE extra; ALTER TABLE users ADD COLUMN tmp int; ALTER TABLE users DROP COLUMN tmp;");
    assert_eq!(db.schema_dump(), before);
    assert_eq!(db.columns("users"), ["id", "email", "status", "age"]);

    // A changed default or a renamed constraint does show.
    db.exec("ALTER TABLE users ALTER COLUMN status SET DEFAULT 'new'");
    assert_ne!(db.schema_dump(), before);
    db.exec("ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active'");
    assert_eq!(db.schema_dump(), before);
    db.exec("ALTER TABLE users RENAME CONSTRAINT users_age_check TO age_ok");
    assert!(db
        .schema_dump()
        .contains("  constraint age_ok CHECK ((age >= 0))\n"));
}

#[test]
fn schema_dump_leaves_out_the_bookkeeping_table_and_its_sequence() {
    let db = TestDb::new();
    let empty = db.schema_dump();
    assert_eq!(
        empty,
        "schema public comment \"standard public schema\"\n\
         extension plpgsql version 1.0 schema pg_catalog\n"
    );
    db.exec(
        "CREATE TABLE public.pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
         CREATE INDEX ON pgmigrations (name);",
    );
    assert_eq!(db.schema_dump(), empty);
    let with_it = db.schema_dump_excluding(&[]);
    assert!(with_it.contains("table public.pgmigrations\n"), "{with_it}");
    assert!(
        with_it.contains("sequence public.pgmigrations_id_seq "),
        "{with_it}"
    );

    db.exec("CREATE SCHEMA app; CREATE TABLE app.keep (id int); CREATE TABLE app.skip (id serial)");
    let dump = db.schema_dump_excluding(&["app.skip", "pgmigrations"]);
    assert_eq!(
        dump,
        "schema app\n\
         schema public comment \"standard public schema\"\n\
         extension plpgsql version 1.0 schema pg_catalog\n\
         table app.keep\n  column id integer\n"
    );
}

const OBJECTS_DUMP: &str = r#"schema app comment "application objects"
schema public comment "standard public schema"
extension plpgsql version 1.0 schema pg_catalog
enum app.mood ('sad', 'ok', 'happy')
  comment "how it feels"
domain app.positive integer not null default 1
  constraint positive_check CHECK ((VALUE > 0))
type app.pair
  column a integer
  column b text
table app.people
  column id integer not null
  column mood app.mood not null default 'ok'::app.mood
  column name text collate C
  column name_len integer generated always as (length(name)) stored
  column score app.positive
  column updated_at timestamp with time zone
  constraint people_pkey PRIMARY KEY (id)
  index CREATE UNIQUE INDEX people_pkey ON app.people USING btree (id)
  trigger CREATE TRIGGER people_touch BEFORE UPDATE ON app.people FOR EACH ROW EXECUTE FUNCTION app.touch()
table app.visits
  column person_id integer not null
  constraint visits_person_id_fkey FOREIGN KEY (person_id) REFERENCES app.people(id) ON DELETE CASCADE
view app.happy_people
  as
     SELECT id,
        name
       FROM app.people
      WHERE (mood = 'happy'::app.mood);
  column id integer
  column name text collate C
  comment "only the happy ones"
sequence app.counter as bigint start 10 increment 5 min 1 max 9223372036854775807 cache 1
function app.touch()
    CREATE OR REPLACE FUNCTION app.touch()
     RETURNS trigger
     LANGUAGE plpgsql
    AS $function$ BEGIN NEW.updated_at := now(); RETURN NEW; END $function$
  comment "sets updated_at"
"#;

#[test]
fn schema_dump_covers_types_views_sequences_functions_and_triggers() {
    let db = TestDb::new();
    db.exec(
        r#"CREATE SCHEMA app;
         COMMENT ON SCHEMA app IS 'application objects';
         CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
         COMMENT ON TYPE app.mood IS 'how it feels';
         CREATE DOMAIN app.positive AS int NOT NULL DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0);
         CREATE TYPE app.pair AS (a int, b text);
         CREATE SEQUENCE app.counter AS bigint START 10 INCREMENT 5;
         CREATE TABLE app.people (
             id int PRIMARY KEY,
             mood app.mood NOT NULL DEFAULT 'ok',
             name text COLLATE "C",
             name_len int GENERATED ALWAYS AS (length(name)) STORED,
             score app.positive,
             updated_at timestamptz
         );
         CREATE TABLE app.visits (person_id int NOT NULL REFERENCES app.people ON DELETE CASCADE);
         CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
             AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
         COMMENT ON FUNCTION app.touch() IS 'sets updated_at';
         CREATE TRIGGER people_touch BEFORE UPDATE ON app.people FOR EACH ROW EXECUTE FUNCTION app.touch();
         CREATE VIEW app.happy_people AS SELECT id, name FROM app.people WHERE mood = 'happy';
         COMMENT ON VIEW app.happy_people IS 'only the happy ones';"#,
    );
    let dump = db.schema_dump();
    assert_eq!(dump, OBJECTS_DUMP, "actual dump:\n{dump}");

    // Using the sequence changes data, not schema.
    db.exec("SELECT nextval('app.counter'); INSERT INTO app.people (id) VALUES (1)");
    assert_eq!(db.schema_dump(), OBJECTS_DUMP);

    // Adding and dropping an enum label order-sensitively shows.
    db.exec("ALTER TYPE app.mood ADD VALUE 'meh' BEFORE 'ok'");
    assert!(db
        .schema_dump()
        .contains("enum app.mood ('sad', 'meh', 'ok', 'happy')\n"));

    // Dropping the whole schema takes us back to an empty dump.
    db.exec("DROP SCHEMA app CASCADE");
    assert_eq!(
        db.schema_dump(),
        "schema public comment \"standard public schema\"\n\
         extension plpgsql version 1.0 schema pg_catalog\n"
    );
}

/// PostgreSQL 16 stopped qualifying unambiguous columns in view definitions; the dump reads the same on
/// every major by leaving out the names of the relations a view reads, and nothing else.
#[test]
fn view_definitions_read_the_same_on_every_major() {
    let old = "SELECT people.id,\n    \"Mixed\".x\n   FROM (app.people\n     JOIN \"Mixed\" ON ((\"Mixed\".id = people.id)))\n  WHERE (people.mood = 'ok'::app.mood);";
    let new = "SELECT people.id,\n    \"Mixed\".x\n   FROM (app.people\n     JOIN \"Mixed\" ON ((\"Mixed\".id = people.id)))\n  WHERE (mood = 'ok'::app.mood);";
    let want = "SELECT id,\n    x\n   FROM (app.people\n     JOIN \"Mixed\" ON ((id = id)))\n  WHERE (mood = 'ok'::app.mood);";
    assert_eq!(unqualify_columns(old, &["people", "Mixed"]), want);
    assert_eq!(unqualify_columns(new, &["people", "Mixed"]), want);
    // A schema-qualified name, a longer name ending in the relation's, and other relations stay.
    assert_eq!(
        unqualify_columns("SELECT app.people.id, xpeople.id, other.id", &["people"]),
        "SELECT app.people.id, xpeople.id, other.id"
    );
}
