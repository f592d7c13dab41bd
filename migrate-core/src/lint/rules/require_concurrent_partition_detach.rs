//! `require-concurrent-partition-detach`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "require-concurrent-partition-detach",
    summary: "`ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY`, on PostgreSQL 14 and later.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the partitioned table and the partition",
    problem: "reads and writes of the whole partitioned table wait for the detach, and the detach waits for every query already running on it",
    instead: "DETACH PARTITION ... CONCURRENTLY (SHARE UPDATE EXCLUSIVE on the partitioned table): the engine runs it on its own, outside the migration's transaction; one interrupted half-way is completed with DETACH PARTITION ... FINALIZE",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::RequireConcurrentPartitionDetach;
        lint_errors(
            Rule::RequireConcurrentPartitionDetach,
            &["ALTER TABLE events DETACH PARTITION events_2020"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY"],
            OUTSIDE_TRANSACTION,
        );
        // Before PostgreSQL 14 there is nothing else to do.
        let pg13 = Run {
            pg: 13,
            transactional: true,
        };
        lint_ok(
            rule,
            &["ALTER TABLE events DETACH PARTITION events_2020"],
            pg13,
        );
        lint_migration_errors(rule, |pgm| {
            pgm.detach_partition("events", "events_2020");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.detach_partition("events", "events_2020").concurrently();
        });
    }
}
