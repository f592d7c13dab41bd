//! The migrations table: which migrations ran, when, with which checksum and how long they took.
//!
//! Every statement here binds its values as parameters; the table's own name is an identifier and is quoted.

use chrono::{DateTime, Utc};
use postgres::fallible_iterator::FallibleIterator;
use postgres::GenericClient;
use serde::Serialize;

use crate::error::Error;
use crate::migration::Migration;

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

/// How the checksum of a row adopted from another tool whose migrations have no file here starts
/// (`adopted:node-pg-migrate`): `status` shows such a row as adopted, not as a missing file.
pub const ADOPTED_PREFIX: &str = "adopted:";

/// Suffixes of the tables named after the migrations table: backfill progress and failure marks.
const DERIVED_SUFFIXES: [&str; 3] = ["_backfill", "_failed", "_repeat"];

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
                return Err(Error::InvalidTableName {
                    what,
                    value: value.to_owned(),
                });
            }
        }
        if name.len() > MAX_TABLE_NAME_BYTES {
            let derived: Vec<String> = DERIVED_SUFFIXES
                .iter()
                .map(|suffix| format!("{name}{suffix}"))
                .collect();
            return Err(Error::TableNameTooLong {
                name: name.to_owned(),
                max: MAX_TABLE_NAME_BYTES,
                derived,
            });
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

    /// `run_on` is written, not left to the column's default: a table converted from another tool's (such
    /// as node-pg-migrate's `run_on timestamp NOT NULL`) has none.
    pub(crate) fn insert_sql(&self) -> String {
        format!(
            "INSERT INTO {} (name, run_on, checksum, execution_ms) VALUES ($1, pg_catalog.clock_timestamp(), $2, $3)",
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

/// A row's checksum as the engine keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checksum {
    /// The row has none (written by another tool, or by hand).
    Missing,
    /// 64 lowercase hex digits, as this tool writes them, kept as the 32 bytes they spell.
    Digest([u8; 32]),
    /// Any other text, kept as read (position in [`History`]'s list of them): it matches no file.
    Odd(u32),
}

/// The rows of the migrations table, oldest first, as `up`, `down` and `status` read them. A no-op `up` with
/// tens of thousands of rows holds all of them, so they are kept small: a row whose name is a compiled
/// migration's (nearly every row) refers to that migration for its name, and for its checksum when the two
/// agree, and takes 48 bytes with nothing beside it; only a row without a file, or whose checksum differs from
/// the file's, keeps its own name or digest. `status` makes an [`AppliedMigration`] of a row when it shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct History<'m> {
    known: Known<'m>,
    rows: Vec<Row>,
    /// The names of rows that match no compiled migration, concatenated, and where each one starts and ends.
    names: String,
    name_ranges: Vec<(u32, u32)>,
    /// Recorded digests that are not a compiled migration's of the same name.
    digests: Vec<[u8; 32]>,
    /// Recorded checksums that are not a digest this tool writes, as read.
    odd: Vec<String>,
}

/// The compiled migrations the rows are matched with by name.
#[derive(Debug, Clone, Default)]
struct Known<'m> {
    migrations: &'m [Migration],
    /// Their positions in name order, when the list is not in it already (a hand-built list; a generated
    /// registry is in timestamp order, which is name order).
    by_name: Option<Vec<u32>>,
}

impl<'m> Known<'m> {
    fn new(migrations: &'m [Migration]) -> Self {
        Known {
            migrations,
            by_name: crate::migration::name_order(migrations),
        }
    }

    /// The position of the migration called `name`.
    fn find(&self, name: &str) -> Option<u32> {
        let name_at = |i: u32| self.migrations[i as usize].name();
        match &self.by_name {
            None => self
                .migrations
                .binary_search_by(|m| m.name().cmp(name))
                .ok()
                .map(|i| i as u32),
            Some(order) => order
                .binary_search_by(|&i| name_at(i).cmp(name))
                .ok()
                .map(|at| order[at]),
        }
    }

    fn get(&self, i: u32) -> &Migration {
        &self.migrations[i as usize]
    }
}

#[derive(Debug, Clone, Copy)]
struct Row {
    id: i64,
    /// Meaningful only when `has_execution_ms` (an `Option<i64>` would take 8 bytes more a row).
    execution_ms: i64,
    run_on: DateTime<Utc>,
    name: Name,
    checksum: Recorded,
    has_execution_ms: bool,
}

