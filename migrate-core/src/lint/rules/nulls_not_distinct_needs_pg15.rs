//! `nulls-not-distinct-needs-pg15`: the rule's catalogue entry and its tests. The check is this project's: `own_hits`
//! in `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "nulls-not-distinct-needs-pg15",
    summary: "`NULLS NOT DISTINCT` before PostgreSQL 15.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none (the server rejects the statement)",
    problem: "NULLS NOT DISTINCT exists only from PostgreSQL 15 on",
    instead: "upgrade the server, or enforce uniqueness over NULLs with an index on COALESCE(..) expressions; if the server is newer, lint with its version (the pg_version lint option)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::NullsNotDistinctNeedsPg15;
        let sql = ["CREATE UNIQUE INDEX CONCURRENTLY i ON t (a) NULLS NOT DISTINCT"];
        let pg14 = Run {
            pg: 14,
            transactional: false,
        };
        lint_errors(Rule::NullsNotDistinctNeedsPg15, &sql, pg14);
        lint_ok(rule, &sql, OUTSIDE_TRANSACTION);
    }
}
