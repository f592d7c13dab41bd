//! The relations of the description (tables of every kind, foreign tables, views and materialized views),
//! each with its lines in the description's order: columns in their ordinal order, then constraints,
//! indexes and statistics objects, triggers and rules, policies, privileges and comments, each group sorted.

use crate::schema::description::SchemaObject;
use crate::schema::model::Model;

/// Lines gathered per relation, shown in this order.
#[derive(Default)]
struct Parts {
    columns: Vec<String>,
    constraints: Vec<String>,
    indexes: Vec<String>,
    triggers: Vec<String>,
    policies: Vec<String>,
    grants: Vec<String>,
    comments: Vec<String>,
}

/// Every relation `model` holds, with its parts' lines (a trigger, rule or policy of a relation the
/// description leaves out, an extension's, is left out with it).
pub(crate) fn relations(model: &Model, out: &mut Vec<SchemaObject>) {
    let mut found = std::collections::BTreeMap::new();
    for relation in super::tables(model).into_iter().chain(super::views(model)) {
        let parts = Parts {
            columns: relation.columns,
            constraints: relation.constraints,
            indexes: relation.indexes,
            grants: relation.grants,
            comments: relation.comments,
            ..Parts::default()
        };
        found.insert(relation.object.name().to_owned(), (relation.object, parts));
    }
    let triggers = super::triggers(model);
    for (relation, line) in triggers.lines {
        if let Some((_, parts)) = found.get_mut(relation) {
            parts.triggers.push(line);
        }
    }
    for (relation, line) in triggers.comments {
        if let Some((_, parts)) = found.get_mut(relation) {
            parts.comments.push(line);
        }
    }
    for (relation, line) in super::policies(model) {
        if let Some((_, parts)) = found.get_mut(relation) {
            parts.policies.push(line);
        }
    }
    for (_, (mut object, mut parts)) in found {
        // Columns keep their ordinal order; everything else is sorted.
        for list in [
            &mut parts.constraints,
            &mut parts.indexes,
            &mut parts.triggers,
            &mut parts.policies,
            &mut parts.grants,
            &mut parts.comments,
        ] {
            list.sort();
        }
        for line in parts
            .columns
            .into_iter()
            .chain(parts.constraints)
            .chain(parts.indexes)
            .chain(parts.triggers)
            .chain(parts.policies)
            .chain(parts.grants)
            .chain(parts.comments)
        {
            object.line(line);
        }
        out.push(object);
    }
}
