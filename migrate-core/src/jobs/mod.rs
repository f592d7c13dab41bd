//! Background jobs: backfills that a migration queues ([`migrate_dsl::Backfill::in_background`]) instead of
//! running, executed after the deploy by workers ([`Migrator::work`](crate::Migrator::work)) that share the
//! batches through the database, and gates that keep a later migration waiting until they finished.
//!
//! - `job`: what a job is, where it stands, and why one keeps a migration waiting (plain data, which the
//!   crate's error type holds);
//! - `store`: the jobs and batches tables, queueing, cancelling, state changes and the listing;
//! - `worker`: the worker loop: claim a key range, run it as one batch committed with its row, finish the
//!   job once every range is done and no row is left.


use crate::error::Error;
use crate::settings::Settings;

pub(crate) mod job;
mod store;
mod worker;

pub use job::{
    Job, JobChange, JobError, JobState, LeftJob, WhyLeft, WorkOptions, WorkReport, MAX_BATCH_ATTEMPTS,
};
pub(crate) use store::{cancel_of, queue};

/// `active`, `failed or cancelled`, `active, paused or failed`.
fn one_of(states: &[JobState]) -> String {
    match states {
        [] => String::new(),
        [one] => one.as_str().to_owned(),
        [first @ .., last] => format!(
            "{} or {last}",
            first.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

impl<'a> Settings<'a> {
    /// [`Migrator::jobs`](crate::Migrator::jobs).
    pub fn jobs(&self, client: &mut postgres::Client) -> Result<Vec<Job>, Error> {
        store::list(client, &self.table, None)
            .map_err(Error::database("cannot read the background jobs"))
    }

    /// [`Migrator::change_job`](crate::Migrator::change_job).
    pub fn change_job(
        &self,
        client: &mut postgres::Client,
        id: i64,
        change: JobChange,
    ) -> Result<Job, Error> {
        let (from, to) = change.transition();
        let before = store::change_state(client, &self.table, id, from, to)
            .map_err(Error::database(format!("cannot {} background job {id}", change.verb())))?
            .ok_or(JobError::Unknown { id })?;
        if !from.contains(&before) {
            return Err(JobError::WrongState {
                id,
                state: before,
                allowed: one_of(from),
                done: change.done(),
            }
            .into());
        }
        if change == JobChange::Retry {
            worker::take_current_definition(client, &self.table, self.migrations, id)?;
        }
        self.jobs(client)?
            .into_iter()
            .find(|j| j.id == id)
            .ok_or_else(|| JobError::Unknown { id }.into())
    }

    /// Checks the gates of `migration`, the migrations whose jobs it requires (`required`, from its
    /// [`require_background_jobs`](migrate_dsl::MigrationBuilder::require_background_jobs)): every job of each
    /// finished. With `finish`, runs what is left of them first.
    pub(crate) fn check_gates(
        &self,
        client: &mut postgres::Client,
        migration: &crate::Migration,
        required: &[&str],
        finish: bool,
        events: &mut dyn FnMut(crate::Event<'_>),
    ) -> Result<(), Error> {
        for &required in required {
            let jobs = self.jobs_of(client, required)?;
            if jobs.is_empty() {
                return Err(JobError::NoJobs {
                    migration: migration.name().to_owned(),
                    required: required.to_owned(),
                    why: self.why_no_jobs(required).to_owned(),
                }
                .into());
            }
            let jobs = if finish {
                self.work(client, &WorkOptions::default().migration(required), events)?;
                self.jobs_of(client, required)?
            } else {
                jobs
            };
            // The newest job of each backfill (its operation and table: a key's widening queues one per
            // table): an earlier one was cancelled by a revert.
            let mut newest: Vec<Job> = Vec::new();
            for job in jobs {
                newest.retain(|j| (j.position, &j.table) != (job.position, &job.table));
                newest.push(job);
            }
            let unfinished: Vec<Job> = newest
                .into_iter()
                .filter(|j| j.state != JobState::Finished)
                .collect();
            if !unfinished.is_empty() {
                return Err(JobError::Unfinished {
                    migration: migration.name().to_owned(),
                    required: required.to_owned(),
                    jobs: unfinished,
                }
                .into());
            }
        }
        Ok(())
    }

    /// The jobs `migration` queued, oldest first.
    fn jobs_of(&self, client: &mut postgres::Client, migration: &str) -> Result<Vec<Job>, Error> {
        store::list(client, &self.table, Some(migration))
            .map_err(Error::database("cannot read the background jobs"))
    }

    /// Why a migration has no jobs recorded.
    fn why_no_jobs(&self, migration: &str) -> &'static str {
        match self.migrations.iter().find(|m| m.name() == migration) {
            None => "no migration has that name",
            Some(m) if !worker::queues_jobs(m) => "that migration queues no background job",
            Some(_) => "it has not queued them: is it applied?",
        }
    }
}
