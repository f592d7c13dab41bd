//! The runner: selects what to run, checks it is safe to, and runs it with its bookkeeping.

use std::collections::HashSet;
use std::time::Instant;

use postgres::{Client, GenericClient};

use migrate_dsl::{Action, DataFn, Object, Restore, Safeguard, Statement};

use crate::access;
use crate::backfill;
use crate::error::{
    describe_data_error, describe_pg, BackfillProgress, DataError, Error, NotOwnedError, Outcome,
    RestoreError, StatementError, TransactionEnded,
};
use crate::events::Event;
use crate::history::{self, AppliedMigration, MigrationsTable};
use crate::interrupt::Interrupt;
use crate::invalid_index;
use crate::lock::{with_lock, LockMode};
use crate::migration::{panic_message, Direction, Migration};
use crate::notices::Notices;
use crate::plan::Step;
use crate::previous;
use crate::safeguard;
use crate::server::server_major;
use crate::status::{Entry, State, Status};
use crate::timeouts::{backoff, is_lock_timeout, Timeouts};
use crate::user_code::{self, UserCode};

/// Which pending migrations `up` applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpTarget {
    /// Every pending migration.
    All,
    /// The next N pending migrations.
    Count(usize),
    /// Pending migrations up to and including this one (the database ends at it).
    To(String),
    /// Pending migrations up to, not including, the first pending contract (`pgm.contract(..)`): the expands
    /// a rolling deploy may apply while the previous app version still serves. Contracts wait for an
    /// explicit `up` after the rollout.
    ExpandOnly,
}

/// Which applied migrations `down` reverts, newest application first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownTarget {
    /// The last N applied.
    Count(usize),
    /// Every migration applied after this one; it stays applied (the database ends at it).
    To(String),
    /// Every applied migration.
    All,
}

/// How `up` gets its target: given, or chosen under the lock from the status.
enum Choice<'c> {
    Fixed(&'c UpTarget),
    Chosen(&'c mut dyn FnMut(&Status) -> UpTarget),
}

/// A migration that ran (or was recorded with `--fake`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub name: String,
    pub direction: Direction,
    pub execution_ms: i64,
}

/// Runs a set of compiled migrations against a database. Configure once, then call a command:
///
/// ```no_run
/// # fn demo(client: &mut postgres::Client, migrations: &'static [migrate_core::Migration]) -> Result<(), migrate_core::Error> {
/// use migrate_core::{Migrator, UpTarget};
/// let ran = Migrator::new(migrations).run_up(client, &UpTarget::All, &mut |_event| {})?;
/// println!("applied {} migration(s)", ran.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Migrator<'a> {
    migrations: &'a [Migration],
    table: MigrationsTable,
    lock_mode: LockMode,
    allow_out_of_order: bool,
    single_transaction: bool,
    fake: bool,
    timeouts: Timeouts,
    notices: Notices,
    interrupt: Interrupt,
}

impl<'a> Migrator<'a> {
    /// A runner for `migrations` (ordered by timestamp, as a generated registry is), with the defaults:
    /// table `public.pgmigrations`, waiting for the lock, one transaction per migration.
    pub fn new(migrations: &'a [Migration]) -> Self {
        Migrator {
            migrations,
            table: MigrationsTable::default(),
            lock_mode: LockMode::Wait,
            allow_out_of_order: false,
            single_transaction: false,
            fake: false,
            timeouts: Timeouts::default(),
            notices: Notices::default(),
            interrupt: Interrupt::default(),
        }
    }

    /// Where a request to stop arrives (the CLI's SIGINT/SIGTERM): the run stops before the next migration,
    /// while waiting for the lock, between retries, or after a backfill's batch, with
    /// [`Error::Interrupted`]. A statement already running is the requester's to cancel on the server.
    pub fn interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// Where the connection's server notices arrive ([`Notices::install`] on its config): each one a
    /// migration's statement causes is reported as an [`Event::Notice`] naming the migration and operation.
    pub fn notices(mut self, notices: Notices) -> Self {
        self.notices = notices;
        self
    }

    /// Lock and statement timeouts and the lock-timeout retry budget (default: 500 ms lock timeout, no
    /// statement timeout, two minutes of retries).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The configured timeouts.
    pub fn timeout_settings(&self) -> &Timeouts {
        &self.timeouts
    }

    /// Where the bookkeeping lives.
    pub fn table(mut self, table: MigrationsTable) -> Self {
        self.table = table;
        self
    }

    /// Wait for, or fail on, a lock held by another runner.
    pub fn lock_mode(mut self, mode: LockMode) -> Self {
        self.lock_mode = mode;
        self
    }

    /// Apply pending migrations older than the newest applied one.
    pub fn allow_out_of_order(mut self, yes: bool) -> Self {
        self.allow_out_of_order = yes;
        self
    }

    /// Wrap the whole run in one transaction instead of one per migration.
    pub fn single_transaction(mut self, yes: bool) -> Self {
        self.single_transaction = yes;
        self
    }

    /// Only write the bookkeeping; do not run the migrations' statements.
    pub fn fake(mut self, yes: bool) -> Self {
        self.fake = yes;
        self
    }

    /// The configured migrations table.
    pub fn migrations_table(&self) -> &MigrationsTable {
        &self.table
    }

