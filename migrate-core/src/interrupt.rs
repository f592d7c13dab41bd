//! Stopping a run on request (the CLI's SIGINT and SIGTERM): the request is noted here by whoever receives
//! it, and the runner checks it where stopping leaves a clean state: before each migration, while waiting for
//! the lock or between lock-timeout retries, and after each committed backfill batch. A statement already
//! running is the receiver's to cancel on the server (its transaction then rolls back as on any error):
//! [`Interrupt::request`] says when to.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::{DataCause, Error};

/// A shared stop request. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// The signal number of the last request, for messages; 0 for none.
    signal: AtomicI32,
    requests: AtomicU32,
    in_backfill: AtomicBool,
    /// The run's time budget (`--max-duration`) and when it is spent.
    deadline: Mutex<Option<(Instant, Duration)>>,
}

impl Interrupt {
    /// No request yet.
    pub fn new() -> Self {
        Interrupt::default()
    }

    /// Notes a request to stop, made by `signal` (its number, for messages), and returns whether the
    /// statement running now should be cancelled on the server: yes, except for the first request while a
    /// backfill runs, which stops after the batch in progress commits (a second one stops at once).
    pub fn request(&self, signal: i32) -> bool {
        self.0.signal.store(signal, Ordering::SeqCst);
        let before = self.0.requests.fetch_add(1, Ordering::SeqCst);
        !(before == 0 && self.0.in_backfill.load(Ordering::SeqCst))
    }

    /// The signal of the request, once one was made.
    pub fn requested(&self) -> Option<i32> {
        match self.0.signal.load(Ordering::SeqCst) {
            0 if self.0.requests.load(Ordering::SeqCst) == 0 => None,
            signal => Some(signal),
        }
    }

    /// Gives the run a time budget from now (`--max-duration`): once it is spent, the run stops where it
    /// stops on a request (before the next migration, after a backfill's batch, between retries, while
    /// waiting), with [`Error::OutOfTime`]. A statement running then is cancelled by whoever calls
    /// [`Interrupt::expire`] at the deadline (the CLI does). `None` removes the budget.
    pub fn set_deadline(&self, budget: Option<Duration>) {
        *self.0.deadline.lock().unwrap_or_else(|e| e.into_inner()) =
            budget.map(|b| (Instant::now() + b, b));
    }

    /// Gives the run the budget `budget` that is spent at `at` (a budget that started before the run: a
    /// fleet's, shared by its targets).
    pub(crate) fn set_deadline_at(&self, at: Instant, budget: Duration) {
        *self.0.deadline.lock().unwrap_or_else(|e| e.into_inner()) = Some((at, budget));
    }

    /// When the time budget is spent, and the budget, if there is one.
    pub fn deadline(&self) -> Option<(Instant, Duration)> {
        *self.0.deadline.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// At the deadline: returns whether the statement running now should be cancelled on the server. Yes,
    /// except while a backfill runs, which stops after its current batch (as on a first signal).
    pub fn expire(&self) -> bool {
        !self.in_backfill()
    }

    /// The time budget, once it is spent.
    pub(crate) fn out_of_time(&self) -> Option<Duration> {
        let deadline = *self.0.deadline.lock().unwrap_or_else(|e| e.into_inner());
        deadline.and_then(|(at, budget)| (Instant::now() >= at).then_some(budget))
    }

    /// Why the run must stop now, if it must: a signal, else a spent time budget.
    pub(crate) fn stop(&self) -> Option<Stop> {
        self.requested()
            .map(Stop::Signal)
            .or_else(|| self.out_of_time().map(Stop::OutOfTime))
    }

    /// Whether a backfill is running (a first request then waits for its batch).
    pub fn in_backfill(&self) -> bool {
        self.0.in_backfill.load(Ordering::SeqCst)
    }

    /// Marks a backfill as running until the guard is dropped.
    pub(crate) fn backfill(&self) -> BackfillGuard<'_> {
        self.0.in_backfill.store(true, Ordering::SeqCst);
        BackfillGuard(self)
    }
}

/// Why a run stops before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// A signal (its number) asked for it.
    Signal(i32),
    /// The run's time budget is spent.
    OutOfTime(Duration),
}

impl Stop {
    /// The run's error, `what` saying where it stopped and what that left.
    pub(crate) fn error(self, what: String) -> Error {
        match self {
            Stop::Signal(signal) => Error::Interrupted { signal, what },
            Stop::OutOfTime(budget) => Error::OutOfTime { budget, what },
        }
    }

    /// A backfill's cause for stopping after a committed batch.
    pub(crate) fn cause(self, done: u64, total: u64) -> DataCause {
        match self {
            Stop::Signal(signal) => DataCause::Interrupted {
                signal,
                done,
                total,
            },
            Stop::OutOfTime(budget) => DataCause::OutOfTime {
                budget,
                done,
                total,
            },
        }
    }
}

/// While alive, a backfill runs.
pub(crate) struct BackfillGuard<'a>(&'a Interrupt);

impl Drop for BackfillGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.in_backfill.store(false, Ordering::SeqCst);
    }
}

/// `SIGINT`, `SIGTERM`, or `signal N`. SIGPIPE is what the CLI requests a stop with when its output is
/// closed.
pub fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT".to_owned(),
        15 => "SIGTERM".to_owned(),
        1 => "SIGHUP".to_owned(),
        13 => "SIGPIPE".to_owned(),
        n => format!("signal {n}"),
    }
}
