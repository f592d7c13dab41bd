//! The one place the schema is read from PostgreSQL's catalog (outside the test harness, whose dump stays
//! independent as the oracle of the round trips). Every read runs in [`read_only`]'s transaction: read-only,
//! repeatable read, empty `search_path`, fixed formats.
//!
//! What reads what:
//! - [`typed`]: the typed [`Model`], one query per kind. `diff` compares two models; for the kinds moved to
//!   the model so far (extensions, enums; tables with their columns, constraints, indexes, statistics
//!   objects, row-level security, replica identity and policies, an extension's tables too, flagged, for
//!   the SQL; foreign tables with their columns, checks and statistics objects; schemas, sequences,
//!   functions, procedures and aggregates, default privileges, event triggers; domains, ranges, composite
//!   types, operators, operator families and casts), the description and the SQL are rendered from it too
//!   ([`crate::schema::render`]), so those kinds are read once for every use;
//! - [`described`] with [`relations`]: the description's other kinds, read as its text (the schema file,
//!   `verify`, `schema check`, `drift`, fleet drift, `review`, and `diff`'s list of what it does not write):
//!   views and materialized views with their parts, and the triggers and rules of every relation;
//! - [`ddl`]: the other kinds as SQL statements (`squash`, scratch databases): views and materialized views
//!   with their parts, triggers and rules, and the comments and privileges of an extension's schemas,
//!   sequences, functions and types;
//! - [`others`]: the sweep for objects of kinds neither the model nor the description reads (`diff`);
//! - [`rows`]: the data side of a squash (rows, sequence positions, tables holding rows);
//! - [`query`]: the SQL fragments they share (what is a user's schema, the engine's bookkeeping, privileges).
//!
//! A kind moves from `described` and `ddl` to the model by getting its type in [`crate::schema::model`], its
//! query in [`typed`] (called from `typed::rendered` too) and its renderers in [`crate::schema::render`]; its
//! two text queries are then deleted.

pub(crate) mod described;
pub mod ddl;
mod others;
pub(crate) mod query;
mod relations;
pub(crate) mod rows;
mod typed;

use postgres::{Client, IsolationLevel};

pub(crate) use others::Others;

use super::model::Model;
use super::SchemaDescription;
use crate::error::Error;
use crate::history::MigrationsTable;

/// What `diff` compares of one database, all read in one transaction: the typed model, the description
/// (for the kinds and lines the model does not type) and the sweep of the other kinds.
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
    let model = typed::read(tx, table)?;
    Ok(Compared {
        description: described::describe(tx, table, &model)?,
        model,
        others: others::others(tx)?,
    })
}

/// The description (see [`described`]): the kinds the model holds so far rendered from it, the others read as
/// text. In `tx`, a [`read_only`] transaction.
pub(crate) fn description(
    tx: &mut postgres::Transaction<'_>,
    table: &MigrationsTable,
) -> Result<SchemaDescription, Error> {
    let model = typed::rendered(tx, table)?;
    described::describe(tx, table, &model)
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
    // ones keep the text independent of the server's and the connection's settings.
    tx.batch_execute(
        "SET LOCAL search_path = ''; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; \
         SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3",
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
