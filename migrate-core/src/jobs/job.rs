//! A background job as data: its state, its progress, what a worker is asked to do and did, and why a job
//! keeps a migration waiting. Nothing here reads the database, so the crate's error type can hold a
//! [`JobError`] without depending on the jobs' machinery.

use std::time::Duration;

/// How many times a batch may fail (other than on a lock timeout, which is retried) before its job is
/// marked failed.
pub const MAX_BATCH_ATTEMPTS: i32 = 3;

/// Where a background job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Workers run its batches.
    Active,
    /// Paused by `migrate jobs pause`: no batch starts until it is resumed.
    Paused,
    /// A batch failed [`MAX_BATCH_ATTEMPTS`] times, or rows were left; `migrate jobs retry` resumes it.
    Failed,
    /// Every range is done and no row is left.
    Finished,
    /// Cancelled by `migrate jobs cancel`, or because its migration was reverted.
    Cancelled,
}

impl JobState {
    pub(crate) fn parse(text: &str) -> JobState {
        match text {
            "paused" => JobState::Paused,
            "failed" => JobState::Failed,
            "finished" => JobState::Finished,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Active,
        }
    }

    /// The state as the jobs table and the listing write it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Active => "active",
            JobState::Paused => "paused",
            JobState::Failed => "failed",
            JobState::Finished => "finished",
            JobState::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A queued job and its progress, as `migrate jobs` lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Job {
    pub id: i64,
    /// The migration that queued it.
    pub migration: String,
    /// The backfill's 1-based position in the migration's `up`.
    pub position: usize,
    /// The table it fills, quoted.
    pub table: String,
    pub state: JobState,
    /// Why it failed, when it did (the last batch error).
    pub error: Option<String>,
    /// The walk over the table it is on: 1, then one more for each walk again for rows that still matched.
    pub walk: u32,
    /// When it was queued (UTC).
    pub queued_at: String,
    /// The table's rows as the planner knew them when the job was queued.
    pub estimated_rows: u64,
    pub rows_done: u64,
    pub batches_done: u64,
    /// Batches claimed and not yet committed: in progress, or left by a stopped worker for the next one.
    pub batches_pending: u64,
    /// From the first batch's claim to the last one's commit.
    pub seconds: Option<f64>,
}

impl Job {
    /// The rate so far, rows per second.
    pub fn rate(&self) -> Option<f64> {
        self.seconds
            .filter(|s| *s > 0.0)
            .map(|s| self.rows_done as f64 / s)
    }

    /// The time left at the rate so far, from the table's estimated size; none once the job ended, or
    /// before a rate is known.
    pub fn time_left(&self) -> Option<Duration> {
        if self.state != JobState::Active && self.state != JobState::Paused {
            return None;
        }
        let rate = self.rate()?;
        let left = self.estimated_rows.saturating_sub(self.rows_done) as f64;
        Some(Duration::from_secs_f64(left / rate))
    }

    /// One line: `job 3 (20261201000002_fill #1, "users"): active, 41000 of about 100000 rows, 41 batches`.
    pub fn summary(&self) -> String {
        let of = match self.estimated_rows {
            0 => String::new(),
            n => format!(" of about {n}"),
        };
        format!(
            "job {} ({} #{}, {}): {}, {} row(s){of} in {} batch(es)",
            self.id,
            self.migration,
            self.position,
            self.table,
            self.state,
            self.rows_done,
            self.batches_done
        )
    }
}

/// A change `migrate jobs` makes to one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobChange {
    /// No batch starts until it is resumed; batches in progress commit.
    Pause,
    /// A paused job goes on.
    Resume,
    /// A failed or cancelled job goes on, its failed batches with their attempts back; the job takes the
    /// migration's definition as this binary has it.
    Retry,
    /// No batch starts again; what committed stays.
    Cancel,
}

impl JobChange {
    pub(super) fn verb(self) -> &'static str {
        match self {
            JobChange::Pause => "pause",
            JobChange::Resume => "resume",
            JobChange::Retry => "retry",
            JobChange::Cancel => "cancel",
        }
    }

    /// The verb's past participle, written out: English does not make it by appending letters
    /// ("cancelled", "retried").
    pub(super) fn done(self) -> &'static str {
        match self {
            JobChange::Pause => "paused",
            JobChange::Resume => "resumed",
            JobChange::Retry => "retried",
            JobChange::Cancel => "cancelled",
        }
    }

    /// The states it applies to, and the state it leaves.
    pub(super) fn transition(self) -> (&'static [JobState], JobState) {
        match self {
            JobChange::Pause => (&[JobState::Active], JobState::Paused),
            JobChange::Resume => (&[JobState::Paused], JobState::Active),
            JobChange::Retry => (&[JobState::Failed, JobState::Cancelled], JobState::Active),
            JobChange::Cancel => (
                &[JobState::Active, JobState::Paused, JobState::Failed],
                JobState::Cancelled,
            ),
        }
    }
}

