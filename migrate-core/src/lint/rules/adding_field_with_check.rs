//! `adding-field-with-check`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in
//! `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-field-with-check",
    summary: "`ADD COLUMN ... CHECK (..)` on an existing table.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table while every row is checked",
    problem: "the CHECK of the new column is checked against every existing row while reads and writes wait",
    instead: "add the column without the CHECK, then the CHECK with `pgm.add_constraint_online(..)` (NOT VALID, instant, then VALIDATE in a transaction of its own: SHARE UPDATE EXCLUSIVE, reads and writes go on)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingFieldWithCheck;
        lint_errors(
            Rule::AddingFieldWithCheck,
            &["ALTER TABLE t ADD COLUMN a integer CHECK (a > 0)"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &[
                "ALTER TABLE t ADD COLUMN a integer",
                "ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID",
            ],
            IN_TRANSACTION,
        );
    }
}
