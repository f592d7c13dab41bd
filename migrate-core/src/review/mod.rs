//! `migrate review`: what the pending migrations will cost on the real tables, as plain data.
//!
//! Public for the migrate crates (`migrate review`); not a stable API.
//!
//! A review is put together in two processes, as `lint` is: the runner (which has the compiled migrations)
//! traces the pending migrations on scratch databases, reads production's statistics and fills in a
//! [`Review`]; the installed `migrate` runs the lint rules on the same migrations, sets each finding's level
//! by the size of its table ([`Thresholds`]) and prints the result. [`Review`] crosses between them as JSON,
//! so every type here reads back what it writes.
//!
//! How long a statement takes is never a constant of this module: the runner runs the migrations a second
//! time on a scratch database whose touched tables it filled with generated rows (the calibration), and
//! [`assess`] scales each statement's measured duration by how much bigger the production table is, in the
//! unit its work grows with (bytes for a rewrite or a scan, rows for a foreign key lookup or an index build;
//! see [`Work`]). A statement that writes rows (a backfill, a background job, an `UPDATE`, `DELETE` or
//! `INSERT ... SELECT`) is estimated from the rows it writes instead: production's planner estimates them
//! from its condition (or, when it cannot be asked, the table's rows bound them), and the calibration
//! measures how many rows a second that kind of statement writes ([`Rows`]).

mod assess;
mod levels;

use serde::{Deserialize, Serialize};

use crate::trace::{Blocks, LockMode, RelationKind};

pub use assess::{assess, bytes, count, duration, queries, rate, strongest, Assessed};
pub use levels::{Level, Threshold, Thresholds, DEFAULT_THRESHOLD, SIZE_RULES};

/// The JSON form's version: a runner and the installed `migrate` of different versions refuse each other's
/// reviews instead of misreading them.
pub const REVIEW_VERSION: u32 = 2;

/// The rows the calibration puts in each table a pending migration touches, unless told otherwise.
pub const DEFAULT_CALIBRATION_ROWS: u64 = 200_000;

/// A whole review: the pending migrations, each statement with its locks, its work and its estimate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Review {
    pub version: u32,
    /// The database the pending migrations were read from (as shown, without a password).
    pub target: String,
    /// What production (or its replica) has; `None` when no production connection was given: sizes unknown.
    pub production: Option<Production>,
    pub calibration: Calibration,
    /// Measured on a throwaway copy of a clone (`--clone-url`): durations there are real, not estimated.
    pub clone: Option<CloneRun>,
    pub migrations: Vec<MigrationReview>,
}

/// The production session and what it read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Production {
    /// The connection, as shown (no password).
    pub url: String,
    pub role: String,
    pub server_version: String,
    pub standby: bool,
    /// What the role could write, when a writable session was allowed.
    pub could_write: Vec<String>,
    /// The settings that decide how long DDL takes, by name.
    pub settings: Vec<(String, String)>,
    /// The touched tables production has.
    pub tables: Vec<TableSize>,
    /// How long the activity counters were watched to turn them into rates, in seconds.
    pub window_s: f64,
    /// The planner's estimate of the rows each data step's query selects (its condition on its table).
    #[serde(default)]
    pub planned_rows: Vec<PlannedRows>,
}

/// What production's planner estimates a data step's query returns (`EXPLAIN`, never run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRows {
    /// The query, as the trace wrote it (`SELECT 1 FROM t WHERE <condition>`).
    pub query: String,
    /// Its estimated rows; `None` when the planner could not be asked.
    pub rows: Option<f64>,
    /// Why it could not.
    pub refused: Option<String>,
}

/// A table's size (production's, or the calibration's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSize {
    /// As the trace names it: `public` left out.
    pub table: String,
    pub rows: f64,
    /// Heap only.
    pub table_bytes: i64,
    /// With its indexes and TOAST.
    pub total_bytes: i64,
    /// Writes (rows inserted, updated, deleted) per second while watched; `None` when not measured.
    pub writes_per_s: Option<f64>,
    /// Scans (sequential and by index) per second while watched.
    pub scans_per_s: Option<f64>,
    /// Why its sizes (the bytes) are not known, when a lock held in production kept them from being read;
    /// its rows are known all the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
    /// Its primary key, when it is one `smallint` or `integer` column: how far it has gone towards the type's
    /// limit (production's only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyHeadroom>,
}

