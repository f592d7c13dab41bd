//! SIGINT and SIGTERM during `up`, `down` and `redo`: instead of dying with the statement still running on the
//! server (and, outside a transaction, nobody left to say what was committed), the runner cancels the running
//! statement on the server, so its transaction rolls back, lets the engine stop where it is clean (before
//! the next migration, or after a backfill's current batch for a first signal during a backfill), releases
//! the lock, reports what happened and exits with 128 + the signal's number (130, 143).
//!
//! During `squash`, `schema check`, `schema write` and `verify`, which work on scratch databases, a signal
//! drops those databases instead ([`handle_with`], called by the `scratch` module) and exits the same way.
//!
//! The signals are read on a thread of their own (`signal_hook`'s iterator: its handler only notes the signal,
//! what a signal handler may do), which does the rest.

use crate::stdio::errln;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;

use crate::tls::TlsConnector;
use migrate_core::{signal_name, Interrupt, BATCH_GRACE};
use postgres::CancelToken;

/// Whether [`install`] ran.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The request the handler's thread notes signals in, once installed.
static INTERRUPT: OnceLock<Interrupt> = OnceLock::new();

/// The signal that stopped the run, if one came.
pub fn received() -> Option<i32> {
    INTERRUPT.get().and_then(Interrupt::requested)
}

/// From now on, SIGINT and SIGTERM are noted in `interrupt`, and cancel the statement running on the
/// connection of `token` when [`Interrupt::request`] says so. Once per process; a later call does nothing.
pub fn watch(interrupt: &Interrupt, token: CancelToken, tls: TlsConnector) {
    if INTERRUPT.set(interrupt.clone()).is_err() {
        return;
    }
    let interrupt = interrupt.clone();
    install(move |signal| {
        let name = signal_name(signal);
        let first = interrupt.requested().is_none();
        let cancelled = interrupt.request_and_cancel(signal, || {
            errln!("{name} received: cancelling the running statement on the server and stopping");
            let _ = token.cancel_query(tls.clone());
        });
        if !cancelled && first {
            errln!(
                "{name} received: stopping after the backfill's current batch (send it again to stop at once)"
            );
            let (token, tls) = (token.clone(), tls.clone());
            cancel_batch_after_grace(&interrupt, &name, move || {
                let _ = token.cancel_query(tls);
            });
        }
    });
}

/// After a stop that lets a backfill's batch commit (a first signal, the spent time budget): once
/// [`BATCH_GRACE`] has passed, a batch still running (waiting for a row lock, or its code hanging) is
/// cancelled with `cancel`, so that the run stops within seconds wherever it is; it rolls back, and the next
/// run does it again. `after` names the stop in the message.
pub(crate) fn cancel_batch_after_grace(
    interrupt: &Interrupt,
    after: &str,
    cancel: impl FnOnce() + Send + 'static,
) {
    let interrupt = interrupt.clone();
    let after = after.to_owned();
    let _ = std::thread::Builder::new()
        .name("batch-grace".to_owned())
        .spawn(move || {
            std::thread::sleep(BATCH_GRACE);
            interrupt.cancel_batch(|| {
                errln!(
                    "the backfill's batch did not commit within {} s of {after}: cancelling it on the server \
                     (it rolls back; the next run does it again)",
                    BATCH_GRACE.as_secs()
                );
                cancel();
            });
        });
}

/// From now on, SIGINT and SIGTERM call `handle` with the signal's number (on a thread of its own), which
/// notes it in `interrupt` ([`received`] reads it there): a fleet stops all its running targets this way.
/// Once per process, as [`watch`]; a later call of either does nothing.
pub fn watch_with(interrupt: &Interrupt, handle: impl FnMut(i32) + Send + 'static) {
    if INTERRUPT.set(interrupt.clone()).is_err() {
        return;
    }
    install(handle);
}

/// From now on, each SIGINT and SIGTERM calls `stop` with its number, on a thread of its own (not in the
/// signal handler, so `stop` may do anything: connect, print, end the process). Once per process, as
/// [`watch`]; a later call of either does nothing.
pub fn handle_with(stop: fn(i32)) {
    install(stop);
}

/// The thread that calls `on` for each SIGINT and SIGTERM, and the handlers that wake it; nothing when a
/// first call installed them already. The handlers restart interrupted system calls, so the driver's socket
/// reads do not fail with EINTR.
fn install(mut on: impl FnMut(i32) + Send + 'static) {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(mut signals) = signal_hook::iterator::Signals::new([libc::SIGINT, libc::SIGTERM]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            for signal in signals.forever() {
                on(signal);
            }
        });
}

/// The runner the generic `migrate` started, for [`relay_to`].
static CHILD: AtomicI32 = AtomicI32::new(0);

/// The last SIGINT or SIGTERM the installed `migrate` received while [`relay_to`] was in force (0: none).
static RELAYED: AtomicI32 = AtomicI32::new(0);

/// The SIGINT or SIGTERM the installed `migrate` received while its child ran, if one came: it stops with
/// it (128 + its number) instead of going on.
pub fn relayed() -> Option<i32> {
    match RELAYED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// In the generic `migrate`, while the child process `pid` (the `cargo build` of the runner) runs:
/// Ctrl-C reaches the child with the terminal's whole process group, and is the child's to handle, so the
/// installed `migrate` only notes it instead of exiting first. SIGTERM, sent to it alone (a service manager,
/// `kill`), is noted and passed on to the child. Either way the installed `migrate` then stops with the signal
/// ([`relayed`]) rather than run what the child was building.
pub fn relay_to(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    CHILD.store(pid, Ordering::SeqCst);
    // SAFETY: both handlers only store to and load from atomics and call kill, all async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = note as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        action.sa_sigaction = relay as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

extern "C" fn note(signal: libc::c_int) {
    RELAYED.store(signal, Ordering::SeqCst);
}

extern "C" fn relay(signal: libc::c_int) {
    RELAYED.store(signal, Ordering::SeqCst);
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe; the pid is the runner this process started.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// After the child started by [`relay_to`] ended: SIGINT and SIGTERM get their default actions back, so a
/// runner that replaces this process (`exec` keeps ignored signals ignored) can be stopped as usual.
pub fn stop_relaying() {
    CHILD.store(0, Ordering::SeqCst);
    // SAFETY: restores the default dispositions; no handler is involved.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
    }
}
