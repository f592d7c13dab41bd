//! `adding-field-with-foreign-key`: the rule's catalogue entry and its tests. The check is this project's: `own_hits`
//! in `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-field-with-foreign-key",
    summary: "`ADD COLUMN ... DEFAULT .. REFERENCES ..` on an existing table.",
    // The referenced table is locked too, and it is not new.
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table and SHARE ROW EXCLUSIVE on the referenced table while every row is checked",
    problem: "the new column has a default, so its foreign key is checked against every existing row while reads and writes of the table, and writes of the referenced table, wait",
    instead: "add the column without REFERENCES, then the foreign key with `pgm.add_constraint_online(..)` (NOT VALID, then VALIDATE in a transaction of its own: SHARE UPDATE EXCLUSIVE on the table, ROW SHARE on the referenced one)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingFieldWithForeignKey;
        lint_errors(
            Rule::AddingFieldWithForeignKey,
            &["ALTER TABLE t ADD COLUMN a bigint DEFAULT 1 REFERENCES u"],
            IN_TRANSACTION,
        );
        // NULL in every row: PostgreSQL has nothing to check.
        lint_ok(
            rule,
            &["ALTER TABLE t ADD COLUMN a bigint REFERENCES u"],
            IN_TRANSACTION,
        );
    }
}
