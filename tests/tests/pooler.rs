//! Connection poolers, against a real PgBouncer started by the tests: behind a transaction-pooling one every
//! runner refuses before changing anything, naming what it detected and the direct URL to use; through a
//! session-pooling one, or with `MIGRATE_DIRECT_URL` beside the pooled `DATABASE_URL`, sixteen concurrent
//! runners apply every migration exactly once. A session pooler that keeps session state between clients, or
//! whose pool is full, is no transaction pooler, and a full pool is no dead server.

use std::process::Output;

use tests::cli::runner;
use tests::pooler::{Options, PgBouncer, PoolMode};
use tests::TestDb;

/// Migrations of the `slow` fixture: `t01`..`t20`, each creating its table, sleeping 50 ms and inserting
/// one row, in one transaction.
const SLOW: usize = 20;

/// Concurrent runners per round.
const RUNNERS: usize = 16;

fn slow_name(i: usize) -> String {
    format!("202610010000{i:02}_t{i:02}")
}

/// Runs `RUNNERS` fixture runners (`up` of the `slow` fixture) at once with `env`, and waits for all.
fn sixteen_ups(env: &[(&str, &str)]) -> Vec<Output> {
    ups(RUNNERS, env)
}

/// Runs `n` fixture runners (`up` of the `slow` fixture) at once with `env`, and waits for all.
fn ups(n: usize, env: &[(&str, &str)]) -> Vec<Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            runner("slow")
                .envs(env.iter().copied())
                .arg("up")
                .spawn()
                .expect("the runner starts")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("the runner ends"))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every `slow` migration recorded exactly once, in order, with its table and its one row.
#[track_caller]
fn assert_all_applied_once(db: &TestDb, context: &str) {
    let names = db.recorded();
    let expected: Vec<String> = (1..=SLOW).map(slow_name).collect();
    assert_eq!(names, expected, "{context}: each applied once, in order");
    for i in 1..=SLOW {
        let rows = db.query_strings(&format!("SELECT count(*)::text FROM t{i:02}"));
        assert_eq!(
            rows[0][0].as_deref(),
            Some("1"),
            "{context}: t{i:02} has its one row"
        );
    }
}

/// Three rounds of sixteen runners at once through PgBouncer in transaction mode: every runner exits 1 with a
/// message naming the pooler, what was detected and `MIGRATE_DIRECT_URL`, and the database is untouched (no
/// bookkeeping table, no migration's table). Then sixteen runners with the pooled `DATABASE_URL` and a direct
/// `MIGRATE_DIRECT_URL` apply every migration exactly once.
#[test]
fn sixteen_runners_behind_a_transaction_pooler_refuse_cleanly_and_the_direct_url_works() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start(db.admin_url(), PoolMode::Transaction);
    let pooled = bouncer.url_for(db.url());
    for round in 1..=3 {
        let outs = sixteen_ups(&[("DATABASE_URL", &pooled)]);
        for (i, out) in outs.iter().enumerate() {
            let err = stderr(out);
            assert_eq!(
                out.status.code(),
                Some(1),
                "round {round}, runner {i}: refused\nstdout: {}\nstderr: {err}",
                String::from_utf8_lossy(&out.stdout)
            );
            assert!(
                err.contains("goes through a connection pooler in transaction pooling mode")
                    && err.contains("nothing was run")
                    && err.contains("MIGRATE_DIRECT_URL"),
                "round {round}, runner {i}: {err}"
            );
            assert!(
                err.contains("different server sessions")
                    || err.contains("same server session")
                    || err.contains("session setting"),
                "round {round}, runner {i} names what it detected: {err}"
            );
        }
        assert_eq!(
            db.tables(),
            Vec::<String>::new(),
            "round {round}: nothing created behind the pooler"
        );
    }

    let outs = sixteen_ups(&[("DATABASE_URL", &pooled), ("MIGRATE_DIRECT_URL", db.url())]);
    for (i, out) in outs.iter().enumerate() {
        assert_eq!(out.status.code(), Some(0), "runner {i}: {}", stderr(out));
    }
    assert_all_applied_once(&db, "with MIGRATE_DIRECT_URL");
}

