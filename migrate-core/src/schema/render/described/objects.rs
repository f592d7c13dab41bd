//! Schemas, sequences, functions (procedures, aggregates), default privileges and event triggers as the
//! description's objects.

use migrate_dsl::literal;

use crate::schema::description::{Kind, SchemaObject};
use crate::schema::model::Model;

pub(crate) fn objects(model: &Model, out: &mut Vec<SchemaObject>) {
    schemas(model, out);
    sequences(model, out);
    functions(model, out);
    default_privileges(model, out);
    event_triggers(model, out);
}

/// The lines every object ends with: its privileges' lines, then its comment.
fn privileges_and_comment(object: &mut SchemaObject, privileges: &[String], comment: Option<&str>) {
    for line in privileges {
        object.line(line.as_str());
    }
    if let Some(comment) = comment {
        object.line(format!("comment {comment:?}"));
    }
}

fn schemas(model: &Model, out: &mut Vec<SchemaObject>) {
    for schema in model.schemas.values() {
        let mut object = SchemaObject::new(Kind::Schema, schema.quoted.clone());
        privileges_and_comment(&mut object, &schema.privileges, schema.comment.as_deref());
        out.push(object);
    }
}

/// Every sequence with its settings (not its current value: data, not schema) and owner.
fn sequences(model: &Model, out: &mut Vec<SchemaObject>) {
    for sequence in model.sequences.values() {
        let mut object = SchemaObject::new(Kind::Sequence, sequence.quoted.clone());
        object.summary(format!(
            "as {} start {} increment {} min {} max {} cache {}",
            sequence.data_type,
            sequence.start,
            sequence.increment,
            sequence.min,
            sequence.max,
            sequence.cache
        ));
        if sequence.cycle {
            object.summary("cycle");
        }
        if let Some(owner) = &sequence.owner_quoted {
            object.summary(format!("owned by {owner}"));
            if sequence.identity {
                object.summary("(identity)");
            }
        }
        privileges_and_comment(
            &mut object,
            &sequence.privileges,
            sequence.comment.as_deref(),
        );
        out.push(object);
    }
}

/// `ALTER DEFAULT PRIVILEGES`, one object per role, schema and kind of object.
fn default_privileges(model: &Model, out: &mut Vec<SchemaObject>) {
    for (name, lines) in &model.default_privilege_lines {
        let mut object = SchemaObject::new(Kind::DefaultPrivileges, name.clone());
        privileges_and_comment(&mut object, lines, None);
        out.push(object);
    }
}

/// Functions, procedures and aggregates by their input argument types (what tells overloads apart; the
/// names of arguments and `IN` markers vary between majors), those PostgreSQL made for a type left out. An
/// aggregate shows its result, the others their definition.
fn functions(model: &Model, out: &mut Vec<SchemaObject>) {
    for function in model.functions.values().filter(|f| !f.internal) {
        let kind = match function.kind {
            'p' => Kind::Procedure,
            'a' => Kind::Aggregate,
            _ => Kind::Function,
        };
        let mut object = SchemaObject::new(kind, function.signature.clone());
        if kind == Kind::Aggregate {
            if let Some(result) = &function.result {
                object.summary(format!("returns {result}"));
            }
        } else {
            object.block("as", &function.definition);
        }
        privileges_and_comment(
            &mut object,
            &function.privileges,
            function.comment.as_deref(),
        );
        out.push(object);
    }
}

fn event_triggers(model: &Model, out: &mut Vec<SchemaObject>) {
    for trigger in model.event_triggers.values() {
        let mut object = SchemaObject::new(Kind::EventTrigger, trigger.quoted.clone());
        object.summary(format!("on {}", trigger.event));
        if !trigger.tags.is_empty() {
            let tags: Vec<String> = trigger.tags.iter().map(|t| literal(t)).collect();
            object.summary(format!("when tag in ({})", tags.join(", ")));
        }
        object.summary(format!("execute {}", trigger.function));
        match trigger.enabled {
            'O' => {}
            'D' => object.summary("(disabled)"),
            'R' => object.summary("(enabled replica)"),
            'A' => object.summary("(enabled always)"),
            _ => object.summary("(unknown state)"),
        }
        privileges_and_comment(&mut object, &[], trigger.comment.as_deref());
        out.push(object);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::description::SchemaDescription;
    use crate::schema::model::{EventTrigger, Function};

    fn function(kind: char, signature: &str) -> Function {
        Function {
            kind,
            procedure: kind == 'p',
            params: Vec::new(),
            result: Some("integer".to_owned()),
            language: "sql".to_owned(),
            body: String::new(),
            volatility: 'v',
            strict: false,
            security_definer: false,
            parallel: 'u',
            config: Vec::new(),
            definition: format!("CREATE OR REPLACE FUNCTION {signature}\n RETURNS integer\n"),
            comment: None,
            internal: false,
            signature: signature.to_owned(),
            quoted: signature.to_owned(),
            privileges: vec!["revoke EXECUTE from PUBLIC".to_owned()],
            needs_tables: false,
            created: 1,
        }
    }

    /// An aggregate shows its result, a function its definition; one PostgreSQL made for a type is left
    /// out; an event trigger shows its tags as literals and its state.
    #[test]
    fn routines_and_event_triggers_are_described_as_the_schema_file_shows_them() {
        let mut model = Model::default();
        let key = |name: &str| (("a".to_owned(), name.to_owned()), "integer".to_owned());
        model.functions.insert(key("total"), function('a', "a.total(integer)"));
        model.functions.insert(key("f"), function('f', "a.f(integer)"));
        let mut internal = function('f', "a.span(integer)");
        internal.internal = true;
        model.functions.insert(key("span"), internal);
        model.event_triggers.insert(
            "Log".to_owned(),
            EventTrigger {
                quoted: "\"Log\"".to_owned(),
                event: "ddl_command_end".to_owned(),
                function: "a.log()".to_owned(),
                tags: vec!["CREATE TABLE".to_owned(), "it's".to_owned()],
                enabled: 'D',
                comment: Some("a \\ b".to_owned()),
            },
        );
        let mut out = Vec::new();
        objects(&model, &mut out);
        let text = SchemaDescription::new(out).render();
        assert!(
            text.ends_with(
                "\nfunction a.f(integer)\n  as\n    CREATE OR REPLACE FUNCTION a.f(integer)\n     RETURNS integer\n  \
                 revoke EXECUTE from PUBLIC\n\n\
                 aggregate a.total(integer) returns integer\n  revoke EXECUTE from PUBLIC\n\n\
                 event trigger \"Log\" on ddl_command_end when tag in ('CREATE TABLE', 'it''s') execute a.log() \
                 (disabled)\n  comment \"a \\\\ b\"\n"
            ),
            "{text}"
        );
    }
}
