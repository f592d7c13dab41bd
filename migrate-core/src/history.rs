//! The migrations table: which migrations ran, when, with which checksum and how long they took.
//!
//! Every statement here binds its values as parameters; the table's own name is an identifier and is quoted.

use chrono::{DateTime, Utc};
use postgres::fallible_iterator::FallibleIterator;
use postgres::GenericClient;
use serde::Serialize;

use crate::error::Error;

/// Where the bookkeeping lives: `public.pgmigrations` unless configured otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationsTable {
    schema: String,
    name: String,
}

impl Default for MigrationsTable {
    fn default() -> Self {
        MigrationsTable {
            schema: "public".to_owned(),
            name: "pgmigrations".to_owned(),
        }
    }
}

/// Suffixes of the tables named after the migrations table: backfill progress and failure marks.
const DERIVED_SUFFIXES: [&str; 2] = ["_backfill", "_failed"];

/// The longest migrations table name whose derived tables (`<name>_backfill`) still fit in PostgreSQL's 63
/// bytes: 54.
pub const MAX_TABLE_NAME_BYTES: usize = migrate_dsl::MAX_IDENTIFIER_BYTES - "_backfill".len();

impl MigrationsTable {
    /// A table `name` in `schema`. Both are identifiers (quoted, case kept); invalid ones are refused. The
    /// table name is at most [`MAX_TABLE_NAME_BYTES`] long: PostgreSQL would truncate the names of the
    /// tables derived from it, which would then silently miss each other.
    pub fn new(schema: &str, name: &str) -> Result<Self, Error> {
        for (what, value) in [("schema", schema), ("table", name)] {
            if value.is_empty()
                || value.len() > migrate_dsl::MAX_IDENTIFIER_BYTES
                || value.contains('\0')
            {
                return Err(Error::Target(format!(
                    "invalid migrations {what} name {value:?}: it must be 1 to 63 bytes long without NUL characters"
                )));
            }
        }
        if name.len() > MAX_TABLE_NAME_BYTES {
            let derived: Vec<String> = DERIVED_SUFFIXES
                .iter()
                .map(|suffix| format!("{name}{suffix}"))
                .collect();
            return Err(Error::Target(format!(
                "invalid migrations table name {name:?}: it is {} bytes long; use at most {MAX_TABLE_NAME_BYTES} bytes, so that \
                 the tables named after it ({}) fit in PostgreSQL's 63 bytes",
                name.len(),
                derived.join(", ")
            )));
        }
        Ok(MigrationsTable {
            schema: schema.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `"schema"."name"`, quoted for SQL.
    pub fn quoted(&self) -> String {
        format!(
            "{}.{}",
            migrate_dsl::ident(&self.schema),
            migrate_dsl::ident(&self.name)
        )
    }

    pub(crate) fn insert_sql(&self) -> String {
        format!(
            "INSERT INTO {} (name, checksum, execution_ms) VALUES ($1, $2, $3)",
            self.quoted()
        )
    }

    pub(crate) fn delete_sql(&self) -> String {
        format!("DELETE FROM {} WHERE name = $1", self.quoted())
    }

    /// `"schema"."<name><suffix>"`, a table named after this one; [`MigrationsTable::new`] made sure it fits.
    pub(crate) fn derived(&self, suffix: &str) -> String {
        format!(
            "{}.{}",
            migrate_dsl::ident(&self.schema),
            migrate_dsl::ident(&format!("{}{suffix}", self.name))
        )
    }
}

impl std::fmt::Display for MigrationsTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// One row of the migrations table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub id: i64,
    pub name: String,
    pub run_on: DateTime<Utc>,
    /// `None` when the row has none (written by another tool, or by hand): the file cannot be compared.
    pub checksum: Option<String>,
    /// `None` when the row has none.
    pub execution_ms: Option<i64>,
}

/// Whether the table exists (without creating anything).
pub(crate) fn exists(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<bool, Error> {
    let row = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table.quoted()])
        .map_err(Error::database(format!(
            "cannot look up the migrations table {table}"
        )))?;
    Ok(row.get(0))
}

/// Creates the schema and table when missing, then checks the layout. Runs under the advisory lock, so two
/// runners never race to create it.
pub(crate) fn ensure(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<(), Error> {
    if !exists(client, table)? {
        // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists, which a
        // role that only owns its schema lacks: only create a schema that is missing.
        let schema_exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                &[&table.schema],
            )
            .map_err(Error::database(format!(
                "cannot look up the schema of {table}"
            )))?
            .get(0);
        let create_schema = if schema_exists {
            String::new()
        } else {
            format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n",
                migrate_dsl::ident(&table.schema)
            )
        };
        let sql = format!(
            "{create_schema}\
             CREATE TABLE IF NOT EXISTS {table} (\n\
             \x20   id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n\
             \x20   name text NOT NULL UNIQUE,\n\
             \x20   run_on timestamptz NOT NULL DEFAULT clock_timestamp(),\n\
             \x20   checksum text NOT NULL,\n\
             \x20   execution_ms bigint NOT NULL\n\
             )",
            table = table.quoted()
        );
        client.batch_execute(&sql).map_err(Error::database(format!(
            "cannot create the migrations table {table}"
        )))?;
    }
    check_layout(client, table)
}

