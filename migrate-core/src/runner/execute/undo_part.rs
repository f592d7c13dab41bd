//! Undoing the part of a migration that an interrupted `up` applied: a `down` with a migration in progress
//! starts there, since that part is the newest change. Each operation with statements that took effect is
//! undone, the last first, by its reverse (or, when only part of it took effect, the reverse of that part),
//! and the journal forgets that operation's entries in the same transaction, so a `down` stopped in the
//! middle is continued by the next one. The journal row goes with the last. A backfill stopped in its walk
//! counts as having taken effect when it committed batches (its saved position, or values it kept): its
//! kept values are restored, or its operation is undone with the rest. Where an operation that took effect
//! has no such reverse (raw SQL, a backfill that overwrote values it did not keep), the migration's written
//! `down` runs instead, whole: it must undo any part of its `up`; without one, nothing is undone and the
//! `down` is refused, saying why.

use std::time::Instant;

use postgres::Client;

use migrate_dsl::{Action, Statement};

use crate::backfill;
use crate::error::Error;
use crate::events::{Event, StoppedBackfill};
use crate::history::{self, journal, InProgress};
use crate::invalid_index;
use crate::migration::{Direction, Migration};
use crate::plan::Step;

use super::data::Begin;
use super::units::OutcomeBase;
use super::stepwise::{continue_at, describe_unit, entry, statement_error};
use super::Executor;
use crate::runner::Ran;

