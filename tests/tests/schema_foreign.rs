//! Foreign tables and an extension's tables in the schema model. A foreign table is described (header,
//! columns, checks, statistics objects, privileges, comments) but not created by the SQL, which writes its
//! statistics objects, comments and privileges all the same; an extension's table is left out of the
//! description, and the SQL writes the parts a user added to it (the extension creates the table). Each case
//! has names that need quotes, a comment with a quote and a backslash, and privileges, and is pinned on the
//! text readers the model replaced.

use migrate_core::diff::{generate, Options};
use migrate_core::MigrationsTable;
use tests::TestDb;

// The helpers of the other schema-model cases: the description, squash's SQL and a filter over it.
use super::schema_objects::{ddl, describe, matching};

/// `statements` applied in one transaction to a fresh database, with `after_extension` run right after the
/// statement that creates an extension (what the extension's script would have made).
fn copy(statements: &[String], after_extension: &str) -> TestDb {
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}\n\nall:\n{}", statements.join(";\n")));
        if statement.starts_with("CREATE EXTENSION ") {
            tx.batch_execute(after_extension).unwrap();
        }
    }
    tx.commit().unwrap();
    copy
}

const FOREIGN: &str = r#"CREATE EXTENSION postgres_fdw;
    CREATE SERVER "Far's" FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'elsewhere');
    CREATE SCHEMA "Shop's";
    CREATE TABLE "Shop's".base (id integer NOT NULL);
    CREATE FOREIGN TABLE "Shop's"."Orders" (
        "Note" text OPTIONS (column_name 'note') COLLATE "C" NOT NULL DEFAULT 'it''s',
        "Qty" integer,
        total integer GENERATED ALWAYS AS ("Qty" * 2) STORED,
        CONSTRAINT "Positive" CHECK (id > 0)
    ) INHERITS ("Shop's".base) SERVER "Far's" OPTIONS (schema_name 'public', table_name 'orders');
    ALTER FOREIGN TABLE "Shop's"."Orders" ALTER COLUMN "Note" SET STORAGE MAIN;
    COMMENT ON FOREIGN TABLE "Shop's"."Orders" IS 'it''s \ far';
    COMMENT ON COLUMN "Shop's"."Orders"."Note" IS 'a "note"';
    COMMENT ON CONSTRAINT "Positive" ON "Shop's"."Orders" IS 'checked';
    GRANT SELECT ON "Shop's"."Orders" TO pg_monitor;
    GRANT UPDATE ("Note") ON "Shop's"."Orders" TO pg_monitor;
    CREATE STATISTICS "Shop's"."Order stats" (dependencies) ON "Qty", total FROM "Shop's"."Orders";
    CREATE TABLE "Shop's".events (at integer) PARTITION BY RANGE (at);
    CREATE FOREIGN TABLE "Shop's".old_events PARTITION OF "Shop's".events FOR VALUES FROM (0) TO (10)
        SERVER "Far's";"#;

/// A foreign table is described as it always was: its header (inherited tables, a partition's parent and
/// bound; not its server nor options), its columns (inherited ones first; collation, `NOT NULL`, default,
/// generated expression, storage; not their options), its checks, statistics objects, privileges and
/// comments.
#[test]
fn foreign_tables_are_described_with_their_columns_checks_statistics_privileges_and_comments() {
    let source = TestDb::new();
    source.exec(FOREIGN);
    let text = describe(&source);
    for paragraph in [
        r#"
foreign table "Shop's"."Orders" inherits "Shop's".base
  column id integer not null
  column "Note" text collate "C" not null default 'it''s'::text storage main
  column "Qty" integer
  column total integer generated always as (("Qty" * 2)) stored
  constraint "Positive" CHECK ((id > 0))
  CREATE STATISTICS "Shop's"."Order stats" (dependencies) ON "Qty", total FROM "Shop's"."Orders"
  grant SELECT to pg_monitor
  grant UPDATE to pg_monitor (column "Note")
  comment "it's \\ far"
  comment on column "Note" "a \"note\""
  comment on constraint "Positive" "checked"
"#,
        r#"
foreign table "Shop's".old_events partition of "Shop's".events FOR VALUES FROM (0) TO (10)
  column at integer
"#,
    ] {
        assert!(text.contains(paragraph), "{paragraph}\nnot in\n{text}");
    }
    assert!(!text.contains("Far's"), "{text}");
    assert!(!text.contains("table_name"), "{text}");
}

