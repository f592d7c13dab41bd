//! `squash`: the migrations up to a named one replaced with one baseline (schema read from the catalog as SQL,
//! plus kept rows). Proves that the baseline gives the schema the migrations give (compared with the catalog
//! description) on the example app and on a generated crate of many migrations, that the command writes the
//! checked-in baseline of fixture `squash_v2` from `squash_v1`, that a database which applied every squashed
//! migration records the baseline without running it, that one which applied only some is refused unchanged
//! (and `status` and `repair` leave its rows to `up`), that one which applied an edited version of a squashed
//! migration is refused, that a fresh one runs the baseline and then the later migrations with the kept rows,
//! sequences and materialized views as the migrations left them, and that bad input changes nothing.

use std::path::Path;

use migrate_core::{schema, Definition, Migration, MigrationsTable, Migrator, UpTarget};
use migrate_dsl::MigrationBuilder;
use tests::cli::FixtureCli;
use tests::{assert_cli_snapshot, fixtures, TestDb};

fn describe(db: &TestDb) -> String {
    schema::describe(&mut db.client(), &MigrationsTable::default())
        .unwrap()
        .render()
}

/// Applies `migrations` up to `target` to a fresh database, reads its schema as SQL, applies that to another
/// fresh database, and returns both descriptions and the number of statements.
fn squash_round_trip(migrations: &[Migration], target: &str) -> (String, String, usize) {
    let source = TestDb::new();
    Migrator::new(migrations)
        .run_up(
            &mut source.client(),
            &UpTarget::To(target.to_owned()),
            &mut |_| {},
        )
        .unwrap();
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let baseline = TestDb::new();
    let mut client = baseline.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    (describe(&source), describe(&baseline), statements.len())
}

#[test]
fn example_app_squashed_schema_equals_the_unsquashed_one_at_every_migration() {
    let registry = fixtures::registry("example_app").unwrap();
    assert!(registry.migrations.len() >= 7);
    // Every prefix: the expand/contract story passes through triggers and functions that later go away.
    for m in &registry.migrations[1..] {
        let (expected, actual, statements) =
            squash_round_trip(registry.migrations.as_slice(), m.name());
        assert!(statements > 5, "{}: {statements} statements", m.name());
        assert_eq!(expected, actual, "squashed up to {}", m.name());
    }
}

/// Extensions, read once into the schema model, are recreated by the SQL in the order they were created (not
/// by name) and each in its schema, and the description of the copy is the original's.
#[test]
fn extensions_are_recreated_in_creation_order_each_in_its_schema() {
    let source = TestDb::new();
    source
        .exec("CREATE SCHEMA ext; CREATE EXTENSION pgcrypto SCHEMA ext; CREATE EXTENSION citext;");
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let extensions: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| s.starts_with("CREATE EXTENSION"))
        .collect();
    assert_eq!(
        extensions,
        [
            "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA ext",
            "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public"
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    assert!(
        expected.contains("\nextension citext schema public\n\nextension pgcrypto schema ext\n"),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy));
}

