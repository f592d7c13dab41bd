//! A worker: takes the active jobs oldest first and, for each, claims the next key range of its table
//! (a short transaction under the job's advisory lock), runs it as one batch (a transaction that locks the
//! range's row `FOR UPDATE SKIP LOCKED`, does the work and marks the row done), and finishes the job once
//! no range is left, none is pending and no row still matches the backfill's condition. Any number of
//! workers share a job: a range is claimed once, a pending range left by a killed worker is taken by the
//! next one (its lock went with the worker's session), and a batch commits its work with its row or not at
//! all, so no row is updated twice.

use std::time::{Duration, Instant};

use migrate_dsl::{Action, Backfill, BatchWork};
use postgres::types::Type;
use postgres::{Client, GenericClient};

mod ranges;

use super::store::{self, JobSession};
use super::{Job, JobError, JobState, LeftJob, WhyLeft, WorkOptions, WorkReport, MAX_BATCH_ATTEMPTS};
use crate::backfill::dense_key::DenseKey;
use crate::backfill::executor::{BatchError, Executor};
use crate::backfill::primary_key;
use crate::batch_size::BatchSizer;
use crate::error::{describe_pg, Error};
use crate::estimate::Remaining;
use crate::events::Event;
use crate::history::MigrationsTable;
use crate::error::DataCause;
use crate::migration::{Direction, Migration};
use crate::one_trip;
use crate::retry::{GaveUp, LockRetry, LockTimeout};
use crate::settings::Settings;
use crate::throttle::{self, Stopped, Throttle};
use crate::user_code::UserCode;
use ranges::{Claim, Finish};

/// Walks again for rows that still match the condition after a walk, before the job fails naming them.
const CATCH_UP_WALKS: i32 = 2;

/// How long a worker waits for the batches other workers have in progress before it looks again.
const IN_FLIGHT_WAIT: Duration = Duration::from_millis(100);

/// Whether `migration` queues a background job.
pub(super) fn queues_jobs(migration: &Migration) -> bool {
    migration
        .build(Direction::Up)
        .is_ok_and(|pgm| pgm.queues_background_jobs())
}

/// The backfill a job runs, as this binary has its migration; why not, when it cannot. A key's widening
/// queues one job per table under one operation: its statements depend on the catalog, read here in the
/// session of the migration that queued the job (`enter`, then `leave`), and the job's table picks its
/// backfill.
fn definition(
    client: &mut Client,
    migrations: &[Migration],
    job: &Job,
    checksum: &str,
    (enter, leave): (&str, &str),
) -> Result<Result<Backfill, String>, Error> {
    let Some(migration) = migrations.iter().find(|m| m.name() == job.migration) else {
        return Ok(Err("its migration is not among this binary's".to_owned()));
    };
    if migration.checksum() != checksum {
        return Ok(Err(format!(
            "its migration's file changed since the job was queued (checksum {checksum}, now {}): a walk of \
             another definition could skip rows; `migrate jobs retry {}` takes the definition as it is now",
            migration.checksum(),
            job.id
        )));
    }
    let pgm = match migration.build(Direction::Up) {
        Ok(pgm) => pgm,
        Err(e) => return Ok(Err(format!("its migration does not build: {e}"))),
    };
    let pgm = if pgm.needs_catalog() {
        client
            .batch_execute(enter)
            .map_err(Error::database("cannot take the session settings of the job's migration"))?;
        let mut failed = None;
        let resolved = pgm.resolve_keys(&mut |op, _| match crate::widen_key::read(client, op) {
            Ok(read) => read,
            Err(e) => {
                failed = Some(e);
                Err(String::new())
            }
        });
        let left = client.batch_execute(leave);
        if let Some(e) = failed {
            return Err(Error::database(format!(
                "migration {}: cannot read the catalog for its key's widening",
                job.migration
            ))(e));
        }
        left.map_err(Error::database("cannot put the worker's session settings back"))?;
        match resolved {
            Ok(pgm) => pgm,
            Err(e) => return Ok(Err(format!("its migration does not build: {e}"))),
        }
    } else {
        pgm
    };
    let statements = match pgm.statements() {
        Ok(statements) => statements,
        Err(e) => return Ok(Err(format!("its migration does not build: {e}"))),
    };
    Ok(statements
        .into_iter()
        .find_map(|s| match s.action {
            Some(Action::Queue(spec)) if s.position == job.position && spec.table().quoted() == job.table => {
                Some(spec)
            }
            _ => None,
        })
        .ok_or_else(|| {
            format!(
                "operation #{} of its migration is not a background backfill of {}",
                job.position, job.table
            )
        }))
}

