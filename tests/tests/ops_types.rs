//! Types (enum and composite), schemas, sequences, extensions and domains: every operation's SQL (forward and
//! reverse) pinned with insta, and run on a real database; reversible ones must restore the catalog exactly.

use migrate_dsl::prelude::*;
use tests::roundtrip::Case;

const MOOD: &str = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')";
const ADDRESS: &str = "CREATE TYPE address AS (street text, zip varchar(10))";

// ---------------------------------------------------------------------------------------------------------
// Types

#[test]
fn create_enum_type_round_trip() {
    let case = Case::new("CREATE SCHEMA app");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_type(("app", r#"My "Mood""#), ["sad", "it's ok", r"back\slash"])
            .comment("how a user feels")
            .drop_cascade();
    }));
}

#[test]
fn create_composite_type_round_trip() {
    let case = Case::new("");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_type(
            "money_amount",
            [("amount", "numeric(12, 2)"), ("Currency", "char(3)")],
        )
        .comment("an amount in a currency");
    }));
}

#[test]
fn rename_type_round_trip() {
    let case = Case::new(MOOD);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_type("mood", "feeling");
    }));
}

#[test]
fn type_attributes_round_trip() {
    let case = Case::new(ADDRESS);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.add_type_attribute("address", "country", "char(2)");
        pgm.rename_type_attribute("address", "zip", "postal_code");
    }));
}

#[test]
fn rename_type_value_round_trip() {
    let case = Case::new(MOOD);
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_type_value("mood", "ok", "it's fine");
    }));
}

#[test]
fn add_type_value_is_forward_only() {
    let case = Case::new(MOOD);
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.add_type_value("mood", "meh").before("ok");
        pgm.add_type_value("mood", "ecstatic").after("happy");
        pgm.add_type_value("mood", "sad").if_not_exists();
    }));
    let labels = case.db.client().query_one(
        "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum \
         WHERE enumtypid = 'mood'::regtype",
        &[],
    );
    let labels: String = labels.expect("labels").get(0);
    assert_eq!(labels, "sad,meh,ok,happy,ecstatic");
}

/// What the rustdoc of `add_type_value` promises: the statement runs inside a transaction, but the new label
/// cannot be used before that transaction commits.
#[test]
fn add_type_value_runs_in_a_transaction_but_the_label_waits_for_commit() {
    let case = Case::new(MOOD);
    let mut pgm = MigrationBuilder::new();
    pgm.add_type_value("mood", "meh");
    assert!(pgm.is_transactional());
    let sql = pgm.to_sql().expect("renders");
    let mut client = case.db.client();
    let mut tx = client.transaction().expect("begin");
    tx.batch_execute(&sql[0])
        .expect("ADD VALUE inside a transaction");
    let err = tx
        .batch_execute("SELECT 'meh'::mood")
        .expect_err("the new label is unusable before commit");
    let message = err.as_db_error().map(|e| e.message().to_owned());
    assert_eq!(
        message.as_deref(),
        Some(r#"unsafe use of new value "meh" of enum type mood"#)
    );
}

#[test]
fn drop_type_and_attribute_changes_are_forward_only() {
    let case = Case::new(&format!("{MOOD}; {ADDRESS}"));
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.set_type_attribute("address", "zip", "text");
        pgm.drop_type_attribute("address", "street");
        pgm.drop_type_attribute("address", "street").if_exists();
        pgm.drop_type("mood").if_exists().cascade();
    }));
}

#[test]
fn type_options_refused_before_reaching_the_server() {
    let error = |f: fn(&mut MigrationBuilder)| {
        let mut pgm = MigrationBuilder::new();
        f(&mut pgm);
        pgm.to_sql().expect_err("refused").to_string()
    };
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.add_type_value("mood", "meh").before("ok").after("sad");
        }),
        @"operation #1 (add_type_value): a new enum label goes either `before` or `after` an existing one, not both"
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_type("mood", ["sad", "sad"]);
        }),
        @r#"operation #1 (create_type): enum label "sad" is given twice"#
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_type("mood", [""]);
        }),
        @"operation #1 (create_type): an enum label cannot be empty"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Schemas

