//! A server that stops answering (a proxy in front of it frozen: connections accepted, nothing forwarded, as
//! a stopped proxy process or a packet-dropping network would do) never makes the runner hang: connecting
//! fails after the connect timeout, and a run in progress stops after the server check's bound; the database
//! tells the truth afterwards.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tests::cli::{bin, FixtureCli};
use tests::proxy::Proxy;
use tests::TestDb;

fn spawn(db_url: &str, args: &[&str]) -> Child {
    spawn_in(&std::env::temp_dir(), db_url, args)
}

fn spawn_in(cwd: &std::path::Path, db_url: &str, args: &[&str]) -> Child {
    Command::new(bin("fixture-runner"))
        .env("FIXTURE", "signals")
        .env("MIGRATIONS_DIR", tests::fixtures::dir("signals"))
        .env("DATABASE_URL", db_url)
        .env_remove("MIGRATE_DIRECT_URL")
        .env_remove("MIGRATE_CONFIG")
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner starts")
}

/// Waits for `child`, killing it and failing the test when it is still running after `limit` (a hang).
#[track_caller]
fn wait_bounded(mut child: Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{what}: still running after {limit:?} (hung)\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

fn upstream(db: &TestDb) -> String {
    let url = url::Url::parse(db.url()).expect("URL");
    format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432)
    )
}

/// Connecting through a frozen proxy: the TCP handshake succeeds, the startup gets no answer; the command
/// fails after `--connect-timeout` with a message saying so, instead of waiting forever.
#[test]
fn connecting_to_a_server_that_accepts_and_never_answers_fails_after_the_connect_timeout() {
    let db = TestDb::new();
    let proxy = Proxy::start(&upstream(&db));
    proxy.freeze();
    for args in [
        &["status", "--connect-timeout", "2"][..],
        &["up", "--connect-timeout", "2"],
    ] {
        let child = spawn(&proxy.url_for(db.url()), args);
        let out = wait_bounded(child, Duration::from_secs(60), &args.join(" "));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("accepted the connection but did not answer within 2s"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(db.tables(), Vec::<String>::new());
}

/// The server stops answering while a transactional migration's statement runs: the run stops after the
/// server check's bound (`server_check_timeout = 2` in migrate.toml) with a message saying so, long before
/// the statement (60 s) could end. Once the server side of the dead connection is gone, nothing of the
/// migration is applied or recorded, and `status` shows it pending.
#[test]
fn a_server_that_stops_answering_mid_migration_ends_the_run_within_the_check_bound() {
    let db = TestDb::new();
    let proxy = Proxy::start(&upstream(&db));
    // The bound from migrate.toml (the flag --server-check-timeout works the same).
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join("migrate.toml"),
        "server_check_timeout = 2\n",
    )
    .expect("write");
    let child = spawn_in(
        cwd.path(),
        &proxy.url_for(db.url()),
        &["up", "--to", "20261201000002_slow_tx"],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut client = db.client();
    loop {
        let running: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
                 AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%')",
                &[],
            )
            .expect("activity")
            .get(0);
        if running {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slow statement never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.freeze();
    let out = wait_bounded(child, Duration::from_secs(40), "up through a frozen proxy");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped answering") && stderr.contains("run `status`"),
        "{stderr}"
    );
    // The server still runs the statement for a connection nobody reads: end it, as the server itself
    // would once the connection's socket is closed.
    client
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = 'migrate'",
        )
        .expect("terminate");
    let names: Vec<String> = db
        .query_strings("SELECT name FROM public.pgmigrations ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        ["20261201000001_first"],
        "only what was committed is recorded"
    );
    assert!(!db.tables().contains(&"public.slow_tx".to_owned()));
    let cli = FixtureCli::new("signals", &db);
    let status = cli.run(&["status"]);
    assert!(
        status.stdout.contains("20261201000002_slow_tx"),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("FAILED"), "{}", status.stdout);
}
