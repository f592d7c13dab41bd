//! `constraint-missing-not-valid`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "constraint-missing-not-valid",
    summary: "`ADD CONSTRAINT ... CHECK` without `NOT VALID`.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table while every row is checked",
    problem: "reads and writes wait for a full scan of the table",
    instead: "`pgm.add_constraint_online(..)`: it adds it NOT VALID (instant), then VALIDATEs it in a transaction of its own (SHARE UPDATE EXCLUSIVE: reads and writes go on)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::ConstraintMissingNotValid;
        lint_errors(
            Rule::ConstraintMissingNotValid,
            &["ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID"],
            IN_TRANSACTION,
        );
        // Validating in the transaction that added it keeps the lock of the ADD during the scan.
        lint_errors(
            rule,
            &[
                "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID",
                "ALTER TABLE t VALIDATE CONSTRAINT c",
            ],
            IN_TRANSACTION,
        );
        // Lint follows the transactions the engine really uses. The builder's
        // `validate_constraint` runs in a transaction of its own, so the cookbook's recipes pass: the two steps
        // in one migration, and `set_not_null`, which does both and then SET NOT NULL.
        lint_migration_ok(rule, |pgm| {
            pgm.add_constraint("t", "c", migrate_dsl::Constraint::check("a > 0"))
                .not_valid();
            pgm.validate_constraint("t", "c");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.set_not_null("t", "a");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.add_constraint(
                "comments",
                "comments_author_id_fkey",
                migrate_dsl::Constraint::foreign_key(["author_id"], "users", ["id"]),
            )
            .not_valid();
            pgm.validate_constraint("comments", "comments_author_id_fkey");
        });
        // Raw SQL in one `pgm.sql` shares the transaction: still flagged.
        lint_migration_errors(rule, |pgm| {
            pgm.sql("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID");
            pgm.sql("ALTER TABLE t VALIDATE CONSTRAINT c");
        });
    }
}