/// `migrate jobs retry`: the job takes its migration's checksum as this binary has it.
pub(super) fn take_current_definition(
    client: &mut Client,
    table: &MigrationsTable,
    migrations: &[Migration],
    id: i64,
) -> Result<(), Error> {
    let Some(job) = store::list(client, table, None)
        .map_err(Error::database("cannot read the background jobs"))?
        .into_iter()
        .find(|j| j.id == id)
    else {
        return Ok(());
    };
    let migration = migrations.iter().find(|m| m.name() == job.migration).ok_or_else(|| {
        JobError::Definition {
            id,
            migration: job.migration.clone(),
            position: job.position,
            why: "its migration is not among this binary's".to_owned(),
        }
    })?;
    client
        .execute(
            &format!("UPDATE {} SET checksum = $2 WHERE id = $1", table.jobs()),
            &[&id, &migration.checksum()],
        )
        .map_err(Error::database(format!("cannot retry background job {id}")))?;
    Ok(())
}

/// How a worker's turn at one job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobEnd {
    Finished,
    Failed,
    /// Paused, cancelled or finished by someone else meanwhile.
    NotActive,
    OutOfBudget,
}

impl<'a> Settings<'a> {
    /// The background worker of [`Migrator::work`](crate::Migrator::work).
    pub fn work(
        &self,
        client: &mut Client,
        options: &WorkOptions,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<WorkReport, Error> {
        let options = &self.resolve_work(client, options)?;
        let deadline = options.budget.map(|budget| (Instant::now() + budget, budget));
        let name = match options.name.as_str() {
            "" => format!("{}:{}", host(), std::process::id()),
            name => name.to_owned(),
        };
        // A first stop lets the batch in progress commit (see `Interrupt::batch`), as a backfill's does.
        let _working = self.interrupt.backfill();
        // Waiting for the WAL flush of every batch, claim and mark would dominate the work. Without it, a
        // server crash can lose the last batches together with their marks (same transactions): they are
        // claimed again, so no row is skipped and none is updated twice. Put back afterwards: the session
        // may be the application's.
        client
            .batch_execute("SET synchronous_commit = off")
            .map_err(Error::database("cannot set synchronous_commit for the worker"))?;
        // Each job runs with the settings of the session that queued it; this one's are put back after each.
        let own = own_session(client)?;
        let result = self.work_jobs(client, options, deadline, &name, &own, events);
        let reset = client.batch_execute(&format!("RESET synchronous_commit; {}", own.restore));
        let report = result?;
        reset.map_err(Error::database("cannot put the worker's session settings back"))?;
        Ok(report)
    }

    /// `options` with each migration under its full name (a timestamp prefix names one too), once every
    /// job and migration it names is known: a worker asked for a job that does not exist would otherwise
    /// report that it finished the work it was given.
    fn resolve_work(&self, client: &mut Client, options: &WorkOptions) -> Result<WorkOptions, Error> {
        let mut resolved = options.clone();
        if options.jobs.is_empty() && options.migrations.is_empty() {
            return Ok(resolved);
        }
        let jobs = store::list(client, &self.table, None)
            .map_err(Error::database("cannot read the background jobs"))?;
        if let Some(&id) = options.jobs.iter().find(|id| !jobs.iter().any(|j| j.id == **id)) {
            return Err(JobError::Unknown { id }.into());
        }
        resolved.migrations.clear();
        for name in &options.migrations {
            let full = self
                .migrations
                .iter()
                .find(|m| m.name() == name.as_str() || m.version() == name.as_str())
                .map_or(name.as_str(), |m| m.name());
            if !jobs.iter().any(|j| j.migration == full) {
                return Err(JobError::NoneOf {
                    migration: name.clone(),
                    why: self.why_no_jobs(full).to_owned(),
                }
                .into());
            }
            resolved.migrations.push(full.to_owned());
        }
        Ok(resolved)
    }

    /// The worker's loop over the jobs (see [`Migrator::work`](crate::Migrator::work)).
    fn work_jobs(
        &self,
        client: &mut Client,
        options: &WorkOptions,
        deadline: Option<(Instant, Duration)>,
        name: &str,
        own: &OwnSession,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<WorkReport, Error> {
        let mut report = WorkReport::default();
        let mut skipped: Vec<i64> = Vec::new();
        loop {
            if let Some(stop) = self.interrupt.stop() {
                return Err(stop.error(format!(
                    "the worker stopped after {} batch(es); the next worker goes on from there",
                    report.batches
                )));
            }
            let jobs = store::list(client, &self.table, None)
                .map_err(Error::database("cannot read the background jobs"))?;
            let given = |job: &Job| {
                (options.jobs.is_empty() || options.jobs.contains(&job.id))
                    && (options.migrations.is_empty() || options.migrations.contains(&job.migration))
            };
            let next = jobs
                .iter()
                .find(|job| job.state == JobState::Active && !skipped.contains(&job.id) && given(job));
            let Some(job) = next.cloned() else {
                report.left = jobs
                    .into_iter()
                    .filter(|job| given(job))
                    .filter_map(|job| {
                        let why = match job.state {
                            JobState::Paused => WhyLeft::Paused,
                            JobState::Failed if !report.failed.contains(&job.id) => WhyLeft::Failed,
                            JobState::Active => WhyLeft::NotThisBinary,
                            _ => return None,
                        };
                        Some(LeftJob { job, why })
                    })
                    .collect();
                break;
            };
            let checksum = store_checksum(client, &self.table, job.id)?;
            let session = store::session_of(client, &self.table, job.id)
                .map_err(Error::database("cannot read a background job"))?;
            let enter = crate::access::session_restore_sql(
                session.search_path.as_deref().unwrap_or(&own.search_path),
                session.role.as_deref().filter(|r| *r != "none").unwrap_or(&own.role),
            );
            let spec = match definition(client, self.migrations, &job, &checksum, (&enter, &own.restore))? {
                Ok(spec) => spec,
                Err(why) if why.contains("not among this binary's") => {
                    skipped.push(job.id);
                    continue;
                }
                Err(why) => {
                    fail(client, &self.table, job.id, &why)?;
                    report.failed.push(job.id);
                    continue;
                }
            };
            let turn = JobTurn {
                migrator: self,
                job: &job,
                relation: session.relation.as_deref().unwrap_or(&job.table),
                spec: &spec,
                worker: name,
                deadline,
            };
            match self.turn_in_session(client, &turn, &session, own, &mut report, events)? {
                JobEnd::Finished => report.finished.push(job.id),
                JobEnd::Failed => report.failed.push(job.id),
                JobEnd::NotActive => {}
                JobEnd::OutOfBudget => {
                    let budget = deadline.map_or(Duration::ZERO, |(_, b)| b);
                    report.stopped = Some(format!(
                        "its time budget of {} is spent",
                        crate::error::describe_wait(budget)
                    ));
                    break;
                }
            }
        }
        Ok(report)
    }
}

impl Settings<'_> {
    /// `turn`, in the session settings of the migration that queued its job (`session`; the worker's own,
    /// `own`, for what a job queued before they were recorded lacks), put back to the worker's own after it
    /// whatever its end: its batches, the rows they pick and the check that none is left before it
    /// finishes all run where the migration ran, not wherever the worker's session points.
    fn turn_in_session(
        &self,
        client: &mut Client,
        turn: &JobTurn<'_, '_>,
        session: &JobSession,
        own: &OwnSession,
        report: &mut WorkReport,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<JobEnd, Error> {
        let path = session.search_path.as_deref().unwrap_or(&own.search_path);
        // A migration that set no role ran as its login: the worker runs as its own session does then.
        let role = session.role.as_deref().filter(|r| *r != "none").unwrap_or(&own.role);
        let entered = client.batch_execute(&crate::access::session_restore_sql(path, role));
        let ended = match entered {
            Ok(()) => turn.run(client, report, events),
            // A multi-statement query is one transaction: none of the settings stayed.
            Err(e) => {
                let why = format!(
                    "cannot take the session settings of the migration that queued it (search_path {path}, \
                     role {role}): {}",
                    describe_pg(&e)
                );
                fail(client, &self.table, turn.job.id, &why).map(|()| JobEnd::Failed)
            }
        };
        let restored = client.batch_execute(&own.restore);
        let ended = ended?;
        restored.map_err(Error::database("cannot put the worker's session settings back"))?;
        Ok(ended)
    }
}

/// The worker's session settings as it found them, and the statements that put them back.
struct OwnSession {
    search_path: String,
    role: String,
    restore: String,
}

fn own_session(client: &mut Client) -> Result<OwnSession, Error> {
    let row = client
        .query_typed_one(
            "SELECT pg_catalog.current_setting('search_path'), pg_catalog.current_setting('role')",
            &[],
        )
        .map_err(Error::database("cannot read the session's search_path and role"))?;
    let (search_path, role): (String, String) = (row.get(0), row.get(1));
    Ok(OwnSession {
        restore: crate::access::session_restore_sql(&search_path, &role),
        search_path,
        role,
    })
}

/// The host's name, for the batches' `worker` column.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn store_checksum(client: &mut Client, table: &MigrationsTable, id: i64) -> Result<String, Error> {
    client
        .query_one(&format!("SELECT checksum FROM {} WHERE id = $1", table.jobs()), &[&id])
        .map(|row| row.get(0))
        .map_err(Error::database("cannot read a background job"))
}

/// Marks job `id` failed with `error`, unless it is no longer active.
fn fail(
    conn: &mut impl GenericClient,
    table: &MigrationsTable,
    id: i64,
    error: &str,
) -> Result<(), Error> {
    conn.execute(
        &format!(
            "UPDATE {} SET state = 'failed', error = $2, updated_at = pg_catalog.clock_timestamp() \
             WHERE id = $1 AND state = 'active'",
            table.jobs()
        ),
        &[&id, &error],
    )
    .map_err(Error::database(format!("cannot record that background job {id} failed")))?;
    Ok(())
}

/// One worker's turn at one job.
struct JobTurn<'t, 'a> {
    migrator: &'t Settings<'a>,
    job: &'t Job,
    /// The table its statements name: schema-qualified as the migration that queued it resolved it (the job's
    /// `target` for a job queued before that was recorded).
    relation: &'t str,
    spec: &'t Backfill,
    worker: &'t str,
    deadline: Option<(Instant, Duration)>,
}

/// What the next pending batch came to.
/// What the throttle's wait before a batch came to.
enum Waited {
    Go,
    Again,
    Failed,
}

enum Pending {
    Ran { rows: u64 },
    /// The claimed batch is in another worker's hands (it took it as one no worker held), or done.
    None,
    /// The job is no longer active.
    NotActive,
}

/// Why a batch failed; its transaction was rolled back.
#[derive(Debug)]
struct BatchFailed {
    /// The batch, once it was taken.
    batch: Option<i64>,
    error: String,
    lock_timeout: bool,
}

impl BatchFailed {
    fn query(batch: Option<i64>) -> impl FnOnce(postgres::Error) -> BatchFailed {
        move |e| BatchFailed {
            batch,
            lock_timeout: crate::error::is_lock_timeout(&e),
            error: describe_pg(&e),
        }
    }
}

impl LockTimeout for BatchFailed {
    fn is_lock_timeout(&self) -> bool {
        self.lock_timeout
    }

