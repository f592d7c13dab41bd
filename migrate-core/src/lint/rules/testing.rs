//! What each rule's tests use: a migration as the list of its operations' SQL, checked as `lint` checks a
//! rendered migration (in a transaction, for PostgreSQL 15, unless the test says otherwise), or a `pgm`
//! migration linted whole. `lint_errors` / `lint_migration_errors` assert a rule is broken, `lint_ok` /
//! `lint_migration_ok` that it is not.

pub(crate) use std::time::Duration;

pub(crate) use migrate_dsl::{column, MigrationBuilder};

pub(crate) use super::Rule;
use super::RuleSelection;
use crate::lint::check::analyse_with;
use crate::lint::inputs::{collect, LintOptions};
use crate::lint::sql::{check, Input};
use crate::migration::{Definition, Migration};

/// How a migration runs, for the rules that depend on it.
#[derive(Clone, Copy)]
pub(crate) struct Run {
    pub pg: u32,
    pub transactional: bool,
}

pub(crate) const IN_TRANSACTION: Run = Run {
    pg: 15,
    transactional: true,
};

pub(crate) const OUTSIDE_TRANSACTION: Run = Run {
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
pub(crate) fn lint_errors(rule: Rule, sqls: &[&str], run: Run) {
    let broken = rules_broken(sqls, run);
    assert!(
        broken.contains(&rule),
        "expected {} for {sqls:?}, got {:?}",
        rule.name(),
        broken.iter().map(|r| r.name()).collect::<Vec<_>>()
    );
}

/// `sqls` do not break `rule`.
pub(crate) fn lint_ok(rule: Rule, sqls: &[&str], run: Run) {
    let broken = rules_broken(sqls, run);
    assert!(
        !broken.contains(&rule),
        "expected no {} for {sqls:?}",
        rule.name()
    );
}

/// The rules `lint` finds in the `up` of a migration recorded by `up`, checking the rules of `selection`.
fn migration_rules(up: fn(&mut MigrationBuilder), selection: &RuleSelection) -> Vec<Rule> {
    let migrations = [Migration::defined(Box::leak(Box::new(Definition {
        name: "20260101000001_m",
        path: "/migrations/20260101000001_m.rs",
        source: "",
        up,
        down: None,
    })))];
    let inputs = collect(&migrations, &[], &LintOptions::default()).expect("lint collects");
    let report = analyse_with(&inputs, selection);
    report.migrations[0]
        .findings
        .iter()
        .map(|f| f.rule)
        .collect()
}

/// The migration recorded by `up` breaks `rule`.
pub(crate) fn lint_migration_errors(rule: Rule, up: fn(&mut MigrationBuilder)) {
    assert!(
        migration_rules(up, &RuleSelection::default()).contains(&rule),
        "expected {}",
        rule.name()
    );
}

/// The migration recorded by `up` does not break `rule`.
pub(crate) fn lint_migration_ok(rule: Rule, up: fn(&mut MigrationBuilder)) {
    assert!(
        !migration_rules(up, &RuleSelection::default()).contains(&rule),
        "expected no {}",
        rule.name()
    );
}

/// With `rule` turned on (a rule off by default), the migration recorded by `up` breaks it.
pub(crate) fn lint_migration_errors_with(rule: Rule, up: fn(&mut MigrationBuilder)) {
    let on = RuleSelection::new([rule], []);
    assert!(
        migration_rules(up, &on).contains(&rule),
        "expected {} once enabled",
        rule.name()
    );
}

/// With `rule` turned on (a rule off by default), the migration recorded by `up` does not break it.
pub(crate) fn lint_migration_ok_with(rule: Rule, up: fn(&mut MigrationBuilder)) {
    let on = RuleSelection::new([rule], []);
    assert!(
        !migration_rules(up, &on).contains(&rule),
        "expected no {} once enabled",
        rule.name()
    );
}
