//! Limits the runner sets on its own server session while it holds the migration lock, so that the server
//! lets go of a session whose client is gone without a word.
//!
//! A client that gives up on a stalled network path (the CLI's server check, a dropped connection) cannot
//! tell the server. The server then keeps the session, its transaction and every lock of it (the migration
//! lock, a migration's `ACCESS EXCLUSIVE` locks) for as long as the path stays up, or until its TCP
//! keepalives (two hours by the usual system defaults) notice a path that is gone. So, under the lock:
//!
//! - `idle_in_transaction_session_timeout` ([`Timeouts::idle_in_transaction_session_timeout`], 5 minutes by
//!   default): a transaction left idle that long ends the session, which releases its locks;
//! - `tcp_keepalives_idle`/`_interval`/`_count` (30 s, 10 s, 3) and `tcp_user_timeout` (60 s), as the CLI's
//!   own side of the connection: a client that vanished from the network is noticed in about a minute;
//! - `client_connection_check_interval` (10 s, PostgreSQL 14 and later): a statement running for a client
//!   whose connection closed stops, instead of running to its end.
//!
//! Each is set only where the server's current value is off or looser (a stricter one of the role, the
//! database or the server stays), and only where the server has the setting; each is reset when the lock is
//! released, so a server session that a pooler in session mode hands to its next client goes back as it was.
//!
//! None of them can end a healthy run: the runner's own waits (polling for the lock, the pause between retries
//! after a lock timeout, a backfill's pause between batches, a backup) are outside any transaction, and a
//! long statement is not idle. Only user code (`pgm.db` data code, a backfill's Rust batch code) that keeps
//! its transaction idle longer than the timeout is ended, and says so (SQLSTATE 25P03).


use postgres::Client;

use crate::error::Error;
use crate::timeouts::Timeouts;

/// The server's side of the connection's TCP keepalives and user timeout, as the CLI sets its own side.
const TCP: [(&str, i64); 4] = [
    ("tcp_keepalives_idle", 30),
    ("tcp_keepalives_interval", 10),
    ("tcp_keepalives_count", 3),
    ("tcp_user_timeout", 60_000),
];

/// How often a running statement checks that its client is still connected, in milliseconds.
const CLIENT_CHECK: (&str, i64) = ("client_connection_check_interval", 10_000);

/// The settings that were changed, to reset when the lock is released.
#[derive(Debug)]
pub(crate) struct SessionLimits {
    changed: Vec<&'static str>,
}

impl SessionLimits {
    /// Sets the limits `timeouts` asks for (see the module's documentation), in two round trips.
    pub(crate) fn apply(client: &mut Client, timeouts: &Timeouts) -> Result<SessionLimits, Error> {
        let mut wanted: Vec<(&'static str, i64)> = TCP.to_vec();
        wanted.push(CLIENT_CHECK);
        if let Some(t) = timeouts.idle_in_transaction_session_timeout {
            wanted.push((
                "idle_in_transaction_session_timeout",
                i64::try_from(crate::timeouts::millis(t)).unwrap_or(i64::from(i32::MAX)),
            ));
        }
        let names: Vec<String> = wanted.iter().map(|(name, _)| format!("'{name}'")).collect();
        // Plain values as text, compared here: no cast or operator a migration could have redefined.
        let current = client
            .simple_query(&format!(
                "SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ({})",
                names.join(", ")
            ))
            .map_err(Error::database("cannot read the session's settings"))?;
        let mut changed = Vec::new();
        let mut sets = Vec::new();
        for message in &current {
            let postgres::SimpleQueryMessage::Row(row) = message else {
                continue;
            };
            let (Some(name), Some(setting)) = (row.get(0), row.get(1)) else {
                continue;
            };
            let Some(&(name, value)) = wanted.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            // 0 is off (or, for the TCP settings, the system's default, which is looser).
            let looser = setting
                .parse::<i64>()
                .map_or(true, |current| current == 0 || current > value);
            if looser {
                changed.push(name);
                sets.push(format!("pg_catalog.set_config('{name}', '{value}', false)"));
            }
        }
        if !sets.is_empty() {
            client
                .simple_query(&format!("SELECT {}", sets.join(", ")))
                .map_err(Error::database("cannot set the session's limits"))?;
        }
        Ok(SessionLimits { changed })
    }

    /// The statements that put the changed settings back to the session's defaults, each ended by `;`
    /// (none when nothing changed), for the caller to send with what it sends next.
    pub(crate) fn reset_sql(&self) -> String {
        self.changed
            .iter()
            .map(|name| format!("RESET {name};"))
            .collect()
    }
}
