//! A fleet and what it runs on each target: `up`, `down`, the status and the plan, each on a session of the
//! target's own, under the target's own migration lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use postgres::Client;

use crate::error::{DataCause, Error};
use crate::events::Event;
use crate::history::{self, MigrationsTable, RunOutcome};
use crate::interrupt::Interrupt;
use crate::lock::{with_lock, LockMode};
use crate::plan::Step;
use crate::runner::{DownTarget, Migrator, UpTarget};
use crate::status::State;

use super::connector::Connector;
use super::error::FleetError;
use super::events::FleetEvent;
use super::options::{Canary, FleetOptions};
use super::pool::{Pool, Pooled};
use super::report::{FleetReport, Phase, TargetError, TargetReport, TargetState, TargetStatus};
use super::schedule::{self, Attempt, Note, Plan, Slot};
use super::stop::Stop;
use super::target::Target;

mod ending;
mod list;
mod op;
mod status;
mod work;
use ending::failed;
use list::{canary_of, check_limits, check_schema, fill_in_name, name_index, shown_name, Places};
use op::run_op;

/// How often a fleet run with a time budget looks whether it is spent.
const DEADLINE_POLL: Duration = Duration::from_millis(20);

/// The same migrations over many targets. Build it once with the targets and a [`Connector`], then run
/// [`up`](Fleet::up), [`down`](Fleet::down), [`status`](Fleet::status) or [`plan_up`](Fleet::plan_up).
///
/// ```no_run
/// # fn demo(migrations: &'static [migrate_core::Migration], connector: &dyn migrate_core::fleet::Connector)
/// #     -> Result<(), Box<dyn std::error::Error>> {
/// use migrate_core::fleet::{Fleet, FleetOptions, Stop, Target};
/// use migrate_core::{Migrator, UpTarget};
/// let targets = (1..=50).map(|n| Target::schema(format!("tenant_{n}"))).collect();
/// let fleet = Fleet::new(Migrator::new(migrations), targets, connector, FleetOptions::default())?;
/// let report = fleet.up(&UpTarget::All, &Stop::new(), &|_event| {})?;
/// assert!(report.all_done());
/// # Ok(()) }
/// ```
pub struct Fleet<'a, 'c> {
    migrator: Migrator<'a>,
    targets: Vec<Target>,
    names: Vec<String>,
    /// Server number of each target, for the per-server budget.
    servers: Vec<usize>,
    canary: Vec<usize>,
    options: FleetOptions,
    connector: &'c dyn Connector,
    /// This fleet's runs' id, recorded on each target they visit.
    run_id: String,
}

