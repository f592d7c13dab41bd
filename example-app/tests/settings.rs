//! `example-app --migrate` reads the migration settings the CLI reads: the bookkeeping table and schema (and
//! so the advisory lock derived from them), lock mode and timeouts from `migrate.toml` or the environment,
//! and `sslmode`/`sslrootcert` from the URL. It used to ignore all of them: it created a second bookkeeping
//! table under another lock next to the one `migrate up` used, and failed on TLS settings.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use migrate_core::{lock_key, MigrationsTable};
use tests::TestDb;

use super::common;

/// The app with `args`, run in `cwd` with `env`, and no migration settings inherited from the test's own
/// environment.
fn app_in(cwd: &Path, db_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_example-app"));
    cmd.current_dir(cwd).args(args).env("DATABASE_URL", db_url);
    for var in [
        "MIGRATIONS_TABLE",
        "MIGRATIONS_SCHEMA",
        "MIGRATIONS_DIR",
        "MIGRATE_CONFIG",
        "PGSSLMODE",
        "PGSSLROOTCERT",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("example-app runs")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn count(db: &TestDb, table: &str) -> usize {
    db.query_strings(&format!("SELECT count(*) FROM {table}"))[0][0]
        .as_deref()
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

#[test]
fn migrate_at_start_up_uses_the_table_and_lock_named_in_migrate_toml() {
    let db = TestDb::new();
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join("migrate.toml"),
        "migrations_schema = \"bookkeeping\"\nmigrations_table = \"app_migrations\"\nlock_mode = \"fail\"\n",
    )
    .expect("write migrate.toml");

    // Another runner holds the lock of that table: with lock_mode = "fail" the app must stop at once.
    let table = MigrationsTable::new("bookkeeping", "app_migrations").expect("valid names");
    let mut holder = db.client();
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&lock_key(&table)])
        .expect("take the lock");
    let busy = app_in(cwd.path(), db.url(), &["--migrate", "--no-serve"], &[]);
    assert_eq!(busy.status.code(), Some(1), "{}", text(&busy));
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("bookkeeping.app_migrations"),
        "{}",
        text(&busy)
    );
    assert!(
        db.tables().is_empty(),
        "nothing may be created while the lock is held: {:?}",
        db.tables()
    );

    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&lock_key(&table)])
        .expect("release the lock");
    let ran = app_in(cwd.path(), db.url(), &["--migrate", "--no-serve"], &[]);
    assert!(ran.status.success(), "{}", text(&ran));
    assert_eq!(
        count(&db, "bookkeeping.app_migrations"),
        example_app::migrations::MIGRATIONS.len()
    );
    assert!(
        !db.tables().contains(&"public.pgmigrations".to_owned()),
        "a second bookkeeping table was created: {:?}",
        db.tables()
    );

    // The CLI's runner, pointed at the same file, sees every migration as applied.
    let status = Command::new(env!("CARGO_BIN_EXE_example-app-migrate"))
        .current_dir(cwd.path())
        .args(["status"])
        .env("DATABASE_URL", db.url())
        .env(
            "MIGRATIONS_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"),
        )
        .env_remove("MIGRATIONS_TABLE")
        .env_remove("MIGRATIONS_SCHEMA")
        .output()
        .expect("the runner runs");
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success() && stdout.contains("0 pending"),
        "{}",
        text(&status)
    );
}

#[test]
fn migrate_at_start_up_reads_the_table_and_schema_from_the_environment() {
    let db = TestDb::new();
    let ran = app_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        db.url(),
        &["--migrate", "--no-serve"],
        &[
            ("MIGRATIONS_TABLE", "env_migrations"),
            ("MIGRATIONS_SCHEMA", "ops"),
        ],
    );
    assert!(ran.status.success(), "{}", text(&ran));
    assert_eq!(
        count(&db, "ops.env_migrations"),
        example_app::migrations::MIGRATIONS.len()
    );
    assert!(!db.tables().contains(&"public.pgmigrations".to_owned()));
    // And the app's later checks read the same table: a second start has nothing to do.
    let again = app_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        db.url(),
        &["--migrate", "--no-serve"],
        &[
            ("MIGRATIONS_TABLE", "env_migrations"),
            ("MIGRATIONS_SCHEMA", "ops"),
        ],
    );
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("applied 0 migration(s)"),
        "{}",
        text(&again)
    );
}

#[test]
fn migrate_at_start_up_rejects_invalid_timeouts_in_migrate_toml() {
    let db = TestDb::new();
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(cwd.path().join("migrate.toml"), "lock_timeout = \"soon\"\n")
        .expect("write migrate.toml");
    let out = app_in(cwd.path(), db.url(), &["--migrate", "--no-serve"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid lock_timeout = \"soon\"") && stderr.contains("migrate.toml"),
        "{}",
        text(&out)
    );
    assert!(db.tables().is_empty());
}

