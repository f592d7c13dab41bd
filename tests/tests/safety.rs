//! The safety rails, driven through the CLI against a fresh database per test: out-of-order, missing and
//! edited migrations, concurrent runners and the advisory lock, bad connection inputs, a foreign bookkeeping
//! table, hostile identifiers, `create`'s name checks, a failing `down`, and a runner pointed at the wrong
//! migrations folder.

use std::path::Path;
use std::sync::{mpsc, Barrier};
use std::time::{Duration, Instant};

use migrate_core::{lock_key, MigrationsTable};
use tests::assert_cli_snapshot;
use tests::cli::{front, FixtureCli, Run};
use tests::TestDb;

/// `status` when a migration is CHANGED, MISSING FILE, FAILED or OUT OF ORDER.
const EXIT_STATUS_PROBLEMS: i32 = migrate_cli::EXIT_STATUS_PROBLEMS as i32;

/// The recorded checksum of `name` in the default bookkeeping table.
fn recorded_checksum(db: &TestDb, name: &str) -> String {
    let rows = db.query_strings(&format!(
        "SELECT checksum FROM public.pgmigrations WHERE name = '{name}'"
    ));
    assert_eq!(rows.len(), 1, "{name} is recorded once: {rows:?}");
    rows[0][0].clone().unwrap_or_default()
}

/// The compiled checksum of migration `name` in fixture `fixture`.
fn compiled_checksum(fixture: &str, name: &str) -> String {
    tests::fixtures::registry(fixture)
        .expect("known fixture")
        .migrations
        .iter()
        .find(|m| m.name() == name)
        .expect("known migration")
        .checksum()
}

/// Runs `args` with `fixture` against `url` on another thread; the receiver gets the finished run.
fn spawn_run(fixture: &str, url: &str, args: &[&str]) -> mpsc::Receiver<Run> {
    let (tx, rx) = mpsc::channel();
    let cli = FixtureCli::with_url(fixture, url);
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = tx.send(cli.run(&args));
    });
    rx
}

/// Blocks until another session of the current database polls for the migration lock (or panics after
/// 20 s). A waiting runner polls with `pg_try_advisory_lock` rather than queueing in `pg_locks` (see
/// `migrate-core/src/lock.rs`), so its last query is what shows it waiting.
fn wait_for_lock_waiter(client: &mut postgres::Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND query LIKE 'SELECT pg_catalog.pg_try_advisory_lock%'",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no runner started waiting for the migration lock within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `run` with every occurrence of `path` in its output replaced by `[TMP]`, for snapshots.
fn without_path(run: Run, path: &Path) -> Run {
    let path = path.display().to_string();
    Run {
        code: run.code,
        stdout: run.stdout.replace(&path, "[TMP]"),
        stderr: run.stderr.replace(&path, "[TMP]"),
    }
}

/// Arguments as a shell would need them typed (empty or unusual ones single-quoted), for transcripts.
fn shell_args(args: &[&str]) -> Vec<String> {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./=[]".contains(c))
            {
                (*a).to_owned()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect()
}

/// Panics unless neither stdout nor stderr of `run` contains `secret`.
#[track_caller]
fn assert_not_leaked(run: &Run, secret: &str) {
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "the password leaked:\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------------------
// 1. ordering

/// A migration merged after a newer one ran is refused by `up` (nothing applied) and flagged by `status`;
/// `--allow-out-of-order` applies it, and afterwards a plain `up` has nothing to do and no complaint: the
/// check compares the pending set with what is applied, not the last row with the newest file.
#[test]
fn out_of_order_is_refused_until_allowed_then_settles() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("ordering_v1", &db);
    v1.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded(), ["20260501000001_a", "20260501000003_c"]);

    let v2 = v1.switch("ordering_v2");
    let before = db.schema_dump();
    let up = v2.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("safety_out_of_order_up", up, &["up"]);
    assert!(up.stderr.contains("20260501000002_b"), "{}", up.stderr);
    assert_eq!(db.recorded(), ["20260501000001_a", "20260501000003_c"]);
    assert_eq!(db.schema_dump(), before, "a refused `up` changes nothing");
    assert!(!db.tables().contains(&"public.b".to_owned()));

    let status = v2.run(&["status"]).expect_code(EXIT_STATUS_PROBLEMS);
    assert_cli_snapshot!("safety_out_of_order_status", status, &["status"]);
    assert!(
        status.stdout.contains("OUT OF ORDER") && status.stdout.contains("20260501000002_b"),
        "{}",
        status.stdout
    );

    v2.run(&["up", "--allow-out-of-order"]).expect_code(0);
    assert_eq!(
        db.recorded(),
        ["20260501000001_a", "20260501000003_c", "20260501000002_b"]
    );
    assert_eq!(
        db.tables(),
        ["public.a", "public.b", "public.c", "public.pgmigrations"]
    );

    let again = v2.run(&["up"]).expect_code(0);
    assert!(
        again.stdout.contains("nothing to apply"),
        "{}",
        again.stdout
    );
    assert!(
        again.stderr.is_empty(),
        "no warning or error: {}",
        again.stderr
    );
    assert_eq!(db.recorded().len(), 3);
    let status = v2.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains("3 applied, 0 pending") && !status.stdout.contains("OUT OF ORDER"),
        "{}",
        status.stdout
    );
}

