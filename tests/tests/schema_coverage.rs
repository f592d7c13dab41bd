//! Every operation kind against the schema description (`migrate_core::schema::describe`, what the schema
//! file, `verify` and `squash` compare) and the harness's catalog fingerprint (`tests::roundtrip::catalog`,
//! what the round trips compare): a sample of each operation runs on a fresh database, and each reader must
//! see what it created, changed or dropped. An object kind the description does not read (a new operation's
//! objects, or a reader left out) makes its sample fail here rather than pass unseen through `verify`.
//!
//! [`SAMPLES`] is checked against `Operation::NAMES`, the DSL's own list: an operation added without a sample
//! here fails `every_operation_has_a_sample` (docs/contributing.md, "Adding an operation or an object kind").

use std::collections::BTreeSet;

use migrate_core::MigrationsTable;
use migrate_dsl::prelude::*;
use migrate_dsl::Operation;
use tests::roundtrip::{catalog, Case};

/// Which readers must see the sample's change.
#[derive(Clone, Copy)]
enum Expect {
    /// The schema description and the harness's fingerprint both change.
    Seen,
    /// Only the fingerprint changes, for the reason given: roles and memberships belong to the cluster, not
    /// to the database the description describes.
    FingerprintOnly(&'static str),
    /// The description does not change, for the reason given (data, markers): the operation creates no
    /// object. Checked, so an operation that starts creating objects has to move to `Seen`. (The fingerprint
    /// is not compared: it shows the engine's bookkeeping tables, which a first backfill creates.)
    NoObject(&'static str),
}

/// How the sample runs.
#[derive(Clone, Copy)]
enum Run {
    /// Its statements, as `Case::run` sends them.
    Sql(fn(&mut MigrationBuilder, &Roles)),
    /// Through the engine (`Migrator`): for operations whose work the engine does (backfills, data code,
    /// online changes).
    Engine(fn(&mut MigrationBuilder)),
    /// The `up` through the engine, then the sample is its derived `down`: for operations only a derived
    /// `down` records.
    EngineDown(fn(&mut MigrationBuilder)),
    /// Nothing: the operation refuses to render, by design (the `irreversible` marker of a `down`).
    Refused(fn(&mut MigrationBuilder)),
}

struct Sample {
    /// The operation's builder method, as in `Operation::NAMES`.
    op: &'static str,
    /// Plain SQL run first; `{a}` and `{b}` stand for the test's two roles.
    setup: &'static str,
    run: Run,
    expect: Expect,
}

/// Two role names owned by the test (named after its database), dropped at its end.
struct Roles {
    a: String,
    b: String,
    admin: String,
}

impl Roles {
    fn new(case: &Case) -> Roles {
        Roles {
            a: format!("{}_a", case.db.name()),
            b: format!("{}_b", case.db.name()),
            admin: case.db.url().to_owned(),
        }
    }

    fn setup(&self, sql: &str) -> String {
        sql.replace("{a}", &ident(&self.a))
            .replace("{b}", &ident(&self.b))
    }
}

impl Drop for Roles {
    fn drop(&mut self) {
        let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) else {
            return;
        };
        for name in [&self.a, &self.b] {
            // Best effort: a failing cleanup must not hide the test's own failure.
            let _ = client.batch_execute(&format!(
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {lit}) THEN \
                 EXECUTE 'DROP OWNED BY ' || quote_ident({lit}); EXECUTE 'DROP ROLE ' || quote_ident({lit}); END IF; END $$",
                lit = literal(name)
            ));
        }
    }
}

const T: &str = "CREATE TABLE t (id int PRIMARY KEY, v int)";
const FUNCTION: &str = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'";
const TRIGGER: &str = "CREATE TABLE t (id int); \
     CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; \
     CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg()";
const VIEW: &str = "CREATE TABLE t (id int, v int); CREATE VIEW v AS SELECT id, v FROM t";
const MATVIEW: &str = "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one";
const POLICY: &str = "CREATE TABLE t (id int); CREATE POLICY p ON t USING (true)";
const ENUM: &str = "CREATE TYPE mood AS ENUM ('sad', 'ok')";
const COMPOSITE: &str = "CREATE TYPE address AS (street text, zip varchar(10))";
const FAMILY: &str = "CREATE OPERATOR FAMILY fam USING btree";
const CLASS: &str =
    "CREATE OPERATOR CLASS cls FOR TYPE int4 USING hash AS OPERATOR 1 =, FUNCTION 1 hashint4(int4)";
