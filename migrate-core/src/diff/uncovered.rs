//! What the generator does not write, found by comparing the two schemas' descriptions (objects of kinds
//! it has no model for, and table settings it does not compare) and by a sweep of every catalog of the
//! database for objects of kinds neither the model nor the description reads ([`Others`], read by
//! the schema reader).

use crate::schema::reader::Others;
use crate::schema::{Kind, SchemaDescription, SchemaObject};

/// Kinds the generator writes (the rest of a difference in them is reported by the planner).
const MODELLED: [Kind; 13] = [
    Kind::Schema,
    Kind::Extension,
    Kind::Enum,
    Kind::Domain,
    Kind::CompositeType,
    Kind::Table,
    Kind::PartitionedTable,
    Kind::View,
    Kind::MaterializedView,
    Kind::Sequence,
    Kind::Function,
    Kind::Procedure,
    Kind::DefaultPrivileges,
];

/// Table lines the model does not read: rules, extended statistics.
const UNMODELLED_LINES: [&str; 2] = ["CREATE RULE ", "CREATE STATISTICS "];

pub(crate) fn uncovered(from: &SchemaDescription, to: &SchemaDescription) -> Vec<String> {
    let mut out = Vec::new();
    let find = |d: &SchemaDescription, o: &SchemaObject| {
        d.objects()
            .iter()
            .find(|x| x.kind() == o.kind() && x.name() == o.name())
            .cloned()
    };
    for object in to.objects() {
        let current = find(from, object);
        if current.as_ref() == Some(object) {
            continue;
        }
        if !MODELLED.contains(&object.kind()) {
            out.push(format!("{} {}: not generated (no model for it)", object.kind().word(), object.name()));
            continue;
        }
        let before: Vec<&str> = current.as_ref().map(|c| c.lines().iter().map(String::as_str).collect()).unwrap_or_default();
        // Privileges are modelled on tables, schemas, default privileges, views, sequences and routines;
        // a column's are not.
        let table = matches!(
            object.kind(),
            Kind::Table
                | Kind::PartitionedTable
                | Kind::Schema
                | Kind::DefaultPrivileges
                | Kind::View
                | Kind::MaterializedView
                | Kind::Sequence
                | Kind::Function
                | Kind::Procedure
        );
        let after: Vec<&str> = object.lines().iter().map(String::as_str).collect();
        let unmodelled = |line: &str| {
            let trimmed = line.trim_start();
            UNMODELLED_LINES.iter().any(|p| trimmed.starts_with(p))
                || ((!table || trimmed.contains(" (column "))
                    && (trimmed.starts_with("grant ") || trimmed.starts_with("revoke ")))
        };
        for line in &before {
            if unmodelled(line) && !after.contains(line) {
                out.push(format!("{} {}: {} (not dropped)", object.kind().word(), object.name(), line.trim()));
            }
        }
        for line in object.lines() {
            if unmodelled(line) && !before.contains(&line.as_str()) {
                out.push(format!("{} {}: {} (not generated)", object.kind().word(), object.name(), line.trim()));
            }
        }
    }
    for object in from.objects() {
        if find(to, object).is_none()
            && !MODELLED.contains(&object.kind())
        {
            out.push(format!("{} {}: not dropped (no model for it)", object.kind().word(), object.name()));
        }
    }
    out
}

/// The objects [`others`] found that differ between the two databases: none is written.
pub(crate) fn other_differences(from: &Others, to: &Others) -> Vec<String> {
    let mut out = Vec::new();
    let mut unread: Vec<&String> = from.unread.iter().chain(&to.unread).collect();
    unread.sort();
    unread.dedup();
    for catalog in unread {
        out.push(format!(
            "the objects in {catalog}: not compared (the configured role may not read that catalog)"
        ));
    }
    for ((kind, identity), definition) in &to.objects {
        match from.objects.get(&(kind.clone(), identity.clone())) {
            None => out.push(format!("{kind} {identity}: not generated (no model for it)")),
            Some(current) if current != definition => {
                out.push(format!("{kind} {identity}: changed, not generated (no model for it)"))
            }
            Some(_) => {}
        }
    }
    for (kind, identity) in from.objects.keys() {
        if !to.objects.contains_key(&(kind.clone(), identity.clone())) {
            out.push(format!("{kind} {identity}: not dropped (no model for it)"));
        }
    }
    out
}
