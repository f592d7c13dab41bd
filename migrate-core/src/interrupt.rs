//! Stopping a run on request (the CLI's SIGINT and SIGTERM): the request is noted here by whoever receives
//! it, and the runner checks it where stopping leaves a clean state: before each migration, while waiting for
//! the lock or between lock-timeout retries, and before and after each backfill batch. A statement already
//! running is the receiver's to cancel on the server (its transaction then rolls back as on any error):
//! [`Interrupt::request_and_cancel`] says when to and cancels.
//!
//! A backfill is spared only while a batch runs: a first request lets the batch commit (at most
//! [`BATCH_GRACE`], after which the receiver cancels it with [`Interrupt::cancel_batch`]; it rolls back and
//! the next run does it again). Between batches (a pause, its checks, a lock-timeout retry's delay) there is
//! nothing to lose, so the running statement (a `pause_while` query that hangs, say) is cancelled at once.
//! Deciding and cancelling happen under one lock that a batch also takes to start, so a cancel meant for a
//! check never lands on the batch that follows it.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
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
    /// A backfill's batch runs: a first request lets it commit.
    in_batch: AtomicBool,
    /// Held while a request decides whether to cancel and cancels, and while a batch starts.
    gate: Mutex<()>,
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
    /// backfill's batch runs, which stops after that batch commits (a second one stops at once). Prefer
    /// [`Interrupt::request_and_cancel`], which cancels before a batch can start.
    pub fn request(&self, signal: i32) -> bool {
        self.request_and_cancel(signal, || {})
    }

    /// [`Interrupt::request`], calling `cancel` (which cancels the running statement on the server) when the
    /// statement should be cancelled, before a backfill can start its next batch. Returns whether it did.
    pub fn request_and_cancel(&self, signal: i32, cancel: impl FnOnce()) -> bool {
        let _gate = self.gate();
        self.0.signal.store(signal, Ordering::SeqCst);
        let before = self.0.requests.fetch_add(1, Ordering::SeqCst);
        let cancels = !(before == 0 && self.in_batch());
        if cancels {
            cancel();
        }
        cancels
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
    /// except while a backfill's batch runs, which stops after it commits (as on a first signal).
    pub fn expire(&self) -> bool {
        self.expire_and_cancel(|| {})
    }

    /// [`Interrupt::expire`], calling `cancel` when the statement should be cancelled, before a backfill can
    /// start its next batch. Returns whether it did.
    pub fn expire_and_cancel(&self, cancel: impl FnOnce()) -> bool {
        let _gate = self.gate();
        let cancels = !self.in_batch();
        if cancels {
            cancel();
        }
        cancels
    }

    /// After a stop that let a backfill's batch commit, and [`BATCH_GRACE`] later: calls `cancel` (which
    /// cancels the running statement on the server) when that batch still runs (it waits for a lock, or its
    /// code hangs), so that it rolls back and the run stops. No batch starts after a stop. Returns whether
    /// it cancelled.
    pub fn cancel_batch(&self, cancel: impl FnOnce()) -> bool {
        let _gate = self.gate();
        let cancels = self.in_batch();
        if cancels {
            cancel();
        }
        cancels
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

    /// Whether a backfill is running.
    pub fn in_backfill(&self) -> bool {
        self.0.in_backfill.load(Ordering::SeqCst)
    }

    /// Whether a backfill's batch is running (a first request then waits for it to commit).
    pub fn in_batch(&self) -> bool {
        self.0.in_batch.load(Ordering::SeqCst)
    }

    /// Marks a backfill as running until the guard is dropped.
    pub(crate) fn backfill(&self) -> BackfillGuard<'_> {
        self.0.in_backfill.store(true, Ordering::SeqCst);
        BackfillGuard(self)
    }

    /// Marks a backfill's batch as running until the guard is dropped; refused once a stop is due, so that
    /// no batch starts after a request (nor after a cancel meant for what ran before it).
    pub(crate) fn batch(&self) -> Result<BatchGuard<'_>, Stop> {
        let _gate = self.gate();
        if let Some(stop) = self.stop() {
            return Err(stop);
        }
        self.0.in_batch.store(true, Ordering::SeqCst);
        Ok(BatchGuard(self))
    }

    /// Sleeps `time`, or less when a stop is due meanwhile: then returns it.
    pub(crate) fn sleep(&self, time: Duration) -> Option<Stop> {
        let until = Instant::now() + time;
        loop {
            if let Some(stop) = self.stop() {
                return Some(stop);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            std::thread::sleep((until - now).min(SLEEP_SLICE));
        }
    }

    fn gate(&self) -> MutexGuard<'_, ()> {
        self.0.gate.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How long a backfill's batch may go on after a stop before it is cancelled: many times the time a batch
/// aims at, so a healthy batch commits, and short enough that a stop never waits long for one that waits for
/// a lock or whose code hangs.
pub const BATCH_GRACE: Duration = Duration::from_secs(3);

/// How often a wait looks for a stop.
const SLEEP_SLICE: Duration = Duration::from_millis(20);

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

/// While alive, a backfill's batch runs.
pub(crate) struct BatchGuard<'a>(&'a Interrupt);

