//! A second connection that watches a statement the runner sends outside a transaction (`CREATE INDEX
//! CONCURRENTLY` and the rest of a `no_transaction` migration). Such a statement commits on its own, so its
//! locks are gone when the runner gets control back: they can only be seen while it runs.
//!
//! Before the statement is sent, the watcher opens a `REPEATABLE READ` transaction and takes its snapshot.
//! The `CONCURRENTLY` forms wait for every transaction whose snapshot is older than theirs, so they stop at
//! that wait, holding their locks, until the watcher has read them from `pg_locks` and ended its transaction:
//! for them the trace is exact. Any other statement is sampled about every millisecond while it runs, and a
//! short one may finish between two samples; the report says which of the two it was.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::Client;

use super::locks::{LockMode, ModeSet};

/// How often a running statement's locks are read.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(1);

/// What the watcher saw while one statement ran.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observation {
    /// Every granted mode seen on each relation (by oid; the catalog's among them, filtered later).
    pub locks: HashMap<u32, ModeSet>,
    /// Whether the statement waited for the watcher's snapshot, so its locks were read while it held them.
    pub waited: bool,
}

enum Command {
    /// Take a snapshot and watch the session with this process id until `Stop`.
    Watch(i32),
    Stop,
}

enum Reply {
    /// The snapshot is taken (or could not be).
    Ready(Result<(), postgres::Error>),
    Observed(Result<Observation, postgres::Error>),
}

/// The watching connection, on a thread of its own.
#[derive(Debug)]
pub(crate) struct Watcher {
    commands: Sender<Command>,
    replies: Receiver<Reply>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Starts the watching thread on `client`, a connection to the database the migrations run on.
    pub(crate) fn start(client: Client) -> Watcher {
        let (commands, receive_commands) = mpsc::channel();
        let (send_replies, replies) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("migrate-trace-watcher".to_owned())
            .spawn(move || serve(client, &receive_commands, &send_replies))
            .ok();
        Watcher {
            commands,
            replies,
            thread,
        }
    }

    /// Takes the snapshot and starts sampling session `pid`; returns once the snapshot is held.
    pub(crate) fn watch(&self, pid: i32) -> Result<(), postgres::Error> {
        match self.ask(Command::Watch(pid)) {
            Some(Reply::Ready(result)) => result,
            _ => Ok(()),
        }
    }

    /// Ends the watch: what was seen. A watcher whose thread is gone saw nothing.
    pub(crate) fn stop(&self) -> Result<Observation, postgres::Error> {
        match self.ask(Command::Stop) {
            Some(Reply::Observed(result)) => result,
            _ => Ok(Observation::default()),
        }
    }

    fn ask(&self, command: Command) -> Option<Reply> {
        self.thread.as_ref()?;
        self.commands.send(command).ok()?;
        self.replies.recv().ok()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // Closing the channel ends the thread (its transaction, if any, goes with the connection).
        let (closed, _) = mpsc::channel();
        self.commands = closed;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut client: Client, commands: &Receiver<Command>, replies: &Sender<Reply>) {
    while let Ok(command) = commands.recv() {
        let reply = match command {
            Command::Stop => Reply::Observed(Ok(Observation::default())),
            Command::Watch(pid) => {
                let ready = client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1");
                let failed = ready.is_err();
                if replies.send(Reply::Ready(ready)).is_err() {
                    return;
                }
                if failed {
                    continue;
                }
                Reply::Observed(sample_until_stopped(&mut client, pid, commands))
            }
        };
        if replies.send(reply).is_err() {
            return;
        }
    }
}

/// Samples session `pid`'s locks until told to stop. Once the session waits for a lock (for the snapshot held
/// here, in the case of the `CONCURRENTLY` forms), what it holds is recorded and the snapshot let go.
fn sample_until_stopped(
    client: &mut Client,
    pid: i32,
    commands: &Receiver<Command>,
) -> Result<Observation, postgres::Error> {
    let mut seen = Observation::default();
    let mut holding = true;
    let result = loop {
        match commands.try_recv() {
            Ok(Command::Stop) | Err(TryRecvError::Disconnected) => break Ok(()),
            Ok(Command::Watch(_)) | Err(TryRecvError::Empty) => {}
        }
        let rows = match client.query(
            "SELECT l.locktype, l.relation, l.mode, l.granted FROM pg_catalog.pg_locks l WHERE l.pid = $1",
            &[&pid],
        ) {
            Ok(rows) => rows,
            Err(e) => break Err(e),
        };
        let mut waiting = false;
        for row in rows {
            let locktype: Option<String> = row.get(0);
            let relation: Option<u32> = row.get(1);
            let mode: Option<String> = row.get(2);
            let granted: Option<bool> = row.get(3);
            if granted != Some(true) {
                waiting = true;
                continue;
            }
            // Table-level locks only: a row's (`tuple`) or the file's growth (`extend`) name the relation too.
            if locktype.as_deref() != Some("relation") {
                continue;
            }
            if let (Some(relation), Some(mode)) =
                (relation, mode.as_deref().and_then(LockMode::from_pg_locks))
            {
                seen.locks.entry(relation).or_default().insert(mode);
            }
        }
        if waiting && holding {
            seen.waited = true;
            holding = false;
            if let Err(e) = client.batch_execute("COMMIT") {
                break Err(e);
            }
        }
        std::thread::sleep(SAMPLE_INTERVAL);
    };
    if holding {
        client.batch_execute("COMMIT")?;
    }
    result.map(|()| seen)
}
