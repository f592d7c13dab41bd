//! Views and materialized views in the schema model: read once, the description showing them as it always
//! has (header, query, columns with their comments, defaults and privileges, a materialized view's indexes
//! and statistics objects, comments, privileges), and the SQL of `squash` and scratch databases recreating
//! what it recreates (each view after the views it reads, even one created before them), so a copy built
//! from that SQL describes the same. Names need quotes, comments hold a quote and a backslash. An
//! extension's views are not described and not created, but the SQL writes their comments, privileges,
//! indexes and statistics objects, as it always has.
//!
//! A module of `schema_objects` (its helpers are `super::`'s).

use super::{copy, ddl, describe, matching};
use tests::TestDb;

/// The paragraph of the object whose header starts with `header`, without its query's lines (the server's
/// `pg_get_viewdef` prints some queries differently across majors).
fn object(text: &str, header: &str) -> String {
    let paragraph = text
        .split("\n\n")
        .find(|p| p.trim_start_matches('\n').starts_with(header))
        .unwrap_or_else(|| panic!("no {header} in\n{text}"));
    paragraph
        .trim_start_matches('\n')
        .lines()
        .filter(|line| !line.starts_with("    "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line of each statement `keep` selects.
fn first_lines(statements: &[String], keep: impl Fn(&str) -> bool) -> Vec<&str> {
    matching(statements, keep)
        .into_iter()
        .map(|s| s.lines().next().unwrap_or_default())
        .collect()
}

const VIEWS: &str = r#"
CREATE SCHEMA "Shop's";
CREATE TABLE "Shop's".items (id integer PRIMARY KEY, name text, price numeric);
-- Made before the view it reads in the end (replaced below), so creation order alone is not enough.
CREATE VIEW "Shop's"."Item count" AS SELECT 1::bigint AS n;
CREATE VIEW "Shop's"."Cheap items" WITH (security_barrier = true) AS
    SELECT id, name COLLATE "C" AS name FROM "Shop's".items WHERE price < 10;
CREATE VIEW "Shop's".named AS SELECT id, name FROM "Shop's".items WHERE name IS NOT NULL
    WITH LOCAL CHECK OPTION;
CREATE VIEW "Shop's"."Cheap names" AS SELECT name FROM "Shop's"."Cheap items";
CREATE OR REPLACE VIEW "Shop's"."Item count" AS SELECT count(*) AS n FROM "Shop's"."Cheap names";
COMMENT ON VIEW "Shop's"."Cheap items" IS 'it''s \ cheap';
COMMENT ON COLUMN "Shop's"."Cheap items".name IS 'a "name"';
GRANT SELECT ON "Shop's"."Cheap items" TO pg_monitor;
GRANT SELECT (name) ON "Shop's"."Cheap names" TO pg_monitor;
CREATE MATERIALIZED VIEW "Shop's"."Totals" WITH (fillfactor = 70) AS
    SELECT name, sum(price) AS total FROM "Shop's".items GROUP BY name WITH NO DATA;
CREATE UNIQUE INDEX "Totals name" ON "Shop's"."Totals" (name);
CREATE INDEX totals_total ON "Shop's"."Totals" (total);
COMMENT ON INDEX "Shop's"."Totals name" IS 'one a name';
CREATE STATISTICS "Shop's".totals_stats (ndistinct) ON name, total FROM "Shop's"."Totals";
ALTER MATERIALIZED VIEW "Shop's"."Totals" CLUSTER ON "Totals name";
COMMENT ON MATERIALIZED VIEW "Shop's"."Totals" IS 'sums';
COMMENT ON COLUMN "Shop's"."Totals".total IS 'it''s \ summed';
GRANT SELECT, UPDATE ON "Shop's"."Totals" TO pg_monitor;
CREATE MATERIALIZED VIEW "Shop's".everything AS SELECT * FROM "Shop's"."Cheap names";
ALTER TABLE "Shop's".everything REPLICA IDENTITY FULL;
"#;

/// Views and materialized views are created each after the views it reads, with their options (and a
/// materialized view `WITH DATA` or not, as it was), then their indexes, clustering, replica identity,
/// statistics objects, comments and privileges; the description shows each part, and a copy built from
/// the SQL describes the same.
#[test]
fn views_and_materialized_views_are_described_and_recreated() {
    let source = TestDb::new();
    source.exec(VIEWS);
    let statements = ddl(&source);
    assert_eq!(
        first_lines(&statements, |s| s.starts_with("CREATE VIEW")
            || s.starts_with("CREATE MATERIALIZED")),
        [
            "CREATE VIEW \"Shop's\".\"Cheap items\" WITH (security_barrier=true) AS",
            "CREATE VIEW \"Shop's\".\"Cheap names\" AS",
            "CREATE VIEW \"Shop's\".\"Item count\" AS",
            "CREATE VIEW \"Shop's\".named WITH (check_option=local) AS",
            "CREATE MATERIALIZED VIEW \"Shop's\".\"Totals\" WITH (fillfactor=70) AS",
            "CREATE MATERIALIZED VIEW \"Shop's\".everything AS",
        ]
    );
    let totals = matching(&statements, |s| {
        s.starts_with("CREATE MATERIALIZED VIEW \"Shop's\".\"Totals\"")
    });
    assert!(totals[0].ends_with("\nWITH NO DATA"), "{totals:?}");
    let everything = matching(&statements, |s| {
        s.starts_with("CREATE MATERIALIZED VIEW \"Shop's\".everything")
    });
    assert!(everything[0].ends_with("\nWITH DATA"), "{everything:?}");
    assert_eq!(
        matching(&statements, |s| !s.starts_with("CREATE VIEW")
            && !s.starts_with("CREATE MATERIALIZED VIEW")
            && (s.contains("Totals") || s.contains("everything") || s.contains("Cheap") || s.contains("named"))),
        [
            "CREATE UNIQUE INDEX \"Totals name\" ON \"Shop's\".\"Totals\" USING btree (name)",
            "CREATE INDEX totals_total ON \"Shop's\".\"Totals\" USING btree (total)",
            "ALTER TABLE \"Shop's\".\"Totals\" CLUSTER ON \"Totals name\"",
            "ALTER TABLE \"Shop's\".everything REPLICA IDENTITY FULL",
            "CREATE STATISTICS \"Shop's\".totals_stats (ndistinct) ON name, total FROM \"Shop's\".\"Totals\"",
            "COMMENT ON COLUMN \"Shop's\".\"Cheap items\".name IS 'a \"name\"'",
            "COMMENT ON COLUMN \"Shop's\".\"Totals\".total IS E'it''s \\\\ summed'",
            "COMMENT ON INDEX \"Shop's\".\"Totals name\" IS 'one a name'",
            "COMMENT ON MATERIALIZED VIEW \"Shop's\".\"Totals\" IS 'sums'",
            "COMMENT ON VIEW \"Shop's\".\"Cheap items\" IS E'it''s \\\\ cheap'",
            "GRANT SELECT ON TABLE \"Shop's\".\"Cheap items\" TO pg_monitor",
            "GRANT SELECT, UPDATE ON TABLE \"Shop's\".\"Totals\" TO pg_monitor",
            "GRANT SELECT (name) ON TABLE \"Shop's\".\"Cheap names\" TO pg_monitor",
        ]
    );
    let expected = describe(&source);
    assert_eq!(
        object(&expected, "view \"Shop's\".\"Cheap items\""),
        "view \"Shop's\".\"Cheap items\" with (security_barrier=true)\n  as\n  \
         column id integer\n  column name text collate \"C\"\n  grant SELECT to pg_monitor\n  \
         comment \"it's \\\\ cheap\"\n  comment on column name \"a \\\"name\\\"\""
    );
    assert_eq!(
        object(&expected, "view \"Shop's\".\"Cheap names\""),
        "view \"Shop's\".\"Cheap names\"\n  as\n  column name text collate \"C\"\n  \
         grant SELECT to pg_monitor (column name)"
    );
    assert_eq!(
        object(&expected, "view \"Shop's\".named"),
        "view \"Shop's\".named with (check_option=local)\n  as\n  column id integer\n  column name text"
    );
    assert_eq!(
        object(&expected, "materialized view \"Shop's\".\"Totals\""),
        "materialized view \"Shop's\".\"Totals\" with (fillfactor=70)\n  as\n  \
         column name text\n  column total numeric\n  \
         CREATE INDEX totals_total ON \"Shop's\".\"Totals\" USING btree (total)\n  \
         CREATE STATISTICS \"Shop's\".totals_stats (ndistinct) ON name, total FROM \"Shop's\".\"Totals\"\n  \
         CREATE UNIQUE INDEX \"Totals name\" ON \"Shop's\".\"Totals\" USING btree (name) (clustered)\n  \
         grant SELECT, UPDATE to pg_monitor\n  \
         comment \"sums\"\n  comment on column total \"it's \\\\ summed\"\n  \
         comment on index \"Totals name\" \"one a name\""
    );
    assert_eq!(
        object(&expected, "materialized view \"Shop's\".everything"),
        "materialized view \"Shop's\".everything replica identity full\n  as\n  column name text collate \"C\""
    );
    // The query is shown as the server prints it, under `as`.
    assert!(
        expected.contains("\nview \"Shop's\".\"Item count\"\n  as\n     SELECT count(*) AS n\n"),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy(&statements)));
}

/// A view's column default is described (the SQL does not set it: `squash` refuses such a schema, as its
/// copy differs), with the default as the server prints it.
#[test]
fn a_views_column_default_is_described() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE items (id integer, name text);
         CREATE VIEW \"Named\" AS SELECT id, name FROM items;
         ALTER VIEW \"Named\" ALTER COLUMN name SET DEFAULT 'it''s';",
    );
    assert_eq!(
        object(&describe(&db), "view public.\"Named\""),
        "view public.\"Named\"\n  as\n  column id integer\n  column name text default 'it''s'::text"
    );
}