/// The SQL does not create a foreign table, but writes its statistics objects, comments and privileges as
/// its text queries always did (a copy then fails on them: `squash` stops either way); without those, the
/// copy lacks the foreign table and its description differs, which is what `squash` refuses.
#[test]
fn foreign_tables_are_not_created_but_their_statistics_comments_and_privileges_are_written() {
    let source = TestDb::new();
    source.exec(FOREIGN);
    let statements = ddl(&source);
    assert_eq!(
        matching(&statements, |s| s.contains("\"Orders\"")
            || s.contains("old_events")),
        [
            r#"CREATE STATISTICS "Shop's"."Order stats" (dependencies) ON "Qty", total FROM "Shop's"."Orders""#,
            r#"COMMENT ON COLUMN "Shop's"."Orders"."Note" IS 'a "note"'"#,
            r#"COMMENT ON CONSTRAINT "Positive" ON "Shop's"."Orders" IS 'checked'"#,
            r#"COMMENT ON FOREIGN TABLE "Shop's"."Orders" IS E'it''s \\ far'"#,
            r#"GRANT SELECT ON TABLE "Shop's"."Orders" TO pg_monitor"#,
            r#"GRANT UPDATE ("Note") ON TABLE "Shop's"."Orders" TO pg_monitor"#,
        ]
    );
    // Pinned as it is, not as it should be: the first statement on the table that is not there fails.
    let fresh = TestDb::new();
    let mut client = fresh.client();
    let mut tx = client.transaction().unwrap();
    let failed = statements.iter().find(|s| tx.batch_execute(s).is_err());
    assert_eq!(
        failed.map(String::as_str),
        Some(
            r#"CREATE STATISTICS "Shop's"."Order stats" (dependencies) ON "Qty", total FROM "Shop's"."Orders""#
        )
    );
    drop(tx);
    let plain = TestDb::new();
    plain.exec(
        r#"CREATE EXTENSION postgres_fdw;
           CREATE SERVER far FOREIGN DATA WRAPPER postgres_fdw;
           CREATE FOREIGN TABLE "Remote's" (id integer) SERVER far;"#,
    );
    let statements = ddl(&plain);
    assert!(
        !statements.iter().any(|s| s.contains("Remote")),
        "{statements:?}"
    );
    let expected = describe(&plain);
    assert!(
        expected.contains("\nforeign table public.\"Remote's\"\n  column id integer\n"),
        "{expected}"
    );
    let copied = describe(&copy(&statements, ""));
    assert_ne!(expected, copied);
    assert!(!copied.contains("Remote"), "{copied}");
}

/// The parts of an extension's table a user added, as the catalog holds them (constraints, indexes and
/// clustering, row-level security, replica identity, policies, statistics objects, storage, comments,
/// privileges).
fn extension_table_parts(db: &TestDb) -> String {
    let table = r#"'"Ext''s"."Config"'::regclass"#;
    db.query_strings(&format!(
        "SELECT string_agg(line, E'\\n' ORDER BY line) FROM ( \
           SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) AS line FROM pg_constraint \
             WHERE conrelid = {table} \
           UNION ALL SELECT 'index ' || pg_get_indexdef(indexrelid) || ' ' || indisclustered FROM pg_index \
             WHERE indrelid = {table} \
           UNION ALL SELECT 'policy ' || polname || ' ' || polcmd::text || ' ' || polroles::text || ' ' \
             || pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid = {table} \
           UNION ALL SELECT 'statistics ' || pg_get_statisticsobjdef(oid) FROM pg_statistic_ext \
             WHERE stxrelid = {table} \
           UNION ALL SELECT 'comment ' || d.objsubid || ' ' || d.description FROM pg_description d \
             WHERE d.objoid = {table} OR d.objoid IN (SELECT oid FROM pg_constraint WHERE conrelid = {table}) \
               OR d.objoid IN (SELECT indexrelid FROM pg_index WHERE indrelid = {table}) \
           UNION ALL SELECT 'table ' || relrowsecurity || ' ' || relforcerowsecurity || ' ' || relreplident::text \
             || ' ' || relacl::text FROM pg_class WHERE oid = {table} \
           UNION ALL SELECT 'column ' || attname || ' ' || attstorage::text || ' ' || coalesce(attacl::text, '') \
             FROM pg_attribute WHERE attrelid = {table} AND attnum > 0 AND NOT attisdropped) lines"
    ))[0][0]
        .clone()
        .unwrap_or_default()
}

