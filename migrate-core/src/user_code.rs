//! Which migration's Rust code the current thread runs (a `pgm.db` closure, a backfill's batch code, or the
//! `up`/`down` function itself while it records the migration's operations, which every command that plans
//! does), so that a process ending inside it (`std::process::exit`) can be reported instead of passing for
//! success.
//!
//! The engine only records it; the runner binaries (`migrate_cli::run_embedded`) install the exit hook
//! that reads it, since that needs the C library's `atexit`.

use std::cell::Cell;

/// Rust code of a migration that is running now.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct UserCode {
    /// The migration (its name and file).
    pub migration: crate::Migration,
    /// 1-based position of the operation.
    pub position: usize,
    /// `db` or `backfill`.
    pub op: &'static str,
    /// Whether the migration runs in a transaction (the server rolls it back when the process ends).
    pub transactional: bool,
}

/// A migration's `up` or `down` function recording its operations now: while a command plans (`up`,
/// `down`, `status`, `sql`, `lint`...), before anything of that migration runs.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Recording {
    /// The migration (its name and file).
    pub migration: crate::Migration,
    /// Which function: `up`, or `down` (a derived `down` records `up`).
    pub direction: crate::Direction,
}

thread_local! {
    static RUNNING: Cell<Option<UserCode>> = const { Cell::new(None) };
    static RECORDING: Cell<Option<Recording>> = const { Cell::new(None) };
}

/// The migration function the current thread is recording, if any.
pub fn recording_migration() -> Option<Recording> {
    RECORDING.try_with(Cell::get).ok().flatten()
}

/// Marks `recording` as under way until the returned guard is dropped (also when the function panics).
pub(crate) fn enter_recording(recording: Recording) -> RecordingGuard {
    let previous = RECORDING.with(|cell| cell.replace(Some(recording)));
    RecordingGuard { previous }
}

/// Clears the recording mark when dropped.
#[derive(Debug)]
pub(crate) struct RecordingGuard {
    previous: Option<Recording>,
}

impl Drop for RecordingGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = RECORDING.try_with(|cell| cell.set(previous));
    }
}

/// The migration code the current thread is running, if any.
pub fn running_user_code() -> Option<UserCode> {
    RUNNING.try_with(Cell::get).ok().flatten()
}

/// Marks `code` as running until the returned guard is dropped (also when the code panics).
pub(crate) fn enter(code: UserCode) -> Running {
    let previous = RUNNING.with(|cell| cell.replace(Some(code)));
    Running { previous }
}

/// Clears the mark when dropped.
#[derive(Debug)]
pub(crate) struct Running {
    previous: Option<UserCode>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = RUNNING.try_with(|cell| cell.set(previous));
    }
}
