//! The engine's errors. Each names the migration (and its file) or the value at fault.

use migrate_dsl::DslError;

use crate::history::Failure;
use crate::migration::Direction;
use crate::source::SourceError;
use crate::sql_excerpt::{excerpt, Caret, Failing};

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
         or raise the budget with --lock-retry-budget{}\nlast attempt: {error}",
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
    /// `--lock-mode fail` and another runner holds the lock.
    #[error("another migration run holds the lock on {table}{}; retry later or use --lock-mode wait", holder.map(|p| format!(" (server process {p})")).unwrap_or_default())]
    LockBusy { table: String, holder: Option<i32> },
    /// Pending migrations are older than the newest applied one.
    #[error(
        "{} pending migration(s) are older than the newest applied migration {newest_applied}: {}\n\
         they were probably merged from another branch after {newest_applied} ran; check that they can run after it, \
         then rerun with --allow-out-of-order (or give them newer timestamps)",
        pending.len(), pending.join(", ")
    )]
    OutOfOrder {
        pending: Vec<String>,
        newest_applied: String,
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
                "`down --to {name}` reverts the {after} migration(s) applied after it, and {tool} itself reverts \
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
    /// `up --to` names a migration that is applied already.
    #[error("{name} is already applied; nothing to apply up to it")]
    AlreadyApplied { name: String },
    /// `down --to` names a migration that is not applied.
    #[error(
        "{name} is not applied; `down --to` keeps the named migration applied and reverts the ones after it"
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
         the commit before it and run `up --to {}`), then run `up` again with the baseline",
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
    Squash(String),
    /// Nothing is applied, so there is nothing to revert.
    #[error("nothing to revert: no migration is applied")]
    NothingApplied,
    /// The migrations table exists with another layout.
    #[error("the migrations table {table} has an unexpected layout: {problems}")]
    TableLayout { table: String, problems: String },
    /// `--single-transaction` cannot include a migration that must run outside a transaction.
    #[error("migration {name} must run outside a transaction, so it cannot be part of --single-transaction; run it separately")]
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
    ReadOnly(String),

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
    #[error("stopped on {}: {what}", crate::interrupt::signal_name(*signal))]
    Interrupted { signal: i32, what: String },

    /// The run's time budget (`--max-duration`) was spent and the run stopped where that leaves a clean
    /// state.
    #[error("stopped: the run's time budget of {} (--max-duration) is spent: {what}", crate::throttle::describe_wait(*budget))]
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
                 release's migration, say): finish it with the release that has it (its `{direction} --retry \
                 {name}`), or undo the committed statements by hand and run `repair {name}`",
                name = f.name,
                direction = f.direction
            ));
            continue;
        }
        out.push_str(&format!(
            "\nnothing runs until the mark of {name} is cleared: check what failed (above); then \
             `{direction} --retry {name}` clears it and continues from the statement that failed, keeping those \
             that were committed; or undo them by hand and run `repair {name}`, after which the migration runs \
             again from its start",
            name = f.name,
            direction = f.direction
        ));
    }
    out
}

/// A statement the server rejected, with everything needed to find it in the migration file.
#[derive(Debug)]
#[non_exhaustive]
pub struct StatementError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation in the migration.
    pub position: usize,
    pub op: &'static str,
    /// The line of the operation's call (`pgm.xxx(..)`) in the migration file, when it was recorded there.
    pub line: Option<u32>,
    pub sql: String,
    /// Raw SQL written in place in the call: the file line of each line of `sql`, so that the message names
    /// the failing statement's own line (see [`Migration::sql_lines`](crate::Migration::sql_lines)).
    pub sql_lines: crate::SqlLines,
    pub source: postgres::Error,
    /// What happened to the migration's earlier statements.
    pub outcome: Outcome,
    /// How many characters the engine sent before `sql` in the same query (the transaction's `SET LOCAL`
    /// statements ride with its first statement): the server counts its error position from the start of
    /// what was sent.
    pub sent_after: usize,
}

