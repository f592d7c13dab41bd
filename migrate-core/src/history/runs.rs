//! The runs table (`<table>_runs`): which fleet run changed this target, and how.
//!
//! A fleet run (`fleet up`, `fleet down`) has an id; on each target it visits it writes one row: the command,
//! when it started and ended, how it ended, and the migrations it applied or reverted there. The target's
//! record is the only one: `fleet runs` and `fleet down --run` read the targets themselves, so nothing is
//! kept on the machine that ran the rollout.
//!
//! A migration's change is noted in the transaction that records the migration (its row written or
//! deleted), so the note and the change commit together: a run killed anywhere leaves a record that is
//! exactly what took effect. The row's start and end commit without waiting for the disk (as the
//! migrations' own commits do, made durable by the run's last one): a server crash may lose them, and the
//! record then shows the run as not ended there, or starts with its first migration's note.

use chrono::{DateTime, Utc};
use postgres::types::Type;
use postgres::GenericClient;

use crate::error::Error;
use crate::migration::Direction;

use super::table::MigrationsTable;

/// A fleet run as the engine records it on a target: its id, and the run it reverts (`fleet down --run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunNote {
    pub id: String,
    /// `up` or `down`.
    pub command: &'static str,
    /// The run whose migrations this one reverts, for `fleet down --run`.
    pub reverts: Option<String>,
}

/// How a run's visit of a target ended, as its row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Everything asked of the target was done.
    Done,
    /// A migration failed, or the target refused (see the row's error).
    Failed,
    /// Stopped on a signal or a time budget; running again resumes it.
    Interrupted,
    /// Another runner held the target's lock to the end.
    Busy,
}

impl RunOutcome {
    fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Failed => "failed",
            RunOutcome::Interrupted => "interrupted",
            RunOutcome::Busy => "busy",
        }
    }
}

/// One migration a run applied or reverted on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunChange {
    pub name: String,
    pub direction: Direction,
    pub at: DateTime<Utc>,
}

/// A run's row on one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: String,
    pub command: String,
    pub reverts: Option<String>,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
    /// `done`, `failed`, `interrupted` or `busy`; `None` while it runs, or when it was killed.
    pub outcome: Option<String>,
    pub error: Option<String>,
    /// In the order they happened.
    pub changes: Vec<RunChange>,
}

impl RunRecord {
    /// The migrations the run left applied (its last change of each was an `up`), in the order applied.
    pub fn applied(&self) -> Vec<&str> {
        self.net(Direction::Up)
    }

    /// The migrations the run left reverted, in the order reverted.
    pub fn reverted(&self) -> Vec<&str> {
        self.net(Direction::Down)
    }

    fn net(&self, direction: Direction) -> Vec<&str> {
        self.changes
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                c.direction == direction
                    && !self.changes[i + 1..].iter().any(|later| later.name == c.name)
            })
            .map(|(_, c)| c.name.as_str())
            .collect()
    }
}

/// The row's columns. One row per run: a run resumed under the same id (`--run-id`) goes on in it.
const COLUMNS: &str = "run_id text PRIMARY KEY, command text NOT NULL, reverts text, \
     started timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(), ended timestamptz, outcome text, \
     error text, changes jsonb NOT NULL DEFAULT '[]'";

/// Creates the runs table when missing, in a `DO` block: the table is created outside the target's lock too
/// ([`begin`] runs before it is taken), so a runner that loses the race to create it finds it made.
/// Checked first: `IF NOT EXISTS` would send a notice on every run.
fn create_sql(table: &MigrationsTable) -> String {
    let runs = table.runs();
    format!(
        "IF pg_catalog.to_regclass({literal}) IS NULL THEN \
         BEGIN CREATE TABLE {runs} ({COLUMNS}); \
         EXCEPTION WHEN duplicate_table OR duplicate_object OR unique_violation THEN NULL; END; END IF;",
        literal = migrate_dsl::literal(&runs),
    )
}

/// Creates the runs table when missing (one round trip).
pub(crate) fn ensure(client: &mut impl GenericClient, table: &MigrationsTable) -> Result<(), Error> {
    let runs = table.runs();
    client
        .batch_execute(&format!("DO $run$ BEGIN {} END $run$", create_sql(table)))
        .map_err(Error::database(format!("cannot create {runs}")))
}

