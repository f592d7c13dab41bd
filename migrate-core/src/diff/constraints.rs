//! Constraints of a table that exists in both schemas: added (checks and foreign keys `NOT VALID` then
//! validated, unique and primary keys on an index built concurrently), renamed, replaced, dropped. An added
//! one refuses what the app version still running may write: it goes in a contract
//! ([`Step::UniqueKeys`], [`Step::Constraints`]), unless it only moves to a column renamed online.

use migrate_dsl::{MigrationBuilder, Operation};

use super::by_name::{renamed_by_definition, Settled};
use super::model::{Constraint, ConstraintKind, Index, QName, Table};
use super::ops::{self, name, shown};
use super::plan::{recorded, Change, Planner, Step};
use super::sql::{comment_change, sql_ident, sql_name, temporary_name};
use crate::phase::STRICTER_RULE;

/// Where an added constraint goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Added {
    /// With its new table, in the expand.
    NewTable,
    /// On a table that exists: a contract.
    Existing,
    /// Made again on a column renamed online, before the contract of the rename: the trigger keeps that
    /// column equal to the old one, whose constraint the running release meets already.
    Moved,
}

/// The constraints of `from` that use a column renamed online (`on_renamed` says which text does): made
/// again on the new column under a temporary name when the desired schema keeps them, and the old ones
/// dropped, before the contract (`rename_column_online`'s contract refuses while anything uses the old
/// column). Returns their names.
pub(super) fn move_off_renamed_columns(
    p: &mut Planner<'_>,
    q: &QName,
    from: &Table,
    to: &Table,
    on_renamed: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut leaving = Vec::new();
    for (constraint_name, c) in &from.constraints {
        if !on_renamed(&c.definition) {
            continue;
        }
        leaving.push(constraint_name.clone());
        drop_constraint_moved(p, q, constraint_name, c, to.constraints.get(constraint_name));
    }
    leaving
}

fn drop_constraint_moved(p: &mut Planner<'_>, q: &QName, constraint_name: &str, c: &Constraint, desired: Option<&Constraint>) {
    let Some(desired) = desired else {
        drop_constraint(p, q, constraint_name, c, Step::Indexes);
        return;
    };
    let temporary = temporary_name(constraint_name);
    add(p, q, &temporary, desired, Added::Moved);
    drop_constraint(p, q, constraint_name, c, Step::Indexes);
    p.push(rename(q, Step::Indexes, &temporary, constraint_name));
}

/// `rename_constraint` from `a` to `b`.
fn rename(q: &QName, step: Step, a: &str, b: &str) -> Change {
    Change::new(step, format!("rename constraint {a} on {} to {b}", shown(q))).up(|pgm| {
        pgm.rename_constraint(name(q), a, b);
    })
}

/// A constraint that only changes its name (a renamed table's `<table>_pkey`) is renamed: the pairs.
pub(super) fn renamed(p: &mut Planner<'_>, q: &QName, from: &Table, to: &Table, leaving: &[String]) -> Vec<(String, String)> {
    let pairs = renamed_by_definition(&from.constraints, &to.constraints, leaving, |a, b| {
        a.definition == b.definition && a.deferrable == b.deferrable && a.deferred == b.deferred
    });
    for (old_name, new_name) in &pairs {
        p.push(rename(q, Step::Expand, old_name, new_name));
    }
    pairs
}

