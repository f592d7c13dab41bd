//! `adding-serial-primary-key-field`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "adding-serial-primary-key-field",
    summary: "`ADD PRIMARY KEY` without `USING INDEX`.",
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table while the primary key index is built",
    problem: "reads and writes wait for the index build",
    instead: "`pgm.add_constraint_online(..)`: it builds the unique index CONCURRENTLY, then adds the constraint PRIMARY KEY USING INDEX (instant; it scans for NULLs unless the columns are NOT NULL already)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::AddingSerialPrimaryKeyField;
        lint_errors(
            Rule::AddingSerialPrimaryKeyField,
            &["ALTER TABLE t ADD PRIMARY KEY (id)"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_index"],
            IN_TRANSACTION,
        );
    }
}
