//! What a lint run found, as data: the CLI decides how it looks.

use crate::migration::Direction;

use super::rules::Rule;

/// One rule broken by one statement of one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    pub rule: Rule,
    /// 1-based position of the operation that recorded the statement, with the builder method's name
    /// (`create_index`, `sql`, ...). `None` for findings about the migration as a whole (`pgm.lock_timeout`).
    pub op: Option<(usize, &'static str)>,
    /// 1-based line of the `pgm.xxx(..)` call in the migration file that recorded the operation (or of
    /// `pgm.lock_timeout(..)`). `None` when the call is in another file, such as a helper module.
    pub line: Option<usize>,
    /// The statement, on one line and shortened, or what the finding is about.
    pub statement: String,
    /// A detail the rule adds to its catalogue text (the timeout found, the SQL-level reason), if any.
    pub detail: Option<String>,
}

/// A finding that a `// lint: allow` comment silenced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Silenced {
    pub finding: Finding,
    /// The reason written in the comment.
    pub reason: String,
    /// 1-based line of the comment in the migration file.
    pub line: usize,
}

/// SQL of one operation that the parser could not read. No rule can check it, so the lint fails: a typo
/// would otherwise hide every problem after it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unparsable {
    /// 1-based position of the operation and its builder method.
    pub op: (usize, &'static str),
    /// 1-based line of the operation's `pgm.xxx(..)` call in the migration file, when it is there.
    pub line: Option<usize>,
    /// The parser's first complaint.
    pub message: String,
}

/// Something worth a look that is not a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Note {
    /// 1-based line in the migration file it is about, if any.
    pub line: Option<usize>,
    pub message: String,
}

/// The lint of one migration in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationLint {
    pub name: String,
    /// The file, relative to the current folder when below it.
    pub path: String,
    pub direction: Direction,
    pub findings: Vec<Finding>,
    pub silenced: Vec<Silenced>,
    /// Operations whose SQL could not be parsed: errors, not findings.
    pub unparsable: Vec<Unparsable>,
    /// A suppression that silenced nothing, a `down` that is irreversible and so was not linted.
    pub notes: Vec<Note>,
    /// Findings the lint baseline accepts (see `Baseline`, feature `lint`): not listed, only counted.
    pub baselined: Vec<Finding>,
}

/// The lint of every migration asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
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

    /// How many findings the lint baseline accepted.
    pub fn baselined_count(&self) -> usize {
        self.migrations.iter().map(|m| m.baselined.len()).sum()
    }

    /// How many operations had SQL that could not be parsed.
    pub fn unparsable_count(&self) -> usize {
        self.migrations.iter().map(|m| m.unparsable.len()).sum()
    }

    /// How many notes there are.
    pub fn note_count(&self) -> usize {
        self.migrations.iter().map(|m| m.notes.len()).sum()
    }
}