/// Where a row's name is.
#[derive(Debug, Clone, Copy)]
enum Name {
    /// The name of compiled migration `i` ([`Known`]).
    Known(u32),
    /// Range `i` of [`History::name_ranges`].
    Own(u32),
}

/// A row's checksum, as kept.
#[derive(Debug, Clone, Copy)]
enum Recorded {
    Missing,
    /// The checksum of compiled migration `i` ([`Known`]), the one the row is named after.
    SameAsFile(u32),
    /// Digest `i` of [`History::digests`].
    Digest(u32),
    /// Text `i` of [`History::odd`].
    Odd(u32),
}

impl<'m> History<'m> {
    /// An empty history whose rows will be matched with `known` by name.
    fn matched_with(known: &'m [Migration], rows: usize) -> History<'m> {
        History {
            known: Known::new(known),
            rows: Vec::with_capacity(rows),
            ..History::default()
        }
    }

    /// `rows` matched with `known` by name.
    pub(crate) fn of_rows(known: &'m [Migration], rows: &[AppliedMigration]) -> History<'m> {
        let mut history = History::matched_with(known, rows.len());
        for a in rows {
            history.push(
                a.id,
                &a.name,
                a.run_on,
                a.checksum.as_deref(),
                a.execution_ms,
            );
        }
        history
    }

    /// Appends a row.
    pub(crate) fn push(
        &mut self,
        id: i64,
        name: &str,
        run_on: DateTime<Utc>,
        checksum: Option<&str>,
        execution_ms: Option<i64>,
    ) {
        let checksum = match checksum {
            None => Checksum::Missing,
            Some(text) => match parse_digest(text) {
                Some(digest) => Checksum::Digest(digest),
                None => {
                    self.odd.push(text.to_owned());
                    Checksum::Odd(self.odd.len() as u32 - 1)
                }
            },
        };
        self.push_with(id, name, run_on, checksum, execution_ms);
    }

    fn push_with(
        &mut self,
        id: i64,
        name: &str,
        run_on: DateTime<Utc>,
        checksum: Checksum,
        execution_ms: Option<i64>,
    ) {
        let known = self.known.find(name);
        let name = match known {
            Some(i) => Name::Known(i),
            None => {
                let start = self.names.len() as u32;
                self.names.push_str(name);
                self.name_ranges.push((start, self.names.len() as u32));
                Name::Own(self.name_ranges.len() as u32 - 1)
            }
        };
        let checksum = match checksum {
            Checksum::Missing => Recorded::Missing,
            Checksum::Odd(at) => Recorded::Odd(at),
            Checksum::Digest(digest) => match known {
                Some(k) if self.known.get(k).digest() == digest => Recorded::SameAsFile(k),
                _ => {
                    self.digests.push(digest);
                    Recorded::Digest(self.digests.len() as u32 - 1)
                }
            },
        };
        self.rows.push(Row {
            id,
            execution_ms: execution_ms.unwrap_or(0),
            run_on,
            name,
            checksum,
            has_execution_ms: execution_ms.is_some(),
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The name of row `i`.
    pub(crate) fn name(&self, i: usize) -> &str {
        match self.rows[i].name {
            Name::Known(k) => self.known.get(k).name(),
            Name::Own(at) => {
                let (start, end) = self.name_ranges[at as usize];
                self.names.get(start as usize..end as usize).unwrap_or("")
            }
        }
    }

    /// Every row's name, oldest first.
    pub(crate) fn names(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.name(i))
    }

    /// Whether a row has this name.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }

    pub(crate) fn id(&self, i: usize) -> i64 {
        self.rows[i].id
    }

    pub(crate) fn checksum(&self, i: usize) -> Checksum {
        match self.rows[i].checksum {
            Recorded::Missing => Checksum::Missing,
            Recorded::SameAsFile(k) => Checksum::Digest(self.known.get(k).digest()),
            Recorded::Digest(at) => Checksum::Digest(self.digests[at as usize]),
            Recorded::Odd(at) => Checksum::Odd(at),
        }
    }

    /// Whether row `i` records `m`'s current checksum; `None` when it records none.
    pub(crate) fn matches(&self, i: usize, m: &crate::Migration) -> Option<bool> {
        match self.checksum(i) {
            Checksum::Missing => None,
            Checksum::Digest(digest) => Some(digest == m.digest()),
            Checksum::Odd(_) => Some(false),
        }
    }

    /// Whether row `i` was adopted from another tool and has no file here by design ([`ADOPTED_PREFIX`]).
    pub(crate) fn is_adopted(&self, i: usize) -> bool {
        match self.checksum(i) {
            Checksum::Odd(at) => self
                .odd
                .get(at as usize)
                .is_some_and(|text| text.starts_with(ADOPTED_PREFIX)),
            _ => false,
        }
    }

    /// Row `i` as the public type.
    pub(crate) fn row(&self, i: usize) -> AppliedMigration {
        let row = &self.rows[i];
        AppliedMigration {
            id: row.id,
            name: self.name(i).to_owned(),
            run_on: row.run_on,
            checksum: match self.checksum(i) {
                Checksum::Missing => None,
                Checksum::Digest(digest) => Some(crate::migration::hex(&digest)),
                Checksum::Odd(at) => self.odd.get(at as usize).cloned(),
            },
            execution_ms: row.has_execution_ms.then_some(row.execution_ms),
        }
    }

    /// The rows for which `keep` returns a name (the row's own or another), in the same order.
    pub(crate) fn rebuilt<'n>(
        &self,
        mut keep: impl FnMut(usize) -> Option<Kept<'n>>,
    ) -> History<'m> {
        let mut out = History {
            known: self.known.clone(),
            rows: Vec::with_capacity(self.rows.len()),
            odd: self.odd.clone(),
            ..History::default()
        };
        for i in 0..self.len() {
            let row = self.rows[i];
            let execution_ms = row.has_execution_ms.then_some(row.execution_ms);
            match keep(i) {
                None => {}
                Some(Kept::AsIs) => {
                    out.push_with(
                        row.id,
                        self.name(i),
                        row.run_on,
                        self.checksum(i),
                        execution_ms,
                    );
                }
                Some(Kept::As { name, digest }) => {
                    out.push_with(
                        row.id,
                        name,
                        row.run_on,
                        Checksum::Digest(digest),
                        execution_ms,
                    );
                }
            }
        }
        out
    }
}

/// What [`History::rebuilt`] keeps of a row.
pub(crate) enum Kept<'n> {
    AsIs,
    /// The row under another name and checksum (a squashed baseline standing for the rows it replaces).
    As {
        name: &'n str,
        digest: [u8; 32],
    },
}

impl From<&[AppliedMigration]> for History<'static> {
    /// The rows matched with no compiled migration: each keeps its own name and checksum.
    fn from(rows: &[AppliedMigration]) -> History<'static> {
        History::of_rows(&[], rows)
    }
}

