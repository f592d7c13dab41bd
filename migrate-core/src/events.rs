//! Progress events, so the library never prints: the CLI (or an application) decides how to show them.

use std::time::Duration;

use crate::history::MigrationsTable;
use crate::migration::Direction;

/// Something that happened during a run.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Another runner holds the lock; this one waits.
    WaitingForLock {
        table: &'a MigrationsTable,
        holder: Option<i32>,
    },
    /// A migration starts.
    Started {
        name: &'a str,
        direction: Direction,
        transactional: bool,
        fake: bool,
    },
    /// A migration finished and was recorded.
    Finished {
        name: &'a str,
        direction: Direction,
        elapsed: Duration,
        fake: bool,
    },
    /// A migration's transaction (or, outside a transaction, a statement) hit `lock_timeout` and is retried
    /// after `delay`.
    Retrying {
        name: &'a str,
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// A backfill committed a batch.
    Backfill {
        name: &'a str,
        table: &'a str,
        /// Rows updated so far, including those of an earlier interrupted run.
        done: u64,
        /// Rows it expects to update in all (counted when it started or resumed).
        total: u64,
        /// Rows per second in this run.
        rate: f64,
    },
    /// The progress of an interrupted backfill was discarded and the backfill starts over: it was recorded
    /// for another definition (the migration was edited, or the table's primary key changed), so resuming
    /// from its cursor could skip rows.
    BackfillRestarted {
        name: &'a str,
        table: &'a str,
        /// Rows the discarded progress counted as done.
        rows_discarded: u64,
        /// Why the progress no longer applies.
        reason: &'a str,
    },
    /// A failed `CREATE INDEX CONCURRENTLY` left an invalid index behind; it was dropped.
    DroppedInvalidIndex { name: &'a str, index: &'a str },
    /// A migration being reverted was edited after it was applied; its current `down` is used.
    ChangedSinceApplied { name: &'a str },
    /// A squashed baseline was recorded as applied without running: the database had applied all the
    /// `replaced` migrations it stands for, whose rows it replaces (see [`crate::squash`]).
    BaselineRecorded { name: &'a str, replaced: usize },
    /// The server sent a notice or warning while operation `position` (`op`) of the migration ran
    /// (`... already exists, skipping`, a truncated identifier, a `RAISE NOTICE`). Only collected when the
    /// connection was opened with [`Notices::install`](crate::Notices::install).
    Notice {
        name: &'a str,
        direction: Direction,
        position: usize,
        op: &'a str,
        notice: &'a crate::Notice,
    },
}
