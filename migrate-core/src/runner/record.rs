//! Stage 5 of a run: the bookkeeping. The migrations table, created when missing; a migration's row,
//! written (up) or deleted (down) in the transaction that ran it, with what it recorded about the objects it
//! replaced; the failure mark of a migration whose own statements ended the runner's transaction.

use std::time::Instant;

use postgres::{Client, GenericClient};

use migrate_dsl::Action;

use crate::error::{Error, Outcome, RecordError};
use crate::history::{self, MigrationsTable};
use crate::migration::Direction;
use crate::plan::Step;
use crate::previous;

use super::run::RecordsReverse;
use super::Ran;

/// Writes a run's bookkeeping in its migrations table.
#[derive(Debug, Clone, Copy)]
pub(super) struct Recorder<'r> {
    pub(super) table: &'r MigrationsTable,
    pub(super) records_reverse: &'r RecordsReverse,
    /// The fleet run to note each migration in (its runs table).
    pub(super) run: Option<&'r history::RunNote>,
}

impl Recorder<'_> {
    /// Marks a migration whose own SQL or data code ended the runner's transaction (`COMMIT`, `ROLLBACK`):
    /// what it ran after that committed on its own, and only the user can tell what that was.
    pub(super) fn mark_if_ended(&self, client: &mut Client, step: &Step<'_>, e: &Error) {
        let Error::TransactionEnded(ended) = e else {
            return;
        };
        // The units run in order, one transaction after another, so the committed ones are the first.
        let statements: Vec<String> = step
            .units()
            .iter()
            .take(ended.statements_committed)
            .map(super::execute::describe_unit)
            .collect();
        // Best effort: when the connection itself is gone the mark cannot be written, and the error (which
        // says how many statements were committed) is all that is left.
        let _ = history::record_failure(
            client,
            self.table,
            step.migration.name(),
            &step.direction.to_string(),
            &statements,
            &e.to_string(),
        );
    }

    /// Creates the migrations table when missing, and notes whether it records phases and downs: from what
    /// `probe` (read under the same lock) and the access check (`schema_exists`) found, without looking again.
    pub(super) fn ensure_table(
        &self,
        client: &mut Client,
        probe: &history::Probe,
        schema_exists: Option<bool>,
    ) -> Result<(), Error> {
        let records = history::ensure_read(client, self.table, probe, schema_exists)?;
        self.records_reverse.set(records);
        if self.run.is_some() {
            history::runs::ensure(client, self.table)?;
        }
        Ok(())
    }

    /// The statement that notes `step` in the fleet run's record, to send with its bookkeeping row (empty
    /// outside a fleet run).
    pub(super) fn run_note_sql(&self, step: &Step<'_>) -> String {
        self.run.map_or_else(String::new, |run| {
            format!(
                ";\n{}",
                history::runs::note_sql(self.table, run, step.migration.name(), step.direction)
            )
        })
    }

    /// What `step`'s row records besides its name and checksum, when the table has the columns for it.
    pub(super) fn recorded(&self, step: &Step<'_>) -> Option<history::PhaseAndDown> {
        self.records_reverse
            .get()
            .then(|| history::PhaseAndDown::of(step))
    }

    /// Writes (up) or deletes (down) the bookkeeping row; `outcome` is what a failure to write it leaves of
    /// the migration's statements.
    pub(super) fn record(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'_>,
        started: Instant,
        outcome: Outcome,
        runs_again: bool,
    ) -> Result<Ran, Error> {
        let m = step.migration;
        let execution_ms = elapsed_ms(started);
        let written = match step.direction {
            Direction::Up => {
                let recorded = self.recorded(step);
                history::insert(
                    conn,
                    self.table,
                    m.name(),
                    &m.checksum(),
                    execution_ms,
                    recorded.as_ref(),
                )
            }
            Direction::Down => history::delete(conn, self.table, m.name()),
        };
        let noted = written.and_then(|()| match self.run {
            Some(run) => history::runs::note(conn, self.table, run, m.name(), step.direction),
            None => Ok(()),
        });
        noted.map_err(|e| match e {
            Error::Database { error, .. } => self.row_refused(step, error, outcome, runs_again),
            other => other,
        })?;
        // What it recorded about objects goes with the bookkeeping row, in the same transaction. A fake run
        // cleans up too: a later real run must not find an old record.
        let recorded = step
            .statements()
            .iter()
            .any(|s| s.safeguard.is_some() || matches!(s.action, Some(Action::Restore(_))));
        if recorded || step.fake {
            previous::forget(conn, self.table, m.name(), step.direction)?;
        }
        Ok(Ran::of(step, execution_ms))
    }

    /// The bookkeeping row was refused after the migration's statements ran: the error says what became of
    /// them (`outcome`) and whether the migration can simply run again.
    pub(super) fn row_refused(
        &self,
        step: &Step<'_>,
        source: postgres::Error,
        outcome: Outcome,
        runs_again: bool,
    ) -> Error {
        Error::Record(Box::new(RecordError {
            name: step.migration.name().to_owned(),
            table: self.table.to_string(),
            direction: step.direction,
            source,
            outcome,
            runs_again,
        }))
    }
}

impl Ran {
    /// `step` done, in `execution_ms`, as its bookkeeping row records it.
    pub(super) fn of(step: &Step<'_>, execution_ms: i64) -> Ran {
        Ran {
            name: step.migration.name().to_owned(),
            direction: step.direction,
            execution_ms,
        }
    }
}

/// Milliseconds since `started`, as the bookkeeping row's `execution_ms` holds them.
pub(super) fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}
