//! What a fleet run did to each target, and where each target stands.

use std::time::Duration;

use crate::error::Error;

/// How a target ended in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetState {
    /// Every migration asked for is applied (or reverted); possibly nothing was left to do.
    Done,
    /// A migration (or the bookkeeping) failed; its transaction rolled back, the ones before it stay.
    Failed,
    /// No session could be opened.
    Unreachable,
    /// Another runner held its migration lock until the end ([`OnBusy::Report`](super::OnBusy::Report)).
    Busy,
    /// A stop request (SIGINT, SIGTERM) or the fleet's spent time budget stopped it where that leaves a clean
    /// state.
    Interrupted,
    /// Not started: the failure policy or a failed canary stopped the rollout first.
    Skipped,
    /// Not started: a stop request or the end of the time budget came first.
    Pending,
}

impl TargetState {
    /// `done`, `failed`, `unreachable`, `busy`, `interrupted`, `skipped`, `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Done => "done",
            TargetState::Failed => "failed",
            TargetState::Unreachable => "unreachable",
            TargetState::Busy => "busy",
            TargetState::Interrupted => "interrupted",
            TargetState::Skipped => "skipped",
            TargetState::Pending => "pending",
        }
    }

    /// Every state, in the order summaries list them.
    pub const ALL: [TargetState; 7] = [
        TargetState::Done,
        TargetState::Failed,
        TargetState::Unreachable,
        TargetState::Busy,
        TargetState::Interrupted,
        TargetState::Skipped,
        TargetState::Pending,
    ];
}

impl std::fmt::Display for TargetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a target failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetError {
    /// The whole message (the engine's, which names the migration, operation and statement).
    pub message: String,
    /// The migration that failed, when one did.
    pub migration: Option<String>,
    /// The server's SQLSTATE, when the server reported the failure.
    pub sqlstate: Option<String>,
    /// The target's session was closed when its run failed: the server ended it (its
    /// `idle_in_transaction_session_timeout`, a restart, an administrator) or the network dropped it. Its
    /// message does not always reach the client, so the front end says what may have caused it.
    pub session_ended: bool,
    /// The migration is marked as failed part-way on this target (a raw statement that failed after others
    /// took effect): the next run refuses there until a person checks it and retries it.
    pub marked: bool,
}

impl TargetError {
    /// A failure of the engine, with its migration and SQLSTATE.
    pub fn of(error: &Error) -> TargetError {
        TargetError {
            message: error.to_string(),
            migration: failed_migration(error),
            sqlstate: sqlstate(error),
            session_ended: false,
            marked: marked(error),
        }
    }

    /// A session the server refused (or that could not be opened), with the server's SQLSTATE when it
    /// gave one.
    pub fn refused(message: impl Into<String>, sqlstate: Option<String>) -> TargetError {
        TargetError {
            sqlstate,
            ..TargetError::message(message)
        }
    }

    /// A failure with a message only.
    pub fn message(message: impl Into<String>) -> TargetError {
        TargetError {
            message: message.into(),
            migration: None,
            sqlstate: None,
            session_ended: false,
            marked: false,
        }
    }
}

/// Whether `error` leaves (or met) a failure mark on its migration.
fn marked(error: &Error) -> bool {
    match error {
        Error::FailedPartWay { .. } | Error::TransactionEnded(_) => true,
        // A statement that never got its locks, in a migration whose earlier statements took effect.
        Error::LockTimeout { error, .. } => marked(error),
        Error::Statement(e) => matches!(e.outcome, crate::Outcome::PartiallyApplied { committed } if committed > 0),
        Error::Data(e) => matches!(e.outcome, crate::Outcome::PartiallyApplied { committed } if committed > 0),
        _ => false,
    }
}

/// The migration an error is about.
fn failed_migration(error: &Error) -> Option<String> {
    match error {
        Error::Invalid { name, .. }
        | Error::Panicked { name, .. }
        | Error::LockTimeout { name, .. }
        | Error::NeedsNoTransaction { name } => Some(name.clone()),
        Error::Statement(e) => Some(e.name.clone()),
        Error::Data(e) => Some(e.name.clone()),
        Error::NotOwned(e) => Some(e.name.clone()),
        Error::Restore(e) => Some(e.name.clone()),
        Error::Precondition(e) => Some(e.name.clone()),
        Error::TransactionEnded(e) => Some(e.name.clone()),
        Error::FailedPartWay { failures, .. } => failures.first().map(|f| f.name.clone()),
        _ => None,
    }
}

/// The SQLSTATE of the first server error in `error`'s causes.
pub(crate) fn sqlstate(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(code) = e
            .downcast_ref::<postgres::Error>()
            .and_then(postgres::Error::code)
        {
            return Some(code.code().to_owned());
        }
        cause = e.source();
    }
    None
}

