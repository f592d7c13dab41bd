//! Stopping a whole fleet on request (the CLI's SIGINT and SIGTERM): no target starts after it, and every
//! running target stops as a single run does ([`Interrupt`]): before its next migration, after a
//! backfill's batch, or at once with its running statement cancelled on the server (its transaction rolls
//! back, its lock is released). The fleet's time budget (`--max-duration`) stops it the same way once spent
//! ([`FleetOptions::max_duration`](super::FleetOptions::max_duration)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::interrupt::Interrupt;

/// A shared stop request for a fleet run. Clones share it.
#[derive(Clone, Default)]
pub struct Stop(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// The fleet's own request: it starts nothing new once this is requested.
    fleet: Interrupt,
    /// The running targets, by position: each one's own request and the cancel of its session.
    running: Mutex<HashMap<usize, Running>>,
}

struct Running {
    interrupt: Interrupt,
    cancel: Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stop")
            .field("requested", &self.requested())
            .finish_non_exhaustive()
    }
}

impl Stop {
    /// No request yet.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Notes a request to stop made by `signal` (its number, for messages): no target starts from now on,
    /// and each running target gets the request as a single run gets it: its running statement is
    /// cancelled on the server, except, on a first request, a backfill's batch, which commits first
    /// ([`Interrupt::request`]). Returns how many running targets got it.
    pub fn request(&self, signal: i32) -> usize {
        self.0.fleet.request(signal);
        let running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for target in running.values() {
            target
                .interrupt
                .request_and_cancel(signal, || (target.cancel)());
        }
        running.len()
    }

    /// The signal of the request, once one was made.
    pub fn requested(&self) -> Option<i32> {
        self.0.fleet.requested()
    }

    /// The fleet's own request, as an [`Interrupt`] (to report the signal that stopped the run).
    pub fn interrupt(&self) -> &Interrupt {
        &self.0.fleet
    }

    /// Gives the fleet run a time budget from now (`None`: none). Every target's run shares it: a target
    /// started later gets what is left.
    pub(crate) fn set_deadline(&self, budget: Option<Duration>) {
        self.0.fleet.set_deadline(budget);
    }

    /// When the fleet's time budget is spent, and the budget, if there is one.
    pub(crate) fn deadline(&self) -> Option<(Instant, Duration)> {
        self.0.fleet.deadline()
    }

    /// The fleet's time budget, once it is spent.
    pub(crate) fn out_of_time(&self) -> Option<Duration> {
        self.0.fleet.out_of_time()
    }

    /// At the fleet's deadline: the statement running on each running target is cancelled on the server
    /// (its transaction rolls back), except a backfill's batch, which commits first ([`Interrupt::expire`]).
    /// Each target's run then stops by itself, as its interrupt has the same deadline. Returns how many
    /// running targets had their statement cancelled.
    pub(crate) fn expire(&self) -> usize {
        let running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut cancelled = 0;
        for target in running.values() {
            if target.interrupt.expire_and_cancel(|| (target.cancel)()) {
                cancelled += 1;
            }
        }
        cancelled
    }

    /// Notes target `index` as running with `interrupt` and the cancel of its session, until the returned
    /// guard is dropped. A request made already reaches it at once.
    pub(crate) fn register(
        &self,
        index: usize,
        interrupt: &Interrupt,
        cancel: Arc<dyn Fn() + Send + Sync>,
    ) -> Registered<'_> {
        self.0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                index,
                Running {
                    interrupt: interrupt.clone(),
                    cancel,
                },
            );
        // A request between the caller's last look and the insert above would otherwise be missed.
        if let Some(signal) = self.requested() {
            interrupt.request(signal);
        }
        // The fleet's budget is the target's too (its run stops by itself once it is spent).
        if let Some((at, budget)) = self.deadline() {
            interrupt.set_deadline_at(at, budget);
        }
        Registered { stop: self, index }
    }
}

/// While alive, a target is running.
pub(crate) struct Registered<'s> {
    stop: &'s Stop,
    index: usize,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.stop
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.index);
    }
}
