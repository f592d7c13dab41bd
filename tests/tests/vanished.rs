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

/// Connecting through a frozen proxy: the TCP handshake succeeds, the startup gets no answer; the command
/// fails after `--connect-timeout` with a message saying so, instead of waiting forever.
#[test]
fn connecting_to_a_server_that_accepts_and_never_answers_fails_after_the_connect_timeout() {
    let db = TestDb::new();
    let proxy = Proxy::start(&db.server_address());
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
    let proxy = Proxy::start(&db.server_address());
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
    db.terminate_runner_sessions();
    assert_eq!(
        db.recorded(),
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

/// A runner of the `stall` fixture in `cwd` (where a test puts its `migrate.toml`), connecting to `db_url`.
fn spawn_stall(cwd: &std::path::Path, db_url: &str, args: &[&str]) -> Child {
    Command::new(bin("fixture-runner"))
        .env("FIXTURE", "stall")
        .env("MIGRATIONS_DIR", tests::fixtures::dir("stall"))
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

/// The server process of the runner's session, once it runs the `stall` fixture's `pg_sleep` (at most 30 s).
fn runner_in_pg_sleep(client: &mut postgres::Client) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = client
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name = 'migrate' AND state = 'active' AND query LIKE 'SELECT pg_sleep(4)%'",
                &[],
            )
            .expect("activity");
        if let Some(row) = row {
            return row.get(0);
        }
        assert!(
            Instant::now() < deadline,
            "the slow statement never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The network path stalls (the proxy freezes, keeping both connections open) while a migration holding an
/// AccessExclusive lock runs a statement: the runner gives up, saying that the server may keep the locks for
/// a while and how long; the server, left with a session idle in its transaction for a client that is gone,
/// ends it after the run's `idle_in_transaction_session_timeout` (2 s here), which frees the table and the migration
/// lock. Nothing of the migration is applied, and the next run applies it.
#[test]
fn after_a_stall_the_server_ends_the_abandoned_session_and_its_locks() {
    let db = TestDb::new();
    let proxy = Proxy::start(&db.server_address());
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join("migrate.toml"),
        "server_check_timeout = 1\nidle_in_transaction_session_timeout = \"2s\"\n",
    )
    .expect("write");
    let child = spawn_stall(
        cwd.path(),
        &proxy.url_for(db.url()),
        &["up", "--to", "20270401000002_hold"],
    );
    let mut client = db.client();
    let pid = runner_in_pg_sleep(&mut client);
    proxy.freeze();
    let out = wait_bounded(child, Duration::from_secs(40), "up through a frozen proxy");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped answering")
            && stderr.contains("may still hold")
            && stderr.contains("idle_in_transaction_session_timeout (2s)"),
        "{stderr}"
    );
    // The abandoned session finishes its statement, then sits idle in its transaction until the server ends
    // it. Without the timeout it stays, with its locks, for as long as the path does.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = client
            .query(
                "SELECT a.state, l.locktype, l.mode FROM pg_stat_activity a \
                 LEFT JOIN pg_locks l ON l.pid = a.pid AND l.granted AND l.locktype IN ('relation', 'advisory') \
                 WHERE a.pid = $1",
                &[&pid],
            )
            .expect("activity");
        if rows.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the abandoned session {pid} is still there after 60 s: {:?}",
            rows.iter()
                .map(|r| format!(
                    "{:?} {:?} {:?}",
                    r.get::<_, Option<String>>(0),
                    r.get::<_, Option<String>>(1),
                    r.get::<_, Option<String>>(2)
                ))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let advisory: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .expect("locks")
        .get(0);
    assert_eq!(advisory, 0, "the migration lock is free");
    client
        .batch_execute("SET lock_timeout = '5s'; LOCK TABLE held IN ACCESS EXCLUSIVE MODE")
        .expect("the table is free");
    let names: Vec<String> = db
        .query_strings("SELECT name FROM public.pgmigrations ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["20270401000001_held"], "only the first is recorded");
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM held WHERE note IS NOT NULL")[0][0].as_deref(),
        Some("0"),
        "nothing of the second migration is left"
    );
    let next = wait_bounded(
        spawn_stall(cwd.path(), db.url(), &["up", "--to", "20270401000002_hold"]),
        Duration::from_secs(60),
        "the next up",
    );
    assert_eq!(
        next.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
}

/// The limits the runner sets on its session, as a migration sees them (over TCP, where the keepalives
/// apply), and that none of the runner's own idle phases trips the idle timeout: with it at one second, a
/// backfill pausing 1.5 s between batches and a statement running four seconds complete. On the local server
/// and on the oldest supported major, 13, which lacks `client_connection_check_interval` (the server comes
/// from `server_for_test`: see `tests::pg_versions`).
#[test]
fn the_migration_session_has_server_side_limits_that_its_own_pauses_do_not_trip() {
    let local = TestDb::new();
    assert_session_limits(&local, &[]);
    if let Some(server) = tests::pg_versions::server_for_test(13) {
        assert_session_limits(&TestDb::new_on(&server.admin_url()), &[]);
    }
}

/// A limit the database already sets stricter than the runner's stays as it is, whatever unit the server
/// shows it in (`2s`, `7s`): the runner only tightens what is off or looser.
#[test]
fn a_stricter_limit_of_the_database_stays() {
    let db = TestDb::new();
    let name = db.name().to_owned();
    db.exec(&format!(
        "ALTER DATABASE \"{name}\" SET tcp_keepalives_idle = '7s'; \
         ALTER DATABASE \"{name}\" SET tcp_user_timeout = '1500ms'"
    ));
    let mut kept = vec![("tcp_keepalives_idle", "7"), ("tcp_user_timeout", "1500")];
    // PostgreSQL 14 and later only.
    if db.server_major() >= 14 {
        db.exec(&format!(
            "ALTER DATABASE \"{name}\" SET client_connection_check_interval = '2s'"
        ));
        kept.push(("client_connection_check_interval", "2000"));
    }
    assert_session_limits(&db, &kept);
}

/// The limits a migration of the `stall` fixture sees, with `kept` (name, value) where the database's own
/// setting is stricter.
#[track_caller]
fn assert_session_limits(db: &TestDb, kept: &[(&str, &str)]) {
    let major = db.server_major();
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join("migrate.toml"),
        "idle_in_transaction_session_timeout = \"1s\"\n",
    )
    .expect("write");
    let out = wait_bounded(
        spawn_stall(cwd.path(), db.url(), &["up"]),
        Duration::from_secs(60),
        "up",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "PostgreSQL {major}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let limits: Vec<String> = db
        .query_strings("SELECT name || '=' || setting FROM session_limits ORDER BY name")
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
    let mut expected = vec![
        ("idle_in_transaction_session_timeout", "1000"),
        ("tcp_keepalives_count", "3"),
        ("tcp_keepalives_idle", "30"),
        ("tcp_keepalives_interval", "10"),
        ("tcp_user_timeout", "60000"),
    ];
    if major >= 14 {
        expected.insert(0, ("client_connection_check_interval", "10000"));
    }
    let expected: Vec<String> = expected
        .into_iter()
        .map(|(name, value)| {
            let value = kept
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(value, |(_, v)| *v);
            format!("{name}={value}")
        })
        .collect();
    assert_eq!(limits, expected, "PostgreSQL {major}");
    assert_eq!(
        db.query_strings("SELECT string_agg(note, ',' ORDER BY id) FROM held")[0][0].as_deref(),
        Some("filled,filled"),
        "PostgreSQL {major}"
    );
}

/// Data code that keeps its migration's transaction idle longer than `idle_in_transaction_session_timeout`
/// is ended by the server: the run fails naming the migration and the setting, nothing is applied, and with
/// the setting raised (here: 0, the server's own) the migration runs.
#[test]
fn data_code_idle_longer_than_the_idle_timeout_fails_naming_the_setting() {
    let db = TestDb::new();
    let cli = FixtureCli::new("idle_data", &db);
    let run = cli
        .run(&["up", "--idle-in-transaction-session-timeout", "1s"])
        .expect_code(1);
    assert!(
        run.stderr.contains("20270501000001_idle")
            && run.stderr.contains(
                "hint: the server ended the session. It does so when a transaction stays idle longer than \
                 idle_in_transaction_session_timeout (1s for this run)"
            ),
        "{}",
        run.stderr
    );
    assert!(!db.tables().contains(&"public.idle".to_owned()));
    cli.run(&["up", "--idle-in-transaction-session-timeout", "0"])
        .expect_code(0);
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM idle")[0][0].as_deref(),
        Some("2")
    );
}

/// Whether `query`'s statement of the fixture's slow migration runs in `db` (any session but this one).
fn slow_statement_running(db: &TestDb) -> bool {
    db.client()
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
             AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%')",
            &[],
        )
        .expect("activity")
        .get(0)
}

