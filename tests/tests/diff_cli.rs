//! `migrate diff` as a user runs it, through the installed command and a package's runner: the guide's story
//! (a column renamed by hand in a development database), the rename refused until it is confirmed, the files
//! written, then `lint`, `verify` and `up` on them, and the database ending with the development schema.

use std::path::Path;

use migrate_core::schema::describe;
use migrate_core::MigrationsTable;
use tests::cli::migrate_in as migrate;
use tests::TestDb;

const FIRST: &str = r#"use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.create_table("users", [
        column("id", "bigint").identity(Identity::always()).primary_key(),
        column("email", "text").not_null(),
        column("display_name", "text"),
    ]);
}
"#;

fn migration_files(app: &Path) -> Vec<String> {
    tests::cli::rust_files(&app.join("migrations"))
}

/// The description with each table's columns sorted: a renamed column moves to the table's end.
fn schema(db: &TestDb) -> String {
    let text = describe(&mut db.client(), &MigrationsTable::default())
        .expect("describe")
        .render();
    text.split("\n\n")
        .map(|paragraph| {
            let mut lines: Vec<&str> = paragraph.lines().collect();
            lines.sort();
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn a_column_renamed_by_hand_becomes_an_expand_and_a_contract_that_lint_verify_and_apply() {
    let app = tempfile::tempdir().expect("tempdir");
    tests::cli::scaffold_app(app.path(), "diffstory");
    std::fs::create_dir_all(app.path().join("migrations")).expect("migrations/");
    std::fs::write(
        app.path().join("migrations/20260101000000_create_users.rs"),
        FIRST,
    )
    .expect("write");
    let db = TestDb::new();
    migrate(app.path(), &db, &["up"]).expect_code(0);

    // The development database, changed by hand.
    let dev = TestDb::new();
    migrate(app.path(), &dev, &["up"]).expect_code(0);
    dev.exec(
        "ALTER TABLE users RENAME COLUMN display_name TO full_name; \
         CREATE INDEX users_full_name_index ON users (full_name); \
         ALTER TABLE users ADD COLUMN signed_up_at timestamptz NOT NULL DEFAULT now()",
    );

    // Not on a terminal: the rename is proposed, nothing is written.
    let refused = migrate(
        app.path(),
        &db,
        &["diff", "--to", dev.url(), "--name", "full_name"],
    );
    assert_eq!(refused.code, 11, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("--rename public.users.display_name=full_name"),
        "{}",
        refused.stderr
    );
    assert_eq!(migration_files(app.path()).len(), 1);

    let written = migrate(
        app.path(),
        &db,
        &[
            "diff",
            "--to",
            dev.url(),
            "--name",
            "full_name",
            "--rename",
            "public.users.display_name=full_name",
        ],
    )
    .expect_code(0);
    let files = migration_files(app.path());
    let steps: Vec<&str> = files.iter().map(|f| &f[15..]).collect();
    assert_eq!(
        steps,
        [
            "create_users.rs",
            "full_name_renames.rs",
            "full_name.rs",
            "full_name_indexes.rs",
            "full_name_rename_contracts.rs",
        ],
        "{}",
        written.stdout
    );
    let mut sources = String::new();
    for file in &files[1..] {
        sources.push_str(&format!("// ---- {}\n", &file[15..]));
        sources.push_str(
            &std::fs::read_to_string(app.path().join("migrations").join(file)).expect("read"),
        );
    }
    insta::assert_snapshot!("diff_cli_story", sources);

    migrate(app.path(), &db, &["lint"]).expect_code(0);
    migrate(app.path(), &db, &["verify"]).expect_code(0);
    // The expand phase first, as a deploy runs it; then the contract after the rollout.
    let expand = migrate(app.path(), &db, &["up", "--expand-only"]).expect_code(0);
    assert!(expand.stdout.contains("contract"), "{}", expand.stdout);
    migrate(app.path(), &db, &["up"]).expect_code(0);
    assert_eq!(schema(&db), schema(&dev));

    // Once applied, the schemas are the same: nothing more to write.
    let again = migrate(app.path(), &db, &["diff", "--to", dev.url()]).expect_code(0);
    assert!(
        again.stdout.contains("nothing to write"),
        "{}",
        again.stdout
    );

    // A column gone from the desired schema is kept and listed; the hint names the flag that drops it.
    dev.exec("ALTER TABLE users DROP COLUMN signed_up_at");
    let kept = migrate(app.path(), &db, &["diff", "--to", dev.url()]).expect_code(0);
    assert!(
        kept.stdout
            .contains("kept: column public.users.signed_up_at: kept (drops were not allowed)")
            && kept.stdout.contains(
                "nothing to write: the schemas are the same but for what is listed above"
            )
            && kept.stderr.contains("hint: --allow-drop writes the drops"),
        "{}\n{}",
        kept.stdout,
        kept.stderr
    );
    assert_eq!(migration_files(app.path()).len(), 5);
}

#[test]
fn a_desired_schema_file_that_does_not_apply_is_named_and_nothing_is_written() {
    let app = tempfile::tempdir().expect("tempdir");
    tests::cli::scaffold_app(app.path(), "diffbad");
    std::fs::create_dir_all(app.path().join("migrations")).expect("migrations/");
    std::fs::write(
        app.path().join("migrations/20260101000000_create_users.rs"),
        FIRST,
    )
    .expect("write");
    std::fs::write(app.path().join("desired.sql"), "CREATE TABLE broken (;").expect("write");
    let db = TestDb::new();
    let run = migrate(app.path(), &db, &["diff", "--to", "desired.sql"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("desired.sql does not apply"),
        "{}",
        run.stderr
    );
    let missing = migrate(app.path(), &db, &["diff", "--to", "nowhere.sql"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("nowhere.sql: no such file or folder"),
        "{}",
        missing.stderr
    );
    assert_eq!(migration_files(app.path()).len(), 1);
    // Nothing was applied to the configured database either.
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

/// `script`'s path: it runs a command on a pseudo-terminal, as a person at a terminal would.
fn script() -> Option<std::path::PathBuf> {
    ["/usr/bin/script", "/bin/script"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
}

#[test]
fn on_a_terminal_diff_asks_about_each_rename_and_writes_what_the_answers_say() {
    let Some(script) = tests::skip::require("script (util-linux), for a pseudo-terminal", script())
    else {
        return;
    };
    let app = tempfile::tempdir().expect("tempdir");
    tests::cli::scaffold_app(app.path(), "diffask");
    std::fs::create_dir_all(app.path().join("migrations")).expect("migrations/");
    std::fs::write(
        app.path().join("migrations/20260101000000_create_users.rs"),
        FIRST,
    )
    .expect("write");
    let db = TestDb::new();
    migrate(app.path(), &db, &["up"]).expect_code(0);
    let dev = TestDb::new();
    migrate(app.path(), &dev, &["up"]).expect_code(0);
    dev.exec("ALTER TABLE users RENAME COLUMN display_name TO full_name");
    // Built already (the `up` above): the answer goes to the question, not to a build.
    let command = format!(
        "{} diff --to '{}' --name asked",
        tests::cli::bin("migrate-front").display(),
        dev.url()
    );
    let output = std::process::Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .current_dir(app.path())
        .env("DATABASE_URL", db.url())
        .env("CARGO_TARGET_DIR", tests::cli::e2e_target())
        .env(
            "XDG_CACHE_HOME",
            tests::cli::workspace_root().join("target/front-cache"),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(b"y\n")?;
            child.wait_with_output()
        })
        .expect("script runs");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains(
            "is public.users.display_name renamed to full_name (both of type text)? [y/N]"
        ),
        "{shown}"
    );
    let files = migration_files(app.path());
    assert_eq!(
        files.iter().map(|f| &f[15..]).collect::<Vec<_>>(),
        [
            "create_users.rs",
            "asked_renames.rs",
            "asked_rename_contracts.rs"
        ],
        "{shown}"
    );
}