/// How much of its type's range a `smallint` or `integer` primary key has used in production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyHeadroom {
    pub column: String,
    /// `smallint` or `integer`.
    pub type_name: String,
    /// The highest value taken (the column's maximum, or its sequence's last value when higher); `None`
    /// when it could not be read (`unread` says why).
    pub used: Option<i64>,
    /// The type's largest value.
    pub limit: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
    /// The columns whose foreign keys reference it, each `table.column (type)`: what widening the key widens
    /// too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_by: Vec<String>,
}

impl KeyHeadroom {
    /// The share of the range used, in whole percent, rounded down (99.6% is not yet 100%).
    pub fn percent(&self) -> Option<f64> {
        self.used
            .map(|u| (u.max(0) as f64 * 100.0 / self.limit as f64).floor())
    }

    /// `orders.id (integer) at 1,870,112,404 of 2,147,483,647, 87%`, or why it is not known, and the columns
    /// that reference it.
    ///
    /// ```
    /// use migrate_core::review::KeyHeadroom;
    /// let key = KeyHeadroom {
    ///     column: "id".into(),
    ///     type_name: "integer".into(),
    ///     used: Some(1_870_112_404),
    ///     limit: 2_147_483_647,
    ///     unread: None,
    ///     referenced_by: vec!["order_lines.order_id (integer)".into()],
    /// };
    /// assert_eq!(
    ///     key.describe("orders"),
    ///     "orders.id (integer) at 1,870,112,404 of 2,147,483,647, 87%, referenced by order_lines.order_id (integer)"
    /// );
    /// ```
    pub fn describe(&self, table: &str) -> String {
        let mut out = self.used_of(table);
        if !self.referenced_by.is_empty() {
            out.push_str(&format!(", referenced by {}", self.referenced_by.join(", ")));
        }
        out
    }

    fn used_of(&self, table: &str) -> String {
        let name = format!("{table}.{} ({})", self.column, self.type_name);
        match (self.used, self.percent()) {
            (Some(used), Some(percent)) => format!(
                "{name} at {} of {}, {percent:.0}%",
                grouped(used),
                grouped(self.limit)
            ),
            _ => format!(
                "{name}: how far it has gone is unknown ({})",
                self.unread.as_deref().unwrap_or("not read")
            ),
        }
    }
}

/// `n` with its thousands grouped: `2,147,483,647`.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// The calibration run: where, with how many rows, and the tables it filled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Calibration {
    /// Generated rows per touched table.
    pub rows: u64,
    /// The filled tables as they were before the migrations ran.
    pub tables: Vec<TableSize>,
    /// Tables the calibration could not fill, and why.
    pub skipped: Vec<(String, String)>,
    /// Why the calibration run failed, when it did: no statement has an estimate then, unless
    /// [`stopped_at`](Self::stopped_at) names the migration it failed in.
    pub failed: Option<String>,
    /// The migration the calibration run failed in, when the migrations before it were timed on their own
    /// (a second run, without it): theirs have estimates, it and the ones after it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
}

/// A run of the pending migrations on a throwaway copy of a clone of production.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloneRun {
    /// The clone, as shown (no password).
    pub url: String,
    /// The copy the migrations ran on, dropped after.
    pub copy: String,
}

/// Expand or contract: [`crate::Migration::contract`], the deploy plan's own judgement (the migration's
/// `pgm.contract(..)`, or a change that makes the database refuse what the running app version may write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Expand,
    Contract,
}

/// One pending migration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MigrationReview {
    pub name: String,
    pub file: String,
    pub phase: Phase,
    /// Why it is a contract (`pgm.contract(..)`, or the stricter change that makes it one).
    pub contract: Option<String>,
    /// Runs in transactions (else each statement commits on its own).
    pub transactional: bool,
    /// Its `up` as `migrate sql` prints it.
    pub sql: String,
    pub statements: Vec<StatementReview>,
    /// What it changes in the schema file: `+`/`-`/`~` object lines.
    pub schema_changes: Vec<String>,
    /// The lint findings of statements no trace matched (the `down`'s, a whole-migration note), and notes.
    pub findings: Vec<ReviewFinding>,
}

