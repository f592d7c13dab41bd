//! Waiting for the schema a binary needs: `migrate wait` and [`Embedded::wait_for_schema`]
//! (crate::Embedded::wait_for_schema), for an init container or a start-up that must not serve before the
//! migration job has applied what it needs.
//!
//! It only reads: a status (no lock, no table created), once per poll, on a new connection each time, so a
//! server that is not up yet, restarts or drops the session is waited for like a migration that is not
//! applied yet. Polling every quarter of a second: the wait ends within that of the commit it waits for, and a
//! status read costs the server a few milliseconds.

use std::time::{Duration, Instant};

use anyhow::Result;
use migrate_core::postgres::Client;
use migrate_core::{Migrator, Need, Readiness};

/// How often the database is read while waiting.
pub const POLL: Duration = Duration::from_millis(250);

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waited {
    /// The database has what was needed.
    Ready,
    /// The time ran out: what was still missing at the last look, or why the database could not be read
    /// then.
    TimedOut { why: String },
}

/// Reads the database through `connect` every [`POLL`] until `migrator`'s migrations meet `need` or `timeout`
/// has passed (zero: one look). `changed` is called with each new state, the first included, so a caller can
/// say what it waits for without repeating itself.
pub fn wait_for(
    migrator: &Migrator<'_>,
    need: &Need,
    timeout: Duration,
    mut connect: impl FnMut(Duration) -> Result<Client>,
    mut changed: impl FnMut(Result<&Readiness, &str>),
) -> Waited {
    let deadline = Instant::now() + timeout;
    let mut last: Option<Result<Readiness, String>> = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // A server that accepts nothing yet costs at most a second of each look.
        let look = connect(left.clamp(POLL, Duration::from_secs(1)))
            .and_then(|mut client| Ok(Readiness::of(&migrator.status(&mut client)?, need)));
        let now = look.map_err(|e| format!("{e:#}"));
        if last.as_ref() != Some(&now) {
            changed(now.as_ref().map_err(String::as_str));
        }
        if now.as_ref().is_ok_and(Readiness::is_ready) {
            return Waited::Ready;
        }
        if Instant::now() + POLL > deadline {
            let why = match now {
                Ok(readiness) => readiness.describe(),
                Err(error) => format!("cannot read it: {error}"),
            };
            return Waited::TimedOut { why };
        }
        last = Some(now);
        std::thread::sleep(POLL);
    }
}
