//! Stage 1 of a run: the bookkeeping as it is, read once under the lock where the run changes anything, and
//! the checks that refuse a run on it before anything is chosen: migrations marked as failed part-way, a
//! migration in progress the other way or unknown to this binary, migrations a newer release applied.

use postgres::Client;

use crate::error::Error;
use crate::events::Event;
use crate::history::{self, journal, History, InProgress};
use crate::migration::Direction;
use crate::settings::Settings;

use super::select;

/// Reads a run's migrations table.
#[derive(Debug, Clone, Copy)]
pub(super) struct HistoryRead<'r, 'a> {
    pub(super) settings: &'r Settings<'a>,
}

impl<'a> HistoryRead<'_, 'a> {
    /// Refuses to run anything while a migration is marked as failed part-way, unless `--retry` names it
    /// and the journal knows what took effect (the mark is cleared, and the run continues it). A mark left
    /// by an earlier version before a backfill before which nothing was committed is cleared too: the
    /// backfill resumes.
    pub(super) fn check_failures(&self, client: &mut Client, marked: bool) -> Result<(), Error> {
        let mut failures = history::load_failures_if(client, &self.settings.table, marked)?;
        for name in &self.settings.retry {
            // Not marked here (on a fleet's other targets, say): nothing to clear.
            select::find(self.settings.migrations, name)?;
            if !failures.iter().any(|f| &f.name == name) {
                continue;
            }
            if journal::load(client, &self.settings.table, name)?.is_none() {
                return Err(Error::CannotRetry {
                    name: name.clone(),
                    why: "its mark was written by an earlier version, which did not record which of its \
                          statements took effect: finish or undo them by hand, then `repair` it"
                        .to_owned(),
                });
            }
            history::clear_failure(client, &self.settings.table, name)?;
            failures.retain(|f| &f.name != name);
        }
        for f in failures.iter().filter(|f| resumable(f)) {
            history::clear_failure(client, &self.settings.table, &f.name)?;
        }
        failures.retain(|f| !resumable(f));
        if failures.is_empty() {
            Ok(())
        } else {
            let elsewhere = failures
                .iter()
                .filter(|f| select::find(self.settings.migrations, &f.name).is_err())
                .map(|f| f.name.clone())
                .collect();
            Err(Error::FailedPartWay { failures, elsewhere })
        }
    }

    /// The migration in progress, if one is: continued by the run going its way, refused when it went the
    /// other way (an `up` over a `down` stopped part-way), and a migration this build does not know is
    /// refused either way. For `down`, the `up` in progress is returned: its part is undone first.
    pub(super) fn check_in_progress(
        &self,
        client: &mut Client,
        journal: bool,
        direction: Direction,
    ) -> Result<Option<InProgress>, Error> {
        if !journal {
            return Ok(None);
        }
        let Some(row) = journal::load_all(client, &self.settings.table)?.pop() else {
            return Ok(None);
        };
        if select::find(self.settings.migrations, &row.name).is_err() {
            return Err(Error::InProgressUnknown {
                done: row.done.len(),
                name: row.name,
                direction: row.direction,
            });
        }
        match (row.direction, direction) {
            (Direction::Down, Direction::Up) => Err(Error::DownInProgress {
                done: row.done.len(),
                name: row.name,
            }),
            (Direction::Up, Direction::Down) => Ok(Some(row)),
            // Continued where its step runs.
            _ => Ok(None),
        }
    }

    /// What `down` and `redo` start from, under the lock: no migration failed part-way, the applied rows (none
    /// is an error: there is nothing to revert) and the server's major version.
    pub(super) fn revertible(
        &self,
        client: &mut Client,
    ) -> Result<(History<'a>, u32, history::Probe), Error> {
        let probe = history::probe(client, &self.settings.table)?;
        self.check_failures(client, probe.failures)?;
        let Some(applied) =
            history::load_probed(client, &self.settings.table, self.settings.migrations, &probe)?
        else {
            return Err(Error::NothingApplied);
        };
        Ok((applied, probe.server, probe))
    }

    /// What exists of the migrations table and its rows: in one query on a session of its own when the table
    /// is as `up` creates it ([`history::read_at_once`]), else a probe and the rows.
    pub(super) fn probe_and_read(
        &self,
        client: &mut Client,
    ) -> Result<(history::Probe, (bool, History<'a>)), Error> {
        if self.settings.own_session {
            if let Some((probe, rows)) =
                history::read_at_once(client, &self.settings.table, self.settings.migrations)?
            {
                return Ok((
                    probe,
                    (true, crate::squash::as_recorded(self.settings.migrations, rows)),
                ));
            }
        }
        let probe = history::probe(client, &self.settings.table)?;
        let applied = self.applied_after(client, &probe)?;
        Ok((probe, applied))
    }

    /// The applied rows, once `probe` said whether the table exists and which columns it
    /// has.
    pub(super) fn applied_after(
        &self,
        client: &mut Client,
        probe: &history::Probe,
    ) -> Result<(bool, History<'a>), Error> {
        match history::load_probed(client, &self.settings.table, self.settings.migrations, probe)? {
            Some(rows) => Ok((true, crate::squash::as_recorded(self.settings.migrations, rows))),
            None => Ok((false, History::default())),
        }
    }

    /// Applied migrations newer than every file of this binary (a newer release's, met after a rollback):
    /// `up` goes on when all of them are recorded expands, saying so, and refuses otherwise.
    pub(super) fn check_ahead(
        &self,
        client: &mut Client,
        applied: &History<'a>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let names = history::ahead_names(self.settings.migrations, applied);
        if names.is_empty() {
            return Ok(());
        }
        let ahead = history::load_ahead(client, &self.settings.table, &names)?;
        if ahead.iter().all(history::Ahead::is_expand) {
            events(Event::AheadOfBinary { ahead: &ahead });
            return Ok(());
        }
        Err(Error::AheadOfBinary {
            table: self.settings.table.quoted(),
            ahead,
        })
    }
}

/// A mark left before a migration's first operation when that one can run again (a backfill, a typed
/// concurrent index build): nothing else was committed, so the next run clears it and goes on.
pub(super) fn resumable(f: &history::Failure) -> bool {
    f.committed == 0 && f.error.starts_with(history::RESUMABLE_MARK)
}
