//! The migrations table's SQL: creating it, checking its columns, reading its rows and changing them.
//!
//! Every statement here binds its values as parameters; the table's own name is an identifier and is quoted.

use chrono::{DateTime, Utc};
use postgres::types::Type;
use postgres::fallible_iterator::FallibleIterator;
use postgres::GenericClient;

use crate::error::Error;
use crate::migration::Migration;

use super::rows::History;
use super::table::MigrationsTable;

// The statements `up` and `down` record a migration with; also shown, as they are, in reviewed plans
// (`plan`), so they are the table's methods.
impl MigrationsTable {
    /// `run_on` is written, not left to the column's default: a table converted from another tool's (such
    /// as node-pg-migrate's `run_on timestamp NOT NULL`) has none. `$4` to `$6` are what a later binary
    /// needs to judge and revert the migration without its file ([`PhaseAndDown`]).
    pub(crate) fn insert_sql(&self) -> String {
        self.insert_of("$1", "$2", "$3", Some(["$4", "$5", "$6"]))
    }

    /// [`insert_sql`](Self::insert_sql) for a table without the columns of [`PhaseAndDown`].
    fn insert_without_recorded_sql(&self) -> String {
        self.insert_of("$1", "$2", "$3", None)
    }

    pub(crate) fn delete_sql(&self) -> String {
        self.delete_of("$1")
    }

    /// [`insert_sql`](Self::insert_sql) with its values as literals, for a simple query that commits in the
    /// same round trip. Untyped literals take their columns' types as the parameters do.
    pub(crate) fn insert_literal_sql(
        &self,
        name: &str,
        checksum: &str,
        execution_ms: i64,
        recorded: Option<&PhaseAndDown>,
    ) -> String {
        let (name, checksum) = (migrate_dsl::literal(name), migrate_dsl::literal(checksum));
        let Some(recorded) = recorded else {
            return self.insert_of(&name, &checksum, &execution_ms.to_string(), None);
        };
        let down = recorded.down.as_ref().map_or_else(
            || ["NULL".to_owned(), "NULL".to_owned()],
            |down| {
                let statements: Vec<String> =
                    down.statements.iter().map(|s| migrate_dsl::literal(s)).collect();
                [
                    format!("ARRAY[{}]::text[]", statements.join(", ")),
                    down.transactional.to_string(),
                ]
            },
        );
        let phase = migrate_dsl::literal(recorded.phase);
        self.insert_of(
            &name,
            &checksum,
            &execution_ms.to_string(),
            Some([&phase, &down[0], &down[1]]),
        )
    }

    /// [`delete_sql`](Self::delete_sql) with its name as a literal.
    pub(crate) fn delete_literal_sql(&self, name: &str) -> String {
        self.delete_of(&migrate_dsl::literal(name))
    }

    /// The bookkeeping row's `INSERT`, with `name`, `checksum`, `execution_ms` and the phase, down and its
    /// transaction mode as given (parameters or literals).
    fn insert_of(
        &self,
        name: &str,
        checksum: &str,
        execution_ms: &str,
        recorded: Option<[&str; 3]>,
    ) -> String {
        let Some([phase, down, transactional]) = recorded else {
            return format!(
                "INSERT INTO {} (name, run_on, checksum, execution_ms) VALUES ({name}, pg_catalog.clock_timestamp(), {checksum}, {execution_ms})",
                self.quoted()
            );
        };
        format!(
            "INSERT INTO {} (name, run_on, checksum, execution_ms, phase, down_statements, down_transactional) \
             VALUES ({name}, pg_catalog.clock_timestamp(), {checksum}, {execution_ms}, {phase}, {down}, {transactional})",
            self.quoted()
        )
    }

    /// The bookkeeping row's `DELETE`, with `name` as given.
    fn delete_of(&self, name: &str) -> String {
        format!("DELETE FROM {} WHERE name = {name}", self.quoted())
    }
}

