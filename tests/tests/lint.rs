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
fn constraint_missing_not_valid_but_not_a_validate_in_its_own_transaction() {
    rule_case(
        "lint_constraint_missing_not_valid",
        &["20260401000005"],
        // 7 validates in the same migration as the ADD, in a transaction of its own.
        &["20260401000006", "20260401000007"],
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

/// A whole-table UPDATE in the transaction that altered the table is flagged. A derived `down` is linted
/// like an `up`: `rename_column_online(..).contract()`'s adds the old column back and copies the values into
/// it in batches (a backfill, outside the transaction that added the column), so it has no such finding.
#[test]
fn whole_table_update_in_the_transaction_that_altered_the_table() {
    rule_case(
        "lint_whole_table_update",
        &["20260401000055"],
        &["20260401000056"],
    );
    let run = FixtureCli::with_url("online", NO_DATABASE)
        .run(&["lint", "--down", "20261201000003"])
        .expect_code(0);
    assert!(
        run.stdout.contains("no findings in 1 migration(s)"),
        "{}",
        run.stdout
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
fn adding_field_with_check() {
    rule_case(
        "lint_adding_field_with_check",
        &["20260401000044"],
        &["20260401000045"],
    );
}

#[test]
fn adding_field_with_foreign_key() {
    rule_case(
        "lint_adding_field_with_foreign_key",
        &["20260401000046"],
        &["20260401000047"],
    );
}

#[test]
fn adding_field_with_unique() {
    rule_case(
        "lint_adding_field_with_unique",
        &["20260401000048"],
        &["20260401000049"],
    );
}

#[test]
fn concurrent_index_with_other_ddl() {
    rule_case(
        "lint_concurrent_index_with_other_ddl",
        &["20260401000050"],
        &["20260401000051"],
    );
}

#[test]
fn findings_carry_the_line_of_the_call_in_the_migration_file() {
    let run = lint(
        "lint",
        &["lint", "20260401000044", "20260401000047", "20260401000036"],
    )
    .expect_code(4);
    // `pgm.add_columns(` spans four lines from line 5; `pgm.lock_timeout(..)` is on line 7.
    assert!(
        run.stdout
            .contains("  #1 (add_columns), line 5: adding-field-with-check\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  line 7: lock-timeout-too-long\n"),
        "{}",
        run.stdout
    );
    // A derived down points at the `up` call it undoes.
    let down = lint("lint", &["lint", "--down", "20260401000033"]).expect_code(4);
    assert!(
        down.stdout
            .contains("#1 (drop_table), line 5: ban-drop-table"),
        "{}",
        down.stdout
    );
}

/// The 1-based line of `file` (in fixture `fixture`) that starts with `text`.
fn line_starting(fixture: &str, file: &str, text: &str) -> usize {
    let source =
        std::fs::read_to_string(tests::fixtures::dir(fixture).join(file)).expect("fixture");
    source
        .lines()
        .position(|l| l.trim_start().starts_with(text))
        .unwrap_or_else(|| panic!("{file} has no line starting with {text}"))
        + 1
}

/// A finding in raw SQL points at its statement's line in the migration file (the line the string starts on
/// plus the statement's line inside it), not at the `pgm.sql(` call: an imported migration is one call
/// holding the whole SQL file, and its findings would all name the same line.
#[test]
fn findings_in_raw_sql_carry_the_line_of_their_statement() {
    let file = "20260601000002_settings.rs";
    let run = lint("sql_lines", &["lint", "20260601000002"]).expect_code(4);
    let call = line_starting("sql_lines", file, "pgm.sql(");
    for (starts, rule) in [
        ("ALTER TABLE customers", "prefer-jsonb"),
        (
            "CREATE INDEX customers_email_index",
            "require-concurrent-index-creation",
        ),
        ("UPDATE customers", "require-where-clause"),
    ] {
        let line = line_starting("sql_lines", file, starts);
        assert!(line > call + 1, "{starts}");
        assert!(
            run.stdout
                .contains(&format!("  #1 (sql), line {line}: {rule}\n")),
            "{rule} on line {line}:\n{}",
            run.stdout
        );
    }
    let json = lint("sql_lines", &["lint", "--format", "json", "20260601000002"]).expect_code(4);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    let lines: Vec<u64> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["line"].as_u64())
        .collect();
    let expected: Vec<u64> = [
        "ALTER TABLE customers",
        "CREATE INDEX customers_email_index",
        "UPDATE customers",
    ]
    .iter()
    .map(|starts| line_starting("sql_lines", file, starts) as u64)
    .collect();
    assert_eq!(lines, expected, "{}", json.stdout);
}

#[test]
fn unparsable_sql_is_an_error_naming_the_file_operation_and_line() {
    let args = ["lint"];
    let run = lint("lint_unparsable", &args).expect_code(1);
    assert_cli_snapshot!("lint_unparsable_sql", run, &args);
    lint("lint_unparsable", &["lint", "20260403000002"]).expect_code(0);
    // In every format: the exit code is what CI goes by.
    let json = lint("lint_unparsable", &["lint", "--format", "json"]).expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["diagnostics"][0]["severity"], "error");
    // The line of the typo inside the string, not the `pgm.sql(` call's (line 6).
    assert_eq!(report["diagnostics"][0]["line"], 8);
    assert_eq!(report["diagnostics"][0]["operation"], "sql");
    let github = lint("lint_unparsable", &["lint", "--format", "github"]).expect_code(1);
    assert!(
        github.stdout.starts_with("::error file="),
        "{}",
        github.stdout
    );
}

#[test]
fn json_format_has_stable_fields() {
    // A finding, a silenced finding and a note.
    let args = [
        "lint",
        "--format",
        "json",
        "20260401000050",
        "20260401000021",
        "20260401000043",
    ];
    let run = lint("lint", &args).expect_code(4);
    assert_cli_snapshot!("lint_format_json", run, &args);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    let first = &report["diagnostics"][0];
    for field in [
        "severity",
        "file",
        "line",
        "migration",
        "direction",
        "position",
        "operation",
        "rule",
        "message",
        "suggestion",
        "lock",
        "statement",
        "silenced",
    ] {
        assert!(first.get(field).is_some(), "missing {field}: {first}");
    }
    assert_eq!(first["rule"], "concurrent-index-with-other-ddl");
    assert_eq!(first["line"], 8);
    assert_eq!(report["summary"]["findings"], 1);
    assert_eq!(report["summary"]["silenced"], 1);
    assert_eq!(report["summary"]["notes"], 1);
    // Clean: exit 0, still JSON.
    let clean = lint("lint", &["lint", "--format", "json", "20260401000002"]).expect_code(0);
    let clean: serde_json::Value = serde_json::from_str(&clean.stdout).expect("JSON on stdout");
    assert_eq!(clean["diagnostics"], serde_json::json!([]));
}

#[test]
fn github_format_annotates_the_line() {
    let args = [
        "lint",
        "--format",
        "github",
        "20260401000044",
        "20260401000021",
        "20260401000043",
    ];
    let run = lint("lint", &args).expect_code(4);
    assert_cli_snapshot!("lint_format_github", run, &args);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("::warning file=")
            && l.contains(",line=5,title=adding-field-with-check::")),
        "{}",
        run.stdout
    );
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
            "lint (up, PostgreSQL 15): 37 finding(s) in 27 of 56 migration(s), 16 silenced;"
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
    lint("lint", &["lint", "--format", "yaml"]).expect_code(2);
    assert_eq!(migrate_cli::EXIT_LINT_FINDINGS, 4);
}

