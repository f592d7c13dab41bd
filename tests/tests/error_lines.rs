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

#[test]
fn a_failing_statement_names_the_file_and_line_of_its_operation() {
    let db = TestDb::new();
    let cli = FixtureCli::new("failing", &db);
    let run = cli.run(&["up"]).expect_code(1);
    // Operation #2 is the `pgm.sql(..)` on the file's sixth line, after a doc comment, a `use` and the
    // `create_table` of operation #1; its second statement fails, on the same line (`\n` escapes).
    let (path, line) = line_of(&cli, "20260201000002_broken.rs", "pgm.sql(");
    assert_eq!(line, 6);
    let expected = format!(
        "error: migration 20260201000002_broken failed in `up` at operation #2 (sql), statement 2 of 2, {path}:{line}:"
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

/// A statement of a multi-statement `pgm.sql(..)` that the server rejects is named (its number, and its line
/// in the migration file: the line the string starts on plus the statement's line inside it), and the error
/// shows that statement, not the whole string. The fixture's file is shaped as `import` writes one: a single
/// `pgm.sql(r#"..."#)` holding the source's SQL file.
#[test]
fn a_failing_statement_inside_raw_sql_is_named_with_its_line() {
    let db = TestDb::new();
    let cli = FixtureCli::new("sql_lines", &db);
    let run = cli.run(&["up"]).expect_code(1);
    let file = "20260601000003_invoices.rs";
    let (path, call) = line_of(&cli, file, "pgm.sql(");
    let (_, line) = line_of(&cli, file, "INSERT INTO invoices (id, customer_id, amount)");
    assert!(line > call + 1);
    let expected = format!(
        "error: migration 20260601000003_invoices failed in `up` at operation #1 (sql), statement 3 of 4, {path}:{line}:"
    );
    assert!(
        run.stderr.lines().any(|l| l == expected),
        "expected the line {expected:?} in:\n{}",
        run.stderr
    );
    // The failing statement with a caret under the unknown column, and none of the others.
    let lines: Vec<&str> = run.stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == "INSERT INTO invoices (id, customer_id, amount)")
        .unwrap_or_else(|| panic!("the statement is not shown:\n{}", run.stderr));
    let caret = lines[at + 1];
    let column = caret.find('^').expect("a caret under the statement");
    assert!(lines[at][column..].starts_with("amount"), "{}", run.stderr);
    assert!(
        caret.contains(&format!("({path}:{line}, column ")),
        "{caret}"
    );
    for other in [
        "CREATE TABLE invoices",
        "VALUES (1, 1)",
        "CREATE INDEX invoices_customer_index",
    ] {
        assert!(
            !run.stderr.contains(other),
            "{other} shown:\n{}",
            run.stderr
        );
    }
    assert!(
        db.tables().iter().all(|t| t != "public.invoices"),
        "the failed migration was rolled back"
    );
}

/// Outside a transaction raw SQL is sent one statement at a time: the failing one is named by its line in
/// the file (not the `pgm.sql(` call's), and shown alone.
mod outside_a_transaction {
    use migrate_core::{Definition, Migration, Migrator, UpTarget};
    use migrate_dsl::prelude::*;
    use tests::TestDb;

    fn up(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.create_table("loose", [column("id", "bigint")]);
        pgm.sql(
            "CREATE INDEX CONCURRENTLY loose_id_index ON loose (id);
             CREATE INDEX CONCURRENTLY loose_nope_index ON loose (nope);
             COMMENT ON TABLE loose IS 'never reached'",
        );
    }

    static LOOSE: [Migration; 1] = [Migration::defined(&Definition {
        name: "20260101000000_loose",
        path: file!(),
        source: include_str!("error_lines.rs"),
        up,
        down: None,
    })];

    #[test]
    fn the_failing_statement_is_named_by_its_line_in_the_file() {
        let db = TestDb::new();
        let error = Migrator::new(&LOOSE)
            .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
            .expect_err("the column does not exist");
        let message = error.to_string();
        let line = include_str!("error_lines.rs")
            .lines()
            .position(|l| {
                l.trim_start()
                    .starts_with("CREATE INDEX CONCURRENTLY loose_nope_index")
            })
            .expect("the statement's line")
            + 1;
        assert!(
            message.contains(&format!("at operation #2 (sql), {}:{line}:", file!())),
            "{message}"
        );
        assert!(!message.contains("loose_id_index"), "{message}");
        assert!(!message.contains("never reached"), "{message}");
    }
}
