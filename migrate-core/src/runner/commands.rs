//! The runner's commands: what an application or the CLI calls. Those that change anything run under the
//! lock, read the bookkeeping there, and choose every step before the first one runs.

use postgres::Client;

use crate::access::{self, Needs};
use crate::backfill::kept::{KeptSelection, KeptValues};
use crate::error::Error;
use crate::events::Event;
use crate::history::{self, journal, History, InProgress};
use crate::migration::{Direction, Migration};
use crate::plan::Step;
use crate::status::{Entry, State, Status, StatusReport};

use super::execute::session_restore_sql;
use super::select::{self, check_single_transaction, Selection};
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
        // What exists first, with the rows when it can be: a status is often the whole of a command.
        let (probe, (exists, applied)) = self.probe_and_read(client)?;
        // A resumable mark does not stop `up` (it clears it and goes on), so the migration is just pending.
        let mut failures = history::load_failures_if(client, &self.table, probe.failures)?;
        failures.retain(|f| !resumable(f));
        let in_progress = if probe.journal {
            journal::load_all(client, &self.table)?
        } else {
            Vec::new()
        };
        let ahead_names = history::ahead_names(self.migrations, &applied);
        let ahead = if ahead_names.is_empty() {
            Vec::new()
        } else {
            history::load_ahead(client, &self.table, &ahead_names)?
        };
        Ok(StatusReport::new(
            self.table.to_string(),
            exists,
            self.migrations,
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
        let (probe, (_, applied)) = self.probe_and_read(client)?;
        self.check_ahead(client, &applied, &mut |_| {})?;
        let server = probe.server;
        let mut steps = self.selection(server).up(&applied, target)?;
        for step in &mut steps {
            step.show_backfill_keys(client)?;
        }
        Ok(steps)
    }

    /// What `down` would run, without changing anything or taking the lock. Backfill plans show the primary
    /// key columns of tables that exist.
    pub fn plan_down(
        &self,
        client: &mut Client,
        target: &DownTarget,
    ) -> Result<Vec<Step<'a>>, Error> {
        if self.recorded_downs {
            if let Some(with_recorded) = self.with_recorded_downs(client)? {
                return with_recorded.plan_down(client, target);
            }
        }
        let (probe, (_, applied)) = self.probe_and_read(client)?;
        let server = probe.server;
        let mut steps = self.selection(server).down(&applied, target, &mut |_| {})?;
        for step in &mut steps {
            step.show_backfill_keys(client)?;
            step.show_restores(client, &self.table)?;
        }
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
            .map(|n| Step::new(select::find(self.migrations, n)?, direction))
            .collect()
    }

    /// Applies pending migrations under the lock.
    pub fn run_up(
        &self,
        client: &mut Client,
        target: &UpTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        self.start_budget();
        let _watching = self
            .lock_watch
            .start(client, self.second_connection.as_ref());
        self.up_locked(client, Choice::Fixed(target), events)
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
        self.start_budget();
        let _watching = self
            .lock_watch
            .start(client, self.second_connection.as_ref());
        self.up_locked(client, Choice::Chosen(choose), events)
    }

    fn up_locked(
        &self,
        client: &mut Client,
        mut choice: Choice<'_>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        self.locked(
            client,
            events,
            |client, events| {
                // What exists, with the rows, read once: the checks below go by it, and only recorded
                // baselines change the rows.
                let (probe, read) = self.probe_and_read(client)?;
                self.check_failures(client, probe.failures)?;
                self.check_in_progress(client, probe.journal, Direction::Up)?;
                let (exists, applied) =
                    if crate::squash::record_baselines(client, &self.table, self.migrations, events)? {
                        self.applied_after(client, &probe)?
                    } else {
                        read
                    };
                self.check_ahead(client, &applied, events)?;
                let target = match &mut choice {
                    Choice::Fixed(target) => (*target).clone(),
                    // Only a chosen target pays for recording the pending migrations to find the contracts.
                    Choice::Chosen(choose) => choose(
                        &StatusReport::new(
                            self.table.to_string(),
                            exists,
                            self.migrations,
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
                let selection = self.selection(server);
                let selected = selection.up_migrations(&applied, &target)?;
                drop(applied);
                let step = |m: &&'a Migration| selection.step(m, Direction::Up);
                if self.single_transaction {
                    // One transaction for the run, retried as a whole: its steps are kept.
                    let steps = selected.iter().map(step).collect::<Result<Vec<_>, _>>()?;
                    check_single_transaction(&steps, self.single_transaction)?;
                    let checked = access::check(client, &self.table, &Needs::of(&steps))?;
                    if !steps.is_empty() {
                        self.ensure_table(client, &probe, checked.as_ref().map(|c| c.schema_exists))?;
                    }
                    let mut ran = self.execute(client, &steps, None, events)?;
                    if target == UpTarget::All {
                        ran.extend(self.apply_repeatables(client, server, events)?);
                    }
                    return Ok(ran);
                }
                // Each step is planned here and dropped, then planned again right before it runs: one step is
                // held at a time, so memory does not grow with the number of pending migrations. Recording
                // and rendering are cheap next to running.
                let mut needs = Needs::default();
                for m in &selected {
                    needs.add(&step(m)?);
                }
                let checked = access::check(client, &self.table, &needs)?;
                if !selected.is_empty() {
                    self.ensure_table(client, &probe, checked.as_ref().map(|c| c.schema_exists))?;
                }
                let mut ran =
                    self.execute_each(client, selected.iter().map(step), restore_from(checked), events)?;
                // Repeatable migrations follow the versioned ones, so they only run once every versioned
                // migration is applied: a partial `up` leaves them for the run that finishes.
                if target == UpTarget::All {
                    ran.extend(self.apply_repeatables(client, server, events)?);
                }
                Ok(ran)
            },
        )
    }

    /// Reverts applied migrations under the lock.
    pub fn run_down(
        &self,
        client: &mut Client,
        target: &DownTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        self.start_budget();
        let _watching = self
            .lock_watch
            .start(client, self.second_connection.as_ref());
        self.locked(
            client,
            events,
            |client, events| {
                if self.recorded_downs {
                    if let Some(with_recorded) = self.with_recorded_downs(client)? {
                        return with_recorded.down_under_lock(client, target, events);
                    }
                }
                self.down_under_lock(client, target, events)
            },
        )
    }

    /// This runner with the migrations a newer release applied, which this binary has no file for, added as
    /// migrations that revert with the `down` their rows recorded; `None` when there are none.
    fn with_recorded_downs(&self, client: &mut Client) -> Result<Option<Migrator<'a>>, Error> {
        if !history::exists(client, &self.table)? {
            return Ok(None);
        }
        let applied = history::load(client, &self.table, self.migrations)?;
        let names = history::ahead_names(self.migrations, &applied);
        let recorded = if names.is_empty() {
            Vec::new()
        } else {
            history::load_recorded(client, &self.table, &names)?
        };
        if recorded.is_empty() {
            return Ok(None);
        }
        let mut migrations: Vec<Migration> = self.migrations.to_vec();
        migrations.extend(recorded);
        // A registry is in name order, and the recorded ones are newer than all of its files.
        let migrations: &'static [Migration] = Box::leak(migrations.into_boxed_slice());
        Ok(Some(Migrator {
            migrations,
            ..self.clone()
        }))
    }

    /// `down` once the lock is held.
    fn down_under_lock(
        &self,
        client: &mut Client,
        target: &DownTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let (applied, server, probe) = self.revertible(client)?;
        // The part of a migration an interrupted `up` applied is the newest change: undone first.
        let mut ran = Vec::new();
        let mut target = target.clone();
        if let Some(row) = self.check_in_progress(client, probe.journal, Direction::Down)? {
            let m = select::find(self.migrations, &row.name)?;
            ran.push(self.undo_part(client, m, &row, server, events)?);
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
        let steps = self.selection(server).down(&applied, &target, events)?;
        check_single_transaction(&steps, self.single_transaction)?;
        let checked = access::check(client, &self.table, &Needs::of(&steps))?;
        ran.extend(self.execute(client, &steps, restore_from(checked), events)?);
        Ok(ran)
    }

    /// Reverts the last `count` applied migrations, then applies exactly those again, under one lock.
    pub fn run_redo(
        &self,
        client: &mut Client,
        count: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        self.start_budget();
        let _watching = self
            .lock_watch
            .start(client, self.second_connection.as_ref());
        self.locked(
            client,
            events,
            |client, events| {
                let (applied, server, _) = self.revertible(client)?;
                if let Some(row) = journal::load_all(client, &self.table)?.into_iter().next() {
                    return Err(Error::RedoInProgress {
                        name: row.name,
                        direction: row.direction,
                    });
                }
                let (down, up) = self.selection(server).redo(&applied, count, events)?;
                check_single_transaction(&down, self.single_transaction)?;
                check_single_transaction(&up, self.single_transaction)?;
                let checked = access::check(client, &self.table, &Needs::of(&down))?;
                access::check(client, &self.table, &Needs::of(&up))?;
                let mut ran = self.execute(client, &down, restore_from(checked), events)?;
                // The ups start from the session as the downs leave it: read again.
                ran.extend(self.execute(client, &up, None, events)?);
                Ok(ran)
            },
        )
    }

    /// The values that backfills with `keep_previous_values` kept for their `down`s, oldest migration first.
    /// Read-only; no lock.
    pub fn kept_values(&self, client: &mut Client) -> Result<Vec<KeptValues>, Error> {
        crate::backfill::kept::list(client, &self.table, KeptSelection::All)
            .map_err(Error::database("cannot read the kept values".to_owned()))
    }

    /// Drops the selected kept values, under the lock, in one transaction; returns what was dropped. The
    /// `down`s of their backfills can no longer restore them, and say so.
    pub fn drop_kept_values(
        &self,
        client: &mut Client,
        selection: KeptSelection<'_>,
    ) -> Result<Vec<KeptValues>, Error> {
        self.locked(client, &mut |_| {}, |client, _| {
            let mut tx = client
                .transaction()
                .map_err(Error::database("cannot start a transaction".to_owned()))?;
            // Listed first, rows counted, for the report.
            let dropped = crate::backfill::kept::list(&mut tx, &self.table, selection)
                .map_err(Error::database("cannot read the kept values".to_owned()))?;
            crate::backfill::kept::drop_kept(&mut tx, &self.table, selection)
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
    /// Rows of migrations squashed into a baseline that `up` cannot record yet ([`State::Squashed`]) are not
    /// missing files and are left alone; naming one is refused with `up`'s reason.
    pub fn repair(&self, client: &mut Client, names: &[String]) -> Result<Vec<Entry>, Error> {
        self.locked(client, &mut |_| {}, |client, _| {
            self.repair_locked(client, names)
        })
    }

    /// [`repair`](Self::repair) under the lock: every check first, then the changes in one transaction.
    fn repair_locked(&self, client: &mut Client, names: &[String]) -> Result<Vec<Entry>, Error> {
        if !history::exists(client, &self.table)? {
            return Ok(Vec::new());
        }
        let (status, refusals) = self.repair_status(client)?;
        let elsewhere = self.check_repair_names(client, &status, refusals, names)?;
        check_lookalikes(&status, names)?;
        let mut tx = client
            .transaction()
            .map_err(Error::database("cannot start a transaction".to_owned()))?;
        let mut repaired = self.repair_rows(&mut tx, &status, names)?;
        repaired.extend(self.clear_marks(&mut tx, &status, names)?);
        repaired.extend(elsewhere);
        tx.commit()
            .map_err(Error::database("cannot commit the repair".to_owned()))?;
        Ok(repaired)
    }

    /// The status `repair` works from, and why `up` cannot record a squashed baseline yet, if it cannot.
    fn repair_status(&self, client: &mut Client) -> Result<(Status, Vec<Error>), Error> {
        // Rows a squashed baseline stands for are not missing files: `up` replaces them.
        let applied = crate::squash::as_recorded(
            self.migrations,
            history::load(client, &self.table, self.migrations)?,
        );
        // Names and states only: no migration's `up` is recorded to tell contracts.
        let report = StatusReport::new(
            self.table.to_string(),
            true,
            self.migrations,
            applied,
            Vec::new(),
        );
        let refusals = report.squash_refusals();
        Ok((report.into_status(), refusals))
    }

    /// Refuses a name that is neither a migration of `status`, nor marked, nor in progress, and a squashed
    /// row named (with `refusals`, `up`'s reason). Returns the entries of the names known only by a mark or
    /// the journal.
    fn check_repair_names(
        &self,
        client: &mut Client,
        status: &Status,
        refusals: Vec<Error>,
        names: &[String],
    ) -> Result<Vec<Entry>, Error> {
        // A migration with neither a file nor a row can still be marked or in progress (a newer
        // release's): naming it clears that.
        let marks = history::load_failures(client, &self.table)?;
        let mut elsewhere = Vec::new();
        for name in names {
            let Some(entry) = status.migrations.iter().find(|e| repair_names(e, name)) else {
                let mark = marks.iter().rev().find(|f| &f.name == name);
                if mark.is_none() && journal::load(client, &self.table, name)?.is_none() {
                    return Err(Error::UnknownMigration { name: name.clone() });
                }
                elsewhere.push(Entry {
                    name: name.clone(),
                    state: State::Failed,
                    path: None,
                    applied: None,
                    failure: mark.cloned(),
                    contract: None,
                    renamed_from: None,
                    same_content_as: Vec::new(),
                    squashed_into: None,
                    phase: None,
                });
                continue;
            };
            // A squashed row is not a missing file: deleting it would make the baseline unrecordable
            // for good. What frees it is what `up` says.
            if entry.state == State::Squashed {
                if let Some(refusal) = refusals.into_iter().next() {
                    return Err(refusal);
                }
                break;
            }
        }
        Ok(elsewhere)
    }

    /// Records the checksums of changed and unverified migrations, the new names of renamed ones, and
    /// forgets those whose file is gone (only those of `names`, when given). Returns them as they were.
    fn repair_rows(
        &self,
        tx: &mut postgres::Transaction<'_>,
        status: &Status,
        names: &[String],
    ) -> Result<Vec<Entry>, Error> {
        let mut repaired = Vec::new();
        for entry in &status.migrations {
            if !names.is_empty() && !names.iter().any(|n| repair_names(entry, n)) {
                continue;
            }
            match (entry.state, &entry.renamed_from) {
                (State::Changed | State::Unverified, _) => {
                    let m = select::find(self.migrations, &entry.name)?;
                    history::update_checksum(tx, &self.table, m.name(), &m.checksum())?;
                }
                (State::Renamed, Some(old)) => history::rename(tx, &self.table, old, &entry.name)?,
                (State::Missing, _) => history::delete(tx, &self.table, &entry.name)?,
                _ => continue,
            }
            repaired.push(entry.clone());
        }
        Ok(repaired)
    }

    /// Clears the failure marks and journal rows of `names`. Returns the entries of those that had one,
    /// as failed.
    fn clear_marks(
        &self,
        tx: &mut postgres::Transaction<'_>,
        status: &Status,
        names: &[String],
    ) -> Result<Vec<Entry>, Error> {
        let mut cleared = Vec::new();
        // A failure mark is cleared only when named: it says that statements were committed, and
        // clearing it is the user's statement that they were finished or undone by hand. So is what
        // the journal recorded of it, with its backfills' positions: the next run starts it over.
        for name in names {
            let marked = history::clear_failure(tx, &self.table, name)?;
            if journal::finish(tx, &self.table, name)? || marked {
                if let Some(entry) = status.migrations.iter().find(|e| &e.name == name) {
                    let mut entry = entry.clone();
                    entry.state = State::Failed;
                    cleared.push(entry);
                }
            }
        }
        Ok(cleared)
    }

    /// Refuses to run anything while a migration is marked as failed part-way, unless `--retry` names it
    /// and the journal knows what took effect (the mark is cleared, and the run continues it). A mark left
    /// by an earlier version before a backfill before which nothing was committed is cleared too: the
    /// backfill resumes.
    fn check_failures(&self, client: &mut Client, marked: bool) -> Result<(), Error> {
        let mut failures = history::load_failures_if(client, &self.table, marked)?;
        for name in &self.retry {
            // Not marked here (on a fleet's other targets, say): nothing to clear.
            select::find(self.migrations, name)?;
            if !failures.iter().any(|f| &f.name == name) {
                continue;
            }
            if journal::load(client, &self.table, name)?.is_none() {
                return Err(Error::CannotRetry {
                    name: name.clone(),
                    why: "its mark was written by an earlier version, which did not record which of its \
                          statements took effect: finish or undo them by hand, then `repair` it"
                        .to_owned(),
                });
            }
            history::clear_failure(client, &self.table, name)?;
            failures.retain(|f| &f.name != name);
        }
        for f in failures.iter().filter(|f| resumable(f)) {
            history::clear_failure(client, &self.table, &f.name)?;
        }
        failures.retain(|f| !resumable(f));
        if failures.is_empty() {
            Ok(())
        } else {
            let elsewhere = failures
                .iter()
                .filter(|f| select::find(self.migrations, &f.name).is_err())
                .map(|f| f.name.clone())
                .collect();
            Err(Error::FailedPartWay {
                failures,
                elsewhere,
            })
        }
    }

    /// The migration in progress, if one is: continued by the run going its way, refused when it went the
    /// other way (an `up` over a `down` stopped part-way), and a migration this build does not know is
    /// refused either way. For `down`, the `up` in progress is returned: its part is undone first.
    fn check_in_progress(
        &self,
        client: &mut Client,
        journal: bool,
        direction: Direction,
    ) -> Result<Option<InProgress>, Error> {
        if !journal {
            return Ok(None);
        }
        let Some(row) = journal::load_all(client, &self.table)?.pop() else {
            return Ok(None);
        };
        if select::find(self.migrations, &row.name).is_err() {
            return Err(Error::InProgressUnknown {
                done: row.done.len(),
                name: row.name,
                direction: row.direction,
            });
        }
        match (row.direction, direction) {
            (Direction::Down, Direction::Up) => Err(Error::DownInProgress {
                done: row.done.len(),
                name: row.name,
            }),
            (Direction::Up, Direction::Down) => Ok(Some(row)),
            // Continued where its step runs.
            _ => Ok(None),
        }
    }

    /// What `down` and `redo` start from, under the lock: no migration failed part-way, the applied rows (none
    /// is an error: there is nothing to revert) and the server's major version.
    fn revertible(&self, client: &mut Client) -> Result<(History<'a>, u32, history::Probe), Error> {
        let probe = history::probe(client, &self.table)?;
        self.check_failures(client, probe.failures)?;
        let Some(applied) = history::load_probed(client, &self.table, self.migrations, &probe)? else {
            return Err(Error::NothingApplied);
        };
        Ok((applied, probe.server, probe))
    }

    /// What exists of the migrations table and its rows: in one query on a session of its own when the table
    /// is as `up` creates it ([`history::read_at_once`]), else a probe and the rows.
    fn probe_and_read(
        &self,
        client: &mut Client,
    ) -> Result<(history::Probe, (bool, History<'a>)), Error> {
        if self.own_session {
            if let Some((probe, rows)) =
                history::read_at_once(client, &self.table, self.migrations)?
            {
                return Ok((probe, (true, crate::squash::as_recorded(self.migrations, rows))));
            }
        }
        let probe = history::probe(client, &self.table)?;
        let applied = self.applied_after(client, &probe)?;
        Ok((probe, applied))
    }

    /// The applied rows, once `probe` said whether the table exists and which columns it
    /// has.
    fn applied_after(
        &self,
        client: &mut Client,
        probe: &history::Probe,
    ) -> Result<(bool, History<'a>), Error> {
        match history::load_probed(client, &self.table, self.migrations, probe)? {
            Some(rows) => Ok((true, crate::squash::as_recorded(self.migrations, rows))),
            None => Ok((false, History::default())),
        }
    }

    /// Applied migrations newer than every file of this binary (a newer release's, met after a rollback):
    /// `up` goes on when all of them are recorded expands, saying so, and refuses otherwise.
    fn check_ahead(
        &self,
        client: &mut Client,
        applied: &History<'a>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let names = history::ahead_names(self.migrations, applied);
        if names.is_empty() {
            return Ok(());
        }
        let ahead = history::load_ahead(client, &self.table, &names)?;
        if ahead.iter().all(history::Ahead::is_expand) {
            events(Event::AheadOfBinary { ahead: &ahead });
            return Ok(());
        }
        Err(Error::AheadOfBinary {
            table: self.table.quoted(),
            ahead,
        })
    }

    fn selection(&self, server: u32) -> Selection<'a> {
        Selection {
            migrations: self.migrations,
            allow_out_of_order: self.allow_out_of_order,
            fake: self.fake,
            server,
            recorded_downs: self.recorded_downs,
        }
    }
}

/// A mark left before a migration's first operation when that one can run again (a backfill, a typed
/// concurrent index build): nothing else was committed, so the next run clears it and goes on.
fn resumable(f: &history::Failure) -> bool {
    f.committed == 0 && f.error.starts_with(history::RESUMABLE_MARK)
}

/// Whether `name`, as given to `repair`, names `entry`: a renamed migration by its old or new name.
fn repair_names(entry: &Entry, name: &str) -> bool {
    entry.name == name || entry.renamed_from.as_deref() == Some(name)
}

/// Forgetting an applied migration whose content pending files have would make `up` run it again: refused
/// until one file is left (then it is a rename, which `repair` records).
fn check_lookalikes(status: &Status, names: &[String]) -> Result<(), Error> {
    let lookalikes: Vec<(String, Vec<String>)> = status
        .migrations
        .iter()
        .filter(|e| !e.same_content_as.is_empty())
        .filter(|e| {
            names.is_empty()
                || names
                    .iter()
                    .any(|n| repair_names(e, n) || e.same_content_as.contains(n))
        })
        .map(|e| (e.name.clone(), e.same_content_as.clone()))
        .collect();
    if !lookalikes.is_empty() {
        return Err(Error::AmbiguousRename { lookalikes });
    }
    Ok(())
}

/// The statements that put the session back before each migration (see `execute_each`), from what the access
/// check read, when it read anything.
fn restore_from(checked: Option<access::Checked>) -> Option<String> {
    checked.map(|c| session_restore_sql(&c.search_path, &c.set_role))
}