// ---------------------------------------------------------------------------------------------------------
// 2. missing file

/// An applied migration whose file is gone shows as MISSING FILE, blocks `up`, and `repair` forgets its row
/// (and only its row: the table it created stays); then `up` succeeds again.
#[test]
fn a_missing_file_blocks_up_until_repair_forgets_it() {
    let db = TestDb::new();
    let v2 = FixtureCli::new("ordering_v2", &db);
    v2.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded().len(), 3);

    let v1 = v2.switch("ordering_v1");
    let status = v1.run(&["status"]).expect_code(EXIT_STATUS_PROBLEMS);
    assert_cli_snapshot!("safety_missing_status", status, &["status"]);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("MISSING FILE") && l.ends_with("20260501000002_b")),
        "{}",
        status.stdout
    );

    let json = v1
        .run(&["status", "--json"])
        .expect_code(EXIT_STATUS_PROBLEMS);
    let json: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("status --json is JSON");
    assert_eq!(
        json["summary"],
        serde_json::json!({
            "total": 3, "applied": 2, "changed": 0, "missing": 1, "pending": 0, "out_of_order": 0,
            "failed": 0, "renamed": 0, "unverified": 0, "squashed": 0, "adopted": 0, "ahead": 0, "ahead_blocking": 0,
            "contracts_pending": 0, "problems": 1
        })
    );

    let up = v1.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("safety_missing_up", up, &["up"]);
    assert_eq!(db.recorded().len(), 3, "a refused `up` records nothing");

    let repair = v1.run(&["repair"]).expect_code(0);
    assert_cli_snapshot!("safety_missing_repair", repair, &["repair"]);
    assert_eq!(db.recorded(), ["20260501000001_a", "20260501000003_c"]);
    assert!(
        db.tables().contains(&"public.b".to_owned()),
        "repair only edits the bookkeeping"
    );

    let up = v1.run(&["up"]).expect_code(0);
    assert!(up.stdout.contains("nothing to apply"), "{}", up.stdout);
    assert_eq!(db.recorded(), ["20260501000001_a", "20260501000003_c"]);
}

// ---------------------------------------------------------------------------------------------------------
// 3. checksum drift

/// An applied migration edited afterwards blocks `up` (and the new migration behind it), shows as CHANGED,
/// and `repair <name>` stores exactly the new file's checksum without re-running it; then `up` proceeds.
#[test]
fn an_edited_migration_blocks_up_until_repair_accepts_it() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("drift_v1", &db);
    v1.run(&["up"]).expect_code(0);
    let t = "20260601000001_t";
    let old_checksum = recorded_checksum(&db, t);
    assert_eq!(old_checksum, compiled_checksum("drift_v1", t));

    let v2 = v1.switch("drift_v2");
    let up = v2.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("safety_drift_up", up, &["up"]);
    assert!(up.stderr.contains(t), "{}", up.stderr);
    assert_eq!(db.recorded(), [t]);
    assert_eq!(
        db.tables(),
        ["public.pgmigrations", "public.t"],
        "u not applied"
    );

    let status = v2.run(&["status"]).expect_code(EXIT_STATUS_PROBLEMS);
    assert_cli_snapshot!("safety_drift_status", status, &["status"]);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("CHANGED") && l.ends_with(t)),
        "{}",
        status.stdout
    );

    let repair = v2.run(&["repair", t]).expect_code(0);
    assert_cli_snapshot!("safety_drift_repair", repair, &["repair", t]);
    let new_checksum = recorded_checksum(&db, t);
    assert_ne!(new_checksum, old_checksum);
    assert_eq!(new_checksum, compiled_checksum("drift_v2", t));
    assert_eq!(
        db.columns("t"),
        ["id"],
        "repair does not re-run the migration"
    );

    v2.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded(), [t, "20260601000002_u"]);
    assert_eq!(db.tables(), ["public.pgmigrations", "public.t", "public.u"]);
}

