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

/// A setting the runner may tighten: its name, the value wanted, and its base unit in milliseconds (`None`
/// for a count).
type Wanted = (&'static str, i64, Option<i64>);

/// The server's side of the connection's TCP keepalives and user timeout, as the CLI sets its own side.
const TCP: [Wanted; 4] = [
    ("tcp_keepalives_idle", 30, Some(1_000)),
    ("tcp_keepalives_interval", 10, Some(1_000)),
    ("tcp_keepalives_count", 3, None),
    ("tcp_user_timeout", 60_000, Some(1)),
];

/// How often a running statement checks that its client is still connected, in milliseconds.
const CLIENT_CHECK: Wanted = ("client_connection_check_interval", 10_000, Some(1));

/// The settings that were changed, to reset when the lock is released.
#[derive(Debug)]
pub(crate) struct SessionLimits {
    changed: Vec<&'static str>,
}

impl SessionLimits {
    /// Sets the limits `timeouts` asks for (see the module's documentation), in two round trips.
    pub(crate) fn apply(client: &mut Client, timeouts: &Timeouts) -> Result<SessionLimits, Error> {
        let mut wanted: Vec<Wanted> = TCP.to_vec();
        wanted.push(CLIENT_CHECK);
        if let Some(t) = timeouts.idle_in_transaction_session_timeout {
            wanted.push((
                "idle_in_transaction_session_timeout",
                i64::try_from(crate::timeouts::millis(t)).unwrap_or(i64::from(i32::MAX)),
                Some(1),
            ));
        }
        // `current_setting` rather than `pg_settings`, whose view builds a row for each of the server's
        // settings (0.7 ms a call, measured: a fleet reads these once per target). A setting this server
        // lacks is NULL. Plain values as text, compared here: no cast or operator a migration could have
        // redefined.
        let reads: Vec<String> = wanted
            .iter()
            .map(|(name, _, _)| format!("pg_catalog.current_setting('{name}', true)"))
            .collect();
        let current = client
            .simple_query(&format!("SELECT {}", reads.join(", ")))
            .map_err(Error::database("cannot read the session's settings"))?;
        let Some(row) = current.iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        }) else {
            return Err(Error::Internal("the read of the session's settings returned no row"));
        };
        let mut changed = Vec::new();
        let mut sets = Vec::new();
        for (i, &(name, value, unit)) in wanted.iter().enumerate() {
            let Some(shown) = row.get(i) else {
                continue;
            };
            // 0 is off (or, for the TCP settings, the system's default, which is looser).
            let looser = in_base_unit(shown, unit).is_none_or(|current| current == 0 || current > value);
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

/// A setting's value as `current_setting` shows it (`10s`, `1500ms`, `2h`, a bare number in the base unit),
/// in its base unit of `unit` milliseconds (`None`: a count, which has no unit); `None` for what does not
/// read so.
fn in_base_unit(shown: &str, unit: Option<i64>) -> Option<i64> {
    let digits = shown
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(shown.len(), |(i, _)| i);
    let (number, suffix) = shown.split_at(digits);
    let number: i64 = number.parse().ok()?;
    if suffix.is_empty() {
        return Some(number);
    }
    let per: i64 = match suffix {
        "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(number.checked_mul(per)? / unit?)
}

#[cfg(test)]
mod tests {
    use super::in_base_unit;

    #[test]
    fn shown_values_read_in_the_settings_base_unit() {
        // Milliseconds: `client_connection_check_interval`, `idle_in_transaction_session_timeout`.
        assert_eq!(in_base_unit("0", Some(1)), Some(0));
        assert_eq!(in_base_unit("1500ms", Some(1)), Some(1_500));
        assert_eq!(in_base_unit("10s", Some(1)), Some(10_000));
        assert_eq!(in_base_unit("5min", Some(1)), Some(300_000));
        assert_eq!(in_base_unit("60000", Some(1)), Some(60_000));
        // Seconds: the TCP keepalives, which show the socket's value as a bare number.
        assert_eq!(in_base_unit("7200", Some(1_000)), Some(7_200));
        assert_eq!(in_base_unit("2h", Some(1_000)), Some(7_200));
        assert_eq!(in_base_unit("1d", Some(1_000)), Some(86_400));
        // A count.
        assert_eq!(in_base_unit("9", None), Some(9));
        assert_eq!(in_base_unit("-1", None), Some(-1));
        // What does not read is not trusted (the caller then sets its own value).
        assert_eq!(in_base_unit("9s", None), None);
        assert_eq!(in_base_unit("10 s", Some(1)), None);
        assert_eq!(in_base_unit("", Some(1)), None);
        assert_eq!(in_base_unit("5us", Some(1)), None);
    }
}