/// Constraints by name, compared by definition; those `settled` are left alone.
pub(super) fn by_name(p: &mut Planner<'_>, q: &QName, from: &Table, to: &Table, settled: &Settled) {
    // A table has one primary key: one replaced by another of another name is dropped just before the new
    // one is added (with the unique keys), not with the drops after it.
    fn primary_key<'t>(table: &'t Table, other: &Table, settled_here: &dyn Fn(&str) -> bool) -> Option<(String, &'t Constraint)> {
        table
            .constraints
            .iter()
            .find(|(n, c)| {
                matches!(c.kind, ConstraintKind::PrimaryKey { .. }) && !other.constraints.contains_key(*n) && !settled_here(n)
            })
            .map(|(n, c)| (n.clone(), c))
    }
    let replaced_key = match (
        primary_key(from, to, &|n| settled.old_name_settled(n)),
        primary_key(to, from, &|n| settled.new_name_settled(n)),
    ) {
        (Some((old, c)), Some(_)) => {
            drop_constraint(p, q, &old, c, Step::UniqueKeys);
            Some(old)
        }
        _ => None,
    };
    for (constraint_name, c) in &to.constraints {
        if settled.new_name_settled(constraint_name) {
            continue;
        }
        match from.constraints.get(constraint_name) {
            None if adopts_index(from, constraint_name, c) => add_over_index(p, q, constraint_name, c, &from.indexes[constraint_name]),
            None => add_constraint(p, q, constraint_name, c, false),
            Some(before) if before.definition == c.definition && before.deferrable == c.deferrable && before.deferred == c.deferred => {
                same_definition(p, q, constraint_name, before, c);
            }
            Some(before) => {
                if !p.dropped_early(q, constraint_name) {
                    drop_constraint(p, q, constraint_name, before, Step::Expand);
                }
                add_constraint(p, q, constraint_name, c, false);
            }
        }
    }
    for (constraint_name, c) in &from.constraints {
        let dropped_before = replaced_key.as_deref() == Some(constraint_name.as_str()) || p.dropped_early(q, constraint_name);
        if !to.constraints.contains_key(constraint_name) && !settled.old_name_settled(constraint_name) && !dropped_before {
            drop_constraint(p, q, constraint_name, c, Step::Drops);
        }
    }
}

/// Whether `column` is one of the primary key of `table`.
pub(super) fn in_primary_key(table: &Table, column: &str) -> bool {
    table.constraints.values().any(|c| primary_key_columns(c).iter().any(|k| k == column))
}

fn primary_key_columns(c: &Constraint) -> &[String] {
    match &c.kind {
        ConstraintKind::PrimaryKey { columns } => columns,
        _ => &[],
    }
}

/// Table `q` of the desired schema as it is in the current one (under its old name when renamed).
fn current_table<'m>(p: &Planner<'m>, q: &QName) -> Option<&'m Table> {
    let from = p.from;
    from.tables.get(q).or_else(|| {
        from.tables
            .iter()
            .find(|(old, _)| old.0 == q.0 && p.table_renamed(old) == Some(q.1.as_str()))
            .map(|(_, t)| t)
    })
}

/// What the down of an added primary key runs after dropping it: `DROP NOT NULL` of its columns that were
/// nullable before (`ADD PRIMARY KEY` made them NOT NULL, and the drop of the key leaves them so); the
/// columns' own changes write no `SET NOT NULL` for them.
fn nullable_again(p: &Planner<'_>, q: &QName, c: &Constraint) -> Vec<Operation> {
    drop_not_null_of_keys(q, c, current_table(p, q))
}

/// `drop_not_null` of each column of primary key `c` that is nullable in `table` (none without a table).
fn drop_not_null_of_keys(q: &QName, c: &Constraint, table: Option<&Table>) -> Vec<Operation> {
    let Some(table) = table else {
        return Vec::new();
    };
    recorded(|pgm| {
        for key in primary_key_columns(c).iter().filter(|k| table.column(k).is_some_and(|col| !col.not_null)) {
            pgm.alter_column(name(q), key.as_str()).drop_not_null();
        }
    })
}

/// The `down` of an added constraint: its drop (derived), then the `DROP NOT NULL` of `nulls` when a
/// primary key made nullable columns `NOT NULL` (written).
fn undone(change: Change, q: &QName, constraint_name: &str, nulls: Vec<Operation>) -> Change {
    if nulls.is_empty() {
        return change;
    }
    change
        .down(|pgm| {
            pgm.drop_constraint(name(q), constraint_name);
        })
        .downs(nulls)
}

