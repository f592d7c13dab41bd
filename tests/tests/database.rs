//! `database create|drop|reset`: the database named by the connection, and never any other; clear errors for a
//! role without CREATEDB and for a database in use; `drop` and `reset` need `--force` without a terminal.

use std::process::{Command, Stdio};

use tests::cli::{bin, front, Run};
use tests::TestDb;

/// A database name no one else uses (derived from a fresh TestDb's), dropped at the end whatever happened.
struct Named {
    name: String,
    url: String,
    admin: String,
    /// Keeps the name unique on the server for the test's duration.
    _base: TestDb,
}

impl Named {
    fn new() -> Named {
        let base = TestDb::new();
        let name = format!("{}_x", base.name());
        let mut url = url::Url::parse(base.url()).expect("url");
        url.set_path(&format!("/{name}"));
        Named {
            name,
            url: url.to_string(),
            admin: base.admin_url().to_owned(),
            _base: base,
        }
    }

    fn exists(&self) -> bool {
        let mut admin = postgres::Client::connect(&self.admin, postgres::NoTls).expect("admin");
        admin
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1",
                &[&self.name],
            )
            .expect("query")
            .is_some()
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect")
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn migrate(url: &str, args: &[&str]) -> Run {
    let cwd = tempfile::tempdir().expect("temp dir");
    front(cwd.path(), args, &[("DATABASE_URL", url)])
}

#[test]
fn create_and_drop_the_named_database_and_say_when_there_is_nothing_to_do() {
    let db = Named::new();
    let created = migrate(&db.url, &["database", "create"]).expect_code(0);
    assert!(
        created
            .stdout
            .starts_with(&format!("created database {} on ", db.name)),
        "{}",
        created.stdout
    );
    assert!(db.exists());
    let again = migrate(&db.url, &["database", "create"]).expect_code(0);
    assert!(again.stdout.contains("already exists"), "{}", again.stdout);

    // Without a terminal, drop needs --force; nothing is dropped meanwhile.
    let refused = migrate(&db.url, &["database", "drop"]).expect_code(1);
    assert!(
        refused
            .stderr
            .contains("pass --force (or -y) to confirm (there is no terminal to ask on)"),
        "{}",
        refused.stderr
    );
    assert!(db.exists());

    let dropped = migrate(&db.url, &["database", "drop", "-y"]).expect_code(0);
    assert!(
        dropped
            .stdout
            .starts_with(&format!("dropped database {}", db.name)),
        "{}",
        dropped.stdout
    );
    assert!(!db.exists());
    let nothing = migrate(&db.url, &["database", "drop", "--force"]).expect_code(0);
    assert!(
        nothing.stdout.contains("does not exist"),
        "{}",
        nothing.stdout
    );
}

#[test]
fn a_database_in_use_is_not_dropped_and_the_error_says_who_uses_it() {
    let db = Named::new();
    migrate(&db.url, &["database", "create"]).expect_code(0);
    let mut other = db.client();
    other
        .batch_execute("SET application_name = 'busy_app'")
        .expect("set");
    let run = migrate(&db.url, &["database", "drop", "--force"]).expect_code(1);
    // The count is read after DROP DATABASE gave up: a session of an earlier command may still be ending
    // then (its backend exits after the client left), so only busy_app's presence is exact.
    assert!(
        run.stderr
            .contains(&format!("cannot drop database {}: ", db.name))
            && run
                .stderr
                .contains("other session(s) are connected to it (")
            && run.stderr.contains("busy_app")
            && run.stderr.contains("pg_terminate_backend")
            && run.stderr.contains("nothing was dropped"),
        "{}",
        run.stderr
    );
    assert!(db.exists());
    drop(other);
}

#[test]
fn a_role_without_createdb_gets_a_clear_error() {
    let db = Named::new();
    let role = format!("{}_role", db.name);
    let admin_sql = |sql: &str| {
        postgres::Client::connect(&db.admin, postgres::NoTls)
            .expect("admin")
            .batch_execute(sql)
            .expect("admin sql");
    };
    admin_sql(&format!("CREATE ROLE \"{role}\" NOCREATEDB"));
    // The session starts as the admin user and switches to the role: no login rights or pg_hba entry needed.
    let url = format!("{}?options=-crole%3D{role}", db.url);
    let run = migrate(&url, &["database", "create"]);
    admin_sql(&format!("DROP ROLE \"{role}\""));
    let run = run.expect_code(1);
    assert!(
        run.stderr
            .contains(&format!("cannot create database {}", db.name))
            && run
                .stderr
                .contains(&format!("role {role} has no CREATEDB right"))
            && run.stderr.contains("ALTER ROLE"),
        "{}",
        run.stderr
    );
    assert!(!db.exists());
}

#[test]
fn the_servers_own_databases_are_refused() {
    let admin = tests::admin_url_from_env();
    let mut url = url::Url::parse(&admin).expect("url");
    url.set_path("/template1");
    let run = migrate(url.as_str(), &["database", "drop", "--force"]).expect_code(1);
    assert!(
        run.stderr.contains("refusing to drop template1"),
        "{}",
        run.stderr
    );
}

#[test]
fn reset_drops_creates_and_applies_every_migration() {
    let db = Named::new();
    let runner = |args: &[&str], stdin: Stdio| {
        let cwd = tempfile::tempdir().expect("temp dir");
        let out = Command::new(bin("fixture-runner"))
            .current_dir(cwd.path())
            .env("FIXTURE", "basic")
            .env("MIGRATIONS_DIR", tests::fixtures::dir("basic"))
            .env("DATABASE_URL", &db.url)
            .env_remove("MIGRATIONS_TABLE")
            .env_remove("MIGRATIONS_SCHEMA")
            .env_remove("MIGRATE_CONFIG")
            .stdin(stdin)
            .args(args)
            .output()
            .expect("runner runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };
    // On a database that does not exist yet: created and migrated, no question asked.
    let first = runner(&["database", "reset"], Stdio::null()).expect_code(0);
    assert!(
        first.stdout.contains("created database")
            && first.stdout.contains("3 migration(s) applied"),
        "{}",
        first.stdout
    );
    db.client()
        .batch_execute("INSERT INTO users (email) VALUES ('a@example.com')")
        .expect("insert");

    let refused = runner(&["database", "reset"], Stdio::null()).expect_code(1);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    let rows: i64 = db
        .client()
        .query_one("SELECT count(*) FROM users", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 1, "a refused reset changes nothing");

    let reset = runner(&["database", "reset", "--force"], Stdio::null()).expect_code(0);
    assert!(
        reset.stdout.contains("dropped database")
            && reset.stdout.contains("3 migration(s) applied"),
        "{}",
        reset.stdout
    );
    let rows: i64 = db
        .client()
        .query_one("SELECT count(*) FROM users", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 0);
}
