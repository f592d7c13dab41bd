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

/// How every compiled migration and every applied row stands: one [`State`] per migration and the rows
/// without a file, with nothing copied. `up` and `down` check this before planning; [`Status::compute`] lays it
/// out as entries. Kept small on purpose: a no-op `up` with tens of thousands of migrations reads every row,
/// and its memory must not grow with a copy of each.
pub(crate) struct Classified {
    /// The state of each compiled migration, in registry order (never `Missing` or `Failed`).
    pub(crate) states: Vec<State>,
    /// For each compiled migration, the index of its applied row (for a renamed file, the row under its old
    /// name); `NO_ROW` when there is none.
    rows: Vec<u32>,
    /// Indices of the applied rows whose file is gone (and which are not a rename), in row order.
    pub(crate) missing: Vec<usize>,
}

const NO_ROW: u32 = u32::MAX;

impl Classified {
    pub(crate) fn of(migrations: &[Migration], applied: &[AppliedMigration]) -> Self {
        let newest_applied = applied.iter().map(|a| a.name.as_str()).max();
        // Maps, not nested scans: status must stay fast with tens of thousands of migrations.
        let by_name: HashMap<&str, usize> = applied
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect();
        let mut rows = Vec::with_capacity(migrations.len());
        let mut states: Vec<State> = migrations
            .iter()
            .map(|m| {
                let row = by_name.get(m.name).copied();
                rows.push(row.map_or(NO_ROW, |i| i as u32));
                match row.map(|i| applied[i].checksum.as_deref()) {
                    Some(None) => State::Unverified,
                    Some(Some(checksum)) if !m.has_checksum(checksum) => State::Changed,
                    Some(_) => State::Applied,
                    None if newest_applied.is_some_and(|newest| m.name < newest) => {
                        State::OutOfOrder
                    }
                    None => State::Pending,
                }
            })
            .collect();
        drop(by_name);
        // A file renamed after it was applied keeps its content: an applied row without a file and a
        // pending file with the same checksum are one migration under two names. Only an unambiguous pair
        // (one row, one file with that checksum) is taken as a rename.
        let compiled: HashSet<&str> = migrations.iter().map(|m| m.name).collect();
        let gone: Vec<usize> = (0..applied.len())
            .filter(|&i| !compiled.contains(applied[i].name.as_str()))
            .collect();
        drop(compiled);
        let mut missing = Vec::new();
        if !gone.is_empty() {
            let mut unapplied_by_checksum: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, m) in migrations.iter().enumerate() {
                if rows[i] == NO_ROW {
                    unapplied_by_checksum
                        .entry(m.checksum())
                        .or_default()
                        .push(i);
                }
            }
            let mut gone_by_checksum: HashMap<&str, usize> = HashMap::new();
            for &r in &gone {
                if let Some(checksum) = &applied[r].checksum {
                    *gone_by_checksum.entry(checksum.as_str()).or_default() += 1;
                }
            }
            for r in gone {
                let file = applied[r].checksum.as_deref().and_then(|checksum| {
                    match (
                        unapplied_by_checksum.get(checksum).map(Vec::as_slice),
                        gone_by_checksum.get(checksum),
                    ) {
                        (Some([i]), Some(1)) => Some(*i),
                        _ => None,
                    }
                });
                match file {
                    Some(i) => {
                        states[i] = State::Renamed;
                        rows[i] = r as u32;
                    }
                    None => missing.push(r),
                }
            }
        }
        Classified {
            states,
            rows,
            missing,
        }
    }

    /// The applied row of compiled migration `i` (under its old name when renamed).
    pub(crate) fn row(&self, i: usize) -> Option<usize> {
        Some(self.rows[i])
            .filter(|&r| r != NO_ROW)
            .map(|r| r as usize)
    }

    /// Names of the compiled migrations in `state`, in registry order.
    pub(crate) fn names(&self, migrations: &[Migration], state: State) -> Vec<String> {
        self.states
            .iter()
            .zip(migrations)
            .filter(|(s, _)| **s == state)
            .map(|(_, m)| m.name.to_owned())
            .collect()
    }

    /// Renamed files, as `(applied name, file name)`.
    pub(crate) fn renames(
        &self,
        migrations: &[Migration],
        applied: &[AppliedMigration],
    ) -> Vec<(String, String)> {
        (0..migrations.len())
            .filter(|&i| self.states[i] == State::Renamed)
            .filter_map(|i| {
                Some((
                    applied[self.row(i)?].name.clone(),
                    migrations[i].name.to_owned(),
                ))
            })
            .collect()
    }

    /// Names of the applied rows whose file is gone, sorted.
    pub(crate) fn missing_names(&self, applied: &[AppliedMigration]) -> Vec<String> {
        let mut names: Vec<String> = self
            .missing
            .iter()
            .map(|&r| applied[r].name.clone())
            .collect();
        names.sort();
        names
    }
}

