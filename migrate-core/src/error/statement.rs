//! A statement the server rejected, and what became of the migration it belongs to.

use super::*;

/// A statement the server rejected, with everything needed to find it in the migration file.
#[derive(Debug)]
#[non_exhaustive]
pub struct StatementError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation in the migration.
    pub position: usize,
    pub op: &'static str,
    /// The line of the operation's call (`pgm.xxx(..)`) in the migration file, when it was recorded there.
    pub line: Option<u32>,
    pub sql: String,
    /// Raw SQL written in place in the call: the file line of each line of `sql`, so that the message names
    /// the failing statement's own line (see [`Migration::sql_lines`](crate::Migration::sql_lines)).
    pub sql_lines: crate::SqlLines,
    pub source: postgres::Error,
    /// What happened to the migration's earlier statements.
    pub outcome: Outcome,
    /// How many characters the engine sent before `sql` in the same query (the transaction's `SET LOCAL`
    /// statements ride with its first statement): the server counts its error position from the start of
    /// what was sent.
    pub sent_after: usize,
    /// What the failing statement itself left in place, when that is not nothing: a concurrent detach whose
    /// first transaction committed leaves its partition pending detach.
    pub left: Option<String>,
}

impl StatementError {
    /// The byte offset in `sql` of the server's error position (a 1-based character offset in what was
    /// sent), when it gave one.
    fn error_offset(&self) -> Option<usize> {
        let position = match self.source.as_db_error()?.position()? {
            postgres::error::ErrorPosition::Original(p) => {
                (*p as usize).checked_sub(self.sent_after).filter(|p| *p > 0)?
            }
            postgres::error::ErrorPosition::Internal { .. } => return None,
        };
        Some(
            self.sql
                .char_indices()
                .nth(position - 1)
                .map_or(self.sql.len(), |(at, _)| at),
        )
    }
}

/// What a failure left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The transaction was rolled back: nothing of this migration remains.
    RolledBack,
    /// The migration ran outside a transaction; this many earlier statements were committed.
    PartiallyApplied { committed: usize },
    /// The migration runs in several transactions (a `VALIDATE` runs in its own); this many statements of
    /// earlier ones were committed.
    SplitCommitted { committed: usize },
    /// The migration runs in more than one commit, each recorded in the journal as it commits: `done` of its
    /// `total` statements took effect and are kept, and the next run in the same direction continues after
    /// them.
    Kept { done: usize, total: usize },
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let error_at = self.error_offset();
        // In raw SQL of several statements, the one the server's position is in: named, with its own line.
        let failing = error_at
            .and_then(|at| Failing::locate(&self.sql, at))
            .filter(|failing| failing.count > 1);
        let line = match &failing {
            Some(failing) => self.sql_lines.line_at(&self.sql, failing.offset),
            None => self.sql_lines.statement_line(&self.sql),
        }
        .or(self.line);
        let mut at = At::new(&self.name, &self.path, line, self.position, self.op);
        if let Some(failing) = &failing {
            at = at.statement(failing.number, failing.count);
        }
        writeln!(
            f,
            "{} failed in `{}` {}:",
            at.migration(),
            self.direction,
            at.operation()
        )?;
        writeln!(f, "  {}", describe_pg(&self.source))?;
        let (shown, from) = match &failing {
            Some(failing) => (failing.sql, failing.offset),
            None => (self.sql.as_str(), 0),
        };
        let caret = error_at.map(|at| Caret {
            offset: at.saturating_sub(from),
            // The line of the whole text the error is on, for a message that cannot name the file's.
            text_line: self.sql[..at].matches('\n').count() + 1,
            file: self
                .sql_lines
                .line_at(&self.sql, at)
                .map(|line| (self.path.as_str(), line)),
        });
        if error_at.is_none() && migrate_dsl::split_statements(&self.sql).len() > 1 {
            writeln!(
                f,
                "  the server gave no position: the failing statement is one of these"
            )?;
        }
        for line in excerpt(shown, caret) {
            writeln!(f, "    {line}")?;
        }
        if self.source.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
            writeln!(
                f,
                "  the connection's role lacks a right this statement needs (named above): grant it, or run the migrations as a role that has it (e.g. the owner of the schema and its tables)"
            )?;
        }
        if let Some(left) = &self.left {
            writeln!(f, "  {left}")?;
        }
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for StatementError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
