//! Adopting another tool's history: the imported migrations that tool applied on this database are recorded as
//! applied in this tool's migrations table, in one transaction, under the migration lock. The other tool's
//! table is only read (so going back to that tool stays possible); stored checksums are compared with the
//! source files first, and any mismatch, failed or dirty run, or applied version without a file refuses the
//! whole adoption, naming each.

use chrono::{DateTime, Utc};
use postgres::Client;

use super::checksums::SourceChecksum;
use super::{ImportError, Imported, Plan, Refusal, Tool};
use crate::history::{self, MigrationsTable};
use crate::LockMode;

/// What adoption found and did.
#[derive(Debug, Clone, Default)]
pub struct Adoption {
    /// The other tool's table, `None` when the database has none (nothing to adopt).
    pub source_table: Option<String>,
    /// Recorded now as applied, by name.
    pub recorded: Vec<String>,
    /// Applied by the other tool and already recorded here (an earlier import).
    pub already: Vec<String>,
    /// Not applied by the other tool: left pending.
    pub pending: Vec<String>,
}

/// One migration the other tool applied.
struct Applied {
    version: String,
    run_on: Option<DateTime<Utc>>,
    execution_ms: Option<i64>,
    checksum: Option<SourceChecksum>,
}

/// How [`adopt`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recording {
    /// Read and check everything (the conflicts with rows already recorded too), record nothing.
    DryRun,
    /// Record the rows only (the files are there, or written by the caller).
    Rows,
    /// Record the rows, then write the plan's files ([`super::write`]) before the transaction commits: a
    /// refused row writes no file, and a refused commit removes the files written.
    RowsThenFiles,
}

/// Records in `table` the migrations of `plan` that the plan's tool applied on `client`'s database, as
/// `recording` says.
pub fn adopt(
    client: &mut Client,
    plan: &Plan,
    table: &MigrationsTable,
    lock_mode: LockMode,
    recording: Recording,
) -> Result<Adoption, ImportError> {
    let tool = plan.tool;
    let db = |context: String| move |source| ImportError::Database { context, source };
    let source_table: Option<String> = client
        .query_one(
            "SELECT pg_catalog.to_regclass($1)::text",
            &[&tool.history_table()],
        )
        .map_err(db(format!("cannot look up {}", tool.history_table())))?
        .get(0);
    let Some(source_table) = source_table else {
        return Ok(Adoption {
            pending: plan.migrations.iter().map(|m| m.name.clone()).collect(),
            ..Adoption::default()
        });
    };
    let mut refusals = Vec::new();
    let applied = read_applied(client, tool, &source_table, plan, &mut refusals)?;
    let mut adoption = Adoption {
        source_table: Some(source_table.clone()),
        ..Adoption::default()
    };
    let to_record = to_record(plan, &applied, &source_table, &mut refusals);
    if !refusals.is_empty() {
        return Err(ImportError::Refused {
            tool,
            what: "adopt",
            refusals,
        });
    }
    let applied_at: std::collections::HashSet<usize> =
        to_record.iter().map(|(at, _)| *at).collect();
    adoption.pending = plan
        .migrations
        .iter()
        .enumerate()
        .filter(|(i, _)| !applied_at.contains(i))
        .map(|(_, m)| m.name.clone())
        .collect();
    let recorded = super::locked(client, table, lock_mode, |client| {
        Ok(record(client, table, plan, &to_record, recording))
    });
    let (recorded, already) = match recorded.map_err(ImportError::from).and_then(|r| r) {
        Ok(done) => done,
        // A refusal found before anything was written (a conflicting row) says so itself.
        Err(e @ ImportError::Refused { .. }) => return Err(e),
        Err(e) if recording == Recording::RowsThenFiles => return Err(not_recorded(e, table, plan)),
        Err(e) => return Err(e),
    };
    adoption.recorded = recorded;
    adoption.already = already;
    Ok(adoption)
}

/// `error` stopped the recording of [`Recording::RowsThenFiles`], which removed the files it wrote (or
/// could not): what is left, as the error says.
fn not_recorded(error: ImportError, table: &MigrationsTable, plan: &Plan) -> ImportError {
    let (error, removed, left) = match error {
        ImportError::FilesNotKept {
            error,
            removed,
            left,
        } => (*error, removed, left),
        other => (other, 0, Vec::new()),
    };
    ImportError::NotRecorded {
        table: table.to_string(),
        dir: crate::migration::display_path(&plan.migrations_dir.display().to_string()),
        error: Box::new(error),
        removed,
        left,
    }
}

