//! Failure marks, kept in `<migrations table>_failed`. A migration outside a transaction is marked before each
//! of its statements (the mark stays only when the process, the connection or the server ends mid-way), and
//! one that failed after committing part of itself is marked with its error. While a mark stands, the
//! runner refuses to run anything (running that migration again would repeat what was committed) until
//! `repair NAME` clears it; a mark before an operation that can simply run again ([`RESUMABLE_MARK`]) is
//! cleared by the next run instead.
//!
//! The table is created with the first mark, not with the migrations table, so reading treats a missing
//! table as no marks.

use chrono::{DateTime, Utc};
use postgres::GenericClient;
use serde::Serialize;

use crate::error::Error;

use super::table::MigrationsTable;

/// A migration outside a transaction that failed after committing some of its statements: it is not
/// recorded (or, for `down`, still recorded), yet part of it ran, so running it again would repeat those
/// statements. Kept in `<migrations table>_failed` until `repair NAME` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub name: String,
    /// `up` or `down`.
    pub direction: String,
    /// How many of its statements were committed before the failing one.
    pub committed: i64,
    /// The committed statements, each as `#<operation position> (<builder method>): <first line of its SQL>`,
    /// so whoever finishes or undoes them by hand knows which ones. Empty for a mark written by an earlier
    /// version, which kept only the count.
    pub statements: Vec<String>,
    /// The error, as it was reported.
    pub error: String,
    pub failed_at: DateTime<Utc>,
}

/// How the mark written before a statement outside a transaction begins ([`Failure::error`]); it stays only
/// when the run ended without a word.
pub const INTERRUPTED_MARK: &str = "interrupted";

/// The same, before a migration's first operation when that one can simply run again (a backfill resumes
/// from its recorded progress, a typed concurrent index build starts over or recognises its finished index):
/// nothing else was committed, so the next run clears the mark and goes on.
pub const RESUMABLE_MARK: &str = "interrupted in an operation that can run again,";

/// Keeps `failure` (replacing an older one of the same migration), creating the table when missing.
pub(crate) fn record_failure(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    direction: &str,
    statements: &[String],
    error: &str,
) -> Result<(), Error> {
    let failed = table.failures();
    // Created only when missing, and altered only when it lacks `statements` (a table created by an earlier
    // version, which kept only the count): both need rights a role that may only write the rows lacks.
    let has_statements: Option<bool> = client
        .query_one(
            "SELECT (SELECT true FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) \
             AND attname = 'statements' AND NOT attisdropped) \
             FROM (SELECT pg_catalog.to_regclass($1) AS t) r WHERE t IS NOT NULL",
            &[&failed],
        )
        .ok()
        .map(|row| row.get::<_, Option<bool>>(0).unwrap_or(false));
    let sql = match has_statements {
        Some(true) => None,
        Some(false) => Some(format!(
            "ALTER TABLE {failed} ADD COLUMN IF NOT EXISTS statements text[] NOT NULL DEFAULT '{{}}'"
        )),
        None => Some(format!(
            "CREATE TABLE IF NOT EXISTS {failed} (name text PRIMARY KEY, direction text NOT NULL, \
             committed bigint NOT NULL, error text NOT NULL, \
             failed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp());\n\
             ALTER TABLE {failed} ADD COLUMN IF NOT EXISTS statements text[] NOT NULL DEFAULT '{{}}'"
        )),
    };
    if let Some(sql) = sql {
        client
            .batch_execute(&sql)
            .map_err(Error::database(format!("cannot create {failed}")))?;
    }
    let committed = i64::try_from(statements.len()).unwrap_or(i64::MAX);
    client
        .execute(
            &format!(
                "INSERT INTO {failed} (name, direction, committed, statements, error) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (name) DO UPDATE SET direction = EXCLUDED.direction, \
                 committed = EXCLUDED.committed, statements = EXCLUDED.statements, error = EXCLUDED.error, \
                 failed_at = pg_catalog.clock_timestamp()"
            ),
            &[&name, &direction, &committed, &statements, &error],
        )
        .map_err(Error::database(format!("cannot record the failure of {name} in {failed}")))?;
    Ok(())
}

/// The kept failures, oldest first (none when the table does not exist).
pub(crate) fn load_failures(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<Vec<Failure>, Error> {
    let failed = table.failures();
    let exists = super::sql::relation_exists(client, &failed)
        .map_err(Error::database(format!("cannot look up {failed}")))?;
    load_failures_if(client, table, exists)
}

/// [`load_failures`] when whether the table exists is known (a [`super::Probe`]).
pub(crate) fn load_failures_if(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    exists: bool,
) -> Result<Vec<Failure>, Error> {
    if !exists {
        return Ok(Vec::new());
    }
    let failed = table.failures();
    // Through to_jsonb, so a table written by an earlier version without `statements` reads too (as none).
    let rows = client
        .query(
            &format!(
                "SELECT name, direction, committed, error, failed_at, \
                 ARRAY(SELECT pg_catalog.jsonb_array_elements_text(pg_catalog.to_jsonb(f) -> 'statements')) \
                 FROM {failed} f ORDER BY failed_at"
            ),
            &[],
        )
        .map_err(Error::database(format!("cannot read {failed}")))?;
    // Read with `try_get`: the table may have been made by hand, with other column types or NULLs, and that
    // is an error naming the table, never a panic.
    rows.iter()
        .map(|r| {
            Ok(Failure {
                name: r.try_get(0)?,
                direction: r.try_get(1)?,
                committed: r.try_get(2)?,
                error: r.try_get(3)?,
                failed_at: r.try_get(4)?,
                statements: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, postgres::Error>>()
        .map_err(Error::database(format!(
            "cannot read {failed}: its columns are not name text, direction text, committed bigint, error text, \
             failed_at timestamptz, statements text[] (all NOT NULL), as this tool creates them"
        )))
}

/// Forgets the failure of `name`; `true` when there was one.
pub(crate) fn clear_failure(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
) -> Result<bool, Error> {
    if load_failures(client, table)?.iter().all(|f| f.name != name) {
        return Ok(false);
    }
    // load_failures found a row, so the table exists.
    let failed = table.failures();
    client
        .execute(&format!("DELETE FROM {failed} WHERE name = $1"), &[&name])
        .map_err(Error::database(format!(
            "cannot clear the failure of {name}"
        )))?;
    Ok(true)
}
