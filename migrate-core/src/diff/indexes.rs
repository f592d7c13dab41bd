//! Indexes of a table that exists in both schemas: built `CONCURRENTLY` in a migration of their own (a
//! contract for a unique one, which refuses the duplicates the app version still running may write),
//! renamed, rebuilt when their definition changes, dropped.

use super::model::{Index, QName, Table};
use super::plan::{Change, Planner, Step};
use super::rust::{self, lit, name, shown};
use super::by_name::{renamed_by_definition, Settled};
use super::sql::temporary_name;
use crate::phase::STRICTER_RULE;

/// The indexes of `from` on a column renamed online (`on_renamed` says which text uses one): built again
/// on the new column under a temporary name when the desired schema keeps them, and the old ones dropped,
/// before the contract. Returns their names.
pub(super) fn move_off_renamed_columns(
    p: &mut Planner<'_>,
    q: &QName,
    from: &Table,
    to: &Table,
    on_renamed: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut leaving = Vec::new();
    for (index_name, index) in &from.indexes {
        if !on_renamed(&index.definition) {
            continue;
        }
        leaving.push(index_name.clone());
        let drop_old = Change::new(Step::Indexes, format!("drop index {index_name} on {} (on the old column)", shown(q)))
            .up(rust::drop_index(q, index_name, index, true))
            .down(rust::create_index(q, index_name, index, true));
        let Some(desired) = to.indexes.get(index_name) else {
            p.push(drop_old);
            continue;
        };
        let temporary = temporary_name(index_name);
        let mut add = Change::new(Step::Indexes, format!("add index {temporary} on {}", shown(q)))
            .up(rust::create_index(q, &temporary, desired, true))
            .down(rust::drop_index(q, &temporary, desired, true));
        if desired.unique {
            add = add.allow(
                STRICTER_RULE,
                format!("{index_name} on {} moves to the column renamed online, kept equal to the old one", shown(q)),
            );
        }
        p.push(add);
        p.push(drop_old);
        p.push(rename(q, Step::Indexes, &temporary, index_name));
    }
    leaving
}

/// `rename_index` from `a` to `b`, and back in `down`.
fn rename(q: &QName, step: Step, a: &str, b: &str) -> Change {
    let index = |n: &str| name(&(q.0.clone(), n.to_owned()));
    Change::new(step, format!("rename index {a} on {} to {b}", shown(q)))
        .up(format!("pgm.rename_index({}, {})", index(a), lit(b)))
        .down(format!("pgm.rename_index({}, {})", index(b), lit(a)))
}

/// An index that only changes its name is renamed: the pairs.
pub(super) fn renamed(p: &mut Planner<'_>, q: &QName, from: &Table, to: &Table, leaving: &[String]) -> Vec<(String, String)> {
    let pairs = renamed_by_definition(&from.indexes, &to.indexes, leaving, same);
    for (old_name, new_name) in &pairs {
        p.push(rename(q, Step::Expand, old_name, new_name));
    }
    pairs
}

/// The same index under another name: everything but the name (and the definition's text, which holds it).
fn same(a: &Index, b: &Index) -> bool {
    a.unique == b.unique
        && a.method == b.method
        && a.elements == b.elements
        && a.include == b.include
        && a.predicate == b.predicate
        && a.nulls_not_distinct == b.nulls_not_distinct
}

/// Indexes by name, built and dropped concurrently (per partition on a partitioned table); those `settled`
/// are left alone.
pub(super) fn by_name(p: &mut Planner<'_>, q: &QName, from: &Table, to: &Table, settled: &Settled) {
    let partitioned = to.partition_key.is_some();
    if partitioned && to.indexes.keys().any(|n| !from.indexes.contains_key(n)) {
        p.warn(format!(
            "{}: indexes built per partition name each partition's index `<partition>_<index>`, which may \
             differ from the names PostgreSQL gives",
            shown(q)
        ));
    }
    let create = |index_name: &str, index: &Index| {
        if partitioned {
            format!("{}.concurrently_per_partition()", rust::create_index(q, index_name, index, false))
        } else {
            rust::create_index(q, index_name, index, true)
        }
    };
    let drop = |index_name: &str, index: &Index| {
        if partitioned {
            format!("{}.per_partition()", rust::drop_index(q, index_name, index, false))
        } else {
            rust::drop_index(q, index_name, index, true)
        }
    };
    for (index_name, index) in &to.indexes {
        if settled.new_name_settled(index_name) {
            continue;
        }
        let step = if index.unique { Step::UniqueKeys } else { Step::Indexes };
        match from.indexes.get(index_name) {
            Some(before) if before.definition == index.definition => {
                if before.comment != index.comment {
                    p.uncovered(format!("index {index_name} on {}: its comment", shown(q)));
                }
            }
            Some(before) => {
                p.push(
                    Change::new(step, format!("rebuild index {index_name} on {}", shown(q)))
                        .up(drop(index_name, before))
                        .down(create(index_name, before)),
                );
                p.push(
                    Change::new(step, format!("add index {index_name} on {}", shown(q)))
                        .up(create(index_name, index))
                        .down(drop(index_name, index)),
                );
            }
            None => p.push(
                Change::new(step, format!("add index {index_name} on {}", shown(q)))
                    .up(create(index_name, index))
                    .down(drop(index_name, index)),
            ),
        }
    }
    for (index_name, index) in &from.indexes {
        if !to.indexes.contains_key(index_name) && !settled.old_name_settled(index_name) {
            p.push(
                Change::new(Step::Drops, format!("drop index {index_name} on {}", shown(q)))
                    .order(3)
                    .up(drop(index_name, index))
                    .down(create(index_name, index)),
            );
        }
    }
}
