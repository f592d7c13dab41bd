//! Applied migrations this binary has no file for and that are newer than its newest: applied by a newer
//! release of the application, met by an older one after a rollback. What their rows recorded (phase and
//! `down`, see [`RecordedMigration`](super::RecordedMigration)) says whether this binary may go on.

use postgres::types::Type;
use postgres::GenericClient;
use serde::Serialize;

use crate::error::Error;
use crate::migration::{Migration, RecordedMigration};
use crate::status::Classified;

use super::rows::History;
use super::table::MigrationsTable;

/// An applied migration newer than this binary's newest, as its row recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ahead {
    pub name: String,
    /// `expand` or `contract`; `None` for a row written before phases were recorded (or by another tool),
    /// which may be either.
    pub phase: Option<String>,
    /// Whether its row holds a `down` of plain SQL.
    pub has_down: bool,
}

impl Ahead {
    /// Whether the code of an older release keeps working with it applied: only a recorded expand.
    pub fn is_expand(&self) -> bool {
        self.phase.as_deref() == Some("expand")
    }
}

/// The newest file of a binary: an applied row without a file that sorts after it is a newer release's
/// (ahead); one that sorts before it is a missing file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Newest<'m>(Option<&'m str>);

impl<'m> Newest<'m> {
    pub(crate) fn of(migrations: &'m [Migration]) -> Self {
        Newest(migrations.iter().map(Migration::name).max())
    }

    /// Whether a row named `name` that matches no file is ahead (every such row, when there is no file).
    pub(crate) fn is_ahead(self, name: &str) -> bool {
        self.0.is_none_or(|newest| name > newest)
    }
}

/// The names of applied rows that match no migration of `migrations` and sort after the newest of them, in
/// name order. An unknown row older than the newest file is a missing file, not a newer release's.
pub(crate) fn ahead_names(migrations: &[Migration], applied: &History) -> Vec<String> {
    let newest = Newest::of(migrations);
    // Nearly always no row sorts after the newest file, which the names tell without classifying every row
    // (`status` and every `up` ask).
    if !applied.names().any(|name| newest.is_ahead(name)) {
        return Vec::new();
    }
    let mut names = Classified::of(migrations, applied).missing_names(applied);
    names.retain(|name| newest.is_ahead(name));
    names
}

/// What the rows of `names` recorded. Two queries, made only when there are such rows.
pub(crate) fn load(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    names: &[String],
) -> Result<Vec<Ahead>, Error> {
    let failed = || Error::database(format!("cannot read the migrations table {table}"));
    let recorded: bool = client
        .query_typed_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) \
             AND attname = 'phase' AND NOT attisdropped)",
            &[(&table.quoted(), Type::TEXT)],
        )
        .map_err(failed())?
        .get(0);
    if !recorded {
        return Ok(names
            .iter()
            .map(|name| Ahead {
                name: name.clone(),
                phase: None,
                has_down: false,
            })
            .collect());
    }
    let rows = client
        .query_typed(
            &format!(
                "SELECT name::text, phase, down_statements IS NOT NULL FROM {} WHERE name = ANY($1) ORDER BY name",
                table.quoted()
            ),
            &[(&names, Type::TEXT_ARRAY)],
        )
        .map_err(failed())?;
    Ok(rows
        .iter()
        .map(|r| Ahead {
            name: r.get(0),
            phase: r.get(1),
            has_down: r.get(2),
        })
        .collect())
}

/// The rows of `names` that recorded a `down`, as migrations that revert with it (see
/// [`Migration::recorded`]). Rows without one are left out: this binary cannot revert them.
pub(crate) fn load_recorded(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    names: &[String],
) -> Result<Vec<Migration>, Error> {
    let failed = || Error::database(format!("cannot read the migrations table {table}"));
    if load(client, table, names)?.iter().all(|a| !a.has_down) {
        return Ok(Vec::new());
    }
    let rows = client
        .query_typed(
            &format!(
                "SELECT name::text, checksum, down_statements, down_transactional FROM {} \
                 WHERE name = ANY($1) AND down_statements IS NOT NULL ORDER BY name",
                table.quoted()
            ),
            &[(&names, Type::TEXT_ARRAY)],
        )
        .map_err(failed())?;
    Ok(rows
        .iter()
        .map(|r| {
            let checksum: Option<String> = r.get(1);
            Migration::recorded(RecordedMigration {
                name: r.get(0),
                digest: checksum
                    .as_deref()
                    .and_then(super::rows::parse_digest)
                    .unwrap_or_default(),
                statements: r.get(2),
                transactional: r.get::<_, Option<bool>>(3).unwrap_or(true),
                origin: format!("its row in {table} (recorded by the release that applied it)"),
            })
        })
        .collect())
}
