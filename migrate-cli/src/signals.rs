//! SIGINT and SIGTERM during `up`, `down` and `redo`: instead of dying with the statement still running on the
//! server (and, outside a transaction, nobody left to say what was committed), the runner cancels the running
//! statement on the server, so its transaction rolls back, lets the engine stop where it is clean (before
//! the next migration, or after a backfill's current batch for a first signal during a backfill), releases
//! the lock, reports what happened and exits with 128 + the signal's number (130, 143).
//!
//! The handler only writes the signal's number to a pipe (what a signal handler may do); a thread reads it
//! and does the rest.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;

use crate::tls::TlsConnector;
use migrate_core::{signal_name, Interrupt};
use postgres::CancelToken;

/// The write end of the pipe, for the handler.
static PIPE: AtomicI32 = AtomicI32::new(-1);

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
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return;
    }
    PIPE.store(fds[1], Ordering::SeqCst);
    let interrupt = interrupt.clone();
    let spawned = std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || loop {
            let mut byte = 0u8;
            // SAFETY: reads at most one byte into `byte`.
            let n = unsafe { libc::read(fds[0], (&mut byte as *mut u8).cast(), 1) };
            if n != 1 {
                if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            let signal = i32::from(byte);
            let name = signal_name(signal);
            let backfill_waits = interrupt.in_backfill() && interrupt.requested().is_none();
            let cancel = interrupt.request(signal);
            if cancel {
                eprintln!(
                    "{name} received: cancelling the running statement on the server and stopping"
                );
                let _ = token.cancel_query(tls.clone());
            } else if backfill_waits {
                eprintln!(
                    "{name} received: stopping after the backfill's current batch (send it again to stop at once)"
                );
            }
        });
    if spawned.is_err() {
        return;
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: installs a handler that only loads an atomic and writes one byte to a pipe, both
        // async-signal-safe. SA_RESTART keeps the driver's socket reads from failing with EINTR.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    let fd = PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = u8::try_from(signal).unwrap_or(u8::MAX);
        // SAFETY: writes one byte from a live local; write is async-signal-safe.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }
}

/// The runner the generic front end started, for [`relay_to`].
static CHILD: AtomicI32 = AtomicI32::new(0);

/// In the generic `migrate` front end, while the runner process `pid` runs: Ctrl-C reaches the runner with
/// the terminal's whole process group, and is the runner's to handle (it cancels the running statement and
/// exits 130, which the front end passes on), so the front end ignores it instead of exiting first. SIGTERM,
/// sent to the front end alone (a service manager, `kill`), is passed on to the runner.
pub fn relay_to(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    CHILD.store(pid, Ordering::SeqCst);
    // SAFETY: SIG_IGN needs no handler; the SIGTERM handler only loads an atomic and calls kill, both
    // async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = relay as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

extern "C" fn relay(signal: libc::c_int) {
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
