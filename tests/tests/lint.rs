//! `migrate lint`: one failing and one passing migration per rule, suppressions, `--down`, `--pg-version` and
//! exit codes. Every run points at a database that does not exist: lint works on compiled migrations only.

use tests::assert_cli_snapshot;
use tests::cli::{FixtureCli, Run};

/// Nothing listens on port 1: a lint that tried to connect would fail.
const NO_DATABASE: &str = "postgres://nobody@127.0.0.1:1/none";

fn lint(fixture: &str, args: &[&str]) -> Run {
    FixtureCli::with_url(fixture, NO_DATABASE).run(args)
}

/// `lint BAD... GOOD...` is pinned (exit 4, findings only for the bad ones); each good one alone exits 0.
#[track_caller]
fn rule_case(snapshot: &str, bad: &[&str], good: &[&str]) {
    let mut args = vec!["lint"];
    args.extend_from_slice(bad);
    args.extend_from_slice(good);
    let run = lint("lint", &args).expect_code(4);
    assert_cli_snapshot!(snapshot, run, &args);
    for name in good {
        lint("lint", &["lint", name]).expect_code(0);
    }
}

#[test]
fn require_concurrent_index_creation() {
    rule_case(
        "lint_require_concurrent_index_creation",
        &["20260401000001"],
        &["20260401000002"],
    );
}

#[test]
fn require_concurrent_index_deletion() {
    rule_case(
        "lint_require_concurrent_index_deletion",
        &["20260401000003"],
        &["20260401000004"],
    );
}

#[test]
fn constraint_missing_not_valid_including_validate_in_the_same_transaction() {
    rule_case(
        "lint_constraint_missing_not_valid",
        &["20260401000005", "20260401000007"],
        &["20260401000006"],
    );
}

#[test]
fn adding_foreign_key_constraint() {
    rule_case(
        "lint_adding_foreign_key_constraint",
        &["20260401000008"],
        &["20260401000009"],
    );
}

#[test]
fn adding_not_nullable_field_passes_with_the_check_recipe() {
    rule_case(
        "lint_adding_not_nullable_field",
        &["20260401000010"],
        &["20260401000011"],
    );
}

#[test]
fn changing_column_type() {
    rule_case(
        "lint_changing_column_type",
        &["20260401000012"],
        &["20260401000013"],
    );
}

#[test]
fn adding_field_with_default_depends_on_the_pg_version() {
    rule_case(
        "lint_adding_field_with_default",
        &["20260401000014"],
        &["20260401000015"],
    );
    // Before PostgreSQL 11 even a constant default rewrites the table.
    let args = ["lint", "20260401000015", "--pg-version", "10"];
    let run = lint("lint", &args).expect_code(4);
    assert_cli_snapshot!("lint_adding_field_with_default_pg10", run, &args);
}

#[test]
fn adding_required_field() {
    rule_case(
        "lint_adding_required_field",
        &["20260401000016"],
        &["20260401000017"],
    );
}

#[test]
fn renaming_column_of_a_new_table_passes() {
    rule_case(
        "lint_renaming_column",
        &["20260401000018"],
        &["20260401000019"],
    );
}

#[test]
fn renaming_table_passes_when_silenced_with_a_reason() {
    rule_case(
        "lint_renaming_table",
        &["20260401000020"],
        &["20260401000021"],
    );
}

#[test]
fn ban_drop_column_passes_when_silenced_with_a_reason() {
    rule_case(
        "lint_ban_drop_column",
        &["20260401000022"],
        &["20260401000023"],
    );
}

#[test]
fn ban_drop_table() {
    rule_case(
        "lint_ban_drop_table",
        &["20260401000024"],
        &["20260401000025"],
    );
}

#[test]
fn disallowed_unique_constraint() {
    rule_case(
        "lint_disallowed_unique_constraint",
        &["20260401000026"],
        &["20260401000027"],
    );
}

#[test]
fn adding_serial_primary_key_field() {
    rule_case(
        "lint_adding_serial_primary_key_field",
        &["20260401000028"],
        &["20260401000029"],
    );
}

