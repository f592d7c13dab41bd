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

/// A transaction's first statement, when a builder method rendered it, carries the transaction's `SET LOCAL`
/// timeouts in its round trip. The server then counts the error position from the start of the whole query;
/// the message still points into the statement itself, and nothing of the migration remains.
mod carried_start {
    use migrate_core::{Definition, Error, Migration, Migrator, UpTarget};
    use migrate_dsl::prelude::*;
    use tests::TestDb;

    fn bad_type(pgm: &mut MigrationBuilder) {
        pgm.create_table("items", [column("id", "bigint").primary_key()]);
        pgm.create_table("labels", [column("label", "no_such_type")]);
    }

    fn bad_first(pgm: &mut MigrationBuilder) {
        pgm.create_table("labels", [column("label", "no_such_type")]);
        pgm.create_table("items", [column("id", "bigint").primary_key()]);
    }

    static SECOND: [Migration; 1] = [Migration::defined(&Definition {
        name: "20260101000000_bad_type_second",
        path: "carried_start",
        source: "bad_type",
        up: bad_type,
        down: None,
    })];

    static FIRST: [Migration; 1] = [Migration::defined(&Definition {
        name: "20260101000000_bad_type_first",
        path: "carried_start",
        source: "bad_first",
        up: bad_first,
        down: None,
    })];

    /// The error's text, for the migrations `migrations` on a fresh database; and that database's tables.
    fn failure(migrations: &'static [Migration]) -> (String, Vec<String>) {
        let db = TestDb::new();
        let error = Migrator::new(migrations)
            .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
            .expect_err("the type does not exist");
        assert!(matches!(error, Error::Statement(_)), "{error:?}");
        (error.to_string(), db.tables())
    }

    /// The excerpt's caret line points at `no_such_type` in the statement above it.
    fn caret_under_type(message: &str) {
        let lines: Vec<&str> = message.lines().collect();
        let caret = lines
            .iter()
            .position(|l| l.trim_start().starts_with("^ (line"))
            .unwrap_or_else(|| panic!("no caret line in:\n{message}"));
        let column = lines[caret].find('^').expect("caret");
        let above = lines[..caret]
            .iter()
            .rev()
            .find(|l| l.len() > column)
            .expect("a statement line above the caret");
        assert!(
            above[column..].starts_with("no_such_type"),
            "the caret points at {:?}, not at the type, in:\n{message}",
            &above[column..]
        );
    }

    #[test]
    fn the_error_position_points_into_the_first_statement_that_carried_the_start() {
        let (message, tables) = failure(&FIRST);
        assert!(
            message.contains("at operation #1 (create_table)"),
            "{message}"
        );
        assert!(
            message.contains("type \"no_such_type\" does not exist"),
            "{message}"
        );
        caret_under_type(&message);
        assert!(message.contains("rolled back"), "{message}");
        assert!(
            tables
                .iter()
                .all(|t| !t.ends_with(".items") && !t.ends_with(".labels")),
            "{tables:?}"
        );
    }

    #[test]
    fn the_error_position_of_a_later_statement_is_unchanged() {
        let (message, tables) = failure(&SECOND);
        assert!(
            message.contains("at operation #2 (create_table)"),
            "{message}"
        );
        caret_under_type(&message);
        assert!(
            tables.iter().all(|t| !t.ends_with(".items")),
            "rolled back: {tables:?}"
        );
    }
}
