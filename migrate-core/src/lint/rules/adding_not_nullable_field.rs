//! `adding-not-nullable-field`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-not-nullable-field",
    summary: "`SET NOT NULL` without a validated `CHECK (col IS NOT NULL)` earlier in the migration.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table while every row is scanned",
    problem: "reads and writes wait for a full scan that looks for NULLs",
    instead: "`pgm.set_not_null(table, column)`: it adds CHECK (col IS NOT NULL) NOT VALID, VALIDATEs it in a transaction of its own, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drops the check",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingNotNullableField;
        lint_errors(
            Rule::AddingNotNullableField,
            &["ALTER TABLE t ALTER COLUMN a SET NOT NULL"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ALTER COLUMN a DROP NOT NULL"],
            IN_TRANSACTION,
        );
    }
}
