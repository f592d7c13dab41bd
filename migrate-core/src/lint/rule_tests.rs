//! One test per rule, on inline SQL: the statements that break it (`lint_errors`) and the safe way to get the
//! same result, which does not (`lint_ok`). Each migration is the list of its operations' SQL, checked as
//! `lint` checks a rendered migration: in a transaction, for PostgreSQL 15, unless the test says otherwise.
//! `every_rule_has_its_test` keeps the list complete.

use std::time::Duration;

use migrate_dsl::MigrationBuilder;

use super::check::lint;
use super::inputs::LintOptions;
use super::rules::Rule;
use super::sql::{check, Input};
use crate::migration::{Definition, Migration};

/// How a migration runs, for the rules that depend on it.
#[derive(Clone, Copy)]
struct Run {
    pg: u32,
    transactional: bool,
}

const IN_TRANSACTION: Run = Run {
    pg: 15,
    transactional: true,
};

const OUTSIDE_TRANSACTION: Run = Run {
    pg: 15,
    transactional: false,
};

/// The rules broken by a migration made of `sqls` (one operation each).
fn rules_broken(sqls: &[&str], run: Run) -> Vec<Rule> {
    let inputs: Vec<Input<'_>> = sqls
        .iter()
        .enumerate()
        .map(|(i, sql)| Input {
            position: i + 1,
            op: "sql",
            sql,
            line: None,
            new_transaction: false,
        })
        .collect();
    let (hits, failures) = check(&inputs, run.pg, run.transactional);
    assert!(
        failures.is_empty(),
        "the test's SQL must parse: {failures:?}"
    );
    hits.into_iter().map(|h| h.rule).collect()
}

/// `sqls` break `rule`.
fn lint_errors(rule: Rule, sqls: &[&str], run: Run) {
    let broken = rules_broken(sqls, run);
    assert!(
        broken.contains(&rule),
        "expected {} for {sqls:?}, got {:?}",
        rule.name(),
        broken.iter().map(|r| r.name()).collect::<Vec<_>>()
    );
}

/// `sqls` do not break `rule`.
fn lint_ok(rule: Rule, sqls: &[&str], run: Run) {
    let broken = rules_broken(sqls, run);
    assert!(
        !broken.contains(&rule),
        "expected no {} for {sqls:?}",
        rule.name()
    );
}

/// The rules `lint` finds in the `up` of a migration recorded by `up`.
fn migration_rules(up: fn(&mut MigrationBuilder)) -> Vec<Rule> {
    let migrations = [Migration::defined(Box::leak(Box::new(Definition {
        name: "20260101000001_m",
        path: "/migrations/20260101000001_m.rs",
        source: "",
        up,
        down: None,
    })))];
    let report = lint(&migrations, &[], &LintOptions::default()).expect("lint runs");
    report.migrations[0]
        .findings
        .iter()
        .map(|f| f.rule)
        .collect()
}

/// The migration recorded by `up` breaks `rule`.
fn lint_migration_errors(rule: Rule, up: fn(&mut MigrationBuilder)) {
    assert!(
        migration_rules(up).contains(&rule),
        "expected {}",
        rule.name()
    );
}

/// The migration recorded by `up` does not break `rule`.
fn lint_migration_ok(rule: Rule, up: fn(&mut MigrationBuilder)) {
    assert!(
        !migration_rules(up).contains(&rule),
        "expected no {}",
        rule.name()
    );
}

#[test]
fn every_rule_has_its_test() {
    let source: String = include_str!("rule_tests.rs")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for rule in Rule::ALL {
        let tested = ["lint_errors", "lint_migration_errors"]
            .iter()
            .any(|helper| source.contains(&format!("{helper}(Rule::{rule:?},")));
        assert!(
            tested,
            "no lint_errors(Rule::{rule:?}, ..) test for {}",
            rule.name()
        );
    }
}

#[test]
fn require_index_per_partition() {
    fn concurrent_on_partitioned(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.sql("CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at)");
        pgm.sql("CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at ON events (at)");
    }
    lint_migration_errors(Rule::RequireIndexPerPartition, concurrent_on_partitioned);
    fn per_partition(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at)");
        pgm.create_index("events", ["at"])
            .concurrently_per_partition();
    }
    lint_migration_ok(Rule::RequireIndexPerPartition, per_partition);
    lint_migration_ok(Rule::RequireConcurrentIndexCreation, per_partition);
}

