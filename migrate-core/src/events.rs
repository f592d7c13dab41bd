//! Progress events, so the library never prints: the CLI (or an application) decides how to show them.

use std::time::Duration;

use crate::history::MigrationsTable;
use crate::direction::Direction;

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
    /// A migration stopped part-way by an earlier run continues: `done` of its `total` statements took effect
    /// then (each recorded in the journal as it committed) and are not run again. Sent after
    /// [`Event::Started`].
    Continued {
        name: &'a str,
        direction: Direction,
        done: usize,
        total: usize,
    },
    /// The part of a migration that an interrupted `up` applied is undone (its `down` on a migration that is
    /// not recorded as applied): `done` of its statements had taken effect.
    UndoingPart {
        name: &'a str,
        done: usize,
        total: usize,
        /// A backfill the `up` stopped in its walk, whose committed batches are undone with the rest.
        backfill: Option<StoppedBackfill>,
        /// When an operation that took effect has no reverse for it, the position of the first such one: the
        /// migration's written `down` runs instead, whole.
        written_down: Option<usize>,
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
    /// A statement (or a backfill's batch) hit `lock_timeout`, and the run saw who held the locks it waited
    /// for (with [`Migrator::watch_locks`](crate::Migrator::watch_locks)). A [`Event::Retrying`] follows
    /// unless the retries are spent.
    LockBlocked {
        name: &'a str,
        blocked: &'a crate::Blocked,
    },
    /// A statement of a migration ran (or its data code, or its backfill, each as one): operation `position`
    /// (`op`), recorded on `line` of the migration file, in `elapsed`. Sent once it succeeded; a failure is the
    /// run's error.
    Statement {
        name: &'a str,
        direction: Direction,
        position: usize,
        op: &'a str,
        /// The line of the operation's `pgm.xxx(..)` call in the migration file, when it was recorded there.
        line: Option<u32>,
        /// The SQL sent (for data code and backfills, the comment the plan shows).
        sql: &'a str,
        elapsed: Duration,
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
        /// Rows the next batch takes (it adapts toward the target batch time unless the backfill fixed it).
        batch_size: u32,
        /// How long the rest of the backfill should take at the rate of the recent part of this run (pauses
        /// not counted); `None` over the first batches.
        remaining: Option<Duration>,
    },
    /// A backfill waits before its next batch: the server cannot take it now. Sent when the pause starts
    /// (`waited` zero) and at each re-check while it lasts, with the cause as it stands then.
    BackfillPaused {
        name: &'a str,
        table: &'a str,
        cause: &'a crate::PauseCause,
        /// How long this pause has lasted.
        waited: Duration,
    },
    /// A pause ended: the backfill goes on. `cause` is the last one seen.
    BackfillResumed {
        name: &'a str,
        table: &'a str,
        cause: &'a crate::PauseCause,
        /// How long the pause lasted.
        paused: Duration,
    },
    /// A backfill finished (this run's part of it): its rows, time, and pauses by kind of cause.
    BackfillFinished {
        name: &'a str,
        table: &'a str,
        /// Rows done by this run.
        rows: u64,
        /// The walk put back values a backfill kept (the `down` of a backfill with `keep_previous_values`).
        restored: bool,
        elapsed: Duration,
        pauses: &'a [crate::PauseTotal],
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
    /// The database holds migrations newer than this binary's newest (applied by a newer release, before a
    /// rollback), all recorded as expands: `up` goes on, since an expand only adds what older code ignores.
    /// Said once per run, before anything is applied.
    AheadOfBinary { ahead: &'a [crate::history::Ahead] },
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
    /// A replication slot nobody streams from is behind by more than `max_replica_lag`. A backfill does not
    /// wait for it (no pause brings its consumer back), but the server keeps the WAL it has not confirmed;
    /// said once per backfill and slot.
    BackfillSlotInactive {
        name: &'a str,
        table: &'a str,
        slot: &'a str,
        logical: bool,
        /// WAL the slot holds back.
        bytes: u64,
    },
    /// An index built partition by partition (`concurrently_per_partition`) was built on one more partition
    /// and attached (or a foreign key added per partition was added and validated on one more): `done` of the
    /// `total` partitions left when this run started.
    PartitionIndexed {
        name: &'a str,
        /// The partition's index (or the foreign key's name), quoted.
        index: &'a str,
        /// The partition, quoted.
        partition: &'a str,
        done: usize,
        total: usize,
        elapsed: Duration,
    },
    /// A statement still runs, sent about once a second from its second second on: what the server's
    /// progress view says of it (an index build's `phase`, with the blocks or tuples `done` of `total`), or,
    /// for a statement no view follows (`VALIDATE CONSTRAINT`), only how long it has run (`total` 0).
    StatementProgress {
        name: &'a str,
        position: usize,
        op: &'a str,
        /// The relation the view names (the table of an index build), quoted; empty when none.
        relation: &'a str,
        phase: &'a str,
        done: u64,
        total: u64,
        elapsed: Duration,
    },
}

/// A backfill stopped in its walk, as a `down` of the part applied undoes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoppedBackfill {
    /// Its operation's 1-based position in the `up`.
    pub position: usize,
    /// The rows its saved position counts as done; `None` when only the values it kept are left.
    pub rows: Option<u64>,
}