    /// The compiled migrations.
    pub fn migrations(&self) -> &'a [Migration] {
        self.migrations
    }

    /// Reads the state of every migration. Read-only: creates nothing and takes no lock.
    pub fn status(&self, client: &mut Client) -> Result<Status, Error> {
        let (exists, applied) = self.read_applied(client)?;
        // A resumable mark does not stop `up` (it clears it and goes on), so the migration is just pending.
        let mut failures = history::load_failures(client, &self.table)?;
        failures.retain(|f| !resumable(f));
        Ok(
            Status::compute(self.table.to_string(), exists, self.migrations, &applied)
                .with_failures(failures)
                .with_contracts(self.migrations),
        )
    }

    /// What `up` would run, without changing anything or taking the lock (for `sql` and `--dry-run`).
    /// Backfill plans show the primary key columns of tables that exist.
    pub fn plan_up(&self, client: &mut Client, target: &UpTarget) -> Result<Vec<Step<'a>>, Error> {
        let (_, applied) = self.read_applied(client)?;
        let server = server_major(client)?;
        let mut steps = self.select_up(&applied, target, server)?;
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
        let (_, applied) = self.read_applied(client)?;
        let server = server_major(client)?;
        let mut steps = self.select_down(&applied, target, server, &mut |_| {})?;
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
            .map(|n| Step::new(self.find(n)?, direction))
            .collect()
    }

    /// Applies pending migrations under the lock.
    pub fn run_up(
        &self,
        client: &mut Client,
        target: &UpTarget,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
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
        self.up_locked(client, Choice::Chosen(choose), events)
    }

    fn up_locked(
        &self,
        client: &mut Client,
        mut choice: Choice<'_>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        with_lock(
            client,
            &self.table,
            self.lock_mode,
            &self.interrupt,
            events,
            |client, events| {
                self.check_failures(client)?;
                let (exists, applied) = self.read_applied(client)?;
                let target = match &mut choice {
                    Choice::Fixed(target) => (*target).clone(),
                    // Only a chosen target pays for recording the pending migrations to find the contracts.
                    Choice::Chosen(choose) => choose(
                        &Status::compute(self.table.to_string(), exists, self.migrations, &applied)
                            .with_contracts(self.migrations),
                    ),
                };
                // Plan every step before changing anything, the bookkeeping table included: a bad migration or
                // target leaves the database exactly as it was.
                let server = server_major(client)?;
                let steps = self.select_up(&applied, &target, server)?;
                self.check_single_transaction(&steps)?;
                access::check(client, &self.table, &steps, self.fake)?;
                if !steps.is_empty() {
                    history::ensure(client, &self.table)?;
                }
                self.execute(client, &steps, events)
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
        with_lock(
            client,
            &self.table,
            self.lock_mode,
            &self.interrupt,
            events,
            |client, events| {
                self.check_failures(client)?;
                if !history::exists(client, &self.table)? {
                    return Err(Error::NothingApplied);
                }
                let applied = history::load(client, &self.table)?;
                let server = server_major(client)?;
                let steps = self.select_down(&applied, target, server, events)?;
                self.check_single_transaction(&steps)?;
                access::check(client, &self.table, &steps, self.fake)?;
                self.execute(client, &steps, events)
            },
        )
    }

    /// Reverts the last `count` applied migrations, then applies exactly those again, under one lock.
    pub fn run_redo(
        &self,
        client: &mut Client,
        count: usize,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        with_lock(
            client,
            &self.table,
            self.lock_mode,
            &self.interrupt,
            events,
            |client, events| {
                self.check_failures(client)?;
                if !history::exists(client, &self.table)? {
                    return Err(Error::NothingApplied);
                }
                let applied = history::load(client, &self.table)?;
                let server = server_major(client)?;
                let down = self.select_down(&applied, &DownTarget::Count(count), server, events)?;
                // Prepare the re-apply before reverting anything, so a broken `up` stops the redo up front.
                let mut up: Vec<Step<'a>> = down
                    .iter()
                    .map(|s| Step::for_server(s.migration, Direction::Up, server))
                    .collect::<Result<_, _>>()?;
                up.sort_by(|a, b| a.migration.name.cmp(b.migration.name));
                self.check_single_transaction(&down)?;
                self.check_single_transaction(&up)?;
                access::check(client, &self.table, &down, self.fake)?;
                access::check(client, &self.table, &up, self.fake)?;
                let mut ran = self.execute(client, &down, events)?;
                ran.extend(self.execute(client, &up, events)?);
                Ok(ran)
            },
        )
    }

    /// Records the current checksum of changed migrations (and of rows without one), records the new name of
    /// renamed files, and forgets applied migrations whose file is gone. With `names`, only those (a renamed
    /// migration matches by its old or new name). Returns what was repaired, as it was before.
    pub fn repair(&self, client: &mut Client, names: &[String]) -> Result<Vec<Entry>, Error> {
        with_lock(
            client,
            &self.table,
            self.lock_mode,
            &self.interrupt,
            &mut |_| {},
            |client, _| {
                if !history::exists(client, &self.table)? {
                    return Ok(Vec::new());
                }
                let applied = history::load(client, &self.table)?;
                let status =
                    Status::compute(self.table.to_string(), true, self.migrations, &applied);
                let named = |e: &Entry, name: &String| {
                    &e.name == name || e.renamed_from.as_ref() == Some(name)
                };
                for name in names {
                    if !status.migrations.iter().any(|e| named(e, name)) {
                        return Err(Error::UnknownMigration { name: name.clone() });
                    }
                }
                let mut tx = client.transaction().map_err(|source| Error::Database {
                    context: "cannot start a transaction".to_owned(),
                    error: source,
                })?;
                let mut repaired = Vec::new();
                for entry in &status.migrations {
                    if !names.is_empty() && !names.iter().any(|n| named(entry, n)) {
                        continue;
                    }
                    match (entry.state, &entry.renamed_from) {
                        (State::Changed | State::Unverified, _) => {
                            let m = self.find(&entry.name)?;
                            history::update_checksum(&mut tx, &self.table, m.name, &m.checksum())?;
                        }
                        (State::Renamed, Some(old)) => {
                            history::rename(&mut tx, &self.table, old, &entry.name)?
                        }
                        (State::Missing, _) => history::delete(&mut tx, &self.table, &entry.name)?,
                        _ => continue,
                    }
                    repaired.push(entry.clone());
                }
                // A failure mark is cleared only when named: it says that statements were committed, and
                // clearing it is the user's statement that they were finished or undone by hand.
                for name in names {
                    if history::clear_failure(&mut tx, &self.table, name)? {
                        if let Some(entry) = status.migrations.iter().find(|e| &e.name == name) {
                            let mut entry = entry.clone();
                            entry.state = State::Failed;
                            repaired.push(entry);
                        }
                    }
                }
                tx.commit().map_err(|source| Error::Database {
                    context: "cannot commit the repair".to_owned(),
                    error: source,
                })?;
                Ok(repaired)
            },
        )
    }

    /// Refuses to run anything while a migration outside a transaction is marked as failed part-way. A mark
    /// left by a backfill before which nothing was committed is cleared instead: the backfill resumes.
    fn check_failures(&self, client: &mut Client) -> Result<(), Error> {
        let mut failures = history::load_failures(client, &self.table)?;
        for f in failures.iter().filter(|f| resumable(f)) {
            history::clear_failure(client, &self.table, &f.name)?;
        }
        failures.retain(|f| !resumable(f));
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::FailedPartWay { failures })
        }
    }

    fn read_applied(&self, client: &mut Client) -> Result<(bool, Vec<AppliedMigration>), Error> {
        if !history::exists(client, &self.table)? {
            return Ok((false, Vec::new()));
        }
        Ok((true, history::load(client, &self.table)?))
    }

    /// Finds a migration by its full name or its timestamp.
    fn find(&self, name: &str) -> Result<&'a Migration, Error> {
        self.migrations
            .iter()
            .find(|m| m.name == name || m.version() == name)
            .ok_or_else(|| Error::UnknownMigration {
                name: name.to_owned(),
            })
    }

    fn select_up(
        &self,
        applied: &[AppliedMigration],
        target: &UpTarget,
        server: u32,
    ) -> Result<Vec<Step<'a>>, Error> {
        let status = Status::compute(self.table.to_string(), true, self.migrations, applied);
        let renames = status.renames();
        if !renames.is_empty() {
            return Err(Error::Renamed { renames });
        }
        let missing = status.names(State::Missing);
        if !missing.is_empty() {
            return Err(Error::MissingFiles { names: missing });
        }
        let changed = status.names(State::Changed);
        if !changed.is_empty() {
            return Err(Error::Changed { names: changed });
        }
        let applied_names: HashSet<&str> = applied.iter().map(|a| a.name.as_str()).collect();
        let pending: Vec<&'a Migration> = self
            .migrations
            .iter()
            .filter(|m| !applied_names.contains(m.name))
            .collect();
        let selected: Vec<&'a Migration> = match target {
            UpTarget::All => pending,
            UpTarget::Count(n) if *n > pending.len() => {
                return Err(Error::CountTooLarge {
                    action: "apply",
                    asked: *n,
                    available: pending.len(),
                    state: "pending",
                });
            }
            UpTarget::Count(n) => pending.into_iter().take(*n).collect(),
            UpTarget::To(name) => {
                let target = self.find(name)?;
                if applied.iter().any(|a| a.name == target.name) {
                    return Err(Error::Target(format!(
                        "{} is already applied; nothing to apply up to it",
                        target.name
                    )));
                }
                pending
                    .into_iter()
                    .filter(|m| m.name <= target.name)
                    .collect()
            }
            UpTarget::ExpandOnly => {
                // Recorded here and again below: recording is cheap, and the steps stay built in one place.
                let first_contract = pending.iter().position(|m| {
                    m.build(Direction::Up)
                        .is_ok_and(|pgm| pgm.contract_reason().is_some())
                });
                let mut pending = pending;
                if let Some(at) = first_contract {
                    pending.truncate(at);
                }
                pending
            }
        };
        if !self.allow_out_of_order {
            if let Some(newest) = applied.iter().map(|a| a.name.as_str()).max() {
                let older: Vec<String> = selected
                    .iter()
                    .filter(|m| m.name < newest)
                    .map(|m| m.name.to_owned())
                    .collect();
                if !older.is_empty() {
                    return Err(Error::OutOfOrder {
                        pending: older,
                        newest_applied: newest.to_owned(),
                    });
                }
            }
        }
        selected
            .into_iter()
            .map(|m| Step::for_server(m, Direction::Up, server))
            .collect()
    }

    fn select_down(
        &self,
        applied: &[AppliedMigration],
        target: &DownTarget,
        server: u32,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Step<'a>>, Error> {
        if applied.is_empty() {
            return Err(Error::NothingApplied);
        }
        // Newest application first: `down` undoes what happened last.
        let newest_first: Vec<&AppliedMigration> = applied.iter().rev().collect();
        let selected: Vec<&AppliedMigration> = match target {
            DownTarget::All => newest_first,
            DownTarget::Count(n) if *n > newest_first.len() => {
                return Err(Error::CountTooLarge {
                    action: "revert",
                    asked: *n,
                    available: newest_first.len(),
                    state: "applied",
                });
            }
            DownTarget::Count(n) => newest_first.into_iter().take(*n).collect(),
            DownTarget::To(name) => {
                let target = self.find(name).map(|m| m.name.to_owned()).or_else(|e| {
                    applied
                        .iter()
                        .find(|a| &a.name == name)
                        .map(|a| a.name.clone())
                        .ok_or(e)
                })?;
                let Some(row) = applied.iter().find(|a| a.name == target) else {
                    return Err(Error::Target(format!(
                        "{target} is not applied; `down --to` keeps the named migration applied and reverts the ones after it"
                    )));
                };
                newest_first.into_iter().filter(|a| a.id > row.id).collect()
            }
        };
        let compiled: HashSet<&str> = self.migrations.iter().map(|m| m.name).collect();
        let missing: Vec<String> = selected
            .iter()
            .filter(|a| !compiled.contains(a.name.as_str()))
            .map(|a| a.name.clone())
            .collect();
        if !missing.is_empty() {
            let status = Status::compute(self.table.to_string(), true, self.migrations, applied);
            let renames: Vec<(String, String)> = status
                .renames()
                .into_iter()
                .filter(|(old, _)| missing.contains(old))
                .collect();
            if !renames.is_empty() {
                return Err(Error::Renamed { renames });
            }
            return Err(Error::MissingFiles { names: missing });
        }
        selected
            .into_iter()
            .map(|a| {
                let m = self.find(&a.name)?;
                // An unknown checksum (a row without one) is not evidence of an edit.
                if a.checksum.as_deref().is_some_and(|c| c != m.checksum()) {
                    events(Event::ChangedSinceApplied { name: m.name });
                }
                if self.fake {
                    // `--fake` runs no SQL, so it needs no `down` either: one that cannot be derived is fine.
                    return Ok(Step::fake(m, Direction::Down));
                }
                Step::for_server(m, Direction::Down, server)
            })
            .collect()
    }

    /// `--single-transaction` cannot hold a migration that must run outside one; refused before any change.
    fn check_single_transaction(&self, steps: &[Step<'a>]) -> Result<(), Error> {
        match steps.iter().find(|s| !s.transactional) {
            Some(step) if self.single_transaction => Err(Error::NeedsNoTransaction {
                name: step.migration.name.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    fn execute(
        &self,
        client: &mut Client,
        steps: &[Step<'a>],
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        if self.single_transaction {
            // One transaction for the run: a lock timeout retries all of it.
            let label = steps.first().map_or("", |s| s.migration.name);
            if let Some(first) = steps.first() {
                self.check_interrupt(first, &[])?;
            }
            return self.retrying(label, events, |events| {
                self.attempt_transaction(client, steps, events)
            });
        }
        let mut ran = Vec::new();
        for step in steps {
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
        let Some(signal) = self.interrupt.requested() else {
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
        Err(Error::Interrupted {
            signal,
            what: format!(
                "before migration {} (`{}`), of which nothing ran{done}",
                step.migration.name, step.direction
            ),
        })
    }

    /// Runs `attempt` again while it fails on a lock timeout, with backoff, until the retry budget is spent.
    /// Only whole transactions are retried: `attempt` must leave nothing behind when it fails.
    fn retrying<T>(
        &self,
        name: &str,
        events: &mut dyn FnMut(Event<'_>),
        mut attempt: impl FnMut(&mut dyn FnMut(Event<'_>)) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let started = Instant::now();
        let mut failures = 0u32;
        loop {
            match attempt(events) {
                Err(e) if e.is_lock_timeout() => {
                    failures += 1;
                    let delay = backoff(failures);
                    if started.elapsed() + delay > self.timeouts.retry_budget {
                        return Err(Error::LockTimeout {
                            name: name.to_owned(),
                            attempts: failures,
                            waited: started.elapsed(),
                            error: Box::new(e),
                        });
                    }
                    if let Some(signal) = self.interrupt.requested() {
                        return Err(Error::Interrupted {
                            signal,
                            what: format!(
                                "while retrying {name} after a lock timeout; its attempt was rolled back ({e})"
                            ),
                        });
                    }
                    events(Event::Retrying {
                        name,
                        attempt: failures,
                        delay,
                        reason: e.to_string(),
                    });
                    std::thread::sleep(delay);
                }
                other => return other,
            }
        }
    }

    /// One attempt at `steps` in one transaction, timeouts set first; rolled back on any failure.
    fn attempt_transaction(
        &self,
        client: &mut Client,
        steps: &[Step<'a>],
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Vec<Ran>, Error> {
        let mut tx = client.transaction().map_err(begin_error)?;
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
        tx.commit().map_err(commit_error)?;
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
            name: m.name,
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
        let mut committed = 0;
        let mut ran = None;
        for (i, segment) in segments.iter().enumerate() {
            let outcome = if i == 0 {
                OutcomeBase::RolledBack
            } else {
                OutcomeBase::Split(committed)
            };
            let attempt = self.retrying(m.name, events, |events| {
                let mut tx = client.transaction().map_err(begin_error)?;
                // The `SET LOCAL` timeouts are sent with run_units' first query.
                let result = self
                    .check_first_segment(&mut tx, step, i == 0)
                    .and_then(|()| self.run_units(&mut tx, step, segment, outcome, events))
                    .and_then(|()| {
                        if i == last {
                            self.record(&mut tx, step, started).map(Some)
                        } else {
                            Ok(None)
                        }
                    });
                match result {
                    Ok(recorded) => {
                        tx.commit().map_err(commit_error)?;
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
            name: m.name,
            direction: step.direction,
            elapsed: started.elapsed(),
            fake: self.fake,
        });
        ran.ok_or_else(|| {
            Error::Target("internal: a migration ran without its bookkeeping".to_owned())
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
        let reset = self
            .timeouts
            .reset_sql(step.lock_timeout)
            .iter()
            .try_for_each(|sql| client.batch_execute(sql))
            .map_err(|error| Error::Database {
                context: "cannot reset the session's timeouts".to_owned(),
                error,
            });
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
    fn mark_in_progress(
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
        let resumable = index == 0
            && (matches!(unit.action, Some(Action::Backfill(_)))
                || (unit.safeguard.is_some()
                    && invalid_index::concurrent_build(&unit.sql).is_some()));
        let error = format!(
            "{} while running {} (the process, the connection or the server ended; that statement may or may not have committed)",
            if resumable { history::RESUMABLE_MARK } else { history::INTERRUPTED_MARK },
            describe_unit(unit)
        );
        history::record_failure(
            conn,
            &self.table,
            step.migration.name,
            &step.direction.to_string(),
            &statements,
            &error,
        )
        .map_err(|e| match e {
            Error::Database { context, error } => Error::Database {
                context: format!(
                    "migration {}: cannot mark it as in progress before operation #{} ({context}), so it was not started there",
                    step.migration.name, unit.position
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
            let _ = history::clear_failure(client, &self.table, step.migration.name);
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
                step.migration.name,
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
            conn.batch_execute(&sql).map_err(|error| Error::Database {
                context: format!("cannot set `{sql}`"),
                error,
            })?;
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
            name: m.name,
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
            self.run_units(conn, step, &units, outcome, events)?;
        }
        let ran = if step.transactional || self.fake {
            self.record(conn, step, started)?
        } else {
            // The bookkeeping row and the end of the in-progress mark commit together: a crash in between
            // would otherwise leave an applied migration marked as interrupted.
            let mut tx = conn.transaction().map_err(begin_error)?;
            let ran = self.record(&mut tx, step, started)?;
            history::clear_failure(&mut tx, &self.table, m.name)?;
            tx.commit().map_err(commit_error)?;
            ran
        };
        events(Event::Finished {
            name: m.name,
            direction: step.direction,
            elapsed: started.elapsed(),
            fake: self.fake,
        });
        Ok(ran)
    }

    /// Sends `units` (statements, data code, backfills) in order; a failure names the migration, the
    /// operation and what the failure left behind. In a transaction, a unit that ended it (a `COMMIT` or
    /// `ROLLBACK` in its SQL or data code) stops the run: every later statement would run on its own.
    fn run_units(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        units: &[Statement],
        outcome: OutcomeBase,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let m = step.migration;
        if self.fake {
            return Ok(());
        }
        // In a transaction, the `SET LOCAL` timeouts and the transaction id go in one round trip.
        let watch = if step.transactional {
            let set = self.timeouts.set_sql(step.lock_timeout, true);
            Some(
                TransactionWatch::start(conn, &set).map_err(|error| Error::Database {
                    context: format!(
                        "cannot start the migration's transaction (`{}`)",
                        set.join("; ")
                    ),
                    error,
                })?,
            )
        } else {
            None
        };
        for (index, unit) in units.iter().enumerate() {
            if matches!(outcome, OutcomeBase::Outside) {
                self.mark_in_progress(conn, step, units, index)?;
            }
            let outcome = outcome.at(index);
            if let Some(safeguard) = &unit.safeguard {
                self.guard(conn, step, unit, safeguard, outcome)?;
            }
            // What the server said before this unit (the engine's own queries) is not this unit's.
            self.notices.take();
            if matches!(unit.action, Some(Action::Note)) {
                // A comment of the plan: nothing runs.
                continue;
            }
            if let Some(Action::Restore(restore)) = &unit.action {
                self.restore(conn, step, unit, restore, outcome, events)?;
                continue;
            }
            // The check that the transaction is still open, when it already ran with the unit.
            let mut checked = None;
            let result = match &unit.action {
                // Handled above.
                Some(Action::Restore(_) | Action::Note) => Ok(()),
                Some(Action::Data(data)) => {
                    let code = UserCode {
                        migration: m.name,
                        path: m.path,
                        position: unit.position,
                        op: unit.op,
                        transactional: step.transactional,
                    };
                    let result = run_data(conn, data, code, watch.as_ref());
                    if watch.is_some() {
                        checked = Some(match &result {
                            Err(DataFailure::Ended { committed, .. }) => Some(*committed),
                            _ => None,
                        });
                    }
                    result.map_err(UnitFailure::Data)
                }
                Some(Action::Backfill(spec)) => {
                    let checksum = m.checksum();
                    let origin = backfill::Origin {
                        migration: m.name,
                        path: m.path,
                        checksum: &checksum,
                        position: unit.position,
                    };
                    backfill::run(
                        conn,
                        spec,
                        &origin,
                        &self.table,
                        self.timeouts.retry_budget,
                        &self.interrupt,
                        events,
                    )
                    .map(|_| ())
                    .map_err(UnitFailure::Backfill)
                }
                None => match &watch {
                    Some(watch) => match watch.execute(conn, &unit.sql) {
                        Ok(ended) => {
                            checked = Some(ended);
                            Ok(())
                        }
                        Err(e) => Err(UnitFailure::Statement(e)),
                    },
                    None => self
                        .run_unit(conn, step, &unit.sql, events)
                        .map_err(UnitFailure::Statement),
                },
            };
            // A backfill's notices come from the engine's own batching statements.
            if matches!(unit.action, Some(Action::Backfill(_))) {
                self.notices.take();
            }
            self.report_notices(step, unit, events);
            let ended = match (checked, &watch) {
                (Some(ended), _) => ended,
                // A failed statement usually leaves the transaction aborted, which the check reads as open.
                (None, Some(watch)) => match watch.ended(conn) {
                    Ok(ended) => ended,
                    Err(error) if result.is_ok() => {
                        return Err(Error::Database {
                            context: format!(
                                "migration {}: cannot check its transaction after operation #{}",
                                m.name, unit.position
                            ),
                            error,
                        })
                    }
                    // The unit's own error (a lost connection, say) tells more than the check's.
                    Err(_) => None,
                },
                (None, None) => None,
            };
            if let Some(committed) = ended {
                let cause = match result {
                    Ok(()) => None,
                    Err(UnitFailure::Data(DataFailure::Ended { cause, .. })) => cause,
                    Err(UnitFailure::Data(DataFailure::Failed(message))) => Some(message),
                    Err(UnitFailure::Backfill(f)) => Some(f.message),
                    Err(UnitFailure::Statement(e)) => Some(describe_pg(&e)),
                };
                let earlier = match outcome {
                    Outcome::SplitCommitted { committed } => committed,
                    _ => 0,
                };
                return Err(Error::TransactionEnded(Box::new(TransactionEnded {
                    name: m.name.to_owned(),
                    path: m.display_path(),
                    direction: step.direction,
                    position: unit.position,
                    op: unit.op,
                    committed,
                    statements_committed: if committed {
                        earlier + index + 1
                    } else {
                        earlier
                    },
                    cause,
                    earlier_in_run: Vec::new(),
                })));
            }
            let data_error = |message: String, backfill: Option<BackfillProgress>| {
                Error::Data(Box::new(DataError {
                    name: m.name.to_owned(),
                    path: m.display_path(),
                    direction: step.direction,
                    position: unit.position,
                    op: unit.op,
                    message,
                    outcome,
                    backfill,
                }))
            };
            match result {
                Ok(()) => {}
                Err(UnitFailure::Data(DataFailure::Failed(message))) => {
                    return Err(data_error(message, None))
                }
                Err(UnitFailure::Data(DataFailure::Ended { cause, .. })) => {
                    return Err(data_error(cause.unwrap_or_default(), None))
                }
                Err(UnitFailure::Backfill(f)) => {
                    return Err(data_error(
                        f.message,
                        Some(BackfillProgress {
                            batches: f.batches,
                            rows: f.rows,
                        }),
                    ))
                }
                Err(UnitFailure::Statement(source)) => {
                    return Err(Error::Statement(Box::new(StatementError {
                        name: m.name.to_owned(),
                        path: m.display_path(),
                        direction: step.direction,
                        position: unit.position,
                        op: unit.op,
                        sql: unit.sql.clone(),
                        source,
                        outcome,
                    })))
                }
            }
        }
        Ok(())
    }

    /// Reports the server's notices since the unit started, with its migration and operation. The notice
    /// that a leftover of an earlier attempt "does not exist, skipping" is the normal case, not news.
    fn report_notices(&self, step: &Step<'a>, unit: &Statement, events: &mut dyn FnMut(Event<'_>)) {
        for notice in self.notices.take() {
            if matches!(unit.safeguard, Some(Safeguard::ClearsLeftover(_)))
                && notice.message.ends_with("does not exist, skipping")
            {
                continue;
            }
            events(Event::Notice {
                name: step.migration.name,
                direction: step.direction,
                position: unit.position,
                op: unit.op,
                notice: &notice,
            });
        }
    }

    fn at<'s>(&'s self, step: &'s Step<'a>, position: usize) -> safeguard::At<'s> {
        safeguard::At {
            table: &self.table,
            migration: step.migration,
            direction: step.direction,
            position,
        }
    }

    /// The own-object checks of a transactional migration, once, in its first transaction and before any of
    /// its statements (a `--fake` run sends none, so it checks nothing).
    fn check_first_segment(
        &self,
        tx: &mut impl GenericClient,
        step: &Step<'a>,
        first: bool,
    ) -> Result<(), Error> {
        if first && !self.fake {
            self.check_safeguards(tx, step, &step.units())
        } else {
            Ok(())
        }
    }

    /// Before the first statement of a migration: every safeguarded statement's object must be this
    /// migration's own, so a refusal comes before anything of it runs. Objects an earlier statement of the
    /// same migration touches are checked just before their own statement instead (by [`Self::guard`]).
    fn check_safeguards(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        units: &[Statement],
    ) -> Result<(), Error> {
        for (index, unit) in units.iter().enumerate() {
            let Some(safeguard) = &unit.safeguard else {
                continue;
            };
            let touched_before = match safeguard.object() {
                // Objects looked up by name: an earlier statement naming it may change it.
                Some(object @ (Object::Index { .. } | Object::Constraint { .. })) => {
                    let bare = match object {
                        Object::Index { name, .. } => name.name().as_str().to_lowercase(),
                        Object::Constraint { name, .. } => name.as_str().to_lowercase(),
                        _ => String::new(),
                    };
                    units[..index].iter().any(|u| {
                        u.safeguard
                            .as_ref()
                            .and_then(Safeguard::object)
                            .is_some_and(|o| o.same_as(object))
                            || u.sql.to_lowercase().contains(&bare)
                    })
                }
                // A column's NOT NULL: checked at the start, whatever the recipe's own statements before it.
                Some(_) if matches!(safeguard, Safeguard::SetsNotNull(_)) => false,
                Some(_) => continue,
                // A grant: what is held can only grow from earlier statements, and is checked again.
                None => false,
            };
            if !touched_before {
                self.refuse_unless_own(conn, step, unit, safeguard, Outcome::RolledBack)?;
            }
        }
        Ok(())
    }

    /// Just before a safeguarded statement: the check again (an earlier statement may have changed the
    /// object), then the record it needs.
    fn guard(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        unit: &Statement,
        safeguard: &Safeguard,
        outcome: Outcome,
    ) -> Result<(), Error> {
        self.refuse_unless_own(conn, step, unit, safeguard, outcome)?;
        safeguard::record(conn, self.at(step, unit.position), safeguard, &unit.sql)
    }

    fn refuse_unless_own(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        unit: &Statement,
        safeguard: &Safeguard,
        outcome: Outcome,
    ) -> Result<(), Error> {
        let at = self.at(step, unit.position);
        let Some(refusal) = safeguard::check(conn, at, safeguard, &unit.sql)? else {
            return Ok(());
        };
        let owner = match (refusal.present, safeguard.object()) {
            (true, Some(object)) => Some(safeguard::owner(conn, at, self.migrations, object)),
            _ => None,
        };
        Err(Error::NotOwned(Box::new(NotOwnedError {
            name: step.migration.name.to_owned(),
            path: step.migration.display_path(),
            direction: step.direction,
            position: unit.position,
            op: unit.op,
            sql: unit.sql.clone(),
            safeguard: safeguard.clone(),
            problem: refusal.problem,
            owner,
            outcome,
        })))
    }

    /// Puts back what a `CREATE OR REPLACE` of the `up` replaced, as recorded then, or drops the object.
    fn restore(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        unit: &Statement,
        restore: &Restore,
        outcome: Outcome,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let m = step.migration;
        let statements =
            match safeguard::restore_statements(conn, self.at(step, unit.position), restore)? {
                Ok(statements) => statements,
                Err(message) => {
                    return Err(Error::Restore(Box::new(RestoreError {
                        name: m.name.to_owned(),
                        path: m.display_path(),
                        direction: step.direction,
                        position: unit.position,
                        message,
                        outcome,
                    })))
                }
            };
        for sql in statements {
            self.notices.take();
            let result = self.run_unit(conn, step, &sql, events);
            self.report_notices(step, unit, events);
            if let Err(source) = result {
                return Err(Error::Statement(Box::new(StatementError {
                    name: m.name.to_owned(),
                    path: m.display_path(),
                    direction: step.direction,
                    position: unit.position,
                    op: unit.op,
                    sql,
                    source,
                    outcome,
                })));
            }
        }
        Ok(())
    }

    /// Writes (up) or deletes (down) the bookkeeping row.
    fn record(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'a>,
        started: Instant,
    ) -> Result<Ran, Error> {
        let m = step.migration;
        let execution_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match step.direction {
            Direction::Up => {
                history::insert(conn, &self.table, m.name, &m.checksum(), execution_ms)?
            }
            Direction::Down => history::delete(conn, &self.table, m.name)?,
        }
        // What it recorded about objects goes with the bookkeeping row, in the same transaction. A fake run
        // cleans up too: a later real run must not find an old record.
        let recorded = step
            .statements()
            .iter()
            .any(|s| s.safeguard.is_some() || matches!(s.action, Some(Action::Restore(_))));
        if recorded || self.fake {
            previous::forget(conn, &self.table, m.name, step.direction)?;
        }
        Ok(Ran {
            name: m.name.to_owned(),
            direction: step.direction,
            execution_ms,
        })
    }
}

/// A mark left before a migration's first operation when that one can run again (a backfill, a typed
/// concurrent index build): nothing else was committed, so the next run clears it and goes on.
fn resumable(f: &history::Failure) -> bool {
    f.committed == 0 && f.error.starts_with(history::RESUMABLE_MARK)
}

/// What a failure in a group of statements leaves behind, before knowing which statement fails.
#[derive(Debug, Clone, Copy)]
enum OutcomeBase {
    /// In the migration's only (or first) transaction: rolled back.
    RolledBack,
    /// In a later transaction of a split migration: the statements of earlier ones are committed.
    Split(usize),
    /// Outside a transaction: every earlier statement is committed.
    Outside,
}

impl OutcomeBase {
    fn at(self, index: usize) -> Outcome {
        match self {
            OutcomeBase::RolledBack => Outcome::RolledBack,
            OutcomeBase::Split(committed) => Outcome::SplitCommitted { committed },
            OutcomeBase::Outside => Outcome::PartiallyApplied { committed: index },
        }
    }
}

impl Migrator<'_> {
    /// Sends one statement. Outside a transaction each statement is its own transaction, so a lock timeout
    /// retries just that statement; and an invalid index that a failed `CREATE INDEX CONCURRENTLY` leaves
    /// behind is dropped first, or the retry (or the next run) would fail on its name.
    fn run_unit(
        &self,
        conn: &mut impl GenericClient,
        step: &Step<'_>,
        sql: &str,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), postgres::Error> {
        if step.transactional {
            return conn.batch_execute(sql);
        }
        let started = Instant::now();
        let mut failures = 0u32;
        loop {
            if let Some((name, table)) = invalid_index::concurrent_build(sql) {
                if let Some(index) = invalid_index::named(conn, &name, &table)? {
                    conn.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"))?;
                    events(Event::DroppedInvalidIndex {
                        name: step.migration.name,
                        index: &index,
                    });
                }
            }
            let invalid_before = invalid_index::all(conn)?;
            let Err(error) = conn.batch_execute(sql) else {
                return Ok(());
            };
            // Cleaning up must not hide the statement's error: when a leftover cannot be dropped now, the
            // next run drops it before building again.
            for index in invalid_index::all(conn).unwrap_or_default() {
                if !invalid_before.contains(&index)
                    && conn
                        .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"))
                        .is_ok()
                {
                    events(Event::DroppedInvalidIndex {
                        name: step.migration.name,
                        index: &index,
                    });
                }
            }
            if !is_lock_timeout(&error) {
                return Err(error);
            }
            failures += 1;
            let delay = backoff(failures);
            if started.elapsed() + delay > self.timeouts.retry_budget {
                return Err(error);
            }
            events(Event::Retrying {
                name: step.migration.name,
                attempt: failures,
                delay,
                reason: describe_pg(&error),
            });
            std::thread::sleep(delay);
        }
    }
}

/// Why a unit failed, before it is turned into an error naming the migration.
enum UnitFailure {
    Statement(postgres::Error),
    Data(DataFailure),
    Backfill(backfill::Failure),
}

/// Why data code failed.
enum DataFailure {
    /// It returned an error or panicked (the message), or its transaction could not be handled.
    Failed(String),
    /// It ended the migration's transaction (committed or not), and maybe failed too.
    Ended {
        committed: bool,
        cause: Option<String>,
    },
}

/// Runs data code in a transaction of its own: a savepoint inside the migration's transaction, or a real
/// transaction when the migration runs outside one. A panic in user code becomes an error, so the lock and
/// the connection are released the ordinary way. Inside the migration's transaction, `watch` checks that the
/// code did not end it before the savepoint is released.
fn run_data(
    conn: &mut impl GenericClient,
    data: &DataFn,
    code: UserCode,
    watch: Option<&TransactionWatch>,
) -> Result<(), DataFailure> {
    let mut tx = conn.transaction().map_err(|e| {
        DataFailure::Failed(format!("cannot start its transaction: {}", describe_pg(&e)))
    })?;
    let result = {
        let _running = user_code::enter(code);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| data.call(&mut tx)))
    };
    let failure = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(describe_data_error(e.as_ref())),
        Err(panic) => Some(format!("panicked: {}", panic_message(&panic))),
    };
    if let Some(watch) = watch {
        match watch.ended(&mut tx) {
            Ok(Some(committed)) => {
                return Err(DataFailure::Ended {
                    committed,
                    cause: failure,
                })
            }
            Ok(None) => {}
            Err(e) => {
                return Err(DataFailure::Failed(failure.unwrap_or_else(|| {
                    format!("cannot check its transaction: {}", describe_pg(&e))
                })))
            }
        }
    }
    match failure {
        None => tx
            .commit()
            .map_err(|e| DataFailure::Failed(format!("cannot commit: {}", describe_pg(&e)))),
        Some(message) => Err(DataFailure::Failed(message)),
    }
}

/// Detects that a migration's transaction ended under the runner: by SQL (`COMMIT`, `ROLLBACK`) in the
/// migration's raw statements or data code. The protocol's transaction status is not exposed by the
/// driver, so the transaction is given an id at its start (`txid_current()`, which writing migrations
/// assign anyway) and compared afterwards: another id, or none, means the transaction ended, and
/// `txid_status` of the old id says whether it was committed.
struct TransactionWatch {
    xid: i64,
}

impl TransactionWatch {
    /// Runs `first` (the migration's `SET LOCAL` statements) and takes the transaction's id, in one round
    /// trip.
    fn start(conn: &mut impl GenericClient, first: &[String]) -> Result<Self, postgres::Error> {
        let mut sql: String = first.iter().map(|s| format!("{s};\n")).collect();
        sql.push_str("SELECT txid_current()");
        let xid = last_value(&conn.simple_query(&sql)?)
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1);
        Ok(TransactionWatch { xid })
    }

    /// Sends a migration's raw SQL with the check appended, in one round trip: whether the SQL ended the
    /// transaction (see [`ended`](Self::ended)), or the SQL's error. The check goes last, on a line of its
    /// own, so error positions in the SQL are unchanged and a trailing `--` comment cannot swallow it.
    fn execute(
        &self,
        conn: &mut impl GenericClient,
        sql: &str,
    ) -> Result<Option<bool>, postgres::Error> {
        let messages = conn.simple_query(&format!("{sql}\n;SELECT txid_current_if_assigned()"))?;
        let current = last_value(&messages).and_then(|v| v.parse::<i64>().ok());
        if current == Some(self.xid) {
            return Ok(None);
        }
        self.status(conn).map(Some)
    }

    /// `None` while the transaction is open (an aborted one, after a failed statement, still is); once it
    /// ended, whether it was committed.
    fn ended(&self, conn: &mut impl GenericClient) -> Result<Option<bool>, postgres::Error> {
        let current: Option<i64> = match conn.query_one("SELECT txid_current_if_assigned()", &[]) {
            Ok(row) => row.get(0),
            Err(e) if e.code() == Some(&postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        if current == Some(self.xid) {
            return Ok(None);
        }
        self.status(conn).map(Some)
    }

    /// Whether the ended transaction was committed.
    fn status(&self, conn: &mut impl GenericClient) -> Result<bool, postgres::Error> {
        let status: Option<String> = conn
            .query_one("SELECT txid_status($1)", &[&self.xid])?
            .get(0);
        Ok(status.as_deref() == Some("committed"))
    }
}

/// The first column of the last row of a simple query's results.
fn last_value(messages: &[postgres::SimpleQueryMessage]) -> Option<&str> {
    messages.iter().rev().find_map(|m| match m {
        postgres::SimpleQueryMessage::Row(row) => Some(row.get(0)),
        _ => None,
    })?
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

fn begin_error(source: postgres::Error) -> Error {
    Error::Database {
        context: "cannot start a transaction".to_owned(),
        error: source,
    }
}

fn commit_error(source: postgres::Error) -> Error {
    Error::Database {
        context: "cannot commit".to_owned(),
        error: source,
    }
}
