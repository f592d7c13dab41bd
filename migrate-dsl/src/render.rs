//! How operations become SQL: the [`Render`] trait every operation implements in the `render.rs` of its kind's
//! folder (`ops/<kind>/render.rs`), and what those share.
//!
//! Statements sea-query has (`DROP TABLE`, renames, `ADD COLUMN`) are built with it, which owns their
//! structure and identifier quoting; `CREATE TABLE` (sea-query has no `UNLOGGED`, `LIKE`, `INHERITS` or
//! `PARTITION BY`), column options, constraints and indexes (no `NOT VALID`, `REFERENCES` on a column or
//! partial indexes) are written by hand with the same quoting rules from [`crate::quote`].

use sea_query::{Alias, TableRef};

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::safeguard::Safeguard;

/// How an operation becomes SQL. Every operation implements it, in the `render.rs` of its kind.
pub(crate) trait Render {
    /// The statements, in execution order. Validation errors name the operation through `ctx`.
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError>;

    /// Whether PostgreSQL refuses the statements inside a transaction block (`CONCURRENTLY`, ...).
    fn outside_transaction(&self) -> bool {
        false
    }

    /// Whether rendered statement `index` must start a new transaction in a transactional migration: the
    /// engine commits what came before it first (a `VALIDATE` must not run while the same transaction
    /// still holds the `ACCESS EXCLUSIVE` lock of the `ADD ... NOT VALID` before it).
    fn starts_transaction(&self, _index: usize) -> bool {
        false
    }

    /// What the engine checks or records around rendered statement `index` (see [`Safeguard`]); called
    /// only after [`render`](Self::render) succeeded.
    fn safeguard(&self, _index: usize) -> Option<Safeguard> {
        None
    }

    /// The features of the rendered SQL that need a newer PostgreSQL than the oldest supported major (13),
    /// so a run against an older server stops before anything changes, naming the option.
    fn needs_server(&self) -> Vec<Needs> {
        Vec::new()
    }
}

/// A feature an operation uses and the first PostgreSQL major that has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Needs {
    pub(crate) major: u32,
    /// What the migration asked for, as its author wrote it (`NULLS NOT DISTINCT`, ...).
    pub(crate) option: String,
}

impl Needs {
    pub(crate) fn new(major: u32, option: impl Into<String>) -> Self {
        Needs {
            major,
            option: option.into(),
        }
    }
}

pub(crate) fn alias(ident: &Ident) -> Alias {
    Alias::new(ident.as_str())
}

pub(crate) fn table_ref(name: &Name) -> TableRef {
    match &name.schema {
        Some(schema) => (alias(schema), alias(&name.name)).into(),
        None => alias(&name.name).into(),
    }
}