/// The checksum a generated registry carries (computed by the build script, so the runner never reads the
/// sources for it) is the one the same source gives at run time, for every file of every fixture: what
/// databases recorded before the checksum moved to build time still matches. Baselines are flagged as such.
#[test]
fn the_build_time_checksum_is_the_run_time_one_for_every_fixture() {
    let mut checked = 0;
    let mut baselines = 0;
    for entry in std::fs::read_dir(tests::fixtures::dir("")).expect("fixtures folder") {
        let fixture = entry.expect("fixture").file_name();
        let fixture = fixture.to_str().expect("UTF-8 fixture name");
        let Some(registry) = tests::fixtures::registry(fixture) else {
            continue;
        };
        for m in registry.migrations {
            let built = m.precomputed();
            let at_run_time =
                migrate_core::Migration::defined(Box::leak(Box::new(migrate_core::Definition {
                    name: m.name(),
                    path: Box::leak(m.path().into_boxed_str()),
                    source: m.source(),
                    up: m.up(),
                    down: m.down(),
                })));
            let path = m.path();
            assert_eq!(m.checksum(), at_run_time.checksum(), "{path}");
            assert_eq!(built, at_run_time.precomputed(), "{path}");
            let on_disk = std::fs::read_to_string(&path).expect("migration file");
            assert_eq!(on_disk, m.source(), "{path}");
            assert_eq!(built, migrate_core::Precomputed::of(&on_disk), "{path}");
            checked += 1;
            baselines += usize::from(built.baseline);
        }
    }
    assert!(checked > 100, "only {checked} migrations found");
    assert!(baselines > 0, "no baseline among the fixtures");
}

// ---------------------------------------------------------------------------------------------------------
// 4. concurrent runners and the lock

/// Sixteen runners started at once on one database all succeed and apply every migration exactly once:
/// the advisory lock serialises them and the losers find nothing left to do.
#[test]
fn concurrent_runners_apply_each_migration_once() {
    const RUNNERS: usize = 16;
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let barrier = Barrier::new(RUNNERS);
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RUNNERS)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    cli.run(&["up"])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in &runs {
        assert_eq!(
            run.code, 0,
            "every runner succeeds\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
    }
    let appliers = runs
        .iter()
        .filter(|r| r.stdout.contains("3 migration(s) applied"))
        .count();
    let idle = runs
        .iter()
        .filter(|r| r.stdout.contains("nothing to apply"))
        .count();
    assert_eq!((appliers, idle), (1, RUNNERS - 1), "{runs:#?}");

    let counts = db.query_strings(
        "SELECT name, count(*)::text FROM public.pgmigrations GROUP BY name ORDER BY name",
    );
    assert_eq!(
        counts,
        [
            "20260101000001_create_users",
            "20260101000002_add_profile",
            "20260101000003_create_posts"
        ]
        .map(|n| vec![Some(n.to_owned()), Some("1".to_owned())])
    );
    assert_eq!(
        db.tables(),
        ["public.pgmigrations", "public.posts", "public.users"]
    );
}

/// Twenty `up --to NAME` started at once (replicas starting together): one applies up to NAME, the others
/// find it applied once they get the lock; the target they asked for is reached, so every one succeeds.
#[test]
fn concurrent_runners_up_to_the_same_target_all_succeed() {
    const RUNNERS: usize = 20;
    const TARGET: &str = "20260101000002_add_profile";
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let barrier = Barrier::new(RUNNERS);
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RUNNERS)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    cli.run(&["up", "--to", TARGET])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for run in &runs {
        assert_eq!(
            run.code, 0,
            "every runner succeeds\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
    }
    let appliers = runs
        .iter()
        .filter(|r| r.stdout.contains("2 migration(s) applied"))
        .count();
    let reached = runs
        .iter()
        .filter(|r| {
            r.stdout
                .contains(&format!("nothing to apply: {TARGET} is applied on"))
        })
        .count();
    assert_eq!((appliers, reached), (1, RUNNERS - 1), "{runs:#?}");
    assert_eq!(
        db.query_strings("SELECT name FROM public.pgmigrations ORDER BY name"),
        ["20260101000001_create_users", TARGET].map(|n| vec![Some(n.to_owned())])
    );
}

