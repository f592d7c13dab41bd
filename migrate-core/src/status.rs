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
    /// Changed, missing, out of order and failed together: what `status` exits non-zero for.
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
            problems: 0,
        };
        s.problems = s.changed + s.missing + s.out_of_order + s.failed;
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
                let state = match row {
                    Some(a) if a.checksum != m.checksum() => State::Changed,
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
                }
            })
            .collect();
        for a in applied {
            if !compiled.contains(a.name.as_str()) {
                entries.push(Entry {
                    name: a.name.clone(),
                    state: State::Missing,
                    path: None,
                    applied: Some(a.clone()),
                    failure: None,
                });
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

    /// Whether a migration is changed, missing its file, out of order or failed part-way: what a CI check
    /// of `status` fails on.
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
