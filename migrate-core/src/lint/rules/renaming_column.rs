//! `renaming-column`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "renaming-column",
    summary: "`RENAME COLUMN`.",
    exempt_new_tables: true,
    breaks_running_code: true,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table (instant)",
    problem: "code that is running uses the old name and fails until it is redeployed",
    instead: "`pgm.rename_column_online(table, from, to)` in an expand (a new column kept equal to the old one by a trigger, backfilled in batches), move the code to the new column, then the same call with `.contract()` in a migration marked `pgm.contract(\"..\")` after the rollout",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RenamingColumn;
        lint_errors(
            Rule::RenamingColumn,
            &["ALTER TABLE t RENAME COLUMN a TO b"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ADD COLUMN b integer"],
            IN_TRANSACTION,
        );
    }
}
