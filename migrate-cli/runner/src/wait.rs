//! Waiting for the schema a binary needs: `migrate wait` and [`Embedded::wait_for_schema`]
//! (crate::Embedded::wait_for_schema), for an init container or a start-up that must not serve before the
//! migration job has applied what it needs.
//!
//! It only reads: a status (no lock, no table created), once per poll, on a new connection each time, so a
//! server that is not up yet, restarts or drops the session is waited for like a migration that is not
//! applied yet. Polling every quarter of a second: the wait ends within that of the commit it waits for, and a
//! status read costs the server a few milliseconds. Each look may take as long to connect as any other
//! connection (the connect timeout): a login is not quicker for being a readiness check (SCRAM on a loaded
//! machine takes longer than a poll).

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
/// has passed (zero: one look). `connect` is given the time a look may take to connect: `connect_timeout`,
/// and while waiting no more than what is left of the wait (but at least a poll). `changed` is called with
/// each new state, the first included, so a caller can say what it waits for without repeating itself.
pub fn wait_for(
    migrator: &Migrator<'_>,
    need: &Need,
    timeout: Duration,
    connect_timeout: Duration,
    mut connect: impl FnMut(Duration) -> Result<Client>,
    mut changed: impl FnMut(Result<&Readiness, &str>),
) -> Waited {
    let deadline = Instant::now() + timeout;
    let mut last: Option<Result<Readiness, String>> = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let limit = look_limit(timeout, left, connect_timeout);
        let look = connect(limit)
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

/// How long one look may take to connect: the connect timeout; while waiting, no longer than what is left of
/// the wait, but at least a poll. A single look (`timeout` zero, `wait --check`) has the connect timeout
/// whole: it has no wait to stay within.
fn look_limit(timeout: Duration, left: Duration, connect_timeout: Duration) -> Duration {
    if timeout.is_zero() {
        return connect_timeout;
    }
    connect_timeout.min(left.max(POLL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_look_has_the_whole_connect_timeout() {
        let ten = Duration::from_secs(10);
        assert_eq!(look_limit(Duration::ZERO, Duration::ZERO, ten), ten);
        assert_eq!(
            look_limit(Duration::from_secs(300), Duration::from_secs(200), ten),
            ten
        );
        assert_eq!(
            look_limit(Duration::from_secs(300), Duration::from_secs(3), ten),
            Duration::from_secs(3)
        );
        assert_eq!(
            look_limit(Duration::from_secs(1), Duration::ZERO, ten),
            POLL
        );
    }
}
