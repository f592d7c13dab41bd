//! A run must not hang on a server that stopped answering: a proxy or server process that is stopped, or a
//! network that drops packets, leaves a query waiting forever, since the kernel still acknowledges what is
//! sent to a live socket. During `up`, `down` and `redo` a thread checks, every `timeout`, that the server
//! answers a new connection within `timeout` and then `SELECT 1`; when it does not, the run stops with an
//! error (exit status 1) after at most about three times `timeout`. A server that answers with an error (too
//! many connections, say) is alive: only silence counts.
//!
//! A connection pooler in session mode whose pool is full (every server session bound to a client, the
//! run's own included) answers the connection and then queues the query until a server session is released,
//! or fails it after its `query_wait_timeout` (PgBouncer: 120 s by default). A full pool is no dead server:
//! once the connection is answered, the query may wait, and the checks go on with new connections that only
//! need an answer to the connection (the pooler's or the server's) until the queued query gets its reply or
//! an error. Only a queued query with no reply at all after [`QUEUED_LIMIT`] (or three times `timeout`, if
//! longer) counts as silence: by then a pooler would have answered it one way or the other.

use crate::stdio::errln;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use crate::connect::Target;

/// How long a check's query may stay queued behind a connection that was answered: longer than a pooler's
/// wait for a free server session before it fails the query (PgBouncer's `query_wait_timeout`, 120 s by
/// default).
const QUEUED_LIMIT: Duration = Duration::from_secs(300);

/// Starts the checks for the rest of the process; a zero `timeout` turns them off. `idle_in_transaction` is
/// the run's `idle_in_transaction_session_timeout`, for the message.
pub fn start(target: &Target, timeout: Duration, idle_in_transaction: Option<Duration>) {
    start_with(target, timeout, move |target, silence| {
        errln!(
            "error: the server of {} stopped answering: {silence}; the run stops here instead of waiting \
             forever. {} What the migration in progress did is for the server to say once it answers again: \
             a migration in a transaction is rolled back when its session ends, one outside a transaction \
             stays marked with the statements it committed; run `status` then",
            target.display,
            crate::session_end::held_locks(idle_in_transaction)
        );
    });
}

/// Starts the checks of `target`'s server for the rest of the process, as [`start`] does; on silence,
/// `said` says what stops (a fleet names its targets) before the process ends with status 1.
pub fn start_with(
    target: &Target,
    timeout: Duration,
    said: impl Fn(&Target, &str) + Send + 'static,
) {
    if timeout.is_zero() {
        return;
    }
    let target = target.clone();
    let _ = std::thread::Builder::new()
        .name("server-check".to_owned())
        .spawn(move || {
            let mut queued = None;
            loop {
                std::thread::sleep(timeout);
                if let Err(silence) = check(&target, timeout, &mut queued) {
                    said(&target, &silence);
                    std::process::exit(1);
                }
            }
        });
}

/// What a check's connection heard.
enum Reply {
    /// No answer to the connection within the timeout.
    Silent(String),
    /// The connection was answered; its query, if any, has not been yet.
    Connected,
    /// An answer: the query's result, or an error from the server or a pooler.
    Answered,
}

/// A check's query that a pooler queued, and since when.
struct Queued {
    replies: Receiver<Reply>,
    since: Instant,
}

/// One check: a new connection, and `SELECT 1` on it unless an earlier check's query is still queued (one
/// queued query at a time is enough to learn whether the pooler still serves).
fn check(target: &Target, timeout: Duration, queued: &mut Option<Queued>) -> Result<(), String> {
    if let Some(waiting) = queued {
        match waiting.replies.try_recv() {
            Err(TryRecvError::Empty) => {
                let limit = QUEUED_LIMIT.max(timeout * 3);
                if waiting.since.elapsed() > limit {
                    return Err(format!(
                        "a check's query (SELECT 1) got no reply for {}s after the server, or a connection pooler in \
                         front of it, answered its connection (a pooler with no free server session would have failed \
                         it by then)",
                        limit.as_secs()
                    ));
                }
            }
            Ok(_) | Err(TryRecvError::Disconnected) => *queued = None,
        }
    }
    let with_query = queued.is_none();
    let replies = probe(target, timeout, with_query);
    // Connecting may take up to `timeout`, and a little more for the thread.
    match replies.recv_timeout(timeout * 2) {
        Ok(Reply::Silent(message)) => Err(format!(
            "a check on a new connection got no reply within {}s ({message})",
            timeout.as_secs()
        )),
        Err(_) => Err(format!(
            "a check on a new connection got no reply within {}s",
            (timeout * 2).as_secs()
        )),
        // Any answer, even an error, shows the server (or what is in front of it) is there.
        Ok(Reply::Answered) => Ok(()),
        Ok(Reply::Connected) if !with_query => Ok(()),
        Ok(Reply::Connected) => {
            match replies.recv_timeout(timeout) {
                Err(RecvTimeoutError::Timeout) => {
                    // Answered connection, unanswered query: a pooler's queue, watched from now on.
                    *queued = Some(Queued {
                        replies,
                        since: Instant::now(),
                    });
                }
                Ok(_) | Err(RecvTimeoutError::Disconnected) => {}
            }
            Ok(())
        }
    }
}

/// Opens a connection on a thread of its own, and runs `SELECT 1` on it when `with_query`; the thread tells
/// what it heard, and ends (closing the connection) once the query is answered.
fn probe(target: &Target, timeout: Duration, with_query: bool) -> Receiver<Reply> {
    let (tx, rx) = mpsc::channel();
    let probe = target.clone();
    let _ = std::thread::Builder::new()
        .name("server-check-probe".to_owned())
        .spawn(move || match probe.connect_unchecked(timeout) {
            Err(e) => {
                let message = format!("{e:#}");
                let _ = tx.send(
                    if message.contains("timed out") || message.contains("timeout") {
                        Reply::Silent(message)
                    } else {
                        Reply::Answered
                    },
                );
            }
            Ok(mut client) => {
                let _ = tx.send(Reply::Connected);
                if with_query {
                    let _ = client.simple_query("SELECT 1");
                    let _ = tx.send(Reply::Answered);
                }
            }
        });
    rx
}
