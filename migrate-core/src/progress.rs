//! Long statements shown while they run: an index build, a `REINDEX`, a `VALIDATE CONSTRAINT`. The statement
//! runs on a thread of its own while the run's thread reports, about once a second from the first second on,
//! what the server's progress view says of it ([`Event::StatementProgress`]), sampled by the lock watch's
//! second connection ([`crate::blockers`]); without one, or for a statement no view follows, how long it has
//! run. Other statements run as they are: no thread, no wait.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use postgres::GenericClient;

use crate::blockers::{LockWatch, PROGRESS_AFTER};
use crate::events::Event;

/// Where the statement is, for its events.
pub(crate) struct At<'a> {
    pub name: &'a str,
    pub position: usize,
    pub op: &'a str,
}

/// Statements that may run for minutes on a big table, which a person wants to see progress of.
fn may_run_long(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(4)
        .map(str::to_ascii_uppercase)
        .collect();
    let starts = |w: &[&str]| words.iter().map(String::as_str).take(w.len()).eq(w.iter().copied());
    starts(&["CREATE", "INDEX"])
        || starts(&["CREATE", "UNIQUE", "INDEX"])
        || starts(&["REINDEX"])
        || (starts(&["ALTER", "TABLE"]) && sql.to_ascii_uppercase().contains("VALIDATE CONSTRAINT"))
}

/// Runs `sql` on `conn`, reporting its progress while it runs when it may run long.
pub(crate) fn execute<C: GenericClient + Send>(
    conn: &mut C,
    sql: &str,
    watch: &LockWatch,
    at: &At<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(), postgres::Error> {
    if !may_run_long(sql) {
        return conn.batch_execute(sql);
    }
    // Marks the statement as an attempt, so the watch samples its progress.
    let _attempt = watch.attempt();
    let started = Instant::now();
    std::thread::scope(|scope| {
        let (done, ended) = mpsc::channel::<()>();
        let running = scope.spawn(move || {
            let result = conn.batch_execute(sql);
            drop(done);
            result
        });
        let mut next = PROGRESS_AFTER;
        loop {
            let wait = next.saturating_sub(started.elapsed());
            // The sender goes when the statement ended (or its thread panicked, which `join` passes on).
            if let Err(mpsc::RecvTimeoutError::Disconnected) = ended.recv_timeout(wait) {
                return running
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
            next += Duration::from_secs(1);
            let progress = watch.progress();
            let (phase, done, total, relation) = match &progress {
                Some(p) => (p.phase.as_str(), p.done, p.total, p.relation.as_str()),
                None => ("running", 0, 0, ""),
            };
            events(Event::StatementProgress {
                name: at.name,
                position: at.position,
                op: at.op,
                relation,
                phase,
                done,
                total,
                elapsed: started.elapsed(),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_builds_reindex_and_validate_may_run_long() {
        for sql in [
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)",
            "create unique index i on t (a)",
            "REINDEX INDEX CONCURRENTLY i",
            "ALTER TABLE \"t\" VALIDATE CONSTRAINT \"c\"",
        ] {
            assert!(may_run_long(sql), "{sql}");
        }
        for sql in ["ALTER TABLE t ADD COLUMN c int", "SELECT 1", "CREATE TABLE t (a int)"] {
            assert!(!may_run_long(sql), "{sql}");
        }
    }
}
