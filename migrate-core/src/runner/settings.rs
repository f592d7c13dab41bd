//! The runner and its settings.

use postgres::Client;

use crate::error::Error;
use crate::events::Event;
use crate::history::MigrationsTable;
use crate::interrupt::Interrupt;
use crate::lock::LockMode;
use crate::migration::Migration;
use crate::notices::Notices;
use crate::observer::Observer;
use crate::throttle::BackfillSettings;
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
    pub(crate) migrations: &'a [Migration],
    /// Repeatable migrations, in the order they are applied (by name).
    pub(super) repeatables: &'a [Migration],
    pub(crate) table: MigrationsTable,
    pub(super) lock_mode: LockMode,
    pub(super) allow_out_of_order: bool,
    pub(super) single_transaction: bool,
    pub(super) fake: bool,
    pub(crate) timeouts: Timeouts,
    pub(super) notices: Notices,
    pub(crate) interrupt: Interrupt,
    pub(crate) backfill: BackfillSettings,
    pub(super) max_duration: Option<std::time::Duration>,
    /// A budget that started before the run (a fleet's): when it is spent, and the budget. Wins over
    /// `max_duration`.
    pub(super) deadline_at: Option<(std::time::Instant, std::time::Duration)>,
    pub(super) lock_watch: crate::blockers::LockWatch,
    pub(super) second_connection: Option<crate::blockers::Connect>,
    /// Watches each unit as it runs (`migrate trace`).
    pub(super) observer: Option<&'a dyn Observer>,
    /// The connection is the caller's own, outside any transaction ([`Migrator::own_session`]).
    pub(super) own_session: bool,
    /// Migrations whose failure marks this run clears, to continue them ([`Migrator::retry`]).
    pub(super) retry: Vec<String>,
    /// Whether the migrations table has the columns that record each migration's phase and `down` (as
    /// `history::ensure` found it before the run's first step).
    pub(super) records_reverse: RecordsReverse,
    /// Revert migrations a newer release applied with the `down` their rows recorded
    /// ([`Migrator::recorded_downs`]).
    pub(super) recorded_downs: bool,
    /// Run what is left of the background jobs a migration requires before it, instead of refusing it
    /// ([`Migrator::finish_jobs`]).
    pub(crate) finish_jobs: bool,
}

/// [`Migrator::records_reverse`]: set by each run from its own table, so a clone (a fleet's migrator for
/// another target) starts from the value and then keeps its own.
#[derive(Debug, Default)]
pub(super) struct RecordsReverse(std::sync::atomic::AtomicBool);

