//! Status: every migration known from the folder or the table, and what state it is in.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::history::{AppliedMigration, Checksum, Failure, History};
use crate::migration::Migration;

mod classified;
mod repeatable;
pub(crate) use classified::Classified;
pub use repeatable::{RepeatableState, RepeatableStatus};

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
    /// Applied by another tool whose migrations cannot be converted (node-pg-migrate's JavaScript), adopted by
    /// `import`: it has no file here by design, and nothing to run or revert. Not a problem.
    Adopted,
    /// Applied, and its file was squashed into a baseline (see `squashed_into`) that `up` can neither run nor
    /// record on this database: it applied only some of the migrations the baseline replaces, or some in
    /// another version than the one squashed. Not a missing file: `repair` leaves it, and
    /// [`StatusReport::squash_refusals`] says what to do (what `up` says).
    Squashed,
    /// Applied, newer than every file here: applied by a newer release of the application (this binary is
    /// an older one, after a rollback). Its recorded phase (see `phase`) says whether `up` may go on: past
    /// expands it does; a contract, or a row without a phase, counts as a problem.
    Ahead,
}

/// One line of `status`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
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
    /// For an applied migration without a file: the pending files with exactly its content (the same
    /// checksum) when which one is its renamed file cannot be told (two copies, say). Running them would
    /// apply it again, so `up` and `repair` refuse until one file is left.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_content_as: Vec<String>,
    /// The baseline its file was squashed into, when it is [`State::Squashed`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub squashed_into: Option<String>,
    /// The phase its row recorded, when it is [`State::Ahead`]: `expand`, `contract`, or `unknown` for a row
    /// written without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

impl Entry {
    /// Whether it is a newer release's migration that an older release may not work with: [`State::Ahead`]
    /// and not a recorded expand (a contract, or a row without a phase).
    pub fn is_blocking_ahead(&self) -> bool {
        self.state == State::Ahead && self.phase.as_deref() != Some("expand")
    }
}

/// The status of every migration, ordered by timestamp.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
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
#[non_exhaustive]
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
    pub squashed: usize,
    /// Rows adopted from another tool, without a file by design ([`State::Adopted`]).
    pub adopted: usize,
    /// Rows applied by a newer release ([`State::Ahead`]).
    pub ahead: usize,
    /// Of those, the contracts and the rows without a recorded phase: what `up` refuses to go past.
    pub ahead_blocking: usize,
    /// Pending (or out-of-order) migrations marked contract: what `up --expand-only` leaves for after the
    /// rollout.
    pub contracts_pending: usize,
    /// Migrations in progress (stopped part-way) that this folder has no file of: a newer release's, which
    /// `up`, `down` and `redo` of this release refuse. Left out of JSON while there are none.
    #[serde(skip_serializing_if = "is_zero")]
    pub in_progress_elsewhere: usize,
    /// Changed, renamed, missing, squashed, out of order, failed, blocking ahead ones and those in progress
    /// elsewhere together: what `status` exits non-zero for (each makes `up` refuse). Unverified ones and
    /// ahead expands do not.
    pub problems: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The status of every migration, laid out one [`Entry`] at a time: what [`Status`] holds, without an entry
/// per migration in memory. `status` prints through it, so its memory does not grow with a copy of every
/// name, path and row; [`StatusReport::into_status`] collects the entries.
pub struct StatusReport<'a> {
    table: String,
    table_exists: bool,
    migrations: &'a [Migration],
    applied: History<'a>,
    classified: Classified,
    /// The rows without a file (missing or squashed), in name order.
    without_file: Vec<usize>,
    /// Registry positions in name order, when the registry is not in it already (a hand-built list).
    order: Option<Vec<u32>>,
    /// Failure marks (the last one per name counts).
    failures: Vec<Failure>,
    /// Which line carries each failure mark: the first one with its name (a name can have more than one line
    /// when the table holds duplicate rows), and the index of its mark in `failures`.
    marked: Vec<(Key, usize)>,
    /// Why each compiled migration without a row is a contract, by registry position (found by
    /// [`with_contracts`](Self::with_contracts)).
    contracts: Vec<(usize, String)>,
    cwd: Option<std::path::PathBuf>,
    /// Each folder of compiled migrations as shown (relative to `cwd` when under it), worked out once: done
    /// for every file's path, it was a tenth of `status` at 10,000 migrations. One folder, nearly always.
    shown_dirs: Vec<(&'static str, String)>,
    summary: Summary,
    /// The repeatable migrations and their state (see [`StatusReport::repeatables`]).
    repeatables: Vec<RepeatableStatus>,
    /// Migrations stopped part-way that the next run continues (see [`StatusReport::in_progress`]).
    in_progress: Vec<crate::InProgress>,
    /// Rows newer than every file, as they recorded their phase, in name order (see
    /// [`with_ahead`](Self::with_ahead)).
    ahead: Vec<crate::history::Ahead>,
}