/// Enums, read once into the schema model, are recreated in creation order with their labels (quoted as the
/// server quotes them), comments and privileges, and the description shows them as it always has.
#[test]
fn enums_are_recreated_with_their_labels_comments_and_privileges() {
    let source = TestDb::new();
    source.exec(
        "CREATE SCHEMA shop;
         CREATE DOMAIN shop.code AS text;
         CREATE TYPE shop.\"Status\" AS ENUM ('new', 'it''s', 'back\\slash');
         CREATE TYPE shop.level AS ENUM ('low', 'high');
         COMMENT ON TYPE shop.\"Status\" IS 'where it''s at';
         REVOKE USAGE ON TYPE shop.\"Status\" FROM PUBLIC;
         CREATE TABLE shop.orders (status shop.\"Status\" NOT NULL DEFAULT 'new', level shop.level);",
    );
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let enums: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| s.contains(" AS ENUM ") || s.contains(" ON TYPE "))
        .collect();
    assert_eq!(
        enums,
        [
            "CREATE TYPE shop.\"Status\" AS ENUM ('new', 'it''s', E'back\\\\slash')",
            "CREATE TYPE shop.level AS ENUM ('low', 'high')",
            "COMMENT ON TYPE shop.\"Status\" IS 'where it''s at'",
            "REVOKE USAGE ON TYPE shop.\"Status\" FROM PUBLIC"
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    assert!(
        expected.contains(
            "\nenum shop.\"Status\" ('new', 'it''s', E'back\\\\slash')\n  revoke USAGE from PUBLIC\n  \
             comment \"where it's at\"\n"
        ) && expected.contains("\nenum shop.level ('low', 'high')\n"),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy));
}

/// Domains, ranges and composite types, read once into the schema model, are recreated in the order they
/// were created (a composite type of a domain and of a range after them), each domain with its checks in the
/// order they were added, with names that need quotes, their comments (a quote and a backslash) and
/// privileges (type by type in creation order); an extension's composite types are left to the extension; the description shows them as it
/// always has.
#[test]
fn domains_ranges_and_composite_types_are_recreated_in_creation_order_with_comments_and_privileges()
{
    let source = TestDb::new();
    source.exec(
        r#"CREATE EXTENSION tablefunc;
         CREATE SCHEMA "Shop";
         CREATE TYPE "Shop"."Price Range" AS RANGE (SUBTYPE = numeric);
         CREATE TYPE "Shop".span AS RANGE (SUBTYPE = float8, SUBTYPE_DIFF = float8mi);
         CREATE DOMAIN "Shop".code AS text COLLATE "C" DEFAULT 'it''s \ here' NOT NULL
           CONSTRAINT not_empty CHECK (VALUE <> '') CONSTRAINT "Max len" CHECK (length(VALUE) < 10);
         CREATE DOMAIN "Shop".positive AS integer CHECK (VALUE > 0);
         ALTER DOMAIN "Shop".positive ADD CONSTRAINT below_max CHECK (VALUE < 1000) NOT VALID;
         CREATE TYPE "Shop"."Address" AS (street "Shop".code, "City" text COLLATE "C", price "Shop"."Price Range");
         CREATE TYPE "Shop".pair AS (a "Shop".positive, b "Shop"."Address");
         COMMENT ON DOMAIN "Shop".code IS 'a "code", it''s \ here';
         COMMENT ON TYPE "Shop"."Price Range" IS 'prices';
         COMMENT ON COLUMN "Shop"."Address"."City" IS 'where';
         REVOKE USAGE ON DOMAIN "Shop".code FROM PUBLIC;
         GRANT USAGE ON TYPE "Shop"."Price Range" TO pg_monitor;
         CREATE TABLE "Shop".orders (id integer, ship_to "Shop".pair, code "Shop".code);"#,
    );
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let types: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| {
            [
                "CREATE DOMAIN ",
                "ALTER DOMAIN ",
                "CREATE TYPE ",
                "COMMENT ON COLUMN \"Shop\".\"Address\"",
            ]
            .iter()
            .any(|start| s.starts_with(start))
                || s.contains(" ON DOMAIN ")
                || s.contains(" ON TYPE ")
        })
        .collect();
    assert_eq!(
        types,
        [
            r#"CREATE TYPE "Shop"."Price Range" AS RANGE (SUBTYPE = numeric)"#,
            r#"CREATE TYPE "Shop".span AS RANGE (SUBTYPE = double precision, SUBTYPE_DIFF = float8mi)"#,
            r#"CREATE DOMAIN "Shop".code AS text COLLATE pg_catalog."C" DEFAULT 'it''s \ here'::text NOT NULL"#,
            r#"ALTER DOMAIN "Shop".code ADD CONSTRAINT not_empty CHECK ((VALUE <> ''::text))"#,
            r#"ALTER DOMAIN "Shop".code ADD CONSTRAINT "Max len" CHECK ((length(VALUE) < 10))"#,
            r#"CREATE DOMAIN "Shop".positive AS integer"#,
            r#"ALTER DOMAIN "Shop".positive ADD CONSTRAINT positive_check CHECK ((VALUE > 0))"#,
            r#"ALTER DOMAIN "Shop".positive ADD CONSTRAINT below_max CHECK ((VALUE < 1000)) NOT VALID"#,
            r#"CREATE TYPE "Shop"."Address" AS (street "Shop".code, "City" text COLLATE pg_catalog."C", price "Shop"."Price Range")"#,
            r#"CREATE TYPE "Shop".pair AS (a "Shop".positive, b "Shop"."Address")"#,
            r#"COMMENT ON COLUMN "Shop"."Address"."City" IS 'where'"#,
            r#"COMMENT ON DOMAIN "Shop".code IS E'a "code", it''s \\ here'"#,
            r#"COMMENT ON TYPE "Shop"."Price Range" IS 'prices'"#,
            r#"GRANT USAGE ON TYPE "Shop"."Price Range" TO pg_monitor"#,
            r#"REVOKE USAGE ON DOMAIN "Shop".code FROM PUBLIC"#,
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    for paragraph in [
        r#"
domain "Shop".code as text collate "C" not null default 'it''s \ here'::text
  constraint "Max len" CHECK ((length(VALUE) < 10))
  constraint not_empty CHECK ((VALUE <> ''::text))
  revoke USAGE from PUBLIC
  comment "a \"code\", it's \\ here"
"#,
        r#"
domain "Shop".positive as integer
  constraint below_max CHECK ((VALUE < 1000)) NOT VALID
  constraint positive_check CHECK ((VALUE > 0))
"#,
        r#"
range "Shop"."Price Range" subtype numeric
  grant USAGE to pg_monitor
  comment "prices"
"#,
        "\nrange \"Shop\".span subtype double precision subtype_diff float8mi\n",
        r#"
type "Shop"."Address"
  column street "Shop".code
  column "City" text collate "C"
  column price "Shop"."Price Range"
  comment on column "City" "where"
"#,
        "\ntype \"Shop\".pair\n  column a \"Shop\".positive\n  column b \"Shop\".\"Address\"\n",
    ] {
        assert!(
            expected.contains(paragraph),
            "{paragraph}\nnot in:\n{expected}"
        );
    }
    assert_eq!(expected, describe(&copy));
}

/// Policies, read once into the schema model, are recreated in creation order whatever their tables, with
/// their names, roles and expressions as the server prints them, and the description shows them as it always
/// has (among their table's lines, sorted).
#[test]
fn policies_are_recreated_in_creation_order_as_the_server_prints_them() {
    let source = TestDb::new();
    source.exec(
        "CREATE SCHEMA shop;
         CREATE TABLE shop.\"Orders\" (id integer, owner text);
         CREATE TABLE shop.items (id integer);
         ALTER TABLE shop.\"Orders\" ENABLE ROW LEVEL SECURITY;
         CREATE POLICY \"See own\" ON shop.\"Orders\" AS RESTRICTIVE FOR SELECT TO pg_signal_backend, pg_monitor
           USING (owner = 'me');
         CREATE POLICY items_all ON shop.items USING (id > 0) WITH CHECK (id < 100);
         CREATE POLICY orders_insert ON shop.\"Orders\" FOR INSERT WITH CHECK (id > 0);",
    );
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let policies: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| s.starts_with("CREATE POLICY "))
        .collect();
    assert_eq!(
        policies,
        [
            "CREATE POLICY \"See own\" ON shop.\"Orders\" AS RESTRICTIVE FOR SELECT TO pg_monitor, pg_signal_backend \
             USING ((owner = 'me'::text))",
            "CREATE POLICY items_all ON shop.items AS PERMISSIVE FOR ALL TO PUBLIC USING ((id > 0)) \
             WITH CHECK ((id < 100))",
            "CREATE POLICY orders_insert ON shop.\"Orders\" AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK ((id > 0))"
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    assert!(
        expected.contains(
            "  policy \"See own\" as restrictive for select to pg_monitor, pg_signal_backend \
             using ((owner = 'me'::text))\n  \
             policy orders_insert as permissive for insert to PUBLIC with check ((id > 0))\n"
        ) && expected.contains(
            "  policy items_all as permissive for all to PUBLIC using ((id > 0)) with check ((id < 100))\n"
        ),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy));
}

/// Tables, read once into the schema model, are recreated in creation order with their columns (names that
/// need quotes, a collation, a default with a quote and a backslash, identity, a generated column, storage),
/// options, replica identity, parents and partitions, comments and privileges, and the description shows them
/// as it always has.
#[test]
fn tables_are_recreated_with_their_columns_comments_and_privileges() {
    let source = TestDb::new();
    source.exec(
        "CREATE SCHEMA shop;
         CREATE TABLE shop.\"Line Items\" (
             id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 2),
             \"Qty\" integer NOT NULL DEFAULT 1,
             note text COLLATE \"C\" DEFAULT 'it''s a\\b',
             total integer GENERATED ALWAYS AS (\"Qty\" * 2) STORED
         ) WITH (fillfactor = 70);
         ALTER TABLE shop.\"Line Items\" ALTER COLUMN note SET STORAGE EXTERNAL;
         ALTER TABLE shop.\"Line Items\" REPLICA IDENTITY FULL;
         COMMENT ON TABLE shop.\"Line Items\" IS 'what''s in \\ an order';
         COMMENT ON COLUMN shop.\"Line Items\".\"Qty\" IS 'how many';
         GRANT SELECT ON shop.\"Line Items\" TO PUBLIC;
         GRANT UPDATE (\"Qty\") ON shop.\"Line Items\" TO PUBLIC;
         CREATE UNLOGGED TABLE shop.base (id integer, made timestamptz DEFAULT now());
         ALTER TABLE shop.base ENABLE ROW LEVEL SECURITY;
         ALTER TABLE shop.base FORCE ROW LEVEL SECURITY;
         CREATE TABLE shop.child (extra text) INHERITS (shop.base);
         CREATE TABLE shop.events (at date NOT NULL) PARTITION BY RANGE (at);
         CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    );
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let tables: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| {
            s.starts_with("CREATE TABLE")
                || s.starts_with("CREATE UNLOGGED TABLE")
                || s.contains(" SET STORAGE ")
                || s.contains(" ROW LEVEL SECURITY")
                || s.contains(" REPLICA IDENTITY ")
                || s.starts_with("COMMENT ON TABLE")
                || s.starts_with("COMMENT ON COLUMN")
                || s.contains(" ON TABLE ")
        })
        .collect();
    assert_eq!(
        tables,
        [
            "CREATE TABLE shop.\"Line Items\" (\n    id bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME \
             shop.\"Line Items_id_seq\" START WITH 10 INCREMENT BY 2 MINVALUE 1 MAXVALUE 9223372036854775807 \
             CACHE 1) NOT NULL,\n    \"Qty\" integer DEFAULT 1 NOT NULL,\n    note text COLLATE pg_catalog.\"C\" \
             DEFAULT 'it''s a\\b'::text,\n    total integer GENERATED ALWAYS AS ((\"Qty\" * 2)) STORED\n) \
             WITH (fillfactor=70)",
            "CREATE UNLOGGED TABLE shop.base (\n    id integer,\n    made timestamp with time zone DEFAULT now()\n)",
            "CREATE TABLE shop.child (\n    extra text\n) INHERITS (shop.base)",
            "CREATE TABLE shop.events (\n    at date NOT NULL\n) PARTITION BY RANGE (at)",
            "CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
            "ALTER TABLE shop.\"Line Items\" ALTER COLUMN note SET STORAGE EXTERNAL",
            "ALTER TABLE shop.\"Line Items\" REPLICA IDENTITY FULL",
            "ALTER TABLE shop.base ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE shop.base FORCE ROW LEVEL SECURITY",
            "COMMENT ON COLUMN shop.\"Line Items\".\"Qty\" IS 'how many'",
            "COMMENT ON TABLE shop.\"Line Items\" IS E'what''s in \\\\ an order'",
            "GRANT SELECT ON TABLE shop.\"Line Items\" TO PUBLIC",
            "GRANT UPDATE (\"Qty\") ON TABLE shop.\"Line Items\" TO PUBLIC"
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    assert!(
        expected.contains(
            r#"
table shop."Line Items" with (fillfactor=70) replica identity full
  column id bigint not null generated by default as identity
  column "Qty" integer not null default 1
  column note text collate "C" default 'it''s a\b'::text storage external
  column total integer generated always as (("Qty" * 2)) stored
  grant SELECT to PUBLIC
  grant UPDATE to PUBLIC (column "Qty")
  comment "what's in \\ an order"
  comment on column "Qty" "how many"

table shop.base unlogged row level security forced
  column id integer
  column made timestamp with time zone default now()

table shop.child inherits shop.base
  column id integer
  column made timestamp with time zone default now()
  column extra text

partitioned table shop.events partition by RANGE (at)
  column at date not null

table shop.events_2026 partition of shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
  column at date not null
"#
        ),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy));
}

/// Constraints, read once into the schema model, are added after the rows load, each table's in the order
/// they were created and the foreign keys last; those a partition or a child table got from its parent are
/// described but not added (PostgreSQL makes them with the table), and comments are kept.
#[test]
fn constraints_are_recreated_in_creation_order_with_their_comments() {
    let source = TestDb::new();
    source.exec(
        "CREATE SCHEMA shop;
         CREATE TABLE shop.\"Orders\" (
             id integer CONSTRAINT \"Orders pkey\" PRIMARY KEY,
             \"Code\" text CONSTRAINT code_ok CHECK (\"Code\" <> 'it''s \\'),
             parent integer,
             UNIQUE (\"Code\") DEFERRABLE INITIALLY DEFERRED
         );
         ALTER TABLE shop.\"Orders\" ADD CONSTRAINT parent_fk FOREIGN KEY (parent) REFERENCES shop.\"Orders\" (id)
             ON DELETE SET NULL NOT VALID;
         COMMENT ON CONSTRAINT code_ok ON shop.\"Orders\" IS 'no ''quotes'' \\ here';
         CREATE TABLE shop.events (id integer, at date, PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         COMMENT ON CONSTRAINT events_2026_pkey ON shop.events_2026 IS 'made with the partition';
         CREATE TABLE shop.base (n integer CONSTRAINT n_positive CHECK (n > 0));
         CREATE TABLE shop.child () INHERITS (shop.base);",
    );
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let constraints: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| s.contains(" ADD CONSTRAINT ") || s.starts_with("COMMENT ON CONSTRAINT"))
        .collect();
    assert_eq!(
        constraints,
        [
            "ALTER TABLE shop.\"Orders\" ADD CONSTRAINT code_ok CHECK ((\"Code\" <> 'it''s \\'::text))",
            "ALTER TABLE shop.\"Orders\" ADD CONSTRAINT \"Orders pkey\" PRIMARY KEY (id)",
            "ALTER TABLE shop.\"Orders\" ADD CONSTRAINT \"Orders_Code_key\" UNIQUE (\"Code\") DEFERRABLE INITIALLY DEFERRED",
            "ALTER TABLE shop.events ADD CONSTRAINT events_id_check CHECK ((id > 0))",
            "ALTER TABLE shop.events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at)",
            "ALTER TABLE shop.base ADD CONSTRAINT n_positive CHECK ((n > 0))",
            "ALTER TABLE shop.\"Orders\" ADD CONSTRAINT parent_fk FOREIGN KEY (parent) REFERENCES shop.\"Orders\"(id) \
             ON DELETE SET NULL NOT VALID",
            "COMMENT ON CONSTRAINT code_ok ON shop.\"Orders\" IS E'no ''quotes'' \\\\ here'",
            "COMMENT ON CONSTRAINT events_2026_pkey ON shop.events_2026 IS 'made with the partition'"
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    assert!(
        expected.contains(
            r#"
table shop."Orders"
  column id integer not null
  column "Code" text
  column parent integer
  constraint "Orders pkey" PRIMARY KEY (id)
  constraint "Orders_Code_key" UNIQUE ("Code") DEFERRABLE INITIALLY DEFERRED
  constraint code_ok CHECK (("Code" <> 'it''s \'::text))
  constraint parent_fk FOREIGN KEY (parent) REFERENCES shop."Orders"(id) ON DELETE SET NULL NOT VALID
  CREATE UNIQUE INDEX "Orders pkey" ON shop."Orders" USING btree (id)
  CREATE UNIQUE INDEX "Orders_Code_key" ON shop."Orders" USING btree ("Code")
  comment on constraint code_ok "no 'quotes' \\ here"
"#
        ) && expected.contains(
            r#"
table shop.child inherits shop.base
  column n integer
  constraint n_positive CHECK ((n > 0))
"#
        ) && expected.contains(
            r#"
table shop.events_2026 partition of shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
  column id integer not null
  column at date not null
  constraint events_2026_pkey PRIMARY KEY (id, at)
  constraint events_id_check CHECK ((id > 0))
  CREATE UNIQUE INDEX events_2026_pkey ON shop.events_2026 USING btree (id, at)
  comment on constraint events_2026_pkey "made with the partition"
"#
        ),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy));
}

/// Indexes, read once into the schema model, are created after the rows load in the order they were, on a
/// partitioned table without `ONLY`; those of constraints and those attached to a parent's are described
/// but not created; clustering, replica identity and comments are kept.
#[test]
fn indexes_are_recreated_in_creation_order_with_clustering_and_comments() {
    let source = TestDb::new();
    source.exec(
        "CREATE SCHEMA shop;
         CREATE TABLE shop.\"Orders\" (id integer NOT NULL, \"Code\" text, placed date);
         CREATE UNIQUE INDEX \"Orders by id\" ON shop.\"Orders\" (id);
         CREATE INDEX orders_code ON shop.\"Orders\" (lower(\"Code\") DESC NULLS LAST) INCLUDE (placed);
         CREATE INDEX orders_recent ON shop.\"Orders\" (placed) WHERE \"Code\" <> 'it''s';
         ALTER TABLE shop.\"Orders\" REPLICA IDENTITY USING INDEX \"Orders by id\";
         ALTER TABLE shop.\"Orders\" CLUSTER ON orders_code;
         COMMENT ON INDEX shop.orders_code IS 'for ''lookups'' \\ here';
         CREATE TABLE shop.events (id integer PRIMARY KEY, at date) PARTITION BY HASH (id);
         CREATE TABLE shop.events_0 PARTITION OF shop.events FOR VALUES WITH (MODULUS 1, REMAINDER 0);
         CREATE INDEX events_at ON shop.events (at);
         COMMENT ON INDEX shop.events_0_at_idx IS 'made with the partition';",
    );
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let indexes: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| s.contains(" INDEX ") || s.contains(" CLUSTER ON "))
        .collect();
    assert_eq!(
        indexes,
        [
            "CREATE UNIQUE INDEX \"Orders by id\" ON shop.\"Orders\" USING btree (id)",
            "CREATE INDEX orders_code ON shop.\"Orders\" USING btree (lower(\"Code\") DESC NULLS LAST) INCLUDE (placed)",
            "CREATE INDEX orders_recent ON shop.\"Orders\" USING btree (placed) WHERE (\"Code\" <> 'it''s'::text)",
            "CREATE INDEX events_at ON shop.events USING btree (at)",
            "ALTER TABLE shop.\"Orders\" REPLICA IDENTITY USING INDEX \"Orders by id\"",
            "ALTER TABLE shop.\"Orders\" CLUSTER ON orders_code",
            "COMMENT ON INDEX shop.events_0_at_idx IS 'made with the partition'",
            "COMMENT ON INDEX shop.orders_code IS E'for ''lookups'' \\\\ here'"
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    assert!(
        expected.contains(
            r#"
table shop."Orders" replica identity using index
  column id integer not null
  column "Code" text
  column placed date
  CREATE INDEX orders_code ON shop."Orders" USING btree (lower("Code") DESC NULLS LAST) INCLUDE (placed) (clustered)
  CREATE INDEX orders_recent ON shop."Orders" USING btree (placed) WHERE ("Code" <> 'it''s'::text)
  CREATE UNIQUE INDEX "Orders by id" ON shop."Orders" USING btree (id) (replica identity)
  comment on index orders_code "for 'lookups' \\ here"
"#
        ) && expected.contains(
            r#"
table shop.events_0 partition of shop.events FOR VALUES WITH (modulus 1, remainder 0)
  column id integer not null
  column at date
  constraint events_0_pkey PRIMARY KEY (id)
  CREATE INDEX events_0_at_idx ON shop.events_0 USING btree (at)
  CREATE UNIQUE INDEX events_0_pkey ON shop.events_0 USING btree (id)
  comment on index events_0_at_idx "made with the partition"
"#
        ),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy));
}

/// Statistics objects and indexes are created in the order they were, a materialized view's among the
/// tables' (statistics objects are still read as text; the test pins what their move must keep).
#[test]
fn statistics_objects_and_indexes_keep_one_creation_order_with_materialized_views() {
    let source = TestDb::new();
    source.exec(
        "CREATE SCHEMA shop;
         CREATE TABLE shop.\"Orders\" (id integer, \"Code\" text, placed date);
         CREATE STATISTICS shop.\"Orders stats\" (dependencies) ON id, \"Code\" FROM shop.\"Orders\";
         CREATE MATERIALIZED VIEW shop.daily AS SELECT placed, count(*) AS n FROM shop.\"Orders\" GROUP BY placed;
         CREATE STATISTICS shop.daily_stats (ndistinct) ON placed, n FROM shop.daily;
         CREATE STATISTICS shop.a_later (ndistinct) ON id, placed FROM shop.\"Orders\";
         CREATE INDEX orders_placed ON shop.\"Orders\" (placed);
         CREATE INDEX daily_placed ON shop.daily (placed);
         CREATE INDEX orders_later ON shop.\"Orders\" (id);",
    );
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    // A materialized view's index keeps its place among the tables' (creation order).
    let indexes: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| s.starts_with("CREATE INDEX"))
        .collect();
    assert_eq!(
        indexes,
        [
            "CREATE INDEX orders_placed ON shop.\"Orders\" USING btree (placed)",
            "CREATE INDEX daily_placed ON shop.daily USING btree (placed)",
            "CREATE INDEX orders_later ON shop.\"Orders\" USING btree (id)"
        ]
    );
    let statistics: Vec<&str> = statements
        .iter()
        .map(String::as_str)
        .filter(|s| s.starts_with("CREATE STATISTICS"))
        .collect();
    assert_eq!(
        statistics,
        [
            "CREATE STATISTICS shop.\"Orders stats\" (dependencies) ON id, \"Code\" FROM shop.\"Orders\"",
            "CREATE STATISTICS shop.daily_stats (ndistinct) ON placed, n FROM shop.daily",
            "CREATE STATISTICS shop.a_later (ndistinct) ON id, placed FROM shop.\"Orders\""
        ]
    );
    let copy = TestDb::new();
    let mut client = copy.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    let expected = describe(&source);
    assert!(
        expected.contains(
            "  CREATE INDEX orders_later ON shop.\"Orders\" USING btree (id)\n  \
             CREATE INDEX orders_placed ON shop.\"Orders\" USING btree (placed)\n  \
             CREATE STATISTICS shop.\"Orders stats\" (dependencies) ON id, \"Code\" FROM shop.\"Orders\"\n  \
             CREATE STATISTICS shop.a_later (ndistinct) ON id, placed FROM shop.\"Orders\"\n"
        ),
        "{expected}"
    );
    assert_eq!(expected, describe(&copy));
}

/// Generated migration `i` (`tests::generated`).
fn generated(i: usize, pgm: &mut MigrationBuilder) {
    pgm.sql(tests::generated::migration_sql(i));
}

fn generated_up<const N: usize>(pgm: &mut MigrationBuilder) {
    generated(N, pgm);
}

macro_rules! units {
    ($v:ident, $base:expr) => {
        $v.push(generated_up::<{ $base }> as fn(&mut MigrationBuilder));
        $v.push(generated_up::<{ $base + 1 }>);
        $v.push(generated_up::<{ $base + 2 }>);
        $v.push(generated_up::<{ $base + 3 }>);
        $v.push(generated_up::<{ $base + 4 }>);
        $v.push(generated_up::<{ $base + 5 }>);
        $v.push(generated_up::<{ $base + 6 }>);
        $v.push(generated_up::<{ $base + 7 }>);
        $v.push(generated_up::<{ $base + 8 }>);
        $v.push(generated_up::<{ $base + 9 }>);
    };
}
macro_rules! tens {
    ($v:ident, $base:expr) => {
        units!($v, $base);
        units!($v, $base + 10);
        units!($v, $base + 20);
        units!($v, $base + 30);
        units!($v, $base + 40);
        units!($v, $base + 50);
        units!($v, $base + 60);
        units!($v, $base + 70);
        units!($v, $base + 80);
        units!($v, $base + 90);
    };
}

/// 2,000 distinct `up` functions: a registry's migrations are `fn` pointers, one per file.
fn generated_ups() -> Vec<fn(&mut MigrationBuilder)> {
    let mut ups: Vec<fn(&mut MigrationBuilder)> = Vec::with_capacity(2000);
    tens!(ups, 0);
    tens!(ups, 100);
    tens!(ups, 200);
    tens!(ups, 300);
    tens!(ups, 400);
    tens!(ups, 500);
    tens!(ups, 600);
    tens!(ups, 700);
    tens!(ups, 800);
    tens!(ups, 900);
    tens!(ups, 1000);
    tens!(ups, 1100);
    tens!(ups, 1200);
    tens!(ups, 1300);
    tens!(ups, 1400);
    tens!(ups, 1500);
    tens!(ups, 1600);
    tens!(ups, 1700);
    tens!(ups, 1800);
    tens!(ups, 1900);
    ups
}

/// `count` generated migrations, named with increasing timestamps.
fn generated_migrations(count: usize) -> Vec<Migration> {
    generated_ups()
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(i, up)| {
            let name: &'static str = Box::leak(
                format!("2026010100{:02}{:02}_generated_{i}", i / 60, i % 60).into_boxed_str(),
            );
            Migration::defined(Box::leak(Box::new(Definition {
                name,
                path: name,
                source: name,
                up,
                down: None,
            })))
        })
        .collect()
}

/// The suite squashes 250 generated migrations; `SQUASH_GENERATED=2000` runs the full-size case (about a
/// minute; BENCHMARKS.md records it). The `squash` benchmark runs the command itself on a generated crate.
#[test]
fn generated_crate_squashed_schema_equals_the_unsquashed_one() {
    let count: usize = std::env::var("SQUASH_GENERATED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(250)
        .clamp(10, 2000);
    let migrations = generated_migrations(count);
    let last = migrations.last().unwrap().name();
    let started = std::time::Instant::now();
    let (expected, actual, statements) = squash_round_trip(&migrations, last);
    eprintln!(
        "squashed {count} generated migrations into {statements} statements in {:.1?} (apply, read, re-apply, describe twice)",
        started.elapsed()
    );
    assert!(expected.contains(&format!("table public.t{}", (count - 1) / 5)));
    assert_eq!(expected, actual);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const TARGET: &str = "20260301000300_fill_names";
const BASELINE: &str = "20260301000300_baseline";

/// Runs the fixture runner of `fixture` on a copy of `squash_v1` in its working folder (`migrations/`).
fn on_copy(fixture: &str, db: &TestDb) -> (FixtureCli, std::path::PathBuf) {
    on_copy_of(fixture, "squash_v1", db)
}

/// Runs the fixture runner of `fixture` on a copy of fixture folder `folder` in its working folder.
fn on_copy_of(fixture: &str, folder: &str, db: &TestDb) -> (FixtureCli, std::path::PathBuf) {
    let cli = FixtureCli::new(fixture, db);
    let dir = cli.cwd().join("migrations");
    copy_dir(&fixtures::dir(folder), &dir);
    (cli, dir)
}

fn squash(cli: &FixtureCli, dir: &Path, args: &[&str]) -> tests::cli::Run {
    let dir = dir.display().to_string();
    cli.run_env(
        args,
        &[
            ("FIXTURE_DIR", dir.as_str()),
            ("MIGRATIONS_DIR", dir.as_str()),
        ],
    )
}

#[test]
fn squash_writes_the_checked_in_baseline_and_removes_the_squashed_files() {
    let db = TestDb::new();
    let (cli, dir) = on_copy("squash_v1", &db);
    squash(&cli, &dir, &["up", "--to", TARGET]).expect_code(0);
    let args = ["squash", "--to", TARGET, "--keep-data", "app.countries"];
    let run = squash(&cli, &dir, &args).expect_code(0);
    assert_cli_snapshot!("squash_success", run, &args);
    assert_eq!(
        file_names(&dir),
        [
            format!("{BASELINE}.rs"),
            "20260301000400_later.rs".to_owned()
        ]
    );
    let written = std::fs::read_to_string(dir.join(format!("{BASELINE}.rs"))).unwrap();
    let checked_in =
        std::fs::read_to_string(fixtures::dir("squash_v2").join(format!("{BASELINE}.rs"))).unwrap();
    // The fixture was written on PostgreSQL 15, the default server. Other majors print some view definitions
    // differently (from 16 on, `pg_get_viewdef` leaves out the table name before the columns of a one-table view),
    // so there the view bodies are compared apart: they must name the same views, and `squash` itself has
    // already proved on this server that the baseline gives the same schema.
    let (written, checked_in) = if db.server_major() == FIXTURE_MAJOR {
        (written, checked_in)
    } else {
        (
            without_view_bodies(&written),
            without_view_bodies(&checked_in),
        )
    };
    assert_eq!(
        written, checked_in,
        "tests/fixtures/squash_v2 holds what squash writes; regenerate it"
    );
    // The later migration is the same file in both fixtures.
    assert_eq!(
        std::fs::read_to_string(fixtures::dir("squash_v1").join("20260301000400_later.rs"))
            .unwrap(),
        std::fs::read_to_string(fixtures::dir("squash_v2").join("20260301000400_later.rs"))
            .unwrap()
    );
    // The scratch databases are gone.
    let left = db.query_strings(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{}\\_squash%'",
        db.name()
    ));
    assert!(left.is_empty(), "{left:?}");
}

/// The major `tests/fixtures/squash_v2`'s baseline was written on.
const FIXTURE_MAJOR: u32 = 15;

/// `source` with the text of each `CREATE VIEW name AS ...` statement after `AS` replaced by a marker.
fn without_view_bodies(source: &str) -> String {
    let mut out = String::new();
    let mut rest = source;
    while let Some(start) = rest.find("CREATE VIEW ") {
        let body = start + rest[start..].find(" AS\n").expect("CREATE VIEW ... AS") + 3;
        let end = body
            + rest[body..]
                .find("\");\n")
                .expect("the end of the view's pgm.sql");
        out.push_str(&rest[..body]);
        out.push_str(" <definition>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn view_bodies_are_masked_and_nothing_else() {
    let source = "a\n    pgm.sql(r\"CREATE VIEW v AS\n SELECT users.id\n   FROM t\");\n    pgm.sql(r\"CREATE VIEW w AS\n SELECT 1\");\nb";
    assert_eq!(
        without_view_bodies(source),
        "a\n    pgm.sql(r\"CREATE VIEW v AS <definition>\");\n    pgm.sql(r\"CREATE VIEW w AS <definition>\");\nb"
    );
}

fn rows(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings("SELECT id::text, name, run_on::text, checksum FROM pgmigrations ORDER BY id")
}

#[test]
fn fully_applied_database_records_the_baseline_without_running_it() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("squash_v1", &db);
    v1.run(&["up"]).expect_code(0);
    let schema_before = describe(&db);
    let before = rows(&db);
    let v2 = v1.switch("squash_v2");
    // `status` already shows the database as `up` will record it, with nothing missing.
    let status = v2.run(&["status"]).expect_code(0);
    assert!(status.stdout.contains(BASELINE), "{}", status.stdout);
    let run = v2.run(&["up"]).expect_code(0);
    assert_cli_snapshot!("squash_recorded", run, &["up"]);
    let after = rows(&db);
    // The baseline's row takes the place of the newest squashed one (its id and time); the later one stays.
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0][0], before[3][0]);
    assert_eq!(after[0][1].as_deref(), Some(BASELINE));
    assert_eq!(after[0][2], before[3][2]);
    assert_ne!(after[0][3], before[3][3]);
    assert_eq!(after[1], before[4]);
    // Not run: the schema and the seed rows are as they were (running it would have failed or doubled them).
    assert_eq!(describe(&db), schema_before);
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM app.countries"),
        [[Some("3".to_owned())]]
    );
    v2.run(&["up"]).expect_code(0);
    assert_eq!(rows(&db), after);
    // The baseline cannot be reverted.
    let down = v2.run(&["down", "--to", "20260301000300"]).expect_code(0);
    assert!(
        down.stdout.contains("1 migration(s) reverted"),
        "{}",
        down.stdout
    );
    let down = v2.run(&["down"]).expect_code(1);
    assert!(
        down.stderr
            .contains("a squashed baseline creates the whole schema"),
        "{}",
        down.stderr
    );
}

#[test]
fn partly_applied_database_is_refused_and_left_unchanged() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("squash_v1", &db);
    v1.run(&["up", "--to", "20260301000100"]).expect_code(0);
    let schema_before = describe(&db);
    let before = rows(&db);
    let v2 = v1.switch("squash_v2");
    let run = v2.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("squash_partly_applied", run, &["up"]);
    assert_eq!(rows(&db), before);
    assert_eq!(describe(&db), schema_before);
    // `status` flags the rows the baseline cannot stand for.
    v2.run(&["status"]).expect_code(5);
}

