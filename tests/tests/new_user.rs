//! What a new user does, in a temporary folder outside the workspace, with only `DATABASE_URL` set: `cargo new`,
//! `migrate init`, `migrate create`, write the migration, `migrate up`/`status`/`down` against a fresh
//! database, plain `cargo build`/`cargo run`, then the README's async `main` that applies the migrations at
//! start-up and the README's test using `TestDatabase`, built and run as written there. Offline, from the
//! registry cache the workspace's build fills (see `tests::consumer`).

use std::path::Path;

use tests::cli::{front, Run};
use tests::consumer::{cargo, cargo_unchecked, checkout, env, readme_block};
use tests::TestDb;

/// `migrate <args>` in `dir`, as the installed binary runs (the generic front end), with only `DATABASE_URL`
/// set besides the offline build settings.
fn migrate(dir: &Path, db: &TestDb, args: &[&str]) -> Run {
    let env = env();
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("DATABASE_URL", db.url()));
    front(dir, args, &vars)
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The walkthrough's chapter shows the same code as the README, so it is tested too.
#[test]
fn the_walkthrough_shows_the_tested_examples() {
    let walkthrough = std::fs::read_to_string(checkout().join("docs/walkthrough.md")).unwrap();
    for marker in ["tested: src/main.rs", "tested: tests/users.rs"] {
        assert!(
            walkthrough.contains(&readme_block(marker)),
            "docs/walkthrough.md does not show the README's block <!-- {marker} --> as it is"
        );
    }
}

#[test]
fn new_project_to_migrations_applied_at_start_up() {
    let db = TestDb::new();
    let tmp = tempfile::tempdir().unwrap();
    cargo(tmp.path(), &["new", "--quiet", "myapp"]);
    let app = tmp.path().join("myapp");

    let checkout = checkout().display().to_string();
    let init = migrate(&app, &db, &["init", "--crates-path", &checkout]).expect_code(0);
    assert!(
        init.stdout.contains("next: migrate create add_users"),
        "{}",
        init.stdout
    );

    let created = migrate(&app, &db, &["create", "add_users"]).expect_code(0);
    let file = app.join(
        created
            .stdout
            .trim()
            .strip_prefix("created ")
            .expect("create prints the file"),
    );
    std::fs::write(
        &file,
        "//! Users sign up with their email.\nuse migrate_dsl::prelude::*;\n\n\
         pub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"users\", [column(\"id\", \"bigserial\").primary_key(), column(\"email\", \"text\").not_null()]);\n}\n",
    )
    .unwrap();

    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout.contains("1 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert_eq!(db.columns("users"), ["id", "email"]);
    let status = migrate(&app, &db, &["status"]).expect_code(0);
    assert!(
        status.stdout.contains("1 applied, 0 pending"),
        "{}",
        status.stdout
    );
    let down = migrate(&app, &db, &["down"]).expect_code(0);
    assert!(
        down.stdout.contains("1 migration(s) reverted"),
        "{}",
        down.stdout
    );
    assert!(db.columns("users").is_empty());
    // `database reset` goes through the runner too: drop (nothing is connected), create, apply.
    let reset = migrate(&app, &db, &["database", "reset", "--force"]).expect_code(0);
    assert!(
        reset.stdout.contains("1 migration(s) applied"),
        "{}",
        reset.stdout
    );
    migrate(&app, &db, &["down"]).expect_code(0);

    // The package itself still builds and runs as before.
    cargo(&app, &["build", "--quiet"]);
    let hello = cargo(&app, &["run", "--quiet"]);
    assert_eq!(stdout(&hello), "Hello, world!\n");

    // The README's async main applies the migrations at start-up.
    cargo(
        &app,
        &[
            "add",
            "--quiet",
            "tokio",
            "--features",
            "macros,rt-multi-thread",
        ],
    );
    std::fs::write(app.join("src/main.rs"), readme_block("tested: src/main.rs")).unwrap();
    let run = cargo_unchecked(&app, &["run", "--quiet"], &[("DATABASE_URL", db.url())]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(stdout(&run), "applied 1 migration(s) at start-up\n");
    assert_eq!(db.columns("users"), ["id", "email"]);
    let again = cargo_unchecked(&app, &["run", "--quiet"], &[("DATABASE_URL", db.url())]);
    assert_eq!(stdout(&again), "applied 0 migration(s) at start-up\n");

    // The README's test with TestDatabase, against the server (its own fresh database).
    std::fs::create_dir_all(app.join("tests")).unwrap();
    std::fs::write(
        app.join("tests/users.rs"),
        readme_block("tested: tests/users.rs"),
    )
    .unwrap();
    let tested = cargo_unchecked(
        &app,
        &["test", "--quiet", "--test", "users"],
        &[("DATABASE_URL", db.admin_url())],
    );
    assert!(
        tested.status.success(),
        "{}\n{}",
        stdout(&tested),
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(stdout(&tested).contains("1 passed"), "{}", stdout(&tested));
}
