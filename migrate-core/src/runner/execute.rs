//! Running the chosen steps: one transaction per migration (several when it has transaction breaks), one
//! for the whole run (`--single-transaction`), or none (`pgm.no_transaction()`), each with its bookkeeping
//! row; lock timeouts retried whole transactions at a time; a migration that failed after committing some
//! of its statements marked so that the next run refuses until it is repaired.

use std::time::Instant;

use postgres::error::SqlState;
use postgres::{Client, GenericClient};

use migrate_dsl::{Action, Statement};

use crate::error::{Error, Outcome, RecordError};
use crate::events::Event;
use crate::history;
use crate::invalid_index;
use crate::migration::Direction;
use crate::plan::Step;
use crate::previous;
use crate::retry::{GaveUp, LockRetry};

use super::data::Begin;
use super::{Migrator, Ran};

impl<'a> Migrator<'a> {
    pub(super) fn execute(
        &self,
        client: &mut Client,
        steps: &[Step<'a>],
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        if self.single_transaction {
            // One transaction for the run: a lock timeout retries all of it.
            let label = steps.first().map_or("", |s| s.migration.name());
            if let Some(first) = steps.first() {
                self.check_interrupt(first, &[])?;
            }
            return self.retrying(label, events, |events| {
                self.attempt_transaction(client, steps, events)
            });
        }
        self.execute_each(client, steps.iter().map(Ok), events)
    }

    /// Runs `steps` one after the other, each in its own transaction (or none), taking each from the
    /// iterator only when it is its turn.
    pub(super) fn execute_each<S: std::borrow::Borrow<Step<'a>>>(
        &self,
        client: &mut Client,
        steps: impl Iterator<Item = Result<S, Error>>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        // Sized up front: grown by doubling, the list would at one point be held one and a half times.
        let mut ran = Vec::with_capacity(steps.size_hint().0);
        for step in steps {
            let step = step?;
            let step = step.borrow();
            self.check_interrupt(step, &ran)?;
            if step.transactional {
                ran.push(self.run_segmented(client, step, events)?);
            } else {
                ran.push(self.run_outside_transaction(client, step, events)?);
            }
        }
        Ok(ran)
    }

