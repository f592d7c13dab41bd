//! A migration's own precondition that did not hold, or could not be checked: the migration was refused
//! before its first statement.

use super::*;
use crate::precondition::Verdict;

/// A precondition ([`migrate_dsl::MigrationBuilder::precondition`]) refused its migration before anything of
/// it ran.
#[derive(Debug)]
#[non_exhaustive]
pub struct PreconditionError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the `precondition` operation in the migration.
    pub position: usize,
    /// The line of its `pgm.precondition(..)` call, when it was recorded in the migration file.
    pub line: Option<u32>,
    /// What it checks, as the migration names it.
    pub precondition: String,
    pub sql: String,
    /// Its answer; `Holds` never makes an error.
    pub verdict: Result<Verdict, postgres::Error>,
}

impl std::fmt::Display for PreconditionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = At::new(&self.name, &self.path, self.line, self.position, "precondition");
        let what = match &self.verdict {
            Ok(Verdict::Rows(_)) => "does not hold: its query returned rows",
            Ok(_) => "does not hold: its query returned false",
            Err(_) => "could not be checked: its query failed",
        };
        writeln!(
            f,
            "{} refused in `{}` {}: precondition {:?} {what}; nothing of the migration ran",
            at.migration(),
            self.direction,
            at.operation(),
            self.precondition,
        )?;
        for line in self.sql.lines().take(12) {
            writeln!(f, "    {line}")?;
        }
        match &self.verdict {
            Ok(Verdict::Rows(rows)) => {
                if rows.more {
                    writeln!(f, "the first {} offending rows (there are more):", rows.rows.len())?;
                } else {
                    writeln!(f, "offending rows ({}):", rows.rows.len())?;
                }
                writeln!(f, "    ({})", rows.columns.join(", "))?;
                for row in &rows.rows {
                    writeln!(f, "    {row}")?;
                }
                write!(f, "fix the data (or the query), then run `{}` again", self.direction)
            }
            Ok(_) => write!(f, "fix the data (or the query), then run `{}` again", self.direction),
            Err(e) => write!(f, "{}", describe_pg(e)),
        }
    }
}

impl std::error::Error for PreconditionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.verdict {
            Err(e) => Some(e),
            Ok(_) => None,
        }
    }
}