    fn reason(&self) -> String {
        self.error.clone()
    }
}

impl JobTurn<'_, '_> {
    fn table(&self) -> &MigrationsTable {
        &self.migrator.table
    }

    fn run(
        &self,
        client: &mut Client,
        report: &mut WorkReport,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<JobEnd, Error> {
        let (job, spec, migrator) = (self.job, self.spec, self.migrator);
        let keys = match primary_key(client, self.relation) {
            Ok(keys) => keys,
            Err(cause) => {
                fail(client, self.table(), job.id, &cause.to_string())?;
                return Ok(JobEnd::Failed);
            }
        };
        let exec = Executor::new(self.relation.to_owned(), keys, spec);
        let settings = &migrator.backfill;
        let mut sizer = BatchSizer::of(spec, settings);
        let total = job.estimated_rows.max(job.rows_done);
        // A dense integer key's ranges are computed, not read from the index, as an inline walk's are. The
        // cursor is the job's, read at each claim.
        let mut dense = exec
            .dense_key(client, None, total, sizer.adapts())
            .map_err(Error::database(format!(
                "cannot read the bounds of the primary key of background job {}",
                job.id
            )))?;
        let mut throttle = Throttle::new(throttle::Resolved::of(spec, settings), self.relation);
        let retry = LockRetry {
            name: &job.migration,
            budget: migrator.timeouts.retry_budget.min(settings.max_pause),
            interrupt: Some(&migrator.interrupt),
            watch: None,
        };
        let started = Instant::now();
        let mut remaining = Remaining::default();
        let mut rows_here = 0u64;
        // The range this worker just claimed, if any: it runs next.
        let mut claimed: Option<i64> = None;
        loop {
            if let Some(stop) = migrator.interrupt.stop() {
                return Err(stop.error(format!(
                    "the worker stopped after {} batch(es) (background job {}: {} row(s) by this worker); \
                     the next worker goes on from there",
                    report.batches, job.id, rows_here
                )));
            }
            if self.deadline.is_some_and(|(at, _)| Instant::now() >= at) {
                return Ok(JobEnd::OutOfBudget);
            }
            // The range this worker just claimed runs at once: the wait before the claim was its batch's.
            let Some(batch) = claimed.take() else {
                match self.wait(client, &mut throttle, events)? {
                    Waited::Go => {}
                    Waited::Again => continue,
                    Waited::Failed => return Ok(JobEnd::Failed),
                }
                // The claim finds a pending batch no worker holds too: one transaction a batch looks for both.
                match self.claim(client, &exec, &mut dense, sizer.next())? {
                    Claim::Claimed(batch) => claimed = Some(batch),
                    Claim::NotActive => return Ok(JobEnd::NotActive),
                    Claim::Exhausted => {
                        if let Some(end) = self.exhausted(client, &exec, &mut dense, report)? {
                            if end == JobEnd::Finished {
                                events(Event::BackfillFinished {
                                    name: &job.migration,
                                    table: &job.table,
                                    rows: rows_here,
                                    restored: false,
                                    elapsed: started.elapsed(),
                                    pauses: throttle.totals(),
                                });
                            }
                            return Ok(end);
                        }
                    }
                }
                continue;
            };
            let limit = sizer.next();
            let batch_started = Instant::now();
            let ran = retry.run(events, |_| {
                let _running = migrator.interrupt.batch().map_err(|_| BatchFailed {
                    batch: None,
                    error: "a stop was requested".to_owned(),
                    lock_timeout: false,
                })?;
                self.pending(client, &exec, batch)
            });
            match ran {
                Ok(Pending::Ran { rows }) => {
                    // The range's size is what the next one is sized in: keys walked, whether they matched
                    // the condition or not (as an inline backfill's walk adapts). By the rows it updated, a
                    // condition matching a fifth of the rows shrank the ranges to a few hundred keys.
                    sizer.observe(u64::from(limit).max(rows).max(1), batch_started.elapsed());
                    rows_here += rows;
                    report.rows += rows;
                    report.batches += 1;
                    let done = job.rows_done + rows_here;
                    let worked = started.elapsed().saturating_sub(throttle.paused());
                    events(Event::Backfill {
                        name: &job.migration,
                        table: &job.table,
                        done,
                        total: total.max(done),
                        rate: rows_here as f64 / started.elapsed().as_secs_f64().max(1e-3),
                        batch_size: sizer.next(),
                        remaining: remaining.after_batch(worked, done, total.max(done)),
                    });
                    if let Some(stop) = migrator.interrupt.sleep(spec.pause_between_batches()) {
                        return Err(stop.error(format!(
                            "the worker stopped after {} batch(es); the next worker goes on from there",
                            report.batches
                        )));
                    }
                }
                Ok(Pending::NotActive) => return Ok(JobEnd::NotActive),
                // Another worker took the batch between its claim and now: the next claim finds another.
                Ok(Pending::None) => {}
                Err(GaveUp::Interrupted { stop, .. }) => {
                    return Err(stop.error(format!(
                        "the worker stopped after {} batch(es)",
                        report.batches
                    )))
                }
                Err(gave_up) => {
                    let failed = gave_up.into_error();
                    if let Some(stop) = migrator.interrupt.stop() {
                        return Err(stop.error(format!(
                            "the worker stopped after {} batch(es); its batch in progress was rolled back, and the next \
                             worker goes on from there",
                            report.batches
                        )));
                    }
                    if self.record_failure(client, &failed)? {
                        return Ok(JobEnd::Failed);
                    }
                }
            }
        }
    }

    /// The throttle's wait before a batch. A worker has no deploy waiting on it: a long pause is waited out,
    /// and looked at again.
    fn wait(
        &self,
        client: &mut Client,
        throttle: &mut Throttle,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Waited, Error> {
        let (job, migrator) = (self.job, self.migrator);
        match throttle.wait(client, &job.migration, &migrator.interrupt, events) {
            Ok(()) => Ok(Waited::Go),
            Err(Stopped::TooLong { .. } | Stopped::Unanswered { .. }) => Ok(Waited::Again),
            Err(Stopped::Interrupted(stop)) => Err(stop.error(format!(
                "the worker stopped while its batches waited (background job {})",
                job.id
            ))),
            Err(Stopped::Failed(cause)) => {
                fail(client, self.table(), job.id, &cause.to_string())?;
                Ok(Waited::Failed)
            }
        }
    }

    /// No range is left to claim: how the job ends, or `None` to look again (ranges other workers hold
    /// are still running, or the table is walked again for rows left).
    fn exhausted(
        &self,
        client: &mut Client,
        exec: &Executor<'_>,
        dense: &mut Option<DenseKey>,
        report: &WorkReport,
    ) -> Result<Option<JobEnd>, Error> {
        Ok(match self.finish(client, exec, dense)? {
            Finish::Finished => Some(JobEnd::Finished),
            Finish::InFlight => {
                if let Some(stop) = self.migrator.interrupt.sleep(IN_FLIGHT_WAIT) {
                    return Err(stop.error(format!("the worker stopped after {} batch(es)", report.batches)));
                }
                None
            }
            Finish::Again => None,
            Finish::Failed => Some(JobEnd::Failed),
            Finish::NotActive => Some(JobEnd::NotActive),
        })
    }

    /// The claimed batch `batch`, in one transaction: the job's row `FOR SHARE` (a pause or cancel waits
    /// for the batch, and no batch starts after one), the batch's row `FOR UPDATE SKIP LOCKED` (`None` when
    /// another worker holds it or it is no longer pending), the executor's work over its range, and the row
    /// marked done. SQL work in three round trips (see `one_trip`): the transaction begun with both rows
    /// locked and read, the UPDATE, and the row marked done with the COMMIT.
    fn pending(
        &self,
        client: &mut Client,
        exec: &Executor<'_>,
        batch: i64,
    ) -> Result<Pending, BatchFailed> {
        if !matches!(self.spec.work(), BatchWork::Set(_)) {
            return self.pending_with_code(client, exec, batch);
        }
        let (job, table) = (self.job, self.table());
        let id = job.id;
        let sql = format!(
            "BEGIN; SELECT state FROM {} WHERE id = {id} FOR SHARE; \
             SELECT pg_catalog.array_to_json(after_key)::text, pg_catalog.array_to_json(last_key)::text \
             FROM {} WHERE job = {id} AND id = {batch} AND state = 'pending' AND attempts < {MAX_BATCH_ATTEMPTS} \
             FOR UPDATE SKIP LOCKED",
            table.jobs(),
            table.job_batches()
        );
        let (mut open, sent) = one_trip::begin(client, &sql).map_err(|f| BatchFailed::query(None)(f.error))?;
        let rows = sent.rows();
        // Statements 0 to 2: BEGIN, the job's row, the batch's.
        if !rows.iter().any(|(at, row)| *at == 1 && row.get(0) == Some("active")) {
            return Ok(Pending::NotActive);
        }
        let Some((_, row)) = rows.iter().find(|(at, _)| *at == 2) else {
            return Ok(Pending::None);
        };
        let after = one_trip::key_of_json(row.get(0));
        let broken = |error: &str| BatchFailed {
            batch: Some(batch),
            error: error.to_owned(),
            lock_timeout: false,
        };
        let last = one_trip::key_of_json(row.get(1)).ok_or_else(|| broken("its batch has no last key"))?;
        let update = exec
            .update_sql(&after, &last)
            .ok_or_else(|| broken("a background job runs its SQL as one UPDATE"))?;
        let rows = open
            .send(&update)
            .map_err(|f| BatchFailed::query(Some(batch))(f.error))?
            .counts()
            .first()
            .copied()
            .unwrap_or(0);
        open.commit_with(&format!(
            "UPDATE {} SET state = 'done', rows = {rows}, worker = {}, done_at = pg_catalog.clock_timestamp() \
             WHERE job = {id} AND id = {batch}",
            table.job_batches(),
            migrate_dsl::literal(self.worker)
        ))
        .map_err(|f| BatchFailed::query(Some(batch))(f.error))?;
        Ok(Pending::Ran { rows })
    }

    /// [`JobTurn::pending`] for Rust batch code, which gets the transaction: each statement its own
    /// round trip.
    fn pending_with_code(
        &self,
        client: &mut Client,
        exec: &Executor<'_>,
        batch: i64,
    ) -> Result<Pending, BatchFailed> {
        let (job, table) = (self.job, self.table());
        let mut tx = client.transaction().map_err(BatchFailed::query(None))?;
        let state = tx
            .query_typed(
                &format!("SELECT state FROM {} WHERE id = $1 FOR SHARE", table.jobs()),
                &[(&job.id, Type::INT8)],
            )
            .map_err(BatchFailed::query(None))?;
        if state.first().map(|row| row.get::<_, &str>(0)) != Some("active") {
            return Ok(Pending::NotActive);
        }
        let taken = tx
            .query_typed(
                &format!(
                    "SELECT after_key, last_key FROM {} WHERE job = $1 AND id = $2 AND state = 'pending' \
                     AND attempts < $3 FOR UPDATE SKIP LOCKED",
                    table.job_batches()
                ),
                &[(&job.id, Type::INT8), (&batch, Type::INT8), (&MAX_BATCH_ATTEMPTS, Type::INT4)],
            )
            .map_err(BatchFailed::query(None))?;
        let Some(row) = taken.first() else {
            return Ok(Pending::None);
        };
        let after: Option<Vec<String>> = row.get(0);
        let last: Vec<String> = row.get(1);
        let rows = self.work(&mut tx, exec, batch, &after, &last)?;
        tx.query_typed(
            &format!(
                "UPDATE {} SET state = 'done', rows = $3, worker = $4, done_at = pg_catalog.clock_timestamp() \
                 WHERE job = $1 AND id = $2",
                table.job_batches()
            ),
            &[
                (&job.id, Type::INT8),
                (&batch, Type::INT8),
                (&i64::try_from(rows).unwrap_or(i64::MAX), Type::INT8),
                (&self.worker, Type::TEXT),
            ],
        )
        .map_err(BatchFailed::query(Some(batch)))?;
        tx.commit().map_err(BatchFailed::query(Some(batch)))?;
        Ok(Pending::Ran { rows })
    }

    /// The batch's work over the key range `(after, last]`, as the executor runs every batch: the UPDATE,
    /// or the Rust code over its rows (locked until the batch commits, as an inline backfill's are).
    fn work(
        &self,
        tx: &mut postgres::Transaction<'_>,
        exec: &Executor<'_>,
        batch: i64,
        after: &Option<Vec<String>>,
        last: &Vec<String>,
    ) -> Result<u64, BatchFailed> {
        let (job, spec) = (self.job, self.spec);
        let failed = |error: &str| BatchFailed {
            batch: Some(batch),
            error: error.to_owned(),
            lock_timeout: false,
        };
        let code = match spec.work() {
            BatchWork::Set(_) => None,
            BatchWork::Rust(_) => {
                let Some(migration) = self.migrator.migrations.iter().find(|m| m.name() == job.migration)
                else {
                    return Err(failed("its migration is not among this binary's"));
                };
                Some(UserCode {
                    migration: *migration,
                    position: job.position,
                    op: "backfill",
                    transactional: false,
                })
            }
            BatchWork::Restore { .. } => return Err(failed("a background job does not restore kept values")),
        };
        exec.run_range(tx, after, last, code).map_err(|e| match e {
            BatchError::Query(e) | BatchError::Commit(e) => BatchFailed::query(Some(batch))(e),
            BatchError::Code(DataCause::BatchReturned(e)) => {
                failed(&format!("its batch code returned an error: {e}"))
            }
            BatchError::Code(DataCause::BatchPanicked(message)) => {
                failed(&format!("its batch code panicked: {message}"))
            }
            other => failed(&other.reason()),
        })
    }

    /// Counts a failed attempt at its batch; the job fails once a batch failed
    /// [`MAX_BATCH_ATTEMPTS`] times. Returns whether the job failed.
    fn record_failure(&self, client: &mut Client, failed: &BatchFailed) -> Result<bool, Error> {
        let (job, table) = (self.job, self.table());
        let Some(batch) = failed.batch else {
            // It failed before it took a batch (reading the job): nothing to count it against.
            fail(client, table, job.id, &failed.error)?;
            return Ok(true);
        };
        let attempts: i32 = client
            .query_one(
                &format!(
                    "UPDATE {} SET attempts = attempts + 1, error = $3 WHERE job = $1 AND id = $2 RETURNING attempts",
                    table.job_batches()
                ),
                &[&job.id, &batch, &failed.error],
            )
            .map_err(Error::database(format!("cannot record a failed batch of background job {}", job.id)))?
            .get(0);
        if attempts < MAX_BATCH_ATTEMPTS {
            return Ok(false);
        }
        fail(
            client,
            table,
            job.id,
            &format!("a batch failed {attempts} times, last: {}", failed.error),
        )?;
        Ok(true)
    }
}