impl MigrationReview {
    /// What the application version running during the deploy must tolerate.
    pub fn tolerates(&self) -> String {
        match self.phase {
            Phase::Expand => "additive: the app version running now must work with the new objects \
                              (it does not read them yet); nothing it uses goes away and nothing it \
                              writes is refused"
                .to_owned(),
            Phase::Contract => format!(
                "contract: no running app version may still use what it removes or renames, or write \
                 what it makes the database refuse{}; deploy the app that no longer does first",
                self.contract
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The longest time any statement holds a lock that makes reads or writes wait, with the statement.
    pub fn longest_block(&self) -> Option<(&StatementReview, &Blocking)> {
        self.statements
            .iter()
            .filter_map(|s| s.estimate.as_ref()?.blocking.as_ref().map(|b| (s, b)))
            .max_by(|a, b| a.1.seconds.total_cmp(&b.1.seconds))
    }

    /// The sum of the statements' estimated (or measured) durations; `None` when one has none.
    pub fn seconds(&self) -> Option<f64> {
        self.statements
            .iter()
            .map(|s| s.estimate.as_ref().map(|e| e.seconds))
            .sum()
    }

    /// Every finding, of its statements and its own.
    pub fn all_findings(&self) -> impl Iterator<Item = &ReviewFinding> {
        self.statements
            .iter()
            .flat_map(|s| &s.findings)
            .chain(&self.findings)
    }

    /// The worst level among its findings; [`Level::Ok`] without any.
    pub fn verdict(&self) -> Level {
        self.all_findings()
            .map(|f| f.level)
            .max()
            .unwrap_or(Level::Ok)
    }
}

/// What a statement does to the table it touches, which decides what its duration grows with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// Catalog only: no row read or written; its duration does not grow with the table.
    Metadata,
    /// The table written again (and its indexes rebuilt): grows with its total size.
    Rewrite,
    /// An index built from the table's rows: grows with the table's size (its rows and their width).
    IndexBuild,
    /// Every row looked up in the referenced table: grows with the rows.
    ValidateForeignKey,
    /// Every row read (a constraint checked, an UPDATE of every row): grows with the table's size.
    Scan,
    /// Rows updated in batches, each its own transaction, during the deploy: grows with the rows it writes.
    Backfill,
    /// A background job queued: workers update its rows in batches after the deploy, which it does not
    /// hold.
    Job,
    /// Rows written by one statement (an `UPDATE`, `DELETE` or `INSERT ... SELECT`): grows with them.
    WriteRows,
}

impl Work {
    pub fn describe(self) -> &'static str {
        match self {
            Work::Metadata => "catalog only",
            Work::Rewrite => "rewrites the table",
            Work::IndexBuild => "builds an index",
            Work::ValidateForeignKey => "checks every row against the referenced table",
            Work::Scan => "reads every row",
            Work::Backfill => "updates rows in batches",
            Work::Job => "queues a background job",
            Work::WriteRows => "writes rows",
        }
    }

    /// Whether it reads or writes rows of a table that existed before (anything but the catalog).
    pub fn is_data(self) -> bool {
        self != Work::Metadata
    }
}

/// The rows a statement reads or writes on production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    pub rows: f64,
    /// At most this many: the table's rows, the condition's share of them not known.
    pub upper_bound: bool,
    /// Where the figure comes from, in words.
    pub basis: String,
}

impl Rows {
    /// `~498k rows`, `up to 5.0M rows`.
    pub fn words(&self) -> String {
        let n = assess::count(self.rows);
        if self.upper_bound {
            format!("up to {n} rows")
        } else {
            format!("~{n} rows")
        }
    }
}

/// One statement of a pending migration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementReview {
    /// 1-based position of its operation in the migration.
    pub position: usize,
    /// The builder method that recorded it.
    pub operation: String,
    pub line: Option<u32>,
    pub sql: String,
    /// Its transaction, 1-based; `autocommit` when it commits on its own.
    pub transaction: usize,
    pub autocommit: bool,
    /// The locks it takes on relations that existed before it, every one the server took (both tables of a
    /// foreign key, an index's table, a partitioned table and each partition, a serial column's sequence),
    /// strongest first, as its trace read them from `pg_locks`.
    pub locks: Vec<LockTaken>,
    pub work: Work,
    /// The table its work is on.
    pub table: Option<String>,
    /// The rows it reads or writes on production, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Rows>,
    pub estimate: Option<Estimate>,
    /// Why there is no estimate, when there is none.
    pub unknown: Option<String>,
    pub findings: Vec<ReviewFinding>,
}

