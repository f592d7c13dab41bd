//! Who blocks a migration's locks. A statement waiting for a lock shows its blockers only while it waits
//! (`pg_blocking_pids`), and the runner's own session is busy waiting then; so, with a second connection
//! (given with [`Migrator::watch_locks`](crate::Migrator::watch_locks), opened once a statement run under the
//! lock timeout has lasted [`CONNECT_AFTER`]), a thread looks every [`SAMPLE_INTERVAL`] while such a statement
//! runs whether the migration's session waits for a lock and, when it does, notes the
//! sessions that block it (pid, user, application, state, for how long, their query cut short) and how
//! many sessions queue behind the migration. A lock timeout reports the last such note taken during the
//! attempt that failed: in the retry's message and event, and in the final error once the retries are
//! spent.
//!
//! The check of the session's own wait is a read of `pg_stat_activity` (shared memory, no locks);
//! `pg_blocking_pids`, which briefly takes the lock manager's locks, runs only while the session waits.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::Client;

/// Every 50 ms: several looks within the default 500 ms lock timeout.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(50);

/// The second connection is opened once a statement run under the lock timeout (an attempt of the retry) has
/// lasted this long, not before: most statements end sooner and never need it (a fleet of a thousand short
/// runs opens none), and a statement waiting for a lock until the default 500 ms lock timeout is still
/// watched. Once open, it stays open until the run ends.
pub const CONNECT_AFTER: Duration = Duration::from_millis(50);

/// Opens the second connection the lock watch uses.
#[derive(Clone)]
pub(crate) struct Connect(pub Arc<dyn Fn() -> Result<Client, String> + Send + Sync>);

impl fmt::Debug for Connect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connect(..)")
    }
}

/// A session that holds a lock the migration waits for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Blocker {
    pub pid: i32,
    pub user: Option<String>,
    pub application: Option<String>,
    /// `active`, `idle in transaction`, ...
    pub state: Option<String>,
    /// Since its transaction (or, outside one, its query) started.
    pub for_how_long: Option<Duration>,
    /// Its current or last query, cut short.
    pub query: Option<String>,
}

/// What blocked the migration's session when it was last seen waiting for a lock.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Blocked {
    pub blockers: Vec<Blocker>,
    /// Sessions waiting for locks behind the migration's own request.
    pub queued: u64,
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |v: &Option<String>| {
            v.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "?".to_owned())
        };
        write!(
            f,
            "pid {} (user {}, application {}, {}",
            self.pid,
            or(&self.user),
            or(&self.application),
            or(&self.state)
        )?;
        if let Some(d) = self.for_how_long {
            write!(f, " for {:.1} s", d.as_secs_f64())?;
        }
        write!(f, ")")?;
        if let Some(q) = self.query.as_deref().filter(|q| !q.is_empty()) {
            write!(f, ": {q}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.blockers.iter().map(ToString::to_string).collect();
        write!(f, "blocked by {}", list.join("; "))?;
        if self.queued > 0 {
            write!(
                f,
                "; {} session(s) queued behind the migration",
                self.queued
            )?;
        }
        Ok(())
    }
}

const SAMPLE: &str = "\
SELECT b.pid, b.usename::text, b.application_name, b.state, \
       pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - COALESCE(b.xact_start, b.query_start)), \
       pg_catalog.left(pg_catalog.regexp_replace(b.query, '\\s+', ' ', 'g'), 120), \
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity w \
         WHERE w.wait_event_type = 'Lock' AND $1 = ANY (pg_catalog.pg_blocking_pids(w.pid))) \
  FROM pg_catalog.pg_stat_activity me \
 CROSS JOIN LATERAL pg_catalog.unnest(pg_catalog.pg_blocking_pids(me.pid)) AS blocking(pid) \
  JOIN pg_catalog.pg_stat_activity b ON b.pid = blocking.pid \
 WHERE me.pid = $1 AND me.wait_event_type = 'Lock'";

/// What the server's progress view says of the session's index build (PostgreSQL 12 and later).
const PROGRESS: &str = "\
SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total, \
       COALESCE(pg_catalog.textin(pg_catalog.regclassout(relid)), '') \
  FROM pg_catalog.pg_stat_progress_create_index WHERE pid = $1";

/// The progress of the statement running now, as the server's progress view last showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Progress {
    pub phase: String,
    pub done: u64,
    pub total: u64,
    /// The table, as the view names it.
    pub relation: String,
}

/// Progress is sampled once an attempt has lasted this long: what a person watching would call long.
pub(crate) const PROGRESS_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    /// When the attempt running now started; `None` between attempts.
    attempt: Mutex<Option<Instant>>,
    /// The last sample with blockers, and when it was taken.
    last: Mutex<Option<(Instant, Blocked)>>,
    /// The last progress sample of the attempt running now.
    progress: Mutex<Option<Progress>>,
}

/// The lock watch of a run; clones share it.
#[derive(Clone, Default)]
pub(crate) struct LockWatch {
    shared: Arc<Mutex<Option<Arc<Shared>>>>,
    /// The watched session's server process, when the caller knows it already (a fleet's pooled session).
    pid: Option<i32>,
}

impl fmt::Debug for LockWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockWatch")
    }
}

/// An attempt running; see [`LockWatch::attempt`].
pub(crate) struct Attempt(Option<Arc<Shared>>);