impl Status {
    pub(crate) fn compute(
        table: String,
        table_exists: bool,
        migrations: &[Migration],
        applied: Vec<AppliedMigration>,
    ) -> Self {
        let classified = Classified::of(migrations, &applied);
        // Each row moves into its entry: nothing is held twice.
        let mut rows: Vec<Option<AppliedMigration>> = applied.into_iter().map(Some).collect();
        let cwd = std::env::current_dir().ok();
        let mut entries: Vec<Entry> =
            Vec::with_capacity(migrations.len() + classified.missing.len());
        for (i, m) in migrations.iter().enumerate() {
            let state = classified.states[i];
            let row = classified.row(i).and_then(|r| rows[r].take());
            entries.push(Entry {
                name: m.name.to_owned(),
                state,
                path: Some(crate::migration::display_path_in(m.path, cwd.as_deref())),
                renamed_from: row
                    .as_ref()
                    .filter(|_| state == State::Renamed)
                    .map(|a| a.name.clone()),
                applied: row,
                failure: None,
                contract: None,
            });
        }
        let mut missing: Vec<Entry> = classified
            .missing
            .iter()
            .filter_map(|&r| rows[r].take())
            .map(|a| Entry {
                name: a.name.clone(),
                state: State::Missing,
                path: None,
                applied: Some(a),
                failure: None,
                contract: None,
                renamed_from: None,
            })
            .collect();
        entries.append(&mut missing);
        // Registries come ordered; sorting only what is not spares a copy of half the entries.
        if !entries.is_sorted_by(|a, b| a.name <= b.name) {
            entries.sort_by(|a, b| a.name.cmp(&b.name));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn up(_: &mut migrate_dsl::MigrationBuilder) {}

    const fn file(name: &'static str, source: &'static str) -> Migration {
        Migration {
            name,
            path: "/nowhere/m.rs",
            source,
            precomputed: None,
            up,
            down: None,
        }
    }

    fn row(id: i64, name: &str, checksum: Option<String>) -> AppliedMigration {
        AppliedMigration {
            id,
            name: name.to_owned(),
            run_on: chrono::DateTime::UNIX_EPOCH,
            checksum,
            execution_ms: Some(1),
        }
    }

    fn states(status: &Status) -> Vec<(&str, State, Option<&str>)> {
        status
            .migrations
            .iter()
            .map(|e| (e.name.as_str(), e.state, e.renamed_from.as_deref()))
            .collect()
    }

    #[test]
    fn every_state_from_files_and_rows_in_name_order() {
        static FILES: [Migration; 6] = [
            file("20260101000001_applied", "a"),
            file("20260101000002_changed", "b, edited"),
            file("20260101000003_unverified", "c"),
            file("20260101000004_out_of_order", "d"),
            file("20260101000006_renamed_new", "e"),
            file("20260101000008_pending", "f"),
        ];
        let sum = |s: &str| Some(crate::migration::checksum(s));
        let applied = vec![
            row(1, "20260101000001_applied", sum("a")),
            row(2, "20260101000002_changed", sum("b")),
            row(3, "20260101000003_unverified", None),
            row(4, "20260101000005_renamed_old", sum("e")),
            row(5, "20260101000007_gone", sum("g")),
        ];
        let classified = Classified::of(&FILES, &applied);
        assert_eq!(
            classified.renames(&FILES, &applied),
            [(
                "20260101000005_renamed_old".to_owned(),
                "20260101000006_renamed_new".to_owned()
            )]
        );
        assert_eq!(classified.missing_names(&applied), ["20260101000007_gone"]);
        assert_eq!(
            classified.names(&FILES, State::Changed),
            ["20260101000002_changed"]
        );
        let status = Status::compute("public.pgmigrations".to_owned(), true, &FILES, applied);
        assert_eq!(
            states(&status),
            [
                ("20260101000001_applied", State::Applied, None),
                ("20260101000002_changed", State::Changed, None),
                ("20260101000003_unverified", State::Unverified, None),
                ("20260101000004_out_of_order", State::OutOfOrder, None),
                (
                    "20260101000006_renamed_new",
                    State::Renamed,
                    Some("20260101000005_renamed_old")
                ),
                ("20260101000007_gone", State::Missing, None),
                ("20260101000008_pending", State::Pending, None),
            ]
        );
        // Each row went to exactly one entry: the renamed file carries the row of its old name.
        let ids: Vec<Option<i64>> = status
            .migrations
            .iter()
            .map(|e| e.applied.as_ref().map(|a| a.id))
            .collect();
        assert_eq!(
            ids,
            [Some(1), Some(2), Some(3), None, Some(4), Some(5), None]
        );
        assert_eq!(status.summary.problems, 4);
    }

    #[test]
    fn an_ambiguous_rename_is_a_missing_file_and_pending_files() {
        // Two pending files with the content of one gone row: which one was renamed cannot be told.
        static FILES: [Migration; 2] = [
            file("20260101000002_copy_one", "same"),
            file("20260101000003_copy_two", "same"),
        ];
        let applied = vec![row(
            1,
            "20260101000001_original",
            Some(crate::migration::checksum("same")),
        )];
        let status = Status::compute("t".to_owned(), true, &FILES, applied);
        assert_eq!(
            states(&status),
            [
                ("20260101000001_original", State::Missing, None),
                ("20260101000002_copy_one", State::Pending, None),
                ("20260101000003_copy_two", State::Pending, None),
            ]
        );
    }
}
