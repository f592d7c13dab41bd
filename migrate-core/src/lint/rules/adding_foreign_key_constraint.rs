//! `adding-foreign-key-constraint`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-foreign-key-constraint",
    summary: "`ADD FOREIGN KEY` without `NOT VALID`.",
    // The referenced table is locked too, and it is not new.
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "SHARE ROW EXCLUSIVE on both the table and the referenced table while every row is checked",
    problem: "writes to both tables wait for a full scan",
    instead: "`pgm.add_constraint_online(..)`: it adds it NOT VALID, then VALIDATEs it in a transaction of its own (SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingForeignKeyConstraint;
        lint_errors(
            Rule::AddingForeignKeyConstraint,
            &["ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u NOT VALID"],
            IN_TRANSACTION,
        );
    }
}