    /// Stops before `step` when a stop was requested; what ran before it in this run stays.
    fn check_interrupt(&self, step: &Step<'a>, ran: &[Ran]) -> Result<(), Error> {
        let Some(stop) = self.interrupt.stop() else {
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
    fn retrying<T>(
        &self,
        name: &str,
        events: &mut dyn FnMut(Event<'_>),
        attempt: impl FnMut(&mut dyn FnMut(Event<'_>)) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let retry = LockRetry {
            name,
            budget: self.timeouts.retry_budget,
            interrupt: Some(&self.interrupt),
            watch: Some(&self.lock_watch),
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
                    self.mark_if_partly_applied(client, step, &e);
                    return Err(e);
                }
            }
        }
        tx.commit().map_err(Error::database("cannot commit"))?;
        Ok(ran)
    }

    /// A transactional migration: one transaction, or several when it has transaction breaks (a `VALIDATE`
    /// runs in its own, so the `ACCESS EXCLUSIVE` lock of an `ADD ... NOT VALID` before it is not held
    /// during the validating scan). Each transaction is retried on its own after a lock timeout; the
    /// bookkeeping row goes into the last one.
    fn run_segmented(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        let m = step.migration;
        events(Event::Started {
            name: m.name(),
            direction: step.direction,
            transactional: true,
            fake: self.fake,
        });
        let started = Instant::now();
        let segments = if self.fake {
            vec![Vec::new()]
        } else {
            step.segments()
        };
        let last = segments.len() - 1;
        let plain = last == 0 && !self.fake && self.observer.is_none() && is_plain(step);
        let mut committed = 0;
        let mut ran = None;
        for (i, segment) in segments.iter().enumerate() {
            let outcome = if i == 0 {
                OutcomeBase::RolledBack
            } else {
                OutcomeBase::Split(committed)
            };
            let attempt = self.retrying(m.name(), events, |events| {
                if plain {
                    return self.attempt_plain(client, step, segment, started, events).map(Some);
                }
                let mut tx = client
                    .transaction()
                    .map_err(Error::database("cannot start a transaction"))?;
                // The `SET LOCAL` timeouts are sent with run_units' first query.
                let result = self
                    .check_first_segment(&mut tx, step, i == 0)
                    .and_then(|()| {
                        self.run_units(&mut tx, step, segment, outcome, Begin::Opened, events)
                    })
                    .and_then(|()| {
                        if i == last {
                            self.record(&mut tx, step, started, outcome.at(0), false)
                                .map(Some)
                        } else {
                            Ok(None)
                        }
                    });
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
            });
            if let Err(e) = &attempt {
                self.mark_if_partly_applied(client, step, e);
            }
            let recorded = attempt?;
            committed += segment.len();
            ran = ran.or(recorded);
        }
        events(Event::Finished {
            name: m.name(),
            direction: step.direction,
            elapsed: started.elapsed(),
            fake: self.fake,
        });
        ran.ok_or(Error::Internal("a migration ran without its bookkeeping"))
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
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        let result = self
            .run_units(client, step, units, OutcomeBase::RolledBack, Begin::WithFirstQuery, events)
            .and_then(|()| self.record_and_commit(client, step, started));
        if result.is_err() {
            // Sent explicitly so the session is clean for a retry or the unlock that follows; when the
            // transaction already ended, the server only warns.
            let _ = client.batch_execute("ROLLBACK");
        }
        result
    }

    /// The bookkeeping row of a plain migration ([`Self::attempt_plain`]) and the commit of its transaction,
    /// in one round trip.
    fn record_and_commit(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        started: Instant,
    ) -> Result<Ran, Error> {
        let m = step.migration;
        let execution_ms = elapsed_ms(started);
        let sql = match step.direction {
            Direction::Up => self.table.insert_literal_sql(m.name(), &m.checksum(), execution_ms),
            Direction::Down => self.table.delete_literal_sql(m.name()),
        };
        let Err(error) = client.batch_execute(&format!("{sql};\nCOMMIT")) else {
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
            self.row_refused(step, error, Outcome::RolledBack, false)
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
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        self.set_timeouts(client, step, false)?;
        let result = self.run_step(client, step, events);
        // A fake run set none (see set_timeouts).
        let reset = if self.fake {
            Ok(())
        } else {
            self.timeouts
                .reset_sql(step.lock_timeout)
                .iter()
                .try_for_each(|sql| client.batch_execute(sql))
                .map_err(Error::database(
                    "cannot reset the session's timeouts".to_owned(),
                ))
        };
        if let Err(e) = &result {
            self.mark_if_partly_applied(client, step, e);
        }
        let ran = result?;
        reset?;
        Ok(ran)
    }

    /// Before each statement of a migration outside a transaction: a committed mark naming the statements
    /// committed so far and the one about to run. Success clears it (with the bookkeeping row), a failure
    /// replaces it with the error or clears it when nothing was committed; only when the process, the
    /// connection or the server ends mid-way does it stay, and the next run refuses with what it says (or,
    /// for a backfill before which nothing was committed, resumes it).
    pub(super) fn mark_in_progress(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        units: &[Statement],
        index: usize,
    ) -> Result<(), Error> {
        let statements: Vec<String> = units[..index].iter().map(describe_unit).collect();
        let unit = &units[index];
        // Nothing committed before it, and the operation itself can run again: a backfill resumes from its
        // progress; a typed concurrent index build drops the invalid index an interrupted build leaves, and
        // its safeguard recognises a build that finished.
        let resumable = index == 0 && runs_again(unit);
        let error = format!(
            "{} while running {} (the process, the connection or the server ended; that statement may or may not have committed)",
            if resumable { history::RESUMABLE_MARK } else { history::INTERRUPTED_MARK },
            describe_unit(unit)
        );
        history::record_failure(
            conn,
            &self.table,
            step.migration.name(),
            &step.direction.to_string(),
            &statements,
            &error,
        )
        .map_err(|e| match e {
            Error::Database { context, error } => Error::Database {
                context: format!(
                    "migration {}: cannot mark it as in progress before operation #{} ({context}), so it was not started there",
                    step.migration.name(), unit.position
                ),
                error,
            },
            other => other,
        })
    }

    /// Marks a migration that failed after committing some of its statements (outside a transaction, or in
    /// a later transaction of a split migration): running it again would repeat them, so `up` refuses
    /// until it is repaired.
    fn mark_if_partly_applied(&self, client: &mut Client, step: &Step<'a>, e: &Error) {
        let outcome = match e {
            Error::Statement(s) => s.outcome,
            Error::Data(d) => d.outcome,
            Error::NotOwned(n) => n.outcome,
            Error::Restore(r) => r.outcome,
            // Its one statement can run again: no mark, the next `up` runs it again (see `runs_again`).
            Error::Record(r) if r.runs_again => Outcome::RolledBack,
            Error::Record(r) => r.outcome,
            _ => Outcome::RolledBack,
        };
        let committed = match (outcome, e) {
            (_, Error::TransactionEnded(ended)) => ended.statements_committed,
            (
                Outcome::PartiallyApplied { committed } | Outcome::SplitCommitted { committed },
                _,
            ) => committed,
            (Outcome::RolledBack, _) => 0,
        };
        // A migration that ended its own transaction is marked even when it was rolled back: what its code
        // ran after the ROLLBACK committed on its own, and only the user can tell what that was.
        let ended = matches!(e, Error::TransactionEnded(_));
        if committed == 0 && !ended && !step.transactional && !self.fake {
            // Nothing committed: the in-progress mark goes (best effort, as below).
            let _ = history::clear_failure(client, &self.table, step.migration.name());
        }
        if committed > 0 || ended {
            // The units run in order, whether one statement at a time outside a transaction or one
            // transaction after another, so the committed ones are the first `committed`.
            let statements: Vec<String> = step
                .units()
                .iter()
                .take(committed)
                .map(describe_unit)
                .collect();
            // Best effort: when the connection itself is gone the mark cannot be written, and the error
            // (which says how many statements were committed) is all that is left; the original error
            // matters more than this one, so it is the one returned.
            let _ = history::record_failure(
                client,
                &self.table,
                step.migration.name(),
                &step.direction.to_string(),
                &statements,
                &e.to_string(),
            );
        }
    }

    fn set_timeouts(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        local: bool,
    ) -> Result<(), Error> {
        if self.fake {
            return Ok(());
        }
        for sql in self.timeouts.set_sql(step.lock_timeout, local) {
            conn.batch_execute(&sql)
                .map_err(Error::database(format!("cannot set `{sql}`")))?;
        }
        Ok(())
    }

    /// Runs one step's statements and bookkeeping on `conn` (the run's transaction with
    /// `--single-transaction`, or the bare connection for a migration outside a transaction).
    fn run_step(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        let m = step.migration;
        events(Event::Started {
            name: m.name(),
            direction: step.direction,
            transactional: step.transactional,
            fake: self.fake,
        });
        let started = Instant::now();
        if !self.fake {
            let outcome = if step.transactional {
                OutcomeBase::RolledBack
            } else {
                OutcomeBase::Outside
            };
            let units = step.units();
            self.check_safeguards(conn, step, &units)?;
            self.run_units(conn, step, &units, outcome, Begin::Opened, events)?;
        }
        let ran = if step.transactional || self.fake {
            self.record(conn, step, started, Outcome::RolledBack, false)?
        } else {
            // The bookkeeping row and the end of the in-progress mark commit together: a crash in between
            // would otherwise leave an applied migration marked as interrupted.
            let mut tx = conn
                .transaction()
                .map_err(Error::database("cannot start a transaction"))?;
            // Every statement ran and committed on its own.
            let units = step.units();
            let committed = Outcome::PartiallyApplied {
                committed: units.len(),
            };
            let again = matches!(units.as_slice(), [unit] if runs_again(unit));
            let ran = self.record(&mut tx, step, started, committed, again)?;
            history::clear_failure(&mut tx, &self.table, m.name())?;
            tx.commit().map_err(Error::database("cannot commit"))?;
            ran
        };
        events(Event::Finished {
            name: m.name(),
            direction: step.direction,
            elapsed: started.elapsed(),
            fake: self.fake,
        });
        Ok(ran)
    }

    /// Writes (up) or deletes (down) the bookkeeping row; `outcome` is what a failure to write it leaves of
    /// the migration's statements.
    fn record(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        started: Instant,
        outcome: Outcome,
        runs_again: bool,
    ) -> Result<Ran, Error> {
        let m = step.migration;
        let execution_ms = elapsed_ms(started);
        let written = match step.direction {
            Direction::Up => {
                history::insert(conn, &self.table, m.name(), &m.checksum(), execution_ms)
            }
            Direction::Down => history::delete(conn, &self.table, m.name()),
        };
        written.map_err(|e| match e {
            Error::Database { error, .. } => self.row_refused(step, error, outcome, runs_again),
            other => other,
        })?;
        // What it recorded about objects goes with the bookkeeping row, in the same transaction. A fake run
        // cleans up too: a later real run must not find an old record.
        let recorded = step
            .statements()
            .iter()
            .any(|s| s.safeguard.is_some() || matches!(s.action, Some(Action::Restore(_))));
        if recorded || self.fake {
            previous::forget(conn, &self.table, m.name(), step.direction)?;
        }
        Ok(Ran::of(step, execution_ms))
    }

    /// The bookkeeping row was refused after the migration's statements ran: the error says what became of
    /// them (`outcome`) and whether the migration can simply run again.
    fn row_refused(
        &self,
        step: &Step<'a>,
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
    fn of(step: &Step<'_>, execution_ms: i64) -> Ran {
        Ran {
            name: step.migration.name().to_owned(),
            direction: step.direction,
            execution_ms,
        }
    }
}

/// Milliseconds since `started`, as the bookkeeping row's `execution_ms` holds them.
fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// What a failure in a group of statements leaves behind, before knowing which statement fails.
#[derive(Debug, Clone, Copy)]
pub(super) enum OutcomeBase {
    /// In the migration's only (or first) transaction: rolled back.
    RolledBack,
    /// In a later transaction of a split migration: the statements of earlier ones are committed.
    Split(usize),
    /// Outside a transaction: every earlier statement is committed.
    Outside,
}

impl OutcomeBase {
    pub(super) fn at(self, index: usize) -> Outcome {
        match self {
            OutcomeBase::RolledBack => Outcome::RolledBack,
            OutcomeBase::Split(committed) => Outcome::SplitCommitted { committed },
            OutcomeBase::Outside => Outcome::PartiallyApplied { committed: index },
        }
    }
}

/// A statement as a failure mark lists it: `#2 (sql): INSERT INTO log VALUES ('once')`, its first line,
/// shortened.
fn describe_unit(unit: &Statement) -> String {
    let first = unit
        .sql
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .trim_end_matches(';');
    let shown = if first.chars().count() > 120 {
        format!("{}...", first.chars().take(117).collect::<String>())
    } else {
        first.to_owned()
    };
    format!("#{} ({}): {shown}", unit.position, unit.op)
}

/// Whether a transactional migration is plain statements only, sent by [`Migrator::attempt_plain`]: no
/// data code (which needs the driver's transaction for its savepoint), backfill, restore, note or
/// safeguard (whose checks run before the transaction's first statement and whose records go with the
/// bookkeeping row).
fn is_plain(step: &Step<'_>) -> bool {
    step.statements()
        .iter()
        .all(|s| s.action.is_none() && s.safeguard.is_none())
}

/// Whether a unit that may have committed can simply run again: a backfill resumes from its progress, and a
/// typed concurrent index build drops the invalid index an interrupted build leaves while its safeguard
/// recognises a build that finished.
fn runs_again(unit: &Statement) -> bool {
    matches!(unit.action, Some(Action::Backfill(_)))
        || (unit.safeguard.is_some() && invalid_index::concurrent_build(&unit.sql).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::test_support::statements;

    #[test]
    fn a_failure_mark_shows_the_first_line_without_its_terminator_shortened() {
        let units = statements(|pgm| {
            pgm.sql("\n\n   INSERT INTO log VALUES ('once');\nSELECT 2;");
            pgm.sql(format!("SELECT '{}'", "x".repeat(200)));
        });
        assert_eq!(
            describe_unit(&units[0]),
            "#1 (sql): INSERT INTO log VALUES ('once')"
        );
        let long = describe_unit(&units[1]);
        assert!(long.starts_with("#2 (sql): SELECT 'xxx"), "{long}");
        assert!(long.ends_with("..."), "{long}");
        assert_eq!(long.chars().count(), "#2 (sql): ".len() + 120);
    }

    #[test]
    fn backfills_and_safeguarded_concurrent_index_builds_run_again_raw_sql_does_not() {
        let units = statements(|pgm| {
            pgm.backfill("t", "v = 1");
            pgm.create_index("t", ["v"]).concurrently();
            pgm.sql("CREATE INDEX CONCURRENTLY i ON t (v)");
            pgm.sql("UPDATE t SET v = 1");
        });
        let again: Vec<(&str, bool)> = units.iter().map(|u| (u.op, runs_again(u))).collect();
        assert_eq!(
            again,
            [
                ("backfill", true),
                ("create_index", true),
                ("sql", false),
                ("sql", false)
            ]
        );
    }

    #[test]
    fn what_a_failure_left_depends_on_where_the_statement_ran() {
        assert!(matches!(OutcomeBase::RolledBack.at(3), Outcome::RolledBack));
        assert!(matches!(
            OutcomeBase::Split(2).at(5),
            Outcome::SplitCommitted { committed: 2 }
        ));
        assert!(matches!(
            OutcomeBase::Outside.at(4),
            Outcome::PartiallyApplied { committed: 4 }
        ));
    }
}