/// With the lock held elsewhere, `--lock-mode fail` exits 3 at once naming the table and the holder's server
/// process, and reverts nothing; the default mode waits (visibly) until the lock is released, then runs.
#[test]
fn a_held_lock_fails_fast_or_is_waited_for() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    cli.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded().len(), 3);

    let key = lock_key(&MigrationsTable::default());
    let mut holder = db.client();
    let holder_pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .unwrap();

    // Fail mode, with a deadline so a runner that waits instead cannot hang the suite.
    let args = ["down", "--lock-mode", "fail"];
    let rx = spawn_run("basic", db.url(), &args);
    let busy = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(run) => run,
        Err(_) => {
            drop(holder);
            panic!("`down --lock-mode fail` did not return within 30 s while the lock was held");
        }
    };
    let busy = busy.expect_code(3);
    assert_cli_snapshot!("safety_lock_busy", busy, &args);
    assert!(
        busy.stderr.contains("public.pgmigrations")
            && busy
                .stderr
                .contains(&format!("server process {holder_pid}")),
        "names the table and the holder (pid {holder_pid}): {}",
        busy.stderr
    );
    assert_eq!(db.recorded().len(), 3, "nothing reverted");
    assert!(db.tables().contains(&"public.posts".to_owned()));

    // Wait mode (the default).
    let rx = spawn_run("basic", db.url(), &["down"]);
    wait_for_lock_waiter(&mut holder);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        matches!(rx.try_recv(), Err(mpsc::TryRecvError::Empty)),
        "`down` finished while another session held the lock"
    );
    assert_eq!(db.recorded().len(), 3, "nothing reverted while waiting");
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .unwrap();
    let waited = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("`down` finishes once the lock is released")
        .expect_code(0);
    assert!(
        waited.stderr.contains(&format!(
            "waiting for the migration lock on public.pgmigrations (held by server process {holder_pid})"
        )),
        "{}",
        waited.stderr
    );
    assert!(
        waited
            .stdout
            .contains("reverted 20260101000003_create_posts"),
        "{}",
        waited.stdout
    );
    assert_eq!(
        db.recorded(),
        ["20260101000001_create_users", "20260101000002_add_profile"]
    );
    assert!(!db.tables().contains(&"public.posts".to_owned()));
}

// ---------------------------------------------------------------------------------------------------------
// 5. bad connection inputs

/// A server that refuses the connection: a quick, clear `cannot connect` error, password hidden.
#[test]
fn an_unreachable_server_is_reported_quickly_without_the_password() {
    let cli = FixtureCli::with_url("basic", "postgres://postgres:s3cret@127.0.0.1:1/x");
    let args = ["up", "--connect-timeout", "2"];
    let started = Instant::now();
    let run = cli.run(&args).expect_code(1);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(8),
        "took {elapsed:?} with --connect-timeout 2"
    );
    assert_not_leaked(&run, "s3cret");
    assert!(
        run.stderr
            .starts_with("error: cannot connect to postgres://postgres:***@127.0.0.1:1/x"),
        "{}",
        run.stderr
    );
    assert_cli_snapshot!("safety_connect_unreachable", run, &args);
}

/// A URL the driver cannot parse: `invalid database URL`, password hidden.
#[test]
fn a_malformed_url_is_reported_without_the_password() {
    let cli = FixtureCli::with_url("basic", "postgres://postgres:s3cret@127.0.0.1:notaport/x");
    let run = cli.run(&["up"]).expect_code(1);
    assert_not_leaked(&run, "s3cret");
    assert!(
        run.stderr.starts_with(
            "error: invalid database URL postgres://postgres:***@127.0.0.1:notaport/x"
        ),
        "{}",
        run.stderr
    );
    assert_cli_snapshot!("safety_connect_malformed", run, &["up"]);
}

/// A database that does not exist: the server's message naming it, password hidden.
#[test]
fn a_missing_database_is_reported_by_name() {
    let mut url = url::Url::parse(&tests::admin_url_from_env()).unwrap();
    url.set_path("/mt_does_not_exist");
    let cli = FixtureCli::with_url("basic", url.as_str());
    let run = cli.run(&["up"]).expect_code(1);
    if let Some(password) = url.password() {
        assert_not_leaked(&run, password);
    }
    assert!(
        run.stderr.starts_with("error: cannot connect to")
            && run.stderr.contains("\"mt_does_not_exist\" does not exist"),
        "{}",
        run.stderr
    );
    assert_cli_snapshot!("safety_connect_missing_database", run, &["up"]);
}

/// A role that does not exist (the local server trusts every password, so a wrong password would go
/// unnoticed): a `cannot connect` error naming the role, password hidden.
#[test]
fn an_unknown_role_is_reported_without_the_password() {
    let mut url = url::Url::parse(&tests::admin_url_from_env()).unwrap();
    url.set_username("no_such_role_xyz").unwrap();
    url.set_password(Some("s3cret")).unwrap();
    url.set_path("/postgres");
    url.set_query(None);
    let cli = FixtureCli::with_url("basic", url.as_str());
    let run = cli.run(&["up"]).expect_code(1);
    assert_not_leaked(&run, "s3cret");
    assert!(
        run.stderr
            .starts_with("error: cannot connect to postgres://no_such_role_xyz:***@")
            && run.stderr.contains("\"no_such_role_xyz\""),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// No URL and no PG* variables: `no database given`, with how to give one.
#[test]
fn no_database_at_all_says_how_to_give_one() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let run = cli.run_env(&["up"], &[("DATABASE_URL", "")]).expect_code(1);
    assert!(
        run.stderr.starts_with("error: no database given"),
        "{}",
        run.stderr
    );
    assert_cli_snapshot!("safety_connect_no_url", run, &["up"]);
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

// ---------------------------------------------------------------------------------------------------------
// 6. foreign bookkeeping table

/// A `public.pgmigrations` with node-pg-migrate's layout is refused, naming the table, the missing columns
/// and node-pg-migrate; no migration runs and the foreign table is left untouched.
#[test]
fn a_node_pg_migrate_table_is_refused() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE public.pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)",
    );
    let cli = FixtureCli::new("basic", &db);
    let up = cli.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("safety_foreign_table_up", up, &["up"]);
    for needle in [
        "public.pgmigrations",
        "column checksum is missing",
        "column execution_ms is missing",
        "node-pg-migrate",
    ] {
        assert!(up.stderr.contains(needle), "{needle:?} in {}", up.stderr);
    }
    assert_eq!(db.tables(), ["public.pgmigrations"], "users table absent");
    assert_eq!(db.columns("pgmigrations"), ["id", "name", "run_on"]);
}

