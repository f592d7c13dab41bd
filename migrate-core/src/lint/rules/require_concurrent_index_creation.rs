//! `require-concurrent-index-creation`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "require-concurrent-index-creation",
    summary: "`CREATE INDEX` without `CONCURRENTLY` on an existing table.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "SHARE on the table: blocks INSERT, UPDATE and DELETE until the index is built",
    problem: "the index is built while writes to the table wait",
    instead: "build it concurrently: `.concurrently()` on `create_index`, or CREATE INDEX CONCURRENTLY (the migration then runs outside a transaction)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RequireConcurrentIndexCreation;
        lint_errors(
            Rule::RequireConcurrentIndexCreation,
            &["CREATE INDEX i ON t (a)"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["CREATE INDEX CONCURRENTLY i ON t (a)"],
            OUTSIDE_TRANSACTION,
        );
        // A table created in the same migration is empty and unused.
        lint_ok(
            rule,
            &["CREATE TABLE t (a int)", "CREATE INDEX i ON t (a)"],
            IN_TRANSACTION,
        );
    }
}
