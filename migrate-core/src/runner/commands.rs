//! The runner's commands: what an application or the CLI calls on a [`Migrator`]. Each makes a [`Run`] and
//! strings its stages together; those that change anything run under the lock, read the bookkeeping there,
//! and choose and check every step before the first one runs.

use postgres::Client;

use crate::access::Needs;
use crate::backfill::kept::{KeptSelection, KeptValues};
use crate::error::Error;
use crate::events::Event;
use crate::history::{self, journal};
use crate::jobs::{Job, JobChange, WorkOptions, WorkReport};
use crate::migration::{Direction, Migration};
use crate::plan::Step;
use crate::status::{Entry, Status, StatusReport};

use super::plan::restore_from;
use super::read::resumable;
use super::run::Run;
use super::select;
use super::{DownTarget, Migrator, Ran, UpTarget};

/// How `up` gets its target: given, or chosen under the lock from the status.
enum Choice<'c> {
    Fixed(&'c UpTarget),
    Chosen(&'c mut dyn FnMut(&Status) -> UpTarget),
}

impl<'a> Migrator<'a> {
    /// Reads the state of every migration. Read-only: creates nothing and takes no lock.
    pub fn status(&self, client: &mut Client) -> Result<Status, Error> {
        Ok(self.status_report(client)?.into_status())
    }

    /// [`status`](Self::status) laid out one entry at a time: the same entries, without one per migration
    /// held in memory (what the `status` command prints through). Read-only.
    pub fn status_report(&self, client: &mut Client) -> Result<StatusReport<'a>, Error> {
        let settings = &self.settings;
        // What exists first, with the rows when it can be: a status is often the whole of a command.
        let (probe, (exists, applied)) = self.run().read().probe_and_read(client)?;
        // A resumable mark does not stop `up` (it clears it and goes on), so the migration is just pending.
        let mut failures = history::load_failures_if(client, &settings.table, probe.failures)?;
        failures.retain(|f| !resumable(f));
        let in_progress = if probe.journal {
            journal::load_all(client, &settings.table)?
        } else {
            Vec::new()
        };
        let ahead_names = history::ahead_names(settings.migrations, &applied);
        let ahead = if ahead_names.is_empty() {
            Vec::new()
        } else {
            history::load_ahead(client, &settings.table, &ahead_names)?
        };
        Ok(StatusReport::new(
            settings.table.to_string(),
            exists,
            settings.migrations,
            applied,
            failures,
        )
        .with_contracts()
        .with_ahead(ahead)
        .with_repeatables(self.repeatable_status_probed(client, &probe)?)
        .with_in_progress(in_progress))
    }

    /// What `up` would run, without changing anything or taking the lock (for `sql` and `--dry-run`).
    /// Backfill plans show the primary key columns of tables that exist.
    pub fn plan_up(&self, client: &mut Client, target: &UpTarget) -> Result<Vec<Step<'a>>, Error> {
        let run = self.run();
        let (probe, (_, applied)) = run.read().probe_and_read(client)?;
        run.read().check_ahead(client, &applied, &mut |_| {})?;
        let server = probe.server;
        let mut steps = run.selection(server).up(&applied, target)?;
        run.plan().show(client, &mut steps)?;
        Ok(steps)
    }

    /// What `down` would run, without changing anything or taking the lock. Backfill plans show the primary
    /// key columns of tables that exist.
    pub fn plan_down(
        &self,
        client: &mut Client,
        target: &DownTarget,
    ) -> Result<Vec<Step<'a>>, Error> {
        if self.settings.recorded_downs {
            if let Some(with_recorded) = self.with_recorded_downs(client)? {
                return with_recorded.plan_down(client, target);
            }
        }
        let run = self.run();
        let (probe, (_, applied)) = run.read().probe_and_read(client)?;
        let server = probe.server;
        let mut steps = run.selection(server).down(&applied, target, &mut |_| {})?;
        run.plan().show(client, &mut steps)?;
        Ok(steps)
    }

    /// Steps for migrations named on the command line, without a database.
    pub fn plan_named(
        &self,
        names: &[String],
        direction: Direction,
    ) -> Result<Vec<Step<'a>>, Error> {
        names
            .iter()
            .map(|n| Step::new(select::find(self.settings.migrations, n)?, direction))
            .collect()
    }

    /// Applies pending migrations under the lock.
    pub fn run_up(
        &self,
        client: &mut Client,
        target: &UpTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let run = self.run();
        let _watching = run.start(client);
        up_locked(run, client, Choice::Fixed(target), events)
    }

    /// Applies pending migrations under the lock, up to the target `choose` picks from the status read under
    /// that lock (contracts included, see [`Status::expand_only`]). For a decision that depends on what is
    /// applied, such as an app replica choosing between `ExpandOnly` and more: another replica cannot change
    /// the database between the decision and the run.
    pub fn run_up_chosen(
        &self,
        client: &mut Client,
        choose: &mut dyn FnMut(&Status) -> UpTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let run = self.run();
        let _watching = run.start(client);
        up_locked(run, client, Choice::Chosen(choose), events)
    }

    /// Reverts applied migrations under the lock.
    pub fn run_down(
        &self,
        client: &mut Client,
        target: &DownTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let run = self.run();
        let _watching = run.start(client);
        run.locked(
            client,
            events,
            |client, events| {
                if self.settings.recorded_downs {
                    if let Some(with_recorded) = self.with_recorded_downs(client)? {
                        return down_under_lock(with_recorded.run(), client, target, events);
                    }
                }
                down_under_lock(run, client, target, events)
            },
        )
    }

    /// This runner with the migrations a newer release applied, which this binary has no file for, added as
    /// migrations that revert with the `down` their rows recorded; `None` when there are none.
    fn with_recorded_downs(&self, client: &mut Client) -> Result<Option<Migrator<'a>>, Error> {
        let settings = &self.settings;
        if !history::exists(client, &settings.table)? {
            return Ok(None);
        }
        let applied = history::load(client, &settings.table, settings.migrations)?;
        let names = history::ahead_names(settings.migrations, &applied);
        let recorded = if names.is_empty() {
            Vec::new()
        } else {
            history::load_recorded(client, &settings.table, &names)?
        };
        if recorded.is_empty() {
            return Ok(None);
        }
        let mut migrations: Vec<Migration> = settings.migrations.to_vec();
        migrations.extend(recorded);
        // A registry is in name order, and the recorded ones are newer than all of its files.
        let migrations: &'static [Migration] = Box::leak(migrations.into_boxed_slice());
        let mut with_recorded = self.clone();
        with_recorded.settings.migrations = migrations;
        Ok(Some(with_recorded))
    }

    /// Reverts the last `count` applied migrations, then applies exactly those again, under one lock.
    pub fn run_redo(
        &self,
        client: &mut Client,
        count: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let run = self.run();
        let _watching = run.start(client);
        run.locked(
            client,
            events,
            |client, events| {
                let (applied, server, _) = run.read().revertible(client)?;
                if let Some(row) = journal::load_all(client, &run.settings.table)?.into_iter().next() {
                    return Err(Error::RedoInProgress {
                        name: row.name,
                        direction: row.direction,
                    });
                }
                let (down, up) = run.selection(server).redo(&applied, count, events)?;
                let plan = run.plan();
                plan.check_single_transaction(&down)?;
                plan.check_single_transaction(&up)?;
                let checked = plan.check_access(client, &Needs::of(&down))?;
                plan.check_access(client, &Needs::of(&up))?;
                let executor = run.executor();
                let mut ran = executor.execute(client, &down, restore_from(checked), events)?;
                // The ups start from the session as the downs leave it: read again.
                ran.extend(executor.execute(client, &up, None, events)?);
                Ok(ran)
            },
        )
    }

    /// The values that backfills with `keep_previous_values` kept for their `down`s, oldest migration first.
    /// Read-only; no lock.
    pub fn kept_values(&self, client: &mut Client) -> Result<Vec<KeptValues>, Error> {
        crate::backfill::kept::list(client, &self.settings.table, KeptSelection::All)
            .map_err(Error::database("cannot read the kept values".to_owned()))
    }

    /// Drops the selected kept values, under the lock, in one transaction; returns what was dropped. The
    /// `down`s of their backfills can no longer restore them, and say so.
    pub fn drop_kept_values(
        &self,
        client: &mut Client,
        selection: KeptSelection<'_>,
    ) -> Result<Vec<KeptValues>, Error> {
        self.run().locked(client, &mut |_| {}, |client, _| {
            let mut tx = client
                .transaction()
                .map_err(Error::database("cannot start a transaction".to_owned()))?;
            // Listed first, rows counted, for the report.
            let dropped = crate::backfill::kept::list(&mut tx, &self.settings.table, selection)
                .map_err(Error::database("cannot read the kept values".to_owned()))?;
            crate::backfill::kept::drop_kept(&mut tx, &self.settings.table, selection)
                .map_err(Error::database("cannot drop the kept values".to_owned()))?;
            tx.commit()
                .map_err(Error::database("cannot commit the drop of kept values".to_owned()))?;
            Ok(dropped)
        })
    }

    /// Records the current checksum of changed migrations (and of rows without one), records the new name of
    /// renamed files, and forgets applied migrations whose file is gone. With `names`, only those (a renamed
    /// migration matches by its old or new name). Returns what was repaired, as it was before.
    ///
    /// Rows of migrations squashed into a baseline that `up` cannot record yet
    /// ([`State::Squashed`](crate::State::Squashed)) are not missing files and are left alone; naming one is
    /// refused with `up`'s reason.
    pub fn repair(&self, client: &mut Client, names: &[String]) -> Result<Vec<Entry>, Error> {
        self.run().locked(client, &mut |_| {}, |client, _| {
            super::repair::repair(&self.settings, client, names)
        })
    }

    /// The background jobs and their progress, oldest first.
    pub fn jobs(&self, client: &mut Client) -> Result<Vec<Job>, Error> {
        self.settings.jobs(client)
    }

    /// Pauses, resumes, retries or cancels job `id`; returns the job as it is then.
    pub fn change_job(&self, client: &mut Client, id: i64, change: JobChange) -> Result<Job, Error> {
        self.settings.change_job(client, id, change)
    }

    /// Works on the active background jobs (all, or those `options` names) until none is left or the
    /// budget in `options` is spent: batch after batch, each committed with its progress, sharing the
    /// batches with any other worker on any machine. Run it in the application's own process or with
    /// `migrate work`; a stop (SIGTERM) ends it after the batch in progress. A job whose batch fails
    /// [`MAX_BATCH_ATTEMPTS`](crate::MAX_BATCH_ATTEMPTS) times is marked failed and the worker goes on with
    /// the next; the report lists it. Each job runs with the `search_path` and role of the migration that
    /// queued it, on its table as that migration resolved it; the session's own are put back afterwards. A
    /// job id or a migration in `options` that has no job is an error; jobs it was given and left paused or
    /// failed are in [`WorkReport::left`].
    ///
    /// ```no_run
    /// # fn demo(client: &mut postgres::Client, migrations: &'static [migrate_core::Migration]) -> Result<(), migrate_core::Error> {
    /// use migrate_core::{Migrator, WorkOptions};
    /// let report = Migrator::new(migrations).work(client, &WorkOptions::default(), &mut |_event| {})?;
    /// println!("{} row(s) in {} batch(es)", report.rows, report.batches);
    /// # Ok(()) }
    /// ```
    pub fn work(
        &self,
        client: &mut Client,
        options: &WorkOptions,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<WorkReport, Error> {
        self.settings.work(client, options, events)
    }
}