/// Whether the table exists (without creating anything).
pub(crate) fn exists(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<bool, Error> {
    relation_exists(client, &table.quoted())
        .map_err(Error::database(format!("cannot look up the migrations table {table}")))
}

/// Whether the relation named `quoted` (as `to_regclass` reads a name: quoted, possibly schema-qualified)
/// exists: the migrations table, one of its companions, a backfill's target.
pub(crate) fn relation_exists(
    client: &mut impl GenericClient,
    quoted: &str,
) -> Result<bool, postgres::Error> {
    // Typed, unnamed statements here and below: one round trip each instead of a prepare and an execute,
    // which every command that reads the history pays.
    let row = client.query_typed_one(
        "SELECT pg_catalog.to_regclass($1) IS NOT NULL",
        &[(&quoted, Type::TEXT)],
    )?;
    Ok(row.get(0))
}

/// Creates the schema and table when missing, then checks the layout. Runs under the advisory lock, so two
/// runners never race to create it. Returns whether the table has the columns of [`PhaseAndDown`] (see
/// [`add_recorded_columns`] for a table made by an earlier version). Two round trips either way: what exists,
/// then the columns, read in the same query as the creation ([`ensure_read`] saves the first).
pub(crate) fn ensure(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<bool, Error> {
    let row = client
        .query_typed_one(
            "SELECT pg_catalog.to_regclass($1) IS NOT NULL, \
             EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $2)",
            &[(&table.quoted(), Type::TEXT), (&table.schema(), Type::NAME)],
        )
        .map_err(Error::database(format!("cannot look up the migrations table {table}")))?;
    let (exists, schema_exists): (bool, bool) = (row.get(0), row.get(1));
    let columns = if exists {
        read_columns(client, table)?
    } else {
        create(client, table, schema_exists)?
    };
    settle(client, table, &columns)
}

/// [`ensure`] after the run has read what it looks up: the table's columns from the probe under the same
/// lock (`None`: no table), and whether its schema exists from the access check (`None`: not read). Nothing is
/// looked up again: a fleet's target saves the round trip, and one whose table exists both.
pub(crate) fn ensure_read(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    probe: &super::Probe,
    schema_exists: Option<bool>,
) -> Result<bool, Error> {
    match (&probe.columns, schema_exists) {
        (Some(columns), _) if probe.every_column => settle(client, table, columns),
        (None, Some(schema_exists)) => {
            let columns = create(client, table, schema_exists)?;
            settle(client, table, &columns)
        }
        _ => ensure(client, table),
    }
}

/// Checks the columns of a table that exists now, and gives it [`RECORDED_COLUMNS`] when it lacks them.
fn settle(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    columns: &[(String, String)],
) -> Result<bool, Error> {
    check_columns(table, columns)?;
    if columns.iter().any(|(c, _)| c == "phase") {
        return Ok(true);
    }
    add_recorded_columns(client, table, columns)
}

/// Creates the table (and its schema when `schema_exists` is false), and returns its columns as
/// [`read_columns`] does.
fn create(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    schema_exists: bool,
) -> Result<Vec<(String, String)>, Error> {
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists, which a role that
    // only owns its schema lacks: only create a schema that is missing.
    let create_schema = if schema_exists {
        String::new()
    } else {
        format!(
            "CREATE SCHEMA IF NOT EXISTS {};\n",
            migrate_dsl::ident(table.schema())
        )
    };
    let sql = format!(
        "{create_schema}\
         CREATE TABLE IF NOT EXISTS {quoted} (\n\
         \x20   id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n\
         \x20   name text NOT NULL UNIQUE,\n\
         \x20   run_on timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),\n\
         \x20   checksum text NOT NULL,\n\
         \x20   execution_ms bigint NOT NULL,\n\
         \x20   {RECORDED_COLUMNS}\n\
         );\n\
         {COLUMNS} pg_catalog.to_regclass({name}) {COLUMNS_WHERE}",
        quoted = table.quoted(),
        name = migrate_dsl::literal(&table.quoted()),
    );
    let messages = client.simple_query(&sql).map_err(Error::database(format!(
        "cannot create the migrations table {table}"
    )))?;
    Ok(messages
        .iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => {
                Some((row.get(0)?.to_owned(), row.get(1)?.to_owned()))
            }
            _ => None,
        })
        .collect())
}