/// Starts (or, under the same id, resumes) `run`'s row on a target whose migrations table's schema exists:
/// one round trip, creating the table when missing. A schema that does not exist yet gets its table when
/// the run creates the migrations table, and its row with the first migration it records.
pub(crate) fn begin(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    run: &RunNote,
) -> Result<(), Error> {
    let runs = table.runs();
    let sql = format!(
        "BEGIN; SET LOCAL synchronous_commit = off; DO $run$ BEGIN \
         IF pg_catalog.to_regnamespace({schema}) IS NOT NULL THEN {create} \
         INSERT INTO {runs} AS r (run_id, command, reverts) VALUES ({id}, {command}, {reverts}) \
         ON CONFLICT (run_id) DO UPDATE SET ended = NULL, outcome = NULL, error = NULL; \
         END IF; END $run$; COMMIT",
        schema = migrate_dsl::literal(&migrate_dsl::ident(table.schema())),
        create = create_sql(table),
        id = migrate_dsl::literal(&run.id),
        command = migrate_dsl::literal(run.command),
        reverts = literal_or_null(run.reverts.as_deref()),
    );
    send(client, &sql, format!("cannot record run {} in {runs}", run.id))
}

/// `value` as a SQL literal, `NULL` for none.
fn literal_or_null(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_owned(), migrate_dsl::literal)
}

/// Sends `sql`, a transaction of its own (`BEGIN ... COMMIT`); one that fails is rolled back, so the session
/// is left outside any transaction either way.
fn send(client: &mut impl GenericClient, sql: &str, context: String) -> Result<(), Error> {
    client.batch_execute(sql).map_err(|e| {
        let _ = client.batch_execute("ROLLBACK");
        Error::database(context)(e)
    })
}

/// Ends `run`'s row with `outcome` (and the error), where the table exists: one round trip.
pub(crate) fn end(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    run: &RunNote,
    outcome: RunOutcome,
    error: Option<&str>,
) -> Result<(), Error> {
    let runs = table.runs();
    let sql = format!(
        "BEGIN; SET LOCAL synchronous_commit = off; DO $run$ BEGIN \
         IF pg_catalog.to_regclass({runs_literal}) IS NOT NULL THEN \
         INSERT INTO {runs} AS r (run_id, command, reverts, ended, outcome, error) \
         VALUES ({id}, {command}, {reverts}, pg_catalog.clock_timestamp(), {outcome}, {error}) \
         ON CONFLICT (run_id) DO UPDATE SET ended = EXCLUDED.ended, outcome = EXCLUDED.outcome, \
         error = EXCLUDED.error; END IF; END $run$; COMMIT",
        runs_literal = migrate_dsl::literal(&runs),
        id = migrate_dsl::literal(&run.id),
        command = migrate_dsl::literal(run.command),
        reverts = literal_or_null(run.reverts.as_deref()),
        outcome = migrate_dsl::literal(outcome.as_str()),
        error = literal_or_null(error),
    );
    send(client, &sql, format!("cannot record the end of run {} in {runs}", run.id))
}

/// The statement that notes `name` applied or reverted by `run`, with its values as literals: sent in the
/// same round trip as the migration's own row, inside its transaction.
pub(crate) fn note_sql(
    table: &MigrationsTable,
    run: &RunNote,
    name: &str,
    direction: Direction,
) -> String {
    format!(
        "INSERT INTO {runs} AS r (run_id, command, reverts, changes) VALUES ({id}, {command}, {reverts}, \
         pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('name', {name}::text, 'direction', \
         {direction}::text, 'at', pg_catalog.clock_timestamp()))) \
         ON CONFLICT (run_id) DO UPDATE SET changes = r.changes OPERATOR(pg_catalog.||) EXCLUDED.changes",
        runs = table.runs(),
        id = migrate_dsl::literal(&run.id),
        command = migrate_dsl::literal(run.command),
        reverts = literal_or_null(run.reverts.as_deref()),
        name = migrate_dsl::literal(name),
        direction = migrate_dsl::literal(&direction.to_string()),
    )
}

