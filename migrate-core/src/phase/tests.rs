use migrate_dsl::prelude::*;

use super::*;

/// What the judgement finds in a migration made of `sqls`, one statement's description each.
fn stricter(sqls: &[&str]) -> Vec<String> {
    stricter_changes(sqls.iter().copied())
        .into_iter()
        .map(|s| s.what)
        .collect()
}

/// What it finds in the `up` recorded by `up`, by operation position.
fn stricter_ops(up: impl FnOnce(&mut MigrationBuilder)) -> Vec<(usize, String)> {
    let mut pgm = MigrationBuilder::new();
    up(&mut pgm);
    let statements = pgm.statements().expect("renders");
    let sql: Vec<&Statement> = statements.iter().filter(|s| s.action.is_none()).collect();
    stricter_changes(sql.iter().map(|s| s.sql.as_str()))
        .into_iter()
        .map(|s| (sql[s.input].position, s.what))
        .collect()
}

#[test]
fn what_the_running_release_may_still_write_is_refused() {
    for (sql, what) in [
        ("ALTER TABLE orders ALTER COLUMN note SET NOT NULL", "SET NOT NULL on orders.note"),
        ("alter table public.orders alter note set not null", "SET NOT NULL on orders.note"),
        ("ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0)", "a new CHECK on orders"),
        // NOT VALID spares the rows already there, not the writes to come.
        ("ALTER TABLE orders ADD CHECK (total > 0) NOT VALID", "a new CHECK on orders"),
        (
            r#"ALTER TABLE "orders" ADD CONSTRAINT "fk" FOREIGN KEY ("warehouse_id") REFERENCES "warehouses" ("id") NOT VALID"#,
            "a new foreign key on orders (warehouse_id)",
        ),
        ("ALTER TABLE orders ADD UNIQUE (email)", "a new UNIQUE on orders (email)"),
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY orders (lower(email))", "a unique index on orders"),
        ("CREATE UNIQUE INDEX i ON orders USING btree (email DESC)", "a unique index on orders (email)"),
        ("ALTER TABLE orders ADD PRIMARY KEY USING INDEX orders_pkey_index", "a new primary key on orders"),
        ("ALTER TABLE orders ADD EXCLUDE USING gist (during WITH &&)", "a new exclusion constraint on orders"),
        ("ALTER TABLE orders ALTER COLUMN total TYPE bigint", "a type change of orders.total"),
        ("ALTER TABLE orders ALTER total SET DATA TYPE numeric(12,2) USING total::numeric", "a type change of orders.total"),
        ("ALTER TABLE orders ALTER COLUMN status DROP DEFAULT", "DROP DEFAULT on orders.status"),
        ("ALTER TABLE orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY", "an identity GENERATED ALWAYS on orders.id"),
        ("ALTER TABLE orders ALTER COLUMN id SET GENERATED ALWAYS", "an identity GENERATED ALWAYS on orders.id"),
        ("ALTER TABLE orders ADD COLUMN placed_at timestamptz NOT NULL", "a new column orders.placed_at NOT NULL without a default (inserts that leave it out fail)"),
        (r#"ALTER TYPE "mood" RENAME VALUE 'ok' TO 'fine'"#, "RENAME VALUE of enum mood"),
        ("ALTER DOMAIN positive ADD CONSTRAINT above_zero CHECK (VALUE > 0) NOT VALID", "a new constraint on domain positive"),
        ("ALTER DOMAIN code SET NOT NULL", "SET NOT NULL on domain code"),
    ] {
        assert_eq!(stricter(&[sql]), [what], "{sql}");
    }
}

#[test]
fn what_the_running_release_does_not_meet_passes() {
    for sql in [
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text NOT NULL CHECK (note <> ''))",
        "ALTER TABLE orders ADD COLUMN note text",
        "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new'",
        "ALTER TABLE orders ADD COLUMN id2 bigserial",
        "ALTER TABLE orders ALTER COLUMN note DROP NOT NULL",
        "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new'",
        // The ADD ... NOT VALID refused the writes already; validating only reads the rows.
        "ALTER TABLE orders VALIDATE CONSTRAINT positive",
        "ALTER TABLE orders DROP CONSTRAINT positive",
        "ALTER TABLE orders ADD CONSTRAINT email_key UNIQUE USING INDEX email_index",
        "CREATE INDEX CONCURRENTLY i ON orders (email)",
        r#"ALTER TYPE "mood" ADD VALUE 'ecstatic' AFTER 'happy'"#,
        "ALTER DOMAIN positive VALIDATE CONSTRAINT above_zero",
        "UPDATE orders SET note = '' WHERE id < 100",
        // A body is not read: the words in strings and dollar quotes are not statements.
        "DO $$ BEGIN ALTER TABLE orders ALTER COLUMN note SET NOT NULL; END $$",
        "COMMENT ON COLUMN orders.note IS 'ALTER TABLE orders ALTER note SET NOT NULL'",
    ] {
        assert_eq!(stricter(&[sql]), Vec::<String>::new(), "{sql}");
    }
}