/// The rules off by default (they judge a new column's type) are checked once `[lint] enable` in
/// `migrate.toml` names them; `disable` turns a rule off; an unknown name is an error that names it.
#[test]
fn migrate_toml_turns_rules_on_and_off() {
    let cli = FixtureCli::with_url("lint", NO_DATABASE);
    let config = |text: &str| {
        std::fs::write(cli.cwd().join("migrate.toml"), text).expect("writes migrate.toml");
    };
    // 45 adds an `integer` column, the right way.
    cli.run(&["lint", "20260401000045"]).expect_code(0);
    config("[lint]\nenable = [\"prefer-bigint-over-int\"]\n");
    let on = cli.run(&["lint", "20260401000045"]).expect_code(4);
    assert!(
        on.stdout.contains("prefer-bigint-over-int"),
        "{}",
        on.stdout
    );
    // 44's one finding by default is its inline CHECK.
    config("[lint]\ndisable = [\"adding-field-with-check\"]\n");
    cli.run(&["lint", "20260401000044"]).expect_code(0);
    config("[lint]\nenable = [\"prefer-bigint\"]\n");
    let unknown = cli.run(&["lint", "20260401000045"]).expect_code(1);
    assert!(
        unknown.stderr.contains("unknown lint rule `prefer-bigint`"),
        "{}",
        unknown.stderr
    );
}

