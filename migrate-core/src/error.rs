//! The engine's errors. Each names the migration (and its file) or the value at fault.

use migrate_dsl::DslError;

use crate::history::Failure;
use crate::direction::Direction;
use crate::source::SourceError;
use crate::sql_excerpt::{excerpt, Caret, Failing};

mod ahead;
mod at;
mod data;
mod not_owned;
mod precondition;
mod read_only;
mod record;
mod squash;
mod statement;
mod transaction_ended;
mod words;

pub use data::{BackfillProgress, DataCause, DataError};
pub use not_owned::NotOwnedError;
pub use precondition::PreconditionError;
pub use read_only::ReadOnlyError;
use at::At;
pub use record::{RecordError, RestoreError};
pub use squash::SquashError;
use record::outcome_line;
pub use statement::{Outcome, StatementError};
pub use transaction_ended::TransactionEnded;
pub(crate) use words::describe_wait;
pub use ahead::ahead_note;
pub use words::signal_name;

/// Everything that can stop a migration run. Messages are lower-case, without a trailing period, and say what
/// to do next where there is something to do.
///
/// The message (`Display`) is complete: it describes the causes too, in the server's words where the server
/// failed. The causes themselves are in the [`source`](std::error::Error::source) chain, for programs: the
/// `postgres::Error` of a failed statement or query, the error data code returned. So a report that prints
/// each source after the error (anyhow's `{:#}`) repeats them; print the error alone, or stop the chain at
/// it (as the CLI does).
///
/// ```
/// # fn failed(error: &migrate_core::Error) {
/// use std::error::Error as _;
/// // The server's error behind a failure, wherever it is in the chain.
/// let mut cause = error.source();
/// while let Some(e) = cause {
///     if let Some(pg) = e.downcast_ref::<migrate_core::postgres::Error>() {
///         println!("SQLSTATE {:?}", pg.code());
///     }
///     cause = e.source();
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A recorded operation is invalid or cannot be reversed.
    #[error("migration {name} ({path}), `{direction}`: {error}")]
    Invalid {
        name: String,
        path: String,
        direction: Direction,
        #[source]
        error: DslError,
    },
    /// The migration's own code panicked while recording.
    #[error("migration {name} ({path}) panicked while recording `{direction}`: {message}")]
    Panicked {
        name: String,
        path: String,
        direction: Direction,
        message: String,
    },
    /// The server rejected a statement; the migration's transaction was rolled back.
    #[error(transparent)]
    Statement(Box<StatementError>),
    /// Data code (`pgm.db`) or a backfill failed; the migration's transaction was rolled back.
    #[error(transparent)]
    Data(Box<DataError>),
    /// An `IF [NOT] EXISTS` the engine added to a typed operation would have skipped an object that is not
    /// this migration's own (or a leftover drop would have dropped one): refused before the statement ran.
    #[error(transparent)]
    NotOwned(Box<NotOwnedError>),
    /// A derived `down` cannot put back what a `CREATE OR REPLACE` of the `up` replaced.
    #[error(transparent)]
    Restore(Box<RestoreError>),
    /// A migration's own precondition did not hold (or could not be checked): nothing of it ran.
    #[error(transparent)]
    Precondition(Box<PreconditionError>),
    /// A repeatable migration failed; its transaction was rolled back and its checksum not recorded, so the
    /// next `up` tries it again.
    #[error(
        "repeatable migration {name} ({path}) failed and was rolled back (nothing of it was applied or recorded): {}",
        describe_pg(error)
    )]
    Repeatable {
        name: String,
        path: String,
        #[source]
        error: postgres::Error,
    },
    /// A repeatable migration uses what only a versioned migration can: data code, a backfill, or running
    /// outside a transaction.
    #[error("repeatable migration {name} ({path}) {reason}; a repeatable migration holds only SQL run in one transaction")]
    RepeatableUnsupported {
        name: String,
        path: String,
        reason: String,
    },
    /// The connection's server session changed between two of its transactions (a prepared statement made in
    /// one was gone in the next, or one of the same name was there already): it goes through a connection
    /// pooler in transaction pooling mode, which the connection check can miss when many clients share the
    /// pool. Raised where the migration lock is taken, before anything runs.
    #[error(
        "{context}: the connection does not keep its server session from one transaction to the next ({}), as \
         behind a connection pooler in transaction pooling mode; nothing was run",
        describe_pg(error)
    )]
    SessionNotKept {
        context: String,
        #[source]
        error: postgres::Error,
    },
    /// A query of the engine's own (bookkeeping, locking) failed.
    #[error("{context}: {}", describe_pg(error))]
    Database {
        context: String,
        #[source]
        error: postgres::Error,
    },
    /// A migration kept failing on `lock_timeout` until the retry budget was spent.
    #[error(
        "migration {name} could not get its locks: {attempts} attempt(s) over {:.1} s each hit lock_timeout; \
         a long transaction holds a conflicting lock (look in pg_stat_activity for old `xact_start`s), \
         or give the run a larger lock retry budget{}\nlast attempt: {error}",
        waited.as_secs_f64(),
        blocked.as_ref().map(|b| format!("\nthe last attempt was {b}")).unwrap_or_default()
    )]
    LockTimeout {
        name: String,
        attempts: u32,
        waited: std::time::Duration,
        #[source]
        error: Box<Error>,
        /// Who blocked the last attempt, when the run watched its locks.
        blocked: Option<crate::blockers::Blocked>,
    },
    /// The lock mode is `fail` and another runner holds the lock.
    #[error("another migration run holds the lock on {table}{}; retry later, or wait for it (lock mode `wait`)", holder.map(|p| format!(" (server process {p})")).unwrap_or_default())]
    LockBusy { table: String, holder: Option<i32> },
    /// Pending migrations are older than the newest applied one.
    #[error(
        "{} pending migration(s) are older than the newest applied migration {newest_applied}: {}\n\
         they were probably merged from another branch after {newest_applied} ran; check that they can run after it, \
         then run them allowing out-of-order migrations (or give them newer timestamps)",
        pending.len(), pending.join(", ")
    )]
    OutOfOrder {
        pending: Vec<String>,
        newest_applied: String,
    },
    /// The database holds migrations newer than this binary's newest (applied by a newer release), and at
    /// least one is a contract, or was recorded without its phase: the code of this release may not work with
    /// it, so `up` applies nothing.
    #[error("{}", ahead::message(table, ahead))]
    AheadOfBinary {
        table: String,
        ahead: Vec<crate::history::Ahead>,
    },
    /// `down` would revert migrations a newer release applied, which this binary has no file for.
    #[error("{}", ahead::down_message(names, *recorded_tried))]
    AheadDown {
        names: Vec<String>,
        /// Whether the `down`s their rows recorded were asked for (and these have none).
        recorded_tried: bool,
    },
    /// Applied migrations have no file any more.
    #[error(
        "applied migration(s) have no file in the migrations folder: {}\n\
         restore the file(s), or run `repair` to forget them if they were removed on purpose \
         (a file that was renamed and edited: give it back its old name, or `up` would run it again after `repair`)",
        .names.join(", ")
    )]
    MissingFiles { names: Vec<String> },
    /// `down` would revert a row adopted from another tool whose migrations are not files here
    /// (node-pg-migrate's JavaScript): it stops there, before reverting anything.
    #[error(
        "{name} was applied by {tool} and adopted by `import`: its migration is not a file here and cannot be \
         reverted by this tool, so `down` stops at it and reverted nothing; {}",
        if *after == 0 {
            format!("it is the newest applied migration: revert it with {tool} itself")
        } else {
            format!(
                "a `down` to {name} reverts the {after} migration(s) applied after it, and {tool} itself reverts \
                 {name} and the ones before it once they are gone"
            )
        }
    )]
    AdoptedStop {
        /// The newest adopted row the `down` reached.
        name: String,
        /// The tool it was adopted from.
        tool: String,
        /// How many migrations were applied after it (what `down --to name` reverts).
        after: usize,
    },
    /// Applied migrations have no file, and pending files have exactly their content (the same checksum), more
    /// than one per migration (or one for several): one of them is probably the renamed file, and running
    /// them would apply the migration again.
    #[error(
        "applied migration(s) have no file, but pending files have exactly their content (the same checksum): {}\n\
         one of those files is probably the applied migration, renamed, and running them would apply it again, so \
         nothing was run; keep exactly one file with that content (delete the copies, or give a file meant as a new \
         migration content of its own) and run `repair` to record the rename, or give one of them back the old name",
        .lookalikes.iter().map(|(old, files)| format!("{old} (same content: {})", files.join(", "))).collect::<Vec<_>>().join("; ")
    )]
    AmbiguousRename {
        /// Each applied name without a file, with the pending files that have its content.
        lookalikes: Vec<(String, Vec<String>)>,
    },
    /// Files of applied migrations were renamed (their content, and so their checksum, is unchanged).
    #[error(
        "applied migration(s) were renamed: {}\n\
         the content is unchanged (same checksum), so each is the migration that already ran under its old name; \
         run `repair` to record the new name(s), or rename the file(s) back",
        .renames.iter().map(|(old, new)| format!("{old} -> {new}")).collect::<Vec<_>>().join(", ")
    )]
    Renamed { renames: Vec<(String, String)> },
    /// Applied migrations were edited after they ran.
    #[error(
        "applied migration(s) changed since they ran: {}\n\
         undo the edit (write a new migration instead), or run `repair` to accept the new content",
        .names.join(", ")
    )]
    Changed { names: Vec<String> },
    /// `sql --down` (or another reverting command) named a repeatable migration, which has no `down`.
    #[error(
        "repeatable migration {name} has no down: it is never reverted (edit it, or make it drop what it created, and `up` applies it again)"
    )]
    RepeatableHasNoDown { name: String },
    /// A name given on the command line matches no migration.
    #[error(
        "no migration named {name:?}; `status` lists the names (a timestamp prefix also works)"
    )]
    UnknownMigration { name: String },
    /// `down --to` names a migration that is not applied.
    #[error(
        "{name} is not applied; a `down` to a migration keeps that migration applied and reverts the ones after it"
    )]
    NotApplied { name: String },
    /// A migrations schema or table name that PostgreSQL cannot hold (empty, over 63 bytes, a NUL).
    #[error(
        "invalid migrations {what} name {value:?}: it must be 1 to 63 bytes long without NUL characters"
    )]
    InvalidTableName { what: &'static str, value: String },
    /// A migrations table name too long for the tables named after it (`<name>_failed`, ...).
    #[error(
        "invalid migrations table name {name:?}: it is {} bytes long; use at most {max} bytes, so that the tables \
         named after it ({}) fit in PostgreSQL's 63 bytes",
        name.len(),
        derived.join(", ")
    )]
    TableNameTooLong {
        name: String,
        max: usize,
        derived: Vec<String>,
    },
    /// `squash --keep-data` names a table the squashed migrations do not leave.
    #[error(
        "no table {schema}.{name} after the squashed migrations: nothing to keep (give `schema.table`, or `table` \
         for one in schema public)"
    )]
    NoTableToKeep { schema: String, name: String },
    /// The table keeping what `CREATE OR REPLACE` replaced (`<table>_previous`) would not fit in 63 bytes.
    #[error(
        "the table {table}_previous, which keeps what `CREATE OR REPLACE` replaced, would have a name longer than 63 \
         bytes; use a shorter migrations table name"
    )]
    PreviousTableNameTooLong { table: String },
    /// A state the engine never reaches unless one of its own invariants broke.
    #[error("internal: {0}")]
    Internal(&'static str),
    /// A count is larger than what there is to run.
    #[error("asked to {action} {asked} migration(s), but only {available} {} {state}", if *available == 1 { "is" } else { "are" })]
    CountTooLarge {
        action: &'static str,
        asked: usize,
        available: usize,
        state: &'static str,
    },
    /// A squashed baseline stands for migrations of which this database applied only some: it can be neither
    /// run (the applied ones' objects exist) nor recorded (the others' do not).
    #[error(
        "the squashed baseline {baseline} replaces {} migration(s), of which this database applied only some\n\
         applied: {}\n\
         not applied: {}\n\
         nothing was changed; apply the missing ones with the migration files from before the squash (check out \
         the commit before it and apply up to {}), then run `up` again with the baseline",
        .applied.len() + .missing.len(),
        .applied.join(", "),
        .missing.join(", "),
        .missing.last().map(String::as_str).unwrap_or_default()
    )]
    PartlySquashed {
        baseline: String,
        applied: Vec<String>,
        missing: Vec<String>,
    },
    /// A squashed baseline stands for migrations this database applied in another version than the one
    /// squashed (its rows record other checksums than the baseline's `SQUASHED_CHECKSUMS`): recording the
    /// baseline would delete the only record of what ran, and its schema may not be the baseline's.
    #[error(
        "the squashed baseline {baseline} replaces migration(s) this database applied in another version than the one squashed: {}\n\
         their rows record other checksums than the baseline carries (SQUASHED_CHECKSUMS): the files were edited after \
         this database ran them, and its schema may differ from the baseline's\n\
         nothing was changed; with the migration files from before the squash (check out the commit before it), `status` \
         shows them as CHANGED: bring this database in line with those files (or make sure the difference does not \
         matter), record them there with `repair`, then run `up` again with the baseline",
        .changed.join(", ")
    )]
    SquashedChanged {
        baseline: String,
        changed: Vec<String>,
    },
    /// `squash` cannot replace the named migrations with a baseline.
    #[error("cannot squash: {0}")]
    Squash(#[from] SquashError),
    /// Reverting a fleet run's migrations on a target where migrations were applied after them.
    #[error(
        "run {run} cannot be reverted here: {} applied after its migrations{}; reverting the run's \
         migrations would leave these on top of what they may need (revert them first, or revert the run with later changes forced: they go first)",
        later.join(", "),
        if later_runs.is_empty() { String::new() } else { format!(" by run {}", later_runs.join(", ")) }
    )]
    RunChangedSince {
        run: String,
        later: Vec<String>,
        later_runs: Vec<String>,
    },
    /// Nothing is applied, so there is nothing to revert.
    #[error("nothing to revert: no migration is applied")]
    NothingApplied,
    /// The migrations table exists with another layout.
    #[error("the migrations table {table} has an unexpected layout: {problems}")]
    TableLayout {
        table: String,
        problems: String,
        /// The tool whose table it looks like, whose migrations an import adopts with their table.
        other_tool: Option<&'static str>,
    },
    /// A run in one transaction cannot include a migration that must run outside a transaction.
    #[error("migration {name} must run outside a transaction, so it cannot be part of a run in a single transaction; run it separately")]
    NeedsNoTransaction { name: String },
    /// The migrations folder or a file in it is invalid.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Migrations outside a transaction failed after committing some statements; running them again would
    /// repeat those, so nothing runs until `repair NAME` clears each mark.
    #[error("{}", describe_failures(.failures, .elsewhere))]
    FailedPartWay {
        failures: Vec<Failure>,
        /// The names among them that this build has no file of (a newer release's migrations).
        elsewhere: Vec<String>,
    },
    /// A transactional migration's own SQL or data code ended the runner's transaction (`COMMIT`,
    /// `ROLLBACK`); the migration is not recorded and is marked as failed part-way.
    #[error(transparent)]
    TransactionEnded(Box<TransactionEnded>),
    /// A migration ran, but its bookkeeping row could not be written (or, for `down`, deleted).
    #[error(transparent)]
    Record(Box<RecordError>),

    /// The server or session accepts no writes; nothing was run.
    #[error("cannot migrate: {0}; nothing was run")]
    ReadOnly(#[from] ReadOnlyError),

    /// The role lacks rights the run's bookkeeping needs; nothing was run.
    #[error("role {role:?} lacks what this run needs, so nothing was run: {}; grant them, or run the migrations as a role that has them (the owner of the migrations table and schema)", missing.join("; "))]
    Access { role: String, missing: Vec<String> },

    /// A migration in progress (some of its statements took effect, each recorded as it committed) whose
    /// file changed since: continuing would run statements of another migration after those.
    #[error(
        "migration {name} ({path}) changed after {} of its statements took effect in an earlier `{direction}` \
         (each recorded as it committed); statement {} is not the one that ran then, so it cannot be continued: \
         restore the file as it was and run `{direction}` again{}\n{}",
        done.len(),
        at + 1,
        if *direction == Direction::Up { " (or `down`, which undoes them)" } else { "" },
        done.iter().map(|d| format!("  took effect: {d}")).collect::<Vec<_>>().join("\n")
    )]
    ChangedInProgress {
        name: String,
        path: String,
        direction: Direction,
        /// The statements that took effect, as the journal describes them.
        done: Vec<String>,
        /// The first statement (0-based) that differs.
        at: usize,
    },

    /// A `down` was stopped part-way (some of its statements took effect): nothing else runs in the other
    /// direction until it is finished.
    #[error(
        "migration {name}'s `down` was stopped after {done} of its statement(s) took effect, so it is reverted \
         only in part: run `down` to finish reverting it before `up` or `redo`"
    )]
    DownInProgress { name: String, done: usize },

    /// A migration in progress that this build has no file for (a newer release's).
    #[error(
        "migration {name} was started by `{direction}` and stopped after {done} statement(s) took effect, and \
         this build has no file for it: run the release that has it to finish it (or undo it by hand and run \
         `repair {name}`)"
    )]
    InProgressUnknown {
        name: String,
        direction: Direction,
        done: usize,
    },

    /// `down` of a migration applied in part, whose statement sent outside any transaction may or may not
    /// have taken effect, with nothing to tell which.
    #[error(
        "cannot undo the part of migration {name} that took effect: {statement} was interrupted outside any \
         transaction and nothing tells whether it took effect; run `up` to finish the migration (then `down`), \
         or check it, undo what took effect by hand and run `repair {name}`"
    )]
    UncertainStep { name: String, statement: String },

    /// `down` of a migration applied in part, where what took effect has no reverse and the migration has no
    /// written `down` to run instead: nothing is undone.
    #[error(
        "cannot undo the part of migration {name} that an interrupted `up` applied ({took_effect}): {error}; \
         nothing was undone and it is not recorded as applied: run `up` to finish the migration (then `down`), \
         or give it a written `down` that undoes any part of its `up`"
    )]
    CannotUndoPart {
        name: String,
        /// What took effect: "1 of its 2 statement(s), and 27011 row(s) of the backfill #2".
        took_effect: String,
        #[source]
        error: migrate_dsl::DslError,
    },

    /// `--retry` of a migration that has no failure mark, or one that cannot be continued.
    #[error("cannot retry {name}: {why}")]
    CannotRetry { name: String, why: String },

    /// `redo` while a migration is in progress.
    #[error(
        "migration {name} is in progress (stopped part-way in `{direction}`): finish it with `{direction}` \
         before `redo`"
    )]
    RedoInProgress { name: String, direction: Direction },

    /// A stop was requested ([`crate::Interrupt`]) and the run stopped where that leaves a clean state.
    #[error("stopped on {}: {what}", signal_name(*signal))]
    Interrupted { signal: i32, what: String },

    /// A background job keeps a migration waiting, or a change to a job is refused.
    #[error(transparent)]
    Job(#[from] crate::jobs::job::JobError),

    /// The run's time budget was spent and the run stopped where that leaves a clean state.
    #[error("stopped: the run's time budget of {} is spent: {what}", describe_wait(*budget))]
    OutOfTime {
        budget: std::time::Duration,
        what: String,
    },
}

