//! `<migrations table>_previous`: what existed before an operation ran, kept with the migration.
//!
//! Two kinds of rows:
//! - `restore`: before a `CREATE OR REPLACE` of an `up` runs, the object's definition (the statements that
//!   put it back), or that there was none, and in `columns` what `CREATE OR REPLACE` cannot take away again (a
//!   view's number of columns, a function's number of parameter defaults). The derived `down` restores it, or
//!   drops the object; the rows go when the `down` completes.
//! - `attempt`: before a statement whose `IF [NOT] EXISTS` the engine added itself, that this migration ran
//!   it. When the migration runs again after failing part-way, an index it created (or dropped) on the
//!   earlier attempt is recognised as its own. The rows go when the migration completes.

use postgres::GenericClient;

use crate::error::Error;
use crate::history::MigrationsTable;
use crate::migration::Direction;

/// A recorded previous state of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Previous {
    /// Whether the object existed before the operation ran.
    pub existed: bool,
    /// The statements that put it back as it was.
    pub restore: Vec<String>,
    /// What a `CREATE OR REPLACE` cannot take away, as it was then: a view's number of columns, a function's
    /// number of parameter defaults (kept in the table's `columns` column, named when it held only the first).
    pub kept: Option<i32>,
}

/// `"schema"."<table>_previous"`, or `None` when the name would be longer than PostgreSQL keeps.
pub(crate) fn table_name(table: &MigrationsTable) -> Option<String> {
    let name = format!("{}_previous", table.name());
    (name.len() <= migrate_dsl::MAX_IDENTIFIER_BYTES).then(|| {
        format!(
            "{}.{}",
            migrate_dsl::ident(table.schema()),
            migrate_dsl::ident(&name)
        )
    })
}

/// The table, when it exists.
fn existing(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<Option<String>, Error> {
    let Some(name) = table_name(table) else {
        return Ok(None);
    };
    let exists = crate::history::relation_exists(conn, &name)
        .map_err(Error::database(format!("cannot look up {name}")))?;
    Ok(exists.then_some(name))
}

/// The table, created when missing. Checked first rather than `IF NOT EXISTS`, which would send a notice.
fn ensure(conn: &mut impl GenericClient, table: &MigrationsTable) -> Result<String, Error> {
    if let Some(name) = existing(conn, table)? {
        return Ok(name);
    }
    let name = table_name(table).ok_or_else(|| Error::PreviousTableNameTooLong {
        table: table.name().to_owned(),
    })?;
    conn.batch_execute(&format!(
        "CREATE TABLE {name} (migration text NOT NULL, direction text NOT NULL, position integer NOT NULL, \
         object text NOT NULL, purpose text NOT NULL, existed boolean NOT NULL, restore text[], columns integer, \
         statement text, recorded_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), \
         PRIMARY KEY (migration, direction, position, object, purpose))"
    ))
    .map_err(Error::database(format!("cannot create {name}")))?;
    Ok(name)
}

/// Records that `migration` is about to run `statement` (operation `position`) on `object`. An earlier
/// attempt's row is kept.
pub(crate) fn record_attempt(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    direction: Direction,
    position: usize,
    object: &str,
    statement: &str,
) -> Result<(), Error> {
    if table_name(table).is_none() {
        // Without the record a re-run is refused instead of recognised: the safe side.
        return Ok(());
    }
    let name = ensure(conn, table)?;
    let position = i32::try_from(position).unwrap_or(i32::MAX);
    conn.execute(
        &format!(
            "INSERT INTO {name} (migration, direction, position, object, purpose, existed, statement) \
             VALUES ($1, $2, $3, $4, 'attempt', false, $5) ON CONFLICT DO NOTHING"
        ),
        &[
            &migration,
            &direction.to_string(),
            &position,
            &object,
            &statement,
        ],
    )
    .map_err(Error::database(format!("cannot record an attempt of {migration} in {name}")))?;
    Ok(())
}

/// Whether an earlier attempt of `migration` ran exactly `statement` on `object`.
pub(crate) fn attempted(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    direction: Direction,
    position: usize,
    object: &str,
    statement: &str,
) -> Result<bool, Error> {
    let Some(name) = existing(conn, table)? else {
        return Ok(false);
    };
    let position = i32::try_from(position).unwrap_or(i32::MAX);
    let row = conn
        .query_opt(
            &format!(
                "SELECT 1 FROM {name} WHERE migration = $1 AND direction = $2 AND position = $3 \
                 AND object = $4 AND purpose = 'attempt' AND statement = $5"
            ),
            &[
                &migration,
                &direction.to_string(),
                &position,
                &object,
                &statement,
            ],
        )
        .map_err(Error::database(format!("cannot read {name}")))?;
    Ok(row.is_some())
}

/// Records the previous state of `object` before operation `position` of `migration`'s `up` replaces it.
/// A row from an earlier attempt is kept: it holds the state before the first attempt.
pub(crate) fn record_previous(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    position: usize,
    object: &str,
    previous: &Previous,
) -> Result<(), Error> {
    let name = ensure(conn, table)?;
    let position = i32::try_from(position).unwrap_or(i32::MAX);
    conn.execute(
        &format!(
            "INSERT INTO {name} (migration, direction, position, object, purpose, existed, restore, columns) \
             VALUES ($1, 'up', $2, $3, 'restore', $4, $5, $6) ON CONFLICT DO NOTHING"
        ),
        &[
            &migration,
            &position,
            &object,
            &previous.existed,
            &previous.restore,
            &previous.kept,
        ],
    )
    .map_err(Error::database(format!(
        "cannot record the previous definition for {migration} in {name}"
    )))?;
    Ok(())
}

/// What was recorded before operation `position` of `migration`'s `up` replaced `object`.
pub(crate) fn load_previous(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    position: usize,
    object: &str,
) -> Result<Option<Previous>, Error> {
    let Some(name) = existing(conn, table)? else {
        return Ok(None);
    };
    let position = i32::try_from(position).unwrap_or(i32::MAX);
    let row = conn
        .query_opt(
            &format!(
                "SELECT existed, coalesce(restore, '{{}}'), columns FROM {name} WHERE migration = $1 \
                 AND direction = 'up' AND position = $2 AND object = $3 AND purpose = 'restore'"
            ),
            &[&migration, &position, &object],
        )
        .map_err(Error::database(format!("cannot read {name}")))?;
    Ok(row.map(|r| Previous {
        existed: r.get(0),
        restore: r.get(1),
        kept: r.get(2),
    }))
}

/// Forgets what a completed run of `migration` in `direction` no longer needs: after an `up`, its attempts
/// (the restore rows stay for its `down`); after a `down`, everything.
pub(crate) fn forget(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    migration: &str,
    direction: Direction,
) -> Result<(), Error> {
    let Some(name) = existing(conn, table)? else {
        return Ok(());
    };
    let sql = match direction {
        Direction::Up => format!("DELETE FROM {name} WHERE migration = $1 AND purpose = 'attempt'"),
        Direction::Down => format!("DELETE FROM {name} WHERE migration = $1"),
    };
    conn.execute(&sql, &[&migration])
        .map_err(Error::database(format!(
            "cannot clean up {name} for {migration}"
        )))?;
    Ok(())
}
