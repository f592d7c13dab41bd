//! Data code (`pgm.db`) and backfills that failed or stopped.

use super::*;

/// Data code (`pgm.db`) or a backfill that failed, with where it was recorded.
#[derive(Debug)]
#[non_exhaustive]
pub struct DataError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation in the migration.
    pub position: usize,
    /// The operation: `db` or `backfill`.
    pub op: &'static str,
    /// The line of the operation's call (`pgm.xxx(..)`) in the migration file, when it was recorded there.
    pub line: Option<u32>,
    /// Why it failed.
    pub cause: DataCause,
    /// What happened to the migration's earlier statements.
    pub outcome: Outcome,
    /// For a backfill: what it committed before it failed.
    pub backfill: Option<BackfillProgress>,
}

/// How far a failed backfill got. Each batch commits with its progress, so running the migration again
/// resumes after the last committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackfillProgress {
    /// Batches committed by this run.
    pub batches: u64,
    /// Rows done in all, earlier interrupted runs included.
    pub rows: u64,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = At::new(&self.name, &self.path, self.line, self.position, self.op);
        writeln!(
            f,
            "{} failed in `{}` {}: {}",
            at.migration(),
            self.direction,
            at.operation(),
            self.cause
        )?;
        if let Some(progress) = self.backfill {
            writeln!(
                f,
                "  {} batch(es) of this backfill were committed before it stopped ({} rows done so far), each with \
                 its position: running it again resumes after the last committed batch",
                progress.batches, progress.rows
            )?;
        }
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// Why data code (`pgm.db`) or a backfill failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataCause {
    /// The data code returned this error (a `postgres::Error` shows the server's full description).
    #[error("{}", describe_data_error(.0.as_ref()))]
    Returned(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The data code panicked with this message.
    #[error("panicked: {0}")]
    Panicked(String),
    /// A backfill's Rust batch code returned this error.
    #[error("the batch code failed: {}", describe_data_error(.0.as_ref()))]
    BatchReturned(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A backfill's Rust batch code panicked with this message.
    #[error("the batch code panicked: {0}")]
    BatchPanicked(String),
    /// A query around the code failed: its transaction, a backfill's batch, or the backfill's progress.
    #[error("{context}: {}", describe_pg(.source))]
    Database {
        context: String,
        #[source]
        source: postgres::Error,
    },
    /// The `down` of a backfill that kept the values it overwrote found them gone.
    #[error(
        "the values the backfill at position {up_position} of the up kept of {table} are gone (dropped by a \
         migration's drop_kept_values, or by a drop of the kept values), so this down cannot put them back; write a `down` \
         of its own (an empty one keeps the table as the backfill left it)"
    )]
    KeptValuesGone { table: String, up_position: usize },
    /// The values a backfill overwrites cannot be kept.
    #[error("{problem}")]
    CannotKeep { problem: String },
    /// The engine met a state its own code should never produce.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The backfill's table has no primary key to walk.
    #[error("{table} has no primary key; a backfill walks the primary key in batches")]
    NoPrimaryKey { table: String },

    /// Rows still matched the backfill's condition after it walked its table again for them.
    #[error(
        "{rows} row(s) of {table} still match the backfill's condition ({condition}) after {walks} walks of \
         the table: something keeps writing rows it was to fill (an app version that does not fill them, or \
         a trigger missing), so it is not done; fill them in the writer (or fix the condition) and run it again"
    )]
    RowsLeft {
        table: String,
        condition: String,
        rows: u64,
        walks: u32,
    },
    /// Every attempt at a backfill's batch hit `lock_timeout` until the retry budget was spent.
    #[error("a batch kept hitting lock_timeout: {}{}", describe_pg(.source), blocked.as_ref().map(|b| format!("; the last attempt was {b}")).unwrap_or_default())]
    LockTimeout {
        #[source]
        source: postgres::Error,
        /// Who blocked the last attempt, when the run watched its locks.
        blocked: Option<crate::blockers::Blocked>,
    },
    /// A stop was requested ([`crate::Interrupt`]); the backfill stopped after a committed batch.
    #[error(
        "stopped on {} after a committed batch ({done} of {total} rows done); run `up` again to resume",
        crate::error::signal_name(*signal)
    )]
    Interrupted { signal: i32, done: u64, total: u64 },
    /// The run's time budget was spent; the backfill stopped after a committed batch.
    #[error(
        "the run's time budget of {} is spent; stopped after a committed batch ({done} of {total} rows done); run `up` again to resume",
        crate::error::describe_wait(*budget)
    )]
    OutOfTime {
        budget: std::time::Duration,
        done: u64,
        total: u64,
    },
    /// Standbys stream from the server, and the role may not read how far behind they are: without
    /// `pg_read_all_stats` (or superuser), `pg_stat_replication` shows another role's walsenders with their
    /// pid only. Raised before the backfill's first batch, or the batch it would have waited before.
    #[error(
        "cannot tell how far the standbys behind walsender pid(s) {} are: role {role:?} may not read their positions \
         in pg_stat_replication; `GRANT pg_read_all_stats TO {role}` (as a superuser), or run without watching \
         replicas (a max_replica_lag of \"off\" for the run, or .max_replica_lag(LagLimit::off()) on the \
         backfill)",
        .walsenders.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
    )]
    ReplicaLagHidden { role: String, walsenders: Vec<i32> },
    /// The backfill's `pause_while` query failed or did not return a boolean.
    #[error("the pause_while query `{sql}` cannot tell whether to wait: {problem}; fix the query in migrate.toml ([backfill] pause_while) or on the backfill")]
    PauseQuery { sql: String, problem: String },
    /// One pause before a batch lasted `max_pause` without its cause clearing; the backfill stopped after a
    /// committed batch.
    #[error(
        "waited {} for the server before the next batch, the longest one pause may last (max_pause), and it still \
         says: {cause}; stopped after {done} of {total} rows; run `up` again to resume once that is over",
        crate::error::describe_wait(*waited)
    )]
    PausedTooLong {
        cause: crate::throttle::PauseCause,
        waited: std::time::Duration,
        done: u64,
        total: u64,
    },
    /// A check before a batch (the `pause_while` query, the standbys' positions) did not answer within what
    /// remained of `max_pause`, and the server cancelled it; the backfill stopped after a committed batch.
    #[error(
        "{check} did not answer within {} (max_pause), so the server cancelled it; stopped after {done} of {total} \
         rows; run `up` again to resume once it answers",
        crate::error::describe_wait(*max_pause)
    )]
    CheckUnanswered {
        check: String,
        max_pause: std::time::Duration,
        done: u64,
        total: u64,
    },
}

impl DataCause {
    /// A query around the code that failed, with what it was for.
    pub(crate) fn database(
        context: impl Into<String>,
    ) -> impl FnOnce(postgres::Error) -> DataCause {
        let context = context.into();
        move |source| DataCause::Database { context, source }
    }
}
