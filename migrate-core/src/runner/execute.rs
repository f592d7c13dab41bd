//! Running the chosen steps: one transaction per migration, several when it has transaction breaks (each
//! committed with its journal entries, so a stop between them is continued by the next run), one for the
//! whole run (`--single-transaction`), or none (`pgm.no_transaction()`, see `stepwise`), each with its
//! bookkeeping row; lock timeouts retried whole transactions at a time.

use std::time::Instant;

use postgres::error::SqlState;
use postgres::{Client, GenericClient};

use migrate_dsl::{Action, Statement};

use crate::access::session_restore_sql;
use crate::error::{Error, Outcome};
use crate::events::Event;
use crate::history::journal;
use crate::migration::Direction;
use crate::plan::Step;
use crate::retry::{GaveUp, LockRetry};
use crate::settings::Settings;

use super::record::{elapsed_ms, Recorder};
use super::Ran;
use data::Begin;
use units::OutcomeBase;

mod data;
mod guard;
mod partitions;
mod preconditions;
mod stepwise;
mod undo_part;
mod units;

pub(super) use stepwise::describe_unit;

/// Stage 4 of a run: runs the steps the earlier stages chose and checked, and has the [`Recorder`] write
/// their bookkeeping. Its parts, each an `impl` of its own file: `units` sends one migration's statements,
/// data code and backfills and names what failed; `stepwise` runs a migration outside a transaction, group
/// by group; `undo_part` reverts the part of a migration an interrupted `up` applied; `guard` checks the
/// objects of statements the engine made idempotent and restores what a `CREATE OR REPLACE` replaced;
/// `partitions` commits per-partition index builds; `preconditions` runs a migration's checks of the data;
/// `data` runs data code and watches the migration's transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Executor<'r, 'a> {
    pub(super) settings: &'r Settings<'a>,
    pub(super) recorder: Recorder<'r>,
}

