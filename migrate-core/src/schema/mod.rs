//! A description of a database's schema read from PostgreSQL's catalog: what the schema file holds and what
//! `verify` and `schema check` compare. It needs no `pg_dump`, so it works against any supported server
//! (PostgreSQL 13 to 18) whatever client tools are installed.
//!
//! Covered: schemas, extensions, enum, range and domain types, composite types, tables (partitioned,
//! foreign, unlogged; access method, tablespace, replica identity; columns with types, collations, defaults,
//! identity and generated expressions, storage; constraints; indexes; statistics objects; triggers; rules;
//! row-level security and its policies), views and materialized views (their query), sequences (parameters
//! and owning column, not their current value), functions, procedures and aggregates, operators, operator
//! families and classes, casts, privileges granted or revoked relative to an object's defaults (not the
//! owner's own), default privileges (`ALTER DEFAULT PRIVILEGES`), event triggers, and comments.
//!
//! Left out: owners, roles (they belong to the server, not the database), text search configurations,
//! collations, conversions, foreign servers, publications and subscriptions, security labels, per-column
//! statistics targets and compression, and everything an extension installed (the extension stands for
//! it). The migrations table and the engine's tables named after it are bookkeeping and left out too.
//!
//! Layout: `reader` holds every catalog query of the schema (the one reader outside the tests' harness);
//! `model` is the typed schema (what `diff` compares); `render` writes the model's kinds as the description's
//! objects and as SQL; `description` is the description and its text (the schema file), `drift` compares two
//! descriptions, `slice` splits one by schema.

mod description;
pub mod drift;
pub(crate) mod model;
pub(crate) mod reader;
mod render;
mod slice;

pub use reader::ddl;

pub use description::{Kind, SchemaDescription, SchemaObject, HEADER};
pub use slice::SchemaSlice;

use postgres::Client;

use crate::error::Error;
use crate::history::MigrationsTable;
use reader::read_only;
use reader::{query, rows};

/// Describes the schema of the database `client` is connected to, leaving out `table` (the migrations
/// table) and the engine's tables named after it.
///
/// Reads the catalog in one read-only, repeatable-read transaction (a consistent picture even while other
/// sessions change the schema) with an empty `search_path`, so every name is schema-qualified, and fixed
/// time zone (UTC) and date, interval and float formats. Changes nothing.
pub fn describe(client: &mut Client, table: &MigrationsTable) -> Result<SchemaDescription, Error> {
    read_only(client, "describe the schema", |tx| {
        reader::description(tx, table)
    })
}

/// [`describe`] by schema, for a database whose schemas are a fleet's targets: one slice per schema (its
/// objects and itself), the engine's tables left out in every schema (each schema target has its own
/// migrations table, named as `table`). Objects of the whole database (extensions, casts, event triggers,
/// default privileges) are in no slice. One description for all the schemas: read schema by schema, each
/// read scanned the whole catalog. Reads as [`describe`] does.
pub fn describe_schemas(
    client: &mut Client,
    table: &MigrationsTable,
) -> Result<Vec<SchemaSlice>, Error> {
    read_only(client, "describe the schemas", |tx| {
        tx.execute(
            "SELECT pg_catalog.set_config($1, 'on', true)",
            &[&query::BOOKKEEPING_IN_EVERY_SCHEMA],
        )
        .map_err(|error| Error::Database {
            context: "cannot leave out the engine's tables of every schema".to_owned(),
            error,
        })?;
        Ok(SchemaSlice::by_schema(reader::description(tx, table)?))
    })
}

/// The schema of the database `client` is connected to as SQL statements that recreate it on an empty
/// database, in an order that works there (see the `ddl` module), leaving out `table` and the engine's
/// tables. The first is [`ddl::PREAMBLE`]. Reads as [`describe`] does; changes nothing.
///
/// What the statements cover is narrower than what [`describe`] shows (aggregates, operators, casts, default
/// privileges, event triggers and foreign tables are not produced): compare the description of a database
/// they were applied to with the original's before relying on them.
pub fn ddl(client: &mut Client, table: &MigrationsTable) -> Result<Vec<String>, Error> {
    let Ddl {
        mut before_data,
        after_data,
    } = ddl_around_data(client, table)?;
    before_data.extend(after_data);
    Ok(before_data)
}

/// The statements of [`ddl`], in the same order, split where rows are to be loaded (as `pg_dump` loads
/// them): `before_data` creates the types, functions, sequences and tables (with their columns, defaults and
/// generated expressions); `after_data` the rest, none of which exists while the rows load: constraints
/// (checked when added, once the rows are there), indexes, foreign keys (so the tables' order does not
/// matter), triggers and rules (so none fires on a loaded row), policies, and the views (a materialized view
/// is filled from the loaded rows when it is created).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ddl {
    /// Starts with [`ddl::PREAMBLE`].
    pub before_data: Vec<String>,
    pub after_data: Vec<String>,
}

/// [`ddl`] split where rows load (see [`Ddl`]). Reads as [`describe`] does; changes nothing.
pub fn ddl_around_data(client: &mut Client, table: &MigrationsTable) -> Result<Ddl, Error> {
    read_only(client, "read the schema as SQL", |tx| {
        let (before, after_data) = ddl::ddl(tx, table)?;
        let mut before_data = vec![ddl::PREAMBLE.to_owned()];
        before_data.extend(before);
        Ok(Ddl {
            before_data,
            after_data,
        })
    })
}

/// `INSERT` statements that recreate the rows of table `schema.name` (its own: an inheritance child's are
/// its own table's). Values are written as literals in the fixed formats [`describe`] uses, so they read back
/// equal, and the rows in the order of their text, so two tables with the same rows give the same
/// statements. An error names the table when there is none.
pub fn rows_as_sql(client: &mut Client, schema: &str, name: &str) -> Result<Vec<String>, Error> {
    read_only(client, "read rows as SQL", |tx| {
        rows::rows(tx, schema, name)
    })
}

/// `SELECT pg_catalog.setval(..)` for every sequence that is not where a new one starts (identity columns'
/// and those no column owns alike), leaving out the migrations table's and the engine's: what makes the next
/// number after a squash the one it would have been. In the order of the sequences' names. Read-only.
pub fn sequence_positions(
    client: &mut Client,
    table: &MigrationsTable,
) -> Result<Vec<String>, Error> {
    read_only(client, "read the sequences' positions", |tx| {
        rows::sequence_positions(tx, table)
    })
}

/// The user tables that hold at least one row (qualified, quoted as SQL needs), leaving out `table` and the
/// engine's tables.
pub fn tables_with_rows(
    client: &mut Client,
    table: &MigrationsTable,
) -> Result<Vec<String>, Error> {
    read_only(client, "find tables with rows", |tx| {
        rows::tables_with_rows(tx, table)
    })
}
