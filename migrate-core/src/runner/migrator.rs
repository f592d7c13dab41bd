//! [`Migrator`], the facade an application configures once and calls commands on: its builder methods
//! set the [`Settings`], its commands (`commands`, `repeatable`) make a [`Run`] and go through the stages.

use crate::history::MigrationsTable;
use crate::interrupt::Interrupt;
use crate::lock::LockMode;
use crate::migration::Migration;
use crate::notices::Notices;
use crate::observer::Observer;
use crate::settings::Settings;
use crate::throttle::BackfillSettings;
use crate::timeouts::Timeouts;

use super::run::{RecordsReverse, Run};

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
    /// What the builder methods set; each command reads it and changes none of it.
    pub(super) settings: Settings<'a>,
    /// Whether the migrations table records each migration's phase and `down`, as the last run that
    /// created or read it for writing found it (see [`RecordsReverse`]).
    records_reverse: RecordsReverse,
}

impl<'a> Migrator<'a> {
    /// A runner for `migrations` (ordered by timestamp, as a generated registry is), with the defaults:
    /// table `public.pgmigrations`, waiting for the lock, one transaction per migration.
    pub fn new(migrations: &'a [Migration]) -> Self {
        Migrator {
            settings: Settings::new(migrations),
            records_reverse: RecordsReverse::assumed(),
        }
    }

    /// Continues these migrations although they are marked as failed part-way (`--retry`): their marks are
    /// cleared, and each runs again from the statement that failed (or was interrupted where nothing tells
    /// whether it took effect), keeping what took effect before it. A mark written by an earlier version,
    /// which did not record what took effect, cannot be continued and is refused.
    pub fn retry(mut self, names: Vec<String>) -> Self {
        self.settings.retry = names;
        self
    }

    /// Calls `observer` around every statement it sends, on the migration's connection, and when each of its
    /// transactions starts (`migrate trace`).
    pub(crate) fn observer(mut self, observer: &'a dyn Observer) -> Self {
        self.settings.observer = Some(observer);
        self
    }

    /// Whether repeatable migrations were given (their status is read from a table of their own).
    pub(crate) fn has_repeatables(&self) -> bool {
        !self.settings.repeatables.is_empty()
    }

    /// Notes each migration this run applies or reverts in the target's record of fleet run `run` (see
    /// [`crate::fleet`]).
    pub(crate) fn run_note(mut self, run: Option<crate::history::RunNote>) -> Self {
        self.settings.run_note = run;
        self
    }

    /// Where a request to stop arrives (the CLI's SIGINT/SIGTERM): the run stops before the next migration,
    /// while waiting for the lock, between retries, or after a backfill's batch, with
    /// [`Error::Interrupted`](crate::Error::Interrupted). A statement already running is the requester's to cancel on the server.
    pub fn interrupt(mut self, interrupt: Interrupt) -> Self {
        self.settings.interrupt = interrupt;
        self
    }

    /// Where the connection's server notices arrive ([`Notices::install`] on its config): each one a
    /// migration's statement causes is reported as an [`Event::Notice`](crate::Event::Notice) naming the migration and operation.
    pub fn notices(mut self, notices: Notices) -> Self {
        self.settings.notices = notices;
        self
    }

