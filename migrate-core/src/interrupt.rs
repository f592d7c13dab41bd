//! Stopping a run on request (the CLI's SIGINT and SIGTERM): the request is noted here by whoever receives
//! it, and the runner checks it where stopping leaves a clean state: before each migration, while waiting for
//! the lock or between lock-timeout retries, and after each committed backfill batch. A statement already
//! running is the receiver's to cancel on the server (its transaction then rolls back as on any error):
//! [`Interrupt::request`] says when to.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::Arc;

/// A shared stop request. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// The signal number of the last request, for messages; 0 for none.
    signal: AtomicI32,
    requests: AtomicU32,
    in_backfill: AtomicBool,
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

/// While alive, a backfill runs.
pub(crate) struct BackfillGuard<'a>(&'a Interrupt);

impl Drop for BackfillGuard<'_> {
    fn drop(&mut self) {
        self.0 .0.in_backfill.store(false, Ordering::SeqCst);
    }
}

/// `SIGINT`, `SIGTERM`, or `signal N`.
pub fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT".to_owned(),
        15 => "SIGTERM".to_owned(),
        1 => "SIGHUP".to_owned(),
        n => format!("signal {n}"),
    }
}