fn describe_failures(failures: &[Failure], elsewhere: &[String]) -> String {
    let mut out = String::new();
    for (i, f) in failures.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // The server's message (a statement error's second line), else the first line.
        let first_line = f
            .error
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("ERROR") || l.starts_with("FATAL"))
            .or_else(|| f.error.lines().next())
            .unwrap_or_default();
        out.push_str(&format!(
            "migration {} failed part-way during `{}`: {} statement(s) were committed before it failed ({first_line})",
            f.name, f.direction, f.committed
        ));
        for statement in &f.statements {
            out.push_str(&format!("\n  committed: {statement}"));
        }
    }
    for f in failures {
        if elsewhere.contains(&f.name) {
            out.push_str(&format!(
                "\nnothing runs until the mark of {name} is cleared; this build has no file of it (a newer \
                 release's migration, say): finish it with the release that has it (retrying {name} \
                 with its `{direction}`), or undo the committed statements by hand and run `repair {name}`",
                name = f.name,
                direction = f.direction
            ));
            continue;
        }
        out.push_str(&format!(
            "\nnothing runs until the mark of {name} is cleared: check what failed (above); then \
             retrying {name} with `{direction}` clears it and continues from the statement that failed, keeping \
             those that were committed; or undo them by hand and run `repair {name}`, after which the migration runs \
             again from its start",
            name = f.name,
            direction = f.direction
        ));
    }
    out
}

