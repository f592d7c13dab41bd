//! Triggers and rules as lines of their relation's description: the relation's lines are gathered by
//! [`crate::schema::reader`] (partly still read as text), which puts these among them and sorts them.

use crate::schema::model::{Model, Trigger};

/// The lines of every relation the description shows, each with the relation's quoted name.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct TriggerLines<'m> {
    /// Each trigger's definition with its state, and each rule's definition: listed together.
    pub lines: Vec<(&'m str, String)>,
    /// `comment on trigger ..`: listed with the relation's other comments.
    pub comments: Vec<(&'m str, String)>,
}

/// The triggers (a partition's copies of its parent's too, not PostgreSQL's internal ones) and rules of
/// the relations the description shows (not an extension's), with the triggers' comments.
pub(crate) fn triggers(model: &Model) -> TriggerLines<'_> {
    let mut out = TriggerLines::default();
    for on in model.every_trigger() {
        if !on.described || on.item.internal {
            continue;
        }
        out.lines.push((on.relation, trigger_line(on.item)));
        if let Some(text) = &on.item.comment {
            out.comments
                .push((on.relation, format!("comment on trigger {} {text:?}", on.item.quoted)));
        }
    }
    for on in model.every_rule() {
        if on.described {
            out.lines.push((on.relation, on.item.definition.clone()));
        }
    }
    out
}

/// The server's definition, then the state when it is not the default.
fn trigger_line(trigger: &Trigger) -> String {
    let state = match trigger.enabled {
        'O' => "",
        'D' => " (disabled)",
        'R' => " (enabled replica)",
        'A' => " (enabled always)",
        _ => " (unknown state)",
    };
    format!("{}{state}", trigger.definition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{Rule, Table, TriggersAndRules};

    fn trigger(definition: &str, enabled: char, created: u32) -> Trigger {
        Trigger::example(definition, enabled, created)
    }

    /// A table's triggers show their state and comment, a partition's copy of its parent's shows too, an
    /// internal one does not; a view's and a foreign table's show, an extension's table's do not.
    #[test]
    fn triggers_and_rules_are_lines_of_the_relations_the_description_shows() {
        let mut model = Model::default();
        let mut table = Table {
            quoted: "app.\"T\"".to_owned(),
            ..Table::default()
        };
        let mut own = trigger("CREATE TRIGGER \"Own\" ..", 'D', 10);
        own.quoted = "\"Own\"".to_owned();
        own.comment = Some("it's \"a\" \\".to_owned());
        table.triggers.insert("Own".to_owned(), own);
        let mut copy = trigger("CREATE TRIGGER copy ..", 'R', 11);
        copy.inherited = true;
        table.other_triggers.insert("copy".to_owned(), copy);
        let mut internal = trigger("CREATE CONSTRAINT TRIGGER \"RI_ConstraintTrigger_a_1\" ..", 'O', 12);
        internal.internal = true;
        internal.comment = Some("not shown".to_owned());
        table
            .other_triggers
            .insert("RI_ConstraintTrigger_a_1".to_owned(), internal);
        table.rules.insert(
            "keep".to_owned(),
            Rule {
                definition: "CREATE RULE keep AS\n    ON DELETE TO app.\"T\" DO INSTEAD NOTHING;".to_owned(),
                created: 13,
            },
        );
        model.tables.insert(("app".to_owned(), "T".to_owned()), table);
        for (name, kind, extension_member) in [("v", 'v', false), ("f", 'f', false), ("x", 'r', true)] {
            let mut other = TriggersAndRules {
                quoted: format!("app.{name}"),
                kind,
                extension_member,
                ..TriggersAndRules::default()
            };
            other
                .triggers
                .insert(name.to_owned(), trigger(&format!("CREATE TRIGGER {name} .."), 'A', 20));
            model
                .triggers_and_rules
                .insert(("app".to_owned(), name.to_owned()), other);
        }
        let mut lines = triggers(&model);
        lines.lines.sort();
        assert_eq!(
            lines,
            TriggerLines {
                lines: vec![
                    ("app.\"T\"", "CREATE RULE keep AS\n    ON DELETE TO app.\"T\" DO INSTEAD NOTHING;".to_owned()),
                    ("app.\"T\"", "CREATE TRIGGER \"Own\" .. (disabled)".to_owned()),
                    ("app.\"T\"", "CREATE TRIGGER copy .. (enabled replica)".to_owned()),
                    ("app.f", "CREATE TRIGGER f .. (enabled always)".to_owned()),
                    ("app.v", "CREATE TRIGGER v .. (enabled always)".to_owned()),
                ],
                comments: vec![("app.\"T\"", "comment on trigger \"Own\" \"it's \\\"a\\\" \\\\\"".to_owned())],
            }
        );
    }
}
