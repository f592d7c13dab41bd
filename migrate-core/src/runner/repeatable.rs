//! Repeatable migrations: files for objects replaced as a whole (views, functions, triggers, grants), applied
//! after the versioned migrations whenever their content changed since they last ran.
//!
//! Their checksums live in a companion table, `<table>_repeat` (name, checksum, when, how long), not in the
//! migrations table: a repeatable migration is applied many times and is never reverted, so it has no place in
//! the ordered history `down` walks. Each one runs in a transaction of its own with its bookkeeping row, so a
//! failure rolls back that file and records nothing: the next `up` tries it again.

use std::time::Instant;

use postgres::{Client, GenericClient};

use crate::error::Error;
use crate::events::Event;
use crate::history::{self, MigrationsTable};
use crate::migration::{Direction, Migration};
use crate::plan::Step;

use crate::status::{RepeatableState, RepeatableStatus};

use super::execute::Executor;
use super::{Migrator, Ran};

/// Creates `<table>_repeat` when missing; returns its quoted name.
pub(crate) fn ensure_repeat_table(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<String, Error> {
    let repeat = table.repeats();
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {repeat} (\n\
             \x20   name text PRIMARY KEY,\n\
             \x20   checksum text NOT NULL,\n\
             \x20   applied_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),\n\
             \x20   execution_ms bigint NOT NULL\n\
             )"
        ))
        .map_err(Error::database(format!("cannot create {repeat}")))?;
    Ok(repeat)
}

/// The checksum each repeatable migration was last applied with (none when the table does not exist).
fn recorded(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
) -> Result<std::collections::HashMap<String, String>, Error> {
    let repeat = table.repeats();
    let exists = history::relation_exists(client, &repeat)
        .map_err(Error::database(format!("cannot look up {repeat}")))?;
    recorded_if(client, table, exists)
}