#[test]
fn fresh_database_gets_the_baseline_then_the_later_migrations() {
    let unsquashed = TestDb::new();
    FixtureCli::new("squash_v1", &unsquashed)
        .run(&["up"])
        .expect_code(0);
    let db = TestDb::new();
    let v2 = FixtureCli::new("squash_v2", &db);
    let run = v2.run(&["up"]).expect_code(0);
    assert!(
        run.stdout.contains(&format!("applied  {BASELINE}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 migration(s) applied"),
        "{}",
        run.stdout
    );
    assert_eq!(describe(&db), describe(&unsquashed));
    let seed = "SELECT id::text, code, name FROM app.countries ORDER BY id";
    assert_eq!(db.query_strings(seed), unsquashed.query_strings(seed));
    // The kept rows' sequence follows them: the next country gets the next id.
    db.exec("INSERT INTO app.countries (code, name) VALUES ('de', 'Germany')");
    assert_eq!(
        db.query_strings("SELECT id::text FROM app.countries WHERE code = 'de'"),
        [[Some("4".to_owned())]]
    );
    let names = db.query_strings("SELECT name FROM pgmigrations ORDER BY id");
    assert_eq!(
        names,
        [
            [Some(BASELINE.to_owned())],
            [Some("20260301000400_later".to_owned())]
        ]
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_changes_nothing() {
    let db = TestDb::new();
    let (cli, dir) = on_copy("squash_v1", &db);
    let files = file_names(&dir);
    let mut transcript = String::new();
    let mut expect_refused = |args: &[&str]| {
        let run = squash(&cli, &dir, args).expect_code(1);
        assert_eq!(file_names(&dir), files, "{args:?} changed the folder");
        transcript.push_str(&run.transcript(args));
        transcript.push('\n');
    };
    expect_refused(&["squash", "--to", "20991231000000_nope"]);
    expect_refused(&["squash", "--to", "20260301000000"]);
    // The configured database has applied nothing yet.
    expect_refused(&["squash", "--to", TARGET]);
    // Applied out of order: the target is applied, an earlier one is not.
    squash(&cli, &dir, &["up", "--to", "20260301000000"]).expect_code(0);
    squash(&cli, &dir, &["up", "--to", "20260301000200", "--fake"]).expect_code(0);
    db.exec("DELETE FROM pgmigrations WHERE name = '20260301000100_seed'");
    expect_refused(&["squash", "--to", "20260301000200"]);
    db.exec("DELETE FROM pgmigrations");
    squash(&cli, &dir, &["up", "--to", TARGET, "--fake"]).expect_code(0);
    // Rows the migrations wrote, neither kept nor discarded; a kept table that does not exist.
    expect_refused(&["squash", "--to", TARGET]);
    expect_refused(&["squash", "--to", TARGET, "--keep-data", "countries"]);
    let filters = tests::cli::filters();
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .chain([(r"scratch database \([^)]*\)", "scratch database [SCRATCH]")])
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("squash_bad_input", transcript);
    });

    // A migration that calls `pgm.no_transaction()` cannot be squashed (checked before any database).
    let concurrent = FixtureCli::new("concurrent", &db);
    let last = fixtures::registry("concurrent")
        .unwrap()
        .migrations
        .last()
        .unwrap()
        .name();
    let run = concurrent.run(&["squash", "--to", last]).expect_code(1);
    assert!(
        run.stderr
            .contains("runs outside a transaction (`pgm.no_transaction()`)"),
        "{}",
        run.stderr
    );
}

/// The command's own help: everything above the global options, which every command shares and its help lists
/// last, under their own heading.
#[test]
fn squash_help_is_pinned() {
    let db = TestDb::new();
    let run = FixtureCli::new("squash_v1", &db)
        .run(&["squash", "--help"])
        .expect_code(0);
    let (own, global) = run
        .stdout
        .split_once("\nGlobal options:\n")
        .expect("the global options under their own heading, after the command's own");
    assert!(global.contains("--database-url"), "{}", run.stdout);
    assert!(!own.contains("--database-url"), "{}", run.stdout);
    let own: Vec<&str> = own.lines().filter(|line| !line.is_empty()).collect();
    insta::assert_snapshot!("squash_help", own.join("\n"));
}

/// Applies `sql` to a fresh database, reads its schema as SQL, applies that to another fresh database and
/// compares the descriptions.
fn round_trip_sql(sql: &str) {
    let source = TestDb::new();
    source.exec(sql);
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let baseline = TestDb::new();
    let mut client = baseline.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement).unwrap_or_else(|e| {
            panic!(
                "{statement}: {e}\n\nall statements:\n{}",
                statements.join(";\n")
            )
        });
    }
    tx.commit().unwrap();
    let (expected, actual) = (describe(&source), describe(&baseline));
    assert!(expected.lines().count() > 20, "{expected}");
    assert_eq!(expected, actual, "statements:\n{}", statements.join(";\n"));
}

