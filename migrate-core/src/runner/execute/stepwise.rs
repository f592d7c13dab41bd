//! Migrations that take more than one commit: outside a transaction (a backfill commits batch by batch, a
//! concurrent index build commits on its own), so that whatever stops a run part-way leaves a state the next
//! run continues, with no person in between.
//!
//! The migration's units are grouped, and each group commits together with its entries in the journal
//! (`history::journal`): the statements of one typed operation share a transaction (unless the operation
//! breaks it, as before a `VALIDATE`), each raw statement gets its own as it would without the engine, data
//! code runs in its own, a backfill records its position with every batch and its entry with the last. So
//! after a signal, a time budget, a lost connection or a crash, the journal names exactly the statements
//! that took effect, and the next run skips them and goes on. The one kind of statement that cannot commit
//! with its entry, one PostgreSQL refuses in a transaction block (`CREATE INDEX CONCURRENTLY`), is named as
//! running while it is sent; the next run asks the catalog whether it took effect.
//!
//! A person is asked only where the engine cannot know: a raw statement that failed (its SQL or the data is
//! wrong), or a raw statement outside any transaction that was interrupted and whose effect the catalog cannot
//! tell. Those keep a failure mark with what took effect, and `--retry` continues.

use std::ops::Range;
use std::time::Instant;

use postgres::error::SqlState;
use postgres::Client;

use migrate_dsl::{Action, Restore, Statement};

use crate::backfill;
use crate::backfill::kept::KeptSelection;
use crate::error::{Error, Outcome, StatementError};
use crate::events::Event;
use crate::history::{self, journal, InProgress, JournalEntry};
use crate::invalid_index;
use crate::outside::{must_run_alone, runs_again_safely};
use crate::plan::Step;
use crate::user_code::UserCode;

use super::data::run_data;
use super::units::{data_failed, SentError};
use super::Executor;
use crate::runner::Ran;

/// How a group of a migration's units commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Commit {
    /// In one transaction of its own, with its journal entries.
    Together,
    /// A backfill: batch by batch, each batch with its position, the journal entry with the end.
    Backfill,
    /// Data code, in a transaction of its own with its journal entry.
    Data,
    /// A statement PostgreSQL refuses in a transaction block (or one that ends transactions itself): sent on
    /// its own, named in the journal as running while it runs.
    Bare,
    /// The partitions' indexes of an index built partition by partition: each statement on its own, the
    /// whole named in the journal as running until the last partition is attached.
    Partitions,
}

/// Units of a migration that commit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Group {
    pub range: Range<usize>,
    pub commit: Commit,
}

/// The groups of a migration's `units` outside a transaction, in order.
pub(super) fn groups(units: &[Statement]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        let commit = match &unit.action {
            Some(Action::Backfill(_)) => Commit::Backfill,
            Some(Action::Data(_)) => Commit::Data,
            Some(Action::IndexPartitions(_) | Action::ConstrainPartitions(_)) => Commit::Partitions,
            _ if must_run_alone(&unit.sql) => Commit::Bare,
            _ => Commit::Together,
        };
        // The statements of one typed operation share a transaction unless it starts a new one; each raw
        // statement commits on its own, as it would without the engine.
        let joins = commit == Commit::Together
            && unit.op != "sql"
            && !unit.new_transaction
            && groups.last().is_some_and(|g| {
                let first = &units[g.range.start];
                g.commit == Commit::Together && first.position == unit.position && first.op != "sql"
            });
        match groups.last_mut() {
            Some(last) if joins => last.range.end = i + 1,
            _ => groups.push(Group {
                range: i..i + 1,
                commit,
            }),
        }
    }
    groups
}

/// A unit as the journal names it: a digest of where it is and what it runs, and its description.
pub(super) fn entry(unit: &Statement) -> String {
    JournalEntry::text(&digest(unit), &describe_unit(unit))
}

fn digest(unit: &Statement) -> String {
    let mut digest =
        crate::checksum::checksum(&format!("{}\n{}\n{}", unit.position, unit.op, unit.sql));
    digest.truncate(16);
    digest
}

