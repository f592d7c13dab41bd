//! `disallowed-unique-constraint`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "disallowed-unique-constraint",
    summary: "`ADD CONSTRAINT ... UNIQUE` without `USING INDEX`.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table while the unique index is built",
    problem: "reads and writes wait for the index build",
    instead: "`pgm.add_constraint_online(..)`: it builds the unique index CONCURRENTLY, then adds the constraint USING INDEX (instant)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::DisallowedUniqueConstraint;
        lint_errors(
            Rule::DisallowedUniqueConstraint,
            &["ALTER TABLE t ADD CONSTRAINT k UNIQUE (a)"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ADD CONSTRAINT k UNIQUE USING INDEX k_index"],
            IN_TRANSACTION,
        );
    }
}