#[test]
fn catalog_objects_squash_round_trips() {
    round_trip_sql(
        "CREATE SCHEMA shop;
         CREATE TYPE shop.price_range AS RANGE (SUBTYPE = numeric);
         CREATE TYPE shop.address AS (street text, city text COLLATE \"C\");
         CREATE DOMAIN shop.positive AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0);
         COMMENT ON DOMAIN shop.positive IS 'more than nothing';
         CREATE SEQUENCE shop.order_no AS integer INCREMENT BY 5 MINVALUE 100 MAXVALUE 100000 START WITH 200 CACHE 3 CYCLE;
         CREATE FUNCTION shop.next_order() RETURNS integer LANGUAGE sql AS $$ SELECT nextval('shop.order_no')::integer $$;
         CREATE TABLE shop.orders (
             id integer NOT NULL DEFAULT shop.next_order(),
             placed date NOT NULL,
             quantity shop.positive,
             ship_to shop.address,
             price shop.price_range,
             note text,
             PRIMARY KEY (id, placed)
         ) PARTITION BY RANGE (placed);
         CREATE TABLE shop.orders_2026 PARTITION OF shop.orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         CREATE TABLE shop.orders_old PARTITION OF shop.orders DEFAULT;
         CREATE INDEX orders_placed_index ON shop.orders (placed DESC);
         CREATE UNLOGGED TABLE shop.cache (key text PRIMARY KEY, value jsonb) WITH (fillfactor = 70);
         ALTER TABLE shop.cache ALTER COLUMN value SET STORAGE EXTERNAL;
         CREATE TABLE shop.base (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 2), made timestamptz DEFAULT now());
         CREATE TABLE shop.special (extra text) INHERITS (shop.base);
         CREATE TABLE shop.audit (id bigserial, what text, CONSTRAINT audit_id_unique UNIQUE (id));
         ALTER TABLE shop.audit REPLICA IDENTITY FULL;
         CREATE INDEX audit_what_index ON shop.audit (what);
         ALTER TABLE shop.audit CLUSTER ON audit_what_index;
         COMMENT ON INDEX shop.audit_what_index IS 'for lookups';
         COMMENT ON CONSTRAINT audit_id_unique ON shop.audit IS 'one each';
         CREATE FUNCTION shop.latest(a shop.audit) RETURNS text LANGUAGE sql AS $$ SELECT a.what $$;
         CREATE PROCEDURE shop.purge(keep integer) LANGUAGE plpgsql AS $$ BEGIN DELETE FROM shop.audit WHERE id < keep; END $$;
         COMMENT ON PROCEDURE shop.purge(integer) IS 'drops old rows';
         CREATE FUNCTION shop.log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO shop.audit (what) VALUES (TG_OP); RETURN NULL; END $$;
         CREATE TRIGGER cache_log AFTER INSERT ON shop.cache FOR EACH STATEMENT EXECUTE FUNCTION shop.log();
         ALTER TABLE shop.cache DISABLE TRIGGER cache_log;
         COMMENT ON TRIGGER cache_log ON shop.cache IS 'who touched it';
         CREATE RULE audit_no_delete AS ON DELETE TO shop.audit DO INSTEAD NOTHING;
         CREATE STATISTICS shop.orders_stats (dependencies) ON placed, quantity FROM shop.orders_2026;
         CREATE MATERIALIZED VIEW shop.daily AS SELECT placed, count(*) AS n FROM shop.orders GROUP BY placed WITH NO DATA;
         CREATE UNIQUE INDEX daily_placed ON shop.daily (placed);
         CREATE VIEW shop.recent WITH (security_barrier = true) AS SELECT * FROM shop.daily WHERE placed > '2026-01-01';
         ALTER TABLE shop.cache ENABLE ROW LEVEL SECURITY;
         ALTER TABLE shop.cache FORCE ROW LEVEL SECURITY;
         CREATE POLICY cache_only_mine ON shop.cache AS RESTRICTIVE FOR UPDATE TO PUBLIC USING (key = current_user) WITH CHECK (key = current_user);
         GRANT USAGE ON SCHEMA shop TO PUBLIC;
         GRANT SELECT, INSERT ON shop.orders TO PUBLIC;
         GRANT UPDATE (what) ON shop.audit TO PUBLIC;
         REVOKE EXECUTE ON FUNCTION shop.next_order() FROM PUBLIC;
         GRANT USAGE ON SEQUENCE shop.order_no TO PUBLIC;
         COMMENT ON TABLE shop.orders IS 'what people bought';
         COMMENT ON COLUMN shop.daily.n IS 'orders that day';",
    );
}