impl Drop for Attempt {
    fn drop(&mut self) {
        if let Some(shared) = &self.0 {
            *shared.attempt.lock().unwrap_or_else(|e| e.into_inner()) = None;
            *shared.progress.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

/// Stops the watch's thread (and closes its connection) when dropped.
pub(crate) struct Running {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // A watcher whose connection waits for a server session (a full session pool behind PgBouncer)
            // must not hold the run up until the pooler gives up on it: it is left to end by itself once
            // that call returns, as it then sees `stop`.
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

impl LockWatch {
    /// A watch of its own for the session of server process `pid`.
    pub(crate) fn of_session(pid: i32) -> LockWatch {
        LockWatch {
            shared: Arc::default(),
            pid: Some(pid),
        }
    }

    /// Starts watching the session of `client` on a connection of `connect`, until the returned guard is
    /// dropped. Without `connect`, or when the session's pid cannot be read, nothing is watched.
    pub(crate) fn start(&self, client: &mut Client, connect: Option<&Connect>) -> Option<Running> {
        let connect = Arc::clone(&connect?.0);
        let pid: i32 = match self.pid {
            Some(pid) => pid,
            None => client
                .query_typed_one("SELECT pg_catalog.pg_backend_pid()", &[])
                .ok()?
                .get(0),
        };
        let shared = Arc::new(Shared::default());
        *self.shared.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&shared));
        let watched = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("lock-watch".to_owned())
            .spawn(move || {
                // Connected only once an attempt has lasted a while: short statements (a no-op `up`, most
                // migrations, a fleet of small targets) cost no second connection, while a statement that
                // waits for a lock until `lock_timeout` (500 ms by default) is still seen waiting. Samples
                // are taken only while such an attempt runs.
                let mut session: Option<(Client, postgres::Statement)> = None;
                let mut progress_query: Option<postgres::Statement> = None;
                let mut progress_at = Instant::now();
                while !watched.stop.load(Ordering::SeqCst) {
                    std::thread::sleep(SAMPLE_INTERVAL);
                    let long = watched
                        .attempt
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .is_some_and(|started| started.elapsed() >= CONNECT_AFTER);
                    if !long || watched.stop.load(Ordering::SeqCst) {
                        continue;
                    }
                    if session.is_none() {
                        // Without the second connection there is nothing to report; the run goes on.
                        let Ok(mut watcher) = connect() else { return };
                        let Ok(sample) = watcher.prepare(SAMPLE) else {
                            return;
                        };
                        session = Some((watcher, sample));
                    }
                    let Some((watcher, sample)) = session.as_mut() else {
                        return;
                    };
                    // A long attempt's progress, about once a second: the view is shared memory, no locks.
                    let running_for = watched
                        .attempt
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .map(|started| started.elapsed());
                    if running_for.is_some_and(|t| t >= PROGRESS_AFTER)
                        && progress_at.elapsed() >= PROGRESS_AFTER / 2
                    {
                        progress_at = Instant::now();
                        if progress_query.is_none() {
                            progress_query = watcher.prepare(PROGRESS).ok();
                        }
                        if let Some(query) = &progress_query {
                            let seen = watcher.query_opt(query, &[&pid]).ok().flatten().map(|r| {
                                let count = |i: usize| u64::try_from(r.get::<_, i64>(i)).unwrap_or(0);
                                let (done, total) = match count(2) {
                                    0 => (count(3), count(4)),
                                    blocks => (count(1), blocks),
                                };
                                Progress {
                                    phase: r.get(0),
                                    done,
                                    total,
                                    relation: r.get(5),
                                }
                            });
                            *watched.progress.lock().unwrap_or_else(|e| e.into_inner()) = seen;
                        }
                    }
                    if let Ok(rows) = watcher.query(&*sample, &[&pid]) {
                        if !rows.is_empty() {
                            let blocked = Blocked {
                                queued: rows[0].get::<_, i64>(6).try_into().unwrap_or(0),
                                blockers: rows
                                    .iter()
                                    .map(|r| Blocker {
                                        pid: r.get(0),
                                        user: r.get(1),
                                        application: r.get(2),
                                        state: r.get(3),
                                        for_how_long: r
                                            .get::<_, Option<f64>>(4)
                                            .map(|s| Duration::from_secs_f64(s.max(0.0))),
                                        query: r.get(5),
                                    })
                                    .collect(),
                            };
                            *watched.last.lock().unwrap_or_else(|e| e.into_inner()) =
                                Some((Instant::now(), blocked));
                        }
                    }
                }
            })
            .ok();
        Some(Running { shared, thread })
    }

    /// Marks an attempt (a statement run under the lock timeout) as running until the guard is dropped: the
    /// watch connects and samples only while one has run for [`CONNECT_AFTER`].
    pub(crate) fn attempt(&self) -> Attempt {
        let shared = self
            .shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(shared) = &shared {
            *shared.attempt.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
        Attempt(shared)
    }

    /// The progress of the attempt running now, as last sampled (none before [`PROGRESS_AFTER`], without a
    /// second connection, or for a statement no progress view follows).
    pub(crate) fn progress(&self) -> Option<Progress> {
        let shared = self
            .shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let progress = shared.progress.lock().unwrap_or_else(|e| e.into_inner());
        progress.clone()
    }

    /// What blocked the session when last seen waiting, if that was after `since` (an attempt's start).
    pub(crate) fn blocked_since(&self, since: Instant) -> Option<Blocked> {
        let shared = self
            .shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let last = shared.last.lock().unwrap_or_else(|e| e.into_inner());
        last.as_ref()
            .filter(|(at, _)| *at >= since)
            .map(|(_, blocked)| blocked.clone())
    }
}
