//! Status: every migration known from the folder or the table, and what state it is in.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::history::{AppliedMigration, Failure};
use crate::migration::Migration;

/// The state of one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Applied, and the file is unchanged.
    Applied,
    /// Applied, but the file changed since (checksum differs).
    Changed,
    /// Applied, but there is no file for it any more.
    Missing,
    /// Not applied yet.
    Pending,
    /// Not applied, and older than the newest applied migration: `up` refuses it without
    /// `--allow-out-of-order`.
    OutOfOrder,
    /// Ran outside a transaction and failed after committing some statements (see `failure`): `up`,
    /// `down` and `redo` refuse until `repair NAME` clears it.
    Failed,
    /// Applied under another name (see `renamed_from`): the file was renamed, its content is unchanged (same
    /// checksum). `up` refuses until `repair` records the new name.
    Renamed,
    /// Applied, but the table holds no checksum for it (a row written by another tool or by hand), so an
    /// edit cannot be detected. Not an obstacle; `repair` records the file's current checksum.
    Unverified,
}

/// One line of `status`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub name: String,
    pub state: State,
    /// The file, when there is one.
    pub path: Option<String>,
    /// The table row, when applied.
    pub applied: Option<AppliedMigration>,
    /// The kept failure, when it failed part-way.
    pub failure: Option<Failure>,
    /// Why it is a contract (`pgm.contract(..)` in its `up`), for a migration not applied yet: what a deploy
    /// must wait for. `None` for an expand, an applied migration (its phase is history, and recording every
    /// applied migration would slow `status` down on long histories) or one without a file.
    pub contract: Option<String>,
    /// The name it was applied under, when its file was renamed since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

/// The status of every migration, ordered by timestamp.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The migrations table, `schema.name`.
    pub table: String,
    /// Whether the table exists yet.
    pub table_exists: bool,
    pub migrations: Vec<Entry>,
    /// How many migrations are in each state.
    pub summary: Summary,
}

/// How many migrations are in each state; each migration counts once, in its [`State`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub applied: usize,
    pub changed: usize,
    pub missing: usize,
    pub pending: usize,
    pub out_of_order: usize,
    pub failed: usize,
    pub renamed: usize,
    pub unverified: usize,
    /// Pending (or out-of-order) migrations marked contract: what `up --expand-only` leaves for after the
    /// rollout.
    pub contracts_pending: usize,
    /// Changed, renamed, missing, out of order and failed together: what `status` exits non-zero for (each
    /// makes `up` refuse). Unverified ones do not.
    pub problems: usize,
}

impl Summary {
    fn of(entries: &[Entry]) -> Self {
        let count = |state| entries.iter().filter(|e| e.state == state).count();
        let mut s = Summary {
            total: entries.len(),
            applied: count(State::Applied),
            changed: count(State::Changed),
            missing: count(State::Missing),
            pending: count(State::Pending),
            out_of_order: count(State::OutOfOrder),
            failed: count(State::Failed),
            renamed: count(State::Renamed),
            unverified: count(State::Unverified),
            contracts_pending: entries
                .iter()
                .filter(|e| {
                    matches!(e.state, State::Pending | State::OutOfOrder) && e.contract.is_some()
                })
                .count(),
            problems: 0,
        };
        s.problems = s.changed + s.renamed + s.missing + s.out_of_order + s.failed;
        s
    }
}