#[test]
fn schema_the_baseline_cannot_give_is_refused_with_the_diff() {
    let db = TestDb::new();
    let cli = FixtureCli::new("squash_unsupported", &db);
    let dir = cli.cwd().join("migrations");
    copy_dir(&fixtures::dir("squash_unsupported"), &dir);
    let files = file_names(&dir);
    squash(&cli, &dir, &["up"]).expect_code(0);
    let args = ["squash", "--to", "20260302000100"];
    let run = squash(&cli, &dir, &args).expect_code(1);
    assert_cli_snapshot!("squash_unsupported", run, &args);
    assert_eq!(file_names(&dir), files);
}

/// The statements of a written baseline's `up`, in order: the text of each `pgm.sql(r"...")` as `squash`
/// writes it (a raw string with as many `#` as its text needs).
fn baseline_statements(source: &str) -> Vec<String> {
    let up = &source[source.find("pub fn up(").expect("the baseline's up")..];
    let up = &up[..up.find("\npub fn down(").expect("the baseline's down")];
    let mut statements = Vec::new();
    let mut rest = up;
    while let Some(at) = rest.find("pgm.sql(r") {
        rest = &rest[at + "pgm.sql(r".len()..];
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        let open = format!("{}\"", "#".repeat(hashes));
        let close = format!("\"{});", "#".repeat(hashes));
        assert!(rest.starts_with(&open), "pgm.sql(r{rest}");
        let text = &rest[open.len()..];
        let end = text.find(&close).expect("the end of the raw string");
        statements.push(text[..end].to_owned());
        rest = &text[end + close.len()..];
    }
    statements
}

