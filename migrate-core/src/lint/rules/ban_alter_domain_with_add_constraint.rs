//! `ban-alter-domain-with-add-constraint`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-alter-domain-with-add-constraint",
    summary: "`ALTER DOMAIN ... ADD CONSTRAINT` on a domain created before the migration.",
    // A domain created earlier in the migration is used by no column yet.
    exempt_new_tables: true,
    breaks_running_code: false,
    on_by_default: true,
    lock: "SHARE on every table with a column of the domain while its rows are checked",
    problem: "every column of the domain, in every table, is checked in one statement while writes to those tables wait; and the constraint then binds all of them at once, with no way to move one table at a time",
    instead: "CHECK constraints on the tables' columns, each added with `pgm.add_constraint_online(..)` (NOT VALID, then VALIDATE in a transaction of its own)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanAlterDomainWithAddConstraint;
        lint_errors(
            Rule::BanAlterDomainWithAddConstraint,
            &["ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%')"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["ALTER DOMAIN email SET DEFAULT ''"], IN_TRANSACTION);
        // A new domain: no column has it yet, nothing is checked.
        lint_ok(
            rule,
            &[
                "CREATE DOMAIN score AS integer",
                "ALTER DOMAIN score ADD CONSTRAINT score_min CHECK (VALUE >= 0)",
            ],
            IN_TRANSACTION,
        );
        lint_migration_errors(rule, |pgm| {
            pgm.alter_domain("email").add_check("VALUE LIKE '%@%'");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.add_constraint_online(
                "users",
                "users_email_has_at",
                migrate_dsl::Constraint::check("email LIKE '%@%'"),
            );
        });
    }
}
