//! The description ([`describe`](crate::schema::describe)): every kind is rendered from the typed model
//! ([`crate::schema::render::described`]) but foreign tables and the triggers and rules of tables and views,
//! which are still read as text by [`super::relations`].
//!
//! Its queries run on PostgreSQL 13 to 18 alike: definitions come from the server's own `pg_get_*def`
//! functions, which know their version's syntax. NOT NULL constraints, which PostgreSQL 18 also lists in
//! `pg_constraint`, are shown on their columns (`attnotnull`) on every major instead. Everything runs with an
//! empty `search_path`, so every name in a definition is schema-qualified whatever the connection's settings
//! are.

use postgres::Transaction;

use crate::error::Error;
use crate::history::MigrationsTable;
use crate::schema::description::SchemaDescription;
use crate::schema::model::Model;

/// The description: the kinds `model` holds rendered from it, and the relations' parts read as text.
pub(crate) fn describe(
    tx: &mut Transaction<'_>,
    table: &MigrationsTable,
    model: &Model,
) -> Result<SchemaDescription, Error> {
    let mut objects = Vec::new();
    crate::schema::render::described::objects(model, &mut objects);
    super::relations::relations(tx, table, model, &mut objects)?;
    Ok(SchemaDescription::new(objects))
}
