//! What the CLI says about the end of the migration session: how long the server may keep a session the run
//! gave up on (and its locks), and why the server may have ended one in the middle of a run. The limits
//! themselves are set by the engine while it holds the migration lock (`idle_in_transaction_session_timeout`,
//! TCP keepalives, ...).

use std::time::Duration;

use postgres::Client;

/// How long the server may keep the run's session, and its locks, after the run gave up on it.
pub(crate) fn held_locks(idle_in_transaction: Option<Duration>) -> String {
    let idle = match idle_in_transaction {
        Some(t) => format!(
            "a transaction left idle ends the session after idle_in_transaction_session_timeout ({})",
            humantime::format_duration(t)
        ),
        None => "a transaction left idle ends the session only if the server's own \
                 idle_in_transaction_session_timeout says so"
            .to_owned(),
    };
    format!(
        "The server may still hold the run's locks (the migration lock, and those of a migration in a transaction) \
         until it ends the session: a statement still running keeps them until it ends, {idle}, and a network path \
         that is gone is noticed within about a minute (TCP keepalives)."
    )
}

/// A run's error as it is, or, when the server ended the session (the connection is closed), with a hint
/// naming the likely reasons: the run's own `idle_in_transaction_session_timeout` first, as the server's
/// message saying so does not reach the client.
pub(crate) fn explain(
    error: migrate_core::Error,
    client: &Client,
    idle_in_transaction: Option<Duration>,
) -> anyhow::Error {
    match idle_in_transaction {
        Some(_) if client.is_closed() => anyhow::Error::new(SessionEnded {
            error,
            hint: format!(
                "the server ended the session. {}",
                ended_reasons(idle_in_transaction)
            ),
        }),
        _ => error.into(),
    }
}

/// Why the server may have ended a run's session, its own `idle_in_transaction_session_timeout` first (the
/// server's message saying so does not reach the client).
pub(crate) fn ended_reasons(idle_in_transaction: Option<Duration>) -> String {
    let network = "the server restarted, an administrator ended the session, or the network dropped the connection";
    match idle_in_transaction {
        Some(t) => format!(
            "It does so when a transaction stays idle longer than idle_in_transaction_session_timeout ({} for this \
             run), as data code that waits that long between two statements makes it: give it more with \
             --idle-in-transaction-session-timeout or idle_in_transaction_session_timeout in migrate.toml (0 leaves \
             the server's own). Otherwise {network}",
            humantime::format_duration(t)
        ),
        None => format!("Perhaps {network}, or the server's own idle_in_transaction_session_timeout ended it"),
    }
}

/// A run's error with a hint below it.
#[derive(Debug)]
struct SessionEnded {
    error: migrate_core::Error,
    hint: String,
}

impl std::fmt::Display for SessionEnded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\nhint: {}", self.error, self.hint)
    }
}

// No source: the engine's error describes its causes itself, and is shown above.
impl std::error::Error for SessionEnded {}
