//! What a statement did, read from the catalog before and after it and from the server's messages during it:
//! the relations it created, dropped and rewrote, the constraints it validated, the tables it read whole.

use std::collections::{HashMap, HashSet};

use crate::notices::Notice;

use super::super::catalog::{Relation, RelationKind, RowCounts, Snapshot};
use super::super::locks::LockMode;
use super::super::report::{RelationRef, Scan};

/// What a statement did to the relations that existed before it (`existing`): created, dropped, and rewritten
/// or rebuilt.
pub(super) struct Changes {
    pub(super) created: Vec<String>,
    pub(super) dropped: Vec<String>,
    /// Tables first, then by name.
    pub(super) rewrites: Vec<RelationRef>,
}

pub(super) fn changes(before: &Snapshot, after: &Snapshot, existing: &HashSet<u32>) -> Changes {
    let mut created: Vec<&Relation> = after
        .relations
        .iter()
        .filter(|(oid, _)| !before.relations.contains_key(oid))
        .map(|(_, r)| r)
        .collect();
    let mut dropped: Vec<&Relation> = before
        .relations
        .iter()
        .filter(|(oid, _)| existing.contains(oid) && !after.relations.contains_key(oid))
        .map(|(_, r)| r)
        .collect();
    // Dropped and created again under the same name (an index on a column whose type changed): rebuilt.
    let rebuilt: Vec<RelationRef> = dropped
        .iter()
        .filter(|d| created.iter().any(|c| c.name == d.name && c.kind == d.kind))
        .map(|r| RelationRef {
            relation: r.name.clone(),
            kind: r.kind,
        })
        .collect();
    created.retain(|c| !rebuilt.iter().any(|r| r.relation == c.name));
    dropped.retain(|d| !rebuilt.iter().any(|r| r.relation == d.name));
    let created = sorted(created.into_iter().map(|r| r.name.clone()));
    let dropped = sorted(dropped.into_iter().map(|r| r.name.clone()));
    let mut rewrites: Vec<RelationRef> = after
        .relations
        .iter()
        .filter(|(oid, r)| {
            existing.contains(oid)
                && r.file != 0
                && before.relations.get(oid).is_some_and(|b| b.file != r.file)
        })
        .map(|(_, r)| RelationRef {
            relation: r.name.clone(),
            kind: r.kind,
        })
        .chain(rebuilt)
        .collect();
    rewrites.sort_by(|a, b| {
        (a.kind == RelationKind::Index, &a.relation)
            .cmp(&(b.kind == RelationKind::Index, &b.relation))
    });
    Changes {
        created,
        dropped,
        rewrites,
    }
}

/// The constraints of existing tables that the statement validated.
pub(super) fn validated(before: &Snapshot, after: &Snapshot, existing: &HashSet<u32>) -> Vec<String> {
    sorted(
        after
            .constraints
            .iter()
            .filter(|(oid, c)| {
                let earlier = before.constraints.get(oid);
                // A NOT NULL constraint counts only when a NOT VALID one was validated: the one `SET NOT
                // NULL` adds (from PostgreSQL 18 on) is valid from the start, and the statement's scan, or
                // what proved it without one, is reported already. So a trace reads the same on every major.
                let fresh_not_null = c.not_null && earlier.is_none();
                c.validated
                    && !fresh_not_null
                    && existing.contains(&c.table)
                    && earlier.is_none_or(|b| !b.validated)
            })
            .map(|(_, c)| c.name.clone()),
    )
}

/// What the server's messages during a statement say: the tables it read whole, what proved a constraint
/// without a scan, and the other notices as they are.
pub(super) struct Read {
    pub(super) scans: Vec<Scan>,
    pub(super) proven: Vec<String>,
    pub(super) notices: Vec<String>,
}

pub(super) fn read_notices(
    traced: &[Notice],
    after: &Snapshot,
    locks_after: &HashMap<u32, LockMode>,
    existing: &HashSet<u32>,
    names: &HashMap<u32, Relation>,
    rewrites: &[RelationRef],
) -> Read {
    let mut scans = Vec::new();
    let mut proven = Vec::new();
    let mut notices = Vec::new();
    for notice in traced {
        if notice.severity != "DEBUG" {
            notices.push(notice.to_string());
            continue;
        }
        if let Some(found) = scan(&notice.message, after, locks_after) {
            let (oid, reason) = found;
            if existing.contains(&oid) {
                let scan = Scan {
                    table: names[&oid].name.clone(),
                    reason,
                };
                if !scans.contains(&scan) {
                    scans.push(scan);
                }
            }
        } else if notice.message.contains("are sufficient to prove")
            || notice
                .message
                .contains("is implied by existing constraints")
        {
            proven.push(notice.message.clone());
        }
    }
    // A rewritten table's indexes are built again from its rows: part of the rewrite, not a scan of its own.
    scans.retain(|scan| !rewrites.iter().any(|r| r.relation == scan.table));
    Read {
        scans,
        proven,
        notices,
    }
}

