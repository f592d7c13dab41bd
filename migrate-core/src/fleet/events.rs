//! A fleet run's progress, so the engine never prints: the CLI shows it as a progress display or as lines.

use crate::events::Event;

use super::report::{StopReason, TargetReport, TargetStatus};
use super::target::Target;

/// Something that happened during a fleet run. `index` is the target's position in the fleet.
#[derive(Debug)]
#[non_exhaustive]
pub enum FleetEvent<'e> {
    /// A target's session is being opened.
    Started { index: usize, target: &'e Target },
    /// Something happened on a target's run (a migration started or finished, a retry, a backfill batch).
    Engine {
        index: usize,
        target: &'e Target,
        event: Event<'e>,
    },
    /// Another runner holds the target's migration lock: it is put back and revisited later.
    Busy {
        index: usize,
        target: &'e Target,
        /// The server process holding the lock, when it could be read.
        holder: Option<i32>,
        /// How many times it was found held so far in this run (1 the first time).
        revisits: u32,
    },
    /// A target's run ended.
    Finished {
        index: usize,
        target: &'e Target,
        report: &'e TargetReport,
    },
    /// A target's status was read (`status`).
    Read {
        index: usize,
        target: &'e Target,
        status: &'e TargetStatus,
    },
    /// Every canary target succeeded: the others start now.
    CanaryPassed { targets: usize },
    /// The fleet's time budget ([`FleetOptions::max_duration`](super::FleetOptions::max_duration)) is spent:
    /// the statements running on `cancelled` targets were cancelled on the server; no other target starts.
    BudgetSpent {
        budget: std::time::Duration,
        cancelled: usize,
    },
    /// No other target will be started.
    Stopping { reason: &'e StopReason },
}