/// The same constraint in both: validated when the desired one is, the rest listed.
fn same_definition(p: &mut Planner<'_>, q: &QName, constraint_name: &str, before: &Constraint, c: &Constraint) {
    if !before.validated && c.validated {
        p.push(
            Change::new(Step::Expand, format!("validate constraint {constraint_name} on {}", shown(q))).up(|pgm| {
                pgm.validate_constraint(name(q), constraint_name);
            }),
        );
    } else if before.validated && !c.validated {
        p.uncovered(format!(
            "constraint {constraint_name} on {}: validated now, NOT VALID in the desired schema",
            shown(q)
        ));
    }
    if before.comment != c.comment {
        let subject = format!("CONSTRAINT {} ON {}", sql_ident(constraint_name), sql_name(q));
        let what = format!("constraint {constraint_name} on {}", shown(q));
        p.push(comment_change(&what, subject, before.comment.as_deref(), c.comment.as_deref()));
    }
}

/// The columns of a plain unique index (no expression, predicate, `INCLUDE` or other method): what a unique
/// or primary key can be made on.
fn key_columns(index: &Index) -> Option<Vec<&str>> {
    if !index.unique || index.method != "btree" || index.predicate.is_some() || !index.include.is_empty() {
        return None;
    }
    index
        .elements
        .iter()
        .map(|e| {
            let plain = e.opclass.is_none() && e.collation.is_none() && !e.descending && !e.nulls_flipped;
            e.column.as_deref().filter(|_| plain)
        })
        .collect()
}

/// Whether the new key `c` named `constraint_name` is made on the unique index of that name the table has
/// already (`ADD CONSTRAINT .. USING INDEX`): PostgreSQL refuses a second index of that name, and the
/// existing one already holds the rows to the key.
pub(super) fn adopts_index(from: &Table, constraint_name: &str, c: &Constraint) -> bool {
    let (columns, nulls_not_distinct) = match &c.kind {
        ConstraintKind::PrimaryKey { columns } => (columns, false),
        ConstraintKind::Unique { columns, nulls_not_distinct } => (columns, *nulls_not_distinct),
        _ => return false,
    };
    let Some(index) = from.indexes.get(constraint_name) else {
        return false;
    };
    index.nulls_not_distinct == nulls_not_distinct
        && key_columns(index).is_some_and(|k| k.iter().copied().eq(columns.iter().map(String::as_str)))
}

/// The names of the indexes of `from` that a new key of `to` is made on ([`adopts_index`]): neither dropped
/// nor renamed.
pub(super) fn adopted_indexes(from: &Table, to: &Table) -> Vec<String> {
    to.constraints
        .iter()
        .filter(|(n, c)| !from.constraints.contains_key(*n) && adopts_index(from, n, c))
        .map(|(n, _)| n.clone())
        .collect()
}

/// `ADD CONSTRAINT .. UNIQUE | PRIMARY KEY USING INDEX`: the key made on the index the table has. Its
/// drop drops the index too, so the down builds the index again.
fn add_over_index(p: &mut Planner<'_>, q: &QName, constraint_name: &str, c: &Constraint, index: &Index) {
    let nulls = nullable_again(p, q, c);
    p.push(
        Change::new(
            Step::UniqueKeys,
            format!("add constraint {constraint_name} on {} over its index", shown(q)),
        )
        .up(|pgm| {
            pgm.add_constraint(name(q), constraint_name, ops::key_using_index(constraint_name, c));
        })
        .down(|pgm| {
            pgm.drop_constraint(name(q), constraint_name);
        })
        .downs(nulls)
        .down(|pgm| {
            ops::create_index(pgm, q, constraint_name, index, true);
        }),
    );
}

/// Whether a foreign key to `columns` of `table` finds its key in the expand: the table is new (made with
/// its keys, before the foreign keys), or it has that key (or a unique index on those columns) before and
/// after. Else the key is added with the unique keys, and the foreign key must come after it.
fn key_there_in_expand(p: &Planner<'_>, table: &QName, columns: &[String]) -> bool {
    let (Some(before), Some(after)) = (p.from.tables.get(table), p.to.tables.get(table)) else {
        return true;
    };
    let mut wanted: Vec<&str> = columns.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    let same = |mut have: Vec<&str>| {
        have.sort_unstable();
        have == wanted
    };
    let by_constraint = before.constraints.iter().any(|(n, c)| {
        let key = match &c.kind {
            ConstraintKind::PrimaryKey { columns } | ConstraintKind::Unique { columns, .. } => columns,
            _ => return false,
        };
        same(key.iter().map(String::as_str).collect())
            && after.constraints.get(n).is_some_and(|a| a.definition == c.definition)
    });
    let by_index = before.indexes.iter().any(|(n, i)| {
        key_columns(i).is_some_and(&same) && after.indexes.get(n).is_some_and(|a| a.definition == i.definition)
    });
    by_constraint || by_index
}

