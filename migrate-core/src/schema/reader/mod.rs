//! The one place the schema is read from PostgreSQL's catalog (outside the test harness, whose dump stays
//! independent as the oracle of the round trips). Every read runs in [`read_only`]'s transaction: read-only,
//! repeatable read, empty `search_path`, fixed formats.
//!
//! What reads what:
//! - [`typed`]: the typed [`Model`], one query per kind, every kind the description, the SQL and `diff`
//!   use. The description is rendered from it ([`crate::schema::render::described`]: the schema file,
//!   `verify`, `schema check`, `drift`, fleet drift, `review`), and so is the SQL
//!   ([`crate::schema::render::sql`], put in order by [`ddl`]: `squash`, scratch databases); `diff` compares
//!   two of them. Every kind is read once for every use; so are the comments and privileges a user gave an
//!   extension's schemas, sequences, functions and types, which the model holds apart
//!   (`Model::extension_members`: only the SQL writes them, `diff` and the description leave the
//!   extension's objects to it).
//! - [`ddl`]: the order of the SQL's statements, all rendered from the model (it runs no query of its
//!   own);
//! - [`others`]: the sweep for objects of kinds the model does not read (`diff` lists them as not
//!   generated);
//! - [`rows`]: the data side of a squash (rows, sequence positions, tables holding rows);
//! - [`query`]: the SQL fragments they share (what is a user's schema, the engine's bookkeeping, privileges).
//!
//! The queries run on PostgreSQL 13 to 18 alike: definitions come from the server's own `pg_get_*def`
//! functions, which know their version's syntax. NOT NULL constraints, which PostgreSQL 18 also lists in
//! `pg_constraint`, are read from their columns (`attnotnull`) on every major instead.
//!
//! A kind joins the model with its type in [`crate::schema::model`], its query in [`typed`] and its
//! renderers in [`crate::schema::render`] (docs/contributing.md, "Adding an object kind to the schema
//! model").

pub mod ddl;
mod others;
pub(crate) mod query;
pub(crate) mod rows;
mod typed;

use postgres::{Client, IsolationLevel};

pub(crate) use others::Others;

use super::model::Model;
use super::SchemaDescription;
use crate::error::Error;
use crate::history::MigrationsTable;

/// What `diff` compares of one database, all read in one transaction: the typed model, its description
/// (for the lines `diff` lists as not generated) and the sweep of the other kinds.
pub(crate) struct Compared {
    pub model: Model,
    pub description: SchemaDescription,
    pub others: Others,
}

/// Reads [`Compared`] in `tx` (a [`read_only`] transaction), leaving out `table` and the engine's tables.
pub(crate) fn compared(
    tx: &mut postgres::Transaction<'_>,
    table: &MigrationsTable,
) -> Result<Compared, Error> {
    let mut model = typed::read(tx, table)?;
    let description = super::render::described::description(&model);
    // `diff` compares what the migrations made: an extension's tables are the extension's (the description
    // leaves them out too). Foreign tables are in a map of their own, which `diff` does not read.
    model.tables.retain(|_, table| !table.of_extension);
    Ok(Compared {
        description,
        model,
        others: others::others(tx)?,
    })
}

/// The description, rendered from the model read in `tx` (a [`read_only`] transaction).
pub(crate) fn description(
    tx: &mut postgres::Transaction<'_>,
    table: &MigrationsTable,
) -> Result<SchemaDescription, Error> {
    Ok(super::render::described::description(&typed::read(tx, table)?))
}

pub(crate) fn read_only<T>(
    client: &mut Client,
    what: &str,
    f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|error| Error::Database {
            context: format!("cannot start a transaction to {what}"),
            error,
        })?;
    // Constants in definitions (defaults, partition bounds) are printed in the session's formats: fixed
    // ones keep the text independent of the server's and the connection's settings. No JIT: the catalog
    // queries' row estimates (a row per index element from generate_series) put their cost over the server's
    // JIT thresholds, and compiling them took longer than running them (the indexes of 1,000 tables: 4.0 s
    // with JIT, 0.7 s without).
    tx.batch_execute(
        "SET LOCAL search_path = ''; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; \
         SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3; SET LOCAL jit = off",
    )
    .map_err(|error| Error::Database {
        context: format!("cannot set the session formats to {what}"),
        error,
    })?;
    let result = f(&mut tx)?;
    tx.commit().map_err(|error| Error::Database {
        context: format!("cannot end the transaction that read the catalog to {what}"),
        error,
    })?;
    Ok(result)
}