impl StatementError {
    /// The byte offset in `sql` of the server's error position (a 1-based character offset in what was
    /// sent), when it gave one.
    fn error_offset(&self) -> Option<usize> {
        let position = match self.source.as_db_error()?.position()? {
            postgres::error::ErrorPosition::Original(p) => {
                (*p as usize).checked_sub(self.sent_after).filter(|p| *p > 0)?
            }
            postgres::error::ErrorPosition::Internal { .. } => return None,
        };
        Some(
            self.sql
                .char_indices()
                .nth(position - 1)
                .map_or(self.sql.len(), |(at, _)| at),
        )
    }
}

/// What a failure left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The transaction was rolled back: nothing of this migration remains.
    RolledBack,
    /// The migration ran outside a transaction; this many earlier statements were committed.
    PartiallyApplied { committed: usize },
    /// The migration runs in several transactions (a `VALIDATE` runs in its own); this many statements of
    /// earlier ones were committed.
    SplitCommitted { committed: usize },
    /// The migration runs in more than one commit, each recorded in the journal as it commits: `done` of its
    /// `total` statements took effect and are kept, and the next run in the same direction continues after
    /// them.
    Kept { done: usize, total: usize },
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let error_at = self.error_offset();
        // In raw SQL of several statements, the one the server's position is in: named, with its own line.
        let failing = error_at
            .and_then(|at| Failing::locate(&self.sql, at))
            .filter(|failing| failing.count > 1);
        let line = match &failing {
            Some(failing) => self.sql_lines.line_at(&self.sql, failing.offset),
            None => self.sql_lines.statement_line(&self.sql),
        }
        .or(self.line);
        let mut at = At::new(&self.name, &self.path, line, self.position, self.op);
        if let Some(failing) = &failing {
            at = at.statement(failing.number, failing.count);
        }
        writeln!(
            f,
            "{} failed in `{}` {}:",
            at.migration(),
            self.direction,
            at.operation()
        )?;
        writeln!(f, "  {}", describe_pg(&self.source))?;
        let (shown, from) = match &failing {
            Some(failing) => (failing.sql, failing.offset),
            None => (self.sql.as_str(), 0),
        };
        let caret = error_at.map(|at| Caret {
            offset: at.saturating_sub(from),
            // The line of the whole text the error is on, for a message that cannot name the file's.
            text_line: self.sql[..at].matches('\n').count() + 1,
            file: self
                .sql_lines
                .line_at(&self.sql, at)
                .map(|line| (self.path.as_str(), line)),
        });
        if error_at.is_none() && migrate_dsl::split_statements(&self.sql).len() > 1 {
            writeln!(
                f,
                "  the server gave no position: the failing statement is one of these"
            )?;
        }
        for line in excerpt(shown, caret) {
            writeln!(f, "    {line}")?;
        }
        if self.source.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
            writeln!(
                f,
                "  the connection's role lacks a right this statement needs (named above): grant it, or run the migrations as a role that has it (e.g. the owner of the schema and its tables)"
            )?;
        }
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for StatementError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
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
            Error::Statement(e) => crate::retry::is_lock_timeout(&e.source),
            _ => false,
        }
    }
}

/// An object in the way of (or missing for) a statement whose `IF [NOT] EXISTS` the engine added itself.
#[derive(Debug)]
#[non_exhaustive]
pub struct NotOwnedError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation in the migration.
    pub position: usize,
    pub op: &'static str,
    /// The line of the operation's call (`pgm.xxx(..)`) in the migration file, when it was recorded there.
    pub line: Option<u32>,
    pub sql: String,
    pub safeguard: migrate_dsl::Safeguard,
    /// What is wrong with the object ("already exists (an index on comments)").
    pub problem: String,
    /// The migration that most likely owns the object, when it is in the way.
    pub owner: Option<String>,
    /// What happened to the migration's earlier statements (none ran when the check came first).
    pub outcome: Outcome,
}

