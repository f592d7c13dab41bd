//! What a new user does, in a temporary folder outside the workspace, with only `DATABASE_URL` set: `cargo new`,
//! `migrate init` (refused without a source of the crates, then with `--crates-path`), `migrate create`, write
//! the migration, `migrate up`/`status`/`down` against a fresh database (the first build saying that it builds,
//! why, and on a terminal cargo's progress), plain `cargo build`/`cargo run`, then the guide's async `main` that
//! applies the migrations at start-up (docs/start-up.md) and its test using `TestDatabase` (docs/testing.md),
//! built and run as written there. The migration written is the README's first one. Offline, from the registry
//! cache the workspace's build fills (see `tests::consumer`).

use std::path::Path;

use tests::consumer::{
    cargo, cargo_unchecked, checkout, doc_block, env, initialised_package, migrate, readme_block,
};
use tests::TestDb;

/// `migrate <args>` as [`migrate`] runs it, but on a terminal: `script` runs it on a pseudo-terminal and copies
/// what it shows (stdout and stderr together) to its own stdout.
fn on_terminal(dir: &Path, db: &TestDb, args: &[&str]) -> String {
    let mut command = tests::cli::bin("migrate-front").display().to_string();
    for arg in args {
        command.push_str(&format!(" '{arg}'"));
    }
    let mut script = std::process::Command::new("script");
    script
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(dir)
        .env("DATABASE_URL", db.url())
        .env(
            "XDG_CACHE_HOME",
            tests::cli::workspace_root().join("target/front-cache"),
        )
        .env_remove("NO_COLOR");
    for var in tests::cli::MACHINE_SETTINGS {
        script.env_remove(var);
    }
    for (k, v) in env() {
        script.env(k, v);
    }
    let out = script
        .output()
        .expect("`script` (util-linux) runs the command on a terminal");
    let shown = without_escapes(&String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "migrate {args:?} on a terminal:\n{shown}"
    );
    shown
}

/// `text` without terminal escape sequences (`ESC [ ... letter`: colours, cursor moves), which cargo writes on a
/// terminal.
fn without_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The walkthrough's chapter shows the same code as the guide's start-up and testing pages, so it is tested too.
#[test]
fn the_walkthrough_shows_the_tested_examples() {
    let walkthrough = std::fs::read_to_string(checkout().join("docs/walkthrough.md")).unwrap();
    for (page, marker) in [
        ("docs/start-up.md", "tested: src/main.rs"),
        ("docs/testing.md", "tested: tests/users.rs"),
    ] {
        assert!(
            walkthrough.contains(&doc_block(page, marker)),
            "docs/walkthrough.md does not show {page}'s block <!-- {marker} --> as it is"
        );
    }
}

#[test]
fn new_project_to_migrations_applied_at_start_up() {
    let db = TestDb::new();
    let tmp = tempfile::tempdir().unwrap();
    cargo(tmp.path(), &["new", "--quiet", "myapp"]);
    let app = tmp.path().join("myapp");

    // A `migrate` built from a checkout chooses no published version of the crates, so `init` without a
    // source of them refuses, says what to pass, and writes nothing.
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).unwrap();
    let refused = migrate(&app, &db, &["init"]).expect_code(1);
    assert!(
        refused.stderr.contains("built from a checkout")
            && refused.stderr.contains("--crates-version V")
            && refused.stderr.contains("--crates-path DIR")
            && refused.stderr.contains("--crates-git URL"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(app.join("Cargo.toml")).unwrap(),
        manifest
    );
    assert!(!app.join("migrate.toml").exists() && !app.join("build.rs").exists());

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
    // The README's first migration, as it is written there.
    std::fs::write(
        &file,
        readme_block("tested: migrations/<timestamp>_add_users.rs"),
    )
    .unwrap();

    // A file changed within a few milliseconds of a build's start counts as changed after it (the freshness
    // check's margin for file times), so a script that writes and at once builds would see one more build
    // than a person does; `status` below checks that the runner is then fresh.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout.contains("1 migration(s) applied"),
        "{}",
        up.stdout
    );
    // The first build said nothing for a minute or more. Not on a terminal: one line before it,
    // saying why, and one after (cargo itself is quiet then).
    insta::with_settings!({ filters => vec![(r"in \d+\.\d s", "in [T] s")] }, {
        insta::assert_snapshot!(up.stderr, @r"
        building the migrations runner myapp-migrate (first build; cargo compiles every dependency once, which takes a minute or more)...
        built the migrations runner in [T] s
        ");
    });
    assert_eq!(db.columns("users"), ["id", "email"]);
    let status = migrate(&app, &db, &["status"]).expect_code(0);
    assert!(
        status.stdout.contains("1 applied, 0 pending"),
        "{}",
        status.stdout
    );
    assert_eq!(
        status.stderr, "",
        "the runner was fresh: no build, no lines"
    );
    // On a terminal, cargo's messages show between the two lines, under a line that ticks with the time and
    // the crate being compiled: a changed migration recompiles the package. (`sql` of the migration, as
    // `status` of a database that applied everything is answered without the runner.) The change is
    // trailing spaces, which the checksum leaves out: the migration stays applied as it was.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen('\n', "  \n", 1)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let name = file.file_stem().unwrap().to_str().unwrap().to_owned();
    let shown = on_terminal(&app, &db, &["sql", &name]);
    for said in [
        "building the migrations runner myapp-migrate (1 changed file)...",
        "Compiling myapp v0.1.0",
        "building the migrations runner, 0s: ",
        "built the migrations runner in ",
        "CREATE TABLE \"users\"",
    ] {
        assert!(
            shown.contains(said),
            "{said:?} missing from the terminal:\n{shown}"
        );
    }
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

    // The guide's async main applies the migrations at start-up.
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
    std::fs::write(
        app.join("src/main.rs"),
        doc_block("docs/start-up.md", "tested: src/main.rs"),
    )
    .unwrap();
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

    // The guide's tests, against the server (each makes its own databases): the one with TestDatabase
    // (docs/testing.md) and the one of every migration on generated rows (docs/testing-data.md), built in one
    // cargo run.
    std::fs::create_dir_all(app.join("tests")).unwrap();
    for (file, page) in [
        ("users", "docs/testing.md"),
        ("every_down", "docs/testing-data.md"),
    ] {
        std::fs::write(
            app.join(format!("tests/{file}.rs")),
            doc_block(page, &format!("tested: tests/{file}.rs")),
        )
        .unwrap();
    }
    let tested = cargo_unchecked(
        &app,
        &["test", "--quiet", "--test", "users", "--test", "every_down"],
        &[("DATABASE_URL", db.admin_url())],
    );
    assert!(
        tested.status.success(),
        "{}\n{}",
        stdout(&tested),
        String::from_utf8_lossy(&tested.stderr)
    );
    assert_eq!(
        stdout(&tested).matches("1 passed").count(),
        2,
        "{}",
        stdout(&tested)
    );
}

