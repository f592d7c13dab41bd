//! Schemas, sequences, functions, procedures and aggregates, default privileges and event triggers in the
//! schema model: each read once, the description showing it as it always has, and the SQL of `squash` and
//! scratch databases recreating what it recreates (a copy built from that SQL describes the same). Each case
//! has a name that needs quotes, a comment with a quote and a backslash, and a privilege, so the quoting of
//! the renderers is proved against the server's.

use migrate_core::{schema, MigrationsTable};
use tests::TestDb;

/// Triggers and rules, in a file of their own.
#[path = "schema_triggers.rs"]
mod triggers;

pub(super) fn describe(db: &TestDb) -> String {
    schema::describe(&mut db.client(), &MigrationsTable::default())
        .unwrap()
        .render()
}

/// The statements `squash` reads from `source`, applied in one transaction to a fresh database.
fn copy(statements: &[String]) -> TestDb {
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}\n\nall:\n{}", statements.join(";\n")));
    }
    tx.commit().unwrap();
    copy
}

pub(super) fn ddl(db: &TestDb) -> Vec<String> {
    schema::ddl(&mut db.client(), &MigrationsTable::default()).unwrap()
}

pub(super) fn matching(statements: &[String], keep: impl Fn(&str) -> bool) -> Vec<&str> {
    statements
        .iter()
        .map(String::as_str)
        .filter(|s| keep(s))
        .collect()
}

#[path = "schema_views.rs"]
mod views;

/// Schemas are created in creation order (`public` exists already), with their comments (`public`'s too,
/// when it is not initdb's) and their privileges relative to their defaults.
#[test]
fn schemas_are_recreated_with_their_comments_and_privileges() {
    let source = TestDb::new();
    source.exec(
        "REVOKE USAGE ON SCHEMA public FROM PUBLIC;
         COMMENT ON SCHEMA public IS 'mine now';
         CREATE SCHEMA \"Shop's\";
         CREATE SCHEMA plain;
         COMMENT ON SCHEMA \"Shop's\" IS 'it''s a \\ shop';
         GRANT USAGE ON SCHEMA \"Shop's\" TO PUBLIC;
         GRANT CREATE, USAGE ON SCHEMA plain TO pg_monitor WITH GRANT OPTION;",
    );
    let statements = ddl(&source);
    assert_eq!(
        matching(&statements, |s| s.contains(" SCHEMA ")),
        [
            "CREATE SCHEMA \"Shop's\"",
            "CREATE SCHEMA plain",
            "COMMENT ON SCHEMA \"Shop's\" IS E'it''s a \\\\ shop'",
            "COMMENT ON SCHEMA public IS 'mine now'",
            "REVOKE USAGE ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE ON SCHEMA \"Shop's\" TO PUBLIC",
            // The server's `with grant option`, as the description's line has it: SQL either way.
            "GRANT CREATE, USAGE ON SCHEMA plain TO pg_monitor with grant option",
        ]
    );
    let expected = describe(&source);
    assert!(
        expected.contains(
            "\nschema \"Shop's\"\n  grant USAGE to PUBLIC\n  comment \"it's a \\\\ shop\"\n\n\
             schema plain\n  grant CREATE, USAGE to pg_monitor with grant option\n\n\
             schema public\n  revoke USAGE from PUBLIC\n  comment \"mine now\"\n"
        ),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy(&statements)));
}

