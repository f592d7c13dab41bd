//! Connection poolers, against a real PgBouncer started by the tests: behind a transaction-pooling one every
//! runner refuses before changing anything, naming what it detected and the direct URL to use; through a
//! session-pooling one, or with `MIGRATE_DIRECT_URL` beside the pooled `DATABASE_URL`, sixteen concurrent
//! runners apply every migration exactly once.

use std::process::Output;

use tests::cli::runner;
use tests::pooler::{PgBouncer, PoolMode};
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
    let names: Vec<String> = db
        .query_strings("SELECT name FROM public.pgmigrations ORDER BY id")
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect();
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
