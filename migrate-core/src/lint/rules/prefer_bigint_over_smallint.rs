//! `prefer-bigint-over-smallint`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "prefer-bigint-over-smallint",
    summary: "A new column of type `smallint` (`int2`, `smallserial`).",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: false,
    lock: "none of its own (the statement's lock applies)",
    problem: "a smallint runs out at 32,767, and widening the column later is a type change: a rewrite under ACCESS EXCLUSIVE, or `change_column_type_online`",
    instead: "bigint (or integer where the values are known to stay small): a few more bytes a row",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::PreferBigintOverSmallint;
        lint_errors(
            Rule::PreferBigintOverSmallint,
            &["ALTER TABLE t ADD COLUMN n smallint"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["ALTER TABLE t ADD COLUMN n bigint"], IN_TRANSACTION);
        lint_migration_errors_with(rule, |pgm| {
            pgm.add_columns("t", [column("n", "int2")]);
        });
        lint_migration_ok_with(rule, |pgm| {
            pgm.add_columns("t", [column("n", "bigint")]);
        });
    }
}
