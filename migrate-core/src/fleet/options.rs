//! How a fleet runs: how many targets at once, the canary, the failure policy.

/// Targets run at once unless configured, over all servers: two servers' worth of [`DEFAULT_PER_SERVER`], so
/// a fleet spread over several servers keeps each of them busy without crowding any.
pub const DEFAULT_PARALLEL: usize = 16;

/// Sessions one server gets at once unless configured. Most of a small migration's time is the server
/// flushing its commit to disk, and commits of several sessions are flushed together: on a 2-core server with
/// fsync on, 1,000 schemas took 12-14 s four at a time, 9 s eight at a time, and 10 s sixteen at a time (the
/// cores were the limit then). Past that, sessions wait on each other, and every session is a server process
/// taken from `max_connections`, which the application needs too.
pub const DEFAULT_PER_SERVER: usize = 8;

/// How a fleet runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetOptions {
    /// Targets run at once, over all servers (at least 1).
    pub parallel: usize,
    /// Targets of one server (all its databases and schemas) run at once (at least 1).
    pub per_server: usize,
    /// Targets that run first and must all succeed before the others start.
    pub canary: Canary,
    /// What a failed target does to the targets not started yet.
    pub on_error: OnError,
    /// With [`OnError::Continue`]: stop starting targets once this many failed.
    pub max_failures: Option<usize>,
    /// What to do with a target whose migration lock another runner holds, once nothing else is left.
    pub on_busy: OnBusy,
    /// Schemas after a schema target's own in its `search_path` (e.g. `extensions`, where shared extensions
    /// live); `pg_catalog` is always searched.
    pub search_path: Vec<String>,
    /// A time budget for a whole `up` or `down`, from its start (`--max-duration`). Once it is spent no
    /// target starts, and every running target stops as a single run does at its budget: its running
    /// statement is cancelled on the server (its transaction rolls back), a backfill stops after its current
    /// batch. Such targets end [`Interrupted`](super::TargetState::Interrupted), the ones not started
    /// [`Pending`](super::TargetState::Pending); running again resumes them.
    pub max_duration: Option<std::time::Duration>,
    /// The run's id, recorded on every target it visits with what it did there (see
    /// [`RunRecord`](super::RunRecord)); `None`: a new one ([`new_run_id`](super::new_run_id)).
    pub run_id: Option<String>,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            parallel: DEFAULT_PARALLEL,
            per_server: DEFAULT_PER_SERVER,
            canary: Canary::None,
            on_error: OnError::Stop,
            max_failures: None,
            on_busy: OnBusy::Wait,
            search_path: Vec::new(),
            max_duration: None,
            run_id: None,
        }
    }
}

/// The targets that go first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Canary {
    #[default]
    None,
    /// The first N targets, in the order they were given.
    First(usize),
    /// These targets, by name.
    Named(Vec<String>),
}

/// What a failed target does to the targets not started yet. Targets already running always finish: each
/// is its own unit, and stopping one half-way would only leave it to be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Start no other target (the default: a migration that fails on one tenant likely fails on the next).
    #[default]
    Stop,
    /// Go on with the others (up to [`FleetOptions::max_failures`]), and report every failure at the end.
    Continue,
}

/// A target whose migration lock another runner holds is put back and revisited while other targets are
/// free; this says what happens once only such targets are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnBusy {
    /// Keep revisiting until the other runner is done (it then finds nothing left to apply, or applies
    /// what the other runner did not). A run that ends without error has every target where it asked.
    #[default]
    Wait,
    /// Report them as busy.
    Report,
}
