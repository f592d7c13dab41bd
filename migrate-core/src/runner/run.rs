//! One command's run: the settings it was given, what it learns of the migrations table as it goes, and
//! the stages it goes through, each a type of its own:
//!
//! 1. [`HistoryRead`] (`read`): the bookkeeping as it is, and the checks that refuse a run on it (failure
//!    marks, a migration in progress, migrations a newer release applied);
//! 2. [`Selection`] (`select`): what to run, from the compiled migrations and the rows alone;
//! 3. [`Plan`] (`plan`): the chosen steps checked before anything changes (one transaction for the run,
//!    the role's rights) and the session each starts from;
//! 4. [`Executor`] (`execute`): running them, transaction by transaction;
//! 5. [`Recorder`] (`record`): the bookkeeping table, rows and failure marks.

use postgres::Client;

use crate::blockers::Running;
use crate::error::Error;
use crate::events::Event;
use crate::settings::Settings;

use super::execute::Executor;
use super::plan::Plan;
use super::read::HistoryRead;
use super::record::Recorder;
use super::select::Selection;

/// A command's run over its settings.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run<'r, 'a> {
    pub(super) settings: &'r Settings<'a>,
    records_reverse: &'r RecordsReverse,
}

impl<'r, 'a> Run<'r, 'a> {
    pub(super) fn new(settings: &'r Settings<'a>, records_reverse: &'r RecordsReverse) -> Self {
        Run {
            settings,
            records_reverse,
        }
    }

    /// Stage 1: reading the bookkeeping and the checks on it.
    pub(super) fn read(&self) -> HistoryRead<'r, 'a> {
        HistoryRead {
            settings: self.settings,
        }
    }

    /// Stage 2: the choice of steps, on a server of major version `server`.
    pub(super) fn selection(&self, server: u32) -> Selection<'a> {
        Selection {
            migrations: self.settings.migrations,
            allow_out_of_order: self.settings.allow_out_of_order,
            fake: self.settings.fake,
            server,
            recorded_downs: self.settings.recorded_downs,
        }
    }

    /// Stage 3: the checks of the chosen steps before anything changes.
    pub(super) fn plan(&self) -> Plan<'r, 'a> {
        Plan {
            settings: self.settings,
        }
    }

    /// Stage 4: running the steps.
    pub(super) fn executor(&self) -> Executor<'r, 'a> {
        Executor {
            settings: self.settings,
            recorder: self.recorder(),
        }
    }

    /// Stage 5: the bookkeeping.
    pub(super) fn recorder(&self) -> Recorder<'r> {
        Recorder {
            table: &self.settings.table,
            records_reverse: self.records_reverse,
            run: self.settings.run_note.as_ref(),
        }
    }

    /// Runs `f` under the migration lock of the run's table, with its lock mode, timeouts and
    /// interrupt: every command that changes anything goes through here.
    pub(super) fn locked<T>(
        &self,
        client: &mut Client,
        events: &mut dyn FnMut(Event<'_>),
        f: impl FnOnce(&mut Client, &mut dyn FnMut(Event<'_>)) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // The migrations' commits did not wait for the disk (see `units`): a commit that does flushes them all
        // before the lock is released and the run reports. The server waits only for a transaction that
        // wrote to its log, and a transaction id alone writes nothing; a transactional logical message is a
        // record and nothing else (any role may write one, at any `wal_level`; a logical decoding client sees
        // it with its prefix). Only when the log holds what is not on disk yet, so that a run that committed
        // nothing (an app's start-up with nothing pending) writes nothing; never on a standby, which can write
        // nothing (CASE evaluates in order: the positions cannot be read there).
        let (done, flushed) = crate::lock::with_lock_ending(
            client,
            &self.settings.table,
            self.settings.lock_mode,
            &self.settings.timeouts,
            &self.settings.interrupt,
            events,
            "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL \
             WHEN pg_catalog.pg_current_wal_insert_lsn() > pg_catalog.pg_current_wal_flush_lsn() \
             THEN pg_catalog.pg_logical_emit_message(true, 'migrate', 'run ended') END;",
            f,
        );
        match (done, flushed) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(e)) => Err(Error::database(
                "cannot wait for the run's commits to reach the disk (the server may have lost the newest \
                 ones; `status` says which are applied)"
                    .to_owned(),
            )(e)),
            // The run's own error says more; the flush is best effort then.
            (Err(e), _) => Err(e),
        }
    }

    /// Starts a run that may change the database: its time budget on its interrupt (the fleet's deadline,
    /// else `max_duration` from now), and the watch of its locks, which ends when the returned value drops.
    pub(super) fn start(&self, client: &mut Client) -> Option<Running> {
        self.start_budget();
        self.settings
            .lock_watch
            .start(client, self.settings.second_connection.as_ref())
    }

    /// Starts the run's time budget on its interrupt: the fleet's deadline, else `max_duration` from now.
    fn start_budget(&self) {
        match self.settings.deadline_at {
            Some((at, budget)) => self.settings.interrupt.set_deadline_at(at, budget),
            None => self.settings.interrupt.set_deadline(self.settings.max_duration),
        }
    }
}

/// Whether the migrations table has the columns that record each migration's phase and `down`: set by each
/// run that creates or reads the table for writing (`history::ensure`), before its first step, and kept by
/// the [`Migrator`](crate::Migrator) for its next runs (a `redo` writes rows without reading it again). A
/// clone (a fleet's migrator for another target) starts from the value and then keeps its own.
#[derive(Debug)]
pub(super) struct RecordsReverse(std::sync::atomic::AtomicBool);

impl RecordsReverse {
    /// Before any run read the table: assumed to have the columns, as `up` creates it.
    pub(super) fn assumed() -> Self {
        RecordsReverse(std::sync::atomic::AtomicBool::new(true))
    }

    pub(super) fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(super) fn set(&self, yes: bool) {
        self.0.store(yes, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clone for RecordsReverse {
    fn clone(&self) -> Self {
        RecordsReverse(std::sync::atomic::AtomicBool::new(self.get()))
    }
}