/// A statement as a failure mark or the journal lists it: `#2 (sql): INSERT INTO log VALUES ('once')`, its
/// first line, shortened.
pub(in crate::runner) fn describe_unit(unit: &Statement) -> String {
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

/// How many of `units` took effect according to `row`, checking that they are still the migration's first
/// units (its file may have changed since).
pub(super) fn continue_at(
    step: &Step<'_>,
    units: &[Statement],
    row: &InProgress,
) -> Result<usize, Error> {
    let changed = |at: usize| Error::ChangedInProgress {
        name: step.migration.name().to_owned(),
        path: step.migration.display_path(),
        direction: step.direction,
        done: row.entries().map(|e| e.described.to_owned()).collect(),
        at,
    };
    for (i, done) in row.entries().enumerate() {
        match units.get(i) {
            Some(unit) if digest(unit) == done.digest => {}
            _ => return Err(changed(i)),
        }
    }
    if let Some(running) = &row.running {
        let running = JournalEntry::parse(running);
        let at = row.done.len();
        if units.get(at).is_none_or(|unit| digest(unit) != running.digest) {
            return Err(changed(at));
        }
    }
    Ok(row.done.len())
}

impl<'a> Executor<'_, 'a> {
    /// A migration outside a transaction: its groups in order, each committed with its journal entries, then
    /// its bookkeeping row (with the journal row's end). Continues a run of it that stopped part-way.
    pub(super) fn run_stepwise(
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
            transactional: false,
            fake: step.fake,
        });
        let started = Instant::now();
        if !step.sends_nothing() {
            let units = step.units();
            let row = self.open_journal(client, step, &units, events)?;
            self.run_groups(client, step, &units, &row, events)?;
        }
        let ran = self.record_finished(client, step, started, restore)?;
        events(Event::Finished {
            name: m.name(),
            direction: step.direction,
            elapsed: started.elapsed(),
            fake: step.fake,
        });
        Ok(ran)
    }

    /// The journal row of `step`: the one an earlier run left (checked against the migration as it is now),
    /// or a new one.
    fn open_journal(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        units: &[Statement],
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<InProgress, Error> {
        let name = step.migration.name();
        match journal::load(client, &self.settings.table, name)? {
            Some(row) if row.direction == step.direction => {
                let done = continue_at(step, units, &row)?;
                events(Event::Continued {
                    name,
                    direction: step.direction,
                    done,
                    total: units.len(),
                });
                Ok(row)
            }
            // The other direction stopped part-way: `up` refuses before it gets here, and `down` undoes an
            // `up`'s part before reverting anything.
            Some(row) => Err(Error::DownInProgress {
                name: name.to_owned(),
                done: row.done.len(),
            }),
            None => journal::begin(
                client,
                &self.settings.table,
                name,
                step.direction,
                step.saved_catalogs().as_deref(),
            ),
        }
    }

    /// Runs the groups of `units` after those `row` records as done.
    fn run_groups(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        units: &[Statement],
        row: &InProgress,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let total = units.len();
        let mut done = row.done.len();
        if row.running.is_some() {
            done = self.settle_running(client, step, units, done, events)?;
        }
        // Refused or stopped before anything of a run that had nothing done: the migration is as if it never
        // started, so that neither another release's runner nor `down` of the migration before it finds it in
        // progress. Unless a backfill first in it committed batches (or kept values) in an earlier run: those
        // changed rows, and only the journal row leads a `down` to them.
        let untouched = done == 0
            && row.running.is_none()
            && !self.backfill_committed(client, step, units.first())?;
        let forget = |client: &mut Client, e: Error| {
            if untouched {
                // Best effort, as the error matters more.
                let _ = journal::finish(client, &self.settings.table, step.migration.name());
            }
            e
        };
        if let Err(e) = self.check_safeguards(client, step, &units[done.min(total)..]) {
            return Err(forget(client, e));
        }
        for group in groups(units) {
            if group.range.end <= done {
                continue;
            }
            let range = done.max(group.range.start)..group.range.end;
            if let Some(stop) = self.settings.interrupt.stop() {
                if done == 0 {
                    let e = stop.error(format!(
                        "before migration {} (`{}`) started; nothing of it ran",
                        step.migration.name(),
                        step.direction
                    ));
                    return Err(forget(client, e));
                }
                return Err(stop.error(format!(
                    "before statement {} of {} of migration {} (`{}`); {}",
                    range.start + 1,
                    total,
                    step.migration.name(),
                    step.direction,
                    kept(done, total, step)
                )));
            }
            let outcome = Outcome::Kept { done, total };
            let result = match group.commit {
                Commit::Together => {
                    self.commit_together(client, step, &units[range.clone()], outcome, events)
                }
                Commit::Backfill => {
                    self.commit_backfill(client, step, &units[range.start], row, outcome, events)
                }
                Commit::Data => self.commit_data(client, step, &units[range.start], outcome),
                Commit::Bare => self.commit_bare(client, step, &units[range.start], outcome, events),
                Commit::Partitions => {
                    self.commit_partitions(client, step, &units[range.start], outcome, events)
                }
            };
            let result = match result {
                // A raw statement the server refuses in a transaction block, sent on its own instead.
                Err(e) if group.commit == Commit::Together && refused_in_transaction(&e) => {
                    self.commit_bare(client, step, &units[range.start], outcome, events)
                }
                other => other,
            };
            if let Err(e) = result {
                return Err(self.stopped(client, step, units, done, &group, e));
            }
            done = range.end;
        }
        Ok(())
    }

    /// Whether `unit` is a backfill that committed batches, or kept values, which the journal does not
    /// record as done.
    fn backfill_committed(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        unit: Option<&Statement>,
    ) -> Result<bool, Error> {
        let Some(unit) = unit.filter(|u| matches!(u.action, Some(Action::Backfill(_)))) else {
            return Ok(false);
        };
        let name = step.migration.name();
        Ok(backfill::committed(client, &self.settings.table, name, unit.position)
            .map_err(Error::database(format!(
                "migration {name}: cannot read what its backfill committed"
            )))?
            .is_some())
    }

    /// The statements of one group in one transaction with their journal entries, retried whole after a
    /// lock timeout.
    fn commit_together(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        units: &[Statement],
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let entries: Vec<String> = units.iter().map(entry).collect();
        self.retrying(step.migration.name(), events, |events| {
            let mut tx = client
                .transaction()
                .map_err(Error::database("cannot start a transaction"))?;
            let result = self
                .observe(step, None, |observer| {
                    observer.transaction_started(step, &mut tx)
                })
                .and_then(|()| {
                    units
                        .iter()
                        .try_for_each(|unit| self.send_in(&mut tx, step, unit, outcome, events))
                })
                .and_then(|()| {
                    journal::advance(&mut tx, &self.settings.table, step.migration.name(), &entries)
                });
            let result = match result {
                Ok(()) => tx.commit().map_err(Error::database("cannot commit")),
                Err(e) => {
                    let _ = tx.rollback();
                    Err(e)
                }
            };
            if let Some(observer) = self.settings.observer {
                observer.transaction_ended();
            }
            result
        })
    }

    /// One statement of a group, in the group's transaction: its safeguard, the statement, its events.
    fn send_in(
        &self,
        tx: &mut postgres::Transaction<'_>,
        step: &Step<'a>,
        unit: &Statement,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        if let Some(safeguard) = &unit.safeguard {
            self.guard(tx, step, unit, safeguard, outcome)?;
        }
        self.settings.notices.take();
        match &unit.action {
            // A precondition was checked before the migration's first statement.
            Some(Action::Note | Action::Precondition(_)) => return Ok(()),
            Some(Action::Restore(restore)) => {
                return self.restore_in(tx, step, unit, restore, outcome, events)
            }
            // Queued with the group: the job exists once the group committed.
            Some(Action::Queue(spec)) => {
                let m = step.migration;
                crate::jobs::queue(
                    tx,
                    &self.settings.table,
                    m.name(),
                    unit.position,
                    &m.checksum(),
                    &spec.table().quoted(),
                )
                .map_err(|source| statement_error(step, unit, unit.sql.clone(), source, outcome))?;
                self.statement_ran(step, unit, Instant::now(), events);
                return Ok(());
            }
            Some(Action::DropKept(table)) => {
                let selection = KeptSelection::Table(&table.quoted());
                return crate::backfill::kept::drop_kept(tx, &self.settings.table, selection)
                    .map(drop)
                    .map_err(|source| {
                        statement_error(step, unit, unit.sql.clone(), source, outcome)
                    });
            }
            _ => {}
        }
        self.observe(step, Some(unit), |observer| {
            observer.before_unit(step, unit, tx)
        })?;
        let started = Instant::now();
        let result = tx.batch_execute(&unit.sql);
        self.report_notices(step, unit, events);
        result.map_err(|source| statement_error(step, unit, unit.sql.clone(), source, outcome))?;
        self.statement_ran(step, unit, started, events);
        self.observe(step, Some(unit), |observer| {
            observer.after_unit(step, unit, tx)
        })
    }

    /// What a `CREATE OR REPLACE` of the `up` replaced, put back in the group's transaction.
    fn restore_in(
        &self,
        tx: &mut postgres::Transaction<'_>,
        step: &Step<'a>,
        unit: &Statement,
        restore: &Restore,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let at = crate::safeguard::At {
            table: &self.settings.table,
            migration: step.migration,
            direction: step.direction,
            position: unit.position,
        };
        let statements = match crate::safeguard::restore_statements(tx, at, restore)? {
            Ok(statements) => statements,
            Err(message) => return Err(super::guard::restore_failed(step, unit, message, outcome)),
        };
        for sql in statements {
            self.settings.notices.take();
            let result = tx.batch_execute(&sql);
            self.report_notices(step, unit, events);
            result.map_err(|source| statement_error(step, unit, sql.clone(), source, outcome))?;
        }
        Ok(())
    }

    /// A backfill, batch by batch; its journal entry commits with the end of its walk.
    fn commit_backfill(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        unit: &Statement,
        row: &InProgress,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let Some(Action::Backfill(spec)) = &unit.action else {
            return Err(Error::Internal("a backfill group without its backfill"));
        };
        let m = step.migration;
        let checksum = m.checksum();
        let origin = backfill::Origin {
            migration: *m,
            checksum: &checksum,
            position: unit.position,
            attempt: &row.attempt,
        };
        let context = backfill::Context {
            table: &self.settings.table,
            retry_budget: self.settings.timeouts.retry_budget,
            interrupt: &self.settings.interrupt,
            settings: &self.settings.backfill,
            lock_watch: &self.settings.lock_watch,
        };
        let entries = [entry(unit)];
        let mut finish = |tx: &mut postgres::Transaction<'_>| {
            journal::advance_raw(tx, &self.settings.table, m.name(), &entries)
        };
        self.observe(step, Some(unit), |observer| {
            observer.before_unit(step, unit, client)
        })?;
        let started = Instant::now();
        backfill::run(client, spec, &origin, &context, &mut finish, events)
            .map_err(|f| super::units::backfill_failed(step, unit, outcome, f))?;
        self.statement_ran(step, unit, started, events);
        self.observe(step, Some(unit), |observer| {
            observer.after_unit(step, unit, client)
        })
    }

    /// Data code in a transaction of its own, with its journal entry.
    fn commit_data(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        unit: &Statement,
        outcome: Outcome,
    ) -> Result<(), Error> {
        let Some(Action::Data(data)) = &unit.action else {
            return Err(Error::Internal("a data group without its code"));
        };
        let m = step.migration;
        let mut tx = client
            .transaction()
            .map_err(Error::database("cannot start a transaction"))?;
        let code = UserCode {
            migration: *m,
            position: unit.position,
            op: unit.op,
            transactional: false,
        };
        if let Err(cause) = run_data(&mut tx, data, code, None).result {
            let _ = tx.rollback();
            return Err(data_failed(step, unit, outcome, cause, None));
        }
        journal::advance(&mut tx, &self.settings.table, m.name(), &[entry(unit)])?;
        tx.commit().map_err(Error::database("cannot commit"))
    }

    /// A statement PostgreSQL refuses in a transaction: named as running in the journal, sent (retried after a
    /// lock timeout, an invalid index of an earlier failed build dropped first), then recorded as done.
    fn commit_bare(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        unit: &Statement,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let name = step.migration.name();
        let entry = entry(unit);
        journal::set_running(client, &self.settings.table, name, &entry)?;
        if let Some(safeguard) = &unit.safeguard {
            self.guard(client, step, unit, safeguard, outcome)?;
        }
        self.settings.notices.take();
        self.observe(step, Some(unit), |observer| {
            observer.before_unit(step, unit, client)
        })?;
        let started = Instant::now();
        let result = self.run_unit(client, step, unit, &unit.sql, events);
        self.report_notices(step, unit, events);
        result.map_err(|source| statement_error(step, unit, unit.sql.clone(), source, outcome))?;
        self.statement_ran(step, unit, started, events);
        self.observe(step, Some(unit), |observer| {
            observer.after_unit(step, unit, client)
        })?;
        journal::advance(client, &self.settings.table, name, &[entry])
    }

    pub(super) fn statement_ran(
        &self,
        step: &Step<'a>,
        unit: &Statement,
        started: Instant,
        events: &mut dyn FnMut(Event<'_>),
    ) {
        events(Event::Statement {
            name: step.migration.name(),
            direction: step.direction,
            position: unit.position,
            op: unit.op,
            line: step.migration.line_of(unit.recorded_at),
            sql: &unit.sql,
            elapsed: started.elapsed(),
        });
    }

    /// Records the interrupted statement `units[done]` as done (the catalog says it took effect) and says the
    /// migration continues after it.
    fn took_effect(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        units: &[Statement],
        done: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize, Error> {
        let name = step.migration.name();
        journal::advance(client, &self.settings.table, name, &[entry(&units[done])])?;
        events(Event::Continued {
            name,
            direction: step.direction,
            done: done + 1,
            total: units.len(),
        });
        Ok(done + 1)
    }

    /// The statement an earlier run sent outside any transaction and did not see end: where the catalog can
    /// tell whether it took effect, the run goes on from there; a typed operation's own checks recognise an
    /// earlier attempt's work, and statements that can simply run again do. Anything else needs a person:
    /// it is marked, unless `--retry` named the migration.
    fn settle_running(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        units: &[Statement],
        done: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize, Error> {
        let Some(unit) = units.get(done) else {
            return Ok(done);
        };
        let name = step.migration.name();
        let pg = |what: &str| Error::database(format!("migration {name}: cannot check {what}"));
        if let Some((index, table)) = invalid_index::concurrent_build(&unit.sql) {
            let built = invalid_index::valid_named(client, &index, &table)
                .map_err(pg("whether its interrupted index build took effect"))?;
            if built {
                return self.took_effect(client, step, units, done, events);
            }
            // Absent, or left invalid: built again (an invalid one is dropped first).
            return Ok(done);
        }
        // A concurrent detach stopped between its two transactions is finished; one that ended is done.
        if let Some((table, partition)) = crate::partition_index::concurrent_detach(&unit.sql) {
            use crate::partition_index::Detach;
            let state = crate::partition_index::detach_state(client, table, partition)
                .map_err(pg("whether its interrupted detach took effect"))?;
            if state == Detach::Attached {
                return Ok(done);
            }
            if state == Detach::Pending {
                client
                    .batch_execute(&format!(
                        "ALTER TABLE {table} DETACH PARTITION {partition} FINALIZE"
                    ))
                    .map_err(Error::database(format!(
                        "migration {name}: cannot finish its interrupted detach with FINALIZE"
                    )))?;
            }
            return self.took_effect(client, step, units, done, events);
        }
        // The partitions of an index built per partition: every step of it is skipped once done.
        if unit.safeguard.is_some()
            || matches!(
                unit.action,
                Some(Action::IndexPartitions(_) | Action::ConstrainPartitions(_))
            )
            || runs_again_safely(&unit.sql)
            || self.settings.retry.iter().any(|r| r == name)
        {
            return Ok(done);
        }
        let statements: Vec<String> = units[..done].iter().map(describe_unit).collect();
        let error = format!(
            "interrupted while running {} outside any transaction: it may or may not have taken effect, and \
             nothing tells which; check it, undo it if it did, then continue by retrying {name} with `{}`",
            describe_unit(unit),
            step.direction
        );
        history::record_failure(
            client,
            &self.settings.table,
            name,
            &step.direction.to_string(),
            &statements,
            &error,
        )?;
        Err(Error::FailedPartWay {
            failures: history::load_failures(client, &self.settings.table)?
                .into_iter()
                .filter(|f| f.name == name)
                .collect(),
            elsewhere: Vec::new(),
        })
    }

    /// The run's error for a group that failed: a raw statement's failure (not an interruption) is marked
    /// for a person; anything else leaves the journal as it is, for the next run to continue. When nothing
    /// took effect at all, the journal row goes too: the migration is as if it never started.
    fn stopped(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        units: &[Statement],
        done: usize,
        group: &Group,
        mut e: Error,
    ) -> Error {
        let name = step.migration.name();
        let interrupted = self.settings.interrupt.stop().is_some() || client.is_closed();
        let unit = &units[group.range.start];
        // A concurrent detach whose first transaction committed stays in the journal as running: the next
        // run finishes it with FINALIZE.
        if let Some((table, partition)) = crate::partition_index::concurrent_detach(&unit.sql) {
            if matches!(
                crate::partition_index::detach_state(client, table, partition),
                Ok(crate::partition_index::Detach::Pending)
            ) {
                // Its first transaction took effect: the error says so, or it would read as if nothing had.
                set_left(
                    &mut e,
                    format!(
                        "the detach's first transaction committed: {partition} is left pending detach from \
                         {table} (`inhdetachpending`), still read with it by queries that started before; \
                         running `{}` again finishes the detach (`DETACH PARTITION .. FINALIZE`)",
                        step.direction
                    ),
                );
                return e;
            }
        }
        // A backfill keeps the position of its committed batches, even when nothing before it took effect.
        let nothing = done == 0 && group.commit != Commit::Backfill;
        if interrupted || (unit.op != "sql" && !nothing) {
            return e;
        }
        if nothing {
            // Best effort, as the error matters more: a journal row left behind is continued from nothing.
            let _ = journal::finish(client, &self.settings.table, name);
            set_outcome(&mut e, Outcome::RolledBack);
            return e;
        }
        let statements: Vec<String> = units[..done].iter().map(describe_unit).collect();
        set_outcome(&mut e, Outcome::PartiallyApplied { committed: done });
        // Best effort: the statement's error matters more than a mark that cannot be written.
        let _ = history::record_failure(
            client,
            &self.settings.table,
            name,
            &step.direction.to_string(),
            &statements,
            &e.to_string(),
        );
        e
    }

    /// The bookkeeping row of a migration whose statements all took effect, with the end of its journal row
    /// (and its backfills' positions) and of any failure mark, and the session put back as the run found it,
    /// in one transaction.
    fn record_finished(
        &self,
        client: &mut Client,
        step: &Step<'a>,
        started: Instant,
        restore: &str,
    ) -> Result<Ran, Error> {
        let name = step.migration.name();
        let mut tx = client
            .transaction()
            .map_err(Error::database("cannot start a transaction"))?;
        self.restore_session(&mut tx, step, restore)?;
        let total = step.units().len();
        let ran = self.recorder.record(
            &mut tx,
            step,
            started,
            Outcome::Kept { done: total, total },
            false,
        )?;
        journal::finish(&mut tx, &self.settings.table, name)?;
        history::clear_failure(&mut tx, &self.settings.table, name)?;
        tx.commit().map_err(Error::database("cannot commit"))?;
        Ok(ran)
    }
}

/// `N of T statements took effect and are kept; the next `up` continues it`, for a run that stops between
/// two groups.
fn kept(done: usize, total: usize, step: &Step<'_>) -> String {
    let direction = step.direction;
    if done == 0 {
        return format!("nothing of it took effect; the next `{direction}` runs it");
    }
    format!(
        "{done} of its {total} statement(s) took effect and are kept, each recorded as it committed; the next \
         `{direction}` continues it from statement {}",
        done + 1
    )
}

/// Whether the server refused a statement in a transaction block (`CREATE DATABASE`, a procedure that
/// commits): it must be sent on its own.
fn refused_in_transaction(e: &Error) -> bool {
    let Error::Statement(s) = e else {
        return false;
    };
    matches!(
        s.source.code(),
        Some(c) if *c == SqlState::ACTIVE_SQL_TRANSACTION || *c == SqlState::INVALID_TRANSACTION_TERMINATION
    )
}

/// Replaces what an error says its failure left behind.
/// Records on a statement's error what the statement itself left in place.
fn set_left(e: &mut Error, left: String) {
    match e {
        Error::Statement(s) => s.left = Some(left),
        Error::LockTimeout { error, .. } => set_left(error, left),
        _ => {}
    }
}

fn set_outcome(e: &mut Error, outcome: Outcome) {
    match e {
        Error::Statement(s) => s.outcome = outcome,
        Error::LockTimeout { error, .. } => set_outcome(error, outcome),
        Error::Data(d) => d.outcome = outcome,
        Error::NotOwned(n) => n.outcome = outcome,
        Error::Restore(r) => r.outcome = outcome,
        _ => {}
    }
}

pub(super) fn statement_error(
    step: &Step<'_>,
    unit: &Statement,
    sql: String,
    source: impl Into<SentError>,
    outcome: Outcome,
) -> Error {
    let m = step.migration;
    source.into().into_error(m.name(), |source| {
        Error::Statement(Box::new(StatementError {
            name: m.name().to_owned(),
            path: m.display_path(),
            direction: step.direction,
            position: unit.position,
            op: unit.op,
            line: m.line_of(unit.recorded_at),
            sql_lines: m.sql_lines(unit.recorded_at, &sql).unwrap_or_default(),
            sql,
            source,
            outcome,
            sent_after: 0,
            left: None,
        }))
    })
}

#[cfg(test)]
mod tests;
