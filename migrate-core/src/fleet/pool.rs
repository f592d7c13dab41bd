//! Sessions kept between the targets of one database. A fleet of schemas on one database would otherwise
//! open a session per schema, and a new session costs more than a small tenant's migrations: the server
//! starts a process for it, and its catalog caches start cold.
//!
//! A session goes back to the pool only after a target ended cleanly (done, or found busy), and it is reset
//! before the next target gets it: everything a session can hold is reset as `DISCARD ALL` does (settings,
//! `search_path` and role included, temporary tables, advisory locks, cursors, `LISTEN`s, cached plans and
//! sequence values), except `DEALLOCATE ALL`: the driver keeps statements of its own for reading user-defined
//! types, and dropping them under it would break the next target's data code. So no tenant's session state
//! reaches another tenant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use postgres::Client;

use crate::notices::Notices;

use super::connector::{ConnectError, Connector};
use super::target::Target;

/// `DISCARD ALL` without `DEALLOCATE ALL` (see the module's documentation).
const RESET: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; \
     SELECT pg_catalog.pg_advisory_unlock_all(); DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES";

/// A target's session, with where its notices arrive and how to cancel its statement.
pub(crate) struct Pooled {
    pub client: Client,
    pub cancel: Arc<dyn Fn() + Send + Sync>,
    pub notices: Notices,
    /// Whether the checkout's `prepare` ran (on a session reused, with its reset); a new session has not
    /// run it.
    pub prepared: bool,
    /// The session's server process, when the reset read it.
    pub pid: Option<i32>,
}

/// Idle sessions by connection string, for one fleet run: at most `capacity` of them, the oldest closed first,
/// so a fleet of many databases does not keep a session open on each database it is done with.
pub(crate) struct Pool {
    idle: Mutex<Idle>,
    capacity: usize,
}

#[derive(Default)]
struct Idle {
    by_key: HashMap<String, Vec<Pooled>>,
    /// Keys in the order their sessions came back, oldest first (one entry per idle session).
    order: std::collections::VecDeque<String>,
}

fn key(target: &Target) -> String {
    target.migrator_url().unwrap_or_default().to_owned()
}

impl Pool {
    /// A pool keeping at most `capacity` idle sessions (the fleet's parallel limit: one per worker).
    pub fn new(capacity: usize) -> Pool {
        Pool {
            idle: Mutex::new(Idle::default()),
            capacity,
        }
    }

    /// A session of `target`'s database: an idle one, reset, or a new one. An idle one runs `prepare` (a
    /// statement; none when empty) and tells its server process in the reset's round trip: a fleet of small
    /// tenants pays per target for each round trip.
    pub fn checkout(
        &self,
        connector: &dyn Connector,
        target: &Target,
        prepare: &str,
    ) -> Result<Pooled, ConnectError> {
        loop {
            let idle = {
                let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                let key = key(target);
                let session = idle.by_key.get_mut(&key).and_then(Vec::pop);
                if session.is_some() {
                    if let Some(at) = idle.order.iter().rposition(|k| *k == key) {
                        idle.order.remove(at);
                    }
                }
                session
            };
            let Some(mut session) = idle else { break };
            // One that cannot be reset (its server went away) is dropped, and the next one tried.
            let prepare = if prepare.is_empty() {
                String::new()
            } else {
                format!("{prepare}; ")
            };
            let sql = format!("{RESET}; {prepare}SELECT pg_catalog.pg_backend_pid()");
            if let Ok(messages) = session.client.simple_query(&sql) {
                session.client.clear_type_cache();
                session.notices.take();
                session.prepared = true;
                session.pid = messages.iter().rev().find_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => row.get(0)?.parse().ok(),
                    _ => None,
                });
                return Ok(session);
            }
        }
        let notices = Notices::new();
        let session = connector.connect(target, &notices)?;
        Ok(Pooled {
            client: session.client,
            cancel: Arc::from(session.cancel),
            notices,
            prepared: false,
            pid: None,
        })
    }

    /// Keeps `session` for the next target of the same database.
    pub fn checkin(&self, target: &Target, session: Pooled) {
        if session.client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let key = key(target);
        idle.order.push_back(key.clone());
        idle.by_key.entry(key).or_default().push(session);
        while idle.order.len() > self.capacity {
            // Closed when dropped, outside no lock of the server's: the session is idle.
            if let Some(oldest) = idle.order.pop_front() {
                if let Some(sessions) = idle.by_key.get_mut(&oldest) {
                    if !sessions.is_empty() {
                        sessions.remove(0);
                    }
                    if sessions.is_empty() {
                        idle.by_key.remove(&oldest);
                    }
                }
            }
        }
    }
}