#[test]
fn create_schema_round_trip() {
    let case = Case::new("");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        // A predefined role (on every supported major), so the owner differs from the migrating user without
        // creating a role that would outlive the test database.
        pgm.create_schema("App Data")
            .authorization("pg_monitor")
            .comment("application data")
            .drop_cascade();
    }));
}

#[test]
fn rename_schema_round_trip() {
    let case = Case::new("CREATE SCHEMA app; CREATE TABLE app.posts (id int)");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_schema("app", "core");
    }));
}

#[test]
fn drop_schema_is_forward_only() {
    let case = Case::new("CREATE SCHEMA legacy; CREATE TABLE legacy.posts (id int)");
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_schema("legacy").if_exists().cascade();
    }));
}

// ---------------------------------------------------------------------------------------------------------
// Sequences

#[test]
fn create_sequence_round_trip_with_every_option() {
    let case = Case::new("CREATE SCHEMA app; CREATE TABLE app.orders (number integer)");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_sequence(("app", "order_no"))
            .data_type("integer")
            .increment(2)
            .minvalue(0)
            .maxvalue(1_000_000)
            .start(0)
            .cache(5)
            .cycle()
            .owned_by(("app", "orders"), "number")
            .comment("order numbers")
            .drop_cascade();
    }));
}

#[test]
fn create_descending_sequence_round_trip() {
    let case = Case::new("");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_sequence("countdown")
            .data_type("bigint")
            .increment(-1)
            .no_minvalue()
            .no_maxvalue()
            .no_cycle();
    }));
}

/// node-pg-migrate tests `minvalue` and `start` for truthiness, so `createSequence('s', {minvalue: 0, start: 0})`
/// renders a bare `CREATE SEQUENCE "s"` (reference §6): the sequence silently starts at 1.
#[test]
fn create_sequence_keeps_zero_minvalue_and_start() {
    let case = Case::new("");
    let mut pgm = MigrationBuilder::new();
    pgm.create_sequence("s").minvalue(0).start(0);
    insta::assert_snapshot!(case.run(&pgm, "up"), @r#"CREATE SEQUENCE "s" MINVALUE 0 START WITH 0;"#);
    let row = case
        .db
        .client()
        .query_one(
            "SELECT seqmin, seqstart, nextval('s') FROM pg_sequence WHERE seqrelid = 's'::regclass",
            &[],
        )
        .expect("sequence row");
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2)
        ),
        (0, 0, 0)
    );
}

#[test]
fn create_temporary_sequence_runs() {
    let case = Case::new("");
    let mut pgm = MigrationBuilder::new();
    pgm.create_sequence("scratch").temporary().start(10);
    // A temporary sequence goes away with the session, so there is nothing left for a `down` to check.
    insta::assert_snapshot!(case.run(&pgm, "up"), @r#"CREATE TEMPORARY SEQUENCE "scratch" START WITH 10;"#);
    assert_eq!(
        pgm.reversed().expect("reverse").to_sql().expect("renders"),
        [r#"DROP SEQUENCE "scratch""#]
    );
}

#[test]
fn rename_sequence_round_trip() {
    let case = Case::new("CREATE SCHEMA app; CREATE SEQUENCE app.order_no");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_sequence(("app", "order_no"), "order_number");
    }));
}

#[test]
fn alter_and_drop_sequence_are_forward_only() {
    let case = Case::new(
        "CREATE TABLE orders (number bigint); CREATE SEQUENCE order_no OWNED BY orders.number; \
         CREATE SEQUENCE legacy_no",
    );
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.alter_sequence("order_no")
            .data_type("bigint")
            .increment(10)
            .minvalue(0)
            .maxvalue(500)
            .start(0)
            .restart_with(0)
            .cache(2)
            .no_cycle()
            .owned_by_none();
        pgm.alter_sequence("order_no")
            .no_minvalue()
            .no_maxvalue()
            .cycle()
            .start(1)
            .restart()
            .owned_by("orders", "number");
        pgm.drop_sequence("legacy_no").if_exists().cascade();
    }));
}