/// And node-pg-migrate's table (as it creates `pgmigrations`) is refused with the
/// way on (`migrate import --from node-pg-migrate`); with the two nullable columns that import adds, and `run_on`
/// kept as `timestamp` (no default there, so the bookkeeping row must write it), it records migrations.
#[test]
fn a_node_pg_migrate_table_converted_as_the_hints_say_records_migrations() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE public.pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)",
    );
    let cli = FixtureCli::new("basic", &db);
    let refused = cli.run(&["up"]).expect_code(1);
    for hint in [
        "column checksum is missing; column execution_ms is missing",
        "(this looks like a node-pg-migrate table: importing its migrations adopts it",
        "hint: `migrate import --from node-pg-migrate DIR` adopts it",
    ] {
        assert!(
            refused.stderr.contains(hint),
            "{hint:?} in {}",
            refused.stderr
        );
    }
    db.exec(
        "ALTER TABLE public.pgmigrations ADD COLUMN checksum text, ADD COLUMN execution_ms bigint",
    );
    let up = cli.run(&["up"]).expect_code(0);
    assert!(
        up.stdout.contains("3 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert_eq!(
        db.query_strings(
            "SELECT count(*)::text FROM public.pgmigrations WHERE run_on IS NOT NULL AND checksum IS NOT NULL"
        ),
        [[Some("3".to_owned())]]
    );
    assert!(db.tables().contains(&"public.users".to_owned()));
}

// ---------------------------------------------------------------------------------------------------------
// 7. hostile identifiers

/// Table and schema names full of quotes and SQL are identifiers, never SQL: `up` and `status` work, the
/// bookkeeping table exists under exactly that name in exactly that schema, and nothing was dropped.
#[test]
fn hostile_table_and_schema_names_are_quoted() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let (table, schema) = ("x\"; DROP TABLE users; --", "we ird\"schema");
    let flags = ["--migrations-table", table, "--migrations-schema", schema];
    let with = |command: &str| {
        let mut args = vec![command];
        args.extend(flags);
        cli.run(&args)
    };

    with("up").expect_code(0);
    let status = with("status").expect_code(0);
    assert!(
        status.stdout.contains("3 applied, 0 pending"),
        "{}",
        status.stdout
    );
    // A second `up` drops nothing either (the payload would run before `users` is read).
    with("up").expect_code(0);

    let found = db.client()
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r'",
            &[&schema, &table],
        )
        .unwrap();
    assert_eq!(
        found.len(),
        1,
        "the bookkeeping table has exactly that name"
    );
    let mut tables = db.tables();
    tables.sort();
    assert_eq!(
        tables,
        [
            "public.posts".to_owned(),
            "public.users".to_owned(),
            format!("{schema}.{table}"),
        ]
    );
    let rows: i64 = db
        .client()
        .query_one(
            &format!(
                "SELECT count(*) FROM \"{}\".\"{}\"",
                schema.replace('"', "\"\""),
                table.replace('"', "\"\"")
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, 3);
}

