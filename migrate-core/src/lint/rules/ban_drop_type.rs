//! `ban-drop-type`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-drop-type",
    summary: "`DROP TYPE` or `DROP DOMAIN` outside a migration marked contract.",
    exempt_new_tables: false,
    breaks_running_code: true,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the type",
    problem: "code that still casts to the type or writes columns of it fails",
    instead: "expand/contract: move the code off the type and deploy that everywhere first; then drop it in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanDropType;
        lint_errors(Rule::BanDropType, &["DROP TYPE mood"], IN_TRANSACTION);
        lint_ok(
            rule,
            &["CREATE TYPE mood AS ENUM ('sad', 'ok')"],
            IN_TRANSACTION,
        );
    }
}
