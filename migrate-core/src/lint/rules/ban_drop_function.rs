//! `ban-drop-function`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-drop-function",
    summary: "`DROP FUNCTION`, `PROCEDURE`, `ROUTINE` or `AGGREGATE` outside a migration marked contract.",
    exempt_new_tables: false,
    breaks_running_code: true,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the function",
    problem: "code (and triggers, views, defaults) that still calls the function fails",
    instead: "expand/contract: move every caller off the function and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanDropFunction;
        lint_errors(
            Rule::BanDropFunction,
            &["DROP FUNCTION f(integer)"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql AS 'SELECT a'"],
            IN_TRANSACTION,
        );
    }
}
