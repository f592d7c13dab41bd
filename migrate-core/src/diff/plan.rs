//! What the generator writes: the changes from one [`Model`] to another, each as Rust calls for `up` and,
//! where the builder cannot derive it, for `down`, sorted into the migrations of a rolling deploy.

use super::model::{Model, QName};
use super::Rename;

/// The migrations one change set is split into, in the order they run.
///
/// A migration's `down` is either derived by the builder or written out: the online renames' phases are
/// only derived (their reverse recreates a sync trigger), every other change has its `down` written, so the
/// renames and their contracts get migrations of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Enum labels added or renamed, in a transaction of their own: PostgreSQL refuses a label added in
    /// the transaction that uses it, so they are committed before the rest.
    EnumValues,
    /// Tables renamed (the old name kept as a view) and columns renamed online: the expand of each.
    Renames,
    /// New objects and compatible changes, in one transaction.
    Expand,
    /// Indexes of tables that exist, built `CONCURRENTLY` outside a transaction.
    Indexes,
    /// Unique keys and unique indexes on columns that exist, built `CONCURRENTLY` outside a transaction:
    /// a contract, since the app version still running may write duplicates.
    UniqueKeys,
    /// What the app version still running may write and the database would then refuse: `NOT NULL`
    /// (through the check-constraint recipe, after the application fills the columns), checks and foreign
    /// keys on tables that exist, type changes in place, dropped defaults, `GENERATED ALWAYS`. A contract.
    Constraints,
    /// The contracts of the online renames (old columns dropped), after the rollout.
    RenameContracts,
    /// Drops (with `--allow-drop` for what holds data) and the old names of renamed tables, after the
    /// rollout.
    Drops,
}

impl Step {
    /// The suffix of the migration's name (`<name>` for the expand).
    pub fn suffix(self) -> &'static str {
        match self {
            Step::EnumValues => "_enum_values",
            Step::Renames => "_renames",
            Step::Expand => "",
            Step::Indexes => "_indexes",
            Step::UniqueKeys => "_unique_keys",
            Step::Constraints => "_constraints",
            Step::RenameContracts => "_rename_contracts",
            Step::Drops => "_drops",
        }
    }

    pub(crate) fn derived_down(self) -> bool {
        matches!(self, Step::Renames | Step::RenameContracts)
    }

    pub(crate) fn contract(self) -> bool {
        matches!(
            self,
            Step::UniqueKeys | Step::Constraints | Step::RenameContracts | Step::Drops
        )
    }

    /// Why a migration of this step is a contract, before the list of its changes.
    pub(crate) fn contract_reason(self) -> &'static str {
        match self {
            Step::UniqueKeys | Step::Constraints => {
                "the app version before this change may still write what this refuses"
            }
            _ => "the app version before this change still uses what this removes",
        }
    }
}

/// One change: its line in the summary, the calls of `up`, those of `down` (when the step writes it).
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub step: Step,
    pub summary: String,
    /// Why the call is written as it is (`pgm.sql` where no operation exists, a rewrite allowed).
    pub comment: Option<String>,
    pub up: Vec<String>,
    pub down: Vec<String>,
    /// `(rule, reason)`: a lint finding accepted on purpose, written as a `// lint: allow` comment.
    pub allow: Vec<(&'static str, String)>,
    /// Where a drop goes among the drops: views first, schemas last.
    pub order: u8,
}

impl Change {
    pub(crate) fn new(step: Step, summary: impl Into<String>) -> Change {
        Change {
            step,
            summary: summary.into(),
            comment: None,
            up: Vec::new(),
            down: Vec::new(),
            allow: Vec::new(),
            order: 5,
        }
    }

    pub(crate) fn order(mut self, order: u8) -> Change {
        self.order = order;
        self
    }

    pub(crate) fn up(mut self, call: impl Into<String>) -> Change {
        self.up.push(call.into());
        self
    }

    pub(crate) fn down(mut self, call: impl Into<String>) -> Change {
        self.down.push(call.into());
        self
    }

    pub(crate) fn ups(mut self, calls: impl IntoIterator<Item = String>) -> Change {
        self.up.extend(calls);
        self
    }

    pub(crate) fn downs(mut self, calls: impl IntoIterator<Item = String>) -> Change {
        self.down.extend(calls);
        self
    }

    pub(crate) fn comment(mut self, text: impl Into<String>) -> Change {
        self.comment = Some(text.into());
        self
    }

    pub(crate) fn allow(mut self, rule: &'static str, reason: impl Into<String>) -> Change {
        self.allow.push((rule, reason.into()));
        self
    }
}

/// A disappearing object next to a similar new one: a rename to confirm (or decline) before anything is
/// written, never guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub rename: Rename,
    /// Why it looks like a rename: `of type text`, `with the same columns`.
    pub because: String,
}

/// What the planner found: changes, proposals still open, what it left alone and why.
#[derive(Debug, Default)]
pub(crate) struct Planned {
    pub changes: Vec<Change>,
    pub proposals: Vec<Proposal>,
    /// Objects in the current schema only, not dropped (`--allow-drop` not given): one line each.
    pub kept: Vec<String>,
    /// What the generator does not write: one line each, naming the object and the difference.
    pub uncovered: Vec<String>,
    /// What a reviewer must know: a rewrite allowed, a column to fill before `NOT NULL`.
    pub warnings: Vec<String>,
}

/// The planner's state: both models, the decisions, and what it has found so far.
pub(crate) struct Planner<'a> {
    pub from: &'a Model,
    pub to: &'a Model,
    pub renames: &'a [Rename],
    pub declined: &'a [String],
    pub allow_drop: bool,
    pub out: Planned,
}

impl Planner<'_> {
    pub(crate) fn push(&mut self, change: Change) {
        self.out.changes.push(change);
    }

    pub(crate) fn uncovered(&mut self, line: impl Into<String>) {
        self.out.uncovered.push(line.into());
    }

    pub(crate) fn warn(&mut self, line: impl Into<String>) {
        self.out.warnings.push(line.into());
    }

    /// Whether a drop of something that holds data may be written; if not, it is listed as kept.
    pub(crate) fn may_drop(&mut self, what: &str) -> bool {
        if !self.allow_drop {
            self.out
                .kept
                .push(format!("{what}: kept (drops were not allowed)"));
        }
        self.allow_drop
    }

    /// The confirmed rename of table `from`, if any.
    pub(crate) fn table_renamed(&self, from: &QName) -> Option<&str> {
        self.renames.iter().find_map(|r| match r {
            Rename::Table { table, to } if table == from => Some(to.as_str()),
            _ => None,
        })
    }

    pub(crate) fn column_renamed(&self, table: &QName, column: &str) -> Option<&str> {
        self.renames.iter().find_map(|r| match r {
            Rename::Column {
                table: t,
                column: c,
                to,
            } if t == table && c == column => Some(to.as_str()),
            _ => None,
        })
    }

    pub(crate) fn declined(&self, rename: &Rename) -> bool {
        self.declined.iter().any(|d| *d == rename.source())
    }
}
