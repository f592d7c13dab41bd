//! Against a server newer than the machine's `pg_dump` (PostgreSQL 18 from `tests::pg_versions`; the
//! machine's client tools are 15): runs, the schema file, `verify` and `schema check` need no pg_dump, and
//! `up --backup` refuses to apply when no pg_dump can back the server up.
//!
//! These tests fail when PostgreSQL 18 cannot be installed; see `tests::pg_versions` for the only way to
//! skip them (outside CI).

use tests::cli::FixtureCli;
use tests::pg_versions::{local_pg_dump_major, server_for_test, Server};
use tests::TestDb;

const NEWER: u32 = 18;

fn newer_server() -> Option<Server> {
    let server = server_for_test(NEWER)?;
    // What these tests are about; should the machine get a pg_dump 18, they would prove less.
    assert!(
        local_pg_dump_major().is_some_and(|m| m < NEWER),
        "this test needs a local pg_dump older than PostgreSQL {NEWER}"
    );
    Some(server)
}

fn with_schema_file(cli: &FixtureCli) -> std::path::PathBuf {
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "schema_file = \"schema.sql\"\n",
    )
    .expect("write migrate.toml");
    cli.cwd().join("schema.sql")
}

/// r14: `up` applied the migrations and then exited 1 because pg_dump refused the newer server while
/// writing the schema file; `down` the same. Runs write no schema file now (`schema write` does, from a
/// scratch database, below), and they still exit 0 with nothing on stderr.
#[test]
fn r14_up_and_down_against_a_newer_server_exit_0() {
    let Some(server) = newer_server() else {
        return;
    };
    let db = TestDb::new_on(&server.admin_url());
    let cli = FixtureCli::new("basic", &db);
    let file = with_schema_file(&cli);

    let up = cli.run(&["up"]);
    assert_eq!(up.code, 0, "up\n{}\n{}", up.stdout, up.stderr);
    assert!(
        up.stdout.contains("3 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert!(up.stderr.is_empty(), "{}", up.stderr);
    let down = cli.run(&["down"]);
    assert_eq!(down.code, 0, "down\n{}\n{}", down.stdout, down.stderr);
    assert!(down.stderr.is_empty(), "{}", down.stderr);
    assert!(!file.exists(), "a run wrote the schema file");
}

/// `--backup` needs a real dump: with no pg_dump new enough, nothing is applied and the message says which
/// pg_dump was found and what to install.
#[test]
fn r14_up_backup_against_a_newer_server_refuses_without_a_new_enough_pg_dump() {
    let Some(server) = newer_server() else {
        return;
    };
    let db = TestDb::new_on(&server.admin_url());
    let cli = FixtureCli::new("basic", &db);
    let backups = cli.cwd().join("backups");
    let run = cli
        .run(&["up", "--backup", &backups.to_string_lossy()])
        .expect_code(1);
    assert!(
        run.stderr.contains("backup failed; nothing was applied")
            && run
                .stderr
                .contains("no pg_dump at least as new as the server")
            && run.stderr.contains(&format!("PostgreSQL {NEWER}"))
            && run.stderr.contains("is version ")
            && run.stderr.contains("set PG_DUMP"),
        "{}",
        run.stderr
    );
    assert!(db.tables().is_empty(), "{:?}", db.tables());
    assert!(!backups.exists());
}

/// `verify`, `schema write` and `schema check` work against the newer server.
#[test]
fn r14_verify_and_schema_check_work_against_a_newer_server() {
    let Some(server) = newer_server() else {
        return;
    };
    let db = TestDb::new_on(&server.admin_url());
    let cli = FixtureCli::new("basic", &db);
    let verify = cli.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}\n{}", verify.stdout, verify.stderr);
    assert!(
        verify.stdout.contains("every down undoes its up"),
        "{}",
        verify.stdout
    );
    let file = with_schema_file(&cli);
    cli.run(&["schema", "write"]).expect_code(0);
    let written = std::fs::read_to_string(&file).expect("schema.sql");
    assert!(written.contains("\ntable public.posts\n"), "{written}");
    cli.run(&["schema", "check"]).expect_code(0);
}
