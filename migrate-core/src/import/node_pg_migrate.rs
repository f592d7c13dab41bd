//! node-pg-migrate: its migrations are JavaScript (or TypeScript) and cannot be converted, and its table is
//! `public.pgmigrations` (`id`, `name`, `run_on`), this tool's default. So its table is adopted as it is, as
//! this tool's migrations table: two nullable columns are added (`checksum`, `execution_ms`, which
//! node-pg-migrate neither reads nor writes), and each of its rows is marked adopted
//! (`checksum = 'adopted:node-pg-migrate'`): `status` shows them applied without a file, `up` runs the new
//! Rust migrations after them, and `down` stops at them.

use postgres::Client;

use super::{ImportError, Refusal, Tool};
use crate::history::{self, MigrationsTable, ADOPTED_PREFIX};
use crate::LockMode;

/// What adopting node-pg-migrate's table found and did.
#[derive(Debug, Clone, Default)]
pub struct NodeAdoption {
    /// The table does not exist: node-pg-migrate applied nothing on this database.
    pub no_table: bool,
    /// The columns added (`checksum`, `execution_ms`), empty when an earlier import added them.
    pub added_columns: Vec<String>,
    /// The rows marked adopted now.
    pub adopted: Vec<String>,
    /// Rows adopted by an earlier import.
    pub already: usize,
}

/// The migration names node-pg-migrate gives the files of `dir`: each file's name without its extension.
fn names(dir: &std::path::Path) -> Result<Vec<String>, ImportError> {
    let io = |source| ImportError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') || !entry.path().is_file() {
            continue;
        }
        if let Some((stem, _)) = name.rsplit_once('.') {
            names.push(stem.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Adopts node-pg-migrate's table `table` on `client`'s database for the migrations of `dir`, in one
/// transaction under the migration lock. Refused, naming each, when a row has no file in `dir` (an applied
/// migration that cannot be checked) or a file of `dir` is not applied (node-pg-migrate must apply it first:
/// this tool cannot run it). With `dry_run`, checks and changes nothing.
pub fn adopt_node_pg_migrate(
    client: &mut Client,
    dir: &std::path::Path,
    table: &MigrationsTable,
    lock_mode: LockMode,
    dry_run: bool,
) -> Result<NodeAdoption, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::NoFolder {
            path: dir.display().to_string(),
            hint: "give node-pg-migrate's migrations folder".to_owned(),
        });
    }
    let files = names(dir)?;
    let result = super::locked(client, table, lock_mode, |client| {
        adopt_table(client, dir, &files, table, dry_run)
    })?;
    result.map_err(|refusals| ImportError::Refused {
        tool: Tool::NodePgMigrate,
        what: "adopt",
        refusals,
    })
}

/// The adoption's transaction, under the lock: the refusals when a row and the files of `dir` disagree.
fn adopt_table(
    client: &mut Client,
    dir: &std::path::Path,
    files: &[String],
    table: &MigrationsTable,
    dry_run: bool,
) -> Result<Result<NodeAdoption, Vec<Refusal>>, crate::Error> {
    let marker = format!("{ADOPTED_PREFIX}node-pg-migrate");
    let mut tx = client
        .transaction()
        .map_err(crate::Error::database("cannot start a transaction"))?;
    if !history::exists(&mut tx, table)? {
        return Ok(Ok(NodeAdoption {
            no_table: true,
            ..NodeAdoption::default()
        }));
    }
    let mut adoption = NodeAdoption {
        added_columns: add_columns(&mut tx, table)?,
        ..NodeAdoption::default()
    };
    history::check_layout(&mut tx, table)?;
    let rows = read_rows(&mut tx, table)?;
    let refusals = compare(&rows, files, &marker, table, dir, &mut adoption);
    if !refusals.is_empty() {
        return Ok(Err(refusals));
    }
    mark_adopted(&mut tx, table, &marker, &adoption.adopted)?;
    if dry_run {
        tx.rollback()
            .map_err(crate::Error::database("cannot roll back"))?;
    } else {
        tx.commit().map_err(crate::Error::database(format!(
            "cannot commit the adoption of {table}"
        )))?;
    }
    Ok(Ok(adoption))
}

/// Adds the columns this tool's table has and node-pg-migrate's lacks. Returns those added.
fn add_columns(
    tx: &mut postgres::Transaction<'_>,
    table: &MigrationsTable,
) -> Result<Vec<String>, crate::Error> {
    let mut added = Vec::new();
    for (column, ty) in [("checksum", "text"), ("execution_ms", "bigint")] {
        let present: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute \
                 WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $2 AND NOT attisdropped)",
                &[&table.quoted(), &column],
            )
            .map_err(crate::Error::database(format!("cannot read the columns of {table}")))?
            .get(0);
        if !present {
            tx.batch_execute(&format!(
                "ALTER TABLE {} ADD COLUMN {column} {ty}",
                table.quoted()
            ))
            .map_err(crate::Error::database(format!(
                "cannot add the column {column} to {table}"
            )))?;
            added.push(column.to_owned());
        }
    }
    Ok(added)
}

/// The rows of `table` (name, checksum), in the order node-pg-migrate applied them.
fn read_rows(
    tx: &mut postgres::Transaction<'_>,
    table: &MigrationsTable,
) -> Result<Vec<(String, Option<String>)>, crate::Error> {
    Ok(tx
        .query(
            &format!(
                "SELECT name::text, checksum FROM {} ORDER BY id",
                table.quoted()
            ),
            &[],
        )
        .map_err(crate::Error::database(format!("cannot read {table}")))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Sorts the rows into `adoption` (adopted now, or by an earlier import) and returns the refusals: a row
/// without a file, a file without a row.
fn compare(
    rows: &[(String, Option<String>)],
    files: &[String],
    marker: &str,
    table: &MigrationsTable,
    dir: &std::path::Path,
    adoption: &mut NodeAdoption,
) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    for (name, checksum) in rows {
        match checksum {
            Some(c) if c == marker => adoption.already += 1,
            Some(_) => {} // a row this tool wrote
            None if files.binary_search(name).is_ok() => adoption.adopted.push(name.clone()),
            None => refusals.push(Refusal {
                file: name.clone(),
                reason: format!(
                    "applied (in {table}), but {} has no file of that name",
                    dir.display()
                ),
            }),
        }
    }
    for file in files {
        if !rows.iter().any(|(name, _)| name == file) {
            refusals.push(Refusal {
                file: file.clone(),
                reason: "not applied: apply it with node-pg-migrate first (its JavaScript cannot run here)"
                    .to_owned(),
            });
        }
    }
    refusals
}

/// Marks the rows of `adopted` adopted, with `marker` as their checksum.
fn mark_adopted(
    tx: &mut postgres::Transaction<'_>,
    table: &MigrationsTable,
    marker: &str,
    adopted: &[String],
) -> Result<(), crate::Error> {
    let mark = format!(
        "UPDATE {} SET checksum = $1, execution_ms = 0 WHERE name = $2 AND checksum IS NULL",
        table.quoted()
    );
    for name in adopted {
        tx.execute(&mark, &[&marker, name])
            .map_err(crate::Error::database(format!(
                "cannot mark {name} adopted in {table}"
            )))?;
    }
    Ok(())
}
