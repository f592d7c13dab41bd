//! What a caller configures once for every command it runs: the migrations, where their bookkeeping lives,
//! the lock, the timeouts, the budget, how backfills pace themselves. A plain value, built by [`Migrator`]'s
//! builder and read by the runner's stages and by the background worker, which change none of it: what a run
//! learns as it goes lives in the run (see `runner::run`).
//!
//! [`Migrator`]: crate::Migrator

use crate::blockers::{Connect, LockWatch};
use crate::history::MigrationsTable;
use crate::interrupt::Interrupt;
use crate::lock::LockMode;
use crate::migration::Migration;
use crate::notices::Notices;
use crate::observer::Observer;
use crate::throttle::BackfillSettings;
use crate::timeouts::Timeouts;

/// The configuration of a [`Migrator`](crate::Migrator) (see its builder methods for each setting).
#[derive(Debug, Clone)]
pub(crate) struct Settings<'a> {
    pub(crate) migrations: &'a [Migration],
    /// Repeatable migrations, in the order they are applied (by name).
    pub(crate) repeatables: &'a [Migration],
    pub(crate) table: MigrationsTable,
    pub(crate) lock_mode: LockMode,
    pub(crate) allow_out_of_order: bool,
    pub(crate) single_transaction: bool,
    pub(crate) fake: bool,
    pub(crate) timeouts: Timeouts,
    pub(crate) notices: Notices,
    pub(crate) interrupt: Interrupt,
    pub(crate) backfill: BackfillSettings,
    pub(crate) max_duration: Option<std::time::Duration>,
    /// A budget that started before the run (a fleet's): when it is spent, and the budget. Wins over
    /// `max_duration`.
    pub(crate) deadline_at: Option<(std::time::Instant, std::time::Duration)>,
    pub(crate) lock_watch: LockWatch,
    pub(crate) second_connection: Option<Connect>,
    /// Watches each unit as it runs (`migrate trace`).
    pub(crate) observer: Option<&'a dyn Observer>,
    /// The connection is the caller's own, outside any transaction
    /// ([`Migrator::own_session`](crate::Migrator::own_session)).
    pub(crate) own_session: bool,
    /// Migrations whose failure marks this run clears, to continue them
    /// ([`Migrator::retry`](crate::Migrator::retry)).
    pub(crate) retry: Vec<String>,
    /// Revert migrations a newer release applied with the `down` their rows recorded
    /// ([`Migrator::recorded_downs`](crate::Migrator::recorded_downs)).
    pub(crate) recorded_downs: bool,
    /// Run what is left of the background jobs a migration requires before it, instead of refusing it
    /// ([`Migrator::finish_jobs`](crate::Migrator::finish_jobs)).
    pub(crate) finish_jobs: bool,
    /// The fleet run this run is part of: each migration applied or reverted is noted in the target's runs
    /// table, in the transaction that records it.
    pub(crate) run_note: Option<crate::history::RunNote>,
}

impl<'a> Settings<'a> {
    /// The defaults: table `public.pgmigrations`, waiting for the lock, one transaction per migration.
    pub(crate) fn new(migrations: &'a [Migration]) -> Self {
        Settings {
            migrations,
            repeatables: &[],
            table: MigrationsTable::default(),
            lock_mode: LockMode::Wait,
            allow_out_of_order: false,
            single_transaction: false,
            fake: false,
            timeouts: Timeouts::default(),
            notices: Notices::default(),
            interrupt: Interrupt::default(),
            backfill: BackfillSettings::default(),
            max_duration: None,
            deadline_at: None,
            lock_watch: LockWatch::default(),
            second_connection: None,
            observer: None,
            own_session: false,
            retry: Vec::new(),
            recorded_downs: false,
            finish_jobs: false,
            run_note: None,
        }
    }
}
