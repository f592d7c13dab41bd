//! `ban-create-domain-with-constraint`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-create-domain-with-constraint",
    summary: "`CREATE DOMAIN` with a `CHECK` or `NOT NULL` constraint.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: false,
    lock: "none of its own (the domain is new)",
    problem: "the constraint binds every column of the domain at once: changing it later checks all of them in one statement while writes to their tables wait, and no table can move to a new rule on its own",
    instead: "a domain without constraints (or the base type), and CHECK constraints on the tables' columns, which can each be added NOT VALID and validated on their own",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanCreateDomainWithConstraint;
        lint_errors(
            Rule::BanCreateDomainWithConstraint,
            &["CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%')"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["CREATE DOMAIN email AS text"], IN_TRANSACTION);
        lint_migration_errors_with(rule, |pgm| {
            pgm.create_domain("email", "text").not_null();
        });
        lint_migration_ok_with(rule, |pgm| {
            pgm.create_domain("email", "text").collation("C");
        });
        // Off unless the project turns it on.
        lint_migration_ok(rule, |pgm| {
            pgm.create_domain("email", "text").not_null();
        });
    }
}
