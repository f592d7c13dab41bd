//! `ban-transaction-control`: the rule's catalogue entry and its tests. The check is this project's: `own_hits` in
//! `sql.rs`.

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-transaction-control",
    summary: "`BEGIN`, `COMMIT`, `ROLLBACK` and the like in a migration.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none of its own",
    problem: "the runner owns the transaction: COMMIT ends it early (the migration is half applied and not recorded), BEGIN and ROLLBACK break its bookkeeping",
    instead: "leave transactions to the runner; use `pgm.no_transaction()` for statements that must run outside one, and separate migrations for separate transactions",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanTransactionControl;
        lint_errors(Rule::BanTransactionControl, &["COMMIT"], IN_TRANSACTION);
        lint_errors(rule, &["BEGIN; SELECT 1; ROLLBACK"], IN_TRANSACTION);
        lint_ok(rule, &["SELECT 1"], IN_TRANSACTION);
    }
}