/// Names PostgreSQL could not store as given are refused before connecting: empty and 64 bytes (it would
/// silently truncate). 54 bytes is the limit, so that the tables named after it (`<name>_backfill`) fit too;
/// it is kept whole.
#[test]
fn table_names_outside_postgres_limits_are_refused() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);

    let run = cli.run(&["up", "--migrations-table", ""]).expect_code(1);
    assert_cli_snapshot!(
        "safety_table_name_empty",
        run,
        &["up", "--migrations-table", "''"]
    );
    assert!(
        run.stderr.contains("invalid migrations table name"),
        "{}",
        run.stderr
    );

    let long = "t".repeat(64);
    let too_long = ["up", "--migrations-table", &long];
    let run = cli.run(&too_long).expect_code(1);
    assert_cli_snapshot!("safety_table_name_64_bytes", run, &too_long);
    assert!(run.stderr.contains("1 to 63 bytes"), "{}", run.stderr);
    // Bytes, not characters: 32 two-byte characters are 64 bytes too.
    let wide = "é".repeat(32);
    let run = cli.run(&["up", "--migrations-table", &wide]).expect_code(1);
    assert!(run.stderr.contains("1 to 63 bytes"), "{}", run.stderr);
    assert!(db.tables().is_empty(), "{:?}", db.tables());

    let longest = "t".repeat(54);
    cli.run(&["up", "--migrations-table", &longest])
        .expect_code(0);
    assert_eq!(
        db.tables(),
        [
            "public.posts".to_owned(),
            format!("public.{longest}"),
            "public.users".to_owned()
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------
// 8. create, and the front end without a runner

/// An unreachable database URL with a password: `create` must never use it (nor show it).
const UNREACHABLE: (&str, &str) = (
    "DATABASE_URL",
    "postgres://postgres:s3cret@127.0.0.1:1/none",
);

/// The sorted file names in `dir` (empty when it does not exist).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `create add location --migrations-dir <dir>` through the generic front end in `cwd`; must succeed.
#[track_caller]
fn create_add_location(cwd: &Path, dir: &Path) -> Run {
    let dir = dir.display().to_string();
    let run = front(
        cwd,
        &["create", "add", "location", "--migrations-dir", &dir],
        &[UNREACHABLE],
    )
    .expect_code(0);
    assert!(
        run.stdout.starts_with("created migrations/") && run.stdout.ends_with("_add_location.rs\n"),
        "{}",
        run.stdout
    );
    assert_not_leaked(&run, "s3cret");
    run
}

/// `create` through the generic front end needs neither a database (the URL is unreachable) nor a build
/// (there is no migrate.toml): creates in quick succession (so at least two fall in the same second) give one
/// file each, with distinct timestamps, each sorting after the one created before it, each with the template.
#[test]
fn creates_in_a_row_give_distinct_ordered_files() {
    let cwd = tempfile::tempdir().unwrap();
    let dir = cwd.path().join("migrations");
    let reported: Vec<String> = (0..3)
        .map(|_| {
            let run = create_add_location(cwd.path(), &dir);
            run.stdout["created migrations/".len()..]
                .trim_end()
                .to_owned()
        })
        .collect();

    let created = files_in(&dir);
    assert_eq!(created, reported, "one file per create, in creation order");
    for pair in created.windows(2) {
        assert!(pair[0][..14] < pair[1][..14], "{created:?}");
    }
    for name in &created {
        assert_eq!(name.len(), "20260101000000_add_location.rs".len(), "{name}");
        assert!(name[..14].bytes().all(|b| b.is_ascii_digit()), "{name}");
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.starts_with("//! add location"), "{text}");
    }
}

/// Names that could escape the folder, are empty, or are not identifiers are refused with a clear message,
/// and nothing is written, in the migrations folder or anywhere near it.
#[test]
fn create_refuses_bad_names_and_writes_nothing() {
    let cwd = tempfile::tempdir().unwrap();
    let dir = cwd.path().join("migrations");
    let dir_arg = dir.display().to_string();
    create_add_location(cwd.path(), &dir);
    let created = files_in(&dir);
    assert_eq!(created.len(), 1, "{created:?}");

    for (label, bad) in [
        ("escape", "../escape"),
        ("empty", ""),
        ("slash", "a/b"),
        ("semicolon", "drop;table"),
    ] {
        let args = ["create", bad, "--migrations-dir", &dir_arg];
        let run = front(cwd.path(), &args, &[UNREACHABLE]).expect_code(1);
        assert!(
            run.stderr.starts_with("error: migration name"),
            "{bad:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{bad:?}: {}", run.stdout);
        let shown = shell_args(&["create", bad, "--migrations-dir", "[TMP]/migrations"]);
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        assert_cli_snapshot!(
            format!("safety_create_bad_name_{label}"),
            without_path(run, cwd.path()),
            &shown
        );
        assert_eq!(
            files_in(&dir),
            created,
            "{bad:?} wrote nothing in the folder"
        );
    }
    assert_eq!(
        files_in(cwd.path()),
        ["migrations"],
        "nothing escaped the migrations folder"
    );
}

/// The generic front end cannot run `up` without knowing which crate compiles the migrations: it says to add
/// a [runner] table.
#[test]
fn the_front_end_without_a_config_says_to_add_a_runner() {
    let cwd = tempfile::tempdir().unwrap();
    let run = front(cwd.path(), &["up"], &[UNREACHABLE]).expect_code(1);
    assert!(run.stderr.contains("[runner]"), "{}", run.stderr);
    assert_not_leaked(&run, "s3cret");
    assert_cli_snapshot!("safety_front_up_without_config", run, &["up"]);
}

// ---------------------------------------------------------------------------------------------------------
// 9. failing down

/// A `down` the server rejects rolls back: the migration stays recorded as applied and its table stays.
#[test]
fn a_failing_down_keeps_the_migration_applied() {
    let db = TestDb::new();
    let cli = FixtureCli::new("down_fails", &db);
    cli.run(&["up"]).expect_code(0);
    let before = db.schema_dump();

    let down = cli.run(&["down"]).expect_code(1);
    assert_cli_snapshot!("safety_down_fails", down, &["down"]);
    assert!(down.stderr.contains("does_not_exist"), "{}", down.stderr);
    assert_eq!(db.recorded(), ["20260801000001_create_keeper"]);
    assert_eq!(db.tables(), ["public.keeper", "public.pgmigrations"]);
    assert_eq!(db.schema_dump(), before);
}

// ---------------------------------------------------------------------------------------------------------
// 10. wrong migrations folder

/// A runner only runs the folder compiled into it: pointed at another fixture's folder, or at a folder that
/// does not exist, it refuses with a message naming the folders, before touching the database.
#[test]
fn a_runner_refuses_a_folder_it_was_not_compiled_with() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);

    let other = tests::fixtures::dir("drift_v1");
    let run = cli
        .run_env(&["up"], &[("MIGRATIONS_DIR", other.to_str().unwrap())])
        .expect_code(1);
    assert_cli_snapshot!("safety_wrong_migrations_dir", run, &["up"]);
    assert!(
        run.stderr.contains("drift_v1") && run.stderr.contains("basic"),
        "{}",
        run.stderr
    );
    assert!(db.tables().is_empty(), "{:?}", db.tables());

    let missing = tests::fixtures::dir("no_such_folder");
    let run = cli
        .run_env(&["up"], &[("MIGRATIONS_DIR", missing.to_str().unwrap())])
        .expect_code(1);
    assert_cli_snapshot!("safety_missing_migrations_dir", run, &["up"]);
    assert!(run.stderr.contains("no_such_folder"), "{}", run.stderr);
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

