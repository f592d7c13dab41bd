//! `whole-table-update`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in `sql.rs`,
//! with `whole_table.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "whole-table-update",
    summary: "`UPDATE` or `DELETE` whose `WHERE` picks rows only by their own columns (`WHERE new IS NOT NULL`, `WHERE a IS DISTINCT FROM b`): no constant, parameter or subquery bounds it, so it reaches about every row of the table, in one statement and one transaction.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ROW EXCLUSIVE on the table and a row lock on every row it changes until the migration commits; ACCESS EXCLUSIVE on the table for all of it when the same transaction altered the table first",
    problem: "about every row is changed in one transaction: writes to those rows wait until the commit (reads and writes of the whole table when the transaction altered it first, as a derived `down` that adds a column back and copies the values into it does), and the table bloats",
    instead: "a `pgm.backfill(..)` in a data migration of its own (batched, resumable, outside the transaction that changes the table), or a WHERE clause naming the rows meant when only some are",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::WholeTableUpdate;
        lint_errors(
            Rule::WholeTableUpdate,
            &[r#"UPDATE "comments" SET "contents" = "body" WHERE "body" IS NOT NULL"#],
            IN_TRANSACTION,
        );
        lint_errors(
            rule,
            &["DELETE FROM t WHERE a IS DISTINCT FROM b"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["UPDATE t SET a = b WHERE id BETWEEN 1 AND 1000"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &[
                "CREATE TABLE t (a int, b int)",
                "UPDATE t SET a = b WHERE a IS NULL",
            ],
            IN_TRANSACTION,
        );
    }
}