/// A table an extension owns is left out of the description (the extension stands for it), and the SQL
/// does not create it (the extension does) but writes the parts a user added to it, after the other
/// tables' of each kind: a copy whose extension made the bare table gets them all back.
#[test]
fn an_extensions_table_is_not_described_and_the_sql_writes_the_parts_a_user_added() {
    let source = TestDb::new();
    // What the extension's script would make: the table, with its privileges (its initial ones).
    let bare = r#"CREATE TABLE "Ext's"."Config" (id integer NOT NULL, "Key" text, body text, parent integer);
        GRANT INSERT ON "Ext's"."Config" TO pg_monitor;
        ALTER EXTENSION hstore ADD TABLE "Ext's"."Config";"#;
    source.exec(&format!(
        r#"CREATE SCHEMA "Ext's";
        CREATE EXTENSION hstore;
        {bare}
        CREATE TABLE "Ext's".plain (id integer PRIMARY KEY);
        ALTER TABLE "Ext's"."Config" ADD CONSTRAINT "Config's key" PRIMARY KEY (id);
        ALTER TABLE "Ext's"."Config" ADD CONSTRAINT "Key check" CHECK ("Key" <> '');
        ALTER TABLE "Ext's"."Config" ADD CONSTRAINT to_plain FOREIGN KEY (parent) REFERENCES "Ext's".plain (id);
        CREATE INDEX "By key" ON "Ext's"."Config" ("Key");
        ALTER TABLE "Ext's"."Config" CLUSTER ON "By key";
        ALTER TABLE "Ext's"."Config" ENABLE ROW LEVEL SECURITY;
        ALTER TABLE "Ext's"."Config" FORCE ROW LEVEL SECURITY;
        ALTER TABLE "Ext's"."Config" REPLICA IDENTITY FULL;
        CREATE POLICY "Own's" ON "Ext's"."Config" FOR SELECT TO pg_monitor USING (id > 0);
        CREATE STATISTICS "Ext's".config_stats ON id, "Key" FROM "Ext's"."Config";
        ALTER TABLE "Ext's"."Config" ALTER COLUMN body SET STORAGE MAIN;
        COMMENT ON TABLE "Ext's"."Config" IS 'it''s \ config';
        COMMENT ON COLUMN "Ext's"."Config".body IS 'a "body"';
        COMMENT ON CONSTRAINT "Key check" ON "Ext's"."Config" IS 'not empty';
        COMMENT ON INDEX "Ext's"."By key" IS 'lookup';
        GRANT SELECT ON "Ext's"."Config" TO pg_monitor;
        REVOKE INSERT ON "Ext's"."Config" FROM pg_monitor;
        GRANT UPDATE (body) ON "Ext's"."Config" TO pg_monitor;
        CREATE TABLE "Ext's".later (id integer CONSTRAINT later_check CHECK (id > 0), note text);
        ALTER TABLE "Ext's".later ALTER COLUMN note SET STORAGE EXTERNAL;
        ALTER TABLE "Ext's".later ENABLE ROW LEVEL SECURITY;
        CREATE POLICY later_policy ON "Ext's".later USING (true);
        CREATE INDEX later_id ON "Ext's".later (id);
        GRANT SELECT ON "Ext's".later TO pg_monitor;"#
    ));
    let text = describe(&source);
    assert!(!text.contains("Config"), "{text}");
    assert!(!text.contains("Own's"), "{text}");
    assert!(text.contains("\ntable \"Ext's\".later "), "{text}");
    let statements = ddl(&source);
    let kept = matching(&statements, |s| {
        ["Config", "later", "By key", "config_stats", "plain"]
            .iter()
            .any(|name| s.contains(name))
    });
    // Privileges on different tables are independent: the text query wrote an extension's tables' in the
    // order the server read them.
    let (mut privileges, kept): (Vec<&str>, Vec<&str>) = kept
        .into_iter()
        .partition(|s| s.starts_with("GRANT ") || s.starts_with("REVOKE "));
    privileges.sort_unstable();
    assert_eq!(
        privileges,
        [
            r#"GRANT SELECT ON TABLE "Ext's"."Config" TO pg_monitor"#,
            r#"GRANT SELECT ON TABLE "Ext's".later TO pg_monitor"#,
            r#"GRANT UPDATE (body) ON TABLE "Ext's"."Config" TO pg_monitor"#,
            r#"REVOKE INSERT ON TABLE "Ext's"."Config" FROM pg_monitor"#,
        ]
    );
    assert_eq!(
        kept,
        [
            "CREATE TABLE \"Ext's\".plain (\n    id integer NOT NULL\n)",
            "CREATE TABLE \"Ext's\".later (\n    id integer,\n    note text\n)",
            r#"ALTER TABLE "Ext's".later ALTER COLUMN note SET STORAGE EXTERNAL"#,
            r#"ALTER TABLE "Ext's"."Config" ALTER COLUMN body SET STORAGE MAIN"#,
            r#"ALTER TABLE "Ext's".plain ADD CONSTRAINT plain_pkey PRIMARY KEY (id)"#,
            r#"ALTER TABLE "Ext's".later ADD CONSTRAINT later_check CHECK ((id > 0))"#,
            r#"ALTER TABLE "Ext's"."Config" ADD CONSTRAINT "Config's key" PRIMARY KEY (id)"#,
            r#"ALTER TABLE "Ext's"."Config" ADD CONSTRAINT "Key check" CHECK (("Key" <> ''::text))"#,
            r#"CREATE INDEX "By key" ON "Ext's"."Config" USING btree ("Key")"#,
            r#"CREATE INDEX later_id ON "Ext's".later USING btree (id)"#,
            r#"ALTER TABLE "Ext's"."Config" CLUSTER ON "By key""#,
            r#"ALTER TABLE "Ext's"."Config" ADD CONSTRAINT to_plain FOREIGN KEY (parent) REFERENCES "Ext's".plain(id)"#,
            r#"ALTER TABLE "Ext's".later ENABLE ROW LEVEL SECURITY"#,
            r#"ALTER TABLE "Ext's"."Config" ENABLE ROW LEVEL SECURITY"#,
            r#"ALTER TABLE "Ext's"."Config" FORCE ROW LEVEL SECURITY"#,
            r#"ALTER TABLE "Ext's"."Config" REPLICA IDENTITY FULL"#,
            r#"CREATE POLICY later_policy ON "Ext's".later AS PERMISSIVE FOR ALL TO PUBLIC USING (true)"#,
            r#"CREATE POLICY "Own's" ON "Ext's"."Config" AS PERMISSIVE FOR SELECT TO pg_monitor USING ((id > 0))"#,
            r#"CREATE STATISTICS "Ext's".config_stats ON id, "Key" FROM "Ext's"."Config""#,
            r#"COMMENT ON COLUMN "Ext's"."Config".body IS 'a "body"'"#,
            r#"COMMENT ON CONSTRAINT "Key check" ON "Ext's"."Config" IS 'not empty'"#,
            r#"COMMENT ON INDEX "Ext's"."By key" IS 'lookup'"#,
            r#"COMMENT ON TABLE "Ext's"."Config" IS E'it''s \\ config'"#,
        ]
    );
    let copied = copy(&statements, bare);
    assert_eq!(
        extension_table_parts(&copied),
        extension_table_parts(&source)
    );
    assert!(extension_table_parts(&source).contains("policy Own's r"));
    assert_eq!(describe(&copied), text);
}

