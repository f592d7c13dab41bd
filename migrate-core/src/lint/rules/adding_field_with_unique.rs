//! `adding-field-with-unique`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in
//! `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-field-with-unique",
    summary: "`ADD COLUMN ... UNIQUE` on an existing table.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table while the unique index is built over every row",
    problem: "reads and writes wait for the build of the unique index",
    instead: "add the column without UNIQUE, then the constraint with `pgm.add_constraint_online(.., Constraint::unique(..))` (a unique index built CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX, instant)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingFieldWithUnique;
        lint_errors(
            Rule::AddingFieldWithUnique,
            &["ALTER TABLE t ADD COLUMN a text UNIQUE"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &[
                "ALTER TABLE t ADD COLUMN a text",
                "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_index",
            ],
            IN_TRANSACTION,
        );
    }
}
