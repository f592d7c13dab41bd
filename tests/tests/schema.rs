//! The catalog description of a schema (`migrate_core::schema`), and `schema check` / `schema write`.

use migrate_core::MigrationsTable;
use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::pg_versions::server_for_test;
use tests::TestDb;

/// One object of every kind the description covers, plus the bookkeeping tables it must leave out.
const EVERY_KIND: &str = r#"
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the application';
GRANT USAGE ON SCHEMA app TO PUBLIC;
CREATE EXTENSION citext;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.span AS RANGE (subtype = integer);
CREATE DOMAIN app.email AS text NOT NULL DEFAULT 'x@example.com' CONSTRAINT email_at CHECK (VALUE LIKE '%@%');
COMMENT ON DOMAIN app.email IS 'an address';
CREATE TYPE app.pair AS (a integer, b text);
CREATE TABLE app.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email app.email NOT NULL UNIQUE,
    name text COLLATE "C",
    mood app.mood DEFAULT 'ok',
    name_length integer GENERATED ALWAYS AS (length(name)) STORED,
    CONSTRAINT name_not_blank CHECK (name <> '')
);
COMMENT ON TABLE app.users IS 'people';
COMMENT ON COLUMN app.users.name IS 'shown';
COMMENT ON CONSTRAINT name_not_blank ON app.users IS 'blank names are refused';
CREATE INDEX users_lower_name ON app.users (lower(name)) WHERE name IS NOT NULL;
COMMENT ON INDEX app.users_lower_name IS 'for search';
CREATE UNLOGGED TABLE app.scratch (id serial, note text) WITH (fillfactor = 70);
CREATE TABLE app.events (at timestamptz NOT NULL, user_id bigint REFERENCES app.users (id) ON DELETE CASCADE)
    PARTITION BY RANGE (at);
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON app.users FOR SELECT TO PUBLIC USING (id > 0);
GRANT SELECT, UPDATE (name) ON app.users TO PUBLIC;
CREATE VIEW app.named_users AS SELECT id, name FROM app.users WHERE name IS NOT NULL;
CREATE MATERIALIZED VIEW app.user_count AS SELECT count(*) AS n FROM app.users;
CREATE SEQUENCE app.tickets AS integer START 100 INCREMENT 5 CACHE 10 CYCLE;
COMMENT ON SEQUENCE app.tickets IS 'ticket numbers';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION app.touch() IS 'does nothing yet';
REVOKE EXECUTE ON FUNCTION app.touch() FROM PUBLIC;
CREATE TRIGGER users_touch BEFORE UPDATE ON app.users FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE PROCEDURE app.noop(n integer) LANGUAGE sql AS $$ SELECT n $$;
CREATE AGGREGATE app.total(integer) (sfunc = int4pl, stype = integer);
CREATE FUNCTION app.pair_eq(app.pair, app.pair) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.a = $2.a';
CREATE FUNCTION app.pair_hash(app.pair) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1.a';
CREATE OPERATOR app.=== (LEFTARG = app.pair, RIGHTARG = app.pair, FUNCTION = app.pair_eq,
    COMMUTATOR = OPERATOR(app.===));
CREATE OPERATOR CLASS app.pair_ops FOR TYPE app.pair USING hash AS
    OPERATOR 1 app.===, FUNCTION 1 app.pair_hash(app.pair);
CREATE CAST (app.pair AS text) WITH INOUT AS ASSIGNMENT;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER TABLE app.scratch REPLICA IDENTITY FULL;
ALTER TABLE app.scratch ALTER COLUMN note SET STORAGE EXTERNAL;
CREATE RULE scratch_keep AS ON DELETE TO app.scratch DO INSTEAD NOTHING;
CREATE STATISTICS app.users_stats (dependencies) ON id, mood FROM app.users;
CLUSTER app.users USING users_pkey;
CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER app_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION app.on_ddl();
CREATE TABLE public.pgmigrations (id serial PRIMARY KEY, name text);
CREATE TABLE public.pgmigrations_backfill (id integer);
CREATE TABLE public.pgmigrations_previous (id integer);
"#;

fn describe(url: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    migrate_core::schema::describe(&mut client, &MigrationsTable::default())
        .expect("describe")
        .render()
}

