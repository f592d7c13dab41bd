//! What the run left: the one outcome line every error uses, a bookkeeping row the server refused, and a `down` that cannot restore what the `up` replaced.

use super::*;

/// What a refusal left behind, in one line.
pub(super) fn outcome_line(outcome: Outcome, name: &str, direction: Direction) -> String {
    let state = match direction {
        Direction::Up => "it is not recorded as applied",
        Direction::Down => "it stays recorded as applied",
    };
    match outcome {
        Outcome::RolledBack | Outcome::PartiallyApplied { committed: 0 } => {
            format!("rolled back: nothing of this `{direction}` was applied, and {state}")
        }
        Outcome::Kept { done: 0, .. } => format!(
            "nothing else of this `{direction}` took effect, and {state}; fix the cause (if any) and run \
             `{direction}` again"
        ),
        Outcome::Kept { done, total } => {
            let undo = match direction {
                Direction::Up => " (or `down` undoes them)",
                Direction::Down => "",
            };
            format!(
                "{done} of its {total} statement(s) took effect and are kept, each recorded as it committed, \
                 and {state} yet: fix the cause (if any) and run `{direction}` again, which continues from \
                 statement {}{undo}",
                done + 1
            )
        }
        Outcome::PartiallyApplied { committed } | Outcome::SplitCommitted { committed } => format!(
            "{committed} earlier statement(s) of this `{direction}` were committed and {state}; it is marked \
             as failed part-way: check what failed, then retrying {name} with `{direction}` clears the mark \
             and continues from the statement that failed"
        ),
    }
}

/// The server refused a migration's bookkeeping row (the `INSERT` after its `up`, the `DELETE` after its
/// `down`): a migrations table of another tool, say, with a `NOT NULL` column this tool does not write.
#[derive(Debug)]
#[non_exhaustive]
pub struct RecordError {
    pub name: String,
    /// The migrations table.
    pub table: String,
    pub direction: Direction,
    pub source: postgres::Error,
    /// What happened to the migration's statements.
    pub outcome: Outcome,
    /// Outside a transaction, its one statement can simply run again (a finished concurrent index build is
    /// recognised and skipped, a backfill resumes): it is not marked, and the next `up` runs it again.
    pub runs_again: bool,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (verb, state) = match self.direction {
            Direction::Up => (
                "recording it as applied in",
                "it is not recorded as applied",
            ),
            Direction::Down => ("removing its row from", "it stays recorded as applied"),
        };
        writeln!(
            f,
            "migration {}: its `{}` ran, but {verb} {} failed: {}",
            self.name,
            self.direction,
            self.table,
            describe_pg(&self.source)
        )?;
        if self.source.code() == Some(&postgres::error::SqlState::NOT_NULL_VIOLATION) {
            let column = self
                .source
                .as_db_error()
                .and_then(|db| db.column())
                .map(|c| format!("column {c}"))
                .unwrap_or_else(|| "a column".to_owned());
            writeln!(
                f,
                "  {column} of {} is NOT NULL without a default, and this tool writes only id (when it has no \
                 default), name, run_on, checksum and execution_ms: give it a default, or drop its NOT NULL",
                self.table
            )?;
        }
        if self.runs_again {
            return write!(
                f,
                "  this migration runs outside a transaction: its statement was committed, but {state}; it can \
                 run again (a finished index build is recognised and skipped, a backfill resumes), so the next \
                 `{}` runs it again",
                self.direction
            );
        }
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A step the engine runs itself that cannot go on: a derived `down` that cannot restore what a `CREATE OR
/// REPLACE` of the `up` replaced (`restore_previous`), an index per partition that cannot be built
/// (`create_index`).
#[derive(Debug)]
#[non_exhaustive]
pub struct RestoreError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation.
    pub position: usize,
    /// The operation.
    pub op: &'static str,
    pub message: String,
    /// What happened to the migration's earlier statements.
    pub outcome: Outcome,
}

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "migration {} ({}) failed in `{}` at operation #{} ({}): {}",
            self.name, self.path, self.direction, self.position, self.op, self.message
        )?;
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for RestoreError {}