#[test]
fn prefer_jsonb() {
    rule_case(
        "lint_prefer_jsonb",
        &["20260401000030"],
        &["20260401000031"],
    );
}

#[test]
fn adding_serial_field() {
    rule_case(
        "lint_adding_serial_field",
        &["20260401000032"],
        &["20260401000033"],
    );
}

#[test]
fn ban_timeout_in_sql() {
    rule_case(
        "lint_ban_timeout_in_sql",
        &["20260401000034"],
        &["20260401000035"],
    );
}

#[test]
fn lock_timeout_too_long() {
    rule_case(
        "lint_lock_timeout_too_long",
        &["20260401000036"],
        &["20260401000035"],
    );
}

#[test]
fn require_where_clause() {
    rule_case(
        "lint_require_where_clause",
        &["20260401000037"],
        &["20260401000038"],
    );
}

#[test]
fn ban_transaction_control() {
    rule_case(
        "lint_ban_transaction_control",
        &["20260401000039"],
        &["20260401000040"],
    );
}

#[test]
fn nulls_not_distinct_needs_pg15() {
    let args = ["lint", "20260401000041", "--pg-version", "14"];
    let run = lint("lint", &args).expect_code(4);
    assert_cli_snapshot!("lint_nulls_not_distinct_needs_pg15", run, &args);
    lint("lint", &["lint", "20260401000041"]).expect_code(0);
    lint("lint", &["lint", "20260401000041", "--pg-version", "16"]).expect_code(0);
}

#[test]
fn tables_created_in_the_same_migration_are_exempt() {
    let args = ["lint", "20260401000042"];
    let run = lint("lint", &args).expect_code(0);
    assert_cli_snapshot!("lint_new_table_exempt", run, &args);
}

#[test]
fn a_suppression_that_silences_nothing_is_a_note() {
    let args = ["lint", "20260401000043_unused_allow"];
    let run = lint("lint", &args).expect_code(0);
    assert_cli_snapshot!("lint_unused_allow", run, &args);
}

#[test]
fn suppressions_without_a_reason_or_with_an_unknown_rule_are_errors() {
    let args = ["lint"];
    let run = lint("lint_invalid", &args).expect_code(1);
    assert_cli_snapshot!("lint_invalid_suppressions", run, &args);
}

#[test]
fn down_is_linted_with_the_flag() {
    // create_table's derived down is a drop_table.
    let args = ["lint", "--down", "20260401000033"];
    let run = lint("lint", &args).expect_code(4);
    assert_cli_snapshot!("lint_down", run, &args);
    // drop_table has no derived down: noted, not an error.
    let run = lint("lint", &["lint", "--down", "20260401000024"]).expect_code(0);
    assert!(run.stdout.contains("`down` not linted"), "{}", run.stdout);
}

#[test]
fn without_names_every_migration_is_linted() {
    let run = lint("lint", &["lint"]).expect_code(4);
    let summary = run.stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with(
            "lint (up, PostgreSQL 15): 23 finding(s) in 21 of 43 migration(s), 2 silenced;"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn exit_codes() {
    // 0: clean; 4: findings (covered above); 1: an unknown name; 2: an invalid argument.
    lint("lint", &["lint", "20260401000002", "20260401000004"]).expect_code(0);
    let unknown = lint("lint", &["lint", "20990101000000"]).expect_code(1);
    assert!(
        unknown
            .stderr
            .contains("no migration named \"20990101000000\""),
        "{}",
        unknown.stderr
    );
    lint("lint", &["lint", "--pg-version", "5"]).expect_code(2);
    assert_eq!(migrate_cli::EXIT_LINT_FINDINGS, 4);
}

#[test]
fn readme_documents_every_rule() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md at the workspace root");
    let section = readme
        .split("## Lint rules")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README.md has a \"## Lint rules\" section");
    let missing: Vec<&str> = migrate_core::lint::Rule::ALL
        .iter()
        .map(|r| r.name())
        .filter(|name| !section.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's \"Lint rules\" section does not document: {missing:?}"
    );
}