impl std::fmt::Debug for Fleet<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("targets", &self.targets)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What runs on each target.
enum Op<'t> {
    Up(&'t UpTarget),
    Down(&'t DownTarget),
    /// What run `run` applied (`fleet down --run`); with `force_later`, what was applied after it too.
    Revert { run: &'t str, force_later: bool },
}

impl Op<'_> {
    /// How the target's runs table records the run.
    fn note(&self, id: &str) -> crate::history::RunNote {
        crate::history::RunNote {
            id: id.to_owned(),
            command: match self {
                Op::Up(_) => "up",
                Op::Down(_) | Op::Revert { .. } => "down",
            },
            reverts: match self {
                Op::Revert { run, .. } => Some((*run).to_owned()),
                _ => None,
            },
        }
    }
}

impl<'a, 'c> Fleet<'a, 'c> {
    /// A fleet of `targets`, each run with `migrator`'s settings (its table, timeouts, mode; the lock is
    /// always tried, see [`FleetOptions::on_busy`]). Checks the list before anything runs: every
    /// connection string readable, valid schema names, no target twice (same server, database and schema),
    /// unique names (an empty name is filled in: the schema for a schema of the default database, else
    /// `server/database[/schema]`), and a canary made of targets of the fleet.
    pub fn new(
        migrator: Migrator<'a>,
        mut targets: Vec<Target>,
        connector: &'c dyn Connector,
        options: FleetOptions,
    ) -> Result<Fleet<'a, 'c>, FleetError> {
        check_limits(&options)?;
        let run_id = match &options.run_id {
            Some(id) => {
                super::runs::check_run_id(id)?;
                id.clone()
            }
            None => super::runs::new_run_id(),
        };
        if targets.is_empty() {
            return Err(FleetError::NoTargets);
        }
        let mut places = Places::default();
        for i in 0..targets.len() {
            let location =
                connector
                    .locate(&targets[i])
                    .map_err(|message| FleetError::Location {
                        target: shown_name(&targets[i]),
                        message,
                    })?;
            check_schema(&targets[i], migrator.migrations_table())?;
            fill_in_name(&mut targets[i], &location);
            places.add(&targets, i, location)?;
        }
        let names = name_index(&targets)?;
        let canary = canary_of(&options.canary, &names, targets.len())?;
        let names = targets.iter().map(|t| t.name.clone()).collect();
        Ok(Fleet {
            migrator,
            targets,
            names,
            servers: places.servers,
            canary,
            options,
            connector,
            run_id,
        })
    }

    /// The id of this fleet's runs (`up`, `down`, [`revert_run`](Fleet::revert_run)): each target they visit
    /// records it with what the run did there.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The targets, in the order given, with their names filled in.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// The options.
    pub fn options(&self) -> &FleetOptions {
        &self.options
    }

    /// Applies the pending migrations up to `target` on every target: the canary first, then the others
    /// under the failure policy, each under its own lock (a target another runner holds is revisited
    /// later). A target where the run stops ([`UpTarget::To`] already applied) is done. `events` is called
    /// from the workers' threads. An error means nothing ran: `target` names no migration.
    pub fn up(
        &self,
        target: &UpTarget,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
    ) -> Result<FleetReport, Error> {
        let target = match target {
            UpTarget::To(name) => UpTarget::To(self.full_name(name)?),
            other => other.clone(),
        };
        Ok(self.apply(&Op::Up(&target), stop, events))
    }

    /// Reverts applied migrations on every target down to `target`, as [`up`](Fleet::up) applies them. A
    /// target with nothing applied, or nothing after [`DownTarget::To`], is done with nothing reverted.
    pub fn down(
        &self,
        target: &DownTarget,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
    ) -> Result<FleetReport, Error> {
        let target = match target {
            DownTarget::To(name) => DownTarget::To(self.full_name(name)?),
            other => other.clone(),
        };
        Ok(self.apply(&Op::Down(&target), stop, events))
    }

    /// Reverts on every target exactly the migrations run `run` applied there (its record on the target),
    /// newest first, as [`down`](Fleet::down) reverts them; a target the run did not visit, or where nothing
    /// it applied is still applied, is done with nothing reverted. A target where migrations were applied
    /// after the run's fails with [`Error::RunChangedSince`], unless `force_later`: they are reverted first.
    pub fn revert_run(
        &self,
        run: &str,
        force_later: bool,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
    ) -> FleetReport {
        self.apply(&Op::Revert { run, force_later }, stop, events)
    }

    /// What `up` would run on each target, changing nothing and taking no lock: `each` gets every target's
    /// steps (or why they could not be planned), from the workers' threads, as each is read.
    pub fn plan_up(
        &self,
        target: &UpTarget,
        stop: &Stop,
        each: &(dyn Fn(usize, Result<Vec<Step<'a>>, TargetError>) + Sync),
    ) {
        let pool = Pool::new(self.options.parallel);
        let work = |i: usize| {
            let planned = self.session(&pool, i).and_then(|(mut session, table)| {
                let steps = self
                    .migrator
                    .clone()
                    .table(table)
                    .plan_up(&mut session.client, target)
                    .map_err(|e| TargetError::of(&e))?;
                pool.checkin(&self.targets[i], session);
                Ok(steps)
            });
            each(i, planned);
            Attempt::Finished {
                result: (),
                failed: false,
            }
        };
        schedule::run(&self.read_plan(), stop, &|_| {}, &work);
    }

    /// Reads every target on a session of its own (`search_path` set for a schema target), without a lock:
    /// `each` gets the target's index and its session with its migrations table, or why none could be
    /// opened, from the workers' threads, as the targets are reached. What `each` reads is its own business;
    /// it must change nothing.
    pub fn read_each(
        &self,
        stop: &Stop,
        each: &(dyn Fn(usize, Result<TargetSession<'_>, TargetError>) + Sync),
    ) {
        let pool = Pool::new(self.options.parallel);
        let work = |i: usize| {
            match self.session(&pool, i) {
                Ok((mut session, table)) => {
                    each(
                        i,
                        Ok(TargetSession {
                            client: &mut session.client,
                            table: &table,
                        }),
                    );
                    pool.checkin(&self.targets[i], session);
                }
                Err(e) => each(i, Err(e)),
            }
            Attempt::Finished {
                result: (),
                failed: false,
            }
        };
        schedule::run(&self.read_plan(), stop, &|_| {}, &work);
    }

    fn read_plan(&self) -> Plan<'_> {
        Plan {
            servers: &self.servers,
            parallel: self.options.parallel,
            per_server: self.options.per_server,
            canary: &[],
            on_error: super::options::OnError::Continue,
            max_failures: None,
            on_busy: self.options.on_busy,
            names: &self.names,
        }
    }

    fn full_name(&self, name: &str) -> Result<String, Error> {
        self.migrator
            .migrations()
            .iter()
            .find(|m| m.name() == name || m.version() == name)
            .map(|m| m.name().to_owned())
            .ok_or_else(|| Error::UnknownMigration {
                name: name.to_owned(),
            })
    }

    fn apply(
        &self,
        op: &Op<'_>,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
    ) -> FleetReport {
        let started = Instant::now();
        let plan = Plan {
            servers: &self.servers,
            parallel: self.options.parallel,
            per_server: self.options.per_server,
            canary: &self.canary,
            on_error: self.options.on_error,
            max_failures: self.options.max_failures,
            on_busy: self.options.on_busy,
            names: &self.names,
        };
        let note = |note: Note<'_>| match note {
            Note::Busy {
                index,
                holder,
                revisits,
            } => events(FleetEvent::Busy {
                index,
                target: &self.targets[index],
                holder,
                revisits,
            }),
            Note::CanaryPassed { targets } => events(FleetEvent::CanaryPassed { targets }),
            Note::Stopping(reason) => events(FleetEvent::Stopping { reason }),
        };
        stop.set_deadline(self.options.max_duration);
        let pool = Pool::new(self.options.parallel);
        let work = |i: usize| {
            let attempt = self.apply_one(&pool, i, op, stop, events);
            if let Attempt::Finished { result, .. } = &attempt {
                events(FleetEvent::Finished {
                    index: i,
                    target: &self.targets[i],
                    report: result,
                });
            }
            attempt
        };
        let ended = AtomicBool::new(false);
        let outcome = std::thread::scope(|scope| {
            if let Some((at, budget)) = stop.deadline() {
                let ended = &ended;
                // At the deadline, the statements running on the targets are cancelled on the server; the
                // targets' runs and the schedule see the spent budget by themselves.
                scope.spawn(move || {
                    while !ended.load(Ordering::SeqCst) {
                        if Instant::now() >= at {
                            let cancelled = stop.expire();
                            events(FleetEvent::BudgetSpent { budget, cancelled });
                            return;
                        }
                        std::thread::sleep(DEADLINE_POLL);
                    }
                });
            }
            let outcome = schedule::run(&plan, stop, &note, &work);
            ended.store(true, Ordering::SeqCst);
            outcome
        });
        // The budget was this run's: a later run on the same stop request (a status, say) has its own.
        stop.set_deadline(None);
        let targets = outcome
            .slots
            .into_iter()
            .zip(outcome.busy)
            .zip(&self.names)
            .map(|((slot, busy), name)| match slot {
                Slot::Ran(mut report) => {
                    report.busy = busy;
                    report
                }
                Slot::Busy => TargetReport::not_started(name, TargetState::Busy, busy),
                Slot::Skipped => TargetReport::not_started(name, TargetState::Skipped, busy),
                Slot::NotStarted => TargetReport::not_started(name, TargetState::Pending, busy),
                Slot::Panicked(message) => {
                    let mut report = TargetReport::not_started(name, TargetState::Failed, busy);
                    report.error = Some(TargetError::message(format!("panicked: {message}")));
                    report
                }
            })
            .collect();
        FleetReport {
            targets,
            stopped: outcome.stopped,
            duration: started.elapsed(),
        }
    }

    /// A session of target `i` from `pool`, with its `search_path` set for a schema target, and its
    /// migrations table.
    fn session(&self, pool: &Pool, i: usize) -> Result<(Pooled, MigrationsTable), TargetError> {
        let t = &self.targets[i];
        let table = t
            .migrations_table(self.migrator.migrations_table())
            .map_err(|e| TargetError::of(&e))?;
        let mut session = pool
            .checkout(self.connector, t, &self.prepare(t))
            .map_err(|e| TargetError::message(e.message))?;
        schema_search_path(&mut session.client, t, &self.options.search_path, session.prepared)
            .map_err(|e| TargetError::of(&e))?;
        Ok((session, table))
    }

    /// What a pooled session of target `t` runs with its reset: a schema target's `search_path`.
    fn prepare(&self, t: &Target) -> String {
        t.schema
            .as_deref()
            .map(|schema| super::target::search_path_sql(schema, &self.options.search_path))
            .unwrap_or_default()
    }

    /// Runs `op` on target `i`, on a session of its own under its own lock. A target whose lock another runner
    /// holds is busy, to be revisited; any other end is the target's report.
    fn apply_one(
        &self,
        pool: &Pool,
        i: usize,
        op: &Op<'_>,
        stop: &Stop,
        events: &(dyn Fn(FleetEvent<'_>) + Sync),
    ) -> Attempt<TargetReport> {
        let t = &self.targets[i];
        let started = Instant::now();
        events(FleetEvent::Started {
            index: i,
            target: t,
        });
        let mut report = TargetReport::not_started(&t.name, TargetState::Failed, 0);
        let (table, session) = match self.open_target(pool, t) {
            Ok(opened) => opened,
            Err((error, state)) => {
                report.error = Some(error);
                return finished(report, state, started);
            }
        };
        let Pooled {
            mut client,
            cancel,
            notices,
            prepared,
            pid,
        } = session;
        let interrupt = Interrupt::new();
        let running = stop.register(i, &interrupt, Arc::clone(&cancel));
        let migrator = self
            .target_migrator(t, &table, &interrupt, &notices, stop, pid)
            .run_note(Some(op.note(&self.run_id)));
        let mut forward = Forward {
            index: i,
            target: t,
            events,
            ran: Vec::new(),
        };
        let note = op.note(&self.run_id);
        let search_path = schema_search_path(&mut client, t, &self.options.search_path, prepared);
        let result = search_path
            .and_then(|()| crate::history::runs::begin(&mut client, &table, &note))
            .and_then(|()| {
            run_op(
                &mut client,
                &migrator,
                &table,
                op,
                &interrupt,
                &mut report.version_before,
                &mut |event| forward.event(event),
            )
        });
        report.ran = forward.ran;
        drop(running);
        let keep = |client: Client| {
            pool.checkin(
                t,
                Pooled {
                    client,
                    cancel,
                    notices,
                    prepared: false,
                    pid: None,
                },
            )
        };
        let state = match result {
            Ok(()) => TargetState::Done,
            Err(Error::LockBusy { holder, .. }) => {
                // Revisited later; if it stays busy to the end, its record says so.
                let _ = crate::history::runs::end(&mut client, &table, &note, RunOutcome::Busy, None);
                keep(client);
                return Attempt::Busy { holder };
            }
            Err(e) => {
                let (error, state) = failed(&e, client.is_closed(), &interrupt, Instant::now());
                report.error = Some(error);
                state
            }
        };
        report.version_after = version_after(op, &report, &mut client, &table);
        // Best effort: a session that is gone cannot write it, and the record then shows the run as not
        // ended there, which is what it is.
        if !client.is_closed() {
            let outcome = match state {
                TargetState::Done => RunOutcome::Done,
                TargetState::Interrupted => RunOutcome::Interrupted,
                _ => RunOutcome::Failed,
            };
            let error = report.error.as_ref().map(|e| e.message.as_str());
            let _ = crate::history::runs::end(&mut client, &table, &note, outcome, error);
        }
        // Only a session that ended cleanly serves another target.
        if state == TargetState::Done {
            keep(client);
        }
        finished(report, state, started)
    }

    /// Target `t`'s migrations table and a session of it from `pool`; why not, if not, and whether that
    /// leaves the target unreachable or failed.
    fn open_target(
        &self,
        pool: &Pool,
        t: &Target,
    ) -> Result<(MigrationsTable, Pooled), (TargetError, TargetState)> {
        let table = t
            .migrations_table(self.migrator.migrations_table())
            .map_err(|e| (TargetError::of(&e), TargetState::Failed))?;
        let session = pool.checkout(self.connector, t, &self.prepare(t)).map_err(|e| {
            let state = if e.unreachable {
                TargetState::Unreachable
            } else {
                TargetState::Failed
            };
            (TargetError::refused(e.message, e.sqlstate), state)
        })?;
        Ok((table, session))
    }

    /// The fleet's migrator as one target runs it: its table, the lock tried once, its own stop request and
    /// notices, and the guards of a single run: its locks watched on a session of its own, the fleet's time
    /// budget (what is left of it) as the run's.
    fn target_migrator(
        &self,
        t: &Target,
        table: &MigrationsTable,
        interrupt: &Interrupt,
        notices: &crate::Notices,
        stop: &Stop,
        pid: Option<i32>,
    ) -> Migrator<'a> {
        let mut migrator = self
            .migrator
            .clone()
            .table(table.clone())
            .lock_mode(LockMode::Fail)
            .interrupt(interrupt.clone())
            .notices(notices.clone());
        if let Some(connect) = self.connector.lock_watch(t) {
            migrator = migrator.watch_locks(connect);
            if let Some(pid) = pid {
                migrator = migrator.session_pid(pid);
            }
        }
        if let Some((at, budget)) = stop.deadline() {
            migrator = migrator.deadline_at(at, budget);
        }
        migrator
    }

}

/// The newest applied migration by name (timestamp order), if any is applied.
fn newest(client: &mut Client, table: &MigrationsTable) -> Result<Option<String>, Error> {
    if !history::exists(client, table)? {
        return Ok(None);
    }
    client
        .query_one(
            &format!("SELECT pg_catalog.max(name) FROM {}", table.quoted()),
            &[],
        )
        .map(|row| row.get(0))
        .map_err(Error::database(format!("cannot read {table}")))
}

/// A target's attempt ended in `state`, timed from `started`; a failed or unreachable target counts under the
/// failure policy.
fn finished(mut report: TargetReport, state: TargetState, started: Instant) -> Attempt<TargetReport> {
    report.state = state;
    report.duration = started.elapsed();
    Attempt::Finished {
        failed: matches!(state, TargetState::Failed | TargetState::Unreachable),
        result: report,
    }
}

/// Sets the `search_path` of a schema target's session, unless its checkout did (`prepared`: the
/// fleet's `prepare`); a database target's session is left as it is.
fn schema_search_path(
    client: &mut Client,
    t: &Target,
    extra: &[String],
    prepared: bool,
) -> Result<(), Error> {
    match &t.schema {
        Some(schema) if !prepared => super::target::set_search_path(client, schema, extra),
        _ => Ok(()),
    }
}

/// The engine's events of one target's run, sent on as the target's, noting the migrations that ran for its
/// report.
struct Forward<'t, 'e> {
    index: usize,
    target: &'t Target,
    events: &'e (dyn Fn(FleetEvent<'_>) + Sync),
    ran: Vec<String>,
}

impl Forward<'_, '_> {
    fn event(&mut self, event: Event<'_>) {
        if let Event::Finished { name, .. } = &event {
            self.ran.push((*name).to_owned());
        }
        (self.events)(FleetEvent::Engine {
            index: self.index,
            target: self.target,
            event,
        });
    }
}

/// The version a target stands at after `op`, given the version before and what ran as `report` has them.
fn version_after(
    op: &Op<'_>,
    report: &TargetReport,
    client: &mut Client,
    table: &MigrationsTable,
) -> Option<String> {
    match op {
        // What `up` applied comes on top of what was there.
        Op::Up(_) => report
            .version_before
            .iter()
            .chain(&report.ran)
            .max()
            .cloned(),
        // After a failure the session may be gone; the version after is then unknown.
        Op::Down(_) | Op::Revert { .. } => newest(client, table).ok().flatten(),
    }
}

#[cfg(test)]
mod tests;

/// A target's session as [`Fleet::read_each`] lends it: `search_path` set for a schema target, with the
/// target's migrations table.
pub struct TargetSession<'s> {
    pub client: &'s mut Client,
    pub table: &'s MigrationsTable,
}

impl std::fmt::Debug for TargetSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetSession")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}
