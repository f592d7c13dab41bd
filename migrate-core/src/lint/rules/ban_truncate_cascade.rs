//! `ban-truncate-cascade`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-truncate-cascade",
    summary: "`TRUNCATE ... CASCADE`.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "ACCESS EXCLUSIVE on the table and on every table that references it, directly or through others",
    problem: "every table with a foreign key to the truncated one, and every table referencing those, is emptied too, whether the migration names it or not",
    instead: "name every table to empty in the TRUNCATE itself, without CASCADE: PostgreSQL then refuses it when a table that references them is left out",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanTruncateCascade;
        lint_errors(
            Rule::BanTruncateCascade,
            &["TRUNCATE users CASCADE"],
            IN_TRANSACTION,
        );
        lint_ok(rule, &["TRUNCATE users, sessions"], IN_TRANSACTION);
        lint_migration_errors(rule, |pgm| {
            pgm.sql("TRUNCATE TABLE users CASCADE");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.sql("TRUNCATE TABLE users RESTRICT");
        });
    }
}