/// `ALTER TABLE .. ADD CONSTRAINT <definition><suffix>` as `pgm.sql`, for a constraint no typed one reads
/// back as (an exclusion or `NO INHERIT` check).
fn add_as_sql(pgm: &mut MigrationBuilder, q: &QName, constraint_name: &str, c: &Constraint, suffix: &str) {
    pgm.sql(format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {}{suffix}",
        sql_name(q),
        sql_ident(constraint_name),
        c.definition
    ));
}

/// `ALTER TABLE .. ADD CONSTRAINT`: plain on a new table; on one that exists, checks and foreign keys
/// `NOT VALID` then validated, unique and primary keys on an index built concurrently, in a contract.
pub(super) fn add_constraint(p: &mut Planner<'_>, q: &QName, constraint_name: &str, c: &Constraint, new_table: bool) {
    add(p, q, constraint_name, c, if new_table { Added::NewTable } else { Added::Existing });
}

fn add(p: &mut Planner<'_>, q: &QName, constraint_name: &str, c: &Constraint, added: Added) {
    // A new table's foreign key to a key added to a table that exists: after that key, as on a table that
    // exists (the table is empty then, so the check costs nothing).
    let added = match &c.kind {
        ConstraintKind::ForeignKey { references, referenced_columns, .. }
            if added == Added::NewTable && !key_there_in_expand(p, references, referenced_columns) =>
        {
            Added::Existing
        }
        _ => added,
    };
    let new_table = added == Added::NewTable;
    // PostgreSQL has no online form of a key or foreign key on a partitioned table itself (no `CREATE
    // INDEX CONCURRENTLY` on it, no `NOT VALID` foreign key before 18): built partition by partition.
    let partitioned = p.to.tables.get(q).is_some_and(|t| t.partition_key.is_some())
        && matches!(
            c.kind,
            ConstraintKind::PrimaryKey { .. } | ConstraintKind::Unique { .. } | ConstraintKind::ForeignKey { .. }
        );
    let keyed = matches!(c.kind, ConstraintKind::PrimaryKey { .. } | ConstraintKind::Unique { .. });
    // The step it goes in when it is not with its new table, and the acceptance a moved one carries.
    let (existing, keys) = match added {
        Added::Moved => (Step::Expand, Step::Indexes),
        _ => (Step::Constraints, Step::UniqueKeys),
    };
    let moved = |change: Change| match added {
        Added::Moved => change.allow(
            STRICTER_RULE,
            format!("{constraint_name} on {} moves to the column renamed online, kept equal to the old one", shown(q)),
        ),
        _ => change,
    };
    let nulls = if new_table { Vec::new() } else { nullable_again(p, q, c) };
    let summary = format!("add constraint {constraint_name} on {}", shown(q));
    let Some(value) = ops::constraint(c) else {
        let add = |suffix: &'static str| move |pgm: &mut MigrationBuilder| add_as_sql(pgm, q, constraint_name, c, suffix);
        let step = if new_table { Step::Expand } else { existing };
        let mut change = Change::new(step, summary)
            .comment("No typed constraint reads back as this one (an exclusion or NO INHERIT check): written as SQL.");
        let check = matches!(c.kind, ConstraintKind::Check { .. });
        change = if new_table || !c.validated {
            change.up(add(if c.validated { "" } else { " NOT VALID" }))
        } else if check {
            // As `add_constraint_online` does for the typed ones: new rows checked at once, the existing
            // ones in a transaction of their own.
            change.up(add(" NOT VALID")).up(|pgm| {
                pgm.validate_constraint(name(q), constraint_name);
            })
        } else {
            p.warn(format!(
                "{constraint_name} on {}: an exclusion constraint builds its index while writes wait",
                shown(q)
            ));
            change.up(add("")).allow(
                "constraint-missing-not-valid",
                format!("{constraint_name} on {}: an exclusion constraint cannot be added NOT VALID", shown(q)),
            )
        };
        // Raw SQL has no derived reverse: the drop is written.
        let change = change
            .down(|pgm| {
                pgm.drop_constraint(name(q), constraint_name);
            })
            .downs(nulls);
        p.push(moved(change));
        return;
    };
    // A unique key with options the online form refuses: its index built concurrently, then the
    // constraint on it.
    let nulls_not_distinct = matches!(c.kind, ConstraintKind::Unique { nulls_not_distinct: true, .. });
    if !new_table && !partitioned && keyed && c.validated && (c.deferrable || c.comment.is_some() || nulls_not_distinct) {
        let columns = match &c.kind {
            ConstraintKind::PrimaryKey { columns } | ConstraintKind::Unique { columns, .. } => columns,
            _ => unreachable!("keyed"),
        };
        let change = Change::new(keys, summary)
            .up(|pgm| {
                let index = pgm.create_index(name(q), columns);
                index.name(constraint_name).unique().concurrently();
                if nulls_not_distinct {
                    index.nulls_not_distinct();
                }
                pgm.add_constraint(name(q), constraint_name, ops::key_using_index(constraint_name, c));
            })
            .down(|pgm| {
                pgm.drop_constraint(name(q), constraint_name);
            })
            .downs(nulls);
        p.push(moved(change));
        return;
    }
    let (step, up) = if new_table || !c.validated {
        let step = if new_table { Step::Expand } else { existing };
        (step, recorded(|pgm| {
            let call = pgm.add_constraint(name(q), constraint_name, value);
            if !c.validated {
                call.not_valid();
            }
        }))
    } else {
        let step = if keyed { keys } else { existing };
        (step, recorded(|pgm| {
            let call = pgm.add_constraint_online(name(q), constraint_name, value);
            if partitioned {
                call.per_partition();
            }
        }))
    };
    let change = Change::new(step, summary).ups(up);
    // Per partition, the online form's derived reverse is one only a derived `down` holds: written.
    let change = if partitioned && nulls.is_empty() && !new_table && c.validated {
        change.down(|pgm| {
            pgm.drop_constraint(name(q), constraint_name);
        })
    } else {
        undone(change, q, constraint_name, nulls)
    };
    p.push(moved(change));
}