/// What a run did to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetReport {
    /// The target's name.
    pub name: String,
    pub state: TargetState,
    /// The newest applied migration before the run (by name, which is timestamp order), when it was read.
    pub version_before: Option<String>,
    /// The newest applied migration after the run, when it was read.
    pub version_after: Option<String>,
    /// The migrations applied (or, for `down`, reverted) on it, in order.
    pub ran: Vec<String>,
    /// From its session's opening to the end of its run (0 for a target that did not start).
    pub duration: Duration,
    /// How many times it was found held by another runner and put back.
    pub busy: u32,
    pub error: Option<TargetError>,
}

impl TargetReport {
    pub(crate) fn not_started(name: &str, state: TargetState, busy: u32) -> TargetReport {
        TargetReport {
            name: name.to_owned(),
            state,
            version_before: None,
            version_after: None,
            ran: Vec::new(),
            duration: Duration::ZERO,
            busy,
            error: None,
        }
    }
}

/// Why a fleet run stopped starting targets before it ran them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// A canary target did not succeed (the named ones).
    Canary { failed: Vec<String> },
    /// A target failed under [`OnError::Stop`](super::OnError::Stop).
    Failure { target: String },
    /// [`FleetOptions::max_failures`](super::FleetOptions::max_failures) targets failed.
    MaxFailures { failures: usize },
    /// A stop request ([`Stop`](super::Stop)) with this signal.
    Signal(i32),
    /// The fleet's time budget ([`FleetOptions::max_duration`](super::FleetOptions::max_duration)) is spent.
    OutOfTime(Duration),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Canary { failed } => write!(
                f,
                "the canary did not succeed on {}, so the rollout stopped before the other targets",
                failed.join(", ")
            ),
            StopReason::Failure { target } => write!(
                f,
                "{target} failed and the failure policy is `stop`: no other target was started"
            ),
            StopReason::MaxFailures { failures } => write!(
                f,
                "{failures} target(s) failed, the most the fleet's failure limit allows: no other target was started"
            ),
            StopReason::Signal(signal) => write!(
                f,
                "stopped on {}: no other target was started",
                crate::error::signal_name(*signal)
            ),
            StopReason::OutOfTime(budget) => write!(
                f,
                "the time budget of {} is spent: no other target was started",
                crate::error::describe_wait(*budget)
            ),
        }
    }
}

/// What a fleet run did, one report per target in the order the targets were given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetReport {
    pub targets: Vec<TargetReport>,
    /// Why targets were left unstarted, if they were.
    pub stopped: Option<StopReason>,
    pub duration: Duration,
}

impl FleetReport {
    /// How many targets ended in `state`.
    pub fn count(&self, state: TargetState) -> usize {
        self.targets.iter().filter(|t| t.state == state).count()
    }

    /// Whether every target is done.
    pub fn all_done(&self) -> bool {
        self.targets.iter().all(|t| t.state == TargetState::Done)
    }

    /// Migrations applied (or reverted) over all targets.
    pub fn ran(&self) -> usize {
        self.targets.iter().map(|t| t.ran.len()).sum()
    }
}

/// Where a target is in an expand/contract rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Nothing pending.
    Current,
    /// Only contracts (and what follows them) are pending: the expands are in, the app may roll out.
    Expanded,
    /// Expands are pending.
    Behind,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Current => "current",
            Phase::Expanded => "expanded",
            Phase::Behind => "behind",
        }
    }
}

/// Where a target stands (`fleet status`), read without a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetStatus {
    /// The target's name.
    pub name: String,
    /// The newest applied migration, by name.
    pub version: Option<String>,
    pub applied: usize,
    pub pending: usize,
    /// Pending migrations marked contract.
    pub contracts_pending: usize,
    /// `None` when the status could not be read.
    pub phase: Option<Phase>,
    /// What makes `up` refuse on it, one line each: `CHANGED <name>`, `MISSING FILE <name>`,
    /// `FAILED <name> (part-way, N statement(s) committed)`, `OUT OF ORDER <name>`, `RENAMED <old> -> <new>`.
    pub problems: Vec<String>,
    /// Its slowest applied migration and its recorded execution time in milliseconds.
    pub slowest: Option<(String, i64)>,
    /// The session could not be opened.
    pub unreachable: bool,
    /// Why the status could not be read.
    pub error: Option<TargetError>,
    /// How long reading it took.
    pub duration: Duration,
}

impl TargetStatus {
    /// Unreachable, unreadable or with a problem: what `fleet status` exits non-zero for.
    pub fn has_problem(&self) -> bool {
        self.error.is_some() || !self.problems.is_empty()
    }
}