const CAST_TYPES: &str = "CREATE TYPE price AS (amount int); CREATE TYPE cents AS (amount int)";

/// One sample per operation, in the order of `Operation::NAMES`.
const SAMPLES: &[Sample] = &[
    Sample {
        op: "sql",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.sql("CREATE TABLE t (id int)");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "irreversible",
        setup: "",
        run: Run::Refused(|pgm| {
            pgm.irreversible("a marker");
        }),
        expect: Expect::NoObject("the marker of a `down` that cannot be written: it refuses to run"),
    },
    Sample {
        op: "db",
        setup: T,
        run: Run::Engine(|pgm| {
            pgm.db("insert a row", |tx| {
                tx.execute("INSERT INTO t VALUES (1, 1)", &[])?;
                Ok(())
            });
        }),
        expect: Expect::NoObject("data code changes rows, not the schema"),
    },
    Sample {
        op: "backfill",
        setup: "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, NULL)",
        run: Run::Engine(|pgm| {
            pgm.backfill("t", "v = id");
        }),
        expect: Expect::NoObject("a backfill changes rows, not the schema"),
    },
    Sample {
        op: "drop_kept_values",
        setup: "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 2)",
        run: Run::Engine(|pgm| {
            pgm.drop_kept_values("t");
        }),
        expect: Expect::NoObject("kept values are the engine's bookkeeping, not the schema"),
    },
    Sample {
        op: "require_background_jobs",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.require_background_jobs("20261201000002_fill_t");
        }),
        expect: Expect::NoObject("a gate on background jobs, checked before the migration starts"),
    },
    Sample {
        op: "precondition",
        setup: T,
        run: Run::Engine(|pgm| {
            pgm.precondition("no negative v", "SELECT NOT EXISTS (SELECT FROM t WHERE v < 0)");
        }),
        expect: Expect::NoObject("a query about the data, checked before the migration's first statement"),
    },
    Sample {
        op: "drop_partition_constraint",
        setup: "CREATE TABLE p (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
                CREATE TABLE p_2025 PARTITION OF p FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        run: Run::EngineDown(|pgm| {
            pgm.add_constraint_online("p", "p_id_at_key", Constraint::unique(["id", "at"]))
                .per_partition();
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "restore_previous",
        setup: "",
        run: Run::EngineDown(|pgm| {
            pgm.create_function("f", Vec::<FunctionParam>::new(), "SELECT 1")
                .language("sql")
                .returns("int")
                .or_replace();
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "since_pg",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.since_pg(13, |pgm| {
                pgm.create_table("t", [column("id", "int")]);
            });
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "since_pg_note",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.since_pg(13, |_| {});
        }),
        expect: Expect::NoObject("the comment lines of a resolved `since_pg`"),
    },
    Sample {
        op: "set_not_null",
        setup: T,
        run: Run::Engine(|pgm| {
            pgm.set_not_null("t", "v");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_column_online",
        setup: T,
        run: Run::Engine(|pgm| {
            pgm.rename_column_online("t", "v", "w");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "change_column_type_online",
        setup: T,
        run: Run::Engine(|pgm| {
            pgm.change_column_type_online("t", "v", "v_big", "bigint");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "widen_key_online",
        setup: "CREATE TABLE k (id int PRIMARY KEY)",
        run: Run::Engine(|pgm| {
            pgm.widen_key_online("k", "id", "bigint");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "add_constraint_online",
        setup: T,
        run: Run::Engine(|pgm| {
            pgm.add_constraint_online("t", None, Constraint::check("v >= 0"));
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_table",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_table("t", [column("id", "int")]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_table",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.drop_table("t");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_table",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.rename_table("t", "u");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_table",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.alter_table("t")
                .row_level_security(RowLevelSecurity::Enable);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "attach_partition",
        setup: "CREATE TABLE p (k text) PARTITION BY LIST (k); CREATE TABLE p_a (k text)",
        run: Run::Sql(|pgm, _| {
            pgm.attach_partition("p", "p_a", PartitionBound::list(["a"]));
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "detach_partition",
        setup: "CREATE TABLE p (k text) PARTITION BY LIST (k); \
                CREATE TABLE p_a PARTITION OF p FOR VALUES IN ('a')",
        run: Run::Sql(|pgm, _| {
            pgm.detach_partition("p", "p_a");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "add_columns",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.add_columns("t", [column("w", "text")]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_columns",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.drop_columns("t", ["v"]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_column",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.rename_column("t", "v", "w");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_column",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.alter_column("t", "v").set_default(0);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_index",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.create_index("t", ["v"]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_index",
        setup: "CREATE TABLE t (id int, v int); CREATE INDEX t_v_index ON t (v)",
        run: Run::Sql(|pgm, _| {
            pgm.drop_index("t", ["v"]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_index",
        setup: "CREATE TABLE t (id int, v int); CREATE INDEX i ON t (v)",
        run: Run::Sql(|pgm, _| {
            pgm.rename_index("i", "j");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "add_constraint",
        setup: T,
        run: Run::Sql(|pgm, _| {
            pgm.add_constraint("t", "v_positive", Constraint::check("v > 0"));
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_constraint",
        setup: "CREATE TABLE t (id int, v int CONSTRAINT c CHECK (v > 0))",
        run: Run::Sql(|pgm, _| {
            pgm.drop_constraint("t", "c");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "validate_constraint",
        setup: "CREATE TABLE t (id int, v int); ALTER TABLE t ADD CONSTRAINT c CHECK (v > 0) NOT VALID",
        run: Run::Sql(|pgm, _| {
            pgm.validate_constraint("t", "c");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_constraint",
        setup: "CREATE TABLE t (id int, v int CONSTRAINT c CHECK (v > 0))",
        run: Run::Sql(|pgm, _| {
            pgm.rename_constraint("t", "c", "d");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_function",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_function("f", Vec::<FunctionParam>::new(), "SELECT 1")
                .language("sql")
                .returns("int");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_function",
        setup: FUNCTION,
        run: Run::Sql(|pgm, _| {
            pgm.drop_function("f", Vec::<FunctionParam>::new());
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_function",
        setup: FUNCTION,
        run: Run::Sql(|pgm, _| {
            pgm.rename_function("f", Vec::<FunctionParam>::new(), "g");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_trigger",
        setup: "CREATE TABLE t (id int); \
                CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
        run: Run::Sql(|pgm, _| {
            pgm.create_trigger("t", "tr", "trg")
                .before()
                .on_insert()
                .for_each_row();
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_trigger",
        setup: TRIGGER,
        run: Run::Sql(|pgm, _| {
            pgm.drop_trigger("t", "tr");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_trigger",
        setup: TRIGGER,
        run: Run::Sql(|pgm, _| {
            pgm.rename_trigger("t", "tr", "tr2");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_view",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_view("v", "SELECT 1 AS one");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_view",
        setup: VIEW,
        run: Run::Sql(|pgm, _| {
            pgm.drop_view("v");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_view",
        setup: VIEW,
        run: Run::Sql(|pgm, _| {
            pgm.alter_view("v").set_option("security_barrier", true);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_view_column",
        setup: VIEW,
        run: Run::Sql(|pgm, _| {
            pgm.alter_view_column("v", "v").set_default(1);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_view",
        setup: VIEW,
        run: Run::Sql(|pgm, _| {
            pgm.rename_view("v", "w");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_materialized_view",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_materialized_view("mv", "SELECT 1 AS one");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_materialized_view",
        setup: MATVIEW,
        run: Run::Sql(|pgm, _| {
            pgm.drop_materialized_view("mv");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_materialized_view",
        setup: MATVIEW,
        run: Run::Sql(|pgm, _| {
            pgm.alter_materialized_view("mv")
                .set_storage_parameter("fillfactor", 80);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_materialized_view",
        setup: MATVIEW,
        run: Run::Sql(|pgm, _| {
            pgm.rename_materialized_view("mv", "mv2");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_materialized_view_column",
        setup: MATVIEW,
        run: Run::Sql(|pgm, _| {
            pgm.rename_materialized_view_column("mv", "one", "uno");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "refresh_materialized_view",
        setup: "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one WITH NO DATA",
        run: Run::Sql(|pgm, _| {
            pgm.refresh_materialized_view("mv");
        }),
        expect: Expect::FingerprintOnly(
            "whether a materialized view holds rows is data; the description shows its query",
        ),
    },
    Sample {
        op: "create_policy",
        setup: "CREATE TABLE t (id int)",
        run: Run::Sql(|pgm, _| {
            pgm.create_policy("t", "p");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_policy",
        setup: POLICY,
        run: Run::Sql(|pgm, _| {
            pgm.alter_policy("t", "p").using("id > 0");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_policy",
        setup: POLICY,
        run: Run::Sql(|pgm, _| {
            pgm.drop_policy("t", "p");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_policy",
        setup: POLICY,
        run: Run::Sql(|pgm, _| {
            pgm.rename_policy("t", "p", "q");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_type",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_type("mood", ["sad", "ok"]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_type",
        setup: ENUM,
        run: Run::Sql(|pgm, _| {
            pgm.drop_type("mood");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_type",
        setup: ENUM,
        run: Run::Sql(|pgm, _| {
            pgm.rename_type("mood", "feeling");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "add_type_attribute",
        setup: COMPOSITE,
        run: Run::Sql(|pgm, _| {
            pgm.add_type_attribute("address", "country", "char(2)");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_type_attribute",
        setup: COMPOSITE,
        run: Run::Sql(|pgm, _| {
            pgm.drop_type_attribute("address", "zip");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_type_attribute",
        setup: COMPOSITE,
        run: Run::Sql(|pgm, _| {
            pgm.rename_type_attribute("address", "zip", "postal_code");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "set_type_attribute",
        setup: COMPOSITE,
        run: Run::Sql(|pgm, _| {
            pgm.set_type_attribute("address", "zip", "text");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "add_type_value",
        setup: ENUM,
        run: Run::Sql(|pgm, _| {
            pgm.add_type_value("mood", "happy");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_type_value",
        setup: ENUM,
        run: Run::Sql(|pgm, _| {
            pgm.rename_type_value("mood", "ok", "fine");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_schema",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_schema("app");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_schema",
        setup: "CREATE SCHEMA app",
        run: Run::Sql(|pgm, _| {
            pgm.drop_schema("app");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_schema",
        setup: "CREATE SCHEMA app",
        run: Run::Sql(|pgm, _| {
            pgm.rename_schema("app", "application");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_sequence",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_sequence("s");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_sequence",
        setup: "CREATE SEQUENCE s",
        run: Run::Sql(|pgm, _| {
            pgm.alter_sequence("s").increment(10);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_sequence",
        setup: "CREATE SEQUENCE s",
        run: Run::Sql(|pgm, _| {
            pgm.drop_sequence("s");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_sequence",
        setup: "CREATE SEQUENCE s",
        run: Run::Sql(|pgm, _| {
            pgm.rename_sequence("s", "s2");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_extension",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_extension(["citext"]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_extension",
        setup: "CREATE EXTENSION citext",
        run: Run::Sql(|pgm, _| {
            pgm.drop_extension(["citext"]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_domain",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_domain("d", "int");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "alter_domain",
        setup: "CREATE DOMAIN d AS int",
        run: Run::Sql(|pgm, _| {
            pgm.alter_domain("d").set_not_null();
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_domain",
        setup: "CREATE DOMAIN d AS int",
        run: Run::Sql(|pgm, _| {
            pgm.drop_domain("d");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_domain",
        setup: "CREATE DOMAIN d AS int",
        run: Run::Sql(|pgm, _| {
            pgm.rename_domain("d", "e");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_role",
        setup: "",
        run: Run::Sql(|pgm, r| {
            pgm.create_role(r.a.as_str());
        }),
        expect: Expect::FingerprintOnly(ROLES),
    },
    Sample {
        op: "alter_role",
        setup: "CREATE ROLE {a}",
        run: Run::Sql(|pgm, r| {
            pgm.alter_role(r.a.as_str()).login(true);
        }),
        expect: Expect::FingerprintOnly(ROLES),
    },
    Sample {
        op: "drop_role",
        setup: "CREATE ROLE {a}",
        run: Run::Sql(|pgm, r| {
            pgm.drop_role(r.a.as_str());
        }),
        expect: Expect::FingerprintOnly(ROLES),
    },
    Sample {
        op: "rename_role",
        setup: "CREATE ROLE {a}",
        run: Run::Sql(|pgm, r| {
            pgm.rename_role(r.a.as_str(), r.b.as_str());
        }),
        expect: Expect::FingerprintOnly(ROLES),
    },
    Sample {
        op: "grant_roles",
        setup: "CREATE ROLE {a}; CREATE ROLE {b}",
        run: Run::Sql(|pgm, r| {
            pgm.grant_roles([r.a.as_str()], [r.b.as_str()]);
        }),
        expect: Expect::FingerprintOnly(ROLES),
    },
    Sample {
        op: "revoke_roles",
        setup: "CREATE ROLE {a}; CREATE ROLE {b}; GRANT {a} TO {b}",
        run: Run::Sql(|pgm, r| {
            pgm.revoke_roles([r.a.as_str()], [r.b.as_str()]);
        }),
        expect: Expect::FingerprintOnly(ROLES),
    },
    Sample {
        op: "grant_on_schemas",
        setup: "CREATE SCHEMA app; CREATE ROLE {a}",
        run: Run::Sql(|pgm, r| {
            pgm.grant_on_schemas(["app"], [Privilege::Usage], [r.a.as_str()]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "revoke_on_schemas",
        setup: "CREATE SCHEMA app; CREATE ROLE {a}; GRANT USAGE ON SCHEMA app TO {a}",
        run: Run::Sql(|pgm, r| {
            pgm.revoke_on_schemas(["app"], [Privilege::Usage], [r.a.as_str()]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "grant_on_tables",
        setup: "CREATE TABLE t (id int); CREATE ROLE {a}",
        run: Run::Sql(|pgm, r| {
            pgm.grant_on_tables(["t"], [Privilege::Select], [r.a.as_str()]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "revoke_on_tables",
        setup: "CREATE TABLE t (id int); CREATE ROLE {a}; GRANT SELECT ON t TO {a}",
        run: Run::Sql(|pgm, r| {
            pgm.revoke_on_tables(["t"], [Privilege::Select], [r.a.as_str()]);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_cast",
        setup: CAST_TYPES,
        run: Run::Sql(|pgm, _| {
            pgm.create_cast("price", "cents", CastMethod::Inout);
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_cast",
        setup: "CREATE TYPE price AS (amount int); CREATE TYPE cents AS (amount int); \
                CREATE CAST (price AS cents) WITH INOUT",
        run: Run::Sql(|pgm, _| {
            pgm.drop_cast("price", "cents");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_operator",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_operator("===", "int4eq")
                .left("integer")
                .right("integer");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_operator",
        setup: "CREATE OPERATOR === (FUNCTION = int4eq, LEFTARG = integer, RIGHTARG = integer)",
        run: Run::Sql(|pgm, _| {
            pgm.drop_operator("===", Some("integer"), "integer");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_operator_family",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_operator_family("fam", "btree");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_operator_family",
        setup: FAMILY,
        run: Run::Sql(|pgm, _| {
            pgm.drop_operator_family("fam", "btree");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_operator_family",
        setup: FAMILY,
        run: Run::Sql(|pgm, _| {
            pgm.rename_operator_family("fam", "btree", "fam2");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "add_to_operator_family",
        setup: FAMILY,
        run: Run::Sql(|pgm, _| {
            pgm.add_to_operator_family(
                "fam",
                "btree",
                [OperatorMember::function(1, "btint48cmp", ["int4", "int8"])
                    .for_types("int4", "int8")],
            );
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "remove_from_operator_family",
        setup: "CREATE OPERATOR FAMILY fam USING btree; \
                ALTER OPERATOR FAMILY fam USING btree ADD FUNCTION 1 (int4, int8) btint48cmp(int4, int8)",
        run: Run::Sql(|pgm, _| {
            pgm.remove_from_operator_family(
                "fam",
                "btree",
                [OperatorMember::function(1, "btint48cmp", ["int4", "int8"])
                    .for_types("int4", "int8")],
            );
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "create_operator_class",
        setup: "",
        run: Run::Sql(|pgm, _| {
            pgm.create_operator_class(
                "cls",
                "int4",
                "hash",
                [
                    OperatorMember::operator(1, "="),
                    OperatorMember::function(1, "hashint4", ["int4"]),
                ],
            );
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "drop_operator_class",
        setup: CLASS,
        run: Run::Sql(|pgm, _| {
            pgm.drop_operator_class("cls", "hash");
        }),
        expect: Expect::Seen,
    },
    Sample {
        op: "rename_operator_class",
        setup: CLASS,
        run: Run::Sql(|pgm, _| {
            pgm.rename_operator_class("cls", "hash", "cls2");
        }),
        expect: Expect::Seen,
    },
];

const ROLES: &str =
    "roles and their memberships belong to the cluster, not to the database described";

#[test]
fn every_operation_has_a_sample() {
    let names: BTreeSet<&str> = Operation::NAMES.iter().copied().collect();
    let sampled: BTreeSet<&str> = SAMPLES.iter().map(|s| s.op).collect();
    assert_eq!(SAMPLES.len(), sampled.len(), "an operation has two samples");
    let missing: Vec<_> = names.difference(&sampled).collect();
    let unknown: Vec<_> = sampled.difference(&names).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "operations without a sample here: {missing:?}; samples of no operation: {unknown:?}. Add a sample \
         for each new operation (docs/contributing.md, \"Adding an operation or an object kind\")"
    );
}

/// The operations the sample records, its `since_pg` resolved, and for a derived `down` those of the
/// reverse: the sample must record the operation it stands for.
fn recorded(sample: &Sample, roles: &Roles, server_major: u32) -> Vec<&'static str> {
    let mut pgm = MigrationBuilder::new();
    match sample.run {
        Run::Sql(up) => up(&mut pgm, roles),
        Run::Engine(up) | Run::Refused(up) => up(&mut pgm),
        Run::EngineDown(up) => {
            up(&mut pgm);
            pgm = pgm.reversed().expect("the sample's derived down");
        }
    }
    let resolved = pgm
        .resolve_since_pg(server_major)
        .expect("the sample resolves");
    pgm.operations()
        .iter()
        .chain(resolved.operations())
        .map(Operation::name)
        .collect()
}

/// What both readers see of the case's database.
fn read(case: &Case) -> (String, String) {
    let description =
        migrate_core::schema::describe(&mut case.db.client(), &MigrationsTable::default())
            .expect("describe")
            .render();
    (description, catalog(&case.db))
}

/// Runs one sample on a fresh database; the problem with it, if any.
fn check(sample: &Sample) -> Option<String> {
    let case = Case::new("");
    let roles = Roles::new(&case);
    let op = sample.op;
    let names = recorded(sample, &roles, case.db.server_major());
    if !names.contains(&op) {
        return Some(format!("{op}: the sample records {names:?}, not {op}"));
    }
    if !sample.setup.is_empty() {
        case.db.exec(&roles.setup(sample.setup));
    }
    let (before, after) = match sample.run {
        Run::Sql(up) => {
            let mut pgm = MigrationBuilder::new();
            up(&mut pgm, &roles);
            let before = read(&case);
            case.run(&pgm, op);
            (before, read(&case))
        }
        Run::Engine(up) => {
            // The bookkeeping the engine creates is in neither reader's view of the schema only for the
            // description: prime it first so the fingerprint's "before" has it too.
            case.engine_prime();
            let before = read(&case);
            if let Err(e) = case.engine_up(up) {
                return Some(format!("{op}: the sample failed: {e}"));
            }
            (before, read(&case))
        }
        Run::EngineDown(up) => {
            if let Err(e) = case.engine_up(up) {
                return Some(format!("{op}: the sample's up failed: {e}"));
            }
            let before = read(&case);
            if let Err(e) = case.engine_down(up) {
                return Some(format!("{op}: the sample's derived down failed: {e}"));
            }
            (before, read(&case))
        }
        Run::Refused(up) => {
            let mut pgm = MigrationBuilder::new();
            up(&mut pgm);
            return match pgm.to_sql() {
                Ok(sql) => Some(format!(
                    "{op}: expected a refusal, the sample renders {sql:?}"
                )),
                Err(_) => None,
            };
        }
    };
    let description_changed = before.0 != after.0;
    let fingerprint_changed = before.1 != after.1;
    let problem = match sample.expect {
        Expect::Seen if !description_changed => "the schema description did not change".to_owned(),
        Expect::Seen if !fingerprint_changed => {
            "the harness's catalog fingerprint did not change".to_owned()
        }
        Expect::FingerprintOnly(why) if description_changed => {
            format!("the schema description changed, though {why}: mark the sample `Seen`")
        }
        Expect::FingerprintOnly(_) if !fingerprint_changed => {
            "the harness's catalog fingerprint did not change".to_owned()
        }
        Expect::NoObject(why) if description_changed => {
            format!("the schema changed, though {why}: mark the sample `Seen`")
        }
        _ => return None,
    };
    Some(format!(
        "{op}: {problem}\n--- description before ---\n{}\n--- after ---\n{}",
        before.0, after.0
    ))
}

#[test]
fn every_operation_changes_what_the_schema_description_and_the_fingerprint_read() {
    // Each sample has a database of its own; a few at a time keep the test short.
    let problems: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = SAMPLES
            .chunks(SAMPLES.len().div_ceil(4))
            .map(|chunk| scope.spawn(move || chunk.iter().filter_map(check).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a sample panicked"))
            .collect()
    });
    assert!(
        problems.is_empty(),
        "{} of {} samples:\n\n{}",
        problems.len(),
        SAMPLES.len(),
        problems.join("\n\n")
    );
}
