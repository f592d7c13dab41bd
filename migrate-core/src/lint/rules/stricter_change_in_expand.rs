//! `stricter-change-in-expand`: the rule's catalogue entry and its tests. The check is `phase::stricter_changes`,
//! the classifier the deploy plan uses too (run by `check.rs`), so lint and `up --expand-only` agree.

use super::Meta;

/// A change that makes the database refuse what the app version still running may write (`SET NOT NULL`, a new
/// `CHECK`, `UNIQUE`, primary key or foreign key on existing columns, even `NOT VALID`, an in-place type change, a
/// dropped default, a renamed enum value) in a migration not marked contract: the deploy plan treats the
/// migration as a contract all the same.
pub(super) const META: Meta = Meta {
    name: "stricter-change-in-expand",
    summary: "A change that refuses what the running app version may write, in a migration not marked `pgm.contract(..)`.",
    exempt_new_tables: true,
    breaks_running_code: true,
    on_by_default: true,
    lock: "none of its own (the statement's lock applies); writes of the running app version that it refuses fail from then on",
    problem: "during a rolling deploy the previous release still writes (NULLs, values the new CHECK or type refuses, duplicates, orphans), and those writes fail; a constraint added NOT VALID refuses them too (only rows already there are spared); an expand-only `up` stops before this migration, as before a contract",
    instead: "expand/contract: ship the code that writes only what the change accepts (backfill the rows already there in an expand), then make the change in a migration marked `pgm.contract(\"<which app version must be gone>\")`, applied after the rollout; for a constraint, add it NOT VALID and VALIDATE it there (`pgm.add_constraint_online(..)`, `pgm.set_not_null(..)`). If no running version writes what it refuses, say so: `// lint: allow stricter-change-in-expand -- <why>` (the migration is then an expand)",
};

#[cfg(all(test, feature = "lint"))]
mod tests {
    use crate::lint::check::lint;
    use crate::lint::inputs::LintOptions;
    use crate::lint::rules::testing::*;
    use crate::migration::{Definition, Migration};
    use migrate_dsl::prelude::Constraint;

    fn not_null(pgm: &mut MigrationBuilder) {
        pgm.set_not_null("orders", "note");
    }

    #[test]
    fn flags_and_passes() {
        lint_migration_errors(Rule::StricterChangeInExpand, not_null);
        fn type_change(pgm: &mut MigrationBuilder) {
            pgm.sql("ALTER TABLE orders ALTER COLUMN total TYPE bigint");
        }
        lint_migration_errors(Rule::StricterChangeInExpand, type_change);
        fn marked(pgm: &mut MigrationBuilder) {
            pgm.contract("release 1 writes NULL notes");
            pgm.set_not_null("orders", "note");
        }
        lint_migration_ok(Rule::StricterChangeInExpand, marked);
        fn new_table(pgm: &mut MigrationBuilder) {
            pgm.create_table("orders", [column("note", "text")]);
            pgm.set_not_null("orders", "note");
        }
        lint_migration_ok(Rule::StricterChangeInExpand, new_table);
        fn additive(pgm: &mut MigrationBuilder) {
            pgm.add_columns("orders", [column("code", "text")]);
            pgm.add_constraint_online("orders", None, Constraint::check("length(code) = 8"));
        }
        lint_migration_ok(Rule::StricterChangeInExpand, additive);
    }

    /// One finding per operation, with the fix; the `lint: allow` of the rule makes the migration an expand,
    /// and the deploy plan reads the same comment.
    #[test]
    fn one_finding_per_operation_and_the_allow_comment_makes_an_expand() {
        let migration = |source: &'static str| {
            Migration::defined(Box::leak(Box::new(Definition {
                name: "20260101000001_m",
                path: "/migrations/20260101000001_m.rs",
                source,
                up: not_null,
                down: None,
            })))
        };
        let report = lint(&[migration("")], &[], &LintOptions::default()).expect("lint runs");
        let found: Vec<_> = report.migrations[0]
            .findings
            .iter()
            .filter(|f| f.rule == Rule::StricterChangeInExpand)
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].detail.as_deref(),
            Some(
                "a new CHECK on orders: the app version still running may write what it refuses, and the \
                 migration is not marked `pgm.contract(..)`"
            )
        );
        assert!(Rule::StricterChangeInExpand
            .instead()
            .contains("pgm.contract(\"<which app version must be gone>\")"));
        assert!(migration("").contract().is_some());
        let accepted =
            migration("// lint: allow stricter-change-in-expand -- every release writes a note\n");
        let report = lint(
            std::slice::from_ref(&accepted),
            &[],
            &LintOptions::default(),
        )
        .expect("lint runs");
        assert!(report.migrations[0]
            .findings
            .iter()
            .all(|f| f.rule != Rule::StricterChangeInExpand));
        assert_eq!(accepted.contract(), None);
        assert_eq!(
            Rule::StricterChangeInExpand.name(),
            crate::phase::STRICTER_RULE
        );
    }
}