/// `pgm.add_constraint(..)` (or its SQL) making `c` as it is, validated or not: what a drop's down runs.
pub(super) fn add_call(pgm: &mut MigrationBuilder, q: &QName, constraint_name: &str, c: &Constraint) {
    match ops::constraint(c) {
        Some(value) => {
            let call = pgm.add_constraint(name(q), constraint_name, value);
            if !c.validated {
                call.not_valid();
            }
        }
        None => add_as_sql(pgm, q, constraint_name, c, if c.validated { "" } else { " NOT VALID" }),
    }
}

pub(super) fn drop_constraint(p: &mut Planner<'_>, q: &QName, constraint_name: &str, c: &Constraint, step: Step) {
    // A primary key's columns stay NOT NULL once it is dropped: those nullable in the desired schema are
    // made so here, after the key (PostgreSQL refuses it before); the key made again in the down sets
    // their NOT NULL back.
    let nulls = drop_not_null_of_keys(q, c, p.to.tables.get(q));
    p.push(
        Change::new(step, format!("drop constraint {constraint_name} on {}", shown(q)))
            // Among the drops, foreign keys before the keys they need (a table's own included).
            .order(if matches!(c.kind, ConstraintKind::ForeignKey { .. }) { 1 } else { 2 })
            .up(|pgm| {
                pgm.drop_constraint(name(q), constraint_name);
            })
            .ups(nulls)
            .down(|pgm| add_call(pgm, q, constraint_name, c)),
    );
}
