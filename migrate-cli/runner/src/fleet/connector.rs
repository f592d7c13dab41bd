//! How the CLI opens a fleet target's session: the target's URL (its direct URL when it has one, else the
//! configured database) read as every command reads one (`sslmode`, `sslrootcert`, the connect timeout),
//! the server's notices collected, and a transaction pooler refused. The pooler check opens a second
//! connection, so it runs once per address, not once per target: a fleet of schemas on one database pays it
//! once.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use migrate_core::fleet::{ConnectError, Connector, Location, Session, Target, WatchConnect};
use migrate_core::Notices;

use crate::connect::{self, redact};

/// The SQLSTATE of a session refused because the server's connections (or the role's or the database's) are
/// all taken.
pub const TOO_MANY_CONNECTIONS: &str = "53300";

/// The SQLSTATE a connection error's message ends its server error with (`(SQLSTATE 53300)`, as
/// [`connect::describe`] writes it).
fn sqlstate_in(message: &str) -> Option<String> {
    let (_, after) = message.rsplit_once("(SQLSTATE ")?;
    let code: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (code.len() == 5).then_some(code)
}

/// Which limit a refusal for too many connections names: PostgreSQL says "too many connections for role" or
/// "for database" for their `CONNECTION LIMIT`, and "too many clients" or "remaining connection slots are
/// reserved" for the server's.
fn connection_limit(message: &str) -> &'static str {
    if message.contains("for role") {
        "the role's CONNECTION LIMIT"
    } else if message.contains("for database") {
        "the database's CONNECTION LIMIT"
    } else {
        "the server's max_connections"
    }
}

pub struct CliConnector {
    /// The configured database (its direct URL when given), for targets without a URL of their own.
    default_url: Option<String>,
    timeout: Duration,
    /// For each address checked: whether it is a transaction pooler (and the refusal).
    checked: Mutex<HashMap<String, Result<(), String>>>,
    /// The command line's server check (`--server-check-timeout`), started once per server the fleet
    /// connects to; never in an application embedding the fleet.
    server_check: Option<ServerCheck>,
}

/// The server check of a fleet run: one watchdog per server, started on the first session opened there.
struct ServerCheck {
    timeout: Duration,
    idle_in_transaction: Option<Duration>,
    started: Mutex<std::collections::HashSet<String>>,
}

impl CliConnector {
    pub fn new(default_url: Option<String>, timeout: Duration) -> CliConnector {
        CliConnector {
            default_url,
            timeout,
            checked: Mutex::new(HashMap::new()),
            server_check: None,
        }
    }

    /// Checks, every `timeout`, that each server the fleet has a session on still answers, as `migrate up`
    /// checks its one server (`--server-check-timeout`; zero turns it off). A server that stops answering
    /// leaves the statements running on it waiting for a reply that does not come, so the whole run stops
    /// there, as a single run does: its sessions end with the process (the transactions in progress roll
    /// back on every server), and the same command run again resumes every target.
    pub fn with_server_check(
        mut self,
        timeout: Duration,
        idle_in_transaction: Option<Duration>,
    ) -> CliConnector {
        self.server_check = Some(ServerCheck {
            timeout,
            idle_in_transaction,
            started: Mutex::new(std::collections::HashSet::new()),
        });
        self
    }

    fn url<'t>(&'t self, target: &'t Target) -> Option<&'t str> {
        target.migrator_url().or(self.default_url.as_deref())
    }

    /// The URL a target connects to, without its password.
    pub fn shown_url(&self, target: &Target) -> Option<String> {
        self.url(target).map(redact)
    }
}

impl Connector for CliConnector {
    fn locate(&self, target: &Target) -> Result<Location, String> {
        let db = connect::resolve(self.url(target)).map_err(|e| format!("{e:#}"))?;
        Ok(Location {
            server: db.server(),
            // A target is named after its place: a database name that holds credentials is hidden.
            database: crate::conninfo::shown_value(&db.dbname()),
        })
    }

    fn connect(&self, target: &Target, notices: &Notices) -> Result<Session, ConnectError> {
        let url = self.url(target);
        let db = connect::resolve(url).map_err(|e| ConnectError::new(format!("{e:#}"), false))?;
        let key = url.unwrap_or_default().to_owned();
        let verdict = self
            .checked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let client = match verdict {
            Some(Err(refusal)) => return Err(ConnectError::new(refusal, false)),
            Some(Ok(())) => db.connect_checked_already(self.timeout, notices),
            None => {
                let client = db.connect_collecting(self.timeout, notices);
                match &client {
                    Ok(_) => {
                        self.checked
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(key, Ok(()));
                    }
                    Err(e) if is_pooler_refusal(e) => {
                        self.checked
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(key, Err(format!("{e:#}")));
                    }
                    Err(_) => {}
                }
                client
            }
        };
        let client = client.map_err(|e| {
            let mut message = format!("{e:#}");
            let sqlstate = sqlstate_in(&message);
            if sqlstate.as_deref() == Some(TOO_MANY_CONNECTIONS) {
                message.push_str(&format!(
                    "; the connection limit is reached ({}): this target ran nothing",
                    connection_limit(&message)
                ));
            }
            // A server that answered (an error with its SQLSTATE, or the pooler check) was reached.
            let unreachable = sqlstate.is_none() && !is_pooler_refusal(&e);
            ConnectError::new(message, unreachable).sqlstate(sqlstate)
        })?;
        if let Some(check) = &self.server_check {
            let first = check
                .started
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(db.server());
            if first {
                let idle = check.idle_in_transaction;
                crate::watchdog::start_with(&db, check.timeout, move |db, silence| {
                    crate::stdio::errln!(
                        "error: the server {} stopped answering: {silence}. The fleet run stops here instead of \
                         waiting forever on the targets running there; every target's session ends with it, so a \
                         migration in a transaction rolls back on every server, and one outside a transaction stays \
                         marked with the statements it committed. {} Run the same command again once the server \
                         answers: each target resumes where it stopped",
                        db.server(),
                        crate::session_end::held_locks(idle)
                    );
                });
            }
        }
        let token = client.cancel_token();
        let tls = db
            .tls
            .connector()
            .map_err(|e| ConnectError::new(format!("{e:#}"), false))?;
        Ok(Session {
            client,
            cancel: Box::new(move || {
                let _ = token.cancel_query(tls.clone());
            }),
        })
    }

    fn lock_watch(&self, target: &Target) -> Option<WatchConnect> {
        // A target whose URL cannot be read fails in `connect` with the reason; it has no watch either.
        let db = connect::resolve(self.url(target)).ok()?;
        Some(Box::new(db.lock_watch(self.timeout)))
    }
}

fn is_pooler_refusal(e: &anyhow::Error) -> bool {
    e.to_string()
        .contains("connection pooler in transaction pooling mode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_for_too_many_connections_names_its_limit() {
        let server = "cannot connect to postgres://h/db: FATAL: sorry, too many clients already (SQLSTATE 53300)";
        assert_eq!(sqlstate_in(server).as_deref(), Some(TOO_MANY_CONNECTIONS));
        assert_eq!(connection_limit(server), "the server's max_connections");
        let role = "FATAL: too many connections for role \"app\" (SQLSTATE 53300)\nhint: x";
        assert_eq!(sqlstate_in(role).as_deref(), Some("53300"));
        assert_eq!(connection_limit(role), "the role's CONNECTION LIMIT");
        assert_eq!(
            connection_limit("FATAL: too many connections for database \"db\""),
            "the database's CONNECTION LIMIT"
        );
        assert_eq!(sqlstate_in("connecting timed out after 5s"), None);
    }
}
