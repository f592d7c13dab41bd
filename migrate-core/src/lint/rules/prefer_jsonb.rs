//! `prefer-jsonb`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "prefer-jsonb",
    summary: "A column of type `json` (or `json[]`).",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none of its own (the statement's lock applies)",
    problem: "json has no equality operator (DISTINCT, GROUP BY and UNION fail on it) and is reparsed on every access",
    instead: "use jsonb",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::PreferJsonb;
        lint_errors(
            Rule::PreferJsonb,
            &["ALTER TABLE t ADD COLUMN a json"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["ALTER TABLE t ADD COLUMN a jsonb"], IN_TRANSACTION);
    }
}
