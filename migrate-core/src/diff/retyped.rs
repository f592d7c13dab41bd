//! What stands on a column whose type changes. PostgreSQL refuses the change under a policy or a trigger
//! (`UPDATE OF`, `WHEN`) that uses the column; it rewrites a check on it to the new type (`c >= 0` becomes
//! `(c)::numeric >= (0)::numeric`), so a check dropped after the change would come back in the `down` as the
//! rewritten one; a foreign key over it may refuse the new type.
//!
//! So, in the migration of the change: the policies and triggers are dropped before it and made again after
//! it (one transaction); the checks and foreign keys that go or change are dropped before it, and a changed
//! one added again after it; so are the indexes whose expression or predicate uses the column (`(c + 1)` does
//! not hold for text), built again after it, as is a new index on a column whose change rewrites the table.

use std::collections::{BTreeMap, BTreeSet};

use super::constraints;
use super::extras::Named;
use super::model::{ConstraintKind, QName, Table};
use super::indexes;
use super::ops::{self, shown};
use super::plan::{Change, Planner, Step};
use super::sql::mentions;

/// What [`before`] took care of, for [`after`] and for the comparison by name to leave alone.
#[derive(Default)]
pub(super) struct Retyped {
    /// Checks and foreign keys dropped before the type change (gone from the desired schema, or changed).
    pub checks: Vec<String>,
    /// Indexes dropped before the type change (gone from the desired schema, or changed).
    pub indexes: Vec<String>,
    /// Policies dropped before the type change or made after it.
    pub policies: BTreeSet<String>,
    /// Triggers dropped before the type change or made after it.
    pub triggers: BTreeSet<String>,
    /// The step of the type changes the policies wait for, and of the last one the indexes do.
    /// (Policies and triggers.)
    policy_step: Option<Step>,
    index_step: Option<Step>,
}

impl Retyped {
    /// Whether policies or triggers are taken care of here.
    pub(super) fn remakes(&self) -> bool {
        !self.policies.is_empty() || !self.triggers.is_empty()
    }

    /// `table` without the policies and triggers taken care of here: what the comparison of the table's
    /// other parts sees.
    pub(super) fn without_remade(&self, table: &Table) -> Table {
        let mut table = table.clone();
        table.policies.retain(|n, _| !self.policies.contains(n));
        table.triggers.retain(|n, _| !self.triggers.contains(n));
        table
    }
}

/// The columns of `from` whose type changes in `to` (under the same name), with the step of each change.
fn retyped_columns<'t>(p: &Planner<'_>, q: &QName, from: &'t Table, to: &Table) -> Vec<(&'t str, Step)> {
    from.columns
        .iter()
        .filter_map(|c| {
            let desired = to.column(&c.name)?;
            (desired.data_type != c.data_type)
                .then(|| (c.name.as_str(), super::columns::type_change_step(p, q, &c.data_type, &desired.data_type)))
        })
        .collect()
}

/// The foreign keys of other tables that reference a column whose type changes and go or change: dropped
/// before the change, in its migration (the new type may not match theirs). Run before any table's changes.
pub(super) fn foreign_keys_before(p: &mut Planner<'_>) {
    let (from_model, to_model) = (p.from, p.to);
    for (q, from) in &from_model.tables {
        let Some(to) = to_model.tables.get(q) else {
            continue;
        };
        let retyped = retyped_columns(p, q, from, to);
        if retyped.is_empty() {
            continue;
        }
        // A table that goes (with drops allowed) has its foreign key dropped here too, and its drop's `down`
        // leaves it to this one's; a table kept without drops allowed keeps its foreign keys.
        let allow_drop = p.allow_drop;
        let tables = from_model
            .tables
            .iter()
            .filter(|(other, _)| *other != q && (allow_drop || to_model.tables.contains_key(*other)));
        for (other, table) in tables {
            for (fk_name, c) in &table.constraints {
                let ConstraintKind::ForeignKey { references, referenced_columns, .. } = &c.kind else {
                    continue;
                };
                let step = retyped
                    .iter()
                    .filter(|(column, _)| references == q && referenced_columns.iter().any(|r| r == column))
                    .map(|(_, step)| *step)
                    .min();
                let kept = to_model
                    .tables
                    .get(other)
                    .and_then(|t| t.constraints.get(fk_name))
                    .is_some_and(|d| d.definition == c.definition);
                if let (Some(step), false) = (step, kept) {
                    if !p.dropped_early(other, fk_name) {
                        constraints::drop_constraint(p, other, fk_name, c, step);
                        p.dropped_early.push((other.clone(), fk_name.clone()));
                    }
                }
            }
        }
    }
}

