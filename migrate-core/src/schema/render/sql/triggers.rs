//! Triggers and rules as SQL: every relation's the model holds, an extension's tables' too (the SQL has
//! always written them), after the rows load so none fires on a loaded row.

use migrate_dsl::literal;

use crate::schema::model::Model;

/// `CREATE TRIGGER` for each trigger the SQL creates (not a partition's copy of its parent's, which the
/// parent's makes, nor PostgreSQL's internal ones), in the order they were created, each followed by its
/// state when it is not the default; then `CREATE RULE` for each rule, in the order they were created.
pub(crate) fn triggers_and_rules(model: &Model) -> Vec<String> {
    let mut triggers = model.every_trigger();
    triggers.retain(|on| on.item.created_by_sql());
    triggers.sort_by_key(|on| on.item.created);
    let mut out = Vec::new();
    for on in triggers {
        out.push(on.item.definition.clone());
        let state = match on.item.enabled {
            'D' => "DISABLE",
            'R' => "ENABLE REPLICA",
            'A' => "ENABLE ALWAYS",
            _ => continue,
        };
        out.push(format!("ALTER TABLE {} {state} TRIGGER {}", on.relation, on.item.quoted));
    }
    let mut rules = model.every_rule();
    rules.sort_by_key(|on| on.item.created);
    for on in rules {
        out.push(on.item.definition.trim_end().trim_end_matches(';').to_owned());
    }
    out
}

/// `COMMENT ON TRIGGER` for each trigger with a comment, whichever it is (the caller sorts them with the
/// other comments).
pub(crate) fn trigger_comments(model: &Model) -> Vec<String> {
    model
        .every_trigger()
        .into_iter()
        .filter_map(|on| {
            let comment = on.item.comment.as_deref()?;
            Some(format!(
                "COMMENT ON TRIGGER {} ON {} IS {}",
                on.item.quoted,
                on.relation,
                literal(comment)
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::model::{Rule, Table, Trigger, TriggersAndRules};

    /// A model with a table (its own triggers, a partition's copy, an internal one, a rule) and an
    /// extension's table (a trigger and a rule), made in an order their names do not follow.
    fn model() -> Model {
        let mut model = Model::default();
        let mut table = Table {
            quoted: "app.\"T\"".to_owned(),
            ..Table::default()
        };
        let mut own = Trigger::example("CREATE TRIGGER \"Own\" ..", 'D', 30);
        own.quoted = "\"Own\"".to_owned();
        own.comment = Some("it's a \\".to_owned());
        table.triggers.insert("Own".to_owned(), own);
        table
            .triggers
            .insert("plain".to_owned(), Trigger::example("CREATE TRIGGER plain ..", 'O', 10));
        let mut copy = Trigger::example("CREATE TRIGGER copy ..", 'O', 5);
        copy.quoted = "copy".to_owned();
        copy.inherited = true;
        copy.comment = Some("the copy's".to_owned());
        table.other_triggers.insert("copy".to_owned(), copy);
        let mut internal = Trigger::example("CREATE CONSTRAINT TRIGGER internal ..", 'O', 6);
        internal.quoted = "internal".to_owned();
        internal.internal = true;
        internal.comment = Some("kept".to_owned());
        table.other_triggers.insert("internal".to_owned(), internal);
        table.rules.insert(
            "b".to_owned(),
            Rule {
                definition: "CREATE RULE b AS\n    ON DELETE TO app.\"T\" DO INSTEAD NOTHING;".to_owned(),
                created: 40,
            },
        );
        model.tables.insert(("app".to_owned(), "T".to_owned()), table);
        let mut owned = TriggersAndRules {
            quoted: "app.owned".to_owned(),
            kind: 'r',
            extension_member: true,
            ..TriggersAndRules::default()
        };
        let mut always = Trigger::example("CREATE TRIGGER always ..", 'A', 20);
        always.quoted = "always".to_owned();
        owned.triggers.insert("always".to_owned(), always);
        owned.rules.insert(
            "a".to_owned(),
            Rule {
                definition: "CREATE RULE a AS ON INSERT TO app.owned DO INSTEAD NOTHING;".to_owned(),
                created: 35,
            },
        );
        model
            .triggers_and_rules
            .insert(("app".to_owned(), "owned".to_owned()), owned);
        model
    }

    /// Triggers in creation order whatever their relation, each with its state when not the default, then
    /// the rules in creation order, without their terminator; a partition's copy and an internal trigger
    /// are not created.
    #[test]
    fn triggers_then_rules_are_created_in_creation_order_with_their_states() {
        assert_eq!(
            triggers_and_rules(&model()),
            [
                "CREATE TRIGGER plain ..",
                "CREATE TRIGGER always ..",
                "ALTER TABLE app.owned ENABLE ALWAYS TRIGGER always",
                "CREATE TRIGGER \"Own\" ..",
                "ALTER TABLE app.\"T\" DISABLE TRIGGER \"Own\"",
                "CREATE RULE a AS ON INSERT TO app.owned DO INSTEAD NOTHING",
                "CREATE RULE b AS\n    ON DELETE TO app.\"T\" DO INSTEAD NOTHING",
            ]
        );
    }

    /// Every trigger's comment is set, a partition's copy's and an internal one's too, quoted as the server
    /// quotes literals.
    #[test]
    fn every_triggers_comment_is_set() {
        let mut comments = trigger_comments(&model());
        comments.sort();
        assert_eq!(
            comments,
            [
                "COMMENT ON TRIGGER \"Own\" ON app.\"T\" IS E'it''s a \\\\'",
                "COMMENT ON TRIGGER copy ON app.\"T\" IS 'the copy''s'",
                "COMMENT ON TRIGGER internal ON app.\"T\" IS 'kept'",
            ]
        );
    }
}