/// Notes `name` applied or reverted by `run`, in the caller's transaction.
pub(crate) fn note(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    run: &RunNote,
    name: &str,
    direction: Direction,
) -> Result<(), Error> {
    client
        .batch_execute(&note_sql(table, run, name, direction))
        .map_err(Error::database(format!(
            "cannot note migration {name} in {} for run {}",
            table.runs(),
            run.id
        )))
}

/// The target's runs, newest first, at most `limit`; none when the table does not exist.
pub fn load(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    limit: i64,
) -> Result<Vec<RunRecord>, Error> {
    select(client, table, "ORDER BY started DESC LIMIT $1", &[(&limit, Type::INT8)])
}

/// The row of run `id` on the target, if the run visited it.
pub fn load_one(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    id: &str,
) -> Result<Option<RunRecord>, Error> {
    Ok(select(client, table, "WHERE run_id = $1", &[(&id, Type::TEXT)])?.pop())
}

/// The runs that started after `started`, oldest first (the ones that may have changed the target since).
pub fn load_after(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    started: DateTime<Utc>,
) -> Result<Vec<RunRecord>, Error> {
    select(
        client,
        table,
        "WHERE started > $1 ORDER BY started",
        &[(&started, Type::TIMESTAMPTZ)],
    )
}

/// The rows `tail` (a `WHERE` and/or `ORDER BY`) selects; none when the table does not exist.
fn select(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    tail: &str,
    params: &[(&(dyn postgres::types::ToSql + Sync), Type)],
) -> Result<Vec<RunRecord>, Error> {
    let runs = table.runs();
    if !super::sql::relation_exists(client, &runs)
        .map_err(Error::database(format!("cannot look up {runs}")))?
    {
        return Ok(Vec::new());
    }
    let rows = client
        .query_typed(
            &format!(
                "SELECT run_id, command, reverts, started, ended, outcome, error, changes::text \
                 FROM {runs} {tail}"
            ),
            params,
        )
        .map_err(Error::database(format!("cannot read {runs}")))?;
    rows.iter().map(|r| record(r, &runs)).collect()
}

fn record(r: &postgres::Row, runs: &str) -> Result<RunRecord, Error> {
    let bad = |what: &str| Error::TableLayout {
        table: runs.to_owned(),
        problems: format!("a row's {what} cannot be read; fix or delete the row"),
        other_tool: None,
    };
    let changes: String = r.try_get(7).map_err(|_| bad("changes"))?;
    let changes: Vec<serde_json::Value> =
        serde_json::from_str(&changes).map_err(|_| bad("changes"))?;
    let changes = changes
        .iter()
        .map(|c| {
            let name = c.get("name")?.as_str()?.to_owned();
            let direction = match c.get("direction")?.as_str()? {
                "up" => Direction::Up,
                "down" => Direction::Down,
                _ => return None,
            };
            let at = DateTime::parse_from_rfc3339(c.get("at")?.as_str()?)
                .ok()?
                .with_timezone(&Utc);
            Some(RunChange {
                name,
                direction,
                at,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("changes"))?;
    Ok(RunRecord {
        id: r.try_get(0).map_err(|_| bad("run_id"))?,
        command: r.try_get(1).map_err(|_| bad("command"))?,
        reverts: r.try_get(2).map_err(|_| bad("reverts"))?,
        started: r.try_get(3).map_err(|_| bad("started"))?,
        ended: r.try_get(4).map_err(|_| bad("ended"))?,
        outcome: r.try_get(5).map_err(|_| bad("outcome"))?,
        error: r.try_get(6).map_err(|_| bad("error"))?,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(name: &str, direction: Direction) -> RunChange {
        RunChange {
            name: name.to_owned(),
            direction,
            at: Utc::now(),
        }
    }

    #[test]
    fn the_last_change_of_each_migration_is_what_the_run_left() {
        let record = RunRecord {
            id: "r".into(),
            command: "up".into(),
            reverts: None,
            started: Utc::now(),
            ended: None,
            outcome: None,
            error: None,
            changes: vec![
                change("a", Direction::Up),
                change("b", Direction::Up),
                change("b", Direction::Down),
                change("c", Direction::Down),
                change("c", Direction::Up),
            ],
        };
        assert_eq!(record.applied(), ["a", "c"]);
        assert_eq!(record.reverted(), ["b"]);
    }
}