/// `diff` compares neither: a foreign table is listed as not generated (its server too), and an
/// extension's table (with the sequence of its serial column, which is not the extension's) is left to the
/// extension, as before the model held them.
#[test]
fn diff_lists_a_foreign_table_and_leaves_an_extensions_table_to_it() {
    let before = TestDb::new();
    let after = TestDb::new();
    before.exec("CREATE EXTENSION postgres_fdw; CREATE EXTENSION hstore;");
    after.exec(
        r#"CREATE EXTENSION postgres_fdw; CREATE EXTENSION hstore;
           CREATE SERVER far FOREIGN DATA WRAPPER postgres_fdw;
           CREATE FOREIGN TABLE "Remote's" (id integer CHECK (id > 0)) SERVER far;
           CREATE TABLE config (id integer PRIMARY KEY, n serial);
           ALTER EXTENSION hstore ADD TABLE config;
           COMMENT ON TABLE config IS 'theirs';"#,
    );
    let generated = generate(
        &mut before.client(),
        &mut after.client(),
        "foreign",
        &Options::new(MigrationsTable::default()),
    )
    .expect("generate");
    let mut listed = generated.uncovered.clone();
    listed.sort();
    assert_eq!(
        listed,
        [
            "foreign table public.\"Remote's\": not generated (no model for it)",
            "server far: not generated (no model for it)",
        ],
        "{:?}",
        generated.files
    );
    assert!(
        generated.files.is_empty(),
        "{:?}",
        generated
            .files
            .iter()
            .map(|f| &f.source)
            .collect::<Vec<_>>()
    );
}

