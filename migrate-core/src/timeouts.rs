//! Lock and statement timeouts, and the budget for retrying a migration that could not get its locks in time.
//!
//! A DDL statement waiting for a lock blocks every later query on that table, reads included, for as long as
//! the lock holder runs (the lock queue). A short `lock_timeout` caps that stall at the timeout; the price is
//! a failed attempt (SQLSTATE 55P03), which the runner retries (see `retry`) until the holder is gone or the
//! retry budget is spent.

use std::time::Duration;

/// Timeouts and retries for every migration of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// `lock_timeout` for each migration (`SET LOCAL` inside its transaction; session-level around a
    /// migration that runs outside one). `None` leaves the server's setting alone.
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout`, set the same way. `None` leaves the server's setting alone.
    pub statement_timeout: Option<Duration>,
    /// How long a migration may keep retrying after lock timeouts, counted from its first attempt.
    pub retry_budget: Duration,
    /// `idle_in_transaction_session_timeout` for the runner's session while it holds the migration lock, so
    /// that the server ends a session whose client gave up (a stalled network) instead of keeping its locks;
    /// a stricter setting of the server stays. `None` leaves the server's setting alone. See
    /// `session_limits`.
    pub idle_in_transaction_session_timeout: Option<Duration>,
}

/// 500 ms: a query stuck behind a migration's lock request waits at most this long, which a web request
/// absorbs; long enough that a migration on a busy table still gets its lock between short transactions.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_millis(500);

/// Two minutes of retrying outlasts a blocking transaction of 30 s or more several times over, and still
/// fails a deploy in reasonable time when something holds the table for good.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(120);

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            lock_timeout: Some(DEFAULT_LOCK_TIMEOUT),
            statement_timeout: None,
            retry_budget: DEFAULT_RETRY_BUDGET,
            idle_in_transaction_session_timeout: Some(
                DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
            ),
        }
    }
}

impl Timeouts {
    /// The `SET` statements that start a migration: `SET LOCAL` inside a transaction, plain `SET` for a
    /// migration outside one. `lock_timeout` is the migration's own when it set one.
    pub fn set_sql(&self, lock_timeout: Option<Duration>, local: bool) -> Vec<String> {
        let scope = if local { "SET LOCAL" } else { "SET" };
        let mut out = Vec::new();
        if let Some(t) = lock_timeout.or(self.lock_timeout) {
            out.push(format!("{scope} lock_timeout = '{}ms'", millis(t)));
        }
        if let Some(t) = self.statement_timeout {
            out.push(format!("{scope} statement_timeout = '{}ms'", millis(t)));
        }
        out
    }

    /// The statements that put session-level settings back after a migration outside a transaction.
    pub fn reset_sql(&self, lock_timeout: Option<Duration>) -> Vec<String> {
        let mut out = Vec::new();
        if lock_timeout.or(self.lock_timeout).is_some() {
            out.push("RESET lock_timeout".to_owned());
        }
        if self.statement_timeout.is_some() {
            out.push("RESET statement_timeout".to_owned());
        }
        out
    }
}

/// `t` in PostgreSQL's unit for timeouts, whole milliseconds. A timeout under one millisecond becomes 1:
/// truncated to 0 it would mean no timeout at all. (The command line and `pgm.lock_timeout` refuse such
/// values; this covers `Timeouts` built in code.)
pub(crate) fn millis(t: Duration) -> u128 {
    if t.is_zero() {
        0
    } else {
        t.as_millis().max(1)
    }
}

/// The default [`Timeouts::idle_in_transaction_session_timeout`]: well past any pause of the runner's own
/// inside a transaction (there is none) and of ordinary data code, and short enough that locks left behind
/// by a client that gave up go in minutes, not hours.
pub const DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT: Duration = Duration::from_secs(300);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_sql_prefers_the_migrations_own_lock_timeout() {
        let t = Timeouts {
            statement_timeout: Some(Duration::from_secs(60)),
            ..Timeouts::default()
        };
        assert_eq!(
            t.set_sql(None, true),
            [
                "SET LOCAL lock_timeout = '500ms'",
                "SET LOCAL statement_timeout = '60000ms'"
            ]
        );
        assert_eq!(
            t.set_sql(Some(Duration::from_secs(2)), false),
            [
                "SET lock_timeout = '2000ms'",
                "SET statement_timeout = '60000ms'"
            ]
        );
        let none = Timeouts {
            lock_timeout: None,
            ..Timeouts::default()
        };
        assert!(none.set_sql(None, true).is_empty());
        assert!(none.reset_sql(None).is_empty());
    }

    #[test]
    fn set_sql_never_turns_a_timeout_into_none() {
        let t = Timeouts {
            lock_timeout: Some(Duration::from_micros(400)),
            statement_timeout: Some(Duration::from_nanos(1)),
            ..Timeouts::default()
        };
        assert_eq!(
            t.set_sql(None, true),
            [
                "SET LOCAL lock_timeout = '1ms'",
                "SET LOCAL statement_timeout = '1ms'"
            ]
        );
    }
}