impl std::fmt::Display for NotOwnedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use migrate_dsl::Safeguard;
        let object = self
            .safeguard
            .object()
            .map(|o| format!("{} ", o.describe()))
            .unwrap_or_default();
        let at = At::new(&self.name, &self.path, self.line, self.position, self.op);
        write!(
            f,
            "{} refused in `{}` {}: {object}{}",
            at.migration(),
            self.direction,
            at.operation(),
            self.problem
        )?;
        match &self.owner {
            Some(owner) => writeln!(f, "; it belongs to {owner}")?,
            None => writeln!(f)?,
        }
        for line in self.sql.lines().take(12) {
            writeln!(f, "    {line}")?;
        }
        let (why, fix) = match &self.safeguard {
            Safeguard::CreatesIfAbsent(_) => (
                "the engine adds IF NOT EXISTS to this statement only so that this migration can run again after \
                 failing part-way; skipping an object that is not this migration's own would leave the schema \
                 unlike the migration says, and its derived `down` would drop that object",
                "give this one another name (`.name(..)`), drop or rename the existing one first, or chain \
                 `.if_not_exists()` if skipping it is what you mean (the operation then has no automatic reverse)",
            ),
            Safeguard::DropsIfPresent(_) => (
                "the engine adds IF EXISTS to this statement only so that this migration can run again after \
                 failing part-way, not to skip a missing object",
                "chain `.if_exists()` if a missing index is fine (in a derived `down`, write the `down` instead), \
                 or find out what dropped it",
            ),
            Safeguard::SetsNotNull(_) => (
                "the recipe would change nothing, and its derived `down` would drop a NOT NULL this migration \
                 did not add",
                "leave out the `set_not_null` (the column is NOT NULL already), or write a `down` of your own",
            ),
            Safeguard::GrantsNothingHeld(_) => (
                "a GRANT of what is already held does nothing, and its derived `down` would REVOKE what this \
                 migration did not give",
                "leave out what is already granted, or write the GRANT as raw SQL with a `down` of your own",
            ),
            Safeguard::ClearsLeftover(_) | Safeguard::RecordsPrevious(_) => (
                "the statement drops that name first only to clear what a failed earlier attempt of this \
                 migration left, and this constraint was not left by one",
                "rename or drop the existing constraint first: the recipe uses this name for its temporary check",
            ),
            _ => ("", ""),
        };
        writeln!(f, "  {why}")?;
        writeln!(f, "  {fix}")?;
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for NotOwnedError {}

/// Where a failed operation is, for the first line of its error: `migration NAME failed in `up` at operation #2
/// (sql), migrations/NAME.rs:14` when the operation's line in the file is known, else `migration NAME
/// (migrations/NAME.rs) failed in `up` at operation #2 (sql)`.
struct At<'a> {
    name: &'a str,
    path: &'a str,
    line: Option<u32>,
    position: usize,
    op: &'a str,
    /// In raw SQL of several statements, which one (1-based) of how many.
    statement: Option<(usize, usize)>,
}

impl<'a> At<'a> {
    fn new(name: &'a str, path: &'a str, line: Option<u32>, position: usize, op: &'a str) -> Self {
        At {
            name,
            path,
            line,
            position,
            op,
            statement: None,
        }
    }

    /// The same place, in statement `number` of the operation's `count`.
    fn statement(self, number: usize, count: usize) -> Self {
        At {
            statement: Some((number, count)),
            ..self
        }
    }

    /// `migration NAME`, with the file when the operation's line does not name it.
    fn migration(&self) -> String {
        match self.line {
            Some(_) => format!("migration {}", self.name),
            None => format!("migration {} ({})", self.name, self.path),
        }
    }

    /// `at operation #2 (sql)`, with `, statement 3 of 4` in raw SQL of several statements and `, FILE:LINE`
    /// when known.
    fn operation(&self) -> String {
        let mut out = format!("at operation #{} ({})", self.position, self.op);
        if let Some((number, count)) = self.statement {
            out.push_str(&format!(", statement {number} of {count}"));
        }
        if let Some(line) = self.line {
            out.push_str(&format!(", {}:{line}", self.path));
        }
        out
    }
}