impl<'a> Executor<'_, 'a> {
    /// Runs `steps`: all in one transaction when the run asked for a single one, else as
    /// [`execute_each`](Self::execute_each) does, with `restore` as it takes it.
    pub(super) fn execute(
        &self,
        client: &mut Client,
        steps: &[Step<'a>],
        restore: Option<String>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        if self.settings.single_transaction {
            // One transaction for the run: a lock timeout retries all of it.
            for step in steps {
                self.jobs_before(client, step, events)?;
            }
            let label = steps.first().map_or("", |s| s.migration.name());
            if let Some(first) = steps.first() {
                self.check_interrupt(first, &[])?;
            }
            return self.retrying(label, events, |events| {
                self.attempt_transaction(client, steps, events)
            });
        }
        self.execute_each(client, steps.iter().map(Ok), restore, events)
    }

    /// Runs `steps` one after the other, each in its own transaction (or none), taking each from the
    /// iterator only when it is its turn. `restore` puts the session back before each (see
    /// [`session_restore`]), when the caller has read it already.
    pub(super) fn execute_each<S: std::borrow::Borrow<Step<'a>>>(
        &self,
        client: &mut Client,
        steps: impl Iterator<Item = Result<S, Error>>,
        mut restore: Option<String>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        // Sized up front: grown by doubling, the list would at one point be held one and a half times.
        let mut ran = Vec::with_capacity(steps.size_hint().0);
        // Else read when the first step comes: a run with nothing to apply asks nothing.
        for step in steps {
            let step = step?;
            let step = step.borrow();
            // Rendered again from the catalog, when its statements depend on it: as it was when the
            // migration started, if it stopped part-way in this direction; else as it is now.
            let resolved;
            let step = if step.needs_catalog() && !step.fake {
                let saved = journal::load(client, &self.settings.table, step.migration.name())?
                    .filter(|row| row.direction == step.direction)
                    .and_then(|row| row.catalogs);
                resolved = step.resolve_catalog_saved(client, saved.as_deref())?;
                &resolved
            } else {
                step
            };
            self.check_interrupt(step, &ran)?;
            self.jobs_before(client, step, events)?;
            if restore.is_none() {
                restore = Some(session_restore(client)?);
            }
            let restore = restore.as_deref().unwrap_or_default();
            if step.transactional {
                ran.push(self.run_segmented(client, step, restore, events)?);
            } else {
                ran.push(self.run_outside_transaction(client, step, restore, events)?);
            }
        }
        Ok(ran)
    }

    /// Before `step`: an `up` waits for the background jobs it requires (refused until they finished, or
    /// run here with [`Migrator::finish_jobs`](crate::Migrator::finish_jobs)); a `down` of a migration that
    /// queued jobs cancels them first, in a transaction of its own: the batches in progress commit, and none
    /// starts on a table the `down` changes. Nothing for a fake step.
    fn jobs_before(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        if step.fake {
            return Ok(());
        }
        let m = step.migration;
        match step.direction {
            Direction::Up => {
                // Read from the step's statements, already rendered: no second recording of its `up`.
                let required: Vec<&str> = step
                    .statements()
                    .iter()
                    .filter_map(|s| match &s.action {
                        Some(Action::RequireJobs(name)) => Some(name.as_str()),
                        _ => None,
                    })
                    .collect();
                if required.is_empty() {
                    return Ok(());
                }
                self.settings.check_gates(client, m, &required, self.settings.finish_jobs, events)
            }
            Direction::Down => {
                // A migration known from its row alone may have queued jobs as well: its `up` is not here
                // to tell, so its jobs are looked for.
                if !m.is_recorded()
                    && !m.build(Direction::Up).is_ok_and(|pgm| pgm.queues_background_jobs())
                {
                    return Ok(());
                }
                crate::jobs::cancel_of(client, &self.settings.table, m.name())
                    .map(drop)
                    .map_err(Error::database(format!(
                        "migration {}: cannot cancel its background jobs before its down",
                        m.name()
                    )))
            }
        }
    }

    /// Stops before `step` when a stop was requested; what ran before it in this run stays.
    fn check_interrupt(&self, step: &Step<'a>, ran: &[Ran]) -> Result<(), Error> {
        let Some(stop) = self.settings.interrupt.stop() else {
            return Ok(());
        };
        let done = if ran.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = ran.iter().map(|r| r.name.as_str()).collect();
            format!(
                "; done before it in this run, and kept: {}",
                names.join(", ")
            )
        };
        Err(stop.error(format!(
            "before migration {} (`{}`), of which nothing ran{done}",
            step.migration.name(),
            step.direction
        )))
    }

    /// Runs `attempt` again while it fails on a lock timeout, with backoff, until the retry budget is spent.
    /// Only whole transactions are retried: `attempt` must leave nothing behind when it fails.
    pub(super) fn retrying<T>(
        &self,
        name: &str,
        events: &mut dyn FnMut(Event<'_>),
        attempt: impl FnMut(&mut dyn FnMut(Event<'_>)) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let retry = LockRetry {
            name,
            budget: self.settings.timeouts.retry_budget,
            interrupt: Some(&self.settings.interrupt),
            watch: Some(&self.settings.lock_watch),
        };
        retry.run(events, attempt).map_err(|gave_up| match gave_up {
            GaveUp::Failed(e) => e,
            GaveUp::Exhausted {
                error,
                attempts,
                waited,
                blocked,
            } => Error::LockTimeout {
                name: name.to_owned(),
                attempts,
                waited,
                error: Box::new(error),
                blocked,
            },
            GaveUp::Interrupted { error, stop } => stop.error(format!(
                "while retrying {name} after a lock timeout; its attempt was rolled back ({error})"
            )),
        })
    }

    /// One attempt at `steps` in one transaction, timeouts set first; rolled back on any failure.
    fn attempt_transaction(
        &self,
        client: &mut Client,
        steps: &[Step<'a>],
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let mut tx = client
            .transaction()
            .map_err(Error::database("cannot start a transaction"))?;
        let mut ran = Vec::new();
        for step in steps {
            // The step's `SET LOCAL` timeouts are sent with its first query (run_units).
            let result = self.run_step(&mut tx, step, events);
            match result {
                Ok(r) => ran.push(r),
                Err(mut e) => {
                    // Sent explicitly so the session is clean for a retry or the unlock that follows.
                    let _ = tx.rollback();
                    if let Error::TransactionEnded(ended) = &mut e {
                        ended.earlier_in_run = ran.iter().map(|r: &Ran| r.name.clone()).collect();
                    }
                    self.recorder.mark_if_ended(client, step, &e);
                    return Err(e);
                }
            }
        }
        tx.commit().map_err(Error::database("cannot commit"))?;
        Ok(ran)
    }

    /// A transactional migration: one transaction, or several when it has transaction breaks (a `VALIDATE`
    /// runs in its own, so the `ACCESS EXCLUSIVE` lock of an `ADD ... NOT VALID` before it is not held
    /// during the validating scan). Each transaction is retried on its own after a lock timeout and commits
    /// with its journal entries, so a run stopped between two continues with the next one; the bookkeeping
    /// row goes into the last.
    fn run_segmented(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        restore: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        let m = step.migration;
        events(Event::Started {
            name: m.name(),
            direction: step.direction,
            transactional: true,
            fake: step.fake,
        });
        let started = Instant::now();
        let segments = step.segments();
        let last = segments.len() - 1;
        // A step that sends nothing goes through `record`, which also clears what an earlier run recorded.
        let plain = last == 0 && !step.sends_nothing() && self.settings.observer.is_none() && is_plain(step);
        let total: usize = segments.iter().map(Vec::len).sum();
        // Only a migration of several transactions has steps to journal.
        let continued = if last > 0 {
            self.continue_from_journal(client, step, total, events)?
        } else {
            None
        };
        let (mut started_journal, done) = (continued.is_some(), continued.unwrap_or(0));
        let mut committed = 0;
        let mut ran = None;
        for (i, units) in segments.iter().enumerate() {
            if committed + units.len() <= done && i < last {
                committed += units.len();
                continue;
            }
            // Between two transactions is where a stop leaves a clean state: what committed is recorded.
            if committed > 0 {
                self.check_interrupt_within(step, committed, total)?;
            }
            let segment = Segment {
                units,
                committed,
                // The first transaction this run sends checks the safeguards of everything still to run.
                first: committed == done,
                last: i == last,
                journaled: started_journal,
            };
            let attempt = self.retrying(m.name(), events, |events| {
                if plain {
                    return self
                        .attempt_plain(client, step, units, started, restore, events)
                        .map(Some);
                }
                self.attempt_segment(client, step, &segment, started, restore, events)
            });
            let recorded = match attempt {
                Ok(recorded) => recorded,
                Err(mut e) => {
                    // What earlier transactions committed is in the journal: the next run continues.
                    if committed > 0 {
                        set_kept(&mut e, committed, total);
                    }
                    self.recorder.mark_if_ended(client, step, &e);
                    return Err(e);
                }
            };
            started_journal |= i < last;
            committed += units.len();
            ran = ran.or(recorded);
        }

        events(Event::Finished {
            name: m.name(),
            direction: step.direction,
            elapsed: started.elapsed(),
            fake: step.fake,
        });
        ran.ok_or(Error::Internal("a migration ran without its bookkeeping"))
    }

    /// Where an earlier run stopped in a migration of several transactions: the statements it committed, as
    /// its journal entry records them; `None` when there is none.
    fn continue_from_journal(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        total: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Option<usize>, Error> {
        let m = step.migration;
        let units = step.units();
        let Some(row) = journal::load(client, &self.settings.table, m.name())? else {
            return Ok(None);
        };
        let done = stepwise::continue_at(step, &units, &row)?;
        events(Event::Continued {
            name: m.name(),
            direction: step.direction,
            done,
            total,
        });
        Ok(Some(done))
    }

    /// Stops before the statement after the `committed` ones of a segmented migration when a stop was
    /// requested: its earlier transactions are kept, and the next run continues it.
    fn check_interrupt_within(
        &self,
        step: &Step<'a>,
        committed: usize,
        total: usize,
    ) -> Result<(), Error> {
        let Some(stop) = self.settings.interrupt.stop() else {
            return Ok(());
        };
        Err(stop.error(format!(
            "before statement {} of {total} of migration {} (`{}`); {committed} of its statement(s) \
             took effect and are kept, each recorded as it committed; the next `{}` continues it",
            committed + 1,
            step.migration.name(),
            step.direction,
            step.direction
        )))
    }

    /// One attempt at one transaction of a segmented migration, in a driver transaction; rolled back on any
    /// failure. Returns the bookkeeping row's `Ran` from the last transaction.
    fn attempt_segment(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        segment: &Segment<'_>,
        started: Instant,
        restore: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Option<Ran>, Error> {
        let mut tx = client
            .transaction()
            .map_err(Error::database("cannot start a transaction"))?;
        // The `SET LOCAL` timeouts are sent with run_units' first query.
        let result = self
            .check_first_segment(&mut tx, step, segment.first, &step.units()[segment.committed..])
            .and_then(|()| {
                self.run_units(&mut tx, step, segment.units, segment.outcome(), Begin::Opened, events)
            })
            .and_then(|()| self.close_segment(&mut tx, step, segment, started, restore));
        match result {
            Ok(recorded) => {
                tx.commit().map_err(Error::database("cannot commit"))?;
                Ok(recorded)
            }
            Err(e) => {
                // Sent explicitly so the session is clean for a retry or the unlock that follows.
                let _ = tx.rollback();
                Err(e)
            }
        }
    }

    /// The end of a segmented migration's transaction, before its commit: in the last, the session put
    /// back and the bookkeeping row; in the others, the journal advanced past its statements.
    fn close_segment(
        &self,
        tx: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        segment: &Segment<'_>,
        started: Instant,
        restore: &str,
    ) -> Result<Option<Ran>, Error> {
        let name = step.migration.name();
        if segment.last {
            self.restore_session(tx, step, restore)?;
            let recorded = self.recorder.record(tx, step, started, segment.outcome().at(0), false)?;
            if segment.journaled {
                journal::finish(tx, &self.settings.table, name)?;
            }
            Ok(Some(recorded))
        } else {
            if !segment.journaled {
                journal::begin(
                    tx,
                    &self.settings.table,
                    name,
                    step.direction,
                    step.saved_catalogs().as_deref(),
                )?;
            }
            let entries: Vec<String> = segment.units.iter().map(stepwise::entry).collect();
            journal::advance(tx, &self.settings.table, name, &entries)?;
            Ok(None)
        }
    }

    /// One attempt at a migration of plain statements ([`is_plain`]) in one transaction that the runner
    /// opens and ends by hand: `BEGIN` goes with the first query and `COMMIT` with the bookkeeping row, so a
    /// one-statement migration takes two round trips instead of the driver transaction's four. Rolled back
    /// on any failure, like the driver's.
    fn attempt_plain(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        units: &[Statement],
        started: Instant,
        restore: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        let result = self
            .run_units(client, step, units, OutcomeBase::RolledBack, Begin::WithFirstQuery, events)
            .and_then(|()| self.record_and_commit(client, step, started, restore));
        if result.is_err() {
            // Sent explicitly so the session is clean for a retry or the unlock that follows; when the
            // transaction already ended, the server only warns.
            let _ = client.batch_execute("ROLLBACK");
        }
        result
    }

    /// The session put back as the run found it (`restore`), the bookkeeping row of a plain migration
    /// ([`Self::attempt_plain`]) and the commit of its transaction, in one round trip.
    fn record_and_commit(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        started: Instant,
        restore: &str,
    ) -> Result<Ran, Error> {
        let m = step.migration;
        let execution_ms = elapsed_ms(started);
        let sql = match step.direction {
            Direction::Up => self.settings.table.insert_literal_sql(
                m.name(),
                &m.checksum(),
                execution_ms,
                self.recorder.recorded(step).as_ref(),
            ),
            Direction::Down => self.settings.table.delete_literal_sql(m.name()),
        };
        let note = self.recorder.run_note_sql(step);
        let Err(error) = client.batch_execute(&format!("{restore};\n{sql}{note};\nCOMMIT")) else {
            return Ok(Ran::of(step, execution_ms));
        };
        // Which of the two failed: after a refused row the transaction is still open, aborted, and refuses
        // any query; after a failed commit it is gone. A lost connection says neither, so it is reported as
        // the commit's, which does not claim the migration was rolled back.
        let aborted = matches!(
            client.simple_query("SELECT 1"),
            Err(e) if e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION)
        );
        Err(if aborted {
            self.recorder.row_refused(step, error, Outcome::RolledBack, false)
        } else {
            Error::database(format!("migration {}: cannot commit its transaction", m.name()))(error)
        })
    }

    /// A migration outside a transaction: session-level timeouts around it, put back afterwards even when
    /// it fails.
    fn run_outside_transaction(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        restore: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        self.set_timeouts(client, step, false)?;
        let result = self.run_stepwise(client, step, restore, events);
        // A step that sends nothing set none (see set_timeouts).
        let reset = if step.sends_nothing() {
            Ok(())
        } else {
            self.settings.timeouts
                .reset_sql(step.lock_timeout)
                .iter()
                .try_for_each(|sql| client.batch_execute(sql))
                .map_err(Error::database(
                    "cannot reset the session's timeouts".to_owned(),
                ))
        };
        let ran = result?;
        reset?;
        Ok(ran)
    }

    /// Puts the session back as the run found it (see [`session_restore`]), before `step`'s bookkeeping row,
    /// in its transaction: the row is written as the run's role, and what comes next starts as the run began.
    pub(super) fn restore_session(
        &self,
        client: &mut impl GenericClient,
        step: &Step<'a>,
        restore: &str,
    ) -> Result<(), Error> {
        if restore.is_empty() || step.sends_nothing() {
            return Ok(());
        }
        client.batch_execute(restore).map_err(Error::database(format!(
            "migration {}: cannot put the session's search_path and role back after it",
            step.migration.name()
        )))
    }

    pub(super) fn set_timeouts(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        local: bool,
    ) -> Result<(), Error> {
        if step.sends_nothing() {
            return Ok(());
        }
        for sql in self.settings.timeouts.set_sql(step.lock_timeout, local) {
            conn.batch_execute(&sql)
                .map_err(Error::database(format!("cannot set `{sql}`")))?;
        }
        Ok(())
    }

    /// Runs one step's statements and bookkeeping in the run's transaction (`--single-transaction`, which
    /// takes only transactional migrations).
    fn run_step(
        &self,
        conn: &mut (impl GenericClient + Send),
        step: &Step<'a>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        let m = step.migration;
        events(Event::Started {
            name: m.name(),
            direction: step.direction,
            transactional: step.transactional,
            fake: step.fake,
        });
        let started = Instant::now();
        if !step.sends_nothing() {
            let units = step.units();
            self.check_safeguards(conn, step, &units)?;
            self.run_units(
                conn,
                step,
                &units,
                OutcomeBase::RolledBack,
                Begin::Opened,
                events,
            )?;
        }
        let ran = self.recorder.record(conn, step, started, Outcome::RolledBack, false)?;
        events(Event::Finished {
            name: m.name(),
            direction: step.direction,
            elapsed: started.elapsed(),
            fake: step.fake,
        });
        Ok(ran)
    }
}

/// The statements that put the session's `search_path` and role back as they are now: each migration starts
/// with the session the run was given (a fleet's schema target, the connection's role), whatever the
/// migration before it set for the session (pg_dump output's `set_config('search_path', '', false)`, a `SET
/// ROLE`), so its unqualified names land where the run means them to.
fn session_restore(client: &mut Client) -> Result<String, Error> {
    let row = client
        .query_typed_one(
            "SELECT pg_catalog.current_setting('search_path'), pg_catalog.current_setting('role')",
            &[],
        )
        .map_err(Error::database("cannot read the session's search_path and role"))?;
    Ok(session_restore_sql(row.get(0), row.get(1)))
}

/// One transaction of a segmented migration ([`Executor::run_segmented`]), and where it stands in the
/// migration.
struct Segment<'s> {
    units: &'s [Statement],
    /// The migration's statements committed before it, by earlier runs or transactions.
    committed: usize,
    /// Whether it is the first transaction this run sends.
    first: bool,
    /// Whether it is the migration's last, which takes the bookkeeping row.
    last: bool,
    /// Whether the journal has an entry for the migration already.
    journaled: bool,
}

impl Segment<'_> {
    /// What a failure in it leaves of the migration's statements.
    fn outcome(&self) -> OutcomeBase {
        if self.committed == 0 {
            OutcomeBase::RolledBack
        } else {
            OutcomeBase::Split(self.committed)
        }
    }
}

/// Whether a transactional migration is plain statements only, sent by [`Executor::attempt_plain`]: no
/// data code (which needs the driver's transaction for its savepoint), backfill, restore, note or
/// safeguard (whose checks run before the transaction's first statement and whose records go with the
/// bookkeeping row).
fn is_plain(step: &Step<'_>) -> bool {
    step.statements()
        .iter()
        .all(|s| s.action.is_none() && s.safeguard.is_none())
}

/// Says that `committed` of a migration's `total` statements took effect (in earlier transactions, each with
/// its journal entries) and are kept for the next run to continue from.
fn set_kept(e: &mut Error, committed: usize, total: usize) {
    let kept = Outcome::Kept {
        done: committed,
        total,
    };
    match e {
        Error::Statement(s) => s.outcome = kept,
        Error::Data(d) => d.outcome = kept,
        Error::NotOwned(n) => n.outcome = kept,
        Error::Restore(r) => r.outcome = kept,
        Error::Record(r) => r.outcome = kept,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_failure_left_depends_on_where_the_statement_ran() {
        assert!(matches!(OutcomeBase::RolledBack.at(3), Outcome::RolledBack));
        assert!(matches!(
            OutcomeBase::Split(2).at(5),
            Outcome::SplitCommitted { committed: 2 }
        ));
    }
}