/// Every rule has its section in the guide's lint rules reference (generated from the rule table by
/// migrate-cli/tests/reference_pages.rs), and the lint chapter points there; the unknown-rule error names it.
#[test]
fn the_guide_documents_every_rule() {
    let docs = tests::cli::workspace_root().join("docs");
    let reference = std::fs::read_to_string(docs.join("reference/lint-rules.md"))
        .expect("docs/reference/lint-rules.md");
    let missing: Vec<&str> = migrate_core::lint::Rule::ALL
        .iter()
        .map(|r| r.name())
        .filter(|name| !reference.contains(&format!("## `{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/reference/lint-rules.md does not document: {missing:?}"
    );
    let chapter = std::fs::read_to_string(docs.join("lint.md")).expect("docs/lint.md");
    assert!(chapter.contains("](reference/lint-rules.md)"));
}

/// Dropping a type or a function breaks the running code like dropping a column: raw SQL is checked
/// through its parse. In a migration marked `pgm.contract(..)` the same drops are accepted with its reason.
#[test]
fn ban_drop_type_and_function_outside_a_contract() {
    rule_case(
        "lint_ban_drop_type_and_function",
        &["20260401000052"],
        &["20260401000053"],
    );
}

/// The contract's reason accepts the drops and the rename (listed as silenced by it), and nothing else: a
/// type change that rewrites the table is still a finding in a contract.
#[test]
fn a_contract_accepts_what_breaks_the_old_version_and_nothing_else() {
    let args = ["lint", "20260401000053", "20260401000054"];
    let run = lint("lint", &args).expect_code(4);
    assert_cli_snapshot!("lint_contract", run, &args);
}

/// `lint::lint` is `collect` then `analyse`; the installed `migrate lint` sends what a
/// runner collected through JSON in between. Every fixture with something for lint to say gives the same
/// report (or the same error) either way, in both directions, for the oldest, default and newest majors.
#[test]
fn collected_inputs_through_json_give_the_same_report_for_every_lint_fixture() {
    use migrate_core::lint::{self, LintInputs, LintOptions};
    use migrate_core::Direction;

    for fixture in [
        "lint",
        "lint_invalid",
        "lint_unparsable",
        "since_pg",
        "since_pg_old",
        "needs_pg15",
        "online",
        "phases",
        "irreversible",
        "tiny_lock_timeout",
        "sql_lines",
    ] {
        let registry = tests::fixtures::registry(fixture).expect("a fixture");
        for direction in [Direction::Up, Direction::Down] {
            for pg_version in [13, lint::DEFAULT_PG_VERSION, 18] {
                let options = LintOptions {
                    direction,
                    pg_version,
                };
                let at = format!("{fixture} {direction} PostgreSQL {pg_version}");
                let whole = lint::lint(registry.migrations.as_slice(), &[], &options);
                let through_json = lint::collect(registry.migrations.as_slice(), &[], &options)
                    .map(|inputs| {
                        let read =
                            LintInputs::from_json(&inputs.to_json()).expect("reads its JSON");
                        assert_eq!(read, inputs, "{at}");
                        lint::analyse(&read)
                    });
                match (whole, through_json) {
                    (Ok(whole), Ok(through_json)) => assert_eq!(through_json, whole, "{at}"),
                    (Err(whole), Err(through_json)) => {
                        assert_eq!(through_json.to_string(), whole.to_string(), "{at}")
                    }
                    (whole, through_json) => {
                        panic!("{at}: lint gave {whole:?}, collect and analyse {through_json:?}")
                    }
                }
            }
        }
    }
}

/// A project with history, brought over by `import`: its applied migrations have findings nobody will fix (an
/// edit, even a `// lint: allow` comment, changes their checksum on every database). `lint --write-baseline`
/// accepts them in `lint-baseline.json` next to migrate.toml, after which `lint` passes, and a new migration's
/// findings are the only ones reported; `--since REV` lints only the migrations changed since a git revision.
#[test]
fn a_project_with_history_lints_only_what_is_new() {
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "linthistory");
    std::fs::create_dir(app.path().join("migrations")).unwrap();
    let src = tempfile::tempdir().unwrap();
    for (i, sql) in [
        "CREATE TABLE items (id bigint PRIMARY KEY, label text);",
        "CREATE INDEX items_label ON items (label);",
        "ALTER TABLE items DROP COLUMN label;",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(src.path().join(format!("{}_step.up.sql", i + 1)), sql).unwrap();
    }
    let target = tests::cli::e2e_target();
    let env = [("CARGO_TARGET_DIR", target.to_str().unwrap())];
    let migrate = |args: &[&str]| tests::cli::front(app.path(), args, &env);
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(app.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    migrate(&[
        "import",
        "--from",
        "golang-migrate",
        src.path().to_str().unwrap(),
        "--no-adopt",
    ])
    .expect_code(0);
    let imported = migrate(&["lint"]).expect_code(4);
    assert!(
        imported.stdout.contains("20000101000001_step"),
        "{}",
        imported.stdout
    );

    let written = migrate(&["lint", "--write-baseline"]).expect_code(0);
    assert!(
        written.stdout.contains("lint-baseline.json"),
        "{}",
        written.stdout
    );
    assert!(app.path().join("lint-baseline.json").is_file());
    let accepted = migrate(&["lint"]).expect_code(0);
    assert!(
        accepted.stdout.contains("accepted by the baseline"),
        "{}",
        accepted.stdout
    );
    // A baseline that accepts more than there is can shrink: the note says so, the hint names the flag.
    let baseline = std::fs::read_to_string(app.path().join("lint-baseline.json")).unwrap();
    let inflated = baseline.replacen("\"count\": 1", "\"count\": 2", 1);
    assert_ne!(inflated, baseline, "{baseline}");
    std::fs::write(app.path().join("lint-baseline.json"), inflated).unwrap();
    let shrinkable = migrate(&["lint"]).expect_code(0);
    assert!(
        shrinkable
            .stdout
            .contains("writing the baseline again shrinks it")
            && shrinkable
                .stderr
                .contains("hint: `migrate lint --write-baseline` shrinks the baseline"),
        "{}\n{}",
        shrinkable.stdout,
        shrinkable.stderr
    );
    std::fs::write(app.path().join("lint-baseline.json"), baseline).unwrap();
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "imported"]);

    let created = migrate(&["create", "index", "labels"]).expect_code(0);
    let rel = created
        .stdout
        .trim()
        .strip_prefix("created ")
        .unwrap()
        .to_owned();
    std::fs::write(
        app.path().join(&rel),
        "//! Labels again.\nuse migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    \
         pgm.sql(\"CREATE INDEX items_id ON items (id)\");\n}\n",
    )
    .unwrap();
    let new_name = std::path::Path::new(&rel)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let fresh = migrate(&["lint"]).expect_code(4);
    assert!(fresh.stdout.contains(&new_name), "{}", fresh.stdout);
    assert!(
        !fresh.stdout.contains("20000101000001_step"),
        "{}",
        fresh.stdout
    );

    // Only what changed since the commit (the new file, not committed yet), the baseline left out.
    let since = migrate(&["lint", "--since", "HEAD", "--no-baseline"]).expect_code(4);
    assert!(
        since.stdout.contains("1 finding(s) in 1 of 1 migration(s)"),
        "{}",
        since.stdout
    );
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "new"]);
    let committed = migrate(&["lint", "--since", "HEAD~1", "--no-baseline"]).expect_code(4);
    assert!(committed.stdout.contains(&new_name), "{}", committed.stdout);
    assert!(
        committed.stdout.contains("in 1 of 1 migration(s)"),
        "{}",
        committed.stdout
    );
    let nothing = migrate(&["lint", "--since", "HEAD"]).expect_code(0);
    assert!(
        nothing.stdout.contains("no findings in 0 migration(s)"),
        "{}",
        nothing.stdout
    );
}