/// The applied versions that match a migration of the plan, by position in the plan. A version with no
/// migration, or whose checksum differs from the file's, is a refusal; a repeatable migration changed since the
/// tool applied it is left to `up`, which applies it again as the tool would.
fn to_record<'a>(
    plan: &Plan,
    applied: &'a [Applied],
    source_table: &str,
    refusals: &mut Vec<Refusal>,
) -> Vec<(usize, &'a Applied)> {
    let tool = plan.tool;
    let mut to_record: Vec<(usize, &Applied)> = Vec::new();
    for a in applied {
        let Some(at) = plan
            .migrations
            .iter()
            .position(|m| m.source.version == a.version)
        else {
            refusals.push(Refusal {
                file: format!("version {}", a.version),
                reason: format!(
                    "{tool} applied it (in {source_table}), but {} has no migration of that version",
                    plan.source_dir.display()
                ),
            });
            continue;
        };
        let m = &plan.migrations[at];
        if let (Some(stored), Some(file)) = (&a.checksum, &m.source.checksum) {
            if m.source.repeatable && stored != file {
                // Changed since the tool last applied it: it would apply it again, and so does `up`.
                continue;
            }
            if stored != file {
                refusals.push(Refusal {
                    file: m.source.up_file.clone(),
                    reason: format!(
                        "checksum mismatch: {tool} recorded {stored} when it applied version {}, the file now gives {file}; \
                         it was edited after it ran (restore it, or fix the history with {tool})",
                        a.version
                    ),
                });
                continue;
            }
        }
        to_record.push((at, a));
    }
    to_record
}

