//! `ban-drop-table`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-drop-table",
    summary: "`DROP TABLE`.",
    exempt_new_tables: true,
    breaks_running_code: true,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table",
    problem: "code that still uses the table fails, and the data is gone",
    instead: "expand/contract: stop using the table in the code and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanDropTable;
        lint_errors(Rule::BanDropTable, &["DROP TABLE t"], IN_TRANSACTION);
        lint_ok(
            rule,
            &["ALTER TABLE t RENAME COLUMN a TO a"],
            IN_TRANSACTION,
        );
    }
}