/// What a refusal left behind, in one line.
fn outcome_line(outcome: Outcome, name: &str, direction: Direction) -> String {
    let state = match direction {
        Direction::Up => "it is not recorded as applied",
        Direction::Down => "it stays recorded as applied",
    };
    match outcome {
        Outcome::RolledBack | Outcome::PartiallyApplied { committed: 0 } => {
            format!("rolled back: nothing of this `{direction}` was applied, and {state}")
        }
        Outcome::Kept { done: 0, .. } => format!(
            "nothing else of this `{direction}` took effect, and {state}; fix the cause (if any) and run \
             `{direction}` again"
        ),
        Outcome::Kept { done, total } => {
            let undo = match direction {
                Direction::Up => " (or `down` undoes them)",
                Direction::Down => "",
            };
            format!(
                "{done} of its {total} statement(s) took effect and are kept, each recorded as it committed, \
                 and {state} yet: fix the cause (if any) and run `{direction}` again, which continues from \
                 statement {}{undo}",
                done + 1
            )
        }
        Outcome::PartiallyApplied { committed } | Outcome::SplitCommitted { committed } => format!(
            "{committed} earlier statement(s) of this `{direction}` were committed and {state}; it is marked \
             as failed part-way: check what failed, then `{direction} --retry {name}` clears the mark and \
             continues from the statement that failed"
        ),
    }
}

/// The server refused a migration's bookkeeping row (the `INSERT` after its `up`, the `DELETE` after its
/// `down`): a migrations table of another tool, say, with a `NOT NULL` column this tool does not write.
#[derive(Debug)]
#[non_exhaustive]
pub struct RecordError {
    pub name: String,
    /// The migrations table.
    pub table: String,
    pub direction: Direction,
    pub source: postgres::Error,
    /// What happened to the migration's statements.
    pub outcome: Outcome,
    /// Outside a transaction, its one statement can simply run again (a finished concurrent index build is
    /// recognised and skipped, a backfill resumes): it is not marked, and the next `up` runs it again.
    pub runs_again: bool,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (verb, state) = match self.direction {
            Direction::Up => (
                "recording it as applied in",
                "it is not recorded as applied",
            ),
            Direction::Down => ("removing its row from", "it stays recorded as applied"),
        };
        writeln!(
            f,
            "migration {}: its `{}` ran, but {verb} {} failed: {}",
            self.name,
            self.direction,
            self.table,
            describe_pg(&self.source)
        )?;
        if self.source.code() == Some(&postgres::error::SqlState::NOT_NULL_VIOLATION) {
            let column = self
                .source
                .as_db_error()
                .and_then(|db| db.column())
                .map(|c| format!("column {c}"))
                .unwrap_or_else(|| "a column".to_owned());
            writeln!(
                f,
                "  {column} of {} is NOT NULL without a default, and this tool writes only id (when it has no \
                 default), name, run_on, checksum and execution_ms: give it a default, or drop its NOT NULL",
                self.table
            )?;
        }
        if self.runs_again {
            return write!(
                f,
                "  this migration runs outside a transaction: its statement was committed, but {state}; it can \
                 run again (a finished index build is recognised and skipped, a backfill resumes), so the next \
                 `{}` runs it again",
                self.direction
            );
        }
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A derived `down` that cannot restore what a `CREATE OR REPLACE` of the `up` replaced.
#[derive(Debug)]
#[non_exhaustive]
pub struct RestoreError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the `restore_previous` operation in the `down`.
    pub position: usize,
    pub message: String,
    /// What happened to the migration's earlier statements.
    pub outcome: Outcome,
}

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "migration {} ({}) failed in `{}` at operation #{} (restore_previous): {}",
            self.name, self.path, self.direction, self.position, self.message
        )?;
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for RestoreError {}

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
        crate::interrupt::signal_name(*signal)
    )]
    Interrupted { signal: i32, done: u64, total: u64 },
    /// The run's time budget (`--max-duration`) was spent; the backfill stopped after a committed batch.
    #[error(
        "the run's time budget of {} (--max-duration) is spent; stopped after a committed batch ({done} of {total} rows done); run `up` again to resume",
        crate::throttle::describe_wait(*budget)
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
         replicas (max_replica_lag = \"off\" in migrate.toml, --max-replica-lag off, or \
         .max_replica_lag(LagLimit::off()) on the backfill)",
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
        crate::throttle::describe_wait(*waited)
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
        crate::throttle::describe_wait(*waited)
    )]
    CheckUnanswered {
        check: String,
        waited: std::time::Duration,
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

/// A transactional migration whose own SQL or data code ended the runner's transaction.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransactionEnded {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation that ended it.
    pub position: usize,
    pub op: &'static str,
    /// The line of the operation's call (`pgm.xxx(..)`) in the migration file, when it was recorded there.
    pub line: Option<u32>,
    /// Whether the server committed the transaction (a `COMMIT`), rather than rolling it back.
    pub committed: bool,
    /// Whether a new transaction was open when the runner looked (`COMMIT AND CHAIN`, `ROLLBACK AND CHAIN`):
    /// what the operation ran after the end was in it, and the runner rolled it back, rather than each
    /// statement committing on its own.
    pub chained: bool,
    /// Statements of this migration known to be committed: those of earlier transactions of a split
    /// migration, and with a `COMMIT`, those of this transaction up to the one that committed it.
    pub statements_committed: usize,
    /// The operation's own error, when it also failed: a statement's `postgres::Error`, or a
    /// [`DataCause`].
    pub cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// With `--single-transaction`: the migrations before it in the run, committed and recorded with it
    /// when the transaction was committed.
    pub earlier_in_run: Vec<String>,
}

