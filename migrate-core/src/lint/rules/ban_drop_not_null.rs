//! `ban-drop-not-null`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-drop-not-null",
    summary: "`ALTER COLUMN ... DROP NOT NULL` on a table, or `ALTER DOMAIN ... DROP NOT NULL`.",
    exempt_new_tables: true,
    breaks_running_code: true,
    on_by_default: false,
    lock: "ACCESS EXCLUSIVE on the table (instant)",
    problem: "code that is running reads the column as always set: once rows hold NULL it may fail on them",
    instead: "make the column nullable in a migration marked `pgm.contract(\"..\")`, applied once every app version that reads it handles NULL; or silence the finding with that reason",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanDropNotNull;
        lint_errors(
            Rule::BanDropNotNull,
            &["ALTER TABLE posts ALTER COLUMN title DROP NOT NULL"],
            IN_TRANSACTION,
        );
        lint_errors(rule, &["ALTER DOMAIN email DROP NOT NULL"], IN_TRANSACTION);
        lint_ok(
            rule,
            &["ALTER TABLE posts ALTER COLUMN title SET DEFAULT ''"],
            IN_TRANSACTION,
        );
        lint_migration_errors_with(rule, |pgm| {
            pgm.alter_column("posts", "title").drop_not_null();
        });
        // After the rollout, as a contract: accepted with its reason.
        lint_migration_ok_with(rule, |pgm| {
            pgm.contract("every reader of posts.title handles NULL since v42");
            pgm.alter_column("posts", "title").drop_not_null();
        });
        // Off unless the project turns it on.
        lint_migration_ok(rule, |pgm| {
            pgm.alter_column("posts", "title").drop_not_null();
        });
    }
}