#[test]
fn the_description_covers_every_kind_of_object_and_leaves_out_the_bookkeeping() {
    let db = TestDb::new();
    db.exec(EVERY_KIND);
    let text = describe(db.url());
    // In one form on every major, so the snapshot holds whichever major the suite runs on.
    insta::assert_snapshot!("description_of_every_kind", across_majors(&text));
    assert!(!text.contains("pgmigrations"), "{text}");
}

#[test]
fn an_empty_database_is_described_as_schema_public_only() {
    let db = TestDb::new();
    let text = describe(db.url());
    assert_eq!(
        text,
        format!("{}\nschema public\n", migrate_core::schema::HEADER)
    );
}

/// Operators (infix and prefix, with every option), operator families with their classes and members, and
/// casts (with a function, with inout) are described with names that need quotes and their comments (a quote
/// and a backslash), read once into the schema model.
#[test]
fn operators_operator_families_and_casts_are_described_with_their_comments() {
    let db = TestDb::new();
    db.exec(
        r#"CREATE SCHEMA "Ops";
        CREATE TYPE "Ops"."Pair" AS (a integer, b text);
        CREATE FUNCTION "Ops".pair_eq("Ops"."Pair", "Ops"."Pair") RETURNS boolean LANGUAGE sql IMMUTABLE
            AS 'SELECT $1.a = $2.a';
        CREATE FUNCTION "Ops".pair_ne("Ops"."Pair", "Ops"."Pair") RETURNS boolean LANGUAGE sql IMMUTABLE
            AS 'SELECT $1.a <> $2.a';
        CREATE FUNCTION "Ops".pair_hash("Ops"."Pair") RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1.a';
        CREATE FUNCTION "Ops".pair_int("Ops"."Pair") RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1.a';
        CREATE FUNCTION "Ops".minus("Ops"."Pair") RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT -$1.a';
        CREATE OPERATOR "Ops".=== (LEFTARG = "Ops"."Pair", RIGHTARG = "Ops"."Pair", FUNCTION = "Ops".pair_eq,
            COMMUTATOR = OPERATOR("Ops".===), NEGATOR = OPERATOR("Ops".!==), RESTRICT = eqsel, JOIN = eqjoinsel,
            HASHES, MERGES);
        CREATE OPERATOR "Ops".!== (LEFTARG = "Ops"."Pair", RIGHTARG = "Ops"."Pair", FUNCTION = "Ops".pair_ne);
        CREATE OPERATOR "Ops".- (RIGHTARG = "Ops"."Pair", FUNCTION = "Ops".minus);
        COMMENT ON OPERATOR "Ops".=== ("Ops"."Pair", "Ops"."Pair") IS 'same "a", it''s \ equal';
        CREATE OPERATOR FAMILY "Ops"."Pair Family" USING hash;
        CREATE OPERATOR CLASS "Ops".pair_ops DEFAULT FOR TYPE "Ops"."Pair" USING hash FAMILY "Ops"."Pair Family" AS
            OPERATOR 1 "Ops".===, FUNCTION 1 "Ops".pair_hash("Ops"."Pair");
        CREATE CAST ("Ops"."Pair" AS text) WITH INOUT AS ASSIGNMENT;
        CREATE CAST ("Ops"."Pair" AS integer) WITH FUNCTION "Ops".pair_int("Ops"."Pair") AS IMPLICIT;
        COMMENT ON CAST ("Ops"."Pair" AS integer) IS 'the "a", it''s \ it';"#,
    );
    let text = describe(db.url());
    // `!==` is made after `===` named it as its negator: whether the server links the negator back when it
    // fills that shell operator differs between servers (15 here does, 13.23 and 18 do not); the description
    // shows what the server holds, so either line is right.
    let not_equal = "\noperator \"Ops\".!==(\"Ops\".\"Pair\", \"Ops\".\"Pair\") function \
                     \"Ops\".pair_ne(\"Ops\".\"Pair\",\"Ops\".\"Pair\") returns boolean";
    let linked = format!("{not_equal} negator \"Ops\".===(\"Ops\".\"Pair\",\"Ops\".\"Pair\")\n");
    assert!(
        text.contains(&linked) || text.contains(&format!("{not_equal}\n")),
        "{not_equal}\nnot in:\n{text}"
    );
    for paragraph in [
        r#"
operator "Ops".-(NONE, "Ops"."Pair") function "Ops".minus("Ops"."Pair") returns integer
"#,
        r#"
operator "Ops".===("Ops"."Pair", "Ops"."Pair") function "Ops".pair_eq("Ops"."Pair","Ops"."Pair") returns boolean commutator "Ops".===("Ops"."Pair","Ops"."Pair") negator "Ops".!==("Ops"."Pair","Ops"."Pair") restrict eqsel(internal,oid,internal,integer) join eqjoinsel(internal,oid,internal,smallint,internal) hashes merges
  comment "same \"a\", it's \\ equal"
"#,
        r#"
operator family "Ops"."Pair Family" using hash
  class "Ops".pair_ops for type "Ops"."Pair" default
  function 1 ("Ops"."Pair", "Ops"."Pair") "Ops".pair_hash("Ops"."Pair")
  operator 1 "Ops".===("Ops"."Pair","Ops"."Pair")
"#,
        r#"
cast ("Ops"."Pair" AS integer) with function "Ops".pair_int("Ops"."Pair") implicit
  comment "the \"a\", it's \\ it"
"#,
        "\ncast (\"Ops\".\"Pair\" AS text) with inout as assignment\n",
    ] {
        assert!(text.contains(paragraph), "{paragraph}\nnot in:\n{text}");
    }
}

