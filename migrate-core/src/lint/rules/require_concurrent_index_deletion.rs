//! `require-concurrent-index-deletion`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "require-concurrent-index-deletion",
    summary: "`DROP INDEX` without `CONCURRENTLY`.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table: blocks reads and writes",
    problem: "queries on the table queue behind the drop while it waits for running transactions",
    instead: "drop it concurrently: `.concurrently()` on `drop_index`, or DROP INDEX CONCURRENTLY",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RequireConcurrentIndexDeletion;
        lint_errors(
            Rule::RequireConcurrentIndexDeletion,
            &["DROP INDEX i"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["DROP INDEX CONCURRENTLY i"], OUTSIDE_TRANSACTION);
    }
}
