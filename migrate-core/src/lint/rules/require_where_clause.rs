//! `require-where-clause`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in
//! `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "require-where-clause",
    summary: "`UPDATE` or `DELETE` without `WHERE`.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ROW EXCLUSIVE on the table and a row lock on every row until the migration commits",
    problem: "every row is changed in one transaction: writes to any row wait, and the table bloats",
    instead: "a `pgm.backfill(..)` in a data migration of its own (batched, resumable), or a WHERE clause if only some rows are meant",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RequireWhereClause;
        lint_errors(
            Rule::RequireWhereClause,
            &["UPDATE t SET a = 1"],
            IN_TRANSACTION,
        );
        lint_errors(rule, &["DELETE FROM t"], IN_TRANSACTION);
        lint_ok(
            rule,
            &["UPDATE t SET a = 1 WHERE a IS NULL"],
            IN_TRANSACTION,
        );
    }
}