/// The same objects created in another order, and read with another `search_path`, time zone and date
/// style (the partition bounds are timestamps), describe the same.
#[test]
fn the_description_does_not_depend_on_creation_order_or_session_settings() {
    let a = TestDb::new();
    a.exec(EVERY_KIND);
    let b = TestDb::new();
    b.exec("CREATE TABLE public.zzz (id integer); CREATE SCHEMA other; SET search_path = other, public;");
    b.exec(EVERY_KIND);
    b.exec("DROP TABLE public.zzz; DROP SCHEMA other;");
    let url = format!(
        "{}?options=-csearch_path%3Dapp%20-cTimeZone%3DAmerica%2FNew_York%20-cDateStyle%3DGerman",
        a.url()
    );
    assert_eq!(describe(&url), describe(b.url()));
}

/// The known differences between majors in the server's own rendering of definitions, mapped to one form:
/// PostgreSQL 14 started writing `IN` before a procedure's input arguments (`pg_get_functiondef`), and 16
/// stopped qualifying the columns of a view over one table (`pg_get_viewdef`).
fn across_majors(text: &str) -> String {
    text.replace(
        "PROCEDURE app.noop(n integer)",
        "PROCEDURE app.noop(IN n integer)",
    )
    .replace(
        "SELECT users.id,\n        users.name\n",
        "SELECT id,\n        name\n",
    )
    .replace("WHERE (users.name IS NOT NULL)", "WHERE (name IS NOT NULL)")
}

/// The description reads only catalog columns every supported major has: on the oldest and the newest one
/// it is the same as on the default server, but for the differences in the server's own rendering of
/// definitions listed in [`across_majors`]. The servers come from [`server_for_test`]: this test fails when
/// they cannot be installed (see `tests::pg_versions` for the only way to skip it).
#[test]
fn the_description_is_the_same_on_the_oldest_and_newest_supported_major() {
    let db = TestDb::new();
    db.exec(EVERY_KIND);
    let expected = across_majors(&describe(db.url()));
    for major in [13, 18] {
        let Some(server) = server_for_test(major) else {
            continue;
        };
        let other = TestDb::new_on(&server.admin_url());
        other.exec(EVERY_KIND);
        let text = across_majors(&describe(other.url()));
        assert!(
            text == expected,
            "PostgreSQL {major} describes the schema differently:\n{}",
            similar::TextDiff::from_lines(&expected, &text)
                .unified_diff()
                .header("default server", &format!("PostgreSQL {major}"))
        );
    }
}

fn with_schema_file(cli: &FixtureCli) -> std::path::PathBuf {
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "schema_file = \"schema.sql\"\n",
    )
    .expect("write migrate.toml");
    cli.cwd().join("schema.sql")
}

