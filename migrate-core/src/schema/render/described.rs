//! The typed model's objects as the description shows them: one [`SchemaObject`] per object, its name and
//! lines as the server quotes and prints them, so the schema file's text is the same whichever reader made it.

use migrate_dsl::literal;
use crate::schema::description::{Kind, SchemaObject};
use crate::schema::model::Model;

mod foreign;
mod objects;
mod relations;
mod tables;
mod triggers;
mod types;
mod views;
pub(crate) use relations::relations;
pub(crate) use tables::tables;
pub(crate) use views::views;
pub(crate) use triggers::triggers;

/// The description of `model`: every object, with its lines. Its text (the schema file, `verify`,
/// `schema check`, `drift`) comes from the model alone; no part of it is read as text from the catalog.
pub(crate) fn description(model: &Model) -> crate::schema::SchemaDescription {
    let mut objects = Vec::new();
    self::objects(model, &mut objects);
    relations(model, &mut objects);
    crate::schema::SchemaDescription::new(objects)
}

/// The objects of the kinds the description renders from the model, in any order (the description sorts).
pub(crate) fn objects(model: &Model, out: &mut Vec<SchemaObject>) {
    extensions(model, out);
    enums(model, out);
    objects::objects(model, out);
    types::objects(model, out);
}

fn extensions(model: &Model, out: &mut Vec<SchemaObject>) {
    for extension in model.extensions.values() {
        let (name, schema) = &extension.quoted;
        let mut object = SchemaObject::new(Kind::Extension, name.clone());
        object.summary(format!("schema {schema}"));
        out.push(object);
    }
}

/// Each policy of every table as its line of the table's description, with the table's quoted name (the
/// line goes among the table's own, which [`crate::schema::reader`] reads as text so far).
pub(crate) fn policies(model: &Model) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    for table in model.tables.values().filter(|table| !table.of_extension) {
        for policy in table.policies.values() {
            let command = match policy.command {
                'r' => "select",
                'a' => "insert",
                'w' => "update",
                'd' => "delete",
                _ => "all",
            };
            let mut line = format!(
                "policy {} as {} for {command} to {}",
                policy.quoted,
                if policy.permissive { "permissive" } else { "restrictive" },
                policy.quoted_roles
            );
            if let Some(using) = &policy.using {
                line.push_str(&format!(" using ({using})"));
            }
            if let Some(check) = &policy.with_check {
                line.push_str(&format!(" with check ({check})"));
            }
            out.push((table.quoted.as_str(), line));
        }
    }
    out
}

/// An enum: its labels as literals, then the privileges' lines and the comment.
fn enums(model: &Model, out: &mut Vec<SchemaObject>) {
    for enum_ in model.enums.values() {
        let mut object = SchemaObject::new(Kind::Enum, enum_.quoted.clone());
        let labels: Vec<String> = enum_.labels.iter().map(|l| literal(l)).collect();
        object.summary(format!("({})", labels.join(", ")));
        for line in &enum_.privileges {
            object.line(line.as_str());
        }
        if let Some(comment) = &enum_.comment {
            object.line(format!("comment {comment:?}"));
        }
        out.push(object);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::description::SchemaDescription;
    use crate::schema::model::{Enum, Extension};

    /// An extension shows as the schema file has always shown it: its quoted name, then its schema.
    #[test]
    fn an_extension_is_described_by_its_quoted_name_and_schema() {
        let mut model = Model::default();
        model.extensions.insert(
            "uuid-ossp".to_owned(),
            Extension {
                schema: "My Schema".to_owned(),
                quoted: ("\"uuid-ossp\"".to_owned(), "\"My Schema\"".to_owned()),
                created: 16390,
            },
        );
        let mut objects = Vec::new();
        super::objects(&model, &mut objects);
        let text = SchemaDescription::new(objects).render();
        assert!(
            text.ends_with("\nextension \"uuid-ossp\" schema \"My Schema\"\n"),
            "{text}"
        );
    }

    /// An enum shows as the schema file has always shown it: its labels as literals, then its privileges'
    /// lines and its comment.
    #[test]
    fn an_enum_is_described_by_its_labels_privileges_and_comment() {
        let mut model = Model::default();
        model.enums.insert(
            ("app".to_owned(), "Mood".to_owned()),
            Enum {
                labels: vec!["it's".to_owned(), "a\\b".to_owned()],
                quoted: "app.\"Mood\"".to_owned(),
                privileges: vec!["revoke USAGE from PUBLIC".to_owned()],
                comment: Some("how \"they\" feel".to_owned()),
                created: 16400,
            },
        );
        let mut objects = Vec::new();
        super::objects(&model, &mut objects);
        let text = SchemaDescription::new(objects).render();
        assert!(
            text.ends_with(
                "\nenum app.\"Mood\" ('it''s', E'a\\\\b')\n  revoke USAGE from PUBLIC\n  \
                 comment \"how \\\"they\\\" feel\"\n"
            ),
            "{text}"
        );
    }
}