/// An extension's views are its own: not described, not created; but the SQL writes the comments,
/// privileges, indexes, statistics objects and replica identity given to them, as it always has.
#[test]
fn an_extensions_views_are_not_described_but_their_additions_are_written() {
    let db = TestDb::new();
    db.exec(
        "CREATE EXTENSION pg_buffercache;
         COMMENT ON VIEW public.pg_buffercache IS 'it''s the cache';
         GRANT SELECT ON public.pg_buffercache TO pg_signal_backend;
         CREATE MATERIALIZED VIEW public.\"Ext mv\" AS SELECT 1 AS a, 2 AS b;
         ALTER EXTENSION pg_buffercache ADD MATERIALIZED VIEW public.\"Ext mv\";
         CREATE INDEX ext_mv_a ON public.\"Ext mv\" (a);
         CREATE STATISTICS public.ext_mv_stats (ndistinct) ON a, b FROM public.\"Ext mv\";
         COMMENT ON COLUMN public.\"Ext mv\".a IS 'one';
         ALTER TABLE public.\"Ext mv\" REPLICA IDENTITY FULL;",
    );
    let text = describe(&db);
    assert!(
        !text.contains("view public.pg_buffercache") && !text.contains("Ext mv"),
        "{text}"
    );
    let statements = ddl(&db);
    assert_eq!(
        matching(&statements, |s| !s.starts_with("CREATE EXTENSION")
            && (s.contains("pg_buffercache") || s.contains("Ext mv"))),
        [
            "CREATE INDEX ext_mv_a ON public.\"Ext mv\" USING btree (a)",
            "ALTER TABLE public.\"Ext mv\" REPLICA IDENTITY FULL",
            "CREATE STATISTICS public.ext_mv_stats (ndistinct) ON a, b FROM public.\"Ext mv\"",
            "COMMENT ON COLUMN public.\"Ext mv\".a IS 'one'",
            "COMMENT ON VIEW public.pg_buffercache IS 'it''s the cache'",
            "GRANT SELECT ON TABLE public.pg_buffercache TO pg_signal_backend",
        ]
    );
}