/// The drops before the type changes of table `q`.
pub(super) fn before(p: &mut Planner<'_>, q: &QName, from: &Table, to: &Table) -> Retyped {
    let retyped = retyped_columns(p, q, from, to);
    if retyped.is_empty() {
        return Retyped::default();
    }
    let steps_of = |text: &str| -> BTreeSet<Step> {
        retyped.iter().filter(|(c, _)| mentions(text, c)).map(|(_, s)| *s).collect()
    };
    let mut out = Retyped::default();
    for (check_name, c) in &from.constraints {
        // A foreign key of the table over the column (its own, or the key it references here) that goes or
        // changes, too: the new type may not match the other side's.
        if !matches!(c.kind, ConstraintKind::Check { .. } | ConstraintKind::ForeignKey { .. }) {
            continue;
        }
        let steps = steps_of(&c.definition);
        let kept = to.constraints.get(check_name).is_some_and(|d| d.definition == c.definition);
        if let (Some(step), false) = (steps.first(), kept) {
            constraints::drop_constraint(p, q, check_name, c, *step);
            out.checks.push(check_name.clone());
        }
    }
    for (index_name, index) in &from.indexes {
        let steps = steps_of(&index.definition);
        let kept = to.indexes.get(index_name).is_some_and(|d| d.definition == index.definition);
        if let (Some(step), false) = (steps.first(), kept) {
            p.push(
                Change::new(*step, format!("drop index {index_name} on {} (its column changes type)", shown(q)))
                    .up(|pgm| {
                        ops::drop_index(pgm, q, index_name, index, false);
                    })
                    .down(|pgm| {
                        ops::create_index(pgm, q, index_name, index, false);
                        if let Some(comment) = &index.comment {
                            indexes::comment_call(pgm, q, index_name, Some(comment));
                        }
                    })
                    .allow(
                        "require-concurrent-index-deletion",
                        format!("{index_name} on {} uses a column whose type changes in this migration", shown(q)),
                    ),
            );
            out.indexes.push(index_name.clone());
            out.index_step = out.index_step.max(Some(*step));
        }
    }
    // A new index on a column whose type change rewrites the table (in the contract, after the migration
    // of the indexes) is built after the change, in its migration: on the old type it may not hold.
    for (index_name, index) in &to.indexes {
        if from.indexes.contains_key(index_name) || out.indexes.contains(index_name) {
            continue;
        }
        if steps_of(&index.definition).contains(&Step::Constraints) {
            out.indexes.push(index_name.clone());
            out.index_step = out.index_step.max(Some(Step::Constraints));
        }
    }
    let policy_text = |policy: &super::model::Policy| {
        format!("{} {}", policy.using.as_deref().unwrap_or(""), policy.with_check.as_deref().unwrap_or(""))
    };
    let mut steps = BTreeSet::new();
    for (policy_name, policy) in from.policies.iter().chain(&to.policies) {
        let on = steps_of(&policy_text(policy));
        if !on.is_empty() {
            out.policies.insert(policy_name.clone());
            steps.extend(on);
        }
    }
    let trigger_steps = |trigger: &super::model::Trigger| -> BTreeSet<Step> {
        let mut on = steps_of(trigger.when.as_deref().unwrap_or(""));
        on.extend(retyped.iter().filter(|(c, _)| trigger.update_columns.iter().any(|u| u == c)).map(|(_, s)| *s));
        on
    };
    for (trigger_name, trigger) in from.triggers.iter().chain(&to.triggers) {
        if !trigger.created_by_sql() {
            continue;
        }
        let on = trigger_steps(trigger);
        if !on.is_empty() {
            out.triggers.insert(trigger_name.clone());
            steps.extend(on);
        }
    }
    if steps.len() > 1 {
        // Dropped in one migration and made again in a later one, the table would have no policy between
        // them: its rows hidden from every role row-level security applies to.
        p.uncovered(format!(
            "policies and triggers {} on {}: they use columns whose types change in different migrations (an \
             expand and a contract); change those types in one migration",
            out.policies.iter().chain(&out.triggers).cloned().collect::<Vec<_>>().join(", "),
            shown(q)
        ));
        out.policies.clear();
        out.triggers.clear();
        return out;
    }
    out.policy_step = steps.first().copied();
    if let Some(step) = out.policy_step {
        drop_named(p, &Named::policies(q), step, &out.policies, &from.policies);
        drop_named(p, &Named::triggers(q), step, &out.triggers, &from.triggers);
    }
    out
}

