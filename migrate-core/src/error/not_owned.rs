//! An object an `IF [NOT] EXISTS` would have skipped or dropped that is not this migration's own.

use super::*;

/// An object in the way of (or missing for) a statement whose `IF [NOT] EXISTS` the engine added itself.
#[derive(Debug)]
#[non_exhaustive]
pub struct NotOwnedError {
    pub name: String,
    pub path: String,
    pub direction: Direction,
    /// 1-based position of the operation in the migration.
    pub position: usize,
    pub op: &'static str,
    /// The line of the operation's call (`pgm.xxx(..)`) in the migration file, when it was recorded there.
    pub line: Option<u32>,
    pub sql: String,
    pub safeguard: migrate_dsl::Safeguard,
    /// What is wrong with the object ("already exists (an index on comments)").
    pub problem: String,
    /// The migration that most likely owns the object, when it is in the way.
    pub owner: Option<String>,
    /// What happened to the migration's earlier statements (none ran when the check came first).
    pub outcome: Outcome,
}

impl std::fmt::Display for NotOwnedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use migrate_dsl::Safeguard;
        let object = self
            .safeguard
            .object()
            .map(|o| format!("{} ", o.describe()))
            .unwrap_or_default();
        let at = At::new(&self.name, &self.path, self.line, self.position, self.op);
        write!(
            f,
            "{} refused in `{}` {}: {object}{}",
            at.migration(),
            self.direction,
            at.operation(),
            self.problem
        )?;
        match &self.owner {
            Some(owner) => writeln!(f, "; it belongs to {owner}")?,
            None => writeln!(f)?,
        }
        for line in self.sql.lines().take(12) {
            writeln!(f, "    {line}")?;
        }
        let (why, fix) = match &self.safeguard {
            Safeguard::CreatesIfAbsent(_) => (
                "the engine adds IF NOT EXISTS to this statement only so that this migration can run again after \
                 failing part-way; skipping an object that is not this migration's own would leave the schema \
                 unlike the migration says, and its derived `down` would drop that object",
                "give this one another name (`.name(..)`), drop or rename the existing one first, or chain \
                 `.if_not_exists()` if skipping it is what you mean (the operation then has no automatic reverse)",
            ),
            Safeguard::DropsIfPresent(_) => (
                "the engine adds IF EXISTS to this statement only so that this migration can run again after \
                 failing part-way, not to skip a missing object",
                "chain `.if_exists()` if a missing index is fine (in a derived `down`, write the `down` instead), \
                 or find out what dropped it",
            ),
            Safeguard::SetsNotNull(_) => (
                "the recipe would change nothing, and its derived `down` would drop a NOT NULL this migration \
                 did not add",
                "leave out the `set_not_null` (the column is NOT NULL already), or write a `down` of your own",
            ),
            Safeguard::GrantsNothingHeld(_) => (
                "a GRANT of what is already held does nothing, and its derived `down` would REVOKE what this \
                 migration did not give",
                "leave out what is already granted, or write the GRANT as raw SQL with a `down` of your own",
            ),
            Safeguard::ClearsLeftover(_) | Safeguard::RecordsPrevious(_) => (
                "the statement drops that name first only to clear what a failed earlier attempt of this \
                 migration left, and this constraint was not left by one",
                "rename or drop the existing constraint first: the recipe uses this name for its temporary check",
            ),
            _ => ("", ""),
        };
        writeln!(f, "  {why}")?;
        writeln!(f, "  {fix}")?;
        write!(
            f,
            "  {}",
            outcome_line(self.outcome, &self.name, self.direction)
        )
    }
}

impl std::error::Error for NotOwnedError {}