#[test]
fn a_table_or_empty_column_of_the_same_migration_is_exempt() {
    // Nothing of the running release uses a table that did not exist.
    assert!(stricter(&[
        "CREATE TABLE IF NOT EXISTS s.orders (id bigint, note text)",
        "ALTER TABLE orders ALTER COLUMN note SET NOT NULL",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES other (id)",
        "CREATE UNIQUE INDEX ON orders (note)",
        "CREATE DOMAIN positive AS integer",
        "ALTER DOMAIN positive ADD CONSTRAINT above_zero CHECK (VALUE > 0)",
        "CREATE TYPE mood AS ENUM ('ok')",
        "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'",
    ])
    .is_empty());
    // The running release leaves a column it does not know NULL, which these let pass.
    assert!(stricter(&[
        "ALTER TABLE orders ADD COLUMN warehouse_id bigint, ADD COLUMN code text",
        "ALTER TABLE orders ADD FOREIGN KEY (warehouse_id) REFERENCES warehouses (id) NOT VALID",
        "ALTER TABLE orders ADD CONSTRAINT code_form CHECK (length(code) = 8 AND code ~ '^[A-Z]')",
        // NULL compared with anything is NULL: the check passes whatever the older column holds.
        "ALTER TABLE orders ADD CHECK (code >= note)",
        "CREATE UNIQUE INDEX orders_code ON orders (code)",
        "ALTER TABLE orders ALTER COLUMN code TYPE varchar(8)",
    ])
    .is_empty());
    // But not when the constraint refuses that NULL, reads an older column, or the column has a default.
    assert_eq!(
        stricter(&[
            "ALTER TABLE orders ADD COLUMN code text, ADD COLUMN kind text DEFAULT 'a'",
            "ALTER TABLE orders ADD CHECK (code IS NOT NULL)",
            "ALTER TABLE orders ADD CHECK (length(code) = 8 AND note <> '')",
            "ALTER TABLE orders ADD CHECK (code <> note OR note IS NULL)",
            "ALTER TABLE orders ADD UNIQUE (kind)",
            "ALTER TABLE orders ADD UNIQUE NULLS NOT DISTINCT (code)",
            "ALTER TABLE orders ALTER COLUMN code SET NOT NULL",
        ]),
        [
            "a new CHECK on orders",
            "a new CHECK on orders",
            "a new CHECK on orders",
            "a new UNIQUE on orders (kind)",
            "a new UNIQUE on orders (code)",
            "SET NOT NULL on orders.code",
        ]
    );
}

#[test]
fn typed_operations_are_judged_by_what_they_render() {
    assert_eq!(
        stricter_ops(|pgm| {
            pgm.set_not_null("orders", "note");
        }),
        [
            (1, "a new CHECK on orders".to_owned()),
            (1, "SET NOT NULL on orders.note".to_owned())
        ]
    );
    assert_eq!(
        stricter_ops(|pgm| {
            pgm.add_columns("orders", [column("code", "text")]);
            pgm.alter_column("orders", "total").set_type("bigint");
            pgm.add_constraint_online("orders", None, Constraint::check("total > 0"));
            pgm.add_constraint_online("orders", None, Constraint::unique(["code"]));
            pgm.rename_type_value("mood", "ok", "fine");
        }),
        [
            (2, "a type change of orders.total".to_owned()),
            (3, "a new CHECK on orders".to_owned()),
            (5, "RENAME VALUE of enum mood".to_owned()),
        ]
    );
    // The expand of an online change adds a column the running release does not know.
    assert!(stricter_ops(|pgm| {
        pgm.rename_column_online("orders", "note", "remark");
        pgm.change_column_type_online("orders", "total", "total_cents", "bigint")
            .using("total * 100")
            .back("total_cents / 100.0");
    })
    .is_empty());
}

#[test]
fn a_stricter_change_makes_an_unmarked_migration_a_contract_unless_its_file_accepts_it() {
    let mut pgm = MigrationBuilder::new();
    pgm.add_columns("orders", [column("note", "text")]);
    pgm.set_not_null("orders", "total");
    let statements = pgm.statements().expect("renders");
    assert_eq!(
        unmarked_contract(&statements, "").as_deref(),
        Some(
            "a new CHECK on orders (and 1 more): the database refuses what the app version still running \
             may write (not marked `pgm.contract(..)`; see lint's stricter-change-in-expand)"
        )
    );
    let accepted =
        "// lint: allow ban-drop-table, stricter-change-in-expand -- every release writes total\n";
    assert_eq!(
        accepted_in_expand(accepted).as_deref(),
        Some("every release writes total")
    );
    assert_eq!(unmarked_contract(&statements, accepted), None);
    // Without a reason it accepts nothing (lint refuses the comment).
    assert_eq!(
        accepted_in_expand("// lint: allow stricter-change-in-expand"),
        None
    );
    assert_eq!(
        accepted_in_expand("// lint: allow stricter-change-in-expand-x -- no"),
        None
    );
}
