//! Every recipe of docs/cookbook.md lints clean: the documented safe path passes the CI gate it recommends.
//! (The example app's migrations are linted through the CLI by example-app's `review` test.)

use migrate_core::lint::{self, LintOptions};
use tests::cookbook::RECIPES;

/// Each finding, unparsable operation and note of a report, one line each.
fn problems(report: &lint::Report) -> Vec<String> {
    let mut out = Vec::new();
    for m in &report.migrations {
        for f in &m.findings {
            out.push(format!("{}: {}: {}", m.name, f.rule.name(), f.statement));
        }
        for u in &m.unparsable {
            out.push(format!("{}: cannot parse: {}", m.name, u.message));
        }
        for n in &m.notes {
            out.push(format!("{}: note: {}", m.name, n.message));
        }
    }
    out
}

#[test]
fn every_cookbook_recipe_lints_clean() {
    assert!(
        RECIPES.len() >= 8,
        "the cookbook's recipe markers were not found: {RECIPES:?}"
    );
    let mut failed = Vec::new();
    for recipe in RECIPES {
        assert_eq!(
            recipe.migrations.len(),
            recipe.declared,
            "docs/cookbook.md:{}: recipe {} declares {} migration(s) but its block splits into {} (a `// ` comment \
             after an empty line starts the next one)",
            recipe.line,
            recipe.name,
            recipe.declared,
            recipe.migrations.len()
        );
        for pg_version in [13, lint::DEFAULT_PG_VERSION, 18] {
            let options = LintOptions {
                pg_version,
                ..LintOptions::default()
            };
            let report = lint::lint(recipe.migrations, &[], &options)
                .unwrap_or_else(|e| panic!("recipe {}: {e}", recipe.name));
            for problem in problems(&report) {
                failed.push(format!(
                    "docs/cookbook.md:{} recipe {} (PostgreSQL {pg_version}): {problem}",
                    recipe.line, recipe.name
                ));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "recipes that do not lint clean:\n{}",
        failed.join("\n")
    );
}