/// Sequences other than identity columns' are created in creation order with every setting, owned by
/// their columns once the tables exist, with their comments and privileges; the description shows every
/// sequence, an identity column's too.
#[test]
fn sequences_are_recreated_with_their_settings_owners_comments_and_privileges() {
    let source = TestDb::new();
    // Unlogged sequences came with PostgreSQL 15; on older majors the same sequence is a logged one.
    let unlogged = if source.server_major() >= 15 {
        "UNLOGGED "
    } else {
        ""
    };
    source.exec(&format!(
        "CREATE SCHEMA \"Shop's\";
         CREATE SEQUENCE \"Shop's\".\"Tickets\" AS integer START 100 INCREMENT 5 CACHE 10 CYCLE;
         COMMENT ON SEQUENCE \"Shop's\".\"Tickets\" IS 'it''s \\ numbered';
         GRANT USAGE ON SEQUENCE \"Shop's\".\"Tickets\" TO pg_monitor;
         CREATE {unlogged}SEQUENCE \"Shop's\".scratch MINVALUE -10 MAXVALUE 10 START -10;
         CREATE TABLE \"Shop's\".orders (id serial, n bigint GENERATED ALWAYS AS IDENTITY (START 7), m integer);
         CREATE SEQUENCE \"Shop's\".\"M\" OWNED BY \"Shop's\".orders.m;",
    ));
    let statements = ddl(&source);
    let scratch = format!(
        "CREATE {unlogged}SEQUENCE \"Shop's\".scratch AS bigint INCREMENT BY 1 MINVALUE -10 MAXVALUE 10 \
         START WITH -10 CACHE 1"
    );
    assert_eq!(
        matching(&statements, |s| s.contains(" SEQUENCE ")),
        [
            "CREATE SEQUENCE \"Shop's\".\"Tickets\" AS integer INCREMENT BY 5 MINVALUE 1 MAXVALUE 2147483647 \
             START WITH 100 CACHE 10 CYCLE",
            scratch.as_str(),
            "CREATE SEQUENCE \"Shop's\".orders_id_seq AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 \
             START WITH 1 CACHE 1",
            "CREATE SEQUENCE \"Shop's\".\"M\" AS bigint INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 \
             START WITH 1 CACHE 1",
            "ALTER SEQUENCE \"Shop's\".orders_id_seq OWNED BY \"Shop's\".orders.id",
            "ALTER SEQUENCE \"Shop's\".\"M\" OWNED BY \"Shop's\".orders.m",
            "COMMENT ON SEQUENCE \"Shop's\".\"Tickets\" IS E'it''s \\\\ numbered'",
            "GRANT USAGE ON SEQUENCE \"Shop's\".\"Tickets\" TO pg_monitor",
        ]
    );
    let expected = describe(&source);
    for described in [
        "\nsequence \"Shop's\".\"M\" as bigint start 1 increment 1 min 1 max 9223372036854775807 cache 1 \
         owned by \"Shop's\".orders.m\n",
        "\nsequence \"Shop's\".\"Tickets\" as integer start 100 increment 5 min 1 max 2147483647 cache 10 cycle\n  \
         grant USAGE to pg_monitor\n  comment \"it's \\\\ numbered\"\n",
        "\nsequence \"Shop's\".orders_id_seq as integer start 1 increment 1 min 1 max 2147483647 cache 1 \
         owned by \"Shop's\".orders.id\n",
        "\nsequence \"Shop's\".orders_n_seq as bigint start 7 increment 1 min 1 max 9223372036854775807 cache 1 \
         owned by \"Shop's\".orders.n (identity)\n",
        "\nsequence \"Shop's\".scratch as bigint start -10 increment 1 min -10 max 10 cache 1\n",
    ] {
        assert!(expected.contains(described), "{described}\nnot in\n{expected}");
    }
    assert_eq!(expected, describe(&copy(&statements)));
}

/// Functions and procedures are created in creation order, those whose signature or body needs a table
/// after the tables, with their comments and privileges; functions PostgreSQL makes for a type (a range's
/// constructors) are the type's. Aggregates are described (by their argument types and result) but not
/// recreated: `squash` refuses a schema with one.
#[test]
fn functions_and_procedures_are_recreated_and_aggregates_described() {
    let source = TestDb::new();
    source.exec(
        "CREATE SCHEMA \"Shop's\";
         CREATE FUNCTION \"Shop's\".\"Next\"(a integer DEFAULT 1) RETURNS integer LANGUAGE sql
           AS $$ SELECT a + 1 $$;
         CREATE TABLE \"Shop's\".items (id integer);
         CREATE FUNCTION \"Shop's\".first_item() RETURNS \"Shop's\".items LANGUAGE sql
           AS $$ SELECT * FROM \"Shop's\".items LIMIT 1 $$;
         CREATE PROCEDURE \"Shop's\".say(text) LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'it''s %', $1; END $$;
         COMMENT ON FUNCTION \"Shop's\".\"Next\"(integer) IS 'it''s \\ one more';
         COMMENT ON PROCEDURE \"Shop's\".say(text) IS 'speaks';
         REVOKE EXECUTE ON FUNCTION \"Shop's\".\"Next\"(integer) FROM PUBLIC;
         GRANT EXECUTE ON FUNCTION \"Shop's\".\"Next\"(integer) TO pg_monitor;
         CREATE TYPE \"Shop's\".span AS RANGE (subtype = integer);",
    );
    let statements = ddl(&source);
    let first_lines: Vec<String> = statements
        .iter()
        .map(|s| s.lines().next().unwrap_or_default())
        // PostgreSQL 14 started writing `IN` before a procedure's input arguments.
        .map(|s| s.replace("say(IN text)", "say(text)"))
        .filter(|s| {
            s.starts_with("CREATE OR REPLACE ")
                || s.starts_with("CREATE TABLE ")
                || s.contains(" ON FUNCTION ")
                || s.contains(" ON PROCEDURE ")
        })
        .collect();
    assert_eq!(
        first_lines,
        [
            "CREATE OR REPLACE FUNCTION \"Shop's\".\"Next\"(a integer DEFAULT 1)",
            "CREATE OR REPLACE PROCEDURE \"Shop's\".say(text)",
            "CREATE TABLE \"Shop's\".items (",
            "CREATE OR REPLACE FUNCTION \"Shop's\".first_item()",
            "COMMENT ON FUNCTION \"Shop's\".\"Next\"(integer) IS E'it''s \\\\ one more'",
            "COMMENT ON PROCEDURE \"Shop's\".say(text) IS 'speaks'",
            "REVOKE EXECUTE ON FUNCTION \"Shop's\".\"Next\"(integer) FROM PUBLIC",
            "GRANT EXECUTE ON FUNCTION \"Shop's\".\"Next\"(integer) TO pg_monitor",
        ]
    );
    let copied = copy(&statements);
    let aggregate = "CREATE AGGREGATE \"Shop's\".total(integer) (sfunc = int4pl, stype = integer);
         COMMENT ON AGGREGATE \"Shop's\".total(integer) IS 'a \"sum\"';
         REVOKE ALL ON FUNCTION \"Shop's\".total(integer) FROM PUBLIC;";
    source.exec(aggregate);
    let expected = describe(&source);
    for described in [
        "\naggregate \"Shop's\".total(integer) returns integer\n  revoke EXECUTE from PUBLIC\n  \
         comment \"a \\\"sum\\\"\"\n",
        "\nfunction \"Shop's\".\"Next\"(integer)\n  as\n    \
         CREATE OR REPLACE FUNCTION \"Shop's\".\"Next\"(a integer DEFAULT 1)\n",
        "\n  grant EXECUTE to pg_monitor\n  revoke EXECUTE from PUBLIC\n  comment \"it's \\\\ one more\"\n",
        "\nprocedure \"Shop's\".say(text)\n  as\n",
    ] {
        assert!(expected.contains(described), "{described}\nnot in\n{expected}");
    }
    assert!(!expected.contains("span(integer, integer)"), "{expected}");
    assert!(!ddl(&source).iter().any(|s| s.contains("AGGREGATE")));
    copied.exec(aggregate);
    assert_eq!(expected, describe(&copied));
}

