//! The runner and its settings.

use crate::history::MigrationsTable;
use crate::interrupt::Interrupt;
use crate::lock::LockMode;
use crate::migration::Migration;
use crate::notices::Notices;
use crate::timeouts::Timeouts;

/// Runs a set of compiled migrations against a database. Configure once, then call a command:
///
/// ```no_run
/// # fn demo(client: &mut postgres::Client, migrations: &'static [migrate_core::Migration]) -> Result<(), migrate_core::Error> {
/// use migrate_core::{Migrator, UpTarget};
/// let ran = Migrator::new(migrations).run_up(client, &UpTarget::All, &mut |_event| {})?;
/// println!("applied {} migration(s)", ran.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Migrator<'a> {
    pub(super) migrations: &'a [Migration],
    pub(super) table: MigrationsTable,
    pub(super) lock_mode: LockMode,
    pub(super) allow_out_of_order: bool,
    pub(super) single_transaction: bool,
    pub(super) fake: bool,
    pub(super) timeouts: Timeouts,
    pub(super) notices: Notices,
    pub(super) interrupt: Interrupt,
}

impl<'a> Migrator<'a> {
    /// A runner for `migrations` (ordered by timestamp, as a generated registry is), with the defaults:
    /// table `public.pgmigrations`, waiting for the lock, one transaction per migration.
    pub fn new(migrations: &'a [Migration]) -> Self {
        Migrator {
            migrations,
            table: MigrationsTable::default(),
            lock_mode: LockMode::Wait,
            allow_out_of_order: false,
            single_transaction: false,
            fake: false,
            timeouts: Timeouts::default(),
            notices: Notices::default(),
            interrupt: Interrupt::default(),
        }
    }

    /// Where a request to stop arrives (the CLI's SIGINT/SIGTERM): the run stops before the next migration,
    /// while waiting for the lock, between retries, or after a backfill's batch, with
    /// [`Error::Interrupted`](crate::Error::Interrupted). A statement already running is the requester's to cancel on the server.
    pub fn interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// Where the connection's server notices arrive ([`Notices::install`] on its config): each one a
    /// migration's statement causes is reported as an [`Event::Notice`](crate::Event::Notice) naming the migration and operation.
    pub fn notices(mut self, notices: Notices) -> Self {
        self.notices = notices;
        self
    }

    /// Lock and statement timeouts and the lock-timeout retry budget (default: 500 ms lock timeout, no
    /// statement timeout, two minutes of retries).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The configured timeouts.
    pub fn timeout_settings(&self) -> &Timeouts {
        &self.timeouts
    }

    /// Where the bookkeeping lives.
    pub fn table(mut self, table: MigrationsTable) -> Self {
        self.table = table;
        self
    }

    /// Wait for, or fail on, a lock held by another runner.
    pub fn lock_mode(mut self, mode: LockMode) -> Self {
        self.lock_mode = mode;
        self
    }

    /// Apply pending migrations older than the newest applied one.
    pub fn allow_out_of_order(mut self, yes: bool) -> Self {
        self.allow_out_of_order = yes;
        self
    }

    /// Wrap the whole run in one transaction instead of one per migration.
    pub fn single_transaction(mut self, yes: bool) -> Self {
        self.single_transaction = yes;
        self
    }

    /// Only write the bookkeeping; do not run the migrations' statements.
    pub fn fake(mut self, yes: bool) -> Self {
        self.fake = yes;
        self
    }

    /// The configured migrations table.
    pub fn migrations_table(&self) -> &MigrationsTable {
        &self.table
    }

    /// The compiled migrations.
    pub fn migrations(&self) -> &'a [Migration] {
        self.migrations
    }
}