impl RecordsReverse {
    pub(super) fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(super) fn set(&self, yes: bool) {
        self.0.store(yes, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clone for RecordsReverse {
    fn clone(&self) -> Self {
        RecordsReverse(std::sync::atomic::AtomicBool::new(self.get()))
    }
}

impl<'a> Migrator<'a> {
    /// A runner for `migrations` (ordered by timestamp, as a generated registry is), with the defaults:
    /// table `public.pgmigrations`, waiting for the lock, one transaction per migration.
    pub fn new(migrations: &'a [Migration]) -> Self {
        Migrator {
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
            lock_watch: Default::default(),
            second_connection: None,
            observer: None,
            own_session: false,
            retry: Vec::new(),
            records_reverse: RecordsReverse(std::sync::atomic::AtomicBool::new(true)),
            recorded_downs: false,
            finish_jobs: false,
        }
    }

    /// Continues these migrations although they are marked as failed part-way (`--retry`): their marks are
    /// cleared, and each runs again from the statement that failed (or was interrupted where nothing tells
    /// whether it took effect), keeping what took effect before it. A mark written by an earlier version,
    /// which did not record what took effect, cannot be continued and is refused.
    pub fn retry(mut self, names: Vec<String>) -> Self {
        self.retry = names;
        self
    }

    /// Calls `observer` around every statement it sends, on the migration's connection, and when each of its
    /// transactions starts (`migrate trace`).
    pub(crate) fn observer(mut self, observer: &'a dyn Observer) -> Self {
        self.observer = Some(observer);
        self
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

    /// How backfills pace themselves: how far replicas may fall behind, whether they wait for a vacuum of
    /// their table or a query of yours, how long one pause may last, and how batch sizes adapt (see
    /// [`BackfillSettings`]). A backfill's own settings in its migration win.
    pub fn backfill_settings(mut self, settings: BackfillSettings) -> Self {
        self.backfill = settings;
        self
    }

    /// A time budget for each `up`, `down` or `redo` (`--max-duration`), from its start: once it is spent the
    /// run stops before the next migration, after a backfill's current batch (the next run resumes it), or
    /// while it waits, with [`Error::OutOfTime`](crate::Error::OutOfTime). A statement running at that
    /// moment is cancelled by whoever holds the connection's cancel token and calls
    /// [`Interrupt::expire`] at [`Interrupt::deadline`] (the CLI and `migrate_cli::Embedded` do): its
    /// transaction rolls back.
    pub fn max_duration(mut self, budget: Option<std::time::Duration>) -> Self {
        self.max_duration = budget;
        self
    }

    /// The time budget of a run that is part of a longer one (a fleet target's share of the fleet's budget):
    /// spent at `at` whenever the run starts, as [`max_duration`](Self::max_duration) otherwise.
    pub(crate) fn deadline_at(
        mut self,
        at: std::time::Instant,
        budget: std::time::Duration,
    ) -> Self {
        self.deadline_at = Some((at, budget));
        self
    }

    /// Runs `f` under the migration lock of this migrator's table, with its lock mode, timeouts and
    /// interrupt: every command that changes anything goes through here.
    pub(super) fn locked<T>(
        &self,
        client: &mut Client,
        events: &mut dyn FnMut(Event<'_>),
        f: impl FnOnce(&mut Client, &mut dyn FnMut(Event<'_>)) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // The migrations' commits did not wait for the disk (see `units`): a commit that does flushes them all
        // before the lock is released and the run reports. The server waits only for a transaction that
        // wrote to its log, and a transaction id alone writes nothing; a transactional logical message is a
        // record and nothing else (any role may write one, at any `wal_level`; a logical decoding client sees
        // it with its prefix). Only when the log holds what is not on disk yet, so that a run that committed
        // nothing (an app's start-up with nothing pending) writes nothing; never on a standby, which can write
        // nothing (CASE evaluates in order: the positions cannot be read there).
        let (done, flushed) = crate::lock::with_lock_ending(
            client,
            &self.table,
            self.lock_mode,
            &self.timeouts,
            &self.interrupt,
            events,
            "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL \
             WHEN pg_catalog.pg_current_wal_insert_lsn() > pg_catalog.pg_current_wal_flush_lsn() \
             THEN pg_catalog.pg_logical_emit_message(true, 'migrate', 'run ended') END;",
            f,
        );
        match (done, flushed) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(e)) => Err(Error::database(
                "cannot wait for the run's commits to reach the disk (the server may have lost the newest \
                 ones; `status` says which are applied)"
                    .to_owned(),
            )(e)),
            // The run's own error says more; the flush is best effort then.
            (Err(e), _) => Err(e),
        }
    }

    /// Starts the run's time budget on its interrupt: the fleet's deadline, else `max_duration` from now.
    pub(super) fn start_budget(&self) {
        match self.deadline_at {
            Some((at, budget)) => self.interrupt.set_deadline_at(at, budget),
            None => self.interrupt.set_deadline(self.max_duration),
        }
    }

    /// Watches the run's locks on a second connection that `connect` opens: when a statement hits
    /// `lock_timeout`, the retry's message, an [`Event::LockBlocked`](crate::Event::LockBlocked) and, once the
    /// retries are spent, the error name the sessions that held the locks it waited for and how many sessions
    /// queued behind it (see [`Blocked`](crate::Blocked)). The connection is opened when `up`, `down` or `redo`
    /// starts and closed when it ends; if it cannot be opened, the run goes on without the report.
    pub fn watch_locks(
        mut self,
        connect: impl Fn() -> Result<postgres::Client, String> + Send + Sync + 'static,
    ) -> Self {
        self.second_connection = Some(crate::blockers::Connect(std::sync::Arc::new(connect)));
        // A watch of its own: clones of a migrator share its watch, and a fleet runs a clone per target at
        // once, each of which must read its own session's blockers.
        self.lock_watch = Default::default();
        self
    }

    /// The server process of the session the run will be given, when known already: the lock watch of
    /// [`watch_locks`](Self::watch_locks) does not ask for it again. After `watch_locks`.
    pub(crate) fn session_pid(mut self, pid: i32) -> Self {
        self.lock_watch = crate::blockers::LockWatch::of_session(pid);
        self
    }

    /// The configured time budget.
    pub fn max_duration_setting(&self) -> Option<std::time::Duration> {
        self.max_duration
    }

    /// The configured backfill settings.
    pub fn backfill_setting(&self) -> &BackfillSettings {
        &self.backfill
    }

    /// The configured timeouts.
    pub fn timeout_settings(&self) -> &Timeouts {
        &self.timeouts
    }

    /// Repeatable migrations (`repeatable_<name>.rs`), ordered by name: `run_up` to the end applies each one
    /// whose checksum differs from the one recorded when it last ran, after the versioned migrations.
    pub fn repeatables(mut self, repeatables: &'a [Migration]) -> Self {
        self.repeatables = repeatables;
        self
    }

    /// Says that the connection given to [`status`](Migrator::status) and the plans is this program's own
    /// and outside any transaction: the history is then read in one query, which fails when the table is
    /// missing or laid out otherwise (the usual two queries follow), instead of two that cannot fail. Not
    /// for a connection whose transaction a failed query would abort. The installed `migrate` sets it for the
    /// `status` and no-op `up` it answers itself.
    ///
    /// ```
    /// use migrate_core::Migrator;
    /// let migrator = Migrator::new(&[]).own_session();
    /// # let _ = migrator;
    /// ```
    pub fn own_session(mut self) -> Self {
        self.own_session = true;
        self
    }

    /// The repeatable migrations given with [`repeatables`](Migrator::repeatables).
    pub fn repeatable_migrations(&self) -> &'a [Migration] {
        self.repeatables
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

    /// Lets `down` revert migrations a newer release of the application applied (this binary, an older
    /// release after a rollback, has no file for them) with the `down` each row recorded when it was
    /// applied, rendered by that release: in a transaction or not as recorded, with this run's lock timeout
    /// and retries. One without a recorded `down` is still refused. Off by default: the SQL comes from the
    /// database, not from this binary, so the caller asks for it.
    pub fn recorded_downs(mut self, yes: bool) -> Self {
        self.recorded_downs = yes;
        self
    }

    /// Before a migration that requires background jobs to have finished
    /// ([`require_background_jobs`](migrate_dsl::MigrationBuilder::require_background_jobs)), runs what is
    /// left of them in this process (as [`Migrator::work`] does) instead of refusing the migration: for
    /// development and test databases, where nobody runs workers. Off by default: in production the jobs
    /// run after the deploy, by workers.
    pub fn finish_jobs(mut self, yes: bool) -> Self {
        self.finish_jobs = yes;
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

    /// The migration called `name` (its full name, or its timestamp), or the error naming the ones that are.
    pub fn find(&self, name: &str) -> Result<&'a Migration, crate::Error> {
        super::select::find(self.migrations, name)
    }
}
