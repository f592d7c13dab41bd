//! `renaming-table`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "renaming-table",
    summary: "`ALTER TABLE ... RENAME TO`.",
    exempt_new_tables: true,
    breaks_running_code: true,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table (instant)",
    problem: "code that is running uses the old name and fails until it is redeployed",
    instead: "expand/contract: create the new table (or rename and leave a view with the old name), move the code over, then drop the old name in a migration marked `pgm.contract(\"..\")` after the rollout",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RenamingTable;
        lint_errors(
            Rule::RenamingTable,
            &["ALTER TABLE t RENAME TO u"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["CREATE TABLE u (a int)"], IN_TRANSACTION);
    }
}
