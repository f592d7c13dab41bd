//! `ban-duplicate-column-assignments`: the rule's catalogue entry and its tests. Squawk's linter runs the check (see
//! `squawk.rs`).

use super::Meta;

pub(super) const META: Meta = Meta {
    name: "ban-duplicate-column-assignments",
    summary: "A column assigned twice in one statement (`UPDATE ... SET a = 1, a = 2`, `INSERT INTO t (a, a)`), or two columns of one name in a new table or view.",
    exempt_new_tables: false,
    breaks_running_code: false,
    on_by_default: true,
    lock: "none (PostgreSQL refuses the statement)",
    problem: "PostgreSQL refuses the statement, so the migration fails when it runs, after the statements before it",
    instead: "assign or define each column once",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::rules::testing::*;

    #[test]
    fn flags_and_passes() {
        let rule = Rule::BanDuplicateColumnAssignments;
        lint_errors(
            Rule::BanDuplicateColumnAssignments,
            &["UPDATE posts SET title = 'a', title = 'b' WHERE id = 1"],
            IN_TRANSACTION,
        );
        lint_errors(
            rule,
            &["INSERT INTO posts (title, title) VALUES ('a', 'b')"],
            IN_TRANSACTION,
        );
        lint_ok(
            rule,
            &["UPDATE posts SET title = 'a', body = 'b' WHERE id = 1"],
            IN_TRANSACTION,
        );
        lint_migration_errors(rule, |pgm| {
            pgm.create_table("posts", [column("id", "bigint"), column("id", "text")]);
        });
        lint_migration_ok(rule, |pgm| {
            pgm.create_table("posts", [column("id", "bigint"), column("title", "text")]);
        });
    }
}
