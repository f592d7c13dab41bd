//! `require-enum-value-ordering`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "require-enum-value-ordering",
    summary: "`ALTER TYPE ... ADD VALUE` without `BEFORE` or `AFTER`.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: false,
    lock: "none on tables (the type's catalog rows only)",
    problem: "the value goes last and sorts after every existing one: ORDER BY, comparisons, MIN and MAX on the column follow the order the values were added in, which may not be the order meant",
    instead: "say where it goes: `pgm.add_type_value(..).before(..)` or `.after(..)`, or ADD VALUE .. BEFORE / AFTER; when last is meant, silence the finding saying so",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RequireEnumValueOrdering;
        lint_errors(
            Rule::RequireEnumValueOrdering,
            &["ALTER TYPE mood ADD VALUE 'meh'"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad'"],
            IN_TRANSACTION,
        );
        lint_migration_errors_with(rule, |pgm| {
            pgm.add_type_value("mood", "meh");
        });
        lint_migration_ok_with(rule, |pgm| {
            pgm.add_type_value("mood", "meh").before("happy");
        });
        // Off unless the project turns it on.
        lint_migration_ok(rule, |pgm| {
            pgm.add_type_value("mood", "meh");
        });
    }
}
