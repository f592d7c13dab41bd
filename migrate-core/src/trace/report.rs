//! What a trace found, statement by statement: the value `migrate trace` prints (as text, JSON or GitHub
//! annotations). The JSON form is this structure serialised; its fields are documented in docs/trace.md and
//! pinned by a test.

use serde::Serialize;

use super::allow::GateKind;
use crate::migration::Direction;
use super::catalog::RelationKind;
use super::data::DataStep;
use super::locks::{Blocks, LockMode};
pub use crate::rows::{SeededSize, Seeding, SkippedTable};

/// A whole trace.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Trace {
    /// What was traced: the migrations' `up`, or their `down` (after applying them).
    pub direction: Direction,
    /// How many migrations built the scratch database before the first traced one was run (applied, not
    /// traced): for a trace of `up`s, those before the oldest traced one; of `down`s, every migration up to
    /// the newest traced one, which the `down`s then revert.
    pub applied_before: usize,
    /// `--rows N`: what was filled with generated rows before the traced migrations ran.
    pub rows: Option<Seeding>,
    /// `--data FILE`: the file whose SQL ran before the traced migrations.
    pub data_file: Option<String>,
    pub migrations: Vec<MigrationTrace>,
}

impl Trace {
    /// Every gate finding, with its migration and statement.
    pub fn gate_findings(
        &self,
    ) -> impl Iterator<Item = (&MigrationTrace, &StatementTrace, &GateFinding)> {
        self.migrations.iter().flat_map(|m| {
            m.transactions.iter().flat_map(move |t| {
                t.statements
                    .iter()
                    .flat_map(move |s| s.gate.iter().map(move |g| (m, s, g)))
            })
        })
    }

    /// Statements with a gate finding no `// trace: allow` accepts: the trace fails when there is one.
    pub fn gate_failures(&self) -> usize {
        self.migrations
            .iter()
            .flat_map(|m| &m.transactions)
            .flat_map(|t| &t.statements)
            .filter(|s| s.gate.iter().any(|g| g.allowed.is_none()))
            .count()
    }

    /// How many statements were traced.
    pub fn statement_count(&self) -> usize {
        self.migrations
            .iter()
            .flat_map(|m| &m.transactions)
            .map(|t| t.statements.len())
            .sum()
    }
}

/// One traced migration, its `up` or its `down`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MigrationTrace {
    pub name: String,
    pub direction: Direction,
    pub file: String,
    /// Whether it runs in transactions (else each statement commits on its own).
    pub transactional: bool,
    /// Its transactions in order: one, several when a `validate_constraint` runs in its own, or, outside a
    /// transaction, one per statement (`autocommit`).
    pub transactions: Vec<TransactionTrace>,
    /// `// trace: allow` comments that accepted nothing.
    pub notes: Vec<String>,
}

/// One transaction of a migration, or one statement that commits on its own.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TransactionTrace {
    /// 1-based, within the migration.
    pub number: usize,
    /// A statement outside a transaction, committed on its own.
    pub autocommit: bool,
    /// From its start to its commit, the bookkeeping included for the last one.
    pub duration_ms: f64,
    /// The strongest lock it held on each relation that existed before it, until its commit: what the
    /// application waited for.
    pub held_until_commit: Vec<Lock>,
    pub statements: Vec<StatementTrace>,
}

/// One statement (or a data code operation, or a backfill, each as one).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct StatementTrace {
    /// 1-based position of its operation in the migration.
    pub position: usize,
    /// The builder method that recorded it (`add_columns`, `sql`, ...).
    pub operation: String,
    /// The line of its `pgm.xxx(..)` call in the migration file, when it was recorded there; for raw SQL
    /// written in the call, the line of its first statement inside the string.
    pub line: Option<u32>,
    pub sql: String,
    pub duration_ms: f64,
    /// How its locks were seen.
    pub observed: Observed,
    /// Locks it took on relations that existed before its transaction (or raised to a stronger mode).
    pub locks: Vec<Lock>,
    /// The strongest lock held on each relation its transaction had locked by its end, until the commit.
    pub held: Vec<Lock>,
    /// Relations it created (their locks block nobody: no one else sees them before the commit).
    pub created: Vec<String>,
    /// Relations it dropped.
    pub dropped: Vec<String>,
    /// Tables and indexes it rewrote (their file changed).
    pub rewrites: Vec<RelationRef>,
    /// Tables whose every row it read.
    pub scans: Vec<Scan>,
    /// Constraints it validated (or added validated) on tables that existed before its transaction.
    pub validated: Vec<String>,
    /// What the server proved from existing constraints instead of scanning (`SET NOT NULL` after a validated
    /// `CHECK (col IS NOT NULL)`).
    pub proven: Vec<String>,
    /// The server's notices and warnings.
    pub notices: Vec<String>,
    /// Where an `ACCESS EXCLUSIVE` lock was held across its rewrite or scan.
    pub gate: Vec<GateFinding>,
    /// What it is when it writes rows rather than the catalog (a backfill, a background job, an `UPDATE`,
    /// `DELETE` or `INSERT ... SELECT`): its table, the rows it wrote, its measured rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<DataStep>,
}

/// How a statement's locks were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    /// Read from `pg_locks` in its own transaction right after it: exact.
    InTransaction,
    /// Outside a transaction, read while it waited for a snapshot the trace held (the `CONCURRENTLY` forms):
    /// exact.
    WhileWaiting,
    /// Outside a transaction, sampled about every millisecond while it ran: a short statement may finish
    /// between two samples.
    Sampled,
}

/// A lock on a relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Lock {
    pub relation: String,
    pub kind: RelationKind,
    /// For an index, its table; for a sequence, the table whose column owns it.
    pub table: Option<String>,
    pub mode: LockMode,
    pub blocks: Blocks,
}

/// A relation a statement rewrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RelationRef {
    pub relation: String,
    pub kind: RelationKind,
}

/// A table whose every row a statement read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Scan {
    pub table: String,
    /// Why, in the server's terms: `verifying table` (a new constraint or `NOT NULL` checked), `validating
    /// foreign key constraint "x"`, `building index "x"`.
    pub reason: String,
}

/// An `ACCESS EXCLUSIVE` lock held while a statement rewrote or scanned a table: reads and writes of the
/// locked relations wait for the whole rewrite or scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GateFinding {
    pub kind: GateKind,
    /// What was rewritten or scanned.
    pub relations: Vec<String>,
    /// The relations locked `ACCESS EXCLUSIVE` meanwhile.
    pub holding: Vec<String>,
    /// The `// trace: allow` that accepts it, if any.
    pub allowed: Option<Allowed>,
}

/// A `// trace: allow` comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Allowed {
    pub line: usize,
    pub reason: String,
}