impl Status {
    pub(crate) fn compute(
        table: String,
        table_exists: bool,
        migrations: &[Migration],
        applied: &[AppliedMigration],
    ) -> Self {
        let newest_applied = applied.iter().map(|a| a.name.as_str()).max();
        // Maps, not nested scans: status must stay fast with tens of thousands of migrations.
        let by_name: HashMap<&str, &AppliedMigration> =
            applied.iter().map(|a| (a.name.as_str(), a)).collect();
        let compiled: HashSet<&str> = migrations.iter().map(|m| m.name).collect();
        let mut entries: Vec<Entry> = migrations
            .iter()
            .map(|m| {
                let row = by_name.get(m.name).copied();
                let state = match row.map(|a| a.checksum.as_deref()) {
                    Some(None) => State::Unverified,
                    Some(Some(checksum)) if checksum != m.checksum() => State::Changed,
                    Some(_) => State::Applied,
                    None if newest_applied.is_some_and(|newest| m.name < newest) => {
                        State::OutOfOrder
                    }
                    None => State::Pending,
                };
                Entry {
                    name: m.name.to_owned(),
                    state,
                    path: Some(m.display_path()),
                    applied: row.cloned(),
                    failure: None,
                    contract: None,
                    renamed_from: None,
                }
            })
            .collect();
        // A file renamed after it was applied keeps its content: an applied row without a file and a
        // pending file with the same checksum are one migration under two names. Only an unambiguous pair
        // (one row, one file with that checksum) is taken as a rename.
        let missing: Vec<&AppliedMigration> = applied
            .iter()
            .filter(|a| !compiled.contains(a.name.as_str()))
            .collect();
        let mut unapplied_by_checksum: HashMap<String, Vec<usize>> = HashMap::new();
        if !missing.is_empty() {
            for (i, e) in entries.iter().enumerate() {
                if e.applied.is_none() {
                    unapplied_by_checksum
                        .entry(migrations[i].checksum())
                        .or_default()
                        .push(i);
                }
            }
        }
        let mut missing_by_checksum: HashMap<&str, usize> = HashMap::new();
        for a in &missing {
            if let Some(checksum) = &a.checksum {
                *missing_by_checksum.entry(checksum.as_str()).or_default() += 1;
            }
        }
        for a in missing {
            let file = a.checksum.as_deref().and_then(|checksum| {
                match (
                    unapplied_by_checksum.get(checksum).map(Vec::as_slice),
                    missing_by_checksum.get(checksum),
                ) {
                    (Some([i]), Some(1)) => Some(*i),
                    _ => None,
                }
            });
            match file {
                Some(i) => {
                    let entry = &mut entries[i];
                    entry.state = State::Renamed;
                    entry.applied = Some(a.clone());
                    entry.renamed_from = Some(a.name.clone());
                }
                None => entries.push(Entry {
                    name: a.name.clone(),
                    state: State::Missing,
                    path: None,
                    applied: Some(a.clone()),
                    failure: None,
                    contract: None,
                    renamed_from: None,
                }),
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Status {
            table,
            table_exists,
            summary: Summary::of(&entries),
            migrations: entries,
        }
    }

    /// Marks the migrations that failed part-way.
    pub(crate) fn with_failures(mut self, failures: Vec<Failure>) -> Self {
        for failure in failures {
            if let Some(entry) = self.migrations.iter_mut().find(|e| e.name == failure.name) {
                entry.state = State::Failed;
                entry.failure = Some(failure);
            }
        }
        self.summary = Summary::of(&self.migrations);
        self
    }

    /// Fills in which migrations not applied yet are contracts, recording each one's `up` (see
    /// [`Migration::contract`]).
    pub(crate) fn with_contracts(mut self, migrations: &[Migration]) -> Self {
        let by_name: HashMap<&str, &Migration> = migrations.iter().map(|m| (m.name, m)).collect();
        for entry in self.migrations.iter_mut().filter(|e| e.applied.is_none()) {
            entry.contract = by_name.get(entry.name.as_str()).and_then(|m| m.contract());
        }
        self.summary = Summary::of(&self.migrations);
        self
    }

    /// The pending migrations up to (not including) the first pending contract: what `up --expand-only`
    /// applies. The second value is that contract, if one is pending.
    pub fn expand_only(&self) -> (Vec<&Entry>, Option<&Entry>) {
        let mut expands = Vec::new();
        for e in self
            .migrations
            .iter()
            .filter(|e| matches!(e.state, State::Pending | State::OutOfOrder))
        {
            if e.contract.is_some() {
                return (expands, Some(e));
            }
            expands.push(e);
        }
        (expands, None)
    }

    /// Renamed files, as `(applied name, file name)`.
    pub fn renames(&self) -> Vec<(String, String)> {
        self.migrations
            .iter()
            .filter_map(|e| Some((e.renamed_from.clone()?, e.name.clone())))
            .collect()
    }

    /// Whether a migration is changed, renamed, missing its file, out of order or failed part-way: what a CI
    /// check of `status` fails on.
    pub fn has_problems(&self) -> bool {
        self.summary.problems > 0
    }

    /// Names of the migrations in `state`.
    pub fn names(&self, state: State) -> Vec<String> {
        self.migrations
            .iter()
            .filter(|e| e.state == state)
            .map(|e| e.name.clone())
            .collect()
    }
}
