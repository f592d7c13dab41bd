//! The runner: selects what to run, checks it is safe to, and runs it with its bookkeeping.
//!
//! An application configures a [`Migrator`] once (`migrator`: the builder over the crate's `Settings`) and
//! calls its commands (`commands`, `repeatable`). Each command makes a `Run` (`run`) and goes through the
//! stages, each a type in a file of its own:
//!
//! 1. `read` (`HistoryRead`): the bookkeeping as it is, and the checks that refuse a run on it (failure
//!    marks, a migration in progress or ahead of this binary);
//! 2. `select` (`Selection`): the pure choice of what to run and the checks before it (order, missing and
//!    changed files, targets), without a database;
//! 3. `plan` (`Plan`): the chosen steps checked before anything changes (one transaction for the run, the
//!    role's rights), with the session each step starts from;
//! 4. `execute` (`Executor`): running them, in one transaction per migration, several (journaled), one for
//!    the run, or none (its parts in `execute/`: statements and data code, stepwise migrations, undoing a
//!    part, safeguards, partitions, preconditions);
//! 5. `record` (`Recorder`): the migrations table, each migration's row and failure marks.
//!
//! Repeatable migrations (`repeatable`) are re-applied after the versioned ones whenever their file changes.

mod commands;
mod execute;
mod migrator;
mod plan;
mod read;
mod record;
mod repair;
mod repeatable;
mod run;
mod select;

pub use migrator::Migrator;
#[cfg(feature = "import")]
pub(crate) use repeatable::ensure_repeat_table;

/// What the runner's unit tests record a migration with.
#[cfg(test)]
mod test_support {
    use migrate_dsl::{MigrationBuilder, Statement};

    /// The statements `record` renders, as the runner receives them.
    pub(super) fn statements(record: impl FnOnce(&mut MigrationBuilder)) -> Vec<Statement> {
        let mut pgm = MigrationBuilder::new();
        record(&mut pgm);
        pgm.statements().expect("the test migration renders")
    }
}

use crate::migration::Direction;

/// Which pending migrations `up` applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpTarget {
    /// Every pending migration.
    All,
    /// The next N pending migrations.
    Count(usize),
    /// Pending migrations up to and including this one (the database ends at it). Once it is applied (by
    /// another process that started at the same time, say) the target is reached: nothing to apply, no error.
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

/// A migration that ran (or was recorded with `--fake`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ran {
    pub name: String,
    pub direction: Direction,
    pub execution_ms: i64,
}
