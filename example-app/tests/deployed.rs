//! The runner binary and the application, each copied alone into an empty root, as an image holds them: no
//! sources, no `migrate.toml` beside them, no cargo, no home folder, a user without rights, the root folder as
//! the working folder. Every command that needs no source runs what the binary compiled, with the settings
//! the build read, and `status` says so.
//!
//! The root holds the binary, the C libraries it links (what a slim base image has) and the CA certificates;
//! it is entered with `chroot` as the user `nobody` (as root, which CI is) or in a user namespace of one's own.

use std::path::Path;

use tests::image::{Ran, Root};
use tests::TestDb;

/// A root holding each of `binaries` at `/<its name>`.
fn root_with(binaries: &[&str]) -> Root {
    let files: Vec<(&Path, String)> = binaries
        .iter()
        .map(|b| {
            let path = Path::new(*b);
            let name = path.file_name().expect("a file name").to_string_lossy();
            (path, format!("/{name}"))
        })
        .collect();
    let files: Vec<(&Path, &str)> = files.iter().map(|(p, i)| (*p, i.as_str())).collect();
    Root::with(&files)
}

/// Runs `/<binary> args` inside the root.
fn run_in(root: &Root, binary: &str, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let inside = format!("/{binary}");
    let mut argv = vec![inside.as_str()];
    argv.extend_from_slice(args);
    root.run(&argv, env)
}

const RUNNER: &str = env!("CARGO_BIN_EXE_example-app-migrate");
const APP: &str = env!("CARGO_BIN_EXE_example-app");

fn compiled_folder() -> String {
    example_app::migrations::REGISTRY.dir.to_owned()
}

#[test]
fn the_runner_alone_in_an_empty_root_runs_every_command_that_needs_no_source() {
    let db = TestDb::new();
    let root = root_with(&[RUNNER]);
    let env = [("DATABASE_URL", db.url())];
    let run = |args: &[&str]| run_in(&root, "example-app-migrate", args, &env);

    let status = run(&["status"]).expect(0, "status before anything");
    assert!(
        status.stdout.contains(&format!(
            "as compiled into this binary (from {}",
            compiled_folder()
        )),
        "status says it runs what it compiled:\n{}",
        status.stdout
    );
    run(&["wait", "--expand-only", "--check"]).expect(8, "nothing applied yet");
    run(&["up", "--expand-only"]).expect(0, "the expand");
    run(&["wait", "--expand-only", "--check"]).expect(0, "the expand is in");
    run(&["wait", "--check"]).expect(8, "the contracts are not");
    run(&["up"]).expect(0, "the contracts");
    run(&["wait", "--check"]).expect(0, "everything is in");
    let sql = run(&["sql"]).expect(0, "sql");
    assert!(sql.stdout.contains("nothing to run"), "{}", sql.stdout);
    run(&["drift"]).expect(0, "no drift");
    run(&["jobs"]).expect(0, "jobs");
    run(&["work"]).expect(0, "work");
    run(&["down"]).expect(0, "down one step");
    run(&["up"]).expect(0, "up again");
    run(&["down", "--recorded"]).expect(0, "down with the recorded down");
    run(&["up"]).expect(0, "up again");

    let json = run(&["status", "--json"]).expect(0, "status --json");
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        value["compiled_only"]["built_from"].as_str(),
        Some(compiled_folder().as_str()),
        "{}",
        json.stdout
    );
    let applied = db.query_strings("SELECT count(*)::text FROM public.pgmigrations");
    assert_eq!(
        applied[0][0].as_deref(),
        Some(
            example_app::migrations::MIGRATIONS
                .len()
                .to_string()
                .as_str()
        )
    );

    // The folder named as it was at build time, and a `migrations` folder in the working folder that is not
    // the compiled one: neither is a reason to refuse.
    let named = run_in(
        &root,
        "example-app-migrate",
        &["status"],
        &[
            ("DATABASE_URL", db.url()),
            ("MIGRATIONS_DIR", &compiled_folder()),
        ],
    );
    named.expect(0, "MIGRATIONS_DIR naming the build-time folder");
    std::fs::create_dir(root.path().join("migrations")).expect("an empty migrations folder");
    run(&["status"]).expect(0, "an unrelated migrations folder in the working folder");
}

#[test]
fn the_runner_alone_carries_the_settings_it_was_built_with() {
    // The build read the workspace's migrate.toml (the nearest one upwards from the package) and the binary
    // carries it.
    let built = example_app::migrations::REGISTRY
        .config
        .expect("the registry carries the settings file");
    let workspace_file = tests::cli::workspace_root().join("migrate.toml");
    assert_eq!(Path::new(built.path), workspace_file);
    assert_eq!(
        built.text,
        std::fs::read_to_string(&workspace_file).expect("migrate.toml")
    );

    let db = TestDb::new();
    let root = root_with(&[RUNNER]);
    // That file names a schema file; a runner deployed alone keeps none and says nothing of it.
    let up = run_in(
        &root,
        "example-app-migrate",
        &["up"],
        &[("DATABASE_URL", db.url())],
    )
    .expect(0, "up");
    assert!(!up.stdout.contains("schema file"), "{}", up.stdout);
    // The environment still wins over the carried file.
    let other = run_in(
        &root,
        "example-app-migrate",
        &["status"],
        &[
            ("DATABASE_URL", db.url()),
            ("MIGRATIONS_TABLE", "other_history"),
        ],
    )
    .expect(0, "status with another table");
    assert!(
        other
            .stdout
            .contains("migrations table public.other_history")
            && other
                .stdout
                .contains("(the table does not exist yet: nothing has been applied)"),
        "{}",
        other.stdout
    );
}

#[test]
fn the_app_alone_in_an_empty_root_migrates_at_start_up() {
    let db = TestDb::new();
    let root = root_with(&[APP]);
    let started = run_in(
        &root,
        "example-app",
        &["--migrate", "--no-serve"],
        &[("DATABASE_URL", db.url())],
    )
    .expect(0, "the app's start-up");
    assert!(
        started.stdout.contains("schema is ready"),
        "{}",
        started.stdout
    );
    let applied = db.query_strings("SELECT count(*)::text FROM public.pgmigrations");
    assert_eq!(
        applied[0][0].as_deref(),
        Some(
            example_app::migrations::MIGRATIONS
                .len()
                .to_string()
                .as_str()
        )
    );
}