/// An extension's own schema, sequence, function, procedure and types (an enum, a domain, a range) are
/// left to the extension, but the comments and privileges a user gave them after it made them are written
/// by the SQL: the comments among the others (sorted), the privileges after the schemas' (types, then
/// sequences, then functions). A copy whose extension made the bare objects gets them back. Pinned on the
/// text queries the model replaced.
#[test]
fn the_sql_writes_the_comments_and_privileges_a_user_gave_an_extensions_objects() {
    let source = TestDb::new();
    // What the extension's script would make.
    let bare = r#"CREATE SCHEMA "Ext's";
        CREATE SEQUENCE "Ext's"."Seq";
        CREATE FUNCTION "Ext's"."Fn"(integer, text) RETURNS integer LANGUAGE sql AS 'SELECT 1';
        CREATE PROCEDURE "Ext's"."Proc"() LANGUAGE sql AS 'SELECT 1';
        CREATE TYPE "Ext's"."Mood" AS ENUM ('a');
        CREATE DOMAIN "Ext's"."Pos" AS integer;
        CREATE TYPE "Ext's"."Span" AS RANGE (subtype = integer);
        ALTER EXTENSION hstore ADD SCHEMA "Ext's";
        ALTER EXTENSION hstore ADD SEQUENCE "Ext's"."Seq";
        ALTER EXTENSION hstore ADD FUNCTION "Ext's"."Fn"(integer, text);
        ALTER EXTENSION hstore ADD PROCEDURE "Ext's"."Proc"();
        ALTER EXTENSION hstore ADD TYPE "Ext's"."Mood";
        ALTER EXTENSION hstore ADD DOMAIN "Ext's"."Pos";
        ALTER EXTENSION hstore ADD TYPE "Ext's"."Span";
        ALTER EXTENSION hstore ADD FUNCTION "Ext's"."Span"(integer, integer);
        ALTER EXTENSION hstore ADD FUNCTION "Ext's"."Span"(integer, integer, text);"#;
    source.exec(&format!(
        r#"CREATE EXTENSION hstore;
        {bare}
        COMMENT ON SCHEMA "Ext's" IS 'it''s \ ext';
        COMMENT ON SEQUENCE "Ext's"."Seq" IS 'counter';
        COMMENT ON FUNCTION "Ext's"."Fn"(integer, text) IS 'a "fn"';
        COMMENT ON PROCEDURE "Ext's"."Proc"() IS 'proc';
        COMMENT ON TYPE "Ext's"."Mood" IS 'mood';
        COMMENT ON DOMAIN "Ext's"."Pos" IS 'positive';
        COMMENT ON TYPE "Ext's"."Span" IS 'span';
        GRANT USAGE ON SEQUENCE "Ext's"."Seq" TO pg_monitor;
        REVOKE EXECUTE ON FUNCTION "Ext's"."Fn"(integer, text) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION "Ext's"."Fn"(integer, text) TO pg_monitor WITH GRANT OPTION;
        GRANT EXECUTE ON PROCEDURE "Ext's"."Proc"() TO pg_monitor;
        REVOKE USAGE ON TYPE "Ext's"."Mood" FROM PUBLIC;
        GRANT USAGE ON DOMAIN "Ext's"."Pos" TO pg_monitor;
        GRANT USAGE ON TYPE "Ext's"."Span" TO pg_monitor;
        CREATE SCHEMA "Own's";
        GRANT USAGE ON SCHEMA "Own's" TO pg_monitor;
        COMMENT ON SCHEMA "Own's" IS 'own';
        CREATE VIEW "Own's".v AS SELECT 1 AS one;
        GRANT SELECT ON "Own's".v TO pg_monitor;"#
    ));
    let text = describe(&source);
    assert!(!text.contains("Ext's"), "{text}");
    let statements = ddl(&source);
    let kept = matching(&statements, |s| {
        s.starts_with("COMMENT ") || s.starts_with("GRANT ") || s.starts_with("REVOKE ")
    });
    assert_eq!(
        kept,
        [
            r#"COMMENT ON DOMAIN "Ext's"."Pos" IS 'positive'"#,
            r#"COMMENT ON FUNCTION "Ext's"."Fn"(integer,text) IS 'a "fn"'"#,
            r#"COMMENT ON PROCEDURE "Ext's"."Proc"() IS 'proc'"#,
            r#"COMMENT ON SCHEMA "Ext's" IS E'it''s \\ ext'"#,
            r#"COMMENT ON SCHEMA "Own's" IS 'own'"#,
            r#"COMMENT ON SEQUENCE "Ext's"."Seq" IS 'counter'"#,
            r#"COMMENT ON TYPE "Ext's"."Mood" IS 'mood'"#,
            r#"COMMENT ON TYPE "Ext's"."Span" IS 'span'"#,
            r#"GRANT USAGE ON SCHEMA "Own's" TO pg_monitor"#,
            r#"REVOKE USAGE ON TYPE "Ext's"."Mood" FROM PUBLIC"#,
            r#"GRANT USAGE ON DOMAIN "Ext's"."Pos" TO pg_monitor"#,
            r#"GRANT USAGE ON TYPE "Ext's"."Span" TO pg_monitor"#,
            r#"GRANT USAGE ON SEQUENCE "Ext's"."Seq" TO pg_monitor"#,
            r#"REVOKE EXECUTE ON FUNCTION "Ext's"."Fn"(integer,text) FROM PUBLIC"#,
            r#"GRANT EXECUTE ON FUNCTION "Ext's"."Fn"(integer,text) TO pg_monitor with grant option"#,
            r#"GRANT EXECUTE ON PROCEDURE "Ext's"."Proc"() TO pg_monitor"#,
            r#"GRANT SELECT ON TABLE "Own's".v TO pg_monitor"#,
        ]
    );
    let copied = copy(&statements, bare);
    assert_eq!(ddl(&copied), statements);
}