/// `up` once its run started: under the lock, each stage in turn.
fn up_locked<'a>(
    run: Run<'_, 'a>,
    client: &mut Client,
    mut choice: Choice<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Ran>, Error> {
    let settings = run.settings;
    run.locked(
        client,
        events,
        |client, events| {
            // What exists, with the rows, read once: the checks below go by it, and only recorded
            // baselines change the rows.
            let read = run.read();
            let (probe, rows) = read.probe_and_read(client)?;
            read.check_failures(client, probe.failures)?;
            read.check_in_progress(client, probe.journal, Direction::Up)?;
            let (exists, applied) =
                if crate::squash::record_baselines(client, &settings.table, settings.migrations, events)? {
                    read.applied_after(client, &probe)?
                } else {
                    rows
                };
            read.check_ahead(client, &applied, events)?;
            let target = match &mut choice {
                Choice::Fixed(target) => (*target).clone(),
                // Only a chosen target pays for recording the pending migrations to find the contracts.
                Choice::Chosen(choose) => choose(
                    &StatusReport::new(
                        settings.table.to_string(),
                        exists,
                        settings.migrations,
                        applied.clone(),
                        Vec::new(),
                    )
                    .with_contracts()
                    .into_status(),
                ),
            };
            // Plan every step before changing anything, the bookkeeping table included: a bad migration or
            // target leaves the database exactly as it was.
            let server = probe.server;
            let selection = run.selection(server);
            let selected = selection.up_migrations(&applied, &target)?;
            drop(applied);
            let step = |m: &&'a Migration| selection.step(m, Direction::Up);
            let (plan, executor) = (run.plan(), run.executor());
            if settings.single_transaction {
                // One transaction for the run, retried as a whole: its steps are kept.
                let steps = selected.iter().map(step).collect::<Result<Vec<_>, _>>()?;
                plan.check_single_transaction(&steps)?;
                let checked = plan.check_access(client, &Needs::of(&steps))?;
                if !steps.is_empty() {
                    run.recorder()
                        .ensure_table(client, &probe, checked.as_ref().map(|c| c.schema_exists))?;
                }
                let mut ran = executor.execute(client, &steps, None, events)?;
                if target == UpTarget::All {
                    ran.extend(executor.apply_repeatables(client, server, events)?);
                }
                return Ok(ran);
            }
            // Each step is planned here and dropped, then planned again right before it runs: one step is
            // held at a time, so memory does not grow with the number of pending migrations. Recording
            // and rendering are cheap next to running.
            let needs = plan.needs_each(&selection, &selected, Direction::Up)?;
            let checked = plan.check_access(client, &needs)?;
            if !selected.is_empty() {
                run.recorder()
                    .ensure_table(client, &probe, checked.as_ref().map(|c| c.schema_exists))?;
            }
            let mut ran =
                executor.execute_each(client, selected.iter().map(step), restore_from(checked), events)?;
            // Repeatable migrations follow the versioned ones, so they only run once every versioned
            // migration is applied: a partial `up` leaves them for the run that finishes.
            if target == UpTarget::All {
                ran.extend(executor.apply_repeatables(client, server, events)?);
            }
            Ok(ran)
        },
    )
}