/// The columns a later binary reads to judge and revert a migration it has no file for (see [`PhaseAndDown`]).
/// `NULL` in rows written before they existed, or by another tool: their phase is unknown.
const RECORDED_COLUMNS: &str =
    "phase text, down_statements text[], down_transactional boolean";

/// Adds [`RECORDED_COLUMNS`] to a table made by an earlier version of this tool (its five columns, no
/// trigger), and says whether the table has them now. Adding nullable columns without a default changes only
/// the catalog: the table's exclusive lock is brief. A table adopted from another tool or given columns or
/// triggers of its own is left as it is, and so is one the role cannot alter: its rows are written as before,
/// without a phase, which a later binary treats as a possible contract. The upgrade commits on its own, so
/// it is made only where recording a migration cannot then fail for the table's own reasons.
fn add_recorded_columns(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    columns: &[(String, String)],
) -> Result<bool, Error> {
    if columns.len() != 5 {
        return Ok(false);
    }
    let triggers: bool = client
        .query_typed_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = pg_catalog.to_regclass($1) \
             AND NOT tgisinternal)",
            &[(&table.quoted(), Type::TEXT)],
        )
        .map_err(Error::database(format!("cannot read the triggers of {table}")))?
        .get(0);
    if triggers {
        return Ok(false);
    }
    let add: Vec<String> = RECORDED_COLUMNS
        .split(", ")
        .map(|column| format!("ADD COLUMN IF NOT EXISTS {column}"))
        .collect();
    let sql = format!("ALTER TABLE {} {}", table.quoted(), add.join(", "));
    Ok(client.batch_execute(&sql).is_ok())
}

/// What an applied row records besides name and checksum, for a later binary without the migration's file.
#[derive(Debug, Clone)]
pub(crate) struct PhaseAndDown {
    /// `expand` or `contract` (whether the `up` is marked [`contract`](migrate_dsl::MigrationBuilder::contract)
    /// or makes the database refuse what the app version still running may write: [`crate::phase`]).
    pub phase: &'static str,
    pub down: Option<crate::plan::RecordedDown>,
}

impl PhaseAndDown {
    pub(crate) fn of(step: &crate::Step<'_>) -> Self {
        PhaseAndDown {
            phase: if step.phase_contract().is_some() {
                "contract"
            } else {
                "expand"
            },
            down: step.recorded_down(),
        }
    }
}

