//! The example app's migrations pass their own review tools: the lint rules find nothing unsilenced, `verify`
//! proves every `down` undoes its `up`, and the committed schema file is what the migrations give.

use std::process::Command;

use tests::TestDb;

fn runner(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_example-app-migrate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", db.url())
        .env(
            "MIGRATIONS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"),
        )
        .output()
        .expect("the runner binary")
}

#[test]
fn the_story_lints_clean_and_every_down_undoes_its_up() {
    let db = TestDb::new();
    // As the installed `migrate lint` does it: the runner collects, the rules run here.
    let collected = runner(&db, &["lint", "--emit-inputs"]);
    let json = String::from_utf8_lossy(&collected.stdout);
    assert_eq!(
        collected.status.code(),
        Some(0),
        "{json}{}",
        String::from_utf8_lossy(&collected.stderr)
    );
    let inputs =
        migrate_core::lint::LintInputs::from_json(&json).expect("the runner's lint inputs");
    let report = migrate_core::lint::analyse(&inputs);
    // Every migration file of the folder was linted.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("the migrations folder")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".rs"))
        })
        .count();
    assert_eq!(report.migrations.len(), files);
    assert_eq!(report.unparsable_count(), 0);
    assert_eq!(report.finding_count(), 0, "{report:#?}");

    let verify = runner(&db, &["verify"]);
    let text = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(text.contains("every down undoes its up"), "{text}");
    assert!(
        db.tables().is_empty(),
        "verify works on a scratch database only"
    );
}

/// `example-app/schema.sql` (the `schema_file` of the repository's migrate.toml) matches the migrations; after
/// changing them, `cargo run -p migrate-cli -- schema write` rewrites it.
#[test]
fn the_committed_schema_file_matches_the_migrations() {
    let db = TestDb::new();
    let check = runner(&db, &["schema", "check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        db.tables().is_empty(),
        "schema check works on a scratch database only"
    );
}

/// The guide's trace of one of the story's migrations (docs/sql-lint-trace.md) is what `trace` prints (durations
/// aside).
// The trace is shown in the guide, not the README.
#[test]
fn the_guide_shows_a_real_trace() {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/sql-lint-trace.md"
    ))
    .expect("docs/sql-lint-trace.md");
    let command = "$ cargo run -p migrate-cli -- trace 20261122100400 --rows 100000\n";
    let start = guide
        .find(command)
        .expect("docs/sql-lint-trace.md shows a trace")
        + command.len();
    let shown = &guide[start..start + guide[start..].find("```").expect("the block ends")];
    let db = TestDb::new();
    let trace = runner(&db, &["trace", "20261122100400", "--rows", "100000"]);
    assert_eq!(
        trace.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&trace.stderr)
    );
    // The runner runs in example-app/, the guide's command at the workspace root.
    let expected = without_durations(&shown.replace("example-app/migrations/", "migrations/"));
    assert_eq!(
        without_durations(&String::from_utf8_lossy(&trace.stdout)),
        expected
    );
}

/// `text` with every `(12.3 ms)` written `(ms)`.
fn without_durations(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let inner = &rest[open + 1..];
        match inner.find(" ms)") {
            Some(end) if inner[..end].chars().all(|c| c.is_ascii_digit() || c == '.') => {
                out.push_str("(ms)");
                rest = &inner[end + 4..];
            }
            _ => {
                out.push('(');
                rest = inner;
            }
        }
    }
    out.push_str(rest);
    out
}
