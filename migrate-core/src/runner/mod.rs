//! The runner: selects what to run, checks it is safe to, and runs it with its bookkeeping.
//!
//! - `settings`: the [`Migrator`] and how it is configured;
//! - `commands`: what an application or the CLI calls (`status`, plans, `up`, `down`, `redo`, `repair`),
//!   each under the lock where it changes anything;
//! - `select`: the pure choice of what to run and the checks before it (order, missing and changed
//!   files, targets), without a database;
//! - `execute`: running the chosen steps, in one transaction per migration, several (journaled), or one for
//!   the run, with the bookkeeping;
//! - `stepwise`: a migration outside a transaction, group by group, each committed with its journal entries,
//!   continued by the next run wherever it stopped;
//! - `undo_part`: `down` of the part of a migration that an interrupted `up` applied;
//! - `units`: sending one migration's statements, data code and backfills, and naming what failed;
//! - `preconditions`: a migration's own checks of the data, before its first statement;
//! - `guard`: the own-object checks of statements whose `IF [NOT] EXISTS` the engine added, and restoring
//!   what a `CREATE OR REPLACE` replaced;
//! - `repeatable`: repeatable migrations, re-applied after the versioned ones whenever their file changes;
//! - `data`: data code in a transaction of its own, and watching that the migration's transaction stays
//!   open.

mod commands;
mod data;
mod execute;
mod guard;
mod partitions;
mod preconditions;
mod repeatable;
#[cfg(feature = "import")]
pub(crate) use repeatable::ensure_repeat_table;
pub(crate) use execute::session_restore_sql;
mod select;
mod settings;
mod stepwise;
mod undo_part;
mod units;

pub use repeatable::{RepeatableState, RepeatableStatus};

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
pub use settings::Migrator;

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
