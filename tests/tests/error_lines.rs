//! A migration that fails on the server names the file and line of the operation behind the failing statement.

use tests::cli::FixtureCli;
use tests::TestDb;

/// The 1-based line of the first line of `file` (in fixture `fixture`) that contains `call`, as the message
/// shows the file: relative to the folder the CLI ran in, which is not above the fixtures, so in full.
fn line_of(cli: &FixtureCli, file: &str, call: &str) -> (String, usize) {
    let path = cli.dir().join(file);
    let source = std::fs::read_to_string(&path).expect("fixture file");
    let line = source
        .lines()
        .position(|l| l.contains(call))
        .unwrap_or_else(|| panic!("{file} has no {call}"))
        + 1;
    (path.display().to_string(), line)
}

// Issue 29, item 4.
#[test]
fn a_failing_statement_names_the_file_and_line_of_its_operation() {
    let db = TestDb::new();
    let cli = FixtureCli::new("failing", &db);
    let run = cli.run(&["up"]).expect_code(1);
    // Operation #2 is the `pgm.sql(..)` on the file's sixth line, after a doc comment, a `use` and the
    // `create_table` of operation #1.
    let (path, line) = line_of(&cli, "20260201000002_broken.rs", "pgm.sql(");
    assert_eq!(line, 6);
    let expected = format!(
        "error: migration 20260201000002_broken failed in `up` at operation #2 (sql), {path}:{line}:"
    );
    assert!(
        run.stderr.lines().any(|l| l == expected),
        "expected the line {expected:?} in:\n{}",
        run.stderr
    );
    assert!(
        db.tables().iter().all(|t| t != "public.half_done"),
        "the failed migration was rolled back"
    );
}

// Issue 29, item 4.
#[test]
fn failing_data_code_names_the_file_and_line_of_its_operation() {
    let db = TestDb::new();
    let cli = FixtureCli::new("data_fails", &db);
    let run = cli.run(&["up"]).expect_code(1);
    let (path, line) = line_of(&cli, "20260501000002_add_slugs.rs", "pgm.db(");
    let expected = format!(
        "error: migration 20260501000002_add_slugs failed in `up` at operation #2 (db), {path}:{line}: \
         post 2 has no title to make a slug from"
    );
    assert!(
        run.stderr.lines().any(|l| l == expected),
        "expected the line {expected:?} in:\n{}",
        run.stderr
    );
}
