//! The schema as the generator compares it: objects by name, each with the parts a typed operation takes.
//!
//! Names are raw (as the catalog spells them, not quoted): the builder quotes them. Types, defaults and
//! expressions are SQL text as the server prints it with an empty `search_path`, so every name in them is
//! schema-qualified and they mean the same in any session.

use std::collections::BTreeMap;

/// `(schema, name)`.
pub(crate) type QName = (String, String);

#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    pub schemas: BTreeMap<String, Schema>,
    pub extensions: BTreeMap<String, String>,
    pub enums: BTreeMap<QName, Vec<String>>,
    pub composites: BTreeMap<QName, Vec<(String, String)>>,
    pub domains: BTreeMap<QName, Domain>,
    pub sequences: BTreeMap<QName, Sequence>,
    pub tables: BTreeMap<QName, Table>,
    pub views: BTreeMap<QName, View>,
    pub functions: BTreeMap<(QName, String), Function>,
    /// `ALTER DEFAULT PRIVILEGES` relative to the built-in defaults, one entry per grantee and privilege.
    pub default_privileges: std::collections::BTreeSet<DefaultPrivilege>,
}

/// One granted (or revoked) privilege of the defaults for objects `role` creates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DefaultPrivilege {
    pub role: String,
    /// Only in this schema; `None` for the whole database.
    pub schema: Option<String>,
    /// `TABLES`, `SEQUENCES`, `FUNCTIONS`, `TYPES`, `SCHEMAS`.
    pub objects: String,
    /// Granted beyond the defaults (`true`) or revoked from them.
    pub granted: bool,
    pub grantee: String,
    pub privilege: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Schema {
    pub comment: Option<String>,
    /// `(grantee, privilege)` granted on it beyond the owner's own.
    pub grants: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Domain {
    pub base: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// `(name, expression)` of each check.
    pub checks: Vec<(String, String)>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sequence {
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `(table, column)` for `OWNED BY`; `serial` when made by a serial column's type.
    pub owned_by: Option<(QName, String)>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub unlogged: bool,
    /// `pg_get_partkeydef`: `RANGE (created_at)`.
    pub partition_key: Option<String>,
    /// Parent and `pg_get_expr(relpartbound)`: `FOR VALUES FROM (..) TO (..)`.
    pub partition_of: Option<(QName, String)>,
    pub columns: Vec<Column>,
    pub constraints: BTreeMap<String, Constraint>,
    pub indexes: BTreeMap<String, Index>,
    pub triggers: BTreeMap<String, Trigger>,
    pub policies: BTreeMap<String, Policy>,
    pub row_security: bool,
    pub force_row_security: bool,
    /// `(grantee, privilege)`: what is granted beyond the owner's own.
    pub grants: Vec<(String, String)>,
    pub comment: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// `a` (always) or `d` (by default), with the identity sequence's settings.
    pub identity: Option<(char, Sequence)>,
    pub generated: Option<String>,
    pub collation: Option<QName>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Constraint {
    pub kind: ConstraintKind,
    pub definition: String,
    pub validated: bool,
    pub deferrable: bool,
    pub deferred: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConstraintKind {
    PrimaryKey {
        columns: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
        nulls_not_distinct: bool,
    },
    Check {
        expression: String,
        no_inherit: bool,
    },
    ForeignKey {
        columns: Vec<String>,
        references: QName,
        referenced_columns: Vec<String>,
        on_update: char,
        on_delete: char,
        match_full: bool,
    },
    /// Exclusion constraints: written from their definition.
    Exclude,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Index {
    pub unique: bool,
    pub method: String,
    pub elements: Vec<IndexElement>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
    pub nulls_not_distinct: bool,
    /// `pg_get_indexdef`: what two indexes are compared by.
    pub definition: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexElement {
    /// A column's name, else an expression.
    pub column: Option<String>,
    pub expression: String,
    pub opclass: Option<QName>,
    pub collation: Option<QName>,
    pub descending: bool,
    /// `NULLS FIRST` on an ascending key or `NULLS LAST` on a descending one (not the direction's default).
    pub nulls_flipped: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trigger {
    pub function: QName,
    pub timing: &'static str,
    pub events: Vec<&'static str>,
    pub update_columns: Vec<String>,
    pub for_each_row: bool,
    pub when: Option<String>,
    pub arguments: Vec<String>,
    /// `pg_get_triggerdef`: what two triggers are compared by.
    pub definition: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    pub command: char,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct View {
    pub materialized: bool,
    pub definition: String,
    pub columns: Vec<String>,
    pub options: Vec<(String, String)>,
    pub comment: Option<String>,
    /// Relations it reads (tables and views), for the order of drops and creates.
    pub depends_on: Vec<QName>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Function {
    pub procedure: bool,
    pub params: Vec<Param>,
    /// `pg_get_function_result`; `None` for a procedure.
    pub result: Option<String>,
    pub language: String,
    pub body: String,
    pub volatility: char,
    pub strict: bool,
    pub security_definer: bool,
    pub parallel: char,
    pub config: Vec<(String, String)>,
    /// `pg_get_functiondef`: what two functions are compared by, and what a procedure is written from.
    pub definition: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub name: Option<String>,
    pub data_type: String,
    /// `i`, `o`, `b` (inout), `v` (variadic), `t` (a column of `RETURNS TABLE`).
    pub mode: char,
    pub default: Option<String>,
}