/// The policies or triggers `names` of `objects` dropped in `step`, before the type change.
fn drop_named<T>(p: &mut Planner<'_>, named: &Named<'_, T>, step: Step, names: &BTreeSet<String>, objects: &BTreeMap<String, T>) {
    for (object_name, object) in names.iter().filter_map(|n| objects.get_key_value(n)) {
        let summary = format!("drop {} {object_name} on {} (its column changes type)", named.kind, shown(named.table));
        p.push(named.dropped(step, summary, object_name, object));
    }
}

/// The policies or triggers `names` of `objects` made in `step`, after the type change.
fn add_named<T>(p: &mut Planner<'_>, named: &Named<'_, T>, step: Step, names: &BTreeSet<String>, objects: &BTreeMap<String, T>) {
    for (object_name, object) in names.iter().filter_map(|n| objects.get_key_value(n)) {
        let summary = format!("add {} {object_name} on {} (after its column's type change)", named.kind, shown(named.table));
        p.push(named.added(step, summary, object_name, object));
    }
}

/// What comes after the type changes of table `q`: the policies made again, the changed checks added.
pub(super) fn after(p: &mut Planner<'_>, q: &QName, to: &Table, retyped: &Retyped) {
    if let Some(step) = retyped.policy_step {
        add_named(p, &Named::policies(q), step, &retyped.policies, &to.policies);
        add_named(p, &Named::triggers(q), step, &retyped.triggers, &to.triggers);
    }
    for index_name in &retyped.indexes {
        let (Some(step), Some(index)) = (retyped.index_step, to.indexes.get(index_name)) else {
            continue;
        };
        let change = Change::new(step, format!("add index {index_name} on {} (after its column's type change)", shown(q)))
            .up(|pgm| {
                ops::create_index(pgm, q, index_name, index, false);
                if let Some(comment) = &index.comment {
                    indexes::comment_call(pgm, q, index_name, Some(comment));
                }
            })
            .down(|pgm| {
                ops::drop_index(pgm, q, index_name, index, false);
            })
            .allow(
                "require-concurrent-index-creation",
                format!("{index_name} on {} uses a column whose type changes in this migration", shown(q)),
            );
        p.push(if index.unique {
            change.allow(
                "stricter-change-in-expand",
                format!("{index_name} on {} is made again as the desired schema has it", shown(q)),
            )
        } else {
            change
        });
    }
    for check_name in &retyped.checks {
        if let Some(c) = to.constraints.get(check_name) {
            constraints::add_constraint(p, q, check_name, c, false);
        }
    }
}
