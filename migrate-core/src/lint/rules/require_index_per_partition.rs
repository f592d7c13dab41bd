//! `require-index-per-partition`: the rule's catalogue entry and its tests. The check is this project's:
//! `per_partition` in `check.rs`, on what `partitioned.rs` reads.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "require-index-per-partition",
    summary: "`CREATE INDEX` on a partitioned table, plain (it builds every partition's index while writes wait) or `CONCURRENTLY` (which PostgreSQL refuses on a partitioned table).",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "SHARE on the table and each partition as its index is built: blocks INSERT, UPDATE and DELETE on all of them until the last is built (CONCURRENTLY: refused on a partitioned table)",
    problem: "a partitioned table cannot be indexed CONCURRENTLY, and the plain build holds writes on every partition for the whole build",
    instead: "`create_index(..).concurrently_per_partition()`: the index ON ONLY the parent, then CONCURRENTLY on each partition and attached, each step on its own, continued where a run stopped",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        fn concurrent_on_partitioned(pgm: &mut MigrationBuilder) {
            pgm.no_transaction();
            pgm.sql("CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at)");
            pgm.sql("CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at ON events (at)");
        }
        lint_migration_errors(Rule::RequireIndexPerPartition, concurrent_on_partitioned);
        fn per_partition(pgm: &mut MigrationBuilder) {
            pgm.sql("CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at)");
            pgm.create_index("events", ["at"])
                .concurrently_per_partition();
        }
        lint_migration_ok(Rule::RequireIndexPerPartition, per_partition);
        lint_migration_ok(Rule::RequireConcurrentIndexCreation, per_partition);
    }
}