/// Applies a written baseline to `db` as its `up` runs there: its statements in one transaction, in order.
fn apply_baseline(db: &TestDb, source: &str) {
    let mut client = db.client();
    let mut tx = client.transaction().unwrap();
    for statement in baseline_statements(source) {
        tx.batch_execute(&statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
}

/// The helper above reads a baseline as the runner runs it: the checked-in one applied by it and by the runner
/// gives the same schema and rows.
#[test]
fn baseline_statements_are_what_the_runner_runs() {
    let source =
        std::fs::read_to_string(fixtures::dir("squash_v2").join(format!("{BASELINE}.rs"))).unwrap();
    let statements = baseline_statements(&source);
    assert!(statements.len() > 20, "{statements:?}");
    assert_eq!(statements[0], "SET LOCAL check_function_bodies = off");
    let by_helper = TestDb::new();
    apply_baseline(&by_helper, &source);
    let by_runner = TestDb::new();
    FixtureCli::new("squash_v2", &by_runner)
        .run(&["up", "--to", BASELINE])
        .expect_code(0);
    assert_eq!(describe(&by_helper), describe(&by_runner));
    let seed = "SELECT id::text, code, name FROM app.countries ORDER BY id";
    assert_eq!(by_helper.query_strings(seed), by_runner.query_strings(seed));
}

const DATA_TARGET: &str = "20260303000100_seed";
const DATA_BASELINE: &str = "20260303000100_baseline";

/// Every table of fixture `squash_data` whose rows the migrations wrote.
const DATA_TABLES: [&str; 6] = [
    "parent",
    "child",
    "items",
    "audit",
    "invoices",
    "events_2026",
];

/// Applies fixture `squash_data` to a database, squashes it keeping the rows of `keep` in that order (the
/// other tables' rows discarded), and applies the written baseline to a fresh database: (the database the
/// migrations ran on, the fresh one).
fn squashed_data(keep: &[&str]) -> (TestDb, TestDb) {
    let db = TestDb::new();
    let (cli, dir) = on_copy_of("squash_data", "squash_data", &db);
    squash(&cli, &dir, &["up"]).expect_code(0);
    let mut args = vec!["squash", "--to", DATA_TARGET];
    for table in keep {
        args.extend(["--keep-data", table]);
    }
    for table in DATA_TABLES.iter().filter(|t| !keep.contains(t)) {
        args.extend(["--discard-data", table]);
    }
    squash(&cli, &dir, &args).expect_code(0);
    let written = std::fs::read_to_string(dir.join(format!("{DATA_BASELINE}.rs"))).unwrap();
    let fresh = TestDb::new();
    apply_baseline(&fresh, &written);
    (db, fresh)
}

/// Every row of `table`, as text, in order.
fn contents(db: &TestDb, table: &str) -> Vec<Vec<Option<String>>> {
    db.query_strings(&format!("SELECT t::text FROM {table} t ORDER BY 1"))
}

#[test]
fn kept_rows_load_without_firing_triggers() {
    let (db, fresh) = squashed_data(&DATA_TABLES);
    // The migrations' rows: each item got revision 1 and one audit row from the triggers as it was inserted.
    assert_eq!(
        db.query_strings("SELECT id::text, revision::text FROM items ORDER BY id"),
        [["1", "1"], ["2", "1"], ["3", "1"]].map(|r| r.map(|v| Some(v.to_owned())))
    );
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM audit"),
        [[Some("3".to_owned())]]
    );
    // Loaded again, no trigger fires: no second audit row per item, no revision bumped twice.
    assert_eq!(
        fresh.query_strings("SELECT count(*)::text FROM audit"),
        [[Some("3".to_owned())]]
    );
    for table in DATA_TABLES {
        assert_eq!(contents(&fresh, table), contents(&db, table), "{table}");
    }
    // The triggers are there afterwards, and fire on a new row.
    fresh.exec("INSERT INTO items (id, name) VALUES (4, 'four')");
    assert_eq!(
        fresh.query_strings(
            "SELECT (SELECT revision FROM items WHERE id = 4)::text, (SELECT count(*) FROM audit)::text"
        ),
        [[Some("1".to_owned()), Some("4".to_owned())]]
    );
}

#[test]
fn kept_tables_may_be_given_in_any_order() {
    // The child before its parent, the log before what it logs.
    let (db, fresh) = squashed_data(&[
        "audit",
        "child",
        "items",
        "invoices",
        "events_2026",
        "parent",
    ]);
    for table in DATA_TABLES {
        assert_eq!(contents(&fresh, table), contents(&db, table), "{table}");
    }
    // The foreign key holds on the fresh database.
    let orphan = fresh
        .client()
        .batch_execute("INSERT INTO child (parent_id) VALUES (99)")
        .unwrap_err();
    assert!(
        orphan.to_string().contains("foreign key") || format!("{orphan:?}").contains("23503"),
        "{orphan:?}"
    );
}

#[test]
fn sequences_and_materialized_views_continue_where_the_migrations_left_them() {
    let (db, fresh) = squashed_data(&DATA_TABLES);
    // The materialized view holds what it held after the migrations, made from the kept rows.
    assert_eq!(contents(&fresh, "item_names"), contents(&db, "item_names"));
    assert_eq!(contents(&fresh, "item_names").len(), 3);
    // Every sequence, the one no column owns (invoice numbers taken by a default) included, gives the number
    // it would have given after the migrations.
    let next = "SELECT nextval('invoice_no')::text, nextval('parent_id_seq')::text, \
                nextval('child_id_seq')::text, nextval('audit_id_seq')::text";
    let expected = db.query_strings(next);
    assert_eq!(
        expected,
        [["1002", "3", "3", "4"].map(|v| Some(v.to_owned()))]
    );
    assert_eq!(fresh.query_strings(next), expected);
    // So a new invoice does not take a kept one's number.
    fresh.exec("INSERT INTO invoices (amount) VALUES (30)");
}

/// Kept rows that the baseline cannot give back as they were: refused, with a message naming the tables and
/// the cause (not "a bug in squash"), and nothing written.
#[test]
fn kept_rows_the_baseline_cannot_give_back_are_refused_clearly() {
    let cases: [(&str, &[&str], &[&str]); 2] = [
        (
            // A kept child whose parent's rows are discarded.
            "a foreign key to rows that are not kept",
            &[
                "--keep-data",
                "child",
                "--discard-data",
                "parent",
                "--discard-data",
                "items",
                "--discard-data",
                "audit",
                "--discard-data",
                "invoices",
                "--discard-data",
                "events_2026",
            ],
            &[
                "the kept rows of public.child refer to rows that are not kept",
                "child_parent_id_fkey",
            ],
        ),
        (
            // A partitioned table and its partition: the partition's rows twice. Only squash's comparison of
            // the kept rows sees it (no key refuses them).
            "rows kept twice",
            &[
                "--keep-data",
                "events",
                "--keep-data",
                "events_2026",
                "--discard-data",
                "parent",
                "--discard-data",
                "child",
                "--discard-data",
                "items",
                "--discard-data",
                "audit",
                "--discard-data",
                "invoices",
            ],
            &[
                "the baseline would not give the rows the migrations give",
                "public.events_2026: 2 row(s) after the migrations, 4 after the baseline",
            ],
        ),
    ];
    let db = TestDb::new();
    let (cli, dir) = on_copy_of("squash_data", "squash_data", &db);
    squash(&cli, &dir, &["up"]).expect_code(0);
    let files = file_names(&dir);
    let mut transcript = String::new();
    for (case, options, expected) in cases {
        let mut args = vec!["squash", "--to", DATA_TARGET];
        args.extend(options);
        let run = squash(&cli, &dir, &args).expect_code(1);
        for part in expected {
            assert!(run.stderr.contains(part), "{case}: {}", run.stderr);
        }
        assert!(!run.stderr.contains("bug"), "{case}: {}", run.stderr);
        assert_eq!(file_names(&dir), files, "{case} changed the folder");
        transcript.push_str(&run.transcript(&args));
        transcript.push('\n');
    }
    let left = db.query_strings(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{}\\_squash%'",
        db.name()
    ));
    assert!(left.is_empty(), "{left:?}");
    let filters = tests::cli::filters();
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .chain([(r"scratch database \([^)]*\)", "scratch database [SCRATCH]")])
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("squash_kept_rows_refused", transcript);
    });
}

