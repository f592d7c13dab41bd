//! `concurrent-index-with-other-ddl`: the rule's catalogue entry and its tests. The check is this project's:
//! `concurrent_with_other_ddl` in `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "concurrent-index-with-other-ddl",
    summary: "A migration that builds an unnamed index (or drops one without `IF EXISTS`) concurrently and runs other statements too.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none of its own; it runs outside any transaction, between the migration's other steps",
    problem: "should the run be stopped while this statement runs, nothing tells the next run whether it took effect (an unnamed build cannot be found by name, a drop without IF EXISTS fails when it did), so instead of continuing the migration the next run marks it for a person",
    instead: "name the index and build it with `create_index(..).concurrently()` (or CREATE INDEX CONCURRENTLY IF NOT EXISTS name), drop it with `drop_index(..).concurrently()` (or DROP INDEX CONCURRENTLY IF EXISTS): the next run then continues the migration wherever a run stopped",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::ConcurrentIndexWithOtherDdl;
        lint_errors(
            Rule::ConcurrentIndexWithOtherDdl,
            &[
                "ALTER TABLE t ADD COLUMN a integer",
                "CREATE INDEX CONCURRENTLY ON t (a)",
            ],
            OUTSIDE_TRANSACTION,
        );
        lint_ok(
            rule,
            &["CREATE INDEX CONCURRENTLY ON t (a)", "ANALYZE t"],
            OUTSIDE_TRANSACTION,
        );
        // Named: the next run recognises it wherever a run stopped.
        lint_ok(
            rule,
            &[
                "ALTER TABLE t ADD COLUMN a integer",
                "CREATE INDEX CONCURRENTLY i ON t (a)",
            ],
            OUTSIDE_TRANSACTION,
        );
    }
}
