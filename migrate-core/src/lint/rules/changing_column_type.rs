//! `changing-column-type`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "changing-column-type",
    summary: "`ALTER COLUMN ... TYPE`.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table, and a rewrite of the table and its indexes unless the change is binary-coercible",
    problem: "reads and writes wait for the rewrite, and clients that use the old type may break",
    instead: "`pgm.change_column_type_online(table, column, new_column, new_type)` in an expand (a new column kept in step by a trigger that converts both ways, backfilled in batches), move the code to the new column, then the same call with `.contract()` after the rollout; only binary-coercible changes (varchar(n) to text or a longer varchar, numeric precision up) are instant: silence those with a reason",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::ChangingColumnType;
        lint_errors(
            Rule::ChangingColumnType,
            &["ALTER TABLE t ALTER COLUMN a TYPE bigint"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ADD COLUMN a_new bigint"],
            IN_TRANSACTION,
        );
    }
}