/// Records `to_record` in `table` (the repeatable ones in its `_repeat` table) in one transaction, skipping what
/// an earlier import recorded with the same checksum; a row under the same name with another checksum is a
/// conflict, refused before anything is written. With [`Recording::DryRun`] it rolls back; with
/// [`Recording::RowsThenFiles`] it writes the plan's files once the rows are in, before the commit, and
/// removes them when the commit fails ([`ImportError::FilesNotKept`]). Returns the names recorded and those
/// already there.
fn record(
    client: &mut Client,
    table: &MigrationsTable,
    plan: &Plan,
    to_record: &[(usize, &Applied)],
    recording: Recording,
) -> Result<(Vec<String>, Vec<String>), ImportError> {
    let mut tx = client
        .transaction()
        .map_err(crate::Error::database("cannot start a transaction"))?;
    history::ensure(&mut tx, table)?;
    let rows = Rows::read(&mut tx, table, plan, to_record)?;
    let (mut recorded, mut already, mut conflicts) = (Vec::new(), Vec::new(), Vec::new());
    for (at, a) in to_record {
        let m = &plan.migrations[*at];
        let (known, where_) = rows.of(m);
        match known.get(&m.name) {
            // A row without a checksum says nothing about the content: `status` shows it unverified.
            Some(None) => already.push(m.name.clone()),
            Some(Some(stored)) if *stored == m.checksum => already.push(m.name.clone()),
            Some(Some(stored)) => conflicts.push(conflict(m, where_, stored)),
            None => {
                if recording != Recording::DryRun {
                    rows.insert(&mut tx, m, a, where_)?;
                }
                recorded.push(m.name.clone());
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(ImportError::Refused {
            tool: plan.tool,
            what: "adopt",
            refusals: conflicts,
        });
    }
    finish(tx, table, plan, recording)?;
    Ok((recorded, already))
}

/// The rows already in this tool's tables, read in the adoption's transaction, by name: what each
/// migration to record is compared with.
struct Rows {
    /// The migrations table, as messages name it.
    table: String,
    known: std::collections::HashMap<String, Option<String>>,
    /// The migrations table's `INSERT` of one row.
    insert: String,
    /// The `_repeat` table and its rows, read only when a repeatable migration is adopted.
    repeat: String,
    repeat_known: std::collections::HashMap<String, Option<String>>,
}

impl Rows {
    /// Reads the rows of `table`, and of its `_repeat` table (created when missing) when `to_record` has a
    /// repeatable migration.
    fn read(
        tx: &mut postgres::Transaction<'_>,
        table: &MigrationsTable,
        plan: &Plan,
        to_record: &[(usize, &Applied)],
    ) -> Result<Self, ImportError> {
        let known = checksums_by_name(
            tx,
            &format!("SELECT name::text, checksum::text FROM {}", table.quoted()),
            &table.to_string(),
        )?;
        let insert = format!(
            "INSERT INTO {} (name, run_on, checksum, execution_ms) \
             VALUES ($1, COALESCE($2, pg_catalog.clock_timestamp()), $3, $4)",
            table.quoted()
        );
        let repeatables = to_record
            .iter()
            .any(|(at, _)| plan.migrations[*at].source.repeatable);
        let (repeat, repeat_known) = if repeatables {
            let repeat = crate::runner::ensure_repeat_table(tx, table)?;
            let known = checksums_by_name(
                tx,
                &format!("SELECT name, checksum FROM {repeat}"),
                &repeat.to_string(),
            )?;
            (repeat, known)
        } else {
            Default::default()
        };
        Ok(Rows {
            table: table.to_string(),
            known,
            insert,
            repeat,
            repeat_known,
        })
    }

    /// The rows `m` is compared with, and the name of their table.
    fn of(&self, m: &Imported) -> (&std::collections::HashMap<String, Option<String>>, &str) {
        if m.source.repeatable {
            (&self.repeat_known, &self.repeat)
        } else {
            (&self.known, &self.table)
        }
    }

    /// Records `m` as applied as `a` says, in `where_` (its table, named as [`Rows::of`] does).
    fn insert(
        &self,
        tx: &mut postgres::Transaction<'_>,
        m: &Imported,
        a: &Applied,
        where_: &str,
    ) -> Result<(), ImportError> {
        let repeat = &self.repeat;
        let result = if m.source.repeatable {
            tx.execute(
                &format!(
                    "INSERT INTO {repeat} (name, checksum, applied_at, execution_ms) \
                     VALUES ($1, $2, COALESCE($3, pg_catalog.clock_timestamp()), $4)"
                ),
                &[&m.name, &m.checksum, &a.run_on, &a.execution_ms.unwrap_or(0)],
            )
        } else {
            tx.execute(
                &self.insert,
                &[&m.name, &a.run_on, &m.checksum, &a.execution_ms.unwrap_or(0)],
            )
        };
        result.map_err(crate::Error::database(format!(
            "cannot record {} in {where_}",
            m.name
        )))?;
        Ok(())
    }
}

/// The refusal of `m`, whose name has a row in `where_` with another checksum, `stored`.
fn conflict(m: &Imported, where_: &str, stored: &str) -> Refusal {
    Refusal {
        file: m.name.clone(),
        reason: format!(
            "already recorded in {where_} with another checksum ({stored}) than the file import writes \
             from {} ({}): that row records other content under this name (an edit, or an import by \
             another version of migrate); if it stands for this migration, import the files without adopting \
             the history, then a repair of {} records the new checksum; otherwise delete the row",
            m.source.up_file, m.checksum, m.name
        ),
    }
}

/// Ends the adoption's transaction as `recording` says: rolled back, committed, or committed once the
/// plan's files are written.
fn finish(
    tx: postgres::Transaction<'_>,
    table: &MigrationsTable,
    plan: &Plan,
    recording: Recording,
) -> Result<(), ImportError> {
    match recording {
        Recording::DryRun => tx
            .rollback()
            .map_err(crate::Error::database("cannot roll back"))?,
        Recording::Rows => tx.commit().map_err(crate::Error::database(format!(
            "cannot commit the records in {table}"
        )))?,
        Recording::RowsThenFiles => {
            // The rows are in: now the files, so that a refused row never leaves a file behind. A failed
            // write removed what it wrote, and dropping the transaction rolls the rows back.
            let written = super::write(plan)?;
            if let Err(e) = tx.commit() {
                let left: Vec<String> = written
                    .iter()
                    .filter(|path| std::fs::remove_file(path).is_err())
                    .map(|path| crate::migration::display_path(&path.display().to_string()))
                    .collect();
                let error = crate::Error::database(format!("cannot commit the records in {table}"))(e);
                return Err(ImportError::FilesNotKept {
                    error: Box::new(error.into()),
                    removed: written.len() - left.len(),
                    left,
                });
            }
        }
    }
    Ok(())
}

/// The rows of `sql` (name, checksum), by name; `what` names the table in an error.
fn checksums_by_name(
    tx: &mut postgres::Transaction<'_>,
    sql: &str,
    what: &str,
) -> Result<std::collections::HashMap<String, Option<String>>, crate::Error> {
    Ok(tx
        .query(sql, &[])
        .map_err(crate::Error::database(format!("cannot read {what}")))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// The versions the tool applied, read from its table `source_table` (qualified as the server resolved it).
fn read_applied(
    client: &mut Client,
    tool: Tool,
    source_table: &str,
    plan: &Plan,
    refusals: &mut Vec<Refusal>,
) -> Result<Vec<Applied>, ImportError> {
    let table = SourceTable { name: source_table };
    match tool {
        Tool::Sqlx => sqlx_applied(client, &table, refusals),
        Tool::Refinery => refinery_applied(client, &table),
        Tool::Diesel => diesel_applied(client, &table),
        Tool::Dbmate | Tool::GolangMigrate => {
            let columns = table.query(
                client,
                "SELECT attname::text FROM pg_catalog.pg_attribute \
                 WHERE attrelid = pg_catalog.to_regclass($1) AND attnum > 0 AND NOT attisdropped",
                &[&source_table],
            )?;
            let golang = columns.iter().any(|r| r.get::<_, String>(0) == "dirty");
            if golang != (tool == Tool::GolangMigrate) {
                let other = if golang {
                    "golang-migrate's (version, dirty)"
                } else {
                    "dbmate's (version text rows)"
                };
                refusals.push(Refusal {
                    file: source_table.to_owned(),
                    reason: format!(
                        "it has {other} layout, not {tool}'s: import with the tool that wrote it"
                    ),
                });
                return Ok(Vec::new());
            }
            if golang {
                golang_migrate_applied(client, &table, plan, refusals)
            } else {
                dbmate_applied(client, &table)
            }
        }
        Tool::NodePgMigrate => Ok(Vec::new()),
        Tool::Flyway => flyway_applied(client, &table, plan, refusals),
    }
}

/// The other tool's history table, as the readers below query it.
struct SourceTable<'t> {
    /// Qualified as the server resolved it.
    name: &'t str,
}

impl SourceTable<'_> {
    fn query(
        &self,
        client: &mut Client,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, ImportError> {
        client
            .query(sql, params)
            .map_err(|source| ImportError::Database {
                context: format!("cannot read {}", self.name),
                source,
            })
    }
}

/// `_sqlx_migrations`: a failed version is refused (sqlx must repair it first).
fn sqlx_applied(
    client: &mut Client,
    table: &SourceTable<'_>,
    refusals: &mut Vec<Refusal>,
) -> Result<Vec<Applied>, ImportError> {
    let source_table = table.name;
    let sql = format!(
        "SELECT version, success, checksum, installed_on, execution_time FROM {source_table} ORDER BY version"
    );
    let mut applied = Vec::new();
    for r in table.query(client, &sql, &[])? {
        let version: i64 = r.get(0);
        if !r.get::<_, bool>(1) {
            refusals.push(Refusal {
                file: format!("version {version}"),
                reason: format!("sqlx recorded it as failed (success = false) in {source_table}: fix it with sqlx first"),
            });
            continue;
        }
        let nanos: i64 = r.get(4);
        applied.push(Applied {
            version: version.to_string(),
            checksum: Some(SourceChecksum::Sqlx(r.get(2))),
            run_on: Some(r.get(3)),
            execution_ms: Some(nanos / 1_000_000),
        });
    }
    Ok(applied)
}

/// `refinery_schema_history`: its time is text, its checksum a number in text.
fn refinery_applied(
    client: &mut Client,
    table: &SourceTable<'_>,
) -> Result<Vec<Applied>, ImportError> {
    let sql = format!(
        "SELECT version::bigint, applied_on, checksum FROM {} ORDER BY version",
        table.name
    );
    let rows = table.query(client, &sql, &[])?;
    Ok(rows
        .iter()
        .map(|r| {
            let version: i64 = r.get(0);
            let applied_on: Option<String> = r.get(1);
            let checksum: Option<String> = r.get(2);
            Applied {
                version: version.to_string(),
                checksum: checksum
                    .and_then(|c| c.parse().ok())
                    .map(SourceChecksum::Refinery),
                run_on: applied_on
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc)),
                execution_ms: None,
            }
        })
        .collect())
}

/// `__diesel_schema_migrations`: versions and times, no checksums.
fn diesel_applied(
    client: &mut Client,
    table: &SourceTable<'_>,
) -> Result<Vec<Applied>, ImportError> {
    let sql = format!(
        "SELECT version::text, run_on::timestamptz FROM {} ORDER BY version",
        table.name
    );
    let rows = table.query(client, &sql, &[])?;
    Ok(rows
        .iter()
        .map(|r| Applied {
            version: r.get(0),
            checksum: None,
            run_on: r.get(1),
            execution_ms: None,
        })
        .collect())
}

/// dbmate's `schema_migrations`: one text row per applied version.
fn dbmate_applied(
    client: &mut Client,
    table: &SourceTable<'_>,
) -> Result<Vec<Applied>, ImportError> {
    let sql = format!("SELECT version::text FROM {} ORDER BY version", table.name);
    let rows = table.query(client, &sql, &[])?;
    Ok(rows
        .iter()
        .map(|r| Applied {
            version: r.get(0),
            checksum: None,
            run_on: None,
            execution_ms: None,
        })
        .collect())
}

/// golang-migrate's `schema_migrations`: only the newest version and a dirty flag; a dirty table is refused.
fn golang_migrate_applied(
    client: &mut Client,
    table: &SourceTable<'_>,
    plan: &Plan,
    refusals: &mut Vec<Refusal>,
) -> Result<Vec<Applied>, ImportError> {
    let source_table = table.name;
    let sql = format!("SELECT version::bigint, dirty FROM {source_table}");
    let rows = table.query(client, &sql, &[])?;
    let mut applied = Vec::new();
    let Some(r) = rows.first() else {
        return Ok(applied);
    };
    let version: i64 = r.get(0);
    if r.get::<_, bool>(1) {
        refusals.push(Refusal {
            file: format!("version {version}"),
            reason: format!(
                "{source_table} is dirty at version {version} (it failed part-way): fix the database and \
                 `migrate force` with golang-migrate first"
            ),
        });
        return Ok(applied);
    }
    // golang-migrate keeps only the newest version: every one up to it was applied.
    let newest = u128::try_from(version).unwrap_or(0);
    for m in &plan.migrations {
        if m.source.version.parse::<u128>().is_ok_and(|v| v <= newest) {
            applied.push(Applied {
                version: m.source.version.clone(),
                checksum: None,
                run_on: None,
                execution_ms: None,
            });
        }
    }
    if !plan
        .migrations
        .iter()
        .any(|m| m.source.version == version.to_string())
    {
        applied.push(Applied {
            version: version.to_string(),
            checksum: None,
            run_on: None,
            execution_ms: None,
        });
    }
    Ok(applied)
}

/// `flyway_schema_history`, in installation order: undone versions leave, a baseline stands for every version up
/// to it, a repeatable migration counts by its latest successful run, a failed version is refused.
fn flyway_applied(
    client: &mut Client,
    table: &SourceTable<'_>,
    plan: &Plan,
    refusals: &mut Vec<Refusal>,
) -> Result<Vec<Applied>, ImportError> {
    let source_table = table.name;
    let sql = format!(
        "SELECT version, type, checksum, installed_on::timestamptz, execution_time::bigint, success, script \
         FROM {source_table} ORDER BY installed_rank"
    );
    let mut versions: Vec<Applied> = Vec::new();
    for r in table.query(client, &sql, &[])? {
        let version: Option<String> = r.get(0);
        let kind: String = r.get(1);
        let script: String = r.get(6);
        let Some(version) = version else {
            // A repeatable migration (the schema creation has no version either): the latest run of
            // each script counts.
            if kind == "SQL" && r.get::<_, bool>(5) {
                let version = format!("{}{script}", super::REPEATABLE_VERSION);
                versions.retain(|a| a.version != version);
                versions.push(Applied {
                    version,
                    checksum: r.get::<_, Option<i32>>(2).map(SourceChecksum::Flyway),
                    run_on: r.get(3),
                    execution_ms: r.get(4),
                });
            }
            continue;
        };
        if !r.get::<_, bool>(5) {
            refusals.push(Refusal {
                file: script,
                reason: format!("Flyway recorded version {version} as failed in {source_table}: `flyway repair` first"),
            });
            continue;
        }
        match kind.as_str() {
            "UNDO_SQL" | "UNDO_JDBC" => versions.retain(|a| a.version != version),
            "BASELINE" => {
                // Everything up to the baseline counts as applied, without a checksum.
                let key = flyway_key(&version);
                for m in &plan.migrations {
                    if flyway_key(&m.source.version) <= key {
                        versions.push(Applied {
                            version: m.source.version.clone(),
                            checksum: None,
                            run_on: r.get(3),
                            execution_ms: None,
                        });
                    }
                }
            }
            _ => versions.push(Applied {
                checksum: r.get::<_, Option<i32>>(2).map(SourceChecksum::Flyway),
                run_on: r.get(3),
                execution_ms: r.get(4),
                version: plan
                    .migrations
                    .iter()
                    .map(|m| &m.source.version)
                    .find(|v| flyway_key(v) == flyway_key(&version))
                    .cloned()
                    .unwrap_or(version),
            }),
        }
    }
    Ok(versions)
}

/// A Flyway version's numbers without trailing zero parts (`1.0` is `1`).
fn flyway_key(version: &str) -> Vec<u128> {
    let mut parts: Vec<u128> = version
        .split(['.', '_'])
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    while parts.len() > 1 && parts.last() == Some(&0) {
        parts.pop();
    }
    parts
}
