//! `prefer-timestamptz`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "prefer-timestamptz",
    summary: "A new column of type `timestamp` (without time zone).",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: false,
    lock: "none of its own (the statement's lock applies)",
    problem: "the value carries no time zone: clients in other zones, or on either side of a daylight-saving change, write and read different instants under the same value",
    instead: "timestamptz (timestamp with time zone): an instant, shown in each session's time zone",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::PreferTimestamptz;
        lint_errors(
            Rule::PreferTimestamptz,
            &["CREATE TABLE t (at timestamp)"],
            IN_TRANSACTION,
        );
        lint_errors(
            rule,
            &["ALTER TABLE t ADD COLUMN at timestamp without time zone"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["CREATE TABLE t (at timestamptz)"], IN_TRANSACTION);
        lint_migration_errors_with(rule, |pgm| {
            pgm.create_table("t", [column("at", "timestamp")]);
        });
        lint_migration_ok_with(rule, |pgm| {
            pgm.create_table("t", [column("at", "timestamp with time zone")]);
        });
    }
}