/// A fleet with a target on a server that stops answering while that target's migration runs: the run
/// stops after the server check's bound, naming that server (not the one that still answers), instead of
/// waiting forever on the target; every target's transaction rolls back, only what was committed is
/// recorded on either, and the next run finds the slow migration pending on both.
// Item 6 (a server that stops answering is a target that cannot be reached).
#[test]
fn a_fleet_stops_within_the_check_bound_when_a_server_stops_answering() {
    let direct = TestDb::new();
    let behind = TestDb::new();
    let proxy = Proxy::start(&behind.server_address());
    let urls = format!("{},{}", direct.url(), proxy.url_for(behind.url()));
    let child = spawn(
        direct.url(),
        &[
            "fleet",
            "up",
            "--urls",
            &urls,
            "--to",
            "20261201000002_slow_tx",
            "--server-check-timeout",
            "2",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(slow_statement_running(&direct) && slow_statement_running(&behind)) {
        assert!(
            Instant::now() < deadline,
            "the slow statements never started on both targets"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.freeze();
    let out = wait_bounded(
        child,
        Duration::from_secs(40),
        "fleet up through a frozen proxy",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: the server 127.0.0.1:{} stopped answering",
            proxy.port()
        )) && stderr.contains("The fleet run stops here"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&format!("the server {} stopped", direct.server_address())),
        "the server that answers is not named: {stderr}"
    );
    // Both servers still run the statement for a connection nobody reads: end them, as each server would
    // once it notices the closed socket.
    for db in [&direct, &behind] {
        db.terminate_runner_sessions();
        assert_eq!(
            db.recorded(),
            ["20261201000001_first"],
            "only what was committed"
        );
        assert!(!db.tables().contains(&"public.slow_tx".to_owned()));
    }
}
