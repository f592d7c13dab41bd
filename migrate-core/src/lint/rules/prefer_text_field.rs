//! `prefer-text-field`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "prefer-text-field",
    summary: "A new column of type `varchar(n)`.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: false,
    lock: "none of its own (the statement's lock applies)",
    problem: "the length limit is part of the type: changing it later is an ALTER COLUMN TYPE under ACCESS EXCLUSIVE (instant only when the limit grows), and a shorter limit rewrites the table",
    instead: "text, with a CHECK (length(col) <= n) when a limit matters: a CHECK is replaced online (NOT VALID, then VALIDATE)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::PreferTextField;
        lint_errors(
            Rule::PreferTextField,
            &["CREATE TABLE t (name varchar(100))"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["CREATE TABLE t (name text)"], IN_TRANSACTION);
        // varchar without a length is text under another name.
        lint_ok(rule, &["CREATE TABLE t (name varchar)"], IN_TRANSACTION);
        lint_migration_errors_with(rule, |pgm| {
            pgm.add_columns("t", [column("name", "varchar(100)")]);
        });
        lint_migration_ok_with(rule, |pgm| {
            pgm.add_columns("t", [column("name", "text")]);
        });
    }
}