/// The digest 64 lowercase hex digits spell, as [`crate::Migration::checksum`] writes it.
fn parse_digest(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    let mut digest = [0; 32];
    for (byte, pair) in digest.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(digest)
}

/// Whether the table exists (without creating anything).
pub(crate) fn exists(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<bool, Error> {
    let row = client
        .query_one(
            "SELECT pg_catalog.to_regclass($1) IS NOT NULL",
            &[&table.quoted()],
        )
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
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)",
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
             \x20   run_on timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),\n\
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
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod)
             FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&table.quoted()],
        )
        .map_err(Error::database(format!(
            "cannot read the columns of the migrations table {table}"
        )))?;
    let columns: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let expected: [(&str, &[&str]); 5] = [
        ("id", &["bigint", "integer"]),
        ("name", &["text", "character varying"]),
        // node-pg-migrate's table, adopted as it is, has `timestamp without time zone`; it is read as
        // `timestamptz` in the session's time zone, as node-pg-migrate wrote it.
        (
            "run_on",
            &["timestamp with time zone", "timestamp without time zone"],
        ),
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
        problems.push_str(" (this looks like a node-pg-migrate table: `migrate import --from node-pg-migrate DIR` adopts it, or use another --migrations-table)");
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

/// The applied migrations, in the order they were applied, each matched by name with the compiled migration
/// in `known` it records (see [`History`]).
pub(crate) fn load<'m>(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    known: &'m [Migration],
) -> Result<History<'m>, Error> {
    check_layout(client, table)?;
    let sql = format!(
        "SELECT id::bigint, name::text, run_on::timestamptz, checksum, execution_ms, pg_catalog.count(*) OVER () FROM {} ORDER BY id",
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
    let mut history = History::matched_with(known, 0);
    while let Some(r) = rows.next().map_err(Error::database(format!(
        "cannot read the migrations table {table}"
    )))? {
        // Sized from the first row's count of all rows: grown by doubling, the rows would briefly be held one
        // and a half times.
        if history.is_empty() {
            let total: i64 = r.try_get(5).map_err(read)?;
            history
                .rows
                .reserve_exact(usize::try_from(total).unwrap_or(0));
        }
        // Rows written by hand or by another tool may hold NULLs: an unknown checksum or time stays unknown;
        // a row without id, name or run_on cannot be placed at all.
        let id: Option<i64> = r.try_get(0).map_err(read)?;
        let name: Option<&str> = r.try_get(1).map_err(read)?;
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
        let checksum: Option<&str> = r.try_get(3).map_err(read)?;
        history.push(id, name, run_on, checksum, r.try_get(4).map_err(read)?);
    }
    Ok(history)
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
    let failed = failures_table(table);
    let exists: bool = client
        .query_one("SELECT pg_catalog.to_regclass($1) IS NOT NULL", &[&failed])
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
    let failed = failures_table(table);
    client
        .execute(&format!("DELETE FROM {failed} WHERE name = $1"), &[&name])
        .map_err(Error::database(format!(
            "cannot clear the failure of {name}"
        )))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{checksum, Definition, Migration};

    fn row(id: i64, name: &str, checksum: Option<&str>) -> AppliedMigration {
        AppliedMigration {
            id,
            name: name.to_owned(),
            run_on: DateTime::UNIX_EPOCH,
            checksum: checksum.map(str::to_owned),
            execution_ms: Some(id * 10),
        }
    }

    /// What is kept gives back every row as read: a checksum this tool wrote (kept as a digest), one in
    /// capitals or of another length (kept as text), none at all.
    #[test]
    fn rows_come_back_as_they_were_read() {
        let ours = checksum("a");
        let capitals = ours.to_uppercase();
        let rows = [
            row(1, "20260101000000_a", Some(&ours)),
            row(2, "20260101000001_b", Some(&capitals)),
            row(3, "20260101000002_c", Some("md5:abc")),
            row(4, "20260101000003_d", None),
        ];
        let history = History::from(&rows[..]);
        assert_eq!(history.len(), 4);
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(history.row(i), *r);
            assert_eq!(history.name(i), r.name);
        }
        assert!(matches!(history.checksum(0), Checksum::Digest(_)));
        assert!(matches!(history.checksum(1), Checksum::Odd(_)));
        assert_eq!(history.checksum(3), Checksum::Missing);
        assert_eq!(history.names().next_back(), Some("20260101000003_d"));
    }

    #[test]
    fn a_row_matches_the_file_it_recorded_and_only_that() {
        static A: Migration = Migration::defined(&Definition {
            name: "20260101000000_a",
            path: "a.rs",
            source: "a",
            up: |_| {},
            down: None,
        });
        let edited = checksum("a, edited");
        let rows = [
            row(1, "20260101000000_a", Some(&checksum("a"))),
            row(2, "20260101000000_a", Some(&edited)),
            row(3, "20260101000000_a", Some(&checksum("a").to_uppercase())),
            row(4, "20260101000000_a", None),
        ];
        let history = History::from(&rows[..]);
        assert_eq!(history.matches(0, &A), Some(true));
        assert_eq!(history.matches(1, &A), Some(false));
        assert_eq!(history.matches(2, &A), Some(false));
        assert_eq!(history.matches(3, &A), None);
    }

    /// A hand-written migration called `name` whose source is `source`.
    const fn defined(name: &'static str, source: &'static str) -> Definition {
        Definition {
            name,
            path: "",
            source,
            up: |_| {},
            down: None,
        }
    }

    static DEFINED: [Definition; 3] = [
        defined("20260101000000_a", "a"),
        defined("20260101000001_b", "b"),
        defined("20260101000002_c", "c"),
    ];

    static KNOWN: [Migration; 3] = [
        Migration::defined(&DEFINED[0]),
        Migration::defined(&DEFINED[1]),
        Migration::defined(&DEFINED[2]),
    ];

    /// Rows named after compiled migrations refer to them instead of keeping a copy, and still give back
    /// exactly what was read: the file's checksum, another one, one in capitals, none, a name without a file,
    /// the same name twice.
    #[test]
    fn rows_named_after_compiled_migrations_come_back_as_read() {
        let rows = [
            row(1, "20260101000000_a", Some(&checksum("a"))),
            row(2, "20260101000001_b", Some(&checksum("b, edited"))),
            row(3, "20260101000002_c", Some(&checksum("c").to_uppercase())),
            row(4, "20251231000000_gone", Some(&checksum("gone"))),
            row(5, "20260101000000_a", None),
            AppliedMigration {
                execution_ms: None,
                ..row(6, "20260101000002_c", Some(&checksum("c")))
            },
        ];
        let history = History::of_rows(&KNOWN, &rows);
        assert_eq!(history.len(), rows.len());
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(history.row(i), *r, "row {i}");
            assert_eq!(history.name(i), r.name);
        }
        assert_eq!(history.matches(0, &KNOWN[0]), Some(true));
        assert_eq!(history.matches(1, &KNOWN[1]), Some(false));
        assert_eq!(history.matches(2, &KNOWN[2]), Some(false));
        assert_eq!(history.matches(4, &KNOWN[0]), None);
        assert_eq!(history.matches(5, &KNOWN[2]), Some(true));
        // A row is compared with the migration it is asked about, not the one it is named after.
        assert_eq!(history.matches(0, &KNOWN[1]), Some(false));
        assert_eq!(
            history.checksum(3),
            Checksum::Digest(parse_digest(&checksum("gone")).unwrap())
        );
        // Only what differs from the files is kept beside the rows.
        assert_eq!(history.names, "20251231000000_gone");
        assert_eq!(history.digests.len(), 2);
        assert_eq!(history.odd.len(), 1);
    }

    /// A hand-built list need not be in name order: rows still find their migration.
    #[test]
    fn rows_find_their_migration_in_a_list_out_of_name_order() {
        let shuffled = [KNOWN[2], KNOWN[0], KNOWN[1]];
        let rows = [
            row(1, "20260101000001_b", Some(&checksum("b"))),
            row(2, "20260101000002_c", Some(&checksum("c"))),
        ];
        let history = History::of_rows(&shuffled, &rows);
        assert!(history.names.is_empty());
        assert!(history.digests.is_empty());
        assert_eq!(history.name(0), "20260101000001_b");
        assert_eq!(history.matches(1, &KNOWN[2]), Some(true));
        assert_eq!(history.row(1), rows[1]);
    }

    /// The size that makes a no-op `up` with tens of thousands of rows cheap (see [`History`]).
    #[test]
    fn a_row_takes_48_bytes() {
        assert!(
            std::mem::size_of::<Row>() <= 48,
            "{}",
            std::mem::size_of::<Row>()
        );
    }

    #[test]
    fn rebuilding_drops_renames_and_keeps_the_rest_in_order() {
        let rows = [
            row(1, "20260101000000_a", Some("odd")),
            row(2, "20260101000001_b", Some(&checksum("b"))),
            row(3, "20260101000002_c", None),
        ];
        let history = History::from(&rows[..]);
        let digest = [7; 32];
        let rebuilt = history.rebuilt(|i| match i {
            0 => Some(Kept::AsIs),
            1 => None,
            _ => Some(Kept::As {
                name: "20260101000009_baseline",
                digest,
            }),
        });
        assert_eq!(rebuilt.row(0), rows[0]);
        assert_eq!(
            rebuilt.row(1),
            AppliedMigration {
                name: "20260101000009_baseline".to_owned(),
                checksum: Some("07".repeat(32)),
                ..rows[2].clone()
            }
        );
        assert_eq!(rebuilt.len(), 2);
    }

    /// A row rebuilt under a compiled migration's name and digest refers to that migration like a loaded one.
    #[test]
    fn rebuilding_under_a_compiled_name_refers_to_it() {
        let rows = [
            row(1, "20251231000000_squashed", Some(&checksum("old"))),
            row(2, "20260101000000_a", Some(&checksum("a"))),
        ];
        let history = History::of_rows(&KNOWN, &rows);
        let rebuilt = history.rebuilt(|i| match i {
            0 => Some(Kept::As {
                name: "20260101000002_c",
                digest: KNOWN[2].digest(),
            }),
            _ => Some(Kept::AsIs),
        });
        assert_eq!(rebuilt.name(0), "20260101000002_c");
        assert_eq!(rebuilt.matches(0, &KNOWN[2]), Some(true));
        assert_eq!(rebuilt.row(1), rows[1]);
        assert!(rebuilt.names.is_empty());
        assert!(rebuilt.digests.is_empty());
    }
}
