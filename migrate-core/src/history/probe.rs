//! What a read of the history needs to know first, in one round trip: whether the migrations table exists
//! and which columns it has, and whether its two companions (failure marks, repeatable migrations) exist.
//!
//! `status` and a no-op `up` read nothing else before the rows, so these answers are most of their round
//! trips: asked one by one (the table, its columns, each companion) they were four queries, each a round trip
//! and a statement the server parses and plans in a session that just started.

use postgres::types::Type;
use postgres::GenericClient;

use crate::error::Error;

use super::table::MigrationsTable;

/// The answers of [`probe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    /// The migrations table's columns (name, type as `format_type` spells it) in their order; `None` when
    /// the table does not exist.
    pub columns: Option<Vec<(String, String)>>,
    /// Whether `<table>_failed` exists.
    pub failures: bool,
    /// Whether `<table>_repeat` exists.
    pub repeatables: bool,
}

/// Reads what [`Probe`] holds about `table`, without creating or locking anything.
pub(crate) fn probe(client: &mut impl GenericClient, table: &MigrationsTable) -> Result<Probe, Error> {
    // The columns as two arrays in one row, so that the row exists whether or not the table does.
    let row = client
        .query_typed_one(
            "SELECT pg_catalog.to_regclass($1) IS NOT NULL, \
                    pg_catalog.to_regclass($2) IS NOT NULL, \
                    pg_catalog.to_regclass($3) IS NOT NULL, \
                    ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a \
                          WHERE a.attrelid = pg_catalog.to_regclass($1) \
                            AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
                    ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) \
                          FROM pg_catalog.pg_attribute a \
                          WHERE a.attrelid = pg_catalog.to_regclass($1) \
                            AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)",
            &[
                (&table.quoted(), Type::TEXT),
                (&table.failures(), Type::TEXT),
                (&table.repeats(), Type::TEXT),
            ],
        )
        .map_err(Error::database(format!(
            "cannot look up the migrations table {table}"
        )))?;
    let exists: bool = row.get(0);
    let names: Vec<String> = row.get(3);
    let types: Vec<String> = row.get(4);
    Ok(Probe {
        columns: exists.then(|| names.into_iter().zip(types).collect()),
        failures: row.get(1),
        repeatables: row.get(2),
    })
}
