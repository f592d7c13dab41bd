//! How the engine opens a target's session. The engine only needs a `postgres::Client`; resolving a
//! connection string, TLS, timeouts and refusing a transaction pooler are the caller's (the CLI's `connect`).

use postgres::Client;

use crate::notices::Notices;

use super::target::{Location, Target};

/// Opens sessions to a fleet's targets. Called from several threads at once.
pub trait Connector: Sync {
    /// Where `target` is: its connection string read, without connecting. An error (a malformed URL, say)
    /// refuses the whole fleet before anything runs, naming the target.
    fn locate(&self, target: &Target) -> Result<Location, String>;

    /// A new session of `target`'s database (its direct URL when it has one), with the server's notices
    /// collected in `notices` ([`Notices::install`]). A session that does not survive from one transaction
    /// to the next (a transaction pooler) must be refused here. Connecting must give up in bounded time.
    fn connect(&self, target: &Target, notices: &Notices) -> Result<Session, ConnectError>;

    /// How to open a second session of `target`'s database that watches the locks its run waits for
    /// ([`Migrator::watch_locks`](crate::Migrator::watch_locks)): a statement that hits `lock_timeout` then
    /// reports the sessions that block it ([`Event::LockBlocked`](crate::Event::LockBlocked)). The session is
    /// opened only once the target's run has lasted a while, and closed when it ends. `None` (the
    /// default): no watch.
    fn lock_watch(&self, target: &Target) -> Option<WatchConnect> {
        let _ = target;
        None
    }
}

/// Opens the session that watches a target's locks (see [`Connector::lock_watch`]).
pub type WatchConnect = Box<dyn Fn() -> Result<Client, String> + Send + Sync>;

/// A target's session.
pub struct Session {
    pub client: Client,
    /// Cancels the statement running on the session (PostgreSQL's cancel request), for a stop request
    /// ([`Stop`](super::Stop)): its transaction then rolls back.
    pub cancel: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

/// Why a target's session could not be opened; the message never holds a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub message: String,
    /// The server could not be reached (refused, timed out, unknown host), as opposed to reached and
    /// refused (authentication, a transaction pooler, no such database).
    pub unreachable: bool,
    /// The server's SQLSTATE when it refused the session: `53300` when its connections are all taken
    /// (`max_connections`, or the role's or database's connection limit), which the front end explains with
    /// the fleet's parallel limits. The target's report carries it.
    pub sqlstate: Option<String>,
}

impl ConnectError {
    /// A session not opened, for `message`; `unreachable` as [`ConnectError::unreachable`].
    pub fn new(message: impl Into<String>, unreachable: bool) -> ConnectError {
        ConnectError {
            message: message.into(),
            unreachable,
            sqlstate: None,
        }
    }

    /// With the server's SQLSTATE.
    pub fn sqlstate(mut self, code: Option<String>) -> ConnectError {
        self.sqlstate = code;
        self
    }
}
