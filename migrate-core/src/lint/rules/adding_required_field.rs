//! `adding-required-field`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-required-field",
    summary: "`ADD COLUMN ... NOT NULL` without a default.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table",
    problem: "it fails on a table that has rows, and INSERTs from code that does not know the column fail",
    instead: "add it nullable (or with a non-volatile default), backfill, then `pgm.set_not_null(table, column)`",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingRequiredField;
        lint_errors(
            Rule::AddingRequiredField,
            &["ALTER TABLE t ADD COLUMN a integer NOT NULL"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ADD COLUMN a integer NOT NULL DEFAULT 0"],
            IN_TRANSACTION,
        );
    }
}