impl Drop for BatchGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.in_batch.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_request_spares_a_running_batch_and_nothing_else() {
        // Between batches (a pause, a check): cancelled at once.
        let interrupt = Interrupt::new();
        let _backfill = interrupt.backfill();
        let mut cancels = 0;
        assert!(interrupt.request_and_cancel(15, || cancels += 1));
        assert_eq!(cancels, 1);

        // During a batch: the first request lets it commit, a second one cancels it.
        let interrupt = Interrupt::new();
        let batch = interrupt.batch().expect("no stop yet");
        let mut cancels = 0;
        assert!(!interrupt.request_and_cancel(15, || cancels += 1));
        assert_eq!(cancels, 0);
        assert!(interrupt.request_and_cancel(15, || cancels += 1));
        assert_eq!(cancels, 1);
        drop(batch);
    }

    #[test]
    fn no_batch_starts_after_a_stop_and_a_running_one_is_cancelled_after_the_grace() {
        let interrupt = Interrupt::new();
        let batch = interrupt.batch().expect("no stop yet");
        assert!(!interrupt.request_and_cancel(2, || {}));
        // The grace is over and the batch still runs: cancelled.
        let mut cancels = 0;
        assert!(interrupt.cancel_batch(|| cancels += 1));
        assert_eq!(cancels, 1);
        drop(batch);
        // It ended: nothing to cancel, and no other batch starts.
        assert!(!interrupt.cancel_batch(|| cancels += 1));
        assert_eq!(cancels, 1);
        assert_eq!(interrupt.batch().err(), Some(Stop::Signal(2)));
    }

    #[test]
    fn a_spent_budget_spares_a_running_batch_only() {
        let interrupt = Interrupt::new();
        interrupt.set_deadline(Some(Duration::ZERO));
        assert!(interrupt.expire_and_cancel(|| {}));
        assert_eq!(
            interrupt.batch().err(),
            Some(Stop::OutOfTime(Duration::ZERO))
        );

        let interrupt = Interrupt::new();
        let batch = interrupt.batch().expect("no budget yet");
        interrupt.set_deadline(Some(Duration::ZERO));
        assert!(!interrupt.expire_and_cancel(|| {}));
        drop(batch);
    }

    #[test]
    fn a_sleep_ends_at_a_stop() {
        let interrupt = Interrupt::new();
        assert_eq!(interrupt.sleep(Duration::from_millis(1)), None);
        interrupt.request(15);
        assert_eq!(
            interrupt.sleep(Duration::from_secs(3600)),
            Some(Stop::Signal(15))
        );
    }
}