/// The migration the lint test writes: one finding (an index built while writes wait), one finding silenced by
/// a comment.
const LINTED_MIGRATION: &str = "//! Users are found by email.
use migrate_dsl::prelude::*;

// lint: allow ban-drop-table -- nothing has read old_users since v2
pub fn up(pgm: &mut MigrationBuilder) {
    pgm.sql(\"CREATE INDEX users_email ON users (email)\");
    pgm.sql(\"DROP TABLE old_users\");
}
";

/// The runner `migrate init` sets up leaves out what only the installed `migrate` runs (the
/// lint rules on squawk's parser, `import`, `init`'s TOML editing, the url crate). The installed `migrate lint`
/// runs the rules on what the runner collects, printing what a runner with the rules prints, with the same
/// exit status; the runner asked directly says to run `migrate lint` (or `migrate import`).
#[test]
fn lint_runs_its_rules_in_the_installed_command_not_in_the_runner() {
    let db = TestDb::new();
    let (_tmp, app) = initialised_package(&db, "lintapp");
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).unwrap();
    // The runner links the runner crate, under the name the code uses.
    let cli_path = tests::cli::workspace_root()
        .join("migrate-cli")
        .canonicalize()
        .unwrap()
        .display()
        .to_string();
    assert!(
        manifest.contains(&format!(
            "migrate-cli = {{ path = \"{cli_path}/runner\", package = \"pgm-migrate-runner\" }}"
        )),
        "{manifest}"
    );
    let tree = stdout(&cargo(
        &app,
        &["tree", "--edges", "normal", "--prefix", "none", "--quiet"],
    ));
    for left_out in ["squawk", "url ", "idna ", "toml_edit "] {
        assert!(
            !tree.lines().any(|l| l.starts_with(left_out)),
            "the runner compiles {left_out}:\n{tree}"
        );
    }
    std::fs::write(
        app.join("migrations/20260101000001_index_users_email.rs"),
        LINTED_MIGRATION,
    )
    .unwrap();
    // Written well before the build starts (the freshness check's margin for file times, as above).
    std::thread::sleep(std::time::Duration::from_millis(100));

    let mut through_front = Vec::new();
    for format in ["text", "json", "github"] {
        let run = migrate(&app, &db, &["lint", "--format", format]).expect_code(4);
        through_front.push(run);
    }
    // Once built, nothing changes: no build line, only the report.
    assert_eq!(through_front[1].stderr, "", "{}", through_front[1].stderr);
    insta::assert_snapshot!(
        "new_user_lint_through_the_front_end",
        through_front[0].stdout
    );
    let unknown = migrate(&app, &db, &["lint", "20990101000000"]).expect_code(1);
    assert!(
        unknown
            .stderr
            .contains("no migration named \"20990101000000\""),
        "{}",
        unknown.stderr
    );

    // Asked directly, the runner without the rules says where they are, and so does it for the other
    // commands only the installed `migrate` has.
    for (args, said) in [
        (&["lint"][..], "run `migrate lint`"),
        (&["review"][..], "run `migrate review`"),
        (
            &["import", "--from", "sqlx", "elsewhere"][..],
            "run `migrate import`",
        ),
        (&["init"][..], "run `migrate init`"),
        (&["completions", "bash"][..], "run `migrate completions`"),
        (&["man"][..], "run `migrate completions`"),
    ] {
        let mut cargo_args = vec!["run", "--quiet", "--bin", "lintapp-migrate", "--"];
        cargo_args.extend_from_slice(args);
        let run = cargo_unchecked(&app, &cargo_args, &[("DATABASE_URL", db.url())]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }

    // A runner with the rules compiled in (one that links migrate-cli, the whole command line, instead of
    // the runner crate) prints the same, with the same status.
    let whole = manifest.replace(
        &format!("{}/runner\", package = \"pgm-migrate-runner\"", cli_path),
        &format!("{cli_path}\""),
    );
    assert_ne!(whole, manifest, "{manifest}");
    std::fs::write(app.join("Cargo.toml"), whole).unwrap();
    for (format, front) in ["text", "json", "github"].iter().zip(&through_front) {
        let run = cargo_unchecked(
            &app,
            &[
                "run",
                "--quiet",
                "--bin",
                "lintapp-migrate",
                "--",
                "lint",
                "--format",
                format,
            ],
            &[("DATABASE_URL", db.url())],
        );
        assert_eq!(run.status.code(), Some(4), "{format}");
        assert_eq!(stdout(&run), front.stdout, "{format}");
    }
}