#[test]
fn schema_check_passes_when_the_file_matches_the_migrations() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let file = with_schema_file(&cli);
    let write = cli.run(&["schema", "write"]).expect_code(0);
    assert_cli_snapshot!("schema_write", write, &["schema", "write"]);
    assert!(db.tables().is_empty(), "the target database was touched");
    let check = cli.run(&["schema", "check"]).expect_code(0);
    assert_cli_snapshot!("schema_check_ok", check, &["schema", "check"]);
    let again = cli.run(&["schema", "write"]).expect_code(0);
    assert!(again.stdout.contains("is up to date"), "{}", again.stdout);
    assert!(file.is_file());
}

/// The schema file is what the migrations give on an empty database, whatever database a run changes: a
/// table of the target database that no migration creates (sqlx's history table, which `import` leaves in
/// place; a change made by hand on a staging copy) never reaches it, and `up`, `down` and `redo` leave the
/// file `schema write` wrote as it is, so the two never rewrite each other.
#[test]
fn runs_leave_the_schema_file_to_the_migrations() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let file = with_schema_file(&cli);
    db.exec(
        "CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY, description text NOT NULL)",
    );
    cli.run(&["schema", "write"]).expect_code(0);
    let written = std::fs::read_to_string(&file).expect("schema.sql");
    assert!(!written.contains("_sqlx_migrations"), "{written}");
    for args in [&["up"][..], &["down"], &["redo"], &["up"]] {
        cli.run(args).expect_code(0);
        let now = std::fs::read_to_string(&file).expect("schema.sql");
        assert!(
            now == written,
            "`{}` rewrote the schema file:\n{}",
            args.join(" "),
            similar::TextDiff::from_lines(&written, &now)
                .unified_diff()
                .header("schema write", &args.join(" "))
        );
    }
    cli.run(&["schema", "check"]).expect_code(0);
}

#[test]
fn schema_check_shows_the_diff_and_exits_6_when_the_file_is_out_of_date() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let file = with_schema_file(&cli);
    cli.run(&["schema", "write"]).expect_code(0);
    // A stale file: it misses the comment a migration adds and has a column no migration creates.
    let text = std::fs::read_to_string(&file).expect("schema.sql");
    let stale = text.replace("  comment \"people who post\"\n", "").replace(
        "  column bio text\n",
        "  column bio text\n  column age integer\n",
    );
    assert_ne!(stale, text);
    std::fs::write(&file, stale).expect("write");
    let run = cli.run(&["schema", "check"]).expect_code(6);
    assert_cli_snapshot!("schema_check_diff", run, &["schema", "check"]);
    let leftovers = db.query_strings(
        "SELECT datname::text FROM pg_database WHERE datname LIKE current_database() || '\\_check\\_%'",
    );
    assert!(
        leftovers.is_empty(),
        "scratch database left behind: {leftovers:?}"
    );
}

#[test]
fn schema_check_exits_6_when_the_file_is_missing() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    with_schema_file(&cli);
    let run = cli.run(&["schema", "check"]).expect_code(6);
    assert_cli_snapshot!("schema_check_missing", run, &["schema", "check"]);
}

#[test]
fn schema_check_needs_a_schema_file_setting_or_flag() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let run = cli.run(&["schema", "check"]).expect_code(1);
    assert!(
        run.stderr.contains("no schema file to compare with") && run.stderr.contains("--file"),
        "{}",
        run.stderr
    );
    let other = cli.cwd().join("elsewhere.txt");
    let other_arg = other.to_string_lossy().into_owned();
    cli.run(&["schema", "write", "--file", &other_arg])
        .expect_code(0);
    cli.run(&["schema", "check", "--file", &other_arg])
        .expect_code(0);
}

/// Migrations that do not apply to an empty database are an error (1), not a schema difference.
#[test]
fn schema_check_fails_with_an_error_when_a_migration_does_not_apply() {
    let db = TestDb::new();
    let cli = FixtureCli::new("failing", &db);
    with_schema_file(&cli);
    std::fs::write(cli.cwd().join("schema.sql"), "").expect("write");
    let run = cli.run(&["schema", "check"]).expect_code(1);
    assert!(
        run.stderr
            .contains("the migrations do not apply to an empty database"),
        "{}",
        run.stderr
    );
}