/// `scans` with the tables of `existing` the statement read by a sequential scan, by the tables' row
/// statistics before and after it: an UPDATE or DELETE of every row, a copy, a query the server planned
/// that way. Each row read counts, so an empty
/// table is left out (its scan costs nothing here, and the plan on a table with rows may differ). A table
/// already listed for the server's own message, or rewritten, stays as it is.
pub(super) fn with_sequential_scans(
    mut scans: Vec<Scan>,
    before: &Snapshot,
    after: &Snapshot,
    existing: &HashSet<u32>,
    rewrites: &[RelationRef],
) -> Vec<Scan> {
    let mut found: Vec<(&Relation, RowCounts)> = after
        .relations
        .iter()
        .filter(|(oid, _)| existing.contains(oid))
        .filter_map(|(oid, r)| {
            let done = r
                .rows
                .since(before.relations.get(oid).map_or_else(RowCounts::default, |b| b.rows));
            (done.seq_scans > 0 && done.read > 0).then_some((r, done))
        })
        .collect();
    found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    for (relation, done) in found {
        if scans.iter().any(|s| s.table == relation.name)
            || rewrites.iter().any(|r| r.relation == relation.name)
        {
            continue;
        }
        let mut reason = format!("sequential scan: {} row(s) read", done.read);
        if done.updated > 0 {
            reason.push_str(&format!(", {} updated", done.updated));
        }
        if done.deleted > 0 {
            reason.push_str(&format!(", {} deleted", done.deleted));
        }
        scans.push(Scan {
            table: relation.name.clone(),
            reason,
        });
    }
    scans
}

/// The table a server's `DEBUG` message says a statement read whole, and why; `None` for other messages.
fn scan(message: &str, after: &Snapshot, locked: &HashMap<u32, LockMode>) -> Option<(u32, String)> {
    let quoted = |text: &str| -> Option<String> {
        let start = text.find('"')? + 1;
        let end = start + text[start..].find('"')?;
        Some(text[start..end].to_owned())
    };
    // A bare name may be in several schemas: the one this statement locked.
    let table = |relname: &str| -> Option<u32> {
        let mut found: Vec<u32> = after
            .relations
            .iter()
            .filter(|(_, r)| {
                r.relname == relname && !matches!(r.kind, RelationKind::Index | RelationKind::Sequence)
            })
            .map(|(oid, _)| *oid)
            .collect();
        found.sort_by_key(|oid| !locked.contains_key(oid));
        found.first().copied()
    };
    if let Some(rest) = message.strip_prefix("verifying table ") {
        return Some((
            table(&quoted(rest)?)?,
            "verifying table: every row checked against a new constraint or NOT NULL".to_owned(),
        ));
    }
    if let Some(rest) = message.strip_prefix("validating foreign key constraint ") {
        let name = quoted(rest)?;
        let constraint = after.constraints.values().find(|c| c.name == name)?;
        return Some((
            constraint.table,
            format!("validating foreign key constraint \"{name}\": every row looked up in the referenced table"),
        ));
    }
    if let Some(rest) = message.strip_prefix("building index ") {
        let index = quoted(rest)?;
        let on = rest.split_once(" on table ")?.1;
        return Some((
            table(&quoted(on)?)?,
            format!("building index \"{index}\": every row read"),
        ));
    }
    None
}

fn sorted(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::catalog::Constraint;

    fn relation(name: &str, kind: RelationKind, file: u32) -> Relation {
        Relation {
            name: name.to_owned(),
            kind,
            file,
            table: None,
            relname: name.to_owned(),
            rows: RowCounts::default(),
        }
    }

    fn snapshot(relations: Vec<(u32, Relation)>, constraints: Vec<(u32, Constraint)>) -> Snapshot {
        Snapshot {
            relations: relations.into_iter().collect(),
            constraints: constraints.into_iter().collect(),
            locks: HashMap::new(),
        }
    }

    fn constraint(name: &str, table: u32, validated: bool, not_null: bool) -> Constraint {
        Constraint {
            name: name.to_owned(),
            table,
            validated,
            not_null,
        }
    }

    #[test]
    fn an_index_dropped_and_created_under_its_name_is_rebuilt_a_new_file_is_a_rewrite() {
        let before = snapshot(
            vec![
                (1, relation("posts", RelationKind::Table, 10)),
                (2, relation("posts_title_index", RelationKind::Index, 20)),
                (3, relation("old", RelationKind::Table, 30)),
            ],
            Vec::new(),
        );
        let after = snapshot(
            vec![
                (1, relation("posts", RelationKind::Table, 11)),
                (4, relation("posts_title_index", RelationKind::Index, 40)),
                (5, relation("new", RelationKind::Table, 50)),
            ],
            Vec::new(),
        );
        let existing: HashSet<u32> = [1, 2, 3].into_iter().collect();
        let Changes {
            created,
            dropped,
            rewrites,
        } = changes(&before, &after, &existing);
        assert_eq!(created, ["new"]);
        assert_eq!(dropped, ["old"]);
        // Tables first, then indexes.
        assert_eq!(
            rewrites
                .iter()
                .map(|r| (r.relation.as_str(), r.kind))
                .collect::<Vec<_>>(),
            [
                ("posts", RelationKind::Table),
                ("posts_title_index", RelationKind::Index)
            ]
        );
    }

    #[test]
    fn only_constraints_of_existing_tables_that_became_valid_count_as_validated() {
        let before = snapshot(
            Vec::new(),
            vec![
                (1, constraint("checked_later", 7, false, false)),
                (2, constraint("valid_already", 7, true, false)),
            ],
        );
        let after = snapshot(
            Vec::new(),
            vec![
                (1, constraint("checked_later", 7, true, false)),
                (2, constraint("valid_already", 7, true, false)),
                // PostgreSQL 18's `SET NOT NULL` adds a NOT NULL constraint valid from the start.
                (3, constraint("fresh_not_null", 7, true, true)),
                (4, constraint("added_valid", 7, true, false)),
                (5, constraint("on_a_new_table", 8, true, false)),
            ],
        );
        let existing: HashSet<u32> = [7].into_iter().collect();
        assert_eq!(
            validated(&before, &after, &existing),
            ["added_valid", "checked_later"]
        );
    }
}
