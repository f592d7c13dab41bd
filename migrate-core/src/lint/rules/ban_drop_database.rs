//! `ban-drop-database`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-drop-database",
    summary: "`DROP DATABASE`.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none on the migration's tables; PostgreSQL refuses it while anyone is connected to that database",
    problem: "a whole database is gone, every table and row in it, and no `down` brings it back",
    instead: "drop databases by hand, outside migrations and after a backup: a migration changes the schema of the database it runs on",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanDropDatabase;
        lint_errors(
            Rule::BanDropDatabase,
            &["DROP DATABASE reports"],
            OUTSIDE_TRANSACTION,
        );
        lint_errors(rule, &["DROP DATABASE IF EXISTS reports"], OUTSIDE_TRANSACTION);
        lint_ok(rule, &["DROP SCHEMA reports"], IN_TRANSACTION);
        // The builder has no operation for it; raw SQL is checked.
        lint_migration_errors(rule, |pgm| {
            pgm.no_transaction();
            pgm.sql("DROP DATABASE reports");
        });
        lint_migration_ok(rule, |pgm| {
            pgm.sql("DROP SCHEMA reports");
        });
    }
}
