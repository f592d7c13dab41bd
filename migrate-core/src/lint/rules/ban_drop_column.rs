//! `ban-drop-column`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-drop-column",
    summary: "`DROP COLUMN`.",
    exempt_new_tables: true,
    breaks_running_code: true,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table (instant)",
    problem: "code that still reads or writes the column fails, and the data is gone",
    instead: "expand/contract: stop using the column in the code and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout (an expand-only `up` leaves it for then)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanDropColumn;
        lint_errors(
            Rule::BanDropColumn,
            &["ALTER TABLE t DROP COLUMN a"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ALTER COLUMN a DROP NOT NULL"],
            IN_TRANSACTION,
        );
    }
}