// ---------------------------------------------------------------------------------------------------------
// 9. renamed files, rows written by other tools, restricted roles

/// An applied migration whose file was renamed (same content, so same checksum) is recognised: `status`
/// shows the rename, `up` refuses and says how to record it, `repair` records the new name on the same
/// row, and the migration never runs a second time.
#[test]
fn a_renamed_file_is_recognised_by_its_checksum_and_repair_records_the_rename() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("rename_v1", &db);
    v1.run(&["up"]).expect_code(0);
    let old = "20270401000002_seed";
    let new = "20270401000002_seed_admin";
    let seeded = || {
        db.query_strings("SELECT count(*)::text FROM accounts")[0][0]
            .clone()
            .unwrap_or_default()
    };
    assert_eq!(seeded(), "1");

    let v2 = v1.switch("rename_v2");
    // Exit 5: like a changed or missing file, a rename makes `up` refuse until it is repaired.
    let status = v2.run(&["status"]).expect_code(5);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("RENAMED") && l.ends_with(&format!("{new} (was {old})"))),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("MISSING FILE"), "{}", status.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&v2.run(&["status", "--json"]).expect_code(5).stdout).unwrap();
    let entry = json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == new)
        .cloned()
        .unwrap_or_default();
    assert_eq!(entry["state"], "renamed", "{json}");
    assert_eq!(entry["renamed_from"], old, "{json}");
    assert_eq!(json["summary"]["renamed"], 1, "{json}");
    assert_eq!(json["summary"]["missing"], 0, "{json}");

    let up = v2.run(&["up"]).expect_code(1);
    assert!(
        up.stderr.contains(&format!("{old} -> {new}")) && up.stderr.contains("`repair`"),
        "{}",
        up.stderr
    );
    assert_eq!(seeded(), "1", "a refused `up` runs nothing");

    let repair = v2.run(&["repair"]).expect_code(0);
    assert!(
        repair
            .stdout
            .contains(&format!("recorded the rename of {old} to {new}")),
        "{}",
        repair.stdout
    );
    assert_eq!(db.recorded(), ["20270401000001_create_accounts", new]);

    let up = v2.run(&["up"]).expect_code(0);
    assert!(up.stdout.contains("nothing to apply"), "{}", up.stdout);
    assert_eq!(seeded(), "1", "the seed ran exactly once");
    let status = v2.run(&["status"]).expect_code(0);
    assert!(
        status.stdout.contains("2 applied, 0 pending"),
        "{}",
        status.stdout
    );
}

