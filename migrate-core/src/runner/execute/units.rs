//! Sending one migration's units (statements, data code, backfills) in order, and turning a failure into an
//! error that names the migration, the operation and what the failure left behind.

use std::time::{Duration, Instant};

use postgres::GenericClient;

use migrate_dsl::{Action, Safeguard, Statement};

use crate::backfill;
use crate::blockers::Blocked;
use crate::backfill::kept::KeptSelection;
use crate::error::{
    BackfillProgress, DataCause, DataError, Error, Outcome, StatementError, TransactionEnded,
};
use crate::events::Event;
use crate::invalid_index;
use crate::observer::Observer;
use crate::plan::Step;
use crate::retry::{GaveUp, LockRetry};
use crate::user_code::UserCode;

use super::data::{can_start_with, run_data, Begin, Ended, TransactionWatch};
use super::Executor;

impl<'a> Executor<'_, 'a> {
    /// Sends `units` (statements, data code, backfills) in order; a failure names the migration, the
    /// operation and what the failure left behind. In a transaction, a unit that ended it (a `COMMIT` or
    /// `ROLLBACK` in its SQL or data code) stops the run: every later statement would run on its own.
    /// `begin` says whether the transaction is open already or opened by the first query (only for units
    /// without data code, which needs the driver's transaction for its savepoint).
    pub(super) fn run_units(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        units: &[Statement],
        outcome: OutcomeBase,
        begin: Begin,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let m = step.migration;
        if units.is_empty() {
            return Ok(());
        }
        let mut transaction = self.open_transaction(conn, step, units, begin)?;
        for (index, unit) in units.iter().enumerate() {
            let outcome = outcome.at(index);
            if let Some(safeguard) = &unit.safeguard {
                self.guard(conn, step, unit, safeguard, outcome)?;
            }
            // What the server said before this unit (the engine's own queries) is not this unit's.
            self.settings.notices.take();
            if matches!(
                unit.action,
                Some(Action::Note | Action::RequireJobs(_) | Action::Precondition(_))
            ) {
                // A comment of the plan: nothing runs.
                continue;
            }
            if let Some(Action::Restore(restore)) = &unit.action {
                self.restore(conn, step, unit, restore, outcome, events)?;
                continue;
            }
            self.observe(step, Some(unit), |observer| {
                observer.before_unit(step, unit, conn)
            })?;
            let started = Instant::now();
            let (result, checked) =
                self.send_with_start(conn, step, unit, begin, &mut transaction, events);
            let elapsed = started.elapsed();
            // A backfill's notices come from the engine's own batching statements.
            if matches!(unit.action, Some(Action::Backfill(_))) {
                self.settings.notices.take();
            }
            self.report_notices(step, unit, events);
            let ended = match checked {
                Some(ended) => ended,
                None => transaction.ended_after(conn, step, unit, result.is_ok())?,
            };
            if let Some(ended) = ended {
                return Err(transaction_ended(step, unit, index, outcome, ended, result));
            }
            if let Err(failure) = result {
                return Err(unit_failed(step, unit, outcome, failure));
            }
            events(Event::Statement {
                name: m.name(),
                direction: step.direction,
                position: unit.position,
                op: unit.op,
                line: m.line_of(unit.recorded_at),
                sql: &unit.sql,
                elapsed,
            });
            self.observe(step, Some(unit), |observer| {
                observer.after_unit(step, unit, conn)
            })?;
        }
        Ok(())
    }

    /// The migration's transaction before its first unit: none outside a transaction, else opened and
    /// watched now, or left for the first unit to open.
    fn open_transaction(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        units: &[Statement],
        begin: Begin,
    ) -> Result<UnitsTransaction, Error> {
        let mut transaction = UnitsTransaction {
            watch: None,
            start_with_first: None,
        };
        if !step.transactional {
            return Ok(transaction);
        }
        // In a transaction, the `SET LOCAL` timeouts and the transaction id go in one round trip: the
        // first statement's, when it can carry them (one round trip less per migration), else their own.
        let mut set = self.settings.timeouts.set_sql(step.lock_timeout, true);
        // The migration's commit need not wait for the disk: WAL is written in order, so the synchronous
        // commit that ends the run (`Run::locked`) makes every commit before it durable. A server that
        // crashes before it loses the newest migrations whole, their changes and their bookkeeping together,
        // and the next run applies them again. A run of 500 migrations waited for 500 flushes otherwise.
        set.push("SET LOCAL synchronous_commit = off".to_owned());
        let carried = self.settings.observer.is_none()
            && units.first().is_some_and(|unit| {
                unit.action.is_none()
                    && unit.safeguard.is_none()
                    && can_start_with(unit.op, &unit.sql)
            });
        if carried {
            transaction.start_with_first = Some(set);
        } else {
            transaction.watch = Some(TransactionWatch::start(conn, begin, &set).map_err(
                Error::database(format!(
                    "cannot start the migration's transaction (`{}`)",
                    set.join("; ")
                )),
            )?);
            self.observe(step, None, |observer| {
                observer.transaction_started(step, conn)
            })?;
        }
        Ok(transaction)
    }

    /// Sends one unit as [`send_unit`](Self::send_unit) does, or, when it is the first and carries the
    /// `SET LOCAL` statements, with them: that round trip opens the transaction and starts its watch.
    fn send_with_start(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        unit: &Statement,
        begin: Begin,
        transaction: &mut UnitsTransaction,
        events: &mut dyn FnMut(Event<'_>),
    ) -> (Result<(), UnitFailure>, Option<Option<Ended>>) {
        let Some(set) = transaction.start_with_first.take() else {
            return self.send_unit(conn, step, unit, transaction.watch.as_ref(), events);
        };
        match TransactionWatch::start_with(conn, begin, &set, &unit.sql) {
            Ok((started, ended)) => {
                transaction.watch = Some(started);
                (Ok(()), Some(ended))
            }
            // The statement cannot end the transaction: it is still open, aborted.
            Err((error, sent_after)) => (
                Err(UnitFailure::Statement(error.into(), sent_after)),
                Some(None),
            ),
        }
    }

    /// Sends one unit: its statement, data code or backfill. Returns how it went and, when the unit's own
    /// round trip already checked the migration's transaction, whether it ended (a `Note` or `Restore` is
    /// handled by the caller and sends nothing here).
    fn send_unit(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        unit: &Statement,
        watch: Option<&TransactionWatch>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> (Result<(), UnitFailure>, Option<Option<Ended>>) {
        let m = step.migration;
        // The check that the transaction is still open, when it already ran with the unit.
        let mut checked = None;
        let result = match &unit.action {
            // Handled by the caller; a gate or a precondition was checked before the migration started.
            Some(
                Action::Restore(_)
                | Action::Note
                | Action::RequireJobs(_)
                | Action::Precondition(_),
            ) => Ok(()),
            Some(Action::Queue(spec)) => crate::jobs::queue(
                conn,
                &self.settings.table,
                m.name(),
                unit.position,
                &m.checksum(),
                &spec.table().quoted(),
            )
            .map_err(|e| UnitFailure::Data(DataCause::database("cannot queue the background job")(e))),
            Some(Action::Data(data)) => {
                let code = UserCode {
                    migration: *m,
                    position: unit.position,
                    op: unit.op,
                    transactional: step.transactional,
                };
                let run = run_data(conn, data, code, watch);
                if watch.is_some() {
                    checked = Some(run.ended);
                }
                run.result.map_err(UnitFailure::Data)
            }
            Some(Action::DropKept(table)) => crate::backfill::kept::drop_kept(
                conn,
                &self.settings.table,
                KeptSelection::Table(&table.quoted()),
            )
            .map(drop)
            .map_err(|e| UnitFailure::Data(DataCause::database("cannot drop the kept values")(e))),
            Some(Action::DropPartitionIndexes(spec)) => crate::partition_index::drop_leftovers(conn, spec)
                .map(drop)
                .map_err(|e| {
                    UnitFailure::Data(DataCause::database(
                        "cannot drop the partitions' indexes left unattached",
                    )(e))
                }),
            Some(Action::DropPartitionConstraints(fk)) => {
                crate::partition_index::drop_constraint_leftovers(conn, fk)
                    .map(drop)
                    .map_err(|e| {
                        UnitFailure::Data(DataCause::database(
                            "cannot drop the partitions' constraints left unattached",
                        )(e))
                    })
            }
            Some(Action::IndexPartitions(_) | Action::ConstrainPartitions(_)) => {
                Err(UnitFailure::Internal(
                    "work per partition runs only in a migration outside a transaction",
                ))
            }
            // A backfill makes its migration run outside a transaction (`stepwise`), never here.
            Some(Action::Backfill(_)) => Err(UnitFailure::Internal(
                "a backfill runs only in a migration outside a transaction",
            )),
            None => match watch {
                Some(watch) => match watch.execute(conn, &unit.sql) {
                    Ok(ended) => {
                        checked = Some(ended);
                        Ok(())
                    }
                    Err(e) => Err(UnitFailure::Statement(e.into(), 0)),
                },
                None => self
                    .run_unit(conn, step, unit, &unit.sql, events)
                    .map_err(|e| UnitFailure::Statement(e, 0)),
            },
        };
        (result, checked)
    }

    /// Runs `f` with the observer, when there is one (`migrate trace`); a failure of its catalog reads is an
    /// error naming the migration and, when there is one, the operation.
    pub(in crate::runner) fn observe(
        &self,
        step: &Step<'a>,
        unit: Option<&Statement>,
        f: impl FnOnce(&dyn Observer) -> Result<(), postgres::Error>,
    ) -> Result<(), Error> {
        let Some(observer) = self.settings.observer else {
            return Ok(());
        };
        f(observer).map_err(|error| Error::Database {
            context: format!(
                "migration {}: cannot trace {}",
                step.migration.name(),
                match unit {
                    Some(unit) => format!("operation #{} ({})", unit.position, unit.op),
                    None => "the start of its transaction".to_owned(),
                }
            ),
            error,
        })
    }

    /// Reports the server's notices since the unit started, with its migration and operation. The notice
    /// that a leftover of an earlier attempt "does not exist, skipping" is the normal case, not news.
    pub(super) fn report_notices(
        &self,
        step: &Step<'a>,
        unit: &Statement,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        for notice in self.settings.notices.take() {
            if matches!(unit.safeguard, Some(Safeguard::ClearsLeftover(_)))
                && notice.message.ends_with("does not exist, skipping")
            {
                continue;
            }
            events(Event::Notice {
                name: step.migration.name(),
                direction: step.direction,
                position: unit.position,
                op: unit.op,
                notice: &notice,
            });
        }
    }
}

impl Executor<'_, '_> {
    /// Sends one statement. Outside a transaction each statement is its own transaction, so a lock timeout
    /// retries just that statement; and an invalid index that a failed `CREATE INDEX CONCURRENTLY` leaves
    /// behind is dropped first, or the retry (or the next run) would fail on its name. When the retries are
    /// spent, the failure keeps them (and who blocked the last attempt) for its error.
    pub(super) fn run_unit(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'_>,
        unit: &Statement,
        sql: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), SentError> {
        let at = crate::progress::At {
            name: step.migration.name(),
            position: unit.position,
            op: unit.op,
        };
        if step.transactional {
            return Ok(crate::progress::execute(
                conn,
                sql,
                &self.settings.lock_watch,
                &at,
                events,
            )?);
        }
        let retry = LockRetry {
            name: step.migration.name(),
            budget: self.settings.timeouts.retry_budget,
            // Between statements outside a transaction is not where a run stops: the caller checks before
            // the next migration.
            interrupt: None,
            watch: Some(&self.settings.lock_watch),
        };
        retry
            .run(events, |events| {
                send_outside_transaction(conn, &at, sql, &self.settings.lock_watch, events)
            })
            .map_err(|gave_up| match gave_up {
                GaveUp::Exhausted {
                    error,
                    attempts,
                    waited,
                    blocked,
                } => SentError {
                    source: error,
                    retries: Some(SpentRetries {
                        attempts,
                        waited,
                        blocked,
                    }),
                },
                other => other.into_error().into(),
            })
    }
}

/// A statement [`Executor::run_unit`] sent that failed: the server's error and, when it kept hitting
/// `lock_timeout` until the retry budget was spent, those retries.
#[derive(Debug)]
pub(super) struct SentError {
    pub(super) source: postgres::Error,
    retries: Option<SpentRetries>,
}

/// The retries of a statement that never got its locks.
#[derive(Debug)]
struct SpentRetries {
    attempts: u32,
    waited: Duration,
    blocked: Option<Blocked>,
}

impl From<postgres::Error> for SentError {
    fn from(source: postgres::Error) -> Self {
        SentError {
            source,
            retries: None,
        }
    }
}

impl SentError {
    /// The error of migration `name` for it: `statement` (the statement's own, naming the operation and what
    /// the failure left) and, when its retries were spent, that error within an [`Error::LockTimeout`] that
    /// counts them and names who blocked the last one, as a migration's transaction's lock timeout does.
    pub(super) fn into_error(
        self,
        name: &str,
        statement: impl FnOnce(postgres::Error) -> Error,
    ) -> Error {
        let error = statement(self.source);
        match self.retries {
            None => error,
            Some(SpentRetries {
                attempts,
                waited,
                blocked,
            }) => Error::LockTimeout {
                name: name.to_owned(),
                attempts,
                waited,
                error: Box::new(error),
                blocked,
            },
        }
    }
}

/// One attempt at a statement outside a transaction: an invalid index that a failed `CREATE INDEX
/// CONCURRENTLY` of it left is dropped first, and one its own failure leaves on its table is dropped after it.
fn send_outside_transaction(
    conn: &mut (impl GenericClient + Send),
    at: &crate::progress::At<'_>,
    sql: &str,
    watch: &crate::blockers::LockWatch,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(), postgres::Error> {
    let migration = at.name;
    // A concurrent detach retried after its second transaction gave up (a lock timeout while older snapshots
    // still read the partition) is pending: sent again it would fail on that, hiding the wait. `FINALIZE`
    // finishes it, waiting as the second transaction did.
    if let Some((table, partition)) = crate::partition_index::concurrent_detach(sql) {
        if crate::partition_index::detach_state(conn, table, partition)?
            == crate::partition_index::Detach::Pending
        {
            let finalize = format!("ALTER TABLE {table} DETACH PARTITION {partition} FINALIZE");
            return crate::progress::execute(conn, &finalize, watch, at, events);
        }
    }
    if let Some((name, table)) = invalid_index::concurrent_build(sql) {
        if let Some(index) = invalid_index::named(conn, &name, &table)? {
            conn.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"))?;
            events(Event::DroppedInvalidIndex {
                name: migration,
                index: &index,
            });
        }
    }
    let Some(table) = invalid_index::built_on(sql) else {
        return crate::progress::execute(conn, sql, watch, at, events);
    };
    let invalid_before = invalid_index::on_table(conn, &table)?;
    let Err(error) = crate::progress::execute(conn, sql, watch, at, events) else {
        return Ok(());
    };
    // Cleaning up must not hide the statement's error: when a leftover cannot be dropped now, the next run
    // drops it before building again.
    for index in invalid_index::on_table(conn, &table).unwrap_or_default() {
        if !invalid_before.contains(&index)
            && conn
                .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"))
                .is_ok()
        {
            events(Event::DroppedInvalidIndex {
                name: migration,
                index: &index,
            });
        }
    }
    Err(error)
}

/// Why a unit failed, before it is turned into an error naming the migration.
enum UnitFailure {
    /// The server's error (with the retries, when spent), and how many characters the engine sent before
    /// the statement in its query.
    Statement(SentError, usize),
    Data(DataCause),
    Internal(&'static str),
}

/// The migration's transaction as its units run: watched once it is open, or, until the first unit is
/// sent, the `SET LOCAL` statements that unit carries to open it. Neither outside a transaction.
struct UnitsTransaction {
    watch: Option<TransactionWatch>,
    start_with_first: Option<Vec<String>>,
}

impl UnitsTransaction {
    /// Whether `unit` ended the transaction, asked after it ran when its own round trip did not tell.
    fn ended_after(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'_>,
        unit: &Statement,
        unit_ok: bool,
    ) -> Result<Option<Ended>, Error> {
        let Some(watch) = &self.watch else {
            return Ok(None);
        };
        // A failed statement usually leaves the transaction aborted, which the check reads as open.
        match watch.ended(conn) {
            Ok(ended) => Ok(ended),
            Err(error) if unit_ok => Err(Error::Database {
                context: format!(
                    "migration {}: cannot check its transaction after operation #{}",
                    step.migration.name(),
                    unit.position
                ),
                error,
            }),
            // The unit's own error (a lost connection, say) tells more than the check's.
            Err(_) => Ok(None),
        }
    }
}

/// The error for a unit (the `index`th of its transaction) that ended the migration's transaction: how it
/// ended, how many statements that committed, and the unit's own failure as the cause, when it failed too.
fn transaction_ended(
    step: &Step<'_>,
    unit: &Statement,
    index: usize,
    outcome: Outcome,
    Ended { committed, chained }: Ended,
    result: Result<(), UnitFailure>,
) -> Error {
    let m = step.migration;
    let cause: Option<Box<dyn std::error::Error + Send + Sync>> = match result {
        Ok(()) => None,
        Err(UnitFailure::Data(cause)) => Some(Box::new(cause)),
        Err(UnitFailure::Internal(_)) => None,
        Err(UnitFailure::Statement(e, _)) => Some(Box::new(e.source)),
    };
    let earlier = match outcome {
        Outcome::SplitCommitted { committed } => committed,
        _ => 0,
    };
    Error::TransactionEnded(Box::new(TransactionEnded {
        name: m.name().to_owned(),
        path: m.display_path(),
        direction: step.direction,
        position: unit.position,
        op: unit.op,
        line: m.line_of(unit.recorded_at),
        committed,
        chained,
        statements_committed: if committed {
            earlier + index + 1
        } else {
            earlier
        },
        cause,
        earlier_in_run: Vec::new(),
    }))
}

/// The error for a backfill that stopped: its cause, with the batches and rows it committed before.
pub(super) fn backfill_failed(
    step: &Step<'_>,
    unit: &Statement,
    outcome: Outcome,
    failure: backfill::Failure,
) -> Error {
    let progress = BackfillProgress {
        batches: failure.batches,
        rows: failure.rows,
    };
    // Refused before its walk could start: running it again would not resume anything.
    let refused = matches!(
        failure.cause,
        DataCause::KeptValuesGone { .. } | DataCause::CannotKeep { .. }
    );
    let progress = (!refused).then_some(progress);
    data_failed(step, unit, outcome, failure.cause, progress)
}

/// The error for a unit's data code or backfill that failed with `cause`, with what a backfill committed before.
pub(super) fn data_failed(
    step: &Step<'_>,
    unit: &Statement,
    outcome: Outcome,
    cause: DataCause,
    backfill: Option<BackfillProgress>,
) -> Error {
    let m = step.migration;
    Error::Data(Box::new(DataError {
        name: m.name().to_owned(),
        path: m.display_path(),
        direction: step.direction,
        position: unit.position,
        op: unit.op,
        line: m.line_of(unit.recorded_at),
        cause,
        outcome,
        backfill,
    }))
}

/// The error for a unit that failed: its statement's, or its data code's or backfill's (with the batches
/// and rows a backfill committed before).
fn unit_failed(step: &Step<'_>, unit: &Statement, outcome: Outcome, failure: UnitFailure) -> Error {
    let m = step.migration;
    match failure {
        UnitFailure::Data(cause) => data_failed(step, unit, outcome, cause, None),
        UnitFailure::Internal(why) => Error::Internal(why),
        UnitFailure::Statement(failed, sent_after) => failed.into_error(m.name(), |source| {
            Error::Statement(Box::new(StatementError {
                name: m.name().to_owned(),
                path: m.display_path(),
                direction: step.direction,
                position: unit.position,
                op: unit.op,
                line: m.line_of(unit.recorded_at),
                sql_lines: m.sql_lines(unit.recorded_at, &unit.sql).unwrap_or_default(),
                sql: unit.sql.clone(),
                source,
                outcome,
                sent_after,
                left: None,
            }))
        }),
    }
}

/// What a failure in a group of statements leaves behind, before knowing which statement fails.
#[derive(Debug, Clone, Copy)]
pub(super) enum OutcomeBase {
    /// In the migration's only (or first) transaction: rolled back.
    RolledBack,
    /// In a later transaction of a split migration: the statements of earlier ones are committed.
    Split(usize),
}

impl OutcomeBase {
    pub(super) fn at(self, _index: usize) -> Outcome {
        match self {
            OutcomeBase::RolledBack => Outcome::RolledBack,
            OutcomeBase::Split(committed) => Outcome::SplitCommitted { committed },
        }
    }
}

#[cfg(test)]
mod tests {
    use migrate_dsl::prelude::*;

    use super::*;
    use crate::migration::{Definition, Direction, Migration};
    use crate::notices::{Notice, Notices};
    use crate::Migrator;

    fn set_not_null(pgm: &mut MigrationBuilder) {
        pgm.set_not_null("t", "v");
    }

    static SET_NOT_NULL: Migration = Migration::defined(&Definition {
        name: "20240101000001_not_null",
        path: "migrations/20240101000001_not_null.rs",
        source: "set_not_null",
        up: set_not_null,
        down: None,
    });

    fn notice(message: &str) -> Notice {
        Notice {
            severity: "NOTICE".to_owned(),
            code: "00000".to_owned(),
            message: message.to_owned(),
            detail: None,
            hint: None,
        }
    }

    /// The notices `report_notices` passes on for each of the step's units, given the same two notices
    /// before each.
    fn reported(step: &Step<'_>) -> Vec<Vec<(usize, String, String)>> {
        let notices = Notices::new();
        let migrator = Migrator::new(std::slice::from_ref(&SET_NOT_NULL)).notices(notices.clone());
        step.units()
            .iter()
            .map(|unit| {
                notices.push(notice(
                    "constraint \"t_v_not_null\" of relation \"t\" does not exist, skipping",
                ));
                notices.push(notice("table \"t\" is large"));
                let mut seen = Vec::new();
                migrator.run().executor().report_notices(step, unit, &mut |event| {
                    if let Event::Notice {
                        name,
                        position,
                        op,
                        notice,
                        ..
                    } = event
                    {
                        assert_eq!(name, "20240101000001_not_null");
                        seen.push((position, op.to_owned(), notice.message.clone()));
                    }
                });
                seen
            })
            .collect()
    }

    #[test]
    fn the_skipped_drop_of_a_leftover_is_not_reported_other_notices_are() {
        let step = Step::for_server(&SET_NOT_NULL, Direction::Up, 15).expect("plans");
        let reported = reported(&step);
        assert_eq!(reported.len(), 4, "four statements: {reported:?}");
        // The first statement clears a leftover check: its "does not exist, skipping" is the normal case.
        assert_eq!(
            reported[0],
            [(
                1,
                "set_not_null".to_owned(),
                "table \"t\" is large".to_owned()
            )]
        );
        for later in &reported[1..] {
            assert_eq!(later.len(), 2, "{later:?}");
        }
    }
}