/// Default privileges and event triggers are described (the SQL does not recreate them: `squash` refuses a
/// schema with them).
#[test]
fn default_privileges_and_event_triggers_are_described() {
    let db = TestDb::new();
    db.exec(
        "CREATE SCHEMA \"Shop's\";
         ALTER DEFAULT PRIVILEGES IN SCHEMA \"Shop's\" GRANT SELECT, UPDATE ON TABLES TO pg_monitor WITH GRANT OPTION;
         ALTER DEFAULT PRIVILEGES IN SCHEMA \"Shop's\" GRANT USAGE ON SEQUENCES TO PUBLIC;
         ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
         ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO pg_monitor;
         ALTER DEFAULT PRIVILEGES GRANT USAGE ON TYPES TO pg_signal_backend;
         ALTER DEFAULT PRIVILEGES GRANT CREATE ON SCHEMAS TO pg_monitor;
         CREATE FUNCTION \"Shop's\".on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
         CREATE EVENT TRIGGER \"Log it\" ON ddl_command_start WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
           EXECUTE FUNCTION \"Shop's\".on_ddl();
         ALTER EVENT TRIGGER \"Log it\" DISABLE;
         COMMENT ON EVENT TRIGGER \"Log it\" IS 'a \"quote\" and \\ backslash';
         CREATE EVENT TRIGGER plain ON sql_drop EXECUTE FUNCTION \"Shop's\".on_ddl();
         ALTER EVENT TRIGGER plain ENABLE ALWAYS;",
    );
    let text = describe(&db);
    let expected = "\ndefault privileges for role postgres in schema \"Shop's\" on sequences\n  \
        grant USAGE to PUBLIC\n\n\
        default privileges for role postgres in schema \"Shop's\" on tables\n  \
        grant SELECT, UPDATE to pg_monitor with grant option\n\n\
        default privileges for role postgres on functions\n  \
        grant EXECUTE to pg_monitor\n  revoke EXECUTE from PUBLIC\n\n\
        default privileges for role postgres on schemas\n  grant CREATE to pg_monitor\n\n\
        default privileges for role postgres on types\n  grant USAGE to pg_signal_backend\n\n\
        event trigger \"Log it\" on ddl_command_start when tag in ('ALTER TABLE', 'CREATE TABLE') \
        execute \"Shop's\".on_ddl() (disabled)\n  comment \"a \\\"quote\\\" and \\\\ backslash\"\n\n\
        event trigger plain on sql_drop execute \"Shop's\".on_ddl() (enabled always)\n";
    assert!(text.ends_with(expected), "{text}");
    let statements = ddl(&db);
    assert!(
        !statements
            .iter()
            .any(|s| s.contains("DEFAULT PRIVILEGES") || s.contains("EVENT TRIGGER")),
        "{statements:?}"
    );
}