impl StatementReview {
    /// Its work in words, with the rows it touches: `updates ~498k rows in batches`.
    pub fn work_words(&self) -> String {
        let rows = self.rows.as_ref().map(Rows::words);
        match (self.work, rows) {
            (Work::Backfill, Some(r)) => format!("updates {r} in batches"),
            (Work::Job, Some(r)) => {
                format!("queues a background job that updates {r} in batches after the deploy")
            }
            (Work::WriteRows, Some(r)) => format!("writes {r}"),
            // A scan, a rewrite or an index build touches every row: the table's size, shown beside it.
            (work, _) => work.describe().to_owned(),
        }
    }

    /// The first line of its SQL, cut to `width` characters.
    pub fn headline(&self, width: usize) -> String {
        let line = self.sql.lines().next().unwrap_or("").trim();
        if line.chars().count() > width {
            let cut: String = line.chars().take(width.saturating_sub(1)).collect();
            format!("{cut}…")
        } else if self.sql.lines().nth(1).is_some() {
            format!("{line} …")
        } else {
            line.to_owned()
        }
    }
}

/// A lock a statement takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockTaken {
    pub relation: String,
    pub kind: RelationKind,
    /// For an index, its table; for a sequence, the table whose column owns it.
    pub table: Option<String>,
    pub mode: LockMode,
    pub blocks: Blocks,
}

impl StatementReview {
    /// Its locks as a reviewer reads them: grouped by mode, strongest first, each group with what it blocks
    /// (`[(SHARE ROW EXCLUSIVE, [categories, items])]`). An index locked no more strongly than its table is
    /// the table's lock (a rewrite locks every index of the table alike); a sequence is always named.
    pub fn lock_groups(&self) -> Vec<(LockMode, Vec<&str>)> {
        lock_groups(&self.locks.iter().collect::<Vec<_>>())
    }
}

impl MigrationReview {
    /// What the statements before statement `index` in its transaction locked and the transaction still holds,
    /// grouped as [`StatementReview::lock_groups`]: a statement that asks again for a lock its transaction
    /// holds adds nothing to `pg_locks`, and this is what it runs under. Empty for a statement that commits on
    /// its own or comes first in its transaction.
    pub fn held_before(&self, index: usize) -> Vec<(LockMode, Vec<&str>)> {
        let Some(s) = self.statements.get(index) else {
            return Vec::new();
        };
        if s.autocommit {
            return Vec::new();
        }
        let mut held: Vec<&LockTaken> = Vec::new();
        for l in self.statements[..index]
            .iter()
            .filter(|e| !e.autocommit && e.transaction == s.transaction)
            .flat_map(|e| &e.locks)
        {
            match held.iter_mut().find(|h| h.relation == l.relation) {
                Some(h) if h.mode < l.mode => *h = l,
                Some(_) => {}
                None => held.push(l),
            }
        }
        lock_groups(&held)
    }
}

fn lock_groups<'a>(locks: &[&'a LockTaken]) -> Vec<(LockMode, Vec<&'a str>)> {
    let mut groups: Vec<(LockMode, Vec<&str>)> = Vec::new();
    for l in locks {
        let with_its_table = l.kind == RelationKind::Index
            && l.table.as_ref().is_some_and(|table| {
                locks
                    .iter()
                    .any(|t| &t.relation == table && t.mode >= l.mode)
            });
        if with_its_table {
            continue;
        }
        match groups.iter_mut().find(|(mode, _)| *mode == l.mode) {
            Some((_, relations)) => relations.push(&l.relation),
            None => groups.push((l.mode, vec![&l.relation])),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.0));
    for (_, relations) in &mut groups {
        relations.sort_unstable();
        relations.dedup();
    }
    groups
}

/// How long a statement takes on production, and how long it holds what it blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub seconds: f64,
    /// The lock it takes that makes application queries wait, held until its transaction commits.
    pub blocking: Option<Blocking>,
    /// How the figure was reached, in words.
    pub basis: String,
    /// Measured on a copy of a clone rather than estimated.
    pub measured: bool,
    /// For a statement that queues a background job: how long the job should take, after the deploy
    /// (workers run it; the deploy does not wait for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_seconds: Option<f64>,
}

