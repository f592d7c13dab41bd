//! `--max-duration`: the run's time budget. The engine stops by itself where it checks (before each
//! migration, after a backfill's batch, while it waits); a statement still running when the budget is spent
//! is cancelled here on the server, as for a signal (see `signals`), so a transactional migration rolls back.
//! A backfill between batches (a pause, its checks) stops at once; a batch running then is left to commit,
//! for at most [`migrate_core::BATCH_GRACE`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use migrate_core::Interrupt;
use postgres::CancelToken;

use crate::stdio::errln;

use crate::tls::TlsConnector;

/// The budget, once this process's run spent it.
static SPENT: OnceLock<Duration> = OnceLock::new();

/// The budget the run spent, if it did.
pub fn spent() -> Option<Duration> {
    SPENT.get().copied()
}

/// Stops watching when dropped.
#[derive(Debug)]
pub struct Watch(Arc<AtomicBool>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Watches `interrupt`'s deadline (set when a run starts with a budget): once it passes, the statement
/// running on the connection of `token` is cancelled, a backfill's batch only if it has not committed
/// within the grace.
pub fn watch(interrupt: &Interrupt, token: CancelToken, tls: TlsConnector) -> Watch {
    watch_with(interrupt, move || {
        let _ = token.cancel_query(tls);
    })
}

/// [`watch`] with the cancel of a session opened elsewhere (a fleet target's).
pub fn watch_with(interrupt: &Interrupt, cancel: impl FnOnce() + Send + 'static) -> Watch {
    let done = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&done);
    let interrupt = interrupt.clone();
    let _ = std::thread::Builder::new()
        .name("max-duration".to_owned())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
                let Some((at, budget)) = interrupt.deadline() else {
                    continue;
                };
                if Instant::now() < at {
                    continue;
                }
                let _ = SPENT.set(budget);
                let shown = humantime::format_duration(budget);
                let mut cancel = Some(cancel);
                let cancelled = interrupt.expire_and_cancel(|| {
                    errln!(
                        "the run's time budget of {shown} (--max-duration) is spent: cancelling the running statement on the server"
                    );
                    if let Some(cancel) = cancel.take() {
                        cancel();
                    }
                });
                if let (false, Some(cancel)) = (cancelled, cancel) {
                    errln!(
                        "the run's time budget of {shown} (--max-duration) is spent: stopping after the backfill's current batch"
                    );
                    crate::signals::cancel_batch_after_grace(
                        &interrupt,
                        "the end of the time budget",
                        cancel,
                    );
                }
                return;
            }
        });
    Watch(done)
}
