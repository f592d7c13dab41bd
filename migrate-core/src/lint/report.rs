//! What a lint run found, as data: the CLI decides how it looks.

use crate::migration::Direction;

use super::rules::Rule;

/// One rule broken by one statement of one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// 1-based position of the operation that recorded the statement, with the builder method's name
    /// (`create_index`, `sql`, ...). `None` for findings about the migration as a whole (`pgm.lock_timeout`).
    pub op: Option<(usize, &'static str)>,
    /// The statement, on one line and shortened, or what the finding is about.
    pub statement: String,
    /// A detail the rule adds to its catalogue text (the timeout found, the SQL-level reason), if any.
    pub detail: Option<String>,
}

/// A finding that a `// lint: allow` comment silenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silenced {
    pub finding: Finding,
    /// The reason written in the comment.
    pub reason: String,
    /// 1-based line of the comment in the migration file.
    pub line: usize,
}

/// The lint of one migration in one direction.
#[derive(Debug, Clone)]
pub struct MigrationLint {
    pub name: String,
    /// The file, relative to the current folder when below it.
    pub path: String,
    pub direction: Direction,
    pub findings: Vec<Finding>,
    pub silenced: Vec<Silenced>,
    /// Things worth a look that are not findings: a statement the parser could not read, a suppression that
    /// silenced nothing, a `down` that is irreversible and so was not linted.
    pub notes: Vec<String>,
}

/// The lint of every migration asked for.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub migrations: Vec<MigrationLint>,
}

impl Report {
    /// How many findings were not silenced.
    pub fn finding_count(&self) -> usize {
        self.migrations.iter().map(|m| m.findings.len()).sum()
    }

    /// How many findings a comment silenced.
    pub fn silenced_count(&self) -> usize {
        self.migrations.iter().map(|m| m.silenced.len()).sum()
    }
}