/// A lock that makes application queries wait, and for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blocking {
    pub relation: String,
    pub mode: LockMode,
    /// Writes, or reads and writes.
    pub blocks: Blocks,
    /// From the statement's start to its transaction's commit.
    pub seconds: f64,
    /// The table's queries that would wait meanwhile, by its measured activity.
    pub queries_waiting: Option<f64>,
}

/// A lint finding, or a finding of the review's own (a lock held too long), with its level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewFinding {
    /// The lint rule's name, or `long-lock` for the review's own.
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub line: Option<usize>,
}

impl Review {
    /// The worst verdict of all migrations.
    pub fn verdict(&self) -> Level {
        self.migrations
            .iter()
            .map(MigrationReview::verdict)
            .max()
            .unwrap_or(Level::Ok)
    }

    /// The JSON form passed from a runner to the installed `migrate`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads [`Review::to_json`]'s output; refuses another version's.
    pub fn from_json(json: &str) -> Result<Review, String> {
        let review: Review = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if review.version != REVIEW_VERSION {
            return Err(format!(
                "review format {} where {REVIEW_VERSION} is read",
                review.version
            ));
        }
        Ok(review)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(relation: &str, kind: RelationKind, table: Option<&str>, mode: LockMode) -> LockTaken {
        LockTaken {
            relation: relation.to_owned(),
            kind,
            table: table.map(str::to_owned),
            mode,
            blocks: mode.blocks(),
        }
    }

    fn statement(locks: Vec<LockTaken>) -> StatementReview {
        StatementReview {
            position: 1,
            operation: "sql".to_owned(),
            line: None,
            sql: String::new(),
            transaction: 1,
            autocommit: false,
            locks,
            work: Work::Metadata,
            table: None,
            rows: None,
            estimate: None,
            unknown: None,
            findings: Vec::new(),
        }
    }

    /// Every relation is named, grouped by mode, strongest first: both tables of a foreign key, a sequence
    /// even when its table is locked more strongly; an index only when its table is not locked as strongly.
    #[test]
    fn every_lock_is_named_by_mode_and_an_index_goes_with_its_table() {
        use LockMode::*;
        use RelationKind::{Index, Sequence, Table};
        let s = statement(vec![
            taken("orders", Table, None, ShareRowExclusive),
            taken("warehouses", Table, None, ShareRowExclusive),
            taken("warehouses_pkey", Index, Some("warehouses"), AccessShare),
            taken("orders_id_seq", Sequence, Some("orders"), AccessShare),
            taken("events_kind_index", Index, Some("events"), AccessExclusive),
        ]);
        assert_eq!(
            s.lock_groups(),
            [
                (AccessExclusive, vec!["events_kind_index"]),
                (ShareRowExclusive, vec!["orders", "warehouses"]),
                (AccessShare, vec!["orders_id_seq"]),
            ]
        );
        assert_eq!(statement(Vec::new()).lock_groups(), []);
    }

    /// A statement that takes nothing new runs under what its transaction's earlier statements took (the
    /// strongest on each relation); one that commits on its own, or comes first, under nothing.
    #[test]
    fn a_statement_runs_under_the_locks_its_transaction_took_before_it() {
        use LockMode::*;
        let table = |relation: &str, mode| taken(relation, RelationKind::Table, None, mode);
        let mut statements = vec![
            statement(vec![table("items", ShareUpdateExclusive)]),
            statement(vec![table("items", AccessExclusive), table("categories", RowShare)]),
            statement(Vec::new()),
            statement(Vec::new()),
        ];
        statements[0].transaction = 1;
        statements[1].transaction = 2;
        statements[2].transaction = 2;
        statements[3].transaction = 3;
        let m = MigrationReview {
            name: "m".to_owned(),
            file: "m.rs".to_owned(),
            phase: Phase::Expand,
            contract: None,
            transactional: true,
            sql: String::new(),
            statements,
            schema_changes: Vec::new(),
            findings: Vec::new(),
        };
        assert_eq!(
            m.held_before(2),
            [(AccessExclusive, vec!["items"]), (RowShare, vec!["categories"])]
        );
        assert_eq!(m.held_before(1), []);
        assert_eq!(m.held_before(3), []);
    }
}
