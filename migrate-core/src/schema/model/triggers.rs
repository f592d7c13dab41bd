//! Triggers and rules: those of the model's tables (on their [`Table`]) and those of the relations the
//! model does not hold as tables (views, foreign tables, an extension's tables), held by the relation's name
//! in [`Model::triggers_and_rules`].

use std::collections::BTreeMap;

use super::{Model, QName, Table};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trigger {
    pub function: QName,
    pub timing: &'static str,
    pub events: Vec<&'static str>,
    pub update_columns: Vec<String>,
    pub for_each_row: bool,
    pub when: Option<String>,
    pub arguments: Vec<String>,
    /// `pg_get_triggerdef`: what two triggers are compared by, and what the description and the SQL show.
    pub definition: String,
    pub comment: Option<String>,
    /// Its name as the server quotes it (`quote_ident`): what the SQL's `ALTER TABLE .. TRIGGER` and
    /// `COMMENT ON TRIGGER` name.
    pub quoted: String,
    /// `tgenabled`: `O` (fires, the default), `D` (disabled), `R` (fires on replicas only), `A` (always).
    pub enabled: char,
    /// A partition's copy of its parent's trigger: described, not created (the parent's makes it).
    pub inherited: bool,
    /// One PostgreSQL made for a constraint (a foreign key's): held only for its comment, which the SQL
    /// has always set.
    pub internal: bool,
    /// Its oid: the SQL creates triggers in the order they were created.
    pub created: u32,
}

impl Trigger {
    /// Created by the SQL: not a partition's copy of its parent's, not an internal one.
    pub fn created_by_sql(&self) -> bool {
        !self.inherited && !self.internal
    }

    /// A row-level `AFTER INSERT` trigger calling `app.log()`, for the renderers' tests.
    #[cfg(test)]
    pub fn example(definition: &str, enabled: char, created: u32) -> Trigger {
        Trigger {
            function: ("app".to_owned(), "log".to_owned()),
            timing: "after",
            events: vec!["on_insert"],
            update_columns: Vec::new(),
            for_each_row: true,
            when: None,
            arguments: Vec::new(),
            definition: definition.to_owned(),
            comment: None,
            quoted: String::new(),
            enabled,
            inherited: false,
            internal: false,
            created,
        }
    }
}

/// A rule other than a view's own (`_RETURN`, the view's query).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    /// `pg_get_ruledef`: what the description and the SQL show.
    pub definition: String,
    /// Its oid: the SQL creates rules in the order they were created.
    pub created: u32,
}

/// The triggers and rules of a relation the model does not hold as a table.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct TriggersAndRules {
    /// The relation's `schema.name` as the server quotes it: what the description and the SQL show.
    pub quoted: String,
    /// Its `relkind`: `v` (view), `f` (foreign table), `r` or `p` (an extension's table).
    pub kind: char,
    /// A member of an extension: the description leaves it out (the extension stands for it), the SQL has
    /// always written its triggers and rules.
    pub extension_member: bool,
    pub triggers: BTreeMap<String, Trigger>,
    pub rules: BTreeMap<String, Rule>,
}

impl TriggersAndRules {
    /// Whether the description shows the relation's lines: the views, materialized views and foreign
    /// tables the description reads, not an extension's members.
    pub fn described(&self) -> bool {
        !self.extension_member && matches!(self.kind, 'v' | 'm' | 'f')
    }
}

/// A trigger or a rule with where it is: its relation's quoted name and whether the description shows
/// that relation.
pub(crate) struct On<'m, T> {
    pub relation: &'m str,
    pub described: bool,
    pub item: &'m T,
}

impl Model {
    /// Every trigger the model holds, the tables' (their own, their copies of a parent's and their internal
    /// ones) and the other relations'.
    pub fn every_trigger(&self) -> Vec<On<'_, Trigger>> {
        let of_tables = self.tables.values().flat_map(|table: &Table| {
            table
                .triggers
                .values()
                .chain(table.other_triggers.values())
                .map(move |item| On {
                    relation: table.quoted.as_str(),
                    described: true,
                    item,
                })
        });
        let of_others = self.triggers_and_rules.values().flat_map(|other| {
            other.triggers.values().map(move |item| On {
                relation: other.quoted.as_str(),
                described: other.described(),
                item,
            })
        });
        of_tables.chain(of_others).collect()
    }

    /// Every rule the model holds, the tables' and the other relations'.
    pub fn every_rule(&self) -> Vec<On<'_, Rule>> {
        let of_tables = self.tables.values().flat_map(|table: &Table| {
            table.rules.values().map(move |item| On {
                relation: table.quoted.as_str(),
                described: true,
                item,
            })
        });
        let of_others = self.triggers_and_rules.values().flat_map(|other| {
            other.rules.values().map(move |item| On {
                relation: other.quoted.as_str(),
                described: other.described(),
                item,
            })
        });
        of_tables.chain(of_others).collect()
    }
}
