//! Standard output and error for everything the installed `migrate` and the runner print, written so that a closed
//! stream never panics. `println!` panics when stdout is a pipe whose reader went away (`migrate up | head -1`:
//! Rust programs ignore SIGPIPE, so the write fails with EPIPE), which would end a run with exit 101 wherever
//! it happened to print.
//!
//! What happens instead: the first failed write marks the stream closed and later output to it is dropped.
//! During `up`, `down` and `redo` a closed stdout or stderr also asks the run to stop where a SIGINT would
//! stop it (before the next migration, or after a backfill's batch in progress commits), since nobody is
//! reading what it does any more; the statement running then is not cancelled, so a migration under way
//! finishes. The command then exits with 141 (128 + SIGPIPE, what a shell reports for a program ended by a
//! closed pipe), unless it failed otherwise; every other command finishes its work and exits with 141 too.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use migrate_core::Interrupt;

/// The signal number whose exit status (141) a run with a closed output ends with.
pub const SIGPIPE: i32 = libc::SIGPIPE;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether the text for people goes to stderr: stdout carries the JSON run log (`--log-format json`).
static TEXT_TO_STDERR: AtomicBool = AtomicBool::new(false);

/// The run to stop when an output closes (`up`, `down`, `redo`).
static STOP: OnceLock<Interrupt> = OnceLock::new();

/// Writes to stdout; see the module documentation.
#[macro_export]
#[doc(hidden)]
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdio::write_out(format_args!($($arg)*)) };
}

/// Writes a line to stdout; see the module documentation.
#[macro_export]
#[doc(hidden)]
macro_rules! outln {
    () => { $crate::stdio::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdio::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Writes to stderr; see the module documentation.
#[macro_export]
#[doc(hidden)]
macro_rules! err {
    ($($arg:tt)*) => { $crate::stdio::write_err(format_args!($($arg)*)) };
}

/// Writes a line to stderr; see the module documentation.
#[macro_export]
#[doc(hidden)]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::stdio::write_err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub use crate::{err, errln, out, outln};

/// From now on, a closed output asks `interrupt` to stop the run at its next clean point.
pub fn stop_on_close(interrupt: &Interrupt) {
    let _ = STOP.set(interrupt.clone());
}

fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::SeqCst)
}

/// Whether a write to stdout or stderr failed: what the command printed there after it was lost.
pub fn output_closed() -> bool {
    stdout_closed() || STDERR_CLOSED.load(Ordering::SeqCst)
}

/// From now on, what [`out!`] and [`outln!`] print goes to stderr: stdout is for [`write_record`] alone.
pub fn text_to_stderr() {
    TEXT_TO_STDERR.store(true, Ordering::SeqCst);
}

/// Whether stdout carries records and the text goes to stderr.
pub fn text_on_stderr() -> bool {
    TEXT_TO_STDERR.load(Ordering::SeqCst)
}

/// Writes one line of the JSON run log to stdout (also after [`text_to_stderr`]).
pub fn write_record(line: &str) {
    if stdout_closed() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        closed(&STDOUT_CLOSED);
    }
}

pub fn write_out(args: fmt::Arguments<'_>) {
    if text_on_stderr() {
        return write_err(args);
    }
    if stdout_closed() {
        return;
    }
    let mut out = std::io::stdout().lock();
    // Flushed at once: the line is the progress of a run, and a closed reader is noticed now, not later.
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        closed(&STDOUT_CLOSED);
    }
}

pub fn write_err(args: fmt::Arguments<'_>) {
    if STDERR_CLOSED.load(Ordering::SeqCst) {
        return;
    }
    if std::io::stderr().lock().write_fmt(args).is_err() {
        closed(&STDERR_CLOSED);
    }
}

/// Flushes stdout, noting a closed one.
pub fn flush_out() {
    if !stdout_closed() && std::io::stdout().lock().flush().is_err() {
        closed(&STDOUT_CLOSED);
    }
}

fn closed(stream: &AtomicBool) {
    stream.store(true, Ordering::SeqCst);
    if let Some(interrupt) = STOP.get() {
        // Noted, never a cancel: the engine stops at its next clean point, as for a first SIGINT.
        let _ = interrupt.request(SIGPIPE);
    }
}

/// Stdout as an `io::Write` for output written in pieces (`status`): a failed write marks it closed and the
/// rest is dropped, as [`out!`] does.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !stdout_closed() && std::io::stdout().lock().write_all(buf).is_err() {
            closed(&STDOUT_CLOSED);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        flush_out();
        Ok(())
    }
}