/// `prefer-bigint-over-int`, on by default: a foreign key column narrower than the key an earlier migration
/// created. A new integer key and a plain integer column pass unless the rule is enabled by name, which flags
/// both (the key said to be one).
#[test]
fn prefer_bigint_over_int_flags_keys_and_narrower_foreign_keys() {
    let args = ["lint", "20261201000002", "20261201000003"];
    let run = lint("lint_keys", &args).expect_code(4);
    assert_cli_snapshot!("lint_prefer_bigint_over_int_keys", run, &args);
    lint("lint_keys", &["lint", "20261201000003"]).expect_code(0);
    // A foreign key added later (`ADD CONSTRAINT .. FOREIGN KEY`) to a column an earlier migration declared.
    let added = lint("lint_keys", &["lint", "20261201000004"]).expect_code(4);
    assert!(
        added
            .stdout
            .contains("carts.customer_id is integer and references customers.id, a bigint"),
        "{}",
        added.stdout
    );
    let cli = FixtureCli::with_url("lint_keys", NO_DATABASE);
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[lint]\nenable = [\"prefer-bigint-over-int\"]\n",
    )
    .expect("migrate.toml");
    let every = cli
        .run(&["lint", "20261201000002", "20261201000003"])
        .expect_code(4);
    for flagged in [
        "the new key orders.id is serial: its values run out at 2,147,483,647",
        "orders.customer_id is integer and references customers.id, a bigint",
        "CREATE TABLE \"payments\"",
    ] {
        assert!(
            every.stdout.contains(flagged),
            "{flagged}:\n{}",
            every.stdout
        );
    }
}
