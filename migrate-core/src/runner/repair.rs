//! `repair`, under the lock: every check first, then the changes to the bookkeeping in one transaction.

use postgres::Client;

use crate::error::Error;
use crate::history::{self, journal};
use crate::settings::Settings;
use crate::status::{Entry, State, Status, StatusReport};

use super::select;

/// [`Migrator::repair`](crate::Migrator::repair) under the lock: every check first, then the changes in one
/// transaction.
pub(super) fn repair(
    settings: &Settings<'_>,
    client: &mut Client,
    names: &[String],
) -> Result<Vec<Entry>, Error> {
    if !history::exists(client, &settings.table)? {
        return Ok(Vec::new());
    }
    let (status, refusals) = repair_status(settings, client)?;
    let elsewhere = check_repair_names(settings, client, &status, refusals, names)?;
    check_lookalikes(&status, names)?;
    let mut tx = client
        .transaction()
        .map_err(Error::database("cannot start a transaction".to_owned()))?;
    let mut repaired = repair_rows(settings, &mut tx, &status, names)?;
    repaired.extend(clear_marks(settings, &mut tx, &status, names)?);
    repaired.extend(elsewhere);
    tx.commit()
        .map_err(Error::database("cannot commit the repair".to_owned()))?;
    Ok(repaired)
}

/// The status `repair` works from, and why `up` cannot record a squashed baseline yet, if it cannot.
fn repair_status(settings: &Settings<'_>, client: &mut Client) -> Result<(Status, Vec<Error>), Error> {
    // Rows a squashed baseline stands for are not missing files: `up` replaces them.
    let applied = crate::squash::as_recorded(
        settings.migrations,
        history::load(client, &settings.table, settings.migrations)?,
    );
    // Names and states only: no migration's `up` is recorded to tell contracts.
    let report = StatusReport::new(
        settings.table.to_string(),
        true,
        settings.migrations,
        applied,
        Vec::new(),
    );
    let refusals = report.squash_refusals();
    Ok((report.into_status(), refusals))
}

/// Refuses a name that is neither a migration of `status`, nor marked, nor in progress, and a squashed
/// row named (with `refusals`, `up`'s reason). Returns the entries of the names known only by a mark or
/// the journal.
fn check_repair_names(
    settings: &Settings<'_>,
    client: &mut Client,
    status: &Status,
    refusals: Vec<Error>,
    names: &[String],
) -> Result<Vec<Entry>, Error> {
    // A migration with neither a file nor a row can still be marked or in progress (a newer
    // release's): naming it clears that.
    let marks = history::load_failures(client, &settings.table)?;
    let mut elsewhere = Vec::new();
    for name in names {
        let Some(entry) = status.migrations.iter().find(|e| repair_names(e, name)) else {
            let mark = marks.iter().rev().find(|f| &f.name == name);
            if mark.is_none() && journal::load(client, &settings.table, name)?.is_none() {
                return Err(Error::UnknownMigration { name: name.clone() });
            }
            elsewhere.push(Entry {
                name: name.clone(),
                state: State::Failed,
                path: None,
                applied: None,
                failure: mark.cloned(),
                contract: None,
                renamed_from: None,
                same_content_as: Vec::new(),
                squashed_into: None,
                phase: None,
            });
            continue;
        };
        // A squashed row is not a missing file: deleting it would make the baseline unrecordable
        // for good. What frees it is what `up` says.
        if entry.state == State::Squashed {
            if let Some(refusal) = refusals.into_iter().next() {
                return Err(refusal);
            }
            break;
        }
    }
    Ok(elsewhere)
}

/// Records the checksums of changed and unverified migrations, the new names of renamed ones, and
/// forgets those whose file is gone (only those of `names`, when given). Returns them as they were.
fn repair_rows(
    settings: &Settings<'_>,
    tx: &mut postgres::Transaction<'_>,
    status: &Status,
    names: &[String],
) -> Result<Vec<Entry>, Error> {
    let mut repaired = Vec::new();
    for entry in &status.migrations {
        if !names.is_empty() && !names.iter().any(|n| repair_names(entry, n)) {
            continue;
        }
        match (entry.state, &entry.renamed_from) {
            (State::Changed | State::Unverified, _) => {
                let m = select::find(settings.migrations, &entry.name)?;
                history::update_checksum(tx, &settings.table, m.name(), &m.checksum())?;
            }
            (State::Renamed, Some(old)) => history::rename(tx, &settings.table, old, &entry.name)?,
            (State::Missing, _) => history::delete(tx, &settings.table, &entry.name)?,
            _ => continue,
        }
        repaired.push(entry.clone());
    }
    Ok(repaired)
}

/// Clears the failure marks and journal rows of `names`. Returns the entries of those that had one,
/// as failed.
fn clear_marks(
    settings: &Settings<'_>,
    tx: &mut postgres::Transaction<'_>,
    status: &Status,
    names: &[String],
) -> Result<Vec<Entry>, Error> {
    let mut cleared = Vec::new();
    // A failure mark is cleared only when named: it says that statements were committed, and
    // clearing it is the user's statement that they were finished or undone by hand. So is what
    // the journal recorded of it, with its backfills' positions: the next run starts it over.
    for name in names {
        let marked = history::clear_failure(tx, &settings.table, name)?;
        if journal::finish(tx, &settings.table, name)? || marked {
            if let Some(entry) = status.migrations.iter().find(|e| &e.name == name) {
                let mut entry = entry.clone();
                entry.state = State::Failed;
                cleared.push(entry);
            }
        }
    }
    Ok(cleared)
}

/// Whether `name`, as given to `repair`, names `entry`: a renamed migration by its old or new name.
fn repair_names(entry: &Entry, name: &str) -> bool {
    entry.name == name || entry.renamed_from.as_deref() == Some(name)
}

/// Forgetting an applied migration whose content pending files have would make `up` run it again: refused
/// until one file is left (then it is a rename, which `repair` records).
fn check_lookalikes(status: &Status, names: &[String]) -> Result<(), Error> {
    let lookalikes: Vec<(String, Vec<String>)> = status
        .migrations
        .iter()
        .filter(|e| !e.same_content_as.is_empty())
        .filter(|e| {
            names.is_empty()
                || names
                    .iter()
                    .any(|n| repair_names(e, n) || e.same_content_as.contains(n))
        })
        .map(|e| (e.name.clone(), e.same_content_as.clone()))
        .collect();
    if !lookalikes.is_empty() {
        return Err(Error::AmbiguousRename { lookalikes });
    }
    Ok(())
}