/// `down` once the lock is held.
fn down_under_lock(
    run: Run<'_, '_>,
    client: &mut Client,
    target: &DownTarget,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Ran>, Error> {
    let read = run.read();
    let (applied, server, probe) = read.revertible(client)?;
    let executor = run.executor();
    // The part of a migration an interrupted `up` applied is the newest change: undone first.
    let mut ran = Vec::new();
    let mut target = target.clone();
    if let Some(row) = read.check_in_progress(client, probe.journal, Direction::Down)? {
        let m = select::find(run.settings.migrations, &row.name)?;
        ran.push(executor.undo_part(client, m, &row, server, events)?);
        target = match target {
            DownTarget::Count(n) if n <= 1 => return Ok(ran),
            DownTarget::Count(n) => DownTarget::Count(n - 1),
            other => other,
        };
        // Nothing applied besides: the undone part was all there was to revert.
        if applied.is_empty() && matches!(target, DownTarget::All | DownTarget::To(_)) {
            return Ok(ran);
        }
    }
    let steps = run.selection(server).down(&applied, &target, events)?;
    let plan = run.plan();
    plan.check_single_transaction(&steps)?;
    let checked = plan.check_access(client, &Needs::of(&steps))?;
    ran.extend(executor.execute(client, &steps, restore_from(checked), events)?);
    Ok(ran)
}