/// The server's certificate (self-signed: it is its own root), for `sslmode=verify-ca`.
fn server_certificate(db: &TestDb) -> String {
    let rows = db.query_strings(
        "SELECT current_setting('ssl'), current_setting('ssl_cert_file'), current_setting('data_directory')",
    );
    assert_eq!(
        rows[0][0].as_deref(),
        Some("on"),
        "this test needs a server with ssl = on (.ci/run sets it up)"
    );
    let file = rows[0][1].clone().expect("ssl_cert_file");
    let data = rows[0][2].clone().expect("data_directory");
    Path::new(&data).join(file).to_string_lossy().into_owned()
}

#[test]
fn migrations_and_pool_honour_sslmode_and_sslrootcert() {
    let db = TestDb::new();
    let cert = server_certificate(&db);
    let with = |params: &str| format!("{}?{params}", db.url());
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));

    // A root certificate that cannot be read: the TLS settings are used, so this is the error.
    let missing = app_in(
        here,
        &with("sslmode=verify-ca&sslrootcert=/nonexistent/root.crt"),
        &["--migrate", "--no-serve"],
        &[],
    );
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("root certificate file \"/nonexistent/root.crt\" does not exist"),
        "{}",
        text(&missing)
    );
    assert!(db.tables().is_empty());

    // The server's own certificate as the root: verified, migrated, and the pool serves the page.
    let url = with(&format!("sslmode=verify-ca&sslrootcert={cert}"));
    let mut child = common::spawn_app(|c| {
        c.current_dir(here)
            .args(["--migrate", "--port", "0"])
            .env("DATABASE_URL", &url)
            .env_remove("MIGRATIONS_TABLE")
            .env_remove("MIGRATIONS_SCHEMA");
    });
    let stdout = child.0.stdout.take().expect("stdout");
    let (page_url, before) = common::wait_for_url(stdout, Duration::from_secs(60));
    assert!(
        before
            .iter()
            .any(|l| l.contains("applied 7 migration(s) at start-up")),
        "{before:?}"
    );
    let page = common::get(common::addr_of(&page_url), "/");
    assert_eq!(page.status, 200, "{}", page.body);
    common::terminate(&mut child.0);
    assert!(child.0.wait().expect("the app exits").success());
}

/// A `.env` file counts as for the CLI (the environment still wins); a malformed one is an error that does not
/// show its lines (they may hold a password).
#[test]
fn migrate_at_start_up_reads_dot_env_like_the_cli() {
    let db = TestDb::new();
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join(".env"),
        "MIGRATIONS_TABLE=dotenv_migrations\nMIGRATIONS_SCHEMA=from_file\n",
    )
    .expect("write .env");
    let ran = app_in(
        cwd.path(),
        db.url(),
        &["--migrate", "--no-serve"],
        &[("MIGRATIONS_SCHEMA", "from_env")],
    );
    assert!(ran.status.success(), "{}", text(&ran));
    assert_eq!(
        count(&db, "from_env.dotenv_migrations"),
        example_app::migrations::MIGRATIONS.len()
    );

    std::fs::write(
        cwd.path().join(".env"),
        "DATABASE_URL='postgres://u:hunter2@h/db\n",
    )
    .expect("write .env");
    let bad = app_in(cwd.path(), db.url(), &["--migrate", "--no-serve"], &[]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("invalid .env file") && !stderr.contains("hunter2"),
        "{}",
        text(&bad)
    );
}

/// `DATABASE_URL` in a `.env` file is the app's database too, as for the CLI: a terminal without the
/// variable exported finds the same database instead of starting a throwaway one.
#[test]
fn the_database_url_of_a_dot_env_file_is_used() {
    let db = TestDb::new();
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join(".env"),
        format!("DATABASE_URL={}\n", db.url()),
    )
    .expect("write .env");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_example-app"));
    cmd.current_dir(cwd.path())
        .args(["--migrate", "--no-serve"])
        .env_remove("DATABASE_URL")
        // Without the URL, the app would start a throwaway cluster from these: none is found.
        .env("PG_BINDIR", cwd.path())
        .env("PATH", "/usr/bin:/bin");
    for var in [
        "MIGRATIONS_TABLE",
        "MIGRATIONS_SCHEMA",
        "MIGRATIONS_DIR",
        "MIGRATE_CONFIG",
    ] {
        cmd.env_remove(var);
    }
    let ran = cmd.output().expect("example-app runs");
    assert!(ran.status.success(), "{}", text(&ran));
    assert_eq!(
        count(&db, "public.pgmigrations"),
        example_app::migrations::MIGRATIONS.len()
    );
}
