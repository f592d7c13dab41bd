//! `lock-timeout-too-long`: the rule's catalogue entry and its tests. The check is this project's:
//! `lock_timeout_finding` in `check.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "lock-timeout-too-long",
    summary: "`pgm.lock_timeout(..)` longer than 10 seconds, or 0 (no timeout).",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "the migration's statements wait this long for their locks",
    problem: "while a statement waits for its lock, every later query on the table waits behind it, reads included",
    instead: "keep lock_timeout short (the default 500ms, at most 10s) and let the runner retry",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        fn thirty_seconds(pgm: &mut MigrationBuilder) {
            pgm.lock_timeout(Duration::from_secs(30));
            pgm.sql("ALTER TABLE t ADD COLUMN a integer");
        }
        fn two_seconds(pgm: &mut MigrationBuilder) {
            pgm.lock_timeout(Duration::from_secs(2));
            pgm.sql("ALTER TABLE t ADD COLUMN a integer");
        }
        lint_migration_errors(Rule::LockTimeoutTooLong, thirty_seconds);
        lint_migration_ok(Rule::LockTimeoutTooLong, two_seconds);
    }
}