/// Two pending files with the content of one applied migration whose file is gone (a
/// rename plus a copy): which one is the renamed file cannot be told, so status names both and never advises
/// `repair` to forget the row; `up` and `repair` refuse (forgetting it would run the seed twice more, three
/// rows instead of one). Once one file is left it is a rename, which `repair` records.
#[test]
fn two_files_with_the_content_of_one_gone_row_are_named_and_never_run_again() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("rename_v1", &db);
    v1.run(&["up"]).expect_code(0);
    let old = "20270401000002_seed";
    let copies = "20270401000002_seed_admin, 20270401000003_seed_admin_copy";
    let seeded = || {
        db.query_strings("SELECT count(*)::text FROM accounts")[0][0]
            .clone()
            .unwrap_or_default()
    };
    assert_eq!(seeded(), "1");

    let v3 = v1.switch("rename_v3");
    let status = v3.run(&["status"]).expect_code(5);
    assert!(
        status.stdout.contains(&format!(
            "MISSING FILE: {old} is applied and has no file, but the pending {copies} have exactly its content"
        )),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("forgets it"), "{}", status.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&v3.run(&["status", "--json"]).expect_code(5).stdout).unwrap();
    let entry = json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == old)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        entry["same_content_as"],
        serde_json::json!([
            "20270401000002_seed_admin",
            "20270401000003_seed_admin_copy"
        ]),
        "{json}"
    );

    for args in [&["up"][..], &["repair"], &["repair", old]] {
        let refused = v3.run(args).expect_code(1);
        assert!(
            refused
                .stderr
                .contains(&format!("{old} (same content: {copies})"))
                && refused.stderr.contains("running them would apply it again")
                && !refused.stderr.contains("forget"),
            "migrate {}: {}",
            args.join(" "),
            refused.stderr
        );
        assert_eq!(seeded(), "1", "migrate {}", args.join(" "));
        assert_eq!(db.recorded(), ["20270401000001_create_accounts", old]);
    }

    // The copy deleted: one file with that content, a rename.
    let v2 = v1.switch("rename_v2");
    v2.run(&["repair"]).expect_code(0);
    v2.run(&["up"]).expect_code(0);
    assert_eq!(seeded(), "1", "the seed ran exactly once");
}

/// Rows without a checksum or an execution time (what adding those columns to another tool's table
/// leaves) are shown as unverified, do not stop `status` or `up`, and `repair` records their checksum.
#[test]
fn rows_without_checksum_or_execution_time_are_unverified_not_a_crash() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let first = "20260101000001_create_users";
    db.exec(
        "ALTER TABLE public.pgmigrations ALTER checksum DROP NOT NULL, ALTER execution_ms DROP NOT NULL;
         UPDATE public.pgmigrations SET checksum = NULL, execution_ms = NULL",
    );

    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("UNVERIFIED") && l.ends_with(first)),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("no checksum"), "{}", status.stdout);
    let json = cli.run(&["status", "--json"]).expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["migrations"][0]["state"], "unverified", "{json}");
    assert_eq!(json["summary"]["unverified"], 1, "{json}");
    assert_eq!(json["summary"]["problems"], 0, "{json}");
    assert!(
        json["migrations"][0]["applied"]["checksum"].is_null(),
        "{json}"
    );

    cli.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded().len(), 3);
    cli.run(&["down"]).expect_code(0);
    cli.run(&["up"]).expect_code(0);

    let repair = cli.run(&["repair"]).expect_code(0);
    assert!(
        repair
            .stdout
            .contains(&format!("recorded the checksum of {first}")),
        "{}",
        repair.stdout
    );
    assert_eq!(
        recorded_checksum(&db, first),
        compiled_checksum("basic", first)
    );
    let status = cli.run(&["status"]).expect_code(0);
    assert!(!status.stdout.contains("UNVERIFIED"), "{}", status.stdout);
    assert!(
        status.stdout.contains("3 applied, 0 pending"),
        "{}",
        status.stdout
    );
}

/// A login role, dropped (after the test's database) when this goes out of scope.
struct Role {
    name: String,
    admin_url: String,
}

impl Drop for Role {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS \"{}\"", self.name));
        }
    }
}

/// A role that owns schema `public` but may not create schemas in the database creates the bookkeeping
/// table there: the schema is only created when it is missing.
#[test]
fn a_role_owning_the_schema_without_create_on_the_database_can_run_up() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Declared before the database, so it is dropped after it.
    let role = Role {
        name: format!("mt_owner_{}_{nanos}", std::process::id()),
        admin_url: tests::admin_url_from_env(),
    };
    let db = TestDb::new();
    db.exec(&format!(
        "CREATE ROLE \"{0}\" LOGIN; ALTER SCHEMA public OWNER TO \"{0}\"; REVOKE ALL ON DATABASE \"{1}\" FROM PUBLIC; \
         GRANT CONNECT ON DATABASE \"{1}\" TO \"{0}\"",
        role.name,
        db.name()
    ));
    let mut url = url::Url::parse(db.url()).unwrap();
    url.set_username(&role.name).unwrap();
    let cli = FixtureCli::with_url("basic", url.as_str());
    let run = cli.run(&["up"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(db.recorded().len(), 3);
}
