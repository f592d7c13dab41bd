//! The schema as typed data: objects by name, each with the parts a typed operation takes. Read from the
//! catalog by [`super::reader`]; `diff` compares two of them.
//!
//! Names are raw (as the catalog spells them, not quoted): the builder quotes them. Types, defaults and
//! expressions are SQL text as the server prints it with an empty `search_path`, so every name in them is
//! schema-qualified and they mean the same in any session.
//!
//! One file per group of kinds: [`tables`] (a table and its parts), [`triggers`] (triggers and rules, the
//! tables' and other relations'), [`types`] (ranges, composite types, operators, operator families, casts),
//! [`views`] (views and materialized views), [`extension_members`] (what a user gave an extension's own
//! objects), [`objects`] (everything else).

mod extension_members;
mod objects;
mod tables;
mod triggers;
mod types;
mod views;

pub(crate) use extension_members::ExtensionMember;
pub(crate) use objects::{
    DefaultPrivilege, Domain, DomainCheck, Enum, EventTrigger, Extension, Function, Param, Schema, Sequence,
};
pub(crate) use tables::{
    Column, Constraint, ConstraintKind, Index, IndexElement, Policy, Table,
};
pub(crate) use triggers::{Rule, Trigger, TriggersAndRules};
pub(crate) use types::{
    Attribute, Cast, Composite, Operator, OperatorClass, OperatorFamily, Range,
};
pub(crate) use views::View;
#[cfg(test)]
pub(crate) use views::tests::view as test_view;

use std::collections::BTreeMap;

/// `(schema, name)`.
pub(crate) type QName = (String, String);

/// Every object of a database that the model reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, Extension>,
    pub enums: BTreeMap<QName, Enum>,
    pub composites: BTreeMap<QName, Composite>,
    pub domains: BTreeMap<QName, Domain>,
    pub ranges: BTreeMap<QName, Range>,
    pub sequences: BTreeMap<QName, Sequence>,
    pub tables: BTreeMap<QName, Table>,
    /// Foreign tables, as tables (with their columns, checks, statistics objects, comments and privileges;
    /// their server and options are not read). The description shows them; the SQL does not create them
    /// (`squash` refuses when the copy's description differs) but writes their statistics objects,
    /// comments and privileges, as it always has; `diff` does not compare them (it lists them as not
    /// generated). An extension's are flagged `of_extension` as its tables are.
    pub foreign_tables: BTreeMap<QName, Table>,
    pub views: BTreeMap<QName, View>,
    /// The triggers and rules of the relations other than the tables above (views, foreign tables, an
    /// extension's tables), by the relation's name; the tables hold theirs.
    pub triggers_and_rules: BTreeMap<QName, TriggersAndRules>,
    pub functions: BTreeMap<(QName, String), Function>,
    /// `ALTER DEFAULT PRIVILEGES` relative to the built-in defaults, one entry per grantee and privilege.
    pub default_privileges: std::collections::BTreeSet<DefaultPrivilege>,
    /// The same `ALTER DEFAULT PRIVILEGES` as the description shows them: each entry's `for role .. [in
    /// schema ..] on ..` (names quoted as the server quotes them) and its `grant ..` / `revoke ..` lines
    /// (grant options too, which `diff` does not compare).
    pub default_privilege_lines: BTreeMap<String, Vec<String>>,
    pub event_triggers: BTreeMap<String, EventTrigger>,
    /// By name and `(left, right)` argument types (`format_type`, `NONE` for a prefix operator's left).
    pub operators: BTreeMap<(QName, String), Operator>,
    /// By name and access method.
    pub operator_families: BTreeMap<(QName, String), OperatorFamily>,
    /// By `(source, target)` types (`format_type`).
    pub casts: BTreeMap<(String, String), Cast>,
    /// The comments and privileges a user gave an extension's schemas, sequences, functions and types,
    /// which the maps above leave out: only the SQL writes them (`diff` and the description do not read
    /// them). In the order the SQL writes their privileges: types, sequences, functions, each in creation
    /// order, then schemas.
    pub extension_members: Vec<ExtensionMember>,
}