/// The rows of the migrations table, by name.
fn names(db: &TestDb) -> Vec<String> {
    db.query_strings("SELECT name FROM pgmigrations ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

/// A database that applied only some of the squashed migrations: `status` shows their rows as squashed
/// (not as missing files) with `up`'s advice, `repair` leaves them alone, and once the rest is applied with
/// the files from before the squash, `up` records the baseline.
#[test]
fn status_and_repair_leave_a_partly_applied_baseline_to_up() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("squash_v1", &db);
    v1.run(&["up", "--to", "20260301000100"]).expect_code(0);
    let before = rows(&db);
    let v2 = v1.switch("squash_v2");
    let status = v2.run(&["status"]).expect_code(5);
    assert!(!status.stdout.contains("MISSING FILE"), "{}", status.stdout);
    assert!(
        !status.stdout.contains("`repair` forgets"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains(&format!("20260301000000_start (squashed into {BASELINE})")),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains(
            "hint: `up --to 20260301000300_fill_names`, with the files from before the squash"
        ),
        "{}",
        status.stdout
    );
    assert_cli_snapshot!("squash_partly_applied_status", status, &["status"]);
    let json = v2.run(&["status", "--json"]).expect_code(5);
    assert!(
        json.stdout.contains("\"state\": \"squashed\"")
            && json
                .stdout
                .contains(&format!("\"squashed_into\": \"{BASELINE}\"")),
        "{}",
        json.stdout
    );
    // `repair` deletes nothing: without the rows, the baseline could never be recorded.
    let repair = v2.run(&["repair"]).expect_code(0);
    assert!(
        repair.stdout.contains("nothing to repair"),
        "{}",
        repair.stdout
    );
    assert_eq!(rows(&db), before);
    // Named, a squashed row is refused with `up`'s reason.
    let repair = v2.run(&["repair", "20260301000000_start"]).expect_code(1);
    assert!(
        repair
            .stderr
            .contains("of which this database applied only some"),
        "{}",
        repair.stderr
    );
    assert_eq!(rows(&db), before);
    // `--dry-run` says what `up` says.
    let dry = v2.run(&["up", "--dry-run"]).expect_code(1);
    assert!(
        dry.stderr
            .contains("of which this database applied only some"),
        "{}",
        dry.stderr
    );
    // The way out that status advises works.
    v1.run(&["up", "--to", "20260301000300"]).expect_code(0);
    let up = v2.run(&["up"]).expect_code(0);
    assert!(
        up.stdout.contains(&format!(
            "recorded {BASELINE} as applied without running it"
        )),
        "{}",
        up.stdout
    );
    assert_eq!(names(&db), [BASELINE, "20260301000400_later"]);
}

/// A database that applied an edited version of a squashed migration (the file was edited back before the
/// squash): `up` refuses to record the baseline, naming it, and changes nothing; `status` says the same.
#[test]
fn a_database_that_applied_another_version_of_a_squashed_migration_is_refused() {
    let db = TestDb::new();
    FixtureCli::new("squash_edited", &db)
        .run(&["up"])
        .expect_code(0);
    let before = rows(&db);
    let v2 = FixtureCli::new("squash_v2", &db);
    let run = v2.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("squash_applied_another_version", run, &["up"]);
    assert!(
        run.stderr.contains("20260301000100_seed") && !run.stderr.contains("20260301000000_start"),
        "{}",
        run.stderr
    );
    assert_eq!(rows(&db), before);
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM app.countries"),
        [[Some("4".to_owned())]]
    );
    let status = v2.run(&["status"]).expect_code(5);
    assert!(
        status.stdout.contains("SQUASHED") && status.stdout.contains("in another version"),
        "{}",
        status.stdout
    );
    v2.run(&["repair"]).expect_code(0);
    assert_eq!(rows(&db), before);
    // The baseline carries the squashed files' checksums next to their names.
    let source =
        std::fs::read_to_string(fixtures::dir("squash_v2").join(format!("{BASELINE}.rs"))).unwrap();
    let registry = fixtures::registry("squash_v1").unwrap();
    for m in &registry.migrations[..4] {
        assert!(
            source.contains(&format!("    {:?},\n", m.checksum())),
            "{}",
            m.name()
        );
    }
}

/// A baseline written before baselines carried checksums (no `SQUASHED_CHECKSUMS`) works as it did: recorded
/// on a database that applied every squashed migration, whatever version, run on a fresh one.
#[test]
fn a_baseline_without_checksums_still_works() {
    let source = std::fs::read_to_string(
        fixtures::dir("squash_v2_without_checksums").join(format!("{BASELINE}.rs")),
    )
    .unwrap();
    assert!(!source.contains("SQUASHED_CHECKSUMS"));
    for fixture in ["squash_v1", "squash_edited"] {
        let db = TestDb::new();
        FixtureCli::new(fixture, &db)
            .run(&["up", "--to", "20260301000300"])
            .expect_code(0);
        let old = FixtureCli::new("squash_v2_without_checksums", &db);
        let run = old.run(&["up"]).expect_code(0);
        assert!(
            run.stdout.contains(&format!(
                "recorded {BASELINE} as applied without running it"
            )),
            "{fixture}: {}",
            run.stdout
        );
        assert_eq!(names(&db), [BASELINE, "20260301000400_later"], "{fixture}");
    }
    let fresh = TestDb::new();
    FixtureCli::new("squash_v2_without_checksums", &fresh)
        .run(&["up"])
        .expect_code(0);
    assert_eq!(names(&fresh), [BASELINE, "20260301000400_later"]);
}

/// A database whose name is long and not ASCII: its two scratch databases still get two names within
/// PostgreSQL's 63 bytes (cut by characters they were longer, and cut again by the server to one name).
#[test]
fn squash_works_on_a_database_with_a_long_non_ascii_name() {
    let db = TestDb::new();
    // 20 two-byte characters, then this run's own suffix: 57 bytes, unique on the server.
    let unique = &db.name()[db.name().len() - 16..];
    let name = format!("{}_{unique}", "é".repeat(20));
    assert!(name.len() <= 63);
    let long = NamedDb::create(&db, &name);
    let (cli, dir) = {
        let cli = FixtureCli::with_url("squash_v1", &long.url);
        let dir = cli.cwd().join("migrations");
        copy_dir(&fixtures::dir("squash_v1"), &dir);
        (cli, dir)
    };
    squash(&cli, &dir, &["up", "--to", TARGET]).expect_code(0);
    let run = squash(
        &cli,
        &dir,
        &["squash", "--to", TARGET, "--keep-data", "app.countries"],
    )
    .expect_code(0);
    assert!(
        run.stdout.contains("squashed 4 migration(s)"),
        "{}",
        run.stdout
    );
    let left = db.query_strings(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{}%' AND datname <> '{name}'",
        "é".repeat(20)
    ));
    assert!(left.is_empty(), "{left:?}");
}