/// A mixed fleet at once: eight runners given only the pooled URL and eight also given the direct one. The
/// first eight refuse before changing anything, the others apply every migration exactly once between them.
#[test]
fn a_mixed_fleet_behind_a_transaction_pooler_refuses_or_applies_each_migration_once() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start(db.admin_url(), PoolMode::Transaction);
    let pooled = bouncer.url_for(db.url());
    let fleet: Vec<_> = (0..RUNNERS)
        .map(|i| {
            let pooled = pooled.clone();
            let direct = db.url().to_owned();
            std::thread::spawn(move || {
                let out = if i % 2 == 0 {
                    ups(1, &[("DATABASE_URL", &pooled)])
                } else {
                    ups(
                        1,
                        &[("DATABASE_URL", &pooled), ("MIGRATE_DIRECT_URL", &direct)],
                    )
                };
                (i, out.into_iter().next().expect("one run"))
            })
        })
        .collect();
    for handle in fleet {
        let (i, out) = handle.join().expect("runner thread");
        let err = stderr(&out);
        if i % 2 == 0 {
            assert_eq!(out.status.code(), Some(1), "pooled runner {i}: {err}");
            assert!(
                err.contains("goes through a connection pooler in transaction pooling mode"),
                "pooled runner {i}: {err}"
            );
        } else {
            assert_eq!(out.status.code(), Some(0), "direct runner {i}: {err}");
        }
    }
    assert_all_applied_once(&db, "mixed fleet");
}

/// A pooler in session mode keeps a server session per client connection, which is all the runner needs:
/// sixteen runners through it apply every migration exactly once (no false alarm).
#[test]
fn sixteen_runners_through_a_session_pooler_apply_each_migration_once() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start(db.admin_url(), PoolMode::Session);
    let pooled = bouncer.url_for(db.url());
    let outs = sixteen_ups(&[("DATABASE_URL", &pooled)]);
    for (i, out) in outs.iter().enumerate() {
        assert_eq!(out.status.code(), Some(0), "runner {i}: {}", stderr(out));
    }
    assert_all_applied_once(&db, "through a session pooler");
}

/// `status`, read-only as it is, refuses too (its queries use prepared statements, which a transaction
/// pooler mixes up between clients), with the same message; `--direct-url` on the command line works.
#[test]
fn status_behind_a_transaction_pooler_refuses_and_direct_url_flag_works() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start(db.admin_url(), PoolMode::Transaction);
    let pooled = bouncer.url_for(db.url());
    let cli = tests::cli::FixtureCli::with_url("basic", &pooled);
    let refused = cli.run(&["status"]).expect_code(1);
    assert!(
        refused
            .stderr
            .contains("goes through a connection pooler in transaction pooling mode"),
        "{}",
        refused.stderr
    );
    let direct = cli.run(&["up", "--direct-url", db.url()]).expect_code(0);
    assert!(direct.stdout.contains("applied"), "{}", direct.stdout);
}

/// The custom setting the runner's pooler check marks its session with (`connect.rs`).
const SESSION_MARKER: &str = "migrate.session_marker";

