//! What the generator plans: the changes from one [`Model`] to another, each as the builder's typed
//! operations for `up` and, where the builder cannot derive it from them, for `down`, sorted into the
//! migrations of a rolling deploy.

use migrate_dsl::{MigrationBuilder, Operation};

use super::model::{Model, QName};
use super::Rename;

/// The migrations one change set is split into, in the order they run. The online renames and their
/// contracts get migrations of their own: their `down` is only derived (their reverse recreates a sync
/// trigger).
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

/// How a change is undone.
#[derive(Debug, Clone)]
pub(crate) enum Down {
    /// By the reverse the builder derives from the `up`'s operations, as for a hand-written migration
    /// without `down`: what undoes a creation, an addition, a rename.
    Derived,
    /// By these operations, made from the current schema: what the `up`'s operations do not hold (the
    /// definition of what a drop removes, the setting an alter replaces).
    Written(Vec<Operation>),
}

/// One change: its line in the summary, the operations of `up` and how it is undone.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub step: Step,
    pub summary: String,
    /// Why the call is written as it is (`pgm.sql` where no operation exists, a rewrite allowed).
    pub comment: Option<String>,
    pub up: Vec<Operation>,
    pub down: Down,
    /// `(rule, reason)`: a lint finding accepted on purpose, written as a `// lint: allow` comment.
    pub allow: Vec<(&'static str, String)>,
    /// Where a drop goes among the drops: views first, schemas last.
    pub order: u8,
    /// The object this change creates or drops, by its qualified name: what the SQL of other changes of
    /// its migration names when they need it (see `order.rs`).
    pub object: Option<QName>,
}

/// The operations `record` records on a builder of its own.
pub(crate) fn recorded(record: impl FnOnce(&mut MigrationBuilder)) -> Vec<Operation> {
    let mut pgm = MigrationBuilder::new();
    record(&mut pgm);
    pgm.operations().to_vec()
}

impl Change {
    pub(crate) fn new(step: Step, summary: impl Into<String>) -> Change {
        Change {
            step,
            summary: summary.into(),
            comment: None,
            up: Vec::new(),
            down: Down::Derived,
            allow: Vec::new(),
            order: 5,
            object: None,
        }
    }

    /// The object the change creates or drops (see [`Change::object`]).
    pub(crate) fn object(mut self, q: &QName) -> Change {
        self.object = Some(q.clone());
        self
    }

    pub(crate) fn order(mut self, order: u8) -> Change {
        self.order = order;
        self
    }

    /// Adds what `record` records to the `up`.
    pub(crate) fn up(self, record: impl FnOnce(&mut MigrationBuilder)) -> Change {
        self.ups(recorded(record))
    }

    pub(crate) fn ups(mut self, operations: impl IntoIterator<Item = Operation>) -> Change {
        self.up.extend(operations);
        self
    }

    /// Adds what `record` records to the written `down` (the change's down is then written, not derived).
    pub(crate) fn down(self, record: impl FnOnce(&mut MigrationBuilder)) -> Change {
        self.downs(recorded(record))
    }

    /// The `down` `record` records, written only where the builder derives none from the `up` (its
    /// operations include raw SQL, or one whose reverse needs what it does not hold).
    pub(crate) fn down_if_not_derived(self, record: impl FnOnce(&mut MigrationBuilder)) -> Change {
        if MigrationBuilder::from_operations(self.up.iter().cloned()).reversed().is_ok() {
            self
        } else {
            self.down(record)
        }
    }

    pub(crate) fn downs(mut self, operations: impl IntoIterator<Item = Operation>) -> Change {
        match &mut self.down {
            Down::Written(written) => written.extend(operations),
            Down::Derived => self.down = Down::Written(operations.into_iter().collect()),
        }
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
    /// Foreign keys `(table, name)` dropped before a type change of the column they reference (see
    /// `retyped::foreign_keys_before`): not dropped again with the drops.
    pub dropped_early: Vec<(QName, String)>,
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

    /// Whether constraint `name` of table `q` was dropped before a type change.
    pub(crate) fn dropped_early(&self, q: &QName, name: &str) -> bool {
        self.dropped_early.iter().any(|(t, n)| t == q && n == name)
    }

    pub(crate) fn declined(&self, rename: &Rename) -> bool {
        self.declined.iter().any(|d| *d == rename.source())
    }
}