/// What a worker did ([`Migrator::work`]).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct WorkReport {
    /// Rows this worker did, over all jobs.
    pub rows: u64,
    /// Batches this worker committed.
    pub batches: u64,
    /// Jobs that finished in this run (by this worker's last step).
    pub finished: Vec<i64>,
    /// Jobs that failed in this run.
    pub failed: Vec<i64>,
    /// Why the worker stopped with jobs left: its time budget (none when the queue ran empty).
    pub stopped: Option<String>,
    /// The jobs it was given that are left unfinished with no active one to run (none once it stopped on its
    /// budget): paused, failed before this run, or of a migration this binary does not have. A worker that
    /// ran out of work while one of these waits has not finished the work it was given; its report names
    /// each, with why.
    pub left: Vec<LeftJob>,
}

/// A job a worker was given and left unfinished, though it ran out of active jobs ([`WorkReport::left`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LeftJob {
    pub job: Job,
    pub why: WhyLeft,
}

/// Why a worker left a job unfinished ([`LeftJob`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhyLeft {
    /// Paused: no batch starts until it is resumed.
    Paused,
    /// It failed before this run (its error is the job's); it goes on once retried.
    Failed,
    /// Its migration is not among this binary's (a newer release queued it): that release's workers run it.
    NotThisBinary,
}

/// What a worker works on ([`Migrator::work`]).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WorkOptions {
    /// Only these jobs (ids); all active ones when empty.
    pub jobs: Vec<i64>,
    /// Only the jobs of these migrations; all when empty.
    pub migrations: Vec<String>,
    /// Stop after this long, after the batch in progress (the next worker goes on from there).
    pub budget: Option<Duration>,
    /// The worker's name in the batches it commits; the host and process id when empty.
    pub name: String,
}

impl WorkOptions {
    /// Only the jobs of `migration`.
    pub fn migration(mut self, migration: impl Into<String>) -> Self {
        self.migrations.push(migration.into());
        self
    }

    /// Only job `id`.
    pub fn job(mut self, id: i64) -> Self {
        self.jobs.push(id);
        self
    }

    /// Stops after `budget`, after the batch in progress.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The worker's name, as the batches record it.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// Why a background job keeps a migration waiting, or why a change to a job is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// A migration requires jobs that have not finished.
    #[error(
        "migration {migration} requires the background jobs of {required} to have finished, and {}: let the \
         job workers finish them, or finish them in this run",
        jobs.iter().map(Job::summary).collect::<Vec<_>>().join("; ")
    )]
    Unfinished {
        migration: String,
        required: String,
        jobs: Vec<Job>,
    },
    /// A gate names a migration that is not applied, or that queued no job.
    #[error("migration {migration} requires the background jobs of {required}, but {why}")]
    NoJobs {
        migration: String,
        required: String,
        why: String,
    },
    /// No job has that id.
    #[error("there is no background job {id} (`migrate jobs` lists them)")]
    Unknown { id: i64 },
    /// A worker was asked for the jobs of a migration that has none.
    #[error("there is no background job of migration {migration:?}: {why}")]
    NoneOf { migration: String, why: String },
    /// The job is not in a state the change applies to.
    #[error("background job {id} is {state}: only a job that is {allowed} can be {done}")]
    WrongState {
        id: i64,
        state: JobState,
        allowed: String,
        /// The change, as a past participle (`cancelled`).
        done: &'static str,
    },
    /// A job's migration is not among this binary's, or changed since the job was queued.
    #[error("background job {id} ({migration} #{position}): {why}")]
    Definition {
        id: i64,
        migration: String,
        position: usize,
        why: String,
    },
    /// A job ended failed in this run (its last batch error).
    #[error("background job {id} ({migration} #{position}) failed: {error}; fix the cause, then `migrate jobs retry {id}`")]
    Failed {
        id: i64,
        migration: String,
        position: usize,
        error: String,
    },
}