#[test]
fn require_concurrent_index_creation() {
    let rule = Rule::RequireConcurrentIndexCreation;
    lint_errors(
        Rule::RequireConcurrentIndexCreation,
        &["CREATE INDEX i ON t (a)"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["CREATE INDEX CONCURRENTLY i ON t (a)"],
        OUTSIDE_TRANSACTION,
    );
    // A table created in the same migration is empty and unused.
    lint_ok(
        rule,
        &["CREATE TABLE t (a int)", "CREATE INDEX i ON t (a)"],
        IN_TRANSACTION,
    );
}

#[test]
fn require_concurrent_index_deletion() {
    let rule = Rule::RequireConcurrentIndexDeletion;
    lint_errors(
        Rule::RequireConcurrentIndexDeletion,
        &["DROP INDEX i"],
        IN_TRANSACTION,
    );
    lint_ok(rule, &["DROP INDEX CONCURRENTLY i"], OUTSIDE_TRANSACTION);
}

#[test]
fn constraint_missing_not_valid() {
    let rule = Rule::ConstraintMissingNotValid;
    lint_errors(
        Rule::ConstraintMissingNotValid,
        &["ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID"],
        IN_TRANSACTION,
    );
    // Validating in the transaction that added it keeps the lock of the ADD during the scan.
    lint_errors(
        rule,
        &[
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID",
            "ALTER TABLE t VALIDATE CONSTRAINT c",
        ],
        IN_TRANSACTION,
    );
    // Lint follows the transactions the engine really uses. The builder's
    // `validate_constraint` runs in a transaction of its own, so the cookbook's recipes pass: the two steps
    // in one migration, and `set_not_null`, which does both and then SET NOT NULL.
    lint_migration_ok(rule, |pgm| {
        pgm.add_constraint("t", "c", migrate_dsl::Constraint::check("a > 0"))
            .not_valid();
        pgm.validate_constraint("t", "c");
    });
    lint_migration_ok(rule, |pgm| {
        pgm.set_not_null("t", "a");
    });
    lint_migration_ok(rule, |pgm| {
        pgm.add_constraint(
            "comments",
            "comments_author_id_fkey",
            migrate_dsl::Constraint::foreign_key(["author_id"], "users", ["id"]),
        )
        .not_valid();
        pgm.validate_constraint("comments", "comments_author_id_fkey");
    });
    // Raw SQL in one `pgm.sql` shares the transaction: still flagged.
    lint_migration_errors(rule, |pgm| {
        pgm.sql("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID");
        pgm.sql("ALTER TABLE t VALIDATE CONSTRAINT c");
    });
}

#[test]
fn adding_foreign_key_constraint() {
    let rule = Rule::AddingForeignKeyConstraint;
    lint_errors(
        Rule::AddingForeignKeyConstraint,
        &["ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u NOT VALID"],
        IN_TRANSACTION,
    );
}

#[test]
fn adding_not_nullable_field() {
    let rule = Rule::AddingNotNullableField;
    lint_errors(
        Rule::AddingNotNullableField,
        &["ALTER TABLE t ALTER COLUMN a SET NOT NULL"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ALTER COLUMN a DROP NOT NULL"],
        IN_TRANSACTION,
    );
}

#[test]
fn changing_column_type() {
    let rule = Rule::ChangingColumnType;
    lint_errors(
        Rule::ChangingColumnType,
        &["ALTER TABLE t ALTER COLUMN a TYPE bigint"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ADD COLUMN a_new bigint"],
        IN_TRANSACTION,
    );
}

#[test]
fn adding_field_with_default() {
    let rule = Rule::AddingFieldWithDefault;
    lint_errors(
        Rule::AddingFieldWithDefault,
        &["ALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid()"],
        IN_TRANSACTION,
    );
    // A constant default is stored once, without a rewrite (PostgreSQL 11 and later).
    lint_ok(
        rule,
        &["ALTER TABLE t ADD COLUMN a integer DEFAULT 0"],
        IN_TRANSACTION,
    );
}

#[test]
fn adding_required_field() {
    let rule = Rule::AddingRequiredField;
    lint_errors(
        Rule::AddingRequiredField,
        &["ALTER TABLE t ADD COLUMN a integer NOT NULL"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ADD COLUMN a integer NOT NULL DEFAULT 0"],
        IN_TRANSACTION,
    );
}

#[test]
fn renaming_column() {
    let rule = Rule::RenamingColumn;
    lint_errors(
        Rule::RenamingColumn,
        &["ALTER TABLE t RENAME COLUMN a TO b"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ADD COLUMN b integer"],
        IN_TRANSACTION,
    );
}

#[test]
fn renaming_table() {
    let rule = Rule::RenamingTable;
    lint_errors(
        Rule::RenamingTable,
        &["ALTER TABLE t RENAME TO u"],
        IN_TRANSACTION,
    );
    lint_ok(rule, &["CREATE TABLE u (a int)"], IN_TRANSACTION);
}

#[test]
fn ban_drop_column() {
    let rule = Rule::BanDropColumn;
    lint_errors(
        Rule::BanDropColumn,
        &["ALTER TABLE t DROP COLUMN a"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ALTER COLUMN a DROP NOT NULL"],
        IN_TRANSACTION,
    );
}

#[test]
fn ban_drop_table() {
    let rule = Rule::BanDropTable;
    lint_errors(Rule::BanDropTable, &["DROP TABLE t"], IN_TRANSACTION);
    lint_ok(
        rule,
        &["ALTER TABLE t RENAME COLUMN a TO a"],
        IN_TRANSACTION,
    );
}

#[test]
fn ban_drop_type() {
    let rule = Rule::BanDropType;
    lint_errors(Rule::BanDropType, &["DROP TYPE mood"], IN_TRANSACTION);
    lint_ok(
        rule,
        &["CREATE TYPE mood AS ENUM ('sad', 'ok')"],
        IN_TRANSACTION,
    );
}

#[test]
fn ban_drop_function() {
    let rule = Rule::BanDropFunction;
    lint_errors(
        Rule::BanDropFunction,
        &["DROP FUNCTION f(integer)"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a'"],
        IN_TRANSACTION,
    );
}

#[test]
fn disallowed_unique_constraint() {
    let rule = Rule::DisallowedUniqueConstraint;
    lint_errors(
        Rule::DisallowedUniqueConstraint,
        &["ALTER TABLE t ADD CONSTRAINT k UNIQUE (a)"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ADD CONSTRAINT k UNIQUE USING INDEX k_index"],
        IN_TRANSACTION,
    );
}

#[test]
fn adding_serial_primary_key_field() {
    let rule = Rule::AddingSerialPrimaryKeyField;
    lint_errors(
        Rule::AddingSerialPrimaryKeyField,
        &["ALTER TABLE t ADD PRIMARY KEY (id)"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_index"],
        IN_TRANSACTION,
    );
}

#[test]
fn prefer_jsonb() {
    let rule = Rule::PreferJsonb;
    lint_errors(
        Rule::PreferJsonb,
        &["ALTER TABLE t ADD COLUMN a json"],
        IN_TRANSACTION,
    );
    lint_ok(rule, &["ALTER TABLE t ADD COLUMN a jsonb"], IN_TRANSACTION);
}

#[test]
fn adding_serial_field() {
    let rule = Rule::AddingSerialField;
    lint_errors(
        Rule::AddingSerialField,
        &["ALTER TABLE t ADD COLUMN n bigserial"],
        IN_TRANSACTION,
    );
    lint_errors(
        rule,
        &["ALTER TABLE t ADD COLUMN n bigint GENERATED BY DEFAULT AS IDENTITY"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["CREATE TABLE t (id bigserial PRIMARY KEY)"],
        IN_TRANSACTION,
    );
    lint_ok(rule, &["ALTER TABLE t ADD COLUMN n bigint"], IN_TRANSACTION);
}

#[test]
fn ban_timeout_in_sql() {
    let rule = Rule::BanTimeoutInSql;
    lint_errors(
        Rule::BanTimeoutInSql,
        &["SET LOCAL lock_timeout = '10s'"],
        IN_TRANSACTION,
    );
    lint_errors(rule, &["SET statement_timeout TO 0"], IN_TRANSACTION);
    lint_ok(rule, &["SET LOCAL search_path = app"], IN_TRANSACTION);
}

#[test]
fn lock_timeout_too_long() {
    fn thirty_seconds(pgm: &mut MigrationBuilder) {
        pgm.lock_timeout(Duration::from_secs(30));
        pgm.sql("ALTER TABLE t ADD COLUMN a integer");
    }
    fn two_seconds(pgm: &mut MigrationBuilder) {
        pgm.lock_timeout(Duration::from_secs(2));
        pgm.sql("ALTER TABLE t ADD COLUMN a integer");
    }
    lint_migration_errors(Rule::LockTimeoutTooLong, thirty_seconds);
    lint_migration_ok(Rule::LockTimeoutTooLong, two_seconds);
}

#[test]
fn require_where_clause() {
    let rule = Rule::RequireWhereClause;
    lint_errors(
        Rule::RequireWhereClause,
        &["UPDATE t SET a = 1"],
        IN_TRANSACTION,
    );
    lint_errors(rule, &["DELETE FROM t"], IN_TRANSACTION);
    lint_ok(
        rule,
        &["UPDATE t SET a = 1 WHERE a IS NULL"],
        IN_TRANSACTION,
    );
}

#[test]
fn whole_table_update() {
    let rule = Rule::WholeTableUpdate;
    lint_errors(
        Rule::WholeTableUpdate,
        &[r#"UPDATE "comments" SET "contents" = "body" WHERE "body" IS NOT NULL"#],
        IN_TRANSACTION,
    );
    lint_errors(
        rule,
        &["DELETE FROM t WHERE a IS DISTINCT FROM b"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &["UPDATE t SET a = b WHERE id BETWEEN 1 AND 1000"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &[
            "CREATE TABLE t (a int, b int)",
            "UPDATE t SET a = b WHERE a IS NULL",
        ],
        IN_TRANSACTION,
    );
}

#[test]
fn ban_transaction_control() {
    let rule = Rule::BanTransactionControl;
    lint_errors(Rule::BanTransactionControl, &["COMMIT"], IN_TRANSACTION);
    lint_errors(rule, &["BEGIN; SELECT 1; ROLLBACK"], IN_TRANSACTION);
    lint_ok(rule, &["SELECT 1"], IN_TRANSACTION);
}

#[test]
fn nulls_not_distinct_needs_pg15() {
    let rule = Rule::NullsNotDistinctNeedsPg15;
    let sql = ["CREATE UNIQUE INDEX CONCURRENTLY i ON t (a) NULLS NOT DISTINCT"];
    let pg14 = Run {
        pg: 14,
        transactional: false,
    };
    lint_errors(Rule::NullsNotDistinctNeedsPg15, &sql, pg14);
    lint_ok(rule, &sql, OUTSIDE_TRANSACTION);
}

#[test]
fn adding_field_with_check() {
    let rule = Rule::AddingFieldWithCheck;
    lint_errors(
        Rule::AddingFieldWithCheck,
        &["ALTER TABLE t ADD COLUMN a integer CHECK (a > 0)"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &[
            "ALTER TABLE t ADD COLUMN a integer",
            "ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID",
        ],
        IN_TRANSACTION,
    );
}

#[test]
fn adding_field_with_foreign_key() {
    let rule = Rule::AddingFieldWithForeignKey;
    lint_errors(
        Rule::AddingFieldWithForeignKey,
        &["ALTER TABLE t ADD COLUMN a bigint DEFAULT 1 REFERENCES u"],
        IN_TRANSACTION,
    );
    // NULL in every row: PostgreSQL has nothing to check.
    lint_ok(
        rule,
        &["ALTER TABLE t ADD COLUMN a bigint REFERENCES u"],
        IN_TRANSACTION,
    );
}

#[test]
fn adding_field_with_unique() {
    let rule = Rule::AddingFieldWithUnique;
    lint_errors(
        Rule::AddingFieldWithUnique,
        &["ALTER TABLE t ADD COLUMN a text UNIQUE"],
        IN_TRANSACTION,
    );
    lint_ok(
        rule,
        &[
            "ALTER TABLE t ADD COLUMN a text",
            "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_index",
        ],
        IN_TRANSACTION,
    );
}

#[test]
fn concurrent_index_with_other_ddl() {
    let rule = Rule::ConcurrentIndexWithOtherDdl;
    lint_errors(
        Rule::ConcurrentIndexWithOtherDdl,
        &[
            "ALTER TABLE t ADD COLUMN a integer",
            "CREATE INDEX CONCURRENTLY ON t (a)",
        ],
        OUTSIDE_TRANSACTION,
    );
    lint_ok(
        rule,
        &["CREATE INDEX CONCURRENTLY ON t (a)", "ANALYZE t"],
        OUTSIDE_TRANSACTION,
    );
    // Named: the next run recognises it wherever a run stopped.
    lint_ok(
        rule,
        &[
            "ALTER TABLE t ADD COLUMN a integer",
            "CREATE INDEX CONCURRENTLY i ON t (a)",
        ],
        OUTSIDE_TRANSACTION,
    );
}

#[test]
fn stricter_change_in_expand() {
    use migrate_dsl::prelude::{column, Constraint};
    fn not_null(pgm: &mut MigrationBuilder) {
        pgm.set_not_null("orders", "note");
    }
    lint_migration_errors(Rule::StricterChangeInExpand, not_null);
    fn type_change(pgm: &mut MigrationBuilder) {
        pgm.sql("ALTER TABLE orders ALTER COLUMN total TYPE bigint");
    }
    lint_migration_errors(Rule::StricterChangeInExpand, type_change);
    fn marked(pgm: &mut MigrationBuilder) {
        pgm.contract("release 1 writes NULL notes");
        pgm.set_not_null("orders", "note");
    }
    lint_migration_ok(Rule::StricterChangeInExpand, marked);
    fn new_table(pgm: &mut MigrationBuilder) {
        pgm.create_table("orders", [column("note", "text")]);
        pgm.set_not_null("orders", "note");
    }
    lint_migration_ok(Rule::StricterChangeInExpand, new_table);
    fn additive(pgm: &mut MigrationBuilder) {
        pgm.add_columns("orders", [column("code", "text")]);
        pgm.add_constraint_online("orders", None, Constraint::check("length(code) = 8"));
    }
    lint_migration_ok(Rule::StricterChangeInExpand, additive);

    // One finding per operation, with the fix; the `lint: allow` of the rule makes the migration an expand,
    // and the deploy plan reads the same comment.
    let migration = |source: &'static str| {
        Migration::defined(Box::leak(Box::new(Definition {
            name: "20260101000001_m",
            path: "/migrations/20260101000001_m.rs",
            source,
            up: not_null,
            down: None,
        })))
    };
    let report = lint(&[migration("")], &[], &LintOptions::default()).expect("lint runs");
    let found: Vec<_> = report.migrations[0]
        .findings
        .iter()
        .filter(|f| f.rule == Rule::StricterChangeInExpand)
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].detail.as_deref(),
        Some(
            "a new CHECK on orders: the app version still running may write what it refuses, and the \
             migration is not marked `pgm.contract(..)`"
        )
    );
    assert!(Rule::StricterChangeInExpand
        .instead()
        .contains("pgm.contract(\"<which app version must be gone>\")"));
    assert!(migration("").contract().is_some());
    let accepted =
        migration("// lint: allow stricter-change-in-expand -- every release writes a note\n");
    let report = lint(
        std::slice::from_ref(&accepted),
        &[],
        &LintOptions::default(),
    )
    .expect("lint runs");
    assert!(report.migrations[0]
        .findings
        .iter()
        .all(|f| f.rule != Rule::StricterChangeInExpand));
    assert_eq!(accepted.contract(), None);
    assert_eq!(
        Rule::StricterChangeInExpand.name(),
        crate::phase::STRICTER_RULE
    );
}
