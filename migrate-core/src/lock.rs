//! The advisory lock that serialises concurrent runners (many app replicas starting at once).
//!
//! The key is derived from the migrations table's schema and name, so independent migration lines in one
//! database do not block each other. It is a session lock, released explicitly on every exit path of a run and
//! by the server if the connection dies.

use postgres::Client;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::events::Event;
use crate::history::MigrationsTable;
use crate::interrupt::Interrupt;
use crate::session_limits::SessionLimits;
use crate::timeouts::Timeouts;

/// How often a waiting runner asks for the lock again.
const LOCK_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// What to do when another runner holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMode {
    /// Wait for it (the default: replicas starting together apply migrations once, one after another).
    #[default]
    Wait,
    /// Fail at once with [`Error::LockBusy`].
    Fail,
}

/// The advisory lock key for a migrations table.
pub fn lock_key(table: &MigrationsTable) -> i64 {
    let digest =
        Sha256::digest(format!("migrate-rs lock {}\0{}", table.schema(), table.name()).as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Why taking the lock failed. The lock's query is the run's first prepared statement: a statement the
/// driver prepared and then did not find (or found already there) means another server session answered,
/// which only a pooler that hands out server sessions per transaction does.
fn lock_error(error: postgres::Error) -> Error {
    use postgres::error::SqlState;
    let context = "cannot take the migration lock".to_owned();
    match error.code() {
        Some(code)
            if *code == SqlState::INVALID_SQL_STATEMENT_NAME
                || *code == SqlState::DUPLICATE_PSTATEMENT =>
        {
            Error::SessionNotKept { context, error }
        }
        _ => Error::Database { context, error },
    }
}

/// Runs `f` while holding the lock for `table`, with the session's limits of `timeouts` set (see
/// `session_limits`), and releases both afterwards whatever `f` returned.
pub(crate) fn with_lock<T>(
    client: &mut Client,
    table: &MigrationsTable,
    mode: LockMode,
    timeouts: &Timeouts,
    interrupt: &Interrupt,
    events: &mut dyn FnMut(Event<'_>),
    f: impl FnOnce(&mut Client, &mut dyn FnMut(Event<'_>)) -> Result<T, Error>,
) -> Result<T, Error> {
    with_lock_ending(client, table, mode, timeouts, interrupt, events, "", f).0
}

/// [`with_lock`], with `ending` (statements, each ended by `;`) sent under the lock in the round trip that
/// releases it, whatever `f` returned; `ending`'s result comes next to `f`'s.
#[allow(clippy::too_many_arguments)]
pub(crate) fn with_lock_ending<T>(
    client: &mut Client,
    table: &MigrationsTable,
    mode: LockMode,
    timeouts: &Timeouts,
    interrupt: &Interrupt,
    events: &mut dyn FnMut(Event<'_>),
    ending: &str,
    f: impl FnOnce(&mut Client, &mut dyn FnMut(Event<'_>)) -> Result<T, Error>,
) -> (Result<T, Error>, Result<(), postgres::Error>) {
    if let Err(e) = take(client, table, mode, interrupt, events) {
        return (Err(e), Ok(()));
    }
    let (result, reset) = match SessionLimits::apply(client, timeouts) {
        Ok(limits) => (f(client, events), limits.reset_sql()),
        Err(e) => (Err(e), String::new()),
    };
    // The limits reset, the ending and the lock released in one round trip (a fleet does this once per
    // target). Unlock only what was locked, and never inside an aborted transaction: every path through `f`
    // ends its transactions. Should the batch fail, the ending and the unlock are sent on their own. If the
    // connection is gone the server has already released the lock. The key is a quoted literal, which the
    // server reads as the function's bigint: `i64::MIN` written as a number would be a numeric.
    let key = lock_key(table);
    let unlock = format!("SELECT pg_catalog.pg_advisory_unlock('{key}')");
    let ended = match client.batch_execute(&format!("{reset}{ending}{unlock}")) {
        Ok(()) => Ok(()),
        Err(e) => {
            let ended = if ending.is_empty() {
                Err(e)
            } else {
                client.batch_execute(ending)
            };
            let _ = client.batch_execute(&unlock);
            ended
        }
    };
    (result, ended)
}

/// Takes the lock for `table`: at once, or (`LockMode::Wait`) once its holder lets it go.
fn take(
    client: &mut Client,
    table: &MigrationsTable,
    mode: LockMode,
    interrupt: &Interrupt,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    let key = lock_key(table);
    let got: bool = client
        .query_one("SELECT pg_catalog.pg_try_advisory_lock($1)", &[&key])
        .map_err(lock_error)?
        .get(0);
    if !got {
        let holder = lock_holder(client, key);
        match mode {
            LockMode::Fail => {
                return Err(Error::LockBusy {
                    table: table.to_string(),
                    holder,
                })
            }
            LockMode::Wait => {
                events(Event::WaitingForLock { table, holder });
                // Poll rather than block in `pg_advisory_lock`: a session blocked in a statement keeps a
                // snapshot open, and a `CREATE INDEX CONCURRENTLY` run by the lock holder waits for every
                // older snapshot to end, a deadlock the server breaks by failing one side (seen with app
                // replicas starting during a concurrent index build). Between polls this session is idle.
                loop {
                    std::thread::sleep(LOCK_POLL_INTERVAL);
                    if let Some(stop) = interrupt.stop() {
                        return Err(stop.error(format!(
                            "while waiting for the migration lock on {table}; nothing was run"
                        )));
                    }
                    let got: bool = client
                        .query_one("SELECT pg_catalog.pg_try_advisory_lock($1)", &[&key])
                        .map_err(lock_error)?
                        .get(0);
                    if got {
                        break;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The server process holding the lock, to name it in messages.
fn lock_holder(client: &mut Client, key: i64) -> Option<i32> {
    let (classid, objid) = (key >> 32, key & 0xffff_ffff);
    client
        .query_opt(
            "SELECT pid FROM pg_catalog.pg_locks
             WHERE locktype = 'advisory' AND granted AND objsubid = 1
               AND classid::bigint = ($1::bigint & 4294967295) AND objid::bigint = $2
               AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
             LIMIT 1",
            &[&classid, &objid],
        )
        .ok()
        .flatten()
        .map(|r| r.get(0))
}