    /// Lock and statement timeouts and the lock-timeout retry budget (default: 500 ms lock timeout, no
    /// statement timeout, two minutes of retries).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.settings.timeouts = timeouts;
        self
    }

    /// How backfills pace themselves: how far replicas may fall behind, whether they wait for a vacuum of
    /// their table or a query of yours, how long one pause may last, and how batch sizes adapt (see
    /// [`BackfillSettings`]). A backfill's own settings in its migration win.
    pub fn backfill_settings(mut self, settings: BackfillSettings) -> Self {
        self.settings.backfill = settings;
        self
    }

    /// A time budget for each `up`, `down` or `redo` (`--max-duration`), from its start: once it is spent the
    /// run stops before the next migration, after a backfill's current batch (the next run resumes it), or
    /// while it waits, with [`Error::OutOfTime`](crate::Error::OutOfTime). A statement running at that
    /// moment is cancelled by whoever holds the connection's cancel token and calls
    /// [`Interrupt::expire`] at [`Interrupt::deadline`] (the CLI and `migrate_cli::Embedded` do): its
    /// transaction rolls back.
    pub fn max_duration(mut self, budget: Option<std::time::Duration>) -> Self {
        self.settings.max_duration = budget;
        self
    }

    /// The time budget of a run that is part of a longer one (a fleet target's share of the fleet's budget):
    /// spent at `at` whenever the run starts, as [`max_duration`](Self::max_duration) otherwise.
    pub(crate) fn deadline_at(
        mut self,
        at: std::time::Instant,
        budget: std::time::Duration,
    ) -> Self {
        self.settings.deadline_at = Some((at, budget));
        self
    }

    /// The run of one command: these settings, and what it learns of the migrations table as it goes.
    pub(super) fn run(&self) -> Run<'_, 'a> {
        Run::new(&self.settings, &self.records_reverse)
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
        self.settings.second_connection = Some(crate::blockers::Connect(std::sync::Arc::new(connect)));
        // A watch of its own: clones of a migrator share its watch, and a fleet runs a clone per target at
        // once, each of which must read its own session's blockers.
        self.settings.lock_watch = Default::default();
        self
    }

    /// The server process of the session the run will be given, when known already: the lock watch of
    /// [`watch_locks`](Self::watch_locks) does not ask for it again. After `watch_locks`.
    pub(crate) fn session_pid(mut self, pid: i32) -> Self {
        self.settings.lock_watch = crate::blockers::LockWatch::of_session(pid);
        self
    }

    /// The configured time budget.
    pub fn max_duration_setting(&self) -> Option<std::time::Duration> {
        self.settings.max_duration
    }

    /// The configured backfill settings.
    pub fn backfill_setting(&self) -> &BackfillSettings {
        &self.settings.backfill
    }

    /// The configured timeouts.
    pub fn timeout_settings(&self) -> &Timeouts {
        &self.settings.timeouts
    }

    /// Repeatable migrations (`repeatable_<name>.rs`), ordered by name: `run_up` to the end applies each one
    /// whose checksum differs from the one recorded when it last ran, after the versioned migrations.
    pub fn repeatables(mut self, repeatables: &'a [Migration]) -> Self {
        self.settings.repeatables = repeatables;
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
        self.settings.own_session = true;
        self
    }

    /// The repeatable migrations given with [`repeatables`](Migrator::repeatables).
    pub fn repeatable_migrations(&self) -> &'a [Migration] {
        self.settings.repeatables
    }

    /// Where the bookkeeping lives.
    pub fn table(mut self, table: MigrationsTable) -> Self {
        self.settings.table = table;
        self
    }

    /// Wait for, or fail on, a lock held by another runner.
    pub fn lock_mode(mut self, mode: LockMode) -> Self {
        self.settings.lock_mode = mode;
        self
    }

    /// Apply pending migrations older than the newest applied one.
    pub fn allow_out_of_order(mut self, yes: bool) -> Self {
        self.settings.allow_out_of_order = yes;
        self
    }

    /// Wrap the whole run in one transaction instead of one per migration.
    pub fn single_transaction(mut self, yes: bool) -> Self {
        self.settings.single_transaction = yes;
        self
    }

    /// Lets `down` revert migrations a newer release of the application applied (this binary, an older
    /// release after a rollback, has no file for them) with the `down` each row recorded when it was
    /// applied, rendered by that release: in a transaction or not as recorded, with this run's lock timeout
    /// and retries. One without a recorded `down` is still refused. Off by default: the SQL comes from the
    /// database, not from this binary, so the caller asks for it.
    pub fn recorded_downs(mut self, yes: bool) -> Self {
        self.settings.recorded_downs = yes;
        self
    }

    /// Before a migration that requires background jobs to have finished
    /// ([`require_background_jobs`](migrate_dsl::MigrationBuilder::require_background_jobs)), runs what is
    /// left of them in this process (as [`Migrator::work`] does) instead of refusing the migration: for
    /// development and test databases, where nobody runs workers. Off by default: in production the jobs
    /// run after the deploy, by workers.
    pub fn finish_jobs(mut self, yes: bool) -> Self {
        self.settings.finish_jobs = yes;
        self
    }

    /// Only write the bookkeeping; do not run the migrations' statements.
    pub fn fake(mut self, yes: bool) -> Self {
        self.settings.fake = yes;
        self
    }

    /// The configured migrations table.
    pub fn migrations_table(&self) -> &MigrationsTable {
        &self.settings.table
    }

    /// The compiled migrations.
    pub fn migrations(&self) -> &'a [Migration] {
        self.settings.migrations
    }

    /// The migration called `name` (its full name, or its timestamp), or the error naming the ones that are.
    pub fn find(&self, name: &str) -> Result<&'a Migration, crate::Error> {
        super::select::find(self.settings.migrations, name)
    }
}
