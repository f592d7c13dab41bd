//! `ban-char-field`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-char-field",
    summary: "A new column of type `char(n)` (`character`, `bpchar`).",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: false,
    lock: "none of its own (the statement's lock applies)",
    problem: "values are padded with spaces to the length, which comparisons, length() and clients treat differently, and it is no faster than text",
    instead: "text, with a CHECK (length(col) = n) when a fixed length matters",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanCharField;
        lint_errors(
            Rule::BanCharField,
            &["CREATE TABLE t (code char(2))"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["CREATE TABLE t (code text)"], IN_TRANSACTION);
        lint_migration_errors_with(rule, |pgm| {
            pgm.add_columns("t", [column("code", "character(2)")]);
        });
        lint_migration_ok_with(rule, |pgm| {
            pgm.add_columns("t", [column("code", "text")]);
        });
    }
}