/// Both server sessions of a pool of two carry a marker of an earlier run and its prepared statements
/// (PgBouncer in session mode with an empty `server_reset_query` hands a server session to its next client as
/// the last one left it): runs through it are not refused, as the check counts only its own run's marker, and
/// the stale prepared statements are dropped before the driver prepares its own under the same names.
#[test]
fn a_session_pooler_keeping_an_earlier_runs_marker_is_not_taken_for_a_transaction_pooler() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start_with(
        db.admin_url(),
        PoolMode::Session,
        &Options {
            pool_size: 2,
            server_reset_query: Some(String::new()),
            ..Options::default()
        },
    );
    let pooled = bouncer.url_for(db.url());
    // Two clients at once, so that each server session of the pool gets the stale marker.
    let mut clients: Vec<postgres::Client> = (0..2)
        .map(|_| postgres::Client::connect(&pooled, postgres::NoTls).expect("connect"))
        .collect();
    // ... and the prepared statements an earlier client left, named as the driver names its own (`s0`,
    // `s1`, ...), which a new connection's first prepare would collide with.
    let prepared: String = (0..40)
        .map(|i| format!("PREPARE s{i} AS SELECT {i};"))
        .collect();
    for client in &mut clients {
        client
            .simple_query(&format!(
                "SELECT set_config('{SESSION_MARKER}', 'stale-from-an-earlier-run', false); {prepared}"
            ))
            .expect("mark the server session");
    }
    drop(clients);
    let cli = tests::cli::FixtureCli::with_url("basic", &pooled);
    for (round, args) in [
        &["status"][..],
        &["up"],
        &["status"],
        &["down"],
        &["up"],
        &["status"],
    ]
    .iter()
    .enumerate()
    {
        let run = cli.run(args);
        assert_eq!(
            run.code, 0,
            "run {round} ({args:?}) through a session pooler: {}",
            run.stderr
        );
    }
    assert!(db.tables().contains(&"public.users".to_owned()));
}

/// Six runners at once through a session pool of three idle server sessions: the first three take all of
/// them, so their pooler checks' second connections get no server session; that is no error, and every
/// runner succeeds, each migration applied once. (`query_wait_timeout` is 90 s: the runs the check would
/// fail end sooner than with PgBouncer's default two minutes, and a loaded machine, where the first three runs
/// may hold the pool for tens of seconds, does not time out a healthy run.)
#[test]
fn six_runners_through_a_full_session_pool_of_three_all_succeed() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start_with(
        db.admin_url(),
        PoolMode::Session,
        &Options {
            pool_size: 3,
            query_wait_timeout: Some(90),
            ..Options::default()
        },
    );
    let pooled = bouncer.url_for(db.url());
    let outs = ups(6, &[("DATABASE_URL", &pooled)]);
    for (i, out) in outs.iter().enumerate() {
        assert_eq!(out.status.code(), Some(0), "runner {i}: {}", stderr(out));
    }
    assert_all_applied_once(&db, "six runners, a pool of three");
}

/// A run through a session pool of two, one server session held by another client all along: the run's own
/// connection takes the other, so every server check's query waits in PgBouncer's queue while a migration
/// sleeps for four seconds. The check counts the pooler's answer to its connection as the server being
/// there, and the run completes (it used to stop with "stopped answering" after two seconds).
#[test]
fn the_server_check_does_not_take_a_full_session_pool_for_a_dead_server() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start_with(
        db.admin_url(),
        PoolMode::Session,
        &Options {
            pool_size: 2,
            ..Options::default()
        },
    );
    let pooled = bouncer.url_for(db.url());
    let mut other = postgres::Client::connect(&pooled, postgres::NoTls).expect("connect");
    other
        .simple_query("SELECT 1")
        .expect("holds a server session");
    let cli = tests::cli::FixtureCli::with_url("stall", &pooled);
    let run = cli
        .run(&["up", "--server-check-timeout", "1"])
        .expect_code(0);
    assert!(
        run.stdout.contains("3 migration(s) applied"),
        "{}",
        run.stdout
    );
    other
        .simple_query("SELECT 1")
        .expect("the other client still works");
}

/// A pooler that calls the database by another name (an alias, as managed poolers name their pools): the
/// pooled `DATABASE_URL` and the direct URL name different databases, but the database behind the pooled one
/// is the direct URL's, so the run goes ahead.
#[test]
fn a_direct_url_to_the_database_behind_a_pool_alias_is_accepted() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start_with(
        db.admin_url(),
        PoolMode::Transaction,
        &Options {
            aliases: vec![("app_pool".to_owned(), db.name().to_owned())],
            ..Options::default()
        },
    );
    let pooled = bouncer.url_for_database(db.url(), "app_pool");
    let run = tests::cli::FixtureCli::with_url("basic", &pooled)
        .run_env(&["up"], &[("MIGRATE_DIRECT_URL", db.url())])
        .expect_code(0);
    assert!(run.stdout.contains("applied"), "{}", run.stdout);
    assert!(db.tables().contains(&"public.users".to_owned()));
}
