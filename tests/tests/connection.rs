//! Where the connection comes from: the flag, `DATABASE_URL`, a `.env` file, or libpq's `PG*` variables.

use std::process::Command;

use tests::cli::{bin, Run};
use tests::TestDb;

/// Runs the `basic` fixture's runner in `cwd` with exactly `env` (plus PATH), so no inherited variable leaks in.
fn run(cwd: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(bin("fixture-runner"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FIXTURE", "basic")
        .env("MIGRATIONS_DIR", tests::fixtures::dir("basic"))
        .current_dir(cwd)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runner runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_dot_env_file_provides_the_url() {
    let db = TestDb::new();
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join(".env"),
        format!("# local settings\nDATABASE_URL={}\n", db.url()),
    )
    .unwrap();
    run(cwd.path(), &["up", "1"], &[]).expect_code(0);
    assert!(db.tables().contains(&"public.users".to_owned()));

    // The environment wins over .env, and the flag wins over both.
    let other = TestDb::new();
    run(cwd.path(), &["up", "1"], &[("DATABASE_URL", other.url())]).expect_code(0);
    assert!(other.tables().contains(&"public.users".to_owned()));
    let third = TestDb::new();
    run(
        cwd.path(),
        &["up", "1", "--database-url", third.url()],
        &[("DATABASE_URL", other.url())],
    )
    .expect_code(0);
    assert!(third.tables().contains(&"public.users".to_owned()));
}

#[test]
fn a_malformed_dot_env_file_is_an_error() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join(".env"), "DATABASE_URL='unterminated\n").unwrap();
    let out = run(cwd.path(), &["status"], &[]).expect_code(1);
    assert!(out.stderr.contains("invalid .env file"), "{}", out.stderr);
}

#[test]
fn libpq_variables_are_used_without_a_url() {
    let db = TestDb::new();
    let url = url::Url::parse(db.url()).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let port = url.port().unwrap_or(5432).to_string();
    let out = run(
        cwd.path(),
        &["up"],
        &[
            ("PGHOST", url.host_str().unwrap()),
            ("PGPORT", &port),
            ("PGUSER", url.username()),
            ("PGDATABASE", db.name()),
        ],
    )
    .expect_code(0);
    assert!(
        out.stdout.contains("(from PG* variables)"),
        "{}",
        out.stdout
    );
    assert_eq!(
        db.query_strings("SELECT count(*) FROM public.pgmigrations")[0][0].as_deref(),
        Some("3")
    );

    let bad = run(
        cwd.path(),
        &["status"],
        &[("PGHOST", "127.0.0.1"), ("PGPORT", "not-a-port")],
    )
    .expect_code(1);
    assert!(
        bad.stderr.contains("invalid PGPORT \"not-a-port\""),
        "{}",
        bad.stderr
    );
}

#[test]
fn no_source_at_all_is_a_clear_error() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(cwd.path(), &["status"], &[]).expect_code(1);
    assert!(out.stderr.contains("no database given"), "{}", out.stderr);
}

#[test]
fn passwords_never_appear_in_output() {
    let cwd = tempfile::tempdir().unwrap();
    for url in [
        "postgres://postgres:hunter2@127.0.0.1:1/x",
        "postgres://postgres:hunter2@127.0.0.1:nope/x",
    ] {
        let out = run(
            cwd.path(),
            &["status", "--connect-timeout", "2"],
            &[("DATABASE_URL", url)],
        )
        .expect_code(1);
        assert!(
            !out.stderr.contains("hunter2") && !out.stdout.contains("hunter2"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("postgres:***@"), "{}", out.stderr);
    }
}