impl std::fmt::Debug for StatusReport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusReport")
            .field("table", &self.table)
            .field("table_exists", &self.table_exists)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// What one line of the text `status` table shows ([`StatusReport::lines`]): the parts of an [`Entry`] it
/// prints, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Line<'r> {
    pub state: State,
    pub name: &'r str,
    /// When it was applied (`Entry::applied`'s `run_on`).
    pub run_on: Option<DateTime<Utc>>,
    pub renamed_from: Option<&'r str>,
    pub squashed_into: Option<&'r str>,
    /// Whether it is a pending contract (`Entry::contract` is set).
    pub contract: bool,
    /// The recorded phase of an [`State::Ahead`] row (`Entry::phase`).
    pub phase: Option<&'r str>,
}

/// One line of the report: a compiled migration (registry position) or an applied row without a file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    File(usize),
    Row(usize),
}

/// The folders of `migrations`' files, each with how it is shown from `cwd` (see `StatusReport::shown_dirs`).
fn shown_dirs(
    migrations: &[Migration],
    cwd: Option<&std::path::Path>,
) -> Vec<(&'static str, String)> {
    let mut shown: Vec<(&'static str, String)> = Vec::new();
    for dir in migrations.iter().filter_map(Migration::dir) {
        if !shown.iter().any(|(d, _)| *d == dir) {
            shown.push((dir, crate::migration::display_path_in(dir, cwd)));
        }
    }
    shown
}

impl<'a> StatusReport<'a> {
    pub(crate) fn new(
        table: String,
        table_exists: bool,
        migrations: &'a [Migration],
        applied: History<'a>,
        failures: Vec<Failure>,
    ) -> Self {
        let classified = Classified::of(migrations, &applied);
        let mut without_file: Vec<usize> = classified
            .missing
            .iter()
            .copied()
            .chain(classified.squashed.iter().map(|&(r, _)| r))
            .chain(classified.adopted.iter().copied())
            .collect();
        without_file.sort_by(|&a, &b| applied.name(a).cmp(applied.name(b)).then(a.cmp(&b)));
        let order = crate::migration::name_order(migrations);
        let mut report = StatusReport {
            table,
            table_exists,
            migrations,
            applied,
            classified,
            without_file,
            order,
            failures,
            marked: Vec::new(),
            contracts: Vec::new(),
            cwd: std::env::current_dir().ok(),
            shown_dirs: Vec::new(),
            summary: Summary::default(),
            repeatables: Vec::new(),
            in_progress: Vec::new(),
            ahead: Vec::new(),
        };
        report.shown_dirs = shown_dirs(migrations, report.cwd.as_deref());
        report.marked = report.mark_failures();
        report.summary = report.count();
        report
    }

    /// The repeatable migrations, in the order `up` applies them, with their state; empty when the registry
    /// has none.
    pub fn repeatables(&self) -> &[RepeatableStatus] {
        &self.repeatables
    }

    pub(crate) fn with_repeatables(mut self, repeatables: Vec<RepeatableStatus>) -> Self {
        self.repeatables = repeatables;
        self
    }

    /// The migrations a run stopped part-way, with the statements that took effect: the next run in the
    /// same direction continues each (a `down` first undoes an `up`'s part). Not a problem: nothing is
    /// needed but that run.
    pub fn in_progress(&self) -> &[crate::InProgress] {
        &self.in_progress
    }

    pub(crate) fn with_in_progress(mut self, in_progress: Vec<crate::InProgress>) -> Self {
        self.in_progress = in_progress;
        self.summary = self.count();
        self
    }

    /// The migrations in progress that this folder has no file of (a newer release's, stopped part-way):
    /// this release can neither continue nor undo them.
    pub fn unknown_in_progress(&self) -> impl Iterator<Item = &crate::InProgress> + '_ {
        self.in_progress
            .iter()
            .filter(|row| !self.migrations.iter().any(|m| m.name() == row.name))
    }

    /// Finds which migrations not applied yet are contracts, recording each one's `up` (see
    /// [`Migration::contract`]). Without it the report names none.
    pub(crate) fn with_contracts(mut self) -> Self {
        let migrations = self.migrations;
        self.contracts = (0..migrations.len())
            .filter(|&i| self.classified.row(i).is_none())
            .filter_map(|i| Some((i, migrations[i].contract()?)))
            .collect();
        self.summary = self.count();
        self
    }

    /// The rows newer than every file (a newer release's), with what they recorded: shown as
    /// [`State::Ahead`] rather than as missing files.
    pub(crate) fn with_ahead(mut self, mut ahead: Vec<crate::history::Ahead>) -> Self {
        ahead.sort_by(|a, b| a.name.cmp(&b.name));
        self.ahead = ahead;
        self.summary = self.count();
        self
    }

    fn ahead_of(&self, r: usize) -> Option<&crate::history::Ahead> {
        let name = self.applied.name(r);
        self.ahead
            .binary_search_by(|a| a.name.as_str().cmp(name))
            .ok()
            .map(|at| &self.ahead[at])
    }

    /// The migrations table, `schema.name`.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether the table exists yet.
    pub fn table_exists(&self) -> bool {
        self.table_exists
    }

    /// How many migrations are in each state.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Whether a migration is changed, renamed, missing its file, out of order or failed part-way.
    pub fn has_problems(&self) -> bool {
        self.summary.problems > 0
    }

    /// Every migration's entry, ordered by name (timestamp), each built when it is reached.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.keys().map(|k| self.entry(k))
    }

    /// The lines of the text table, in the order of [`entries`](Self::entries): what each line shows,
    /// borrowed from the report. An entry owns its name, path, row and checksum; at 10,000 migrations
    /// building them was the largest part of printing `status`.
    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> + '_ {
        self.keys().map(|key| self.line(key))
    }

    /// The first pending contract (see [`Status::expand_only`]) and how many pending expands come before it.
    pub fn first_pending_contract(&self) -> Option<(usize, Entry)> {
        let mut expands = 0;
        for key in self.keys() {
            if !matches!(self.state(key), State::Pending | State::OutOfOrder) {
                continue;
            }
            if self.contract(key).is_some() {
                return Some((expands, self.entry(key)));
            }
            expands += 1;
        }
        None
    }

    /// Applied migrations without a file whose content pending files have, when which one is the renamed
    /// file cannot be told: `(applied name, those files' names)`, sorted.
    pub fn lookalikes(&self) -> Vec<(String, Vec<String>)> {
        self.classified.lookalikes(self.migrations, &self.applied)
    }

    /// Why `up` cannot record or run the squashed baselines that the [`State::Squashed`] rows belong to: one
    /// error per such baseline, what `up` would say ([`crate::Error::PartlySquashed`],
    /// [`crate::Error::SquashedChanged`]). Empty when no row is squashed.
    pub fn squash_refusals(&self) -> Vec<crate::Error> {
        if self.classified.squashed.is_empty() {
            return Vec::new();
        }
        crate::squash::refusals(self.migrations, &self.applied)
    }

    /// The failure marks, each once: those of migrations in the report in name order, then those of
    /// migrations this report has neither a file nor a row of ([`unknown_failures`](Self::unknown_failures)).
    pub fn failures(&self) -> impl Iterator<Item = &Failure> + '_ {
        self.keys()
            .filter_map(|k| self.failure(k))
            .chain(self.unknown_failures())
    }

    /// The failure marks of migrations with neither a file here nor a history row (a newer release's that
    /// failed part-way), in name order, the last mark of each name: `up` refuses to run past them as past
    /// any other.
    pub fn unknown_failures(&self) -> impl Iterator<Item = &Failure> + '_ {
        let known = |name: &str| self.marked.iter().any(|&(_, m)| self.failures[m].name == name);
        let mut names: Vec<&str> = self
            .failures
            .iter()
            .map(|f| f.name.as_str())
            .filter(|name| !known(name))
            .collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().filter_map(|name| {
            self.failures.iter().rev().find(|f| f.name == name)
        })
    }

    /// Whether any failure mark is recorded, including one of a migration that has neither a file here nor a
    /// history row (a newer release's that failed part-way): [`failures`](Self::failures) lists only the
    /// migrations in the report, but `up` refuses to run past any mark.
    pub fn has_failure_marks(&self) -> bool {
        !self.failures.is_empty()
    }

    /// The entries, collected.
    pub fn into_status(self) -> Status {
        Status {
            migrations: self.entries().collect(),
            table: self.table,
            table_exists: self.table_exists,
            summary: self.summary,
        }
    }

    /// Registry positions and missing rows, merged by name.
    fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        let mut files = (0..self.migrations.len())
            .map(|i| self.order.as_ref().map_or(i, |o| o[i] as usize))
            .peekable();
        let mut rows = self.without_file.iter().copied().peekable();
        std::iter::from_fn(move || match (files.peek(), rows.peek()) {
            (Some(&i), Some(&r)) if self.applied.name(r) < self.migrations[i].name() => {
                rows.next().map(Key::Row)
            }
            (Some(_), _) => files.next().map(Key::File),
            (None, _) => rows.next().map(Key::Row),
        })
    }

    /// Pairs each failing name's last mark with the first line of that name. Failures are rare, so the walk
    /// over every line happens only when there is one.
    fn mark_failures(&self) -> Vec<(Key, usize)> {
        let mut marked: Vec<(Key, usize)> = Vec::new();
        if self.failures.is_empty() {
            return marked;
        }
        for key in self.keys() {
            let name = self.row_name(key);
            let Some(at) = self.failures.iter().rposition(|f| f.name == name) else {
                continue;
            };
            if !marked.iter().any(|&(_, m)| self.failures[m].name == name) {
                marked.push((key, at));
            }
        }
        marked
    }

    fn failure(&self, key: Key) -> Option<&Failure> {
        self.marked
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, at)| &self.failures[at])
    }

    fn row_name(&self, key: Key) -> &str {
        match key {
            Key::File(i) => self.migrations[i].name(),
            Key::Row(r) => self.applied.name(r),
        }
    }

    fn state(&self, key: Key) -> State {
        if self.failure(key).is_some() {
            return State::Failed;
        }
        match key {
            Key::File(i) => self.classified.states[i],
            Key::Row(r) if self.squashed_into(r).is_some() => State::Squashed,
            Key::Row(r) if self.classified.adopted.binary_search(&r).is_ok() => State::Adopted,
            Key::Row(r) if self.ahead_of(r).is_some() => State::Ahead,
            Key::Row(_) => State::Missing,
        }
    }

    /// The registry position of the baseline row `r`'s file was squashed into, when it is squashed.
    fn squashed_into(&self, r: usize) -> Option<usize> {
        // In row order (a baseline may stand for thousands of rows).
        let squashed = &self.classified.squashed;
        squashed
            .binary_search_by_key(&r, |&(row, _)| row)
            .ok()
            .map(|at| squashed[at].1)
    }

    fn contract(&self, key: Key) -> Option<&str> {
        let Key::File(i) = key else { return None };
        self.contracts
            .binary_search_by_key(&i, |(at, _)| *at)
            .ok()
            .map(|at| self.contracts[at].1.as_str())
    }

    /// `m`'s file as [`display_path`](crate::migration::display_path) shows it: its folder as shown, then
    /// its name (the same text, the folder's prefix stripped once).
    fn shown_path(&self, m: &Migration) -> String {
        let shown = m.dir().and_then(|dir| {
            self.shown_dirs
                .iter()
                .find(|(d, _)| *d == dir)
                .map(|(_, shown)| shown)
        });
        match shown {
            // As `Path::join` then `display` would write it, without either.
            Some(folder) => {
                let name = m.name();
                let mut path = String::with_capacity(folder.len() + name.len() + 4);
                path.push_str(folder);
                if !folder.is_empty() && !folder.ends_with(std::path::MAIN_SEPARATOR) {
                    path.push(std::path::MAIN_SEPARATOR);
                }
                path.push_str(name);
                path.push_str(".rs");
                path
            }
            None => crate::migration::display_path_in(&m.path(), self.cwd.as_deref()),
        }
    }

    /// What the line of `key` shows; [`entry`](Self::entry) owns the same and adds the rest.
    fn line(&self, key: Key) -> Line<'_> {
        let state = self.state(key);
        match key {
            Key::File(i) => {
                let row = self.classified.row(i);
                Line {
                    state,
                    name: self.migrations[i].name(),
                    run_on: row.map(|r| self.applied.run_on(r)),
                    renamed_from: row
                        .filter(|_| state == State::Renamed)
                        .map(|r| self.applied.name(r)),
                    squashed_into: None,
                    contract: self.contract(key).is_some(),
                    phase: None,
                }
            }
            Key::Row(r) => Line {
                state,
                name: self.applied.name(r),
                run_on: Some(self.applied.run_on(r)),
                renamed_from: None,
                squashed_into: self.squashed_into(r).map(|b| self.migrations[b].name()),
                contract: false,
                phase: self
                    .ahead_of(r)
                    .map(|a| a.phase.as_deref().unwrap_or("unknown")),
            },
        }
    }

    fn entry(&self, key: Key) -> Entry {
        let line = self.line(key);
        let (path, applied, same_content_as) = match key {
            Key::File(i) => (
                Some(self.shown_path(&self.migrations[i])),
                self.classified.row(i).map(|r| self.applied.row(r)),
                Vec::new(),
            ),
            Key::Row(r) => (
                None,
                Some(self.applied.row(r)),
                self.classified
                    .lookalikes_of(r)
                    .iter()
                    .map(|&i| self.migrations[i].name().to_owned())
                    .collect(),
            ),
        };
        Entry {
            name: line.name.to_owned(),
            state: line.state,
            path,
            renamed_from: line.renamed_from.map(str::to_owned),
            applied,
            failure: self.failure(key).cloned(),
            contract: self.contract(key).map(str::to_owned),
            same_content_as,
            squashed_into: line.squashed_into.map(str::to_owned),
            phase: line.phase.map(str::to_owned),
        }
    }

    /// The summary, from the states alone (no entry is built).
    fn count(&self) -> Summary {
        let mut s = Summary::default();
        for key in self.keys() {
            s.total += 1;
            match self.state(key) {
                State::Applied => s.applied += 1,
                State::Changed => s.changed += 1,
                State::Missing => s.missing += 1,
                State::Pending => s.pending += 1,
                State::OutOfOrder => s.out_of_order += 1,
                State::Failed => s.failed += 1,
                State::Renamed => s.renamed += 1,
                State::Unverified => s.unverified += 1,
                State::Squashed => s.squashed += 1,
                State::Adopted => s.adopted += 1,
                State::Ahead => {
                    s.ahead += 1;
                    if !matches!(key, Key::Row(r) if self.ahead_of(r).is_some_and(crate::history::Ahead::is_expand)) {
                        s.ahead_blocking += 1;
                    }
                }
            }
            if matches!(self.state(key), State::Pending | State::OutOfOrder)
                && self.contract(key).is_some()
            {
                s.contracts_pending += 1;
            }
        }
        s.failed += self.unknown_failures().count();
        s.in_progress_elsewhere = self.unknown_in_progress().count();
        s.problems = s.in_progress_elsewhere
            + s.changed
            + s.renamed
            + s.missing
            + s.squashed
            + s.out_of_order
            + s.failed
            + s.ahead_blocking;
        s
    }
}