/// [`recorded`] when whether the table exists is known (a [`history::Probe`]).
fn recorded_if(
    client: &mut impl GenericClient,
    table: &MigrationsTable,
    exists: bool,
) -> Result<std::collections::HashMap<String, String>, Error> {
    if !exists {
        return Ok(Default::default());
    }
    let repeat = table.repeats();
    let rows = client
        .query(&format!("SELECT name, checksum FROM {repeat}"), &[])
        .map_err(Error::database(format!("cannot read {repeat}")))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

impl<'a> Migrator<'a> {
    /// The state of each repeatable migration, in the order `up` applies them, then those recorded as applied
    /// whose file is gone ([`RepeatableState::Gone`]), in name order. Read-only.
    pub fn repeatable_status(&self, client: &mut Client) -> Result<Vec<RepeatableStatus>, Error> {
        // Read even without files: the last repeatable file deleted leaves its row, which status reports.
        let recorded = recorded(client, &self.settings.table)?;
        Ok(self.repeatable_states(&recorded))
    }

    /// [`repeatable_status`](Self::repeatable_status) after a [`history::Probe`] said whether the table of
    /// applied repeatable migrations exists.
    pub(crate) fn repeatable_status_probed(
        &self,
        client: &mut Client,
        probe: &history::Probe,
    ) -> Result<Vec<RepeatableStatus>, Error> {
        let recorded = recorded_if(client, &self.settings.table, probe.repeatables)?;
        Ok(self.repeatable_states(&recorded))
    }

    fn repeatable_states(
        &self,
        recorded: &std::collections::HashMap<String, String>,
    ) -> Vec<RepeatableStatus> {
        let mut status: Vec<RepeatableStatus> = self
            .settings
            .repeatables
            .iter()
            .map(|m| RepeatableStatus {
                name: m.name().to_owned(),
                state: state(recorded, m),
            })
            .collect();
        let mut gone: Vec<&String> = recorded
            .keys()
            .filter(|name| !self.settings.repeatables.iter().any(|m| m.name() == name.as_str()))
            .collect();
        gone.sort();
        status.extend(gone.into_iter().map(|name| RepeatableStatus {
            name: name.clone(),
            state: RepeatableState::Gone,
        }));
        status
    }

    /// The named repeatable migrations (`repeatable_<name>`), in the order given, whatever their state: what
    /// `sql repeatable_x` shows. Read-only, without a database.
    pub fn plan_named_repeatables(
        &self,
        names: &[String],
        direction: Direction,
    ) -> Result<Vec<Step<'a>>, Error> {
        names
            .iter()
            .map(|name| {
                let m = self
                    .settings
                    .repeatables
                    .iter()
                    .find(|m| m.name() == name)
                    .ok_or_else(|| Error::UnknownMigration { name: name.clone() })?;
                if direction == Direction::Down {
                    return Err(Error::RepeatableHasNoDown { name: name.clone() });
                }
                let step = Step::new(m, Direction::Up)?;
                check(&step)?;
                Ok(step)
            })
            .collect()
    }

    /// The repeatable migrations the next `up` to the end applies (new or changed), in order, rendered for
    /// the server (see [`crate::plan::repeatable_script`]). Read-only.
    pub fn plan_repeatables(&self, client: &mut Client) -> Result<Vec<Step<'a>>, Error> {
        if self.settings.repeatables.is_empty() {
            return Ok(Vec::new());
        }
        let server = crate::server::server_major(client)?;
        self.run().executor().select_repeatables(client, server, false)
    }

    /// Applies every repeatable migration again, changed or not, under the lock: `verify` proves on a scratch
    /// database that each can run on top of itself (a `CREATE VIEW` without `OR REPLACE` cannot), which is
    /// what the next change of the file will do.
    pub fn run_repeatables_again(
        &self,
        client: &mut Client,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let run = self.run();
        run.locked(
            client,
            events,
            |client, events| {
                let server = crate::server::server_major(client)?;
                let executor = run.executor();
                let steps = executor.select_repeatables(client, server, true)?;
                executor.run_repeatables(client, steps, events)
            },
        )
    }

    /// Applies the named repeatable migrations (`repeatable_<name>`), in the order given, whatever their
    /// state, under the lock: what `trace` runs to trace them.
    pub(crate) fn run_named_repeatables(
        &self,
        client: &mut Client,
        names: &[String],
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let run = self.run();
        run.locked(
            client,
            events,
            |client, events| {
                let server = crate::server::server_major(client)?;
                let steps = names
                    .iter()
                    .map(|name| {
                        let m = self
                            .settings
                            .repeatables
                            .iter()
                            .find(|m| m.name() == name)
                            .ok_or_else(|| Error::UnknownMigration { name: name.clone() })?;
                        let step = Step::for_run(m, Direction::Up, server, run.settings.fake)?;
                        check(&step)?;
                        Ok(step)
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                run.executor().run_repeatables(client, steps, events)
            },
        )
    }
}

impl<'a> Executor<'_, 'a> {
    /// The new and changed repeatable migrations (every one with `all`), rendered and checked: every one
    /// before the first runs, so a file that cannot be a repeatable migration leaves the database as it was.
    pub(super) fn select_repeatables(
        &self,
        client: &mut Client,
        server: u32,
        all: bool,
    ) -> Result<Vec<Step<'a>>, Error> {
        let recorded = recorded(client, &self.settings.table)?;
        self.settings
            .repeatables
            .iter()
            .filter(|m| all || state(&recorded, m) != RepeatableState::UpToDate)
            .map(|m| {
                let step = Step::for_run(m, Direction::Up, server, self.settings.fake)?;
                check(&step)?;
                Ok(step)
            })
            .collect()
    }

    /// Applies the new and changed repeatable migrations, by name, each in its own transaction with its row
    /// in `<table>_repeat`. Runs under the migration lock, after the versioned migrations.
    pub(super) fn apply_repeatables(
        &self,
        client: &mut Client,
        server: u32,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        if self.settings.repeatables.is_empty() {
            return Ok(Vec::new());
        }
        let steps = self.select_repeatables(client, server, false)?;
        self.run_repeatables(client, steps, events)
    }

    /// Runs `steps` (repeatable migrations), each in its own transaction with its row in `<table>_repeat`.
    pub(super) fn run_repeatables(
        &self,
        client: &mut Client,
        steps: Vec<Step<'a>>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        // The schema and migrations table too, for a folder that has only repeatables.
        crate::history::ensure(client, &self.settings.table)?;
        let repeat = ensure_repeat_table(client, &self.settings.table)?;
        let mut ran = Vec::with_capacity(steps.len());
        for step in &steps {
            let m = step.migration;
            events(Event::Started {
                name: m.name(),
                direction: Direction::Up,
                transactional: true,
                fake: step.fake,
            });
            let started = Instant::now();
            let failed = |error| Error::Repeatable {
                name: m.name().to_owned(),
                path: m.display_path(),
                error,
            };
            let mut tx = client.transaction().map_err(failed)?;
            if !step.sends_nothing() {
                for sql in self.settings.timeouts.set_sql(step.lock_timeout, true) {
                    tx.batch_execute(&sql).map_err(failed)?;
                }
                // `trace` watches each statement as it does a versioned migration's.
                self.observe(step, None, |observer| {
                    observer.transaction_started(step, &mut tx)
                })?;
                for statement in step.statements() {
                    self.observe(step, Some(statement), |observer| {
                        observer.before_unit(step, statement, &mut tx)
                    })?;
                    tx.batch_execute(&statement.sql).map_err(failed)?;
                    self.observe(step, Some(statement), |observer| {
                        observer.after_unit(step, statement, &mut tx)
                    })?;
                }
            }
            let execution_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            tx.execute(
                &format!(
                    "INSERT INTO {repeat} (name, checksum, execution_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, \
                     applied_at = pg_catalog.clock_timestamp(), execution_ms = EXCLUDED.execution_ms"
                ),
                &[&m.name(), &m.checksum(), &execution_ms],
            )
            .map_err(Error::database(format!(
                "cannot record repeatable migration {} in {repeat}",
                m.name()
            )))?;
            tx.commit().map_err(failed)?;
            events(Event::Finished {
                name: m.name(),
                direction: Direction::Up,
                elapsed: started.elapsed(),
                fake: step.fake,
            });
            ran.push(Ran {
                name: m.name().to_owned(),
                direction: Direction::Up,
                execution_ms,
            });
        }
        Ok(ran)
    }
}

fn state(recorded: &std::collections::HashMap<String, String>, m: &Migration) -> RepeatableState {
    match recorded.get(m.name()) {
        None => RepeatableState::New,
        Some(checksum) if *checksum == m.checksum() => RepeatableState::UpToDate,
        Some(_) => RepeatableState::Changed,
    }
}

/// Refuses what a repeatable migration cannot hold: it runs as plain SQL in one transaction, so data code,
/// backfills and statements that need their own transaction or none have no place in it.
fn check(step: &Step<'_>) -> Result<(), Error> {
    let m = step.migration;
    let refuse = |reason: String| Error::RepeatableUnsupported {
        name: m.name().to_owned(),
        path: m.display_path(),
        reason,
    };
    if !step.transactional {
        return Err(refuse("runs outside a transaction".to_owned()));
    }
    if let Some(s) = step.statements().iter().find(|s| s.action.is_some()) {
        return Err(refuse(format!(
            "uses `{}` (operation {})",
            s.op, s.position
        )));
    }
    if let Some(s) = step.statements().iter().find(|s| s.new_transaction) {
        return Err(refuse(format!(
            "uses `{}` (operation {}), which needs a transaction of its own",
            s.op, s.position
        )));
    }
    Ok(())
}
