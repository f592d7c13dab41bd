//! A table of the model and its parts: columns, constraints, indexes and policies (its triggers and rules
//! are in [`super::triggers`]).

use std::collections::BTreeMap;

use super::objects::Sequence;
use super::triggers::{Rule, Trigger};
use super::QName;

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Table {
    /// `schema.name` as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    pub unlogged: bool,
    /// `pg_get_partkeydef`: `RANGE (created_at)`.
    pub partition_key: Option<String>,
    /// Parent and `pg_get_expr(relpartbound)`: `FOR VALUES FROM (..) TO (..)`.
    pub partition_of: Option<(QName, String)>,
    /// A partition's parent as the server quotes it: the description and the SQL show it before the bound.
    pub quoted_parent: Option<String>,
    /// The tables it inherits from (not a partition's parent), quoted, in their order.
    pub inherits: Vec<String>,
    /// Its storage parameters as the server prints them (`fillfactor=70`).
    pub options: Vec<String>,
    /// Its access method, quoted, when not `heap`.
    pub access_method: Option<String>,
    /// Its tablespace, quoted, when not the database's default.
    pub tablespace: Option<String>,
    /// `relreplident`: `d` (default), `n` (nothing), `f` (full), `i` (an index's).
    pub replica_identity: char,
    pub columns: Vec<Column>,
    pub constraints: BTreeMap<String, Constraint>,
    /// The constraints the description shows but `diff` does not compare and the SQL does not create: those
    /// a partition or a child table got from its parent (PostgreSQL makes them with the table) and those of
    /// constraint triggers (created with the triggers).
    pub other_constraints: BTreeMap<String, Constraint>,
    pub indexes: BTreeMap<String, Index>,
    /// The indexes the description shows but `diff` does not compare and the SQL does not create: those of
    /// constraints (made with the constraint) and those attached to a partitioned table's index (made with
    /// the partition).
    pub other_indexes: BTreeMap<String, Index>,
    /// Its statistics objects: `pg_get_statisticsobjdef` (what the description and the SQL show) and oid
    /// (the SQL creates them in the order they were created). `diff` does not compare them.
    pub statistics: Vec<(u32, String)>,
    /// Its own triggers (what `diff` compares).
    pub triggers: BTreeMap<String, Trigger>,
    /// The triggers `diff` does not compare and the SQL does not create: a partition's copies of its
    /// parent's (described; made with the partition) and PostgreSQL's internal ones that have a comment
    /// (not described; the SQL has always set the comment).
    pub other_triggers: BTreeMap<String, Trigger>,
    /// Its rules, by name: described and created, not compared by `diff` (which lists them from the
    /// description).
    pub rules: BTreeMap<String, Rule>,
    pub policies: BTreeMap<String, Policy>,
    pub row_security: bool,
    pub force_row_security: bool,
    /// `(grantee, privilege)`: what is granted beyond the owner's own.
    pub grants: Vec<(String, String)>,
    /// What was granted or revoked on it relative to its defaults, as the description's `grant ... to ...` /
    /// `revoke ... from ...` lines (the server's text, sorted; the owner's own left out): what the
    /// description and the SQL show. `diff` compares `grants`.
    pub privileges: Vec<String>,
    pub comment: Option<String>,
    /// Its oid: the SQL creates tables in the order they were created (a partition after its parent, a
    /// child after the tables it inherits from).
    pub created: u32,
    /// An extension's member: the extension creates it, so the SQL writes only the parts a user added
    /// (constraints, indexes, row-level security and policies, statistics objects, storage, comments,
    /// privileges), after the other tables'; the description and `diff` leave it out.
    pub of_extension: bool,
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
    /// Its name as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// Defined by its table (not only inherited from a parent): the SQL writes these in `CREATE TABLE`.
    pub local: bool,
    /// A generated column computed when read (`VIRTUAL`, PostgreSQL 18) rather than `STORED`.
    pub virtual_generated: bool,
    /// The collation's schema and name as the server quotes them (the description shows the name, the SQL
    /// both).
    pub quoted_collation: Option<(String, String)>,
    /// The identity sequence's name as the server prints it (schema-qualified): the SQL names it.
    pub identity_sequence: Option<String>,
    /// `attstorage` where it is not its type's: `p` (plain), `e` (external), `m` (main), `x` (extended).
    pub storage: Option<char>,
    /// What was granted or revoked on the column, as lines (see [`Table::privileges`]).
    pub privileges: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Constraint {
    pub kind: ConstraintKind,
    pub definition: String,
    pub validated: bool,
    pub deferrable: bool,
    pub deferred: bool,
    pub comment: Option<String>,
    /// Its name as the server quotes it (`quote_ident`): what the description and the SQL show.
    pub quoted: String,
    /// Its oid: the SQL adds a table's constraints in the order they were created.
    pub created: u32,
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
    /// Its name as the server quotes it (`quote_ident`), and its schema-qualified name as the server
    /// prints it: what the description and the SQL show.
    pub quoted: (String, String),
    /// False for an index a failed concurrent build left behind.
    pub valid: bool,
    /// Its tablespace, quoted, when not the database's default.
    pub tablespace: Option<String>,
    /// The index its table is clustered on.
    pub clustered: bool,
    /// The index its table's replica identity uses.
    pub replica_identity: bool,
    /// Its oid: the SQL creates indexes in the order they were created.
    pub created: u32,
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
pub(crate) struct Policy {
    /// Its name as the server quotes it (`quote_ident`).
    pub quoted: String,
    pub command: char,
    pub permissive: bool,
    pub roles: Vec<String>,
    /// The roles as the description and the SQL show them: `PUBLIC` when the policy applies to every role,
    /// else the roles' names, quoted and sorted.
    pub quoted_roles: String,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
    /// Its oid: the SQL creates policies in the order they were created.
    pub created: u32,
}