/// Refuses a table whose columns are not the ones this tool reads and writes, naming what differs.
pub(crate) fn check_layout(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<(), Error> {
    check_columns(table, &read_columns(client, table)?)
}

/// The query of a table's columns, around the table's oid.
const COLUMNS: &str = "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod) \
     FROM pg_catalog.pg_attribute a WHERE a.attrelid =";
const COLUMNS_WHERE: &str = "AND a.attnum > 0 AND NOT a.attisdropped";

/// The table's columns: name, and type as `format_type` spells it.
fn read_columns(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<Vec<(String, String)>, Error> {
    let rows = client
        .query_typed(
            &format!("{COLUMNS} pg_catalog.to_regclass($1) {COLUMNS_WHERE}"),
            &[(&table.quoted(), Type::TEXT)],
        )
        .map_err(Error::database(format!(
            "cannot read the columns of the migrations table {table}"
        )))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// [`check_layout`] of columns already read (name, type as `format_type` spells it).
pub(crate) fn check_columns(table: &MigrationsTable, columns: &[(String, String)]) -> Result<(), Error> {
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
    let other_tool = (columns.len() == 3
        && ["id", "name", "run_on"]
            .iter()
            .all(|n| columns.iter().any(|(c, _)| c == n)))
    .then_some("node-pg-migrate");
    if let Some(tool) = other_tool {
        problems.push_str(&format!(
            " (this looks like a {tool} table: importing its migrations adopts it, or use another migrations table)"
        ));
    } else {
        problems.push_str(&format!(
            " (expected columns: id bigint, name text UNIQUE, run_on timestamptz, checksum text, execution_ms bigint; is {table} another tool's table?)"
        ));
    }
    Err(Error::TableLayout {
        table: table.to_string(),
        problems,
        other_tool,
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
    load_rows(client, table, known)
}

/// The rows of a table whose columns were checked.
pub(super) fn load_rows<'m>(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    known: &'m [Migration],
) -> Result<History<'m>, Error> {
    let sql = format!(
        "SELECT id::bigint, name::text, run_on::timestamptz, checksum, execution_ms, pg_catalog.count(*) OVER () FROM {} ORDER BY id",
        table.quoted()
    );
    // Streamed, not collected: the rows as received are never all held next to what is kept of them.
    let rows = client
        .query_typed_raw(
            &sql,
            std::iter::empty::<(&(dyn postgres::types::ToSql + Sync), Type)>(),
        )
        .map_err(Error::database(format!(
            "cannot read the migrations table {table}"
        )))?;
    let history = read_rows(rows, table, known, |_| true)?;
    Ok(history.unwrap_or_else(|| History::matched_with(known, 0)))
}

/// Reads the history from `rows`, whose first six columns are id, name, run_on, checksum, execution_ms and
/// the count of all rows, as [`load_rows`] selects them. `first` looks at the first row before anything is
/// read from it: `false` stops there with `None`. `None` too when there is no row.
pub(super) fn read_rows<'m>(
    mut rows: postgres::RowIter<'_>,
    table: &MigrationsTable,
    known: &'m [Migration],
    first: impl FnOnce(&postgres::Row) -> bool,
) -> Result<Option<History<'m>>, Error> {
    // Only a failure pays for the message.
    let read = |e| Error::database(format!("cannot read a row of {table}"))(e);
    let next = |e| Error::database(format!("cannot read the migrations table {table}"))(e);
    let Some(r) = rows.next().map_err(next)? else {
        return Ok(None);
    };
    if !first(&r) {
        return Ok(None);
    }
    // Sized from the first row's count of all rows: grown by doubling, the rows would briefly be held one
    // and a half times.
    let total: i64 = r.try_get(5).map_err(read)?;
    let mut history = History::matched_with(known, usize::try_from(total).unwrap_or(0));
    let mut row = Some(r);
    while let Some(r) = row {
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
                other_tool: None,
            });
        };
        let checksum: Option<&str> = r.try_get(3).map_err(read)?;
        history.push(id, name, run_on, checksum, r.try_get(4).map_err(read)?);
        row = rows.next().map_err(next)?;
    }
    Ok(Some(history))
}

pub(crate) fn insert(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
    checksum: &str,
    execution_ms: i64,
    recorded: Option<&PhaseAndDown>,
) -> Result<(), Error> {
    // Typed: one round trip per migration instead of three (prepare, execute, close a named statement).
    // The declared types are assigned to the columns as an INSERT assigns them, so an adopted table with
    // `varchar` names or an `integer` duration takes them as before.
    let base: [(&(dyn postgres::types::ToSql + Sync), Type); 3] = [
        (&name, Type::TEXT),
        (&checksum, Type::TEXT),
        (&execution_ms, Type::INT8),
    ];
    let inserted = match recorded {
        None => client.query_typed(&table.insert_without_recorded_sql(), &base),
        Some(recorded) => {
            let down = recorded.down.as_ref().map(|d| &d.statements);
            let transactional = recorded.down.as_ref().map(|d| d.transactional);
            let [name, checksum, ms] = base;
            client.query_typed(
                &table.insert_sql(),
                &[
                    name,
                    checksum,
                    ms,
                    (&recorded.phase, Type::TEXT),
                    (&down, Type::TEXT_ARRAY),
                    (&transactional, Type::BOOL),
                ],
            )
        }
    };
    inserted
        .map_err(Error::database(format!("cannot record {name} in {table}")))?;
    Ok(())
}

pub(crate) fn delete(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    name: &str,
) -> Result<(), Error> {
    client
        .query_typed(&table.delete_sql(), &[(&name, Type::TEXT)])
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
