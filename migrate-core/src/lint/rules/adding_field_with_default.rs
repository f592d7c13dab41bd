//! `adding-field-with-default`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-field-with-default",
    summary: "`ADD COLUMN ... DEFAULT` with a volatile default, or any default before PostgreSQL 11.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table while it is rewritten",
    problem: "a volatile default (or any default before PostgreSQL 11) is computed for every existing row, rewriting the table",
    instead: "add the column without a default, then SET DEFAULT, then backfill existing rows with `pgm.backfill` in a later migration",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingFieldWithDefault;
        lint_errors(
            Rule::AddingFieldWithDefault,
            &["ALTER TABLE t ADD COLUMN a uuid DEFAULT gen_random_uuid()"],
            IN_TRANSACTION,
        );
        // A constant default is stored once, without a rewrite (PostgreSQL 11 and later).
        lint_ok(
            rule,
            &["ALTER TABLE t ADD COLUMN a integer DEFAULT 0"],
            IN_TRANSACTION,
        );
    }
}
