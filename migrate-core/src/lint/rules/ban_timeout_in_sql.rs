//! `ban-timeout-in-sql`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-timeout-in-sql",
    summary: "Raw SQL that sets `lock_timeout` or `statement_timeout` itself.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none of its own; it replaces the runner's lock_timeout for the rest of the migration",
    problem: "the runner's lock timeout and retries stop protecting the statements after it: a statement waiting for a lock stalls every query on the table for as long as the new timeout allows",
    instead: "`pgm.lock_timeout(Duration)` for this migration's lock_timeout, the run's statement_timeout setting for statement_timeout",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanTimeoutInSql;
        lint_errors(
            Rule::BanTimeoutInSql,
            &["SET LOCAL lock_timeout = '10s'"],
            IN_TRANSACTION,
        );
        lint_errors(rule, &["SET statement_timeout TO 0"], IN_TRANSACTION);
        lint_ok(rule, &["SET LOCAL search_path = app"], IN_TRANSACTION);
    }
}