/// Only a refusal for want of the privilege blames CREATEDB (a name already taken does not, see above).
#[test]
fn a_role_without_createdb_is_told_the_scratch_database_needs_it() {
    let db = TestDb::new();
    let role = format!("{}_role", db.name());
    let admin_sql = |sql: &str| {
        postgres::Client::connect(db.admin_url(), postgres::NoTls)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    };
    admin_sql(&format!("CREATE ROLE \"{role}\" NOCREATEDB"));
    // The session starts as the admin user and switches to the role: no login rights or pg_hba entry needed.
    let url = format!("{}?options=-crole%3D{role}", db.url());
    let run = FixtureCli::with_url("squash_v1", &url).run(&["verify"]);
    admin_sql(&format!("DROP ROLE \"{role}\""));
    let run = run.expect_code(1);
    assert!(
        run.stderr.contains(&format!(
            "cannot create the scratch database {}_verify_",
            db.name()
        )) && run.stderr.contains("(verify needs the CREATEDB privilege)")
            && run.stderr.contains("42501"),
        "{}",
        run.stderr
    );
}

/// A database made under a given name, dropped with this value.
struct NamedDb {
    admin: String,
    name: String,
    url: String,
}

impl NamedDb {
    fn create(db: &TestDb, name: &str) -> NamedDb {
        let admin = db.admin_url().to_owned();
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        let encoded: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'_' {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let url = match db.url().rsplit_once(db.name()) {
            Some((before, after)) => format!("{before}{encoded}{after}"),
            None => panic!("{} names {}", db.url(), db.name()),
        };
        NamedDb {
            admin,
            name: name.to_owned(),
            url,
        }
    }
}

impl Drop for NamedDb {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}
