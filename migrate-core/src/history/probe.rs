//! What a read of the history needs to know first, in one round trip: whether the migrations table exists
//! and which columns it has, and whether its companions (failure marks, repeatable migrations, the journal
//! of migrations in progress) exist.
//!
//! `status` and a no-op `up` read nothing else before the rows, so these answers were most of their round
//! trips: asked one by one (the table, its columns, each companion) they were four queries. In a session
//! that just started, the server's part is mostly looking things up in its catalogs for each new statement,
//! so the one query is also written to be cheap to plan (a join, no sub-selects): measured from the server's
//! log on a no-op `up` with 500 migrations, about 1.9 ms for the probe and the rows against 2.0 to 3.4 ms for
//! the five queries before (and 3.3 ms with the columns as two arrays).
//!
//! On a session of its own (the installed `migrate`'s answers), the probe's answers and the rows come in one
//! query instead ([`read_at_once`]) when the table is as `up` creates it: with `pgbench` opening a session
//! per read of a 500-row table, 4.4 to 4.6 ms against 4.9 to 5.0 ms for the probe and the rows.

use postgres::types::Type;
use postgres::GenericClient;

use crate::error::Error;
use crate::migration::Migration;

use super::rows::History;
use super::sql::{check_columns, load_rows, read_rows};
use super::table::MigrationsTable;

/// The answers of [`probe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    /// The migrations table's columns (name, type as `format_type` spells it) in their order; `None` when
    /// the table does not exist.
    pub columns: Option<Vec<(String, String)>>,
    /// Whether `columns` are all of the table's ([`probe`]'s), or only the five read with the rows
    /// ([`read_at_once`]'s).
    pub every_column: bool,
    /// Whether `<table>_failed` exists.
    pub failures: bool,
    /// Whether `<table>_repeat` exists.
    pub repeatables: bool,
    /// Whether `<table>_journal` exists.
    pub journal: bool,
    /// The server's major version (see [`crate::server::server_major`]): asked here because every command
    /// that reads the history then decides by it, and it costs no round trip of its own.
    pub server: u32,
}

/// Reads what [`Probe`] holds about `table`, without creating or locking anything.
pub(crate) fn probe(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<Probe, Error> {
    // One row per column, or one row of NULL columns when the table has none or does not exist.
    let rows = client
        .query_typed(
            "SELECT c.oid IS NOT NULL, \
                    pg_catalog.to_regclass($2) IS NOT NULL, \
                    pg_catalog.to_regclass($3) IS NOT NULL, \
                    pg_catalog.to_regclass($4) IS NOT NULL, \
                    a.attname::text, \
                    pg_catalog.format_type(a.atttypid, a.atttypmod), \
                    pg_catalog.current_setting('server_version_num') \
             FROM (SELECT pg_catalog.to_regclass($1)::oid AS oid) c \
             LEFT JOIN pg_catalog.pg_attribute a \
               ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped",
            &[
                (&table.quoted(), Type::TEXT),
                (&table.failures(), Type::TEXT),
                (&table.repeats(), Type::TEXT),
                (&table.journal(), Type::TEXT),
            ],
        )
        .map_err(Error::database(format!(
            "cannot look up the migrations table {table}"
        )))?;
    let Some(first) = rows.first() else {
        return Err(Error::Internal(
            "the look-up of the migrations table returned no row",
        ));
    };
    let exists: bool = first.get(0);
    let columns = rows
        .iter()
        .filter_map(|r| {
            let name: Option<String> = r.get(4);
            let ty: Option<String> = r.get(5);
            Some((name?, ty?))
        })
        .collect();
    Ok(Probe {
        columns: exists.then_some(columns),
        every_column: true,
        failures: first.get(1),
        repeatables: first.get(2),
        journal: first.get(3),
        server: crate::server::major_of(first.get(6)),
    })
}

/// [`probe`] and the rows in one query, for a table as `up` creates it (`id bigint`, `name text` or
/// `varchar`, `run_on timestamptz`, `checksum text`, `execution_ms bigint`) that holds rows: `None` for any
/// other table, or none, which [`probe`] and [`load_probed`](super::load_probed) then read and judge as
/// usual. One round trip and one statement less for `status` and a no-op `up`, a tenth of the server's
/// part of a no-op `up` (a new session looks up the catalogs anew for each statement).
///
/// The query fails when the table or one of its columns is missing, which would abort a transaction the
/// session is in, so only for a session that is the caller's own and outside a transaction (see
/// [`Migrator::own_session`](crate::Migrator::own_session)).
pub(crate) fn read_at_once<'m>(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    known: &'m [Migration],
) -> Result<Option<(Probe, History<'m>)>, Error> {
    // The companions' look-ups are sub-selects that run once, not once per row.
    let sql = format!(
        "SELECT id, name, run_on, checksum, execution_ms, pg_catalog.count(*) OVER (), \
                (SELECT pg_catalog.to_regclass($1) IS NOT NULL), (SELECT pg_catalog.to_regclass($2) IS NOT NULL), \
                (SELECT pg_catalog.to_regclass($3) IS NOT NULL), \
                (SELECT pg_catalog.current_setting('server_version_num')) \
         FROM {} ORDER BY id",
        table.quoted()
    );
    let failures = table.failures();
    let repeats = table.repeats();
    let journal = table.journal();
    let Ok(rows) = client.query_typed_raw(
        &sql,
        [
            (&failures, Type::TEXT),
            (&repeats, Type::TEXT),
            (&journal, Type::TEXT),
        ],
    ) else {
        return Ok(None);
    };
    let mut probe = None;
    let history = read_rows(rows, table, known, |first| {
        let columns: Vec<(String, String)> = first
            .columns()
            .iter()
            .take(5)
            .map(|c| (c.name().to_owned(), spelled(c.type_()).to_owned()))
            .collect();
        let (Ok(failures), Ok(repeatables), Ok(journal), Ok(server)) = (
            first.try_get(6),
            first.try_get(7),
            first.try_get(8),
            first.try_get::<_, String>(9),
        ) else {
            return false;
        };
        if check_columns(table, &columns).is_err() {
            return false;
        }
        probe = Some(Probe {
            columns: Some(columns),
            every_column: false,
            failures,
            repeatables,
            journal,
            server: crate::server::major_of(&server),
        });
        true
    })?;
    Ok(history.and_then(|history| Some((probe?, history))))
}

/// A column type as `format_type` spells it, for the types the migrations table's columns are read as; other
/// types by their internal name, which [`check_columns`] refuses.
fn spelled(ty: &Type) -> &str {
    match *ty {
        Type::INT8 => "bigint",
        Type::TEXT => "text",
        Type::VARCHAR => "character varying",
        Type::TIMESTAMPTZ => "timestamp with time zone",
        // Read as they are, not cast as `load` casts them: the other types the table may have (`integer`
        // ids, `timestamp` without time zone) go through the probe.
        _ => ty.name(),
    }
}

/// [`load`](super::load) after a [`Probe`]: `None` when the table does not exist, else its rows once its columns passed.
pub(crate) fn load_probed<'m>(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    known: &'m [Migration],
    probe: &Probe,
) -> Result<Option<History<'m>>, Error> {
    let Some(columns) = &probe.columns else {
        return Ok(None);
    };
    check_columns(table, columns)?;
    load_rows(client, table, known).map(Some)
}