impl<'a> Executor<'_, 'a> {
    /// Undoes what an interrupted `up` of `m` applied, as `row` records it, on a PostgreSQL `server` server.
    pub(in crate::runner) fn undo_part(
        &self,
        client: &mut Client,
        m: &'a Migration,
        row: &InProgress,
        server: u32,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Ran, Error> {
        let started = Instant::now();
        events(Event::Started {
            name: m.name(),
            direction: Direction::Down,
            transactional: false,
            fake: false,
        });
        // Rendered from the catalog as the `up` saw it when it started, and undone the same way.
        let saved = row.catalogs.as_deref();
        let up = Step::for_server(m, Direction::Up, server)?.resolve_catalog_saved(client, saved)?;
        let units = up.units();
        let mut done = continue_at(&up, &units, row)?;
        if row.running.is_some() {
            done = self.settle_before_undo(client, m, &units, done, events)?;
        }
        let mut per_operation = vec![0; units.last().map_or(0, |u| u.position)];
        for unit in &units[..done] {
            per_operation[unit.position - 1] += 1;
        }
        // A backfill stopped in its walk is not recorded as done, yet its committed batches changed rows:
        // they are undone as what took effect of its operation.
        let backfill = self.stopped_backfill(client, m, units.get(done))?;
        if let Some(stopped) = backfill {
            per_operation[stopped.position - 1] += 1;
        }
        // Each operation's own reverse, when every one that took effect has one; else the migration's
        // written `down`, which must then undo any part of its `up` (`IF EXISTS`).
        let mut undos = Vec::new();
        let mut written_down = None;
        for position in (1..=per_operation.len()).rev() {
            if per_operation[position - 1] == 0 {
                continue;
            }
            let mut only = vec![0; per_operation.len()];
            only[position - 1] = per_operation[position - 1];
            match Step::undoing_part(m, server, &only)
                .and_then(|undo| undo.resolve_catalog_saved(client, saved))
            {
                Ok(undo) => {
                    // What stays done once this operation is undone: the operations before it.
                    let keep: Vec<String> = units
                        .iter()
                        .take_while(|u| u.position < position)
                        .map(entry)
                        .collect();
                    undos.push((undo, keep));
                }
                Err(_) if m.down().is_some() => {
                    undos = vec![(
                        Step::for_server(m, Direction::Down, server)?.resolve_catalog(client)?,
                        Vec::new(),
                    )];
                    written_down = Some(position);
                    break;
                }
                Err(Error::Invalid { error, .. }) => {
                    return Err(Error::CannotUndoPart {
                        name: m.name().to_owned(),
                        took_effect: took_effect(done, units.len(), backfill),
                        error,
                    })
                }
                Err(e) => return Err(e),
            }
        }
        events(Event::UndoingPart {
            name: m.name(),
            done,
            total: units.len(),
            backfill,
            written_down,
        });
        // A restore of kept values walks the table as a backfill of the `down` and saves a position of its
        // own: the `up`'s is forgotten first. Its kept values still say what committed, should the `down`
        // stop before it ends.
        if let Some(stopped) = backfill {
            if written_down.is_none() && keeps_previous_values(units.get(done)) {
                crate::backfill::forget_position(client, &self.settings.table, m.name(), stopped.position)
                    .map_err(Error::database(format!(
                        "migration {}: cannot forget the position of its stopped backfill",
                        m.name()
                    )))?;
            }
        }
        for (undo, keep) in &undos {
            self.run_undo(client, undo, keep, &row.attempt, events)?;
        }
        let mut tx = client
            .transaction()
            .map_err(Error::database("cannot start a transaction"))?;
        journal::finish(&mut tx, &self.settings.table, m.name())?;
        history::clear_failure(&mut tx, &self.settings.table, m.name())?;
        crate::previous::forget(&mut tx, &self.settings.table, m.name(), Direction::Down)?;
        tx.commit().map_err(Error::database("cannot commit"))?;
        events(Event::Finished {
            name: m.name(),
            direction: Direction::Down,
            elapsed: started.elapsed(),
            fake: false,
        });
        Ok(Ran {
            name: m.name().to_owned(),
            direction: Direction::Down,
            execution_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        })
    }

    /// The undo of one operation, with the journal keeping only `keep`: in one transaction when it can run
    /// in one (retried whole after a lock timeout), else statement by statement and the journal after.
    fn run_undo(
        &self,
        client: &mut Client,
        undo: &Step<'a>,
        keep: &[String],
        attempt: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let name = undo.migration.name();
        let units = undo.units();
        if undo.transactional {
            return self.retrying(name, events, |events| {
                let mut tx = client
                    .transaction()
                    .map_err(Error::database("cannot start a transaction"))?;
                let result = self
                    .check_safeguards(&mut tx, undo, &units)
                    .and_then(|()| {
                        self.run_units(
                            &mut tx,
                            undo,
                            &units,
                            OutcomeBase::RolledBack,
                            Begin::Opened,
                            events,
                        )
                    })
                    .and_then(|()| journal::set_done(&mut tx, &self.settings.table, name, keep));
                match result {
                    Ok(()) => tx.commit().map_err(Error::database("cannot commit")),
                    Err(e) => {
                        let _ = tx.rollback();
                        Err(e)
                    }
                }
            });
        }
        // Statements outside a transaction (a concurrent drop) say IF EXISTS: sent again after an
        // interruption, they find their work done.
        for unit in &units {
            if matches!(unit.action, Some(Action::Backfill(_))) {
                self.undo_backfill(client, undo, unit, attempt, events)?;
            } else {
                self.send_undo(client, undo, unit, events)?;
            }
        }
        journal::set_done(client, &self.settings.table, name, keep)
    }

    /// A backfill of the undo (a restore of kept values, or one of a written `down`), walked batch by batch
    /// as any backfill, its position saved for this application of the migration (`attempt`): a `down`
    /// stopped in it is continued by the next.
    fn undo_backfill(
        &self,
        client: &mut Client,
        undo: &Step<'a>,
        unit: &Statement,
        attempt: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let Some(Action::Backfill(spec)) = &unit.action else {
            return Err(Error::Internal("an undo's backfill without its backfill"));
        };
        let m = undo.migration;
        let checksum = m.checksum();
        let origin = backfill::Origin {
            migration: *m,
            checksum: &checksum,
            position: unit.position,
            attempt,
        };
        let context = backfill::Context {
            table: &self.settings.table,
            retry_budget: self.settings.timeouts.retry_budget,
            interrupt: &self.settings.interrupt,
            settings: &self.settings.backfill,
            lock_watch: &self.settings.lock_watch,
        };
        let started = Instant::now();
        backfill::run(client, spec, &origin, &context, &mut |_| Ok(()), events).map_err(|f| {
            super::units::backfill_failed(undo, unit, crate::Outcome::RolledBack, f)
        })?;
        events(Event::Statement {
            name: m.name(),
            direction: Direction::Down,
            position: unit.position,
            op: unit.op,
            line: m.line_of(unit.recorded_at),
            sql: &unit.sql,
            elapsed: started.elapsed(),
        });
        Ok(())
    }

    /// The backfill `unit` where the interrupted `up` stopped, when it is one and committed batches (or kept
    /// values) that the journal does not record as done.
    fn stopped_backfill(
        &self,
        client: &mut Client,
        m: &Migration,
        unit: Option<&Statement>,
    ) -> Result<Option<StoppedBackfill>, Error> {
        let Some(unit) = unit.filter(|u| matches!(u.action, Some(Action::Backfill(_)))) else {
            return Ok(None);
        };
        let committed = backfill::committed(client, &self.settings.table, m.name(), unit.position).map_err(
            Error::database(format!(
                "migration {}: cannot read what its stopped backfill committed",
                m.name()
            )),
        )?;
        Ok(committed.map(|c| StoppedBackfill {
            position: unit.position,
            rows: c.rows,
        }))
    }

    fn send_undo(
        &self,
        client: &mut Client,
        undo: &Step<'a>,
        unit: &Statement,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        if let Some(safeguard) = &unit.safeguard {
            self.guard(client, undo, unit, safeguard, crate::Outcome::RolledBack)?;
        }
        self.settings.notices.take();
        let started = Instant::now();
        let result = self.run_unit(client, undo, unit, &unit.sql, events);
        self.report_notices(undo, unit, events);
        result.map_err(|source| {
            statement_error(
                undo,
                unit,
                unit.sql.clone(),
                source,
                crate::Outcome::RolledBack,
            )
        })?;
        events(Event::Statement {
            name: undo.migration.name(),
            direction: Direction::Down,
            position: unit.position,
            op: unit.op,
            line: undo.migration.line_of(unit.recorded_at),
            sql: &unit.sql,
            elapsed: started.elapsed(),
        });
        Ok(())
    }

    /// Before undoing: the statement the interrupted `up` sent outside any transaction and did not see end.
    /// A concurrent index build that finished counts as done (its index is dropped with the rest); one that
    /// left an invalid index has that index dropped. The partitions of an index built per partition count as
    /// done: its reverse drops whatever of them was built. Anything else cannot be told: refused.
    fn settle_before_undo(
        &self,
        client: &mut Client,
        m: &Migration,
        units: &[Statement],
        done: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize, Error> {
        let Some(unit) = units.get(done) else {
            return Ok(done);
        };
        if matches!(
            unit.action,
            Some(migrate_dsl::Action::IndexPartitions(_) | migrate_dsl::Action::ConstrainPartitions(_))
        ) {
            return Ok(done + 1);
        }
        let name = m.name();
        let pg = |what: &str| Error::database(format!("migration {name}: cannot {what}"));
        let Some((index, table)) = invalid_index::concurrent_build(&unit.sql) else {
            return Err(Error::UncertainStep {
                name: name.to_owned(),
                statement: describe_unit(unit),
            });
        };
        if invalid_index::valid_named(client, &index, &table)
            .map_err(pg("check whether its interrupted index build took effect"))?
        {
            return Ok(done + 1);
        }
        if let Some(invalid) = invalid_index::named(client, &index, &table)
            .map_err(pg("look up the index its interrupted build left"))?
        {
            client
                .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {invalid}"))
                .map_err(pg("drop the invalid index its interrupted build left"))?;
            events(Event::DroppedInvalidIndex {
                name,
                index: &invalid,
            });
        }
        Ok(done)
    }
}

/// Whether `unit` is a backfill that keeps the values it overwrites.
fn keeps_previous_values(unit: Option<&Statement>) -> bool {
    matches!(unit.map(|u| &u.action), Some(Some(Action::Backfill(spec))) if spec.keeps_previous_values())
}

/// What of a migration took effect, for a refusal: its statements recorded as done, and a stopped backfill's
/// committed rows.
fn took_effect(done: usize, total: usize, backfill: Option<StoppedBackfill>) -> String {
    let statements = format!("{done} of its {total} statement(s) took effect");
    match backfill {
        Some(StoppedBackfill {
            position,
            rows: Some(rows),
        }) => format!("{statements}, and the backfill #{position} committed {rows} row(s)"),
        Some(StoppedBackfill { position, .. }) => {
            format!("{statements}, and the backfill #{position} committed batches")
        }
        None => statements,
    }
}
