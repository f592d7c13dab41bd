//! What the generator does not write, found by comparing the two schemas' descriptions: objects of kinds
//! it has no model for, and table settings it does not compare.

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
        // Privileges are modelled on tables, schemas and default privileges only.
        let table = matches!(
            object.kind(),
            Kind::Table | Kind::PartitionedTable | Kind::Schema | Kind::DefaultPrivileges
        );
        let after: Vec<&str> = object.lines().iter().map(String::as_str).collect();
        let unmodelled = |line: &str| {
            let trimmed = line.trim_start();
            UNMODELLED_LINES.iter().any(|p| trimmed.starts_with(p))
                || (!table && (trimmed.starts_with("grant ") || trimmed.starts_with("revoke ")))
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