#[test]
fn sequence_options_refused_before_reaching_the_server() {
    let error = |f: fn(&mut MigrationBuilder)| {
        let mut pgm = MigrationBuilder::new();
        f(&mut pgm);
        pgm.to_sql().expect_err("refused").to_string()
    };
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_sequence("s").increment(0);
        }),
        @"operation #1 (create_sequence): a sequence cannot increment by 0"
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_sequence("s").minvalue(10).maxvalue(10);
        }),
        @"operation #1 (create_sequence): MINVALUE (10) must be less than MAXVALUE (10)"
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.alter_sequence("s").maxvalue(10).restart_with(11);
        }),
        @"operation #1 (alter_sequence): RESTART value (11) is above MAXVALUE (10)"
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_sequence("s").cache(0);
        }),
        @"operation #1 (create_sequence): CACHE (0) must be at least 1"
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_sequence("s").data_type("numeric");
        }),
        @r#"operation #1 (create_sequence): a sequence's type is smallint, integer or bigint, not "numeric""#
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_sequence(("app", "s")).owned_by(("other", "t"), "id");
        }),
        @r#"operation #1 (create_sequence): a sequence must be in the schema of the table that owns it ("other", not "app")"#
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.alter_sequence("s");
        }),
        @"operation #1 (alter_sequence): nothing to alter; chain `increment`, `minvalue`, `restart`, ..."
    );
}

// ---------------------------------------------------------------------------------------------------------
// Extensions (contrib extensions shipped with PostgreSQL; trusted, so no superuser is strictly needed)

#[test]
fn create_extensions_round_trip() {
    let case = Case::new("CREATE SCHEMA ext");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_extension(["citext", "uuid-ossp"])
            .schema("ext")
            .drop_cascade();
    }));
}

#[test]
fn create_extension_with_comment_round_trip() {
    let case = Case::new("");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_extension(["hstore"])
            .comment("key/value pairs in one column");
    }));
}

#[test]
fn drop_extension_is_forward_only() {
    let case = Case::new(
        "CREATE EXTENSION citext; CREATE EXTENSION hstore; CREATE TABLE users (email citext)",
    );
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.drop_extension(["citext", "hstore"])
            .if_exists()
            .cascade();
    }));
}

// ---------------------------------------------------------------------------------------------------------
// Domains

#[test]
fn create_domain_round_trip_with_every_option() {
    let case = Case::new("CREATE SCHEMA app");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.create_domain(("app", "Code"), "varchar(20)")
            .collation("C")
            .default("it's new")
            .not_null()
            .check("VALUE <> ''")
            .constraint_name("code_not_empty")
            .comment("a short code")
            .drop_cascade();
        pgm.create_domain("created_at", "timestamptz")
            .default(expr("now()"))
            .check("VALUE > '2000-01-01'");
    }));
}

#[test]
fn rename_domain_round_trip() {
    let case = Case::new("CREATE DOMAIN email AS text");
    insta::assert_snapshot!(case.round_trip(|pgm| {
        pgm.rename_domain("email", "email_address");
    }));
}

#[test]
fn alter_and_drop_domain_are_forward_only() {
    let case = Case::new(
        "CREATE DOMAIN quantity AS integer DEFAULT 1 NOT NULL; CREATE DOMAIN legacy AS text; \
         CREATE TABLE items (q quantity, l legacy)",
    );
    insta::assert_snapshot!(case.forward_only(|pgm| {
        pgm.alter_domain("quantity")
            .drop_default()
            .drop_not_null()
            .add_check("VALUE < 1000")
            .constraint_name("quantity_small")
            .not_valid();
        pgm.alter_domain("quantity")
            .set_default(0)
            .set_not_null()
            .add_check("VALUE >= 0");
        pgm.drop_domain("legacy").if_exists().cascade();
    }));
}

#[test]
fn domain_options_refused_before_reaching_the_server() {
    let error = |f: fn(&mut MigrationBuilder)| {
        let mut pgm = MigrationBuilder::new();
        f(&mut pgm);
        pgm.to_sql().expect_err("refused").to_string()
    };
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.create_domain("d", "int").constraint_name("c");
        }),
        @"operation #1 (create_domain): `constraint_name` names the domain's check; give the check with `check`"
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.alter_domain("d").set_not_null().not_valid();
        }),
        @"operation #1 (alter_domain): `not_valid` applies to an added check; give the check with `add_check`"
    );
    insta::assert_snapshot!(
        error(|pgm| {
            pgm.alter_domain("d");
        }),
        @"operation #1 (alter_domain): nothing to alter; chain `set_default`, `set_not_null`, `add_check`, ..."
    );
}
