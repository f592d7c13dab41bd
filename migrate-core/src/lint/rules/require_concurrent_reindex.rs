//! `require-concurrent-reindex`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "require-concurrent-reindex",
    summary: "`REINDEX` of a table, an index, a schema or a database without `CONCURRENTLY`.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "SHARE on the table and ACCESS EXCLUSIVE on each index while it is rebuilt: writes wait, and so do reads that would use the index",
    problem: "writes to the table, and queries planned on the index, wait for the rebuild",
    instead: "REINDEX ... CONCURRENTLY (PostgreSQL 12 and later): the engine runs it on its own, outside the migration's transaction, and a rerun after an interruption simply rebuilds again",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RequireConcurrentReindex;
        lint_errors(
            Rule::RequireConcurrentReindex,
            &["REINDEX INDEX posts_title_index"],
            IN_TRANSACTION,
        );
        lint_errors(rule, &["REINDEX TABLE posts"], IN_TRANSACTION);
        lint_ok(
            rule,
            &["REINDEX INDEX CONCURRENTLY posts_title_index"],
            OUTSIDE_TRANSACTION,
        );
        lint_migration_errors(rule, |pgm| {
            pgm.sql("REINDEX TABLE posts");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.sql("REINDEX TABLE CONCURRENTLY posts");
        });
    }
}
