//! Indexes of a table that exists in both schemas: built `CONCURRENTLY` in a migration of their own (a
//! contract for a unique one, which refuses the duplicates the app version still running may write),
//! renamed, rebuilt when their definition changes, dropped.

use migrate_dsl::{DropIndex, MigrationBuilder};

use super::by_name::{renamed_by_definition, Settled};
use super::model::{Index, QName, Table};
use super::ops::{self, shown};
use super::plan::{Change, Planner, Step};
use super::sql::{comment_change, sql_literal, sql_name, temporary_name};
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
            .up(|pgm| {
                ops::drop_index(pgm, q, index_name, index, true);
            })
            .down(|pgm| {
                ops::create_index(pgm, q, index_name, index, true);
            });
        let Some(desired) = to.indexes.get(index_name) else {
            p.push(drop_old);
            continue;
        };
        let temporary = temporary_name(index_name);
        let mut add = Change::new(Step::Indexes, format!("add index {temporary} on {}", shown(q))).up(|pgm| {
            ops::create_index(pgm, q, &temporary, desired, true);
        });
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

/// `rename_index` from `a` to `b`.
fn rename(q: &QName, step: Step, a: &str, b: &str) -> Change {
    Change::new(step, format!("rename index {a} on {} to {b}", shown(q))).up(|pgm| {
        pgm.rename_index(ops::name(&(q.0.clone(), a.to_owned())), b);
    })
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

/// `COMMENT ON INDEX` as `pgm.sql` (no operation sets an index's comment).
pub(super) fn comment_call(pgm: &mut MigrationBuilder, q: &QName, index_name: &str, comment: Option<&str>) {
    let index = (q.0.clone(), index_name.to_owned());
    pgm.sql(format!("COMMENT ON INDEX {} IS {}", sql_name(&index), sql_literal(comment)));
}

/// `<name>_old`, cut to PostgreSQL's 63 bytes on a character boundary: where an index being replaced is
/// kept while its successor is built.
pub(super) fn aside_name(name: &str) -> String {
    let mut base = name.to_owned();
    while base.len() + "_old".len() > 63 {
        base.pop();
    }
    format!("{base}_old")
}

/// Indexes by name, built and dropped concurrently (per partition on a partitioned table); those `settled`
/// are left alone. An index whose definition changes keeps the table indexed throughout: the old one is
/// renamed aside, the new one built, then the old one dropped.
pub(super) fn by_name(p: &mut Planner<'_>, q: &QName, from: &Table, to: &Table, settled: &Settled) {
    let partitioned = to.partition_key.is_some();
    if partitioned && to.indexes.keys().any(|n| !from.indexes.contains_key(n)) {
        p.warn(format!(
            "{}: indexes built per partition name each partition's index `<partition>_<index>`, which may \
             differ from the names PostgreSQL gives",
            shown(q)
        ));
    }
    let create = |pgm: &mut MigrationBuilder, index_name: &str, index: &Index| {
        if partitioned {
            ops::create_index(pgm, q, index_name, index, false).concurrently_per_partition();
        } else {
            ops::create_index(pgm, q, index_name, index, true);
        }
    };
    fn drop_call<'p>(pgm: &'p mut MigrationBuilder, q: &QName, partitioned: bool, index_name: &str, index: &Index) -> &'p mut DropIndex {
        let call = ops::drop_index(pgm, q, index_name, index, !partitioned);
        if partitioned {
            call.per_partition();
        }
        call
    }
    let drop = |pgm: &mut MigrationBuilder, index_name: &str, index: &Index| {
        drop_call(pgm, q, partitioned, index_name, index);
    };
    let drop_if_exists = |pgm: &mut MigrationBuilder, index_name: &str, index: &Index| {
        drop_call(pgm, q, partitioned, index_name, index).if_exists();
    };
    // PostgreSQL cannot drop a partitioned table's index concurrently: the drop is catalog only, but holds
    // ACCESS EXCLUSIVE on the table and its partitions for that instant.
    let allow_drop = |change: Change, index_name: &str| {
        if partitioned {
            change.allow(
                "require-concurrent-index-deletion",
                format!(
                    "{index_name} is an index of the partitioned table {}, which PostgreSQL cannot drop concurrently",
                    shown(q)
                ),
            )
        } else {
            change
        }
    };
    // A down making an index again: built, then its comment set.
    let restore = |change: Change, index_name: &str, index: &Index| {
        change.down(|pgm| {
            create(pgm, index_name, index);
            if let Some(comment) = &index.comment {
                comment_call(pgm, q, index_name, Some(comment));
            }
        })
    };
    // An index added, with its comment: the comment's SQL has no derived reverse, so the down is written.
    let add = |change: Change, index_name: &str, index: &Index| {
        let change = change.up(|pgm| create(pgm, index_name, index));
        match &index.comment {
            Some(comment) => change
                .up(|pgm| comment_call(pgm, q, index_name, Some(comment)))
                .down(|pgm| {
                    drop(pgm, index_name, index);
                }),
            None => change,
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
                    let what = format!("index {index_name} on {}", shown(q));
                    let subject = format!("INDEX {}", sql_name(&(q.0.clone(), index_name.clone())));
                    p.push(comment_change(&what, subject, before.comment.as_deref(), index.comment.as_deref()));
                }
            }
            Some(before) if partitioned => {
                // Renamed aside, the parent's index would leave its partitions' indexes under the names the
                // new one's build takes (`<partition>_<index>`, built only if not there): dropped first.
                p.push(allow_drop(
                    restore(
                        Change::new(step, format!("rebuild index {index_name} on {}", shown(q))).up(|pgm| {
                            drop(pgm, index_name, before);
                        }),
                        index_name,
                        before,
                    ),
                    index_name,
                ));
                p.push(add(Change::new(step, format!("add index {index_name} on {}", shown(q))), index_name, index));
            }
            Some(before) => {
                let aside = aside_name(index_name);
                p.push(rename(q, step, index_name, &aside));
                p.push(add(
                    Change::new(step, format!("add index {index_name} on {} (its new definition)", shown(q))),
                    index_name,
                    index,
                ));
                // `IF EXISTS`: a run stopped after the drop continues past it.
                p.push(restore(
                    Change::new(step, format!("drop index {aside} on {} (the old definition)", shown(q))).up(|pgm| {
                        drop_if_exists(pgm, &aside, before);
                    }),
                    &aside,
                    before,
                ));
            }
            None => p.push(add(Change::new(step, format!("add index {index_name} on {}", shown(q))), index_name, index)),
        }
    }
    for (index_name, index) in &from.indexes {
        if !to.indexes.contains_key(index_name) && !settled.old_name_settled(index_name) {
            p.push(allow_drop(
                restore(
                    Change::new(Step::Drops, format!("drop index {index_name} on {}", shown(q)))
                        .order(3)
                        .up(|pgm| {
                            drop(pgm, index_name, index);
                        }),
                    index_name,
                    index,
                ),
                index_name,
            ));
        }
    }
}