/// Serialised as [`Status`] is, the entries written as they are built.
impl Serialize for StatusReport<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Entries<'r, 'a>(&'r StatusReport<'a>);
        impl Serialize for Entries<'_, '_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.entries())
            }
        }
        let with_repeatables = !self.repeatables.is_empty();
        let with_in_progress = !self.in_progress.is_empty();
        let unknown: Vec<&Failure> = self.unknown_failures().collect();
        let mut s = serializer.serialize_struct(
            "Status",
            4 + usize::from(with_repeatables)
                + usize::from(with_in_progress)
                + usize::from(!unknown.is_empty()),
        )?;
        s.serialize_field("table", &self.table)?;
        s.serialize_field("table_exists", &self.table_exists)?;
        s.serialize_field("migrations", &Entries(self))?;
        s.serialize_field("summary", &self.summary)?;
        // Only with repeatable migrations, so the output of a folder without any stays as it was.
        if with_repeatables {
            s.serialize_field("repeatables", &self.repeatables)?;
        }
        // Only while a migration is in progress, likewise.
        if with_in_progress {
            s.serialize_field("in_progress", &self.in_progress)?;
        }
        // Likewise: marks of migrations with neither a file here nor a row (each entry's own mark is on it).
        if !unknown.is_empty() {
            s.serialize_field("failed_elsewhere", &unknown)?;
        }
        s.end()
    }
}

impl Status {
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
mod tests;