/// Refuses a table whose columns are not the ones this tool reads and writes, naming what differs.
pub(crate) fn check_layout(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<(), Error> {
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
             FROM pg_attribute a
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&table.quoted()],
        )
        .map_err(Error::database(format!(
            "cannot read the columns of the migrations table {table}"
        )))?;
    let columns: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let expected: [(&str, &[&str]); 5] = [
        ("id", &["bigint", "integer"]),
        ("name", &["text", "character varying"]),
        ("run_on", &["timestamp with time zone"]),
        ("checksum", &["text"]),
        ("execution_ms", &["bigint"]),
    ];
    let mut problems = Vec::new();
    for (name, types) in expected {
        match columns.iter().find(|(c, _)| c == name) {
            None => problems.push(format!("column {name} is missing")),
            Some((_, ty)) if !types.iter().any(|t| ty.starts_with(t)) => problems.push(format!(
                "column {name} has type {ty}, expected {}",
                types.join(" or ")
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut problems = problems.join("; ");
    if columns.len() == 3
        && ["id", "name", "run_on"]
            .iter()
            .all(|n| columns.iter().any(|(c, _)| c == n))
    {
        problems.push_str(" (this looks like a node-pg-migrate table; use another --migrations-table, or add the columns checksum text and execution_ms bigint)");
    } else {
        problems.push_str(&format!(
            " (expected columns: id bigint, name text UNIQUE, run_on timestamptz, checksum text, execution_ms bigint; is {table} another tool's table?)"
        ));
    }
    Err(Error::TableLayout {
        table: table.to_string(),
        problems,
    })
}

/// The applied migrations, in the order they were applied.
pub(crate) fn load(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<Vec<AppliedMigration>, Error> {
    check_layout(client, table)?;
    let sql = format!(
        "SELECT id::bigint, name::text, run_on, checksum, execution_ms, count(*) OVER () FROM {} ORDER BY id",
        table.quoted()
    );
    // Streamed, not collected: the rows as received are never all held next to what is kept of them.
    let mut rows = client
        .query_raw(
            &sql,
            std::iter::empty::<&(dyn postgres::types::ToSql + Sync)>(),
        )
        .map_err(Error::database(format!(
            "cannot read the migrations table {table}"
        )))?;
    // Only a failure pays for the message.
    let read = |e| Error::database(format!("cannot read a row of {table}"))(e);
    // Sized from the first row's count of all rows: grown by doubling, the vector would briefly hold one and a
    // half times the history.
    let mut applied = Vec::new();
    while let Some(r) = rows.next().map_err(Error::database(format!(
        "cannot read the migrations table {table}"
    )))? {
        // Rows written by hand or by another tool may hold NULLs: an unknown checksum or time stays unknown;
        // a row without id, name or run_on cannot be placed at all.
        if applied.is_empty() {
            let total: i64 = r.try_get(5).map_err(read)?;
            applied.reserve_exact(usize::try_from(total).unwrap_or(0));
        }
        let id: Option<i64> = r.try_get(0).map_err(read)?;
        let name: Option<String> = r.try_get(1).map_err(read)?;
        let run_on: Option<DateTime<Utc>> = r.try_get(2).map_err(read)?;
        let (Some(id), Some(name), Some(run_on)) = (id, name, run_on) else {
            return Err(Error::TableLayout {
                table: table.to_string(),
                problems: format!(
                    "a row ({}) has no id, name or run_on; fix or delete it",
                    id.map_or("id NULL".to_owned(), |id| format!("id {id}"))
                ),
            });
        };
        applied.push(AppliedMigration {
            id,
            name,
            run_on,
            checksum: r.try_get(3).map_err(read)?,
            execution_ms: r.try_get(4).map_err(read)?,
        });
    }
    Ok(applied)
}

pub(crate) fn insert(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    checksum: &str,
    execution_ms: i64,
) -> Result<(), Error> {
    client
        .execute(&table.insert_sql(), &[&name, &checksum, &execution_ms])
        .map_err(Error::database(format!("cannot record {name} in {table}")))?;
    Ok(())
}

pub(crate) fn delete(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
) -> Result<(), Error> {
    client
        .execute(&table.delete_sql(), &[&name])
        .map_err(Error::database(format!(
            "cannot remove {name} from {table}"
        )))?;
    Ok(())
}

/// Records that the applied migration `old` is now called `new` (its file was renamed).
pub(crate) fn rename(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    old: &str,
    new: &str,
) -> Result<(), Error> {
    let sql = format!("UPDATE {} SET name = $2 WHERE name = $1", table.quoted());
    client
        .execute(&sql, &[&old, &new])
        .map_err(Error::database(format!(
            "cannot record the rename of {old} to {new}"
        )))?;
    Ok(())
}

pub(crate) fn update_checksum(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    checksum: &str,
) -> Result<(), Error> {
    let sql = format!(
        "UPDATE {} SET checksum = $2 WHERE name = $1",
        table.quoted()
    );
    client
        .execute(&sql, &[&name, &checksum])
        .map_err(Error::database(format!(
            "cannot update the checksum of {name}"
        )))?;
    Ok(())
}

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

/// `"schema"."<table>_failed"`.
fn failures_table(table: &MigrationsTable) -> String {
    table.derived("_failed")
}

/// Keeps `failure` (replacing an older one of the same migration), creating the table when missing.
pub(crate) fn record_failure(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    direction: &str,
    statements: &[String],
    error: &str,
) -> Result<(), Error> {
    let failed = failures_table(table);
    // Created only when missing, and altered only when it lacks `statements` (a table created by an earlier
    // version, which kept only the count): both need rights a role that may only write the rows lacks.
    let has_statements: Option<bool> = client
        .query_one(
            "SELECT (SELECT true FROM pg_attribute WHERE attrelid = to_regclass($1) \
             AND attname = 'statements' AND NOT attisdropped) \
             FROM (SELECT to_regclass($1) AS t) r WHERE t IS NOT NULL",
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
             failed_at timestamptz NOT NULL DEFAULT clock_timestamp());\n\
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
                 failed_at = clock_timestamp()"
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
    let failed = failures_table(table);
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&failed])
        .map_err(Error::database(format!("cannot look up {failed}")))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    // Through to_jsonb, so a table written by an earlier version without `statements` reads too (as none).
    let rows = client
        .query(
            &format!(
                "SELECT name, direction, committed, error, failed_at, \
                 ARRAY(SELECT jsonb_array_elements_text(to_jsonb(f) -> 'statements')) \
                 FROM {failed} f ORDER BY failed_at"
            ),
            &[],
        )
        .map_err(Error::database(format!("cannot read {failed}")))?;
    Ok(rows
        .iter()
        .map(|r| Failure {
            name: r.get(0),
            direction: r.get(1),
            committed: r.get(2),
            error: r.get(3),
            failed_at: r.get(4),
            statements: r.get(5),
        })
        .collect())
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
    let failed = failures_table(table);
    client
        .execute(&format!("DELETE FROM {failed} WHERE name = $1"), &[&name])
        .map_err(Error::database(format!(
            "cannot clear the failure of {name}"
        )))?;
    Ok(true)
}