impl Error {
    /// A query of the engine's own that failed, with what it was for: the one way a `postgres::Error` of
    /// the engine becomes an [`Error`].
    pub(crate) fn database(context: impl Into<String>) -> impl FnOnce(postgres::Error) -> Error {
        let context = context.into();
        move |error| Error::Database { context, error }
    }

    /// Whether this is a statement that failed on `lock_timeout` (SQLSTATE 55P03), which is retried.
    pub fn is_lock_timeout(&self) -> bool {
        match self {
            Error::Statement(e) => is_lock_timeout(&e.source),
            _ => false,
        }
    }

    /// The migrations this error leaves marked as failed part-way, each with the direction (`up`, `down`) in
    /// which a retry ([`Migrator::retry`](crate::Migrator::retry)) clears the mark and continues. The message
    /// says a retry does it; a front end adds how its users ask for one.
    pub fn retries(&self) -> Vec<(&str, String)> {
        fn one(name: &str, direction: Direction, outcome: Outcome) -> Vec<(&str, String)> {
            match outcome {
                Outcome::PartiallyApplied { committed: 0 } | Outcome::RolledBack | Outcome::Kept { .. } => {
                    Vec::new()
                }
                Outcome::PartiallyApplied { .. } | Outcome::SplitCommitted { .. } => {
                    vec![(name, direction.to_string())]
                }
            }
        }
        match self {
            Error::Statement(e) => one(&e.name, e.direction, e.outcome),
            Error::Data(e) => one(&e.name, e.direction, e.outcome),
            Error::NotOwned(e) => one(&e.name, e.direction, e.outcome),
            Error::Restore(e) => one(&e.name, e.direction, e.outcome),
            Error::Record(e) if !e.runs_again => one(&e.name, e.direction, e.outcome),
            Error::LockTimeout { error, .. } => error.retries(),
            Error::FailedPartWay { failures, .. } => failures
                .iter()
                .map(|f| (f.name.as_str(), f.direction.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The message of a `pgm.db` closure's error: the server's full description when it is a `postgres::Error`.
pub(crate) fn describe_data_error(e: &(dyn std::error::Error + Send + Sync + 'static)) -> String {
    match e.downcast_ref::<postgres::Error>() {
        Some(pg) => describe_pg(pg),
        None => e.to_string(),
    }
}

/// The server's message with SQLSTATE, detail and hint; or the client's own description.
pub(crate) fn describe_pg(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!(
                "{}: {} (SQLSTATE {})",
                db.severity(),
                db.message(),
                db.code().code()
            );
            if let Some(detail) = db.detail() {
                s.push_str(&format!("\n  detail: {detail}"));
            }
            if let Some(hint) = db.hint() {
                s.push_str(&format!("\n  hint: {hint}"));
            }
            s
        }
        None if e.is_closed() => "the connection to the server was closed".to_owned(),
        None => {
            // postgres::Error's Display is terse ("db error"/"error connecting to server"); include its cause.
            let mut s = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                s.push_str(&format!(": {c}"));
                cause = c.source();
            }
            s
        }
    }
}

/// Whether a server error is a lock timeout (SQLSTATE 55P03, `lock_not_available`).
pub(crate) fn is_lock_timeout(e: &postgres::Error) -> bool {
    e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE)
}