impl std::fmt::Display for TransactionEnded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = At::new(&self.name, &self.path, self.line, self.position, self.op);
        writeln!(
            f,
            "{} ended the migration's transaction in `{}` {}: its SQL or data code ran COMMIT or ROLLBACK",
            at.migration(),
            self.direction,
            at.operation()
        )?;
        if let Some(cause) = &self.cause {
            writeln!(
                f,
                "  the operation also failed: {}",
                describe_data_error(cause.as_ref())
            )?;
        }
        // What ran after the end: in a chained transaction, rolled back with it when the runner stopped;
        // otherwise outside any transaction, so committed statement by statement.
        let after = match (self.committed, self.chained) {
            (true, true) => "what it ran after the COMMIT AND CHAIN ran in the new transaction that opened, which the runner rolled back: that part is not in the database",
            (true, false) => "anything it ran after the COMMIT was committed on its own",
            (false, true) => "what the operation ran after the ROLLBACK AND CHAIN ran in the new transaction that opened, which the runner rolled back too",
            (false, false) => "anything the operation ran after the ROLLBACK was committed on its own",
        };
        if self.committed {
            writeln!(
                f,
                "  the transaction was committed: the statements of this migration up to that operation are in the database, and {after}"
            )?;
            if !self.earlier_in_run.is_empty() {
                writeln!(
                    f,
                    "  with --single-transaction, the migrations before it in this run were committed and recorded with it: {}",
                    self.earlier_in_run.join(", ")
                )?;
            }
        } else {
            let but = if self.chained { "and" } else { "but" };
            writeln!(
                f,
                "  the transaction was rolled back: the statements before that point were undone, {but} {after}"
            )?;
        }
        write!(
            f,
            "  it is not recorded as applied, and it is marked as failed part-way: `up`, `down` and `redo` refuse until you finish or undo it by hand and run `repair {}`\n\
             \x20 leave transactions to the runner: split the work into separate migrations, or use pgm.no_transaction() for statements that must run outside one",
            self.name
        )
    }
}

impl std::error::Error for TransactionEnded {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
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
