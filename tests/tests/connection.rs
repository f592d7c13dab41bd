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

/// Query values of a URL are percent-decoded as libpq decodes them (`%20` is a space, `+` stays a plus),
/// and the values that are not TLS settings reach the driver unchanged.
#[test]
fn url_query_values_are_percent_decoded_as_libpq_does() {
    use migrate_cli::connect::resolve;
    let db = TestDb::new();
    let url = format!(
        "{}?options=-c%20lock_timeout%3D1234ms&application_name=a+b%20c&sslmode=disable",
        db.url()
    );
    let mut client = resolve(Some(&url))
        .expect("resolve")
        .connect(std::time::Duration::from_secs(5))
        .expect("connect");
    let row = client
        .query_one(
            "SELECT current_setting('lock_timeout'), current_setting('application_name')",
            &[],
        )
        .expect("settings");
    assert_eq!(row.get::<_, String>(0), "1234ms");
    assert_eq!(row.get::<_, String>(1), "a+b c");

    let target = resolve(Some(
        "postgres://u@127.0.0.1:5432/db?password=two%20words+plus&sslmode=require",
    ))
    .expect("resolve");
    assert!(
        target
            .libpq_env()
            .contains(&("PGPASSWORD", "two words+plus".to_owned())),
        "{:?}",
        target
            .libpq_env()
            .iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>()
    );

    // Through the runner: `status` with the options in the URL.
    let cwd = tempfile::tempdir().unwrap();
    run(cwd.path(), &["status"], &[("DATABASE_URL", &url)]).expect_code(0);
}

/// A comma-separated host list (libpq's multi-host syntax) is tried in order, in `PGHOST`/`PGPORT` and in a
/// URL: here the first host refuses connections and the second is the test server.
#[test]
fn a_host_list_is_tried_in_order() {
    let db = TestDb::new();
    let url = url::Url::parse(db.url()).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let port = url.port().unwrap_or(5432);
    let cwd = tempfile::tempdir().unwrap();

    let hosts = format!("{host},{host}");
    let ports = format!("1,{port}");
    let out = run(
        cwd.path(),
        &["up", "1"],
        &[
            ("PGHOST", &hosts),
            ("PGPORT", &ports),
            ("PGUSER", url.username()),
            ("PGDATABASE", db.name()),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("{host}:1,{host}:{port}")),
        "{}",
        out.stdout
    );

    let list = format!(
        "postgres://{}@{host}:1,{host}:{port}/{}",
        url.username(),
        db.name()
    );
    run(cwd.path(), &["up"], &[("DATABASE_URL", &list)]).expect_code(0);
    assert_eq!(
        db.query_strings("SELECT count(*) FROM public.pgmigrations")[0][0].as_deref(),
        Some("3")
    );

    let mismatch = run(
        cwd.path(),
        &["status"],
        &[("PGHOST", &hosts), ("PGPORT", "1,2,3")],
    )
    .expect_code(1);
    assert!(
        mismatch.stderr.contains("PGPORT lists 3 ports for 2 hosts"),
        "{}",
        mismatch.stderr
    );
}

/// A direct URL naming another database than `DATABASE_URL` (both exist, on one server): `up` refuses, naming
/// both, and changes neither database; given the same URL as `--database-url` too, it migrates that one.
#[test]
fn a_direct_url_to_another_database_is_refused_unless_the_urls_agree() {
    let app = TestDb::new();
    let other = TestDb::new();
    let cwd = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", app.url()),
        ("MIGRATE_DIRECT_URL", other.url()),
    ];
    let refused = run(cwd.path(), &["up"], &env).expect_code(1);
    assert!(
        refused.stderr.contains(&format!(
            "names the database {:?}, but DATABASE_URL (or --database-url) {} names {:?}",
            other.name(),
            app.url(),
            app.name()
        )) && refused.stderr.contains("Nothing was run"),
        "{}",
        refused.stderr
    );
    assert_eq!(app.tables(), Vec::<String>::new());
    assert_eq!(other.tables(), Vec::<String>::new());
    let confirmed = run(cwd.path(), &["up", "--database-url", other.url()], &env).expect_code(0);
    assert!(confirmed.stdout.contains("applied"), "{}", confirmed.stdout);
    assert!(other.tables().contains(&"public.users".to_owned()));
    assert_eq!(app.tables(), Vec::<String>::new());
}
