//! Which migration's Rust code (a `pgm.db` closure, a backfill's batch code) the current thread runs, so
//! that a process ending inside it (`std::process::exit`) can be reported instead of passing for success.
//!
//! The engine only records it; the runner binaries (`migrate_cli::run_embedded`) install the exit hook
//! that reads it, since that needs the C library's `atexit`.

use std::cell::Cell;

/// Rust code of a migration that is running now.
#[derive(Debug, Clone, Copy)]
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

thread_local! {
    static RUNNING: Cell<Option<UserCode>> = const { Cell::new(None) };
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
