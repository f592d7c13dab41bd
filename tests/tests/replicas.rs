//! Backfills that watch the server: a real streaming standby (a throwaway primary and a `pg_basebackup -R`
//! copy on 127.0.0.1) whose replay is paused and resumed, replication slots, vacuum on the table, a
//! user's pause predicate, the run's time budget, and the sessions that block a migration's locks.

use std::time::{Duration, Instant};

use tests::cluster;

fn one(url: &str, sql: &str) -> String {
    try_one(url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The first value `sql` returns, or why not (a database the standby has not replayed yet, say).
fn try_one(url: &str, sql: &str) -> Result<String, postgres::Error> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    let rows = client.simple_query(sql)?;
    Ok(rows
        .iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("").to_owned()),
            _ => None,
        })
        .unwrap_or_default())
}

/// Polls `check` for at most 60 s (a bound against hanging, not a timing assertion).
#[track_caller]
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "60 s without: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_standby_helper_streams_and_a_paused_replay_holds_its_position() {
    let pair = cluster::start_with_standby("standby_a", None);
    let primary = pair.primary.database("helper");
    let standby = primary.replace(
        &format!(":{}/", pair.primary.port()),
        &format!(":{}/", pair.standby.port()),
    );
    one(&primary, "CREATE TABLE t AS SELECT 1 AS x");
    eventually("the standby replays the new table", || {
        try_one(&standby, "SELECT to_regclass('t') IS NOT NULL").is_ok_and(|v| v == "t")
    });
    assert_eq!(one(&standby, "SELECT pg_is_in_recovery()"), "t");

    pair.pause_replay();
    eventually("replay paused", || {
        one(&standby, "SELECT pg_get_wal_replay_pause_state()") == "paused"
    });
    one(&primary, "INSERT INTO t SELECT generate_series(1, 20000)");
    assert!(
        pair.replay_lag_bytes() > 100_000,
        "{}",
        pair.replay_lag_bytes()
    );
    assert_eq!(one(&standby, "SELECT count(*) FROM t"), "1");

    pair.resume_replay();
    eventually("the standby catches up", || pair.replay_lag_bytes() == 0);
    assert_eq!(one(&standby, "SELECT count(*) FROM t"), "20001");
}

// ---------------------------------------------------------------------------------------------------------
// Replication lag

mod lagging {
    use std::sync::Mutex;

    use migrate_core::{Definition, Migration};
    use migrate_dsl::prelude::*;

    /// WAL written by each batch's own work: (position before, position after).
    pub static BATCH_WAL: Mutex<Vec<(i64, i64)>> = Mutex::new(Vec::new());

    fn position(tx: &mut postgres::Transaction<'_>) -> Result<i64, postgres::Error> {
        Ok(tx
            .query_one(
                "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::int8",
                &[],
            )?
            .get(0))
    }

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill_with("items", |tx, rows| {
            let before = position(tx)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
            tx.execute(
                "UPDATE items SET doubled = v * 2 WHERE id = ANY($1)",
                &[&ids],
            )?;
            let after = position(tx)?;
            BATCH_WAL.lock().expect("batch log").push((before, after));
            Ok(())
        })
        .batch_size(200);
    }

    pub static MIGRATION: [Migration; 1] = [Migration::defined(&Definition {
        name: "20280101000001_fill_doubled",
        path: "tests/replicas.rs",
        source: "fill_doubled",
        up,
        down: None,
    })];
}

/// What a backfill reported, in order.
#[derive(Debug, Clone)]
enum Seen {
    Batch,
    Paused(migrate_core::PauseCause),
    Resumed,
}

fn create_items(url: &str, rows: u32) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    client
        .batch_execute(&format!(
            "CREATE TABLE items (id bigint PRIMARY KEY, v integer NOT NULL, doubled integer, pad text);
             INSERT INTO items (id, v, pad) SELECT i, i, repeat('x', 200) FROM generate_series(1, {rows}) i"
        ))
        .expect("items");
}

/// Runs the `lagging` backfill on a thread with `settings`; its events arrive on the returned channel.
fn spawn_backfill(
    url: &str,
    settings: migrate_core::BackfillSettings,
) -> (
    std::sync::mpsc::Receiver<Seen>,
    std::thread::JoinHandle<Result<(), String>>,
) {
    spawn_migrations(url, &lagging::MIGRATION, settings)
}

/// Runs `migrations` on a thread with `settings`; the backfills' events arrive on the returned channel.
fn spawn_migrations(
    url: &str,
    migrations: &'static [migrate_core::Migration],
    settings: migrate_core::BackfillSettings,
) -> (
    std::sync::mpsc::Receiver<Seen>,
    std::thread::JoinHandle<Result<(), String>>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let url = url.to_owned();
    let run = std::thread::spawn(move || {
        let mut client =
            postgres::Client::connect(&url, postgres::NoTls).map_err(|e| e.to_string())?;
        migrate_core::Migrator::new(migrations)
            .backfill_settings(settings)
            .run_up(&mut client, &migrate_core::UpTarget::All, &mut |event| {
                let seen = match event {
                    migrate_core::Event::Backfill { .. } => Seen::Batch,
                    migrate_core::Event::BackfillPaused { cause, .. } => {
                        Seen::Paused(cause.clone())
                    }
                    migrate_core::Event::BackfillResumed { .. } => Seen::Resumed,
                    _ => return,
                };
                let _ = tx.send(seen);
            })
            .map(drop)
            .map_err(|e| e.to_string())
    });
    (rx, run)
}

const LIMIT: u64 = 512 << 10;

/// Slack for WAL the server writes besides the batches (a checkpoint record, a running-transactions
/// record), which are not the backfill's.
const BACKGROUND_WAL: i64 = 64 << 10;

#[test]
fn a_backfill_waits_while_a_standby_lags_and_goes_on_once_it_replays() {
    // With replay paused the backfill pauses within one batch of the threshold, stays
    // paused, and goes on once replay resumes; the lag never exceeds the threshold plus one batch.
    let pair = cluster::start_with_standby("replica_a", None);
    let url = pair.primary.database("lag");
    create_items(&url, 30_000);
    eventually("the standby replays the table", || {
        pair.replay_lag_bytes() == 0
    });
    pair.pause_replay();
    let settings = migrate_core::BackfillSettings {
        max_replica_lag: migrate_core::LagLimit::bytes(LIMIT),
        ..Default::default()
    };
    let (events, run) = spawn_backfill(&url, settings);

    // Batches, then a pause; it holds across re-checks while replay stays paused.
    let mut batches_before = 0;
    let mut paused = Vec::new();
    while paused.len() < 4 {
        match events
            .recv_timeout(Duration::from_secs(60))
            .expect("an event")
        {
            Seen::Batch => {
                assert!(paused.is_empty(), "a batch ran while paused");
                batches_before += 1;
            }
            Seen::Paused(cause) => {
                let lag_now = pair.replay_lag_bytes();
                paused.push((cause, lag_now));
            }
            Seen::Resumed => panic!("resumed while replay is paused"),
        }
    }
    assert!(
        batches_before > 1,
        "{batches_before} batch(es) before the pause"
    );
    let worst_batch = lagging::BATCH_WAL
        .lock()
        .expect("batch log")
        .iter()
        .map(|(before, after)| after - before)
        .max()
        .expect("batches ran");
    for (cause, lag_now) in &paused {
        let migrate_core::PauseCause::ReplicaLag { name, bytes, .. } = cause else {
            panic!("paused for {cause}, not the standby");
        };
        assert_eq!(name, "replica_a");
        assert!(*bytes > LIMIT, "paused at {bytes} bytes, under the limit");
        // The check before the last batch saw the lag under the limit: one batch's WAL more at most.
        let bound = LIMIT as i64 + worst_batch + BACKGROUND_WAL;
        assert!(
            (*bytes as i64) <= bound && *lag_now <= bound,
            "lag {bytes} (server: {lag_now}) over the limit {LIMIT} plus one batch ({worst_batch}) and background WAL"
        );
    }
    eprintln!(
        "paused after {batches_before} batches at {} bytes behind (limit {LIMIT}, largest batch {worst_batch} bytes of WAL)",
        pair.replay_lag_bytes()
    );

    let resumed_at = Instant::now();
    pair.resume_replay();
    let mut resumed = false;
    loop {
        match events.recv_timeout(Duration::from_secs(60)) {
            Ok(Seen::Resumed) => {
                if !resumed {
                    eprintln!(
                        "went on {} ms after replay resumed",
                        resumed_at.elapsed().as_millis()
                    );
                }
                resumed = true;
            }
            Ok(Seen::Batch) => assert!(resumed, "a batch ran before the pause ended"),
            Ok(Seen::Paused(_)) => {}
            Err(_) => break,
        }
    }
    assert!(resumed, "the backfill never went on");
    run.join()
        .expect("run thread")
        .expect("the backfill finishes");
    assert_eq!(
        one(&url, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "30000"
    );
}

/// A background job (queued by `up`, run by a worker): the migration that queues it.
mod queued {
    use migrate_core::{Definition, Migration};
    use migrate_dsl::prelude::*;

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2")
            .where_clause("doubled IS NULL")
            .batch_size(500)
            .in_background();
    }

    pub static MIGRATION: [Migration; 1] = [Migration::defined(&Definition {
        name: "20280101000002_queue_doubled",
        path: "tests/replicas.rs",
        source: "queue_doubled",
        up,
        down: None,
    })];
}

#[test]
fn a_background_job_waits_while_a_standby_lags_and_goes_on_once_it_replays() {
    let pair = cluster::start_with_standby("replica_jobs", None);
    let url = pair.primary.database("jobs");
    create_items(&url, 30_000);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    migrate_core::Migrator::new(&queued::MIGRATION)
        .run_up(&mut client, &migrate_core::UpTarget::All, &mut |_| {})
        .expect("up queues the job");
    assert_eq!(
        one(&url, "SELECT count(*) FROM items WHERE doubled IS NOT NULL"),
        "0"
    );
    eventually("the standby replays the table", || {
        pair.replay_lag_bytes() == 0
    });
    pair.pause_replay();

    let (tx, events) = std::sync::mpsc::channel();
    let worker_url = url.clone();
    let worker = std::thread::spawn(move || {
        let mut client =
            postgres::Client::connect(&worker_url, postgres::NoTls).map_err(|e| e.to_string())?;
        let settings = migrate_core::BackfillSettings {
            max_replica_lag: migrate_core::LagLimit::bytes(LIMIT),
            ..Default::default()
        };
        migrate_core::Migrator::new(&queued::MIGRATION)
            .backfill_settings(settings)
            .work(
                &mut client,
                &migrate_core::WorkOptions::default(),
                &mut |event| {
                    let seen = match event {
                        migrate_core::Event::Backfill { .. } => Seen::Batch,
                        migrate_core::Event::BackfillPaused { cause, .. } => {
                            Seen::Paused(cause.clone())
                        }
                        migrate_core::Event::BackfillResumed { .. } => Seen::Resumed,
                        _ => return,
                    };
                    let _ = tx.send(seen);
                },
            )
            .map_err(|e| e.to_string())
    });
    // Batches until the lag passes the limit, then a pause that holds while replay stays paused.
    let mut paused = 0;
    let mut batches_before = 0;
    while paused < 3 {
        match events
            .recv_timeout(Duration::from_secs(60))
            .expect("an event")
        {
            Seen::Batch => {
                assert_eq!(paused, 0, "a batch ran while paused");
                batches_before += 1;
            }
            Seen::Paused(migrate_core::PauseCause::ReplicaLag { name, .. }) => {
                assert_eq!(name, "replica_jobs");
                paused += 1;
            }
            Seen::Paused(cause) => panic!("paused for {cause}, not the standby"),
            Seen::Resumed => panic!("resumed while replay is paused"),
        }
    }
    assert!(
        batches_before > 1,
        "{batches_before} batch(es) before the pause"
    );
    let done_while_paused = one(&url, "SELECT count(*) FROM items WHERE doubled IS NOT NULL");
    pair.resume_replay();
    let report = worker
        .join()
        .expect("worker thread")
        .expect("the worker finishes the job");
    assert_eq!(report.finished.len(), 1, "{report:?}");
    assert!(
        done_while_paused.parse::<u64>().unwrap_or(u64::MAX) < 30_000,
        "{done_while_paused} rows done before the standby replayed"
    );
    assert_eq!(
        one(&url, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "30000"
    );
    assert_eq!(one(&url, "SELECT state FROM pgmigrations_jobs"), "finished");
}

#[test]
fn ignored_standbys_and_inactive_slots_hold_no_backfill_back() {
    // Archivers and delayed standbys can be left out by name; a slot nobody streams from
    // is not waited for (no pause would bring its consumer back).
    let pair = cluster::start_with_standby("replica_b", Some("replica_b_slot"));
    let url = pair.primary.database("ignored");
    create_items(&url, 5_000);
    one(
        &url,
        "SELECT pg_create_physical_replication_slot('stale', true)",
    );
    pair.pause_replay();
    // Lag well past the limit, on the standby and on the stale slot.
    one(&url, "UPDATE items SET pad = repeat('y', 200)");
    assert!(pair.replay_lag_bytes() > LIMIT as i64);
    let settings = migrate_core::BackfillSettings {
        max_replica_lag: migrate_core::LagLimit::bytes(LIMIT),
        replica_lag_ignore: vec!["replica_b".to_owned()],
        ..Default::default()
    };
    let (events, run) = spawn_backfill(&url, settings);
    run.join()
        .expect("run thread")
        .expect("the backfill finishes");
    let seen: Vec<Seen> = events.try_iter().collect();
    assert!(
        seen.iter().all(|s| matches!(s, Seen::Batch)),
        "it waited: {seen:?}"
    );

    // The same with the standby watched: it waits (its slot is not counted twice, its row says more).
    one(&url, "UPDATE items SET doubled = NULL");
    one(&url, "DELETE FROM public.pgmigrations");
    let settings = migrate_core::BackfillSettings {
        max_replica_lag: migrate_core::LagLimit::bytes(LIMIT),
        max_pause: Duration::from_millis(300),
        ..Default::default()
    };
    let (events, run) = spawn_backfill(&url, settings);
    let error = run.join().expect("run thread").expect_err("it gives up");
    assert!(
        error.contains("standby `replica_b` is")
            && error.contains("max_pause")
            && error.contains("run `up` again to resume"),
        "{error}"
    );
    let seen: Vec<Seen> = events.try_iter().collect();
    assert!(
        matches!(
            seen.first(),
            Some(Seen::Paused(migrate_core::PauseCause::ReplicaLag { .. }))
        ),
        "{seen:?}"
    );
    pair.resume_replay();
}

#[test]
fn a_slot_left_behind_by_a_stopped_standby_is_said_once_and_not_waited_for() {
    // The standby streams from its slot, then stops: the slot goes inactive and falls behind as the
    // primary writes. No pause brings its consumer back, so the backfill goes on, but it says so once,
    // on stderr and in the JSON log, rather than report "no pauses" as if nothing were behind.
    use tests::cli::FixtureCli;
    let cluster::Replicated { standby, primary } =
        cluster::start_with_standby("replica_gone", Some("replica_gone_slot"));
    let url = primary.database("gone");
    let cli = FixtureCli::with_url("backfill", &url);
    cli.run(&["up", "2"]).expect_code(0);
    drop(standby);
    eventually("the slot is inactive", || {
        one(
            &url,
            "SELECT NOT active FROM pg_replication_slots WHERE slot_name = 'replica_gone_slot'",
        ) == "t"
    });
    // Two megabytes of WAL past the slot: over the limit below.
    one(
        &url,
        "CREATE TABLE filler AS SELECT i, repeat('x', 200) AS pad FROM generate_series(1, 20000) i",
    );
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[backfill]\nmax_replica_lag = \"1MB\"\n",
    )
    .expect("write migrate.toml");
    let run = cli.run(&["up", "--log-format", "json"]).expect_code(0);
    let said: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("replication slot `replica_gone_slot` is inactive"))
        .collect();
    assert_eq!(
        said.len(),
        2,
        "once per backfill (items, pairs):\n{}",
        run.stderr
    );
    assert!(
        said[0].starts_with("warning: 20260701000003_backfill_doubled: replication slot `replica_gone_slot` is inactive and ")
            && said[0].contains(" MB behind: the backfill of \"items\" does not wait for a slot nobody streams from"),
        "{}",
        run.stderr
    );
    let records: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|r: &serde_json::Value| r["event"] == "backfill_slot_inactive")
        .collect();
    assert_eq!(records.len(), 2, "{}", run.stdout);
    assert_eq!(records[0]["slot"], "replica_gone_slot");
    assert_eq!(records[0]["table"], "\"items\"");
    assert!(
        records[0]["bytes"].as_u64().is_some_and(|b| b > 1 << 20),
        "{}",
        records[0]
    );
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("backfilled \"items\": 10500 rows in ")
                && l.ends_with("; no pauses")),
        "the backfill went on without waiting: {}",
        run.stderr
    );
}

#[test]
fn a_role_that_cannot_read_the_standbys_positions_is_told_how_to_fix_it() {
    // Without pg_read_all_stats the lag columns are NULL; that is a clear error, not a
    // silent pass.
    let pair = cluster::start_with_standby("replica_c", None);
    let admin = pair.primary.database("hidden");
    one(&admin, "CREATE ROLE app LOGIN");
    one(&admin, "ALTER DATABASE hidden OWNER TO app");
    let app = admin.replace("postgres@", "app@");
    create_items(&app, 1_000);
    let (_, run) = spawn_backfill(&app, migrate_core::BackfillSettings::default());
    let error = run.join().expect("run thread").expect_err("refused");
    assert!(
        error.contains("walsender pid(s)")
            && error.contains("GRANT pg_read_all_stats TO app")
            && error.contains(".max_replica_lag(LagLimit::off())"),
        "{error}"
    );
    assert_eq!(
        one(&app, "SELECT count(*) FROM items WHERE doubled IS NOT NULL"),
        "0",
        "no batch ran"
    );

    one(&admin, "GRANT pg_read_all_stats TO app");
    let (_, run) = spawn_backfill(&app, migrate_core::BackfillSettings::default());
    run.join()
        .expect("run thread")
        .expect("with the grant it runs");
    assert_eq!(
        one(&app, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "1000"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Server health: vacuum on the table, the user's pause query, the run's time budget

mod doubling {
    use migrate_core::{Definition, Migration};
    use migrate_dsl::prelude::*;

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2");
    }

    pub static MIGRATION: [Migration; 1] = [Migration::defined(&Definition {
        name: "20280101000002_double",
        path: "tests/replicas.rs",
        source: "double",
        up,
        down: None,
    })];
}

/// The next event, within a bound against hanging.
#[track_caller]
fn next(events: &std::sync::mpsc::Receiver<Seen>) -> Seen {
    events
        .recv_timeout(Duration::from_secs(60))
        .expect("an event within 60 s")
}

#[test]
fn a_backfill_waits_while_a_vacuum_works_on_its_table() {
    // A VACUUM of the table from another session (slowed with vacuum_cost_delay, seen in
    // pg_stat_progress_vacuum) holds the backfill back until it ends.
    let db = tests::TestDb::new();
    create_items(db.url(), 20_000);
    db.exec("UPDATE items SET pad = 'dead tuples for the vacuum to find'");
    let url = db.url().to_owned();
    let vacuum = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        // Each page costs at least 1 and every 1 sleeps 100 ms: minutes for the table, until cancelled.
        client
            .batch_execute("SET vacuum_cost_delay = '100ms'; SET vacuum_cost_limit = 1")
            .expect("settings");
        client
            .batch_execute("VACUUM items")
            .map_err(|e| e.code().cloned())
    });
    eventually("the VACUUM works on items", || {
        one(
            db.url(),
            "SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = 'items'::regclass",
        ) == "1"
    });
    let (events, run) = spawn_migrations(
        db.url(),
        &doubling::MIGRATION,
        migrate_core::BackfillSettings::default(),
    );
    let Seen::Paused(cause) = next(&events) else {
        panic!("a batch ran while the VACUUM worked on the table");
    };
    let migrate_core::PauseCause::Vacuum {
        table,
        pid,
        autovacuum,
    } = &cause
    else {
        panic!("paused for {cause}");
    };
    assert_eq!((table.as_str(), *autovacuum), ("\"items\"", false));
    assert_eq!(
        cause.to_string(),
        format!("a VACUUM works on \"items\" (pid {pid})")
    );
    assert!(matches!(next(&events), Seen::Paused(_)), "still waiting");
    assert_eq!(
        one(
            db.url(),
            "SELECT count(*) FROM items WHERE doubled IS NOT NULL"
        ),
        "0"
    );

    one(db.url(), &format!("SELECT pg_cancel_backend({pid})"));
    assert_eq!(
        vacuum.join().expect("vacuum thread"),
        Err(Some(postgres::error::SqlState::QUERY_CANCELED))
    );
    run.join()
        .expect("run thread")
        .expect("the backfill finishes");
    let seen: Vec<Seen> = events.try_iter().collect();
    assert!(seen.iter().any(|s| matches!(s, Seen::Resumed)), "{seen:?}");
    assert_eq!(
        one(db.url(), "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "20000"
    );
}

#[test]
fn a_backfill_waits_while_the_users_query_says_so() {
    // `pause_while` (a maintenance flag) holds the backfill back while it returns true.
    let db = tests::TestDb::new();
    create_items(db.url(), 5_000);
    db.exec("CREATE TABLE flags (maintenance boolean NOT NULL); INSERT INTO flags VALUES (true)");
    let settings = migrate_core::BackfillSettings {
        pause_while: Some("SELECT maintenance FROM flags".to_owned()),
        ..Default::default()
    };
    let (events, run) = spawn_migrations(db.url(), &doubling::MIGRATION, settings.clone());
    let Seen::Paused(cause) = next(&events) else {
        panic!("a batch ran while the flag was set");
    };
    assert_eq!(
        cause.to_string(),
        "`SELECT maintenance FROM flags` returns true"
    );
    assert!(matches!(next(&events), Seen::Paused(_)), "still waiting");
    db.exec("UPDATE flags SET maintenance = false");
    run.join()
        .expect("run thread")
        .expect("the backfill finishes");
    assert_eq!(
        one(db.url(), "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "5000"
    );

    // A query that cannot answer: a clear error naming it, before any batch.
    db.exec("UPDATE items SET doubled = NULL; DELETE FROM public.pgmigrations");
    let bad = migrate_core::BackfillSettings {
        pause_while: Some("SELECT count(*) FROM flags".to_owned()),
        ..settings
    };
    let (_, run) = spawn_migrations(db.url(), &doubling::MIGRATION, bad);
    let error = run.join().expect("run thread").expect_err("refused");
    assert!(
        error.contains(
            "the pause_while query `SELECT count(*) FROM flags` cannot tell whether to wait"
        ) && error.contains("must be a boolean"),
        "{error}"
    );
    assert_eq!(
        one(
            db.url(),
            "SELECT count(*) FROM items WHERE doubled IS NOT NULL"
        ),
        "0"
    );
}

#[test]
fn max_duration_rolls_back_a_transactional_migration_and_stops_a_backfill_after_its_batch() {
    // --max-duration cancels a running transactional migration (rolled back) and stops a
    // backfill after its current batch; the next run resumes it. The budgets leave seconds for the steps
    // before the one they stop (a busy CI machine runs the first migration slowly); the slow ones take 60 s
    // and about 9 s.
    use tests::cli::FixtureCli;
    let db = tests::TestDb::new();
    let cli = FixtureCli::new("signals", &db);
    let run = cli
        .run(&["up", "--to", "20261201000002", "--max-duration", "5s"])
        .expect_code(1);
    assert!(
        run.stderr.contains(
            "time budget of 5s (--max-duration) is spent: cancelling the running statement"
        ) && run
            .stderr
            .contains("canceling statement due to user request")
            && run.stderr.contains("rolled back"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.contains("applied  20261201000001_first"),
        "{}",
        run.stdout
    );
    assert_eq!(
        db.tables(),
        ["public.first", "public.pgmigrations"],
        "slow_tx rolled back"
    );

    let db = tests::TestDb::new();
    let cli = FixtureCli::new("signals_backfill", &db);
    let run = cli.run(&["up", "--max-duration", "4s"]).expect_code(1);
    // The engine's own check after a batch may see the budget spent before the watcher's line
    // ("stopping after the backfill's current batch") is printed, so only the engine's error is asserted.
    assert!(
        run.stderr
            .contains("time budget of 4.0 s is spent; stopped after a committed batch")
            && run.stderr.contains("run `up` again to resume"),
        "{}",
        run.stderr
    );
    let handled: u32 = one(db.url(), "SELECT count(*) FROM handled")
        .parse()
        .expect("a count");
    assert!(
        handled > 0 && handled < 3000 && handled.is_multiple_of(100),
        "{handled}"
    );
    assert_eq!(
        one(
            db.url(),
            "SELECT count(*) FROM items WHERE doubled IS NOT NULL"
        ),
        handled.to_string(),
        "whole batches, each with its rows"
    );
    cli.run(&["up"]).expect_code(0);
    assert_eq!(
        one(db.url(), "SELECT count(DISTINCT id) FROM handled"),
        "3000"
    );
    assert_eq!(one(db.url(), "SELECT count(*) FROM handled"), "3000");
}

// ---------------------------------------------------------------------------------------------------------
// Batch sizes that adapt

mod bounded {
    use migrate_core::{Definition, Migration};
    use migrate_dsl::prelude::*;

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2")
            .adaptive_batch_size(2000, 4000);
    }

    pub static MIGRATION: [Migration; 1] = [Migration::defined(&Definition {
        name: "20280101000003_double_bounded",
        path: "tests/replicas.rs",
        source: "double_bounded",
        up,
        down: None,
    })];
}

#[test]
fn adapted_batches_stay_within_the_backfills_bounds_and_are_reported() {
    // The size moves (toward the target batch time) within the backfill's bounds; each
    // batch's progress event carries the size of the next one. Which size it picks depends on the machine,
    // so only the bounds are asserted.
    let db = tests::TestDb::new();
    create_items(db.url(), 30_000);
    let mut steps = Vec::new();
    let mut sizes = Vec::new();
    let mut last = 0;
    migrate_core::Migrator::new(&bounded::MIGRATION)
        .run_up(
            &mut db.client(),
            &migrate_core::UpTarget::All,
            &mut |event| {
                if let migrate_core::Event::Backfill {
                    done, batch_size, ..
                } = event
                {
                    steps.push(done - last);
                    last = done;
                    sizes.push(batch_size);
                }
            },
        )
        .expect("the backfill runs");
    assert_eq!(steps.iter().sum::<u64>(), 30_000);
    assert_eq!(steps[0], 2000, "the first batch starts at the lower bound");
    assert!(
        steps[..steps.len() - 1]
            .iter()
            .all(|&n| (2000..=4000).contains(&n)),
        "{steps:?}"
    );
    assert!(
        sizes.iter().all(|&n| (2000..=4000).contains(&n)),
        "{sizes:?}"
    );
    assert_eq!(
        one(db.url(), "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "30000"
    );
}

// ---------------------------------------------------------------------------------------------------------
// What a run shows

#[test]
fn a_run_says_why_a_backfill_waits_once_per_pause_and_sums_its_pauses_up() {
    // Off a terminal, a line when a pause starts and one when it ends (not one per
    // re-check), and a summary per backfill with its pauses by cause; settings from migrate.toml.
    use tests::cli::FixtureCli;
    let db = tests::TestDb::new();
    let cli = FixtureCli::new("backfill", &db);
    cli.run(&["up", "2"]).expect_code(0);
    // True for the first three checks: one pause, re-checked twice.
    db.exec("CREATE SEQUENCE gate");
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[backfill]\npause_while = \"SELECT nextval('gate') <= 3\"\nmax_replica_lag = \"off\"\n",
    )
    .expect("write migrate.toml");
    let run = cli.run(&["up"]).expect_code(0);
    let paused: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(" paused: "))
        .collect();
    assert_eq!(
        paused,
        ["20260701000003_backfill_doubled: backfill of \"items\" paused: `SELECT nextval('gate') <= 3` returns true"],
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("backfill of \"items\" resumed after"),
        "{}",
        run.stderr
    );
    let summary = run
        .stdout
        .lines()
        .find(|l| l.contains("backfilled \"items\""))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        summary
            .starts_with("20260701000003_backfill_doubled: backfilled \"items\": 10500 rows in ")
            && summary.contains("; paused 1 time(s) for ")
            && summary.contains(": pause_while query 1× "),
        "{summary}"
    );
    assert!(
        run.stdout.contains("backfilled \"pairs\": 2500 rows in ")
            && run.stdout.contains("; no pauses"),
        "{}",
        run.stdout
    );

    // A bad setting names the file and the key; nothing runs.
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[backfill]\nmax_replica_lag = \"fast\"\n",
    )
    .expect("write migrate.toml");
    let run = cli.run(&["status"]).expect_code(1);
    assert!(
        run.stderr
            .contains("invalid max_replica_lag = \"fast\" in [backfill] of")
            && run.stderr.contains("migrate.toml"),
        "{}",
        run.stderr
    );
    let run = cli
        .run(&["up", "--max-replica-lag", "8 parsecs"])
        .expect_code(2);
    assert!(
        run.stderr.contains("cannot read \"8 parsecs\""),
        "{}",
        run.stderr
    );
}

#[test]
fn a_fleet_run_says_each_targets_pause_and_resume_off_a_terminal() {
    // A fleet's backfills held back by a standby whose replay is paused: off a terminal, a line named after
    // each target when its pause starts (not one per re-check) and one when it ends, as `up` says them.
    use tests::cli::FixtureCli;
    let pair = cluster::start_with_standby("fleet_lag", None);
    let url = pair.primary.database("fleetlag");
    let cli = FixtureCli::with_url("backfill", &url);
    let schemas = ["--schemas", "a,b"];
    cli.run(
        &[
            &["fleet", "up", "--to", "20260701000002_add_doubled"],
            &schemas[..],
        ]
        .concat(),
    )
    .expect_code(0);
    // Enough rows that each backfill writes several times the limit of WAL.
    for schema in ["a", "b"] {
        one(
            &url,
            &format!("INSERT INTO {schema}.items (v) SELECT i FROM generate_series(1, 50000) i"),
        );
    }
    eventually("the standby replays the tables", || {
        pair.replay_lag_bytes() == 0
    });
    pair.pause_replay();
    let done = |schema: &str| {
        one(
            &url,
            &format!("SELECT count(*) FROM {schema}.items WHERE doubled IS NOT NULL"),
        )
    };
    let run = std::thread::scope(|s| {
        let run = s.spawn(|| {
            cli.run(
                &[
                    &[
                        "fleet",
                        "up",
                        "--parallel",
                        "2",
                        "--max-replica-lag",
                        "512kB",
                    ],
                    &schemas[..],
                ]
                .concat(),
            )
        });
        // Both targets paused: the lag is over the limit and neither backfill goes on for 2 s.
        let mut last = (String::new(), String::new());
        let mut since = Instant::now();
        eventually("both backfills pause", || {
            let now = (done("a"), done("b"));
            if now != last {
                last = now;
                since = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(100));
            pair.replay_lag_bytes() > LIMIT as i64 && since.elapsed() > Duration::from_secs(2)
        });
        pair.resume_replay();
        run.join().expect("the fleet run")
    });
    let run = run.expect_code(0);
    for target in ["a", "b"] {
        // Once replay goes on, the two backfills at full speed may get ahead of it again: more pauses, each
        // a line when it starts and one when it ends, never one per re-check.
        let prefix = format!("{target}: 20260701000003_backfill_doubled: backfill of \"items\" ");
        let said: Vec<&str> = run
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .collect();
        assert!(!said.is_empty(), "no pause of {target}:\n{}", run.stdout);
        for (n, line) in said.iter().enumerate() {
            let expected = if n.is_multiple_of(2) {
                "paused: "
            } else {
                "resumed after "
            };
            assert!(
                line.starts_with(expected),
                "{target}, line {n}:\n{}",
                run.stdout
            );
            assert!(line.contains("standby `fleet_lag` is "), "{line}");
        }
        assert!(
            said.len().is_multiple_of(2),
            "{target} never resumed:\n{}",
            run.stdout
        );
    }
    assert_eq!(done("a"), "60500");
    assert_eq!(done("b"), "60500");
}

// ---------------------------------------------------------------------------------------------------------
// Lock waits explained

#[test]
fn a_lock_timeout_names_the_session_that_holds_the_lock_and_the_final_error_too() {
    // Another session holds a lock the migration needs; each retry's message and the
    // error once the retries are spent name it (pid, user, application, state, its query).
    use tests::cli::FixtureCli;
    let db = tests::TestDb::new();
    let cli = FixtureCli::new("locking", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let mut holder = db.client();
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    holder
        .batch_execute("SET application_name = 'holder'; BEGIN; SELECT count(*) FROM accounts")
        .expect("hold a read lock");
    let run = cli.run(&["up", "--lock-retry-budget", "3s"]).expect_code(1);
    let named = format!(
        "blocked by pid {pid} (user postgres, application holder, idle in transaction for "
    );
    let retries: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.trim_start().starts_with(&named))
        .collect();
    assert!(
        !retries.is_empty(),
        "no retry named the holder:\n{}",
        run.stderr
    );
    assert!(
        retries
            .iter()
            .all(|l| l.ends_with("BEGIN; SELECT count(*) FROM accounts")),
        "{retries:?}"
    );
    let error = run
        .stderr
        .lines()
        .find(|l| l.starts_with("the last attempt was blocked by pid"))
        .unwrap_or_else(|| panic!("the final error names no blocker:\n{}", run.stderr));
    assert!(
        error.contains(&format!("pid {pid} (user postgres, application holder")),
        "{error}"
    );
    holder.batch_execute("COMMIT").expect("release");
    cli.run(&["up"]).expect_code(0);
}

/// `migrate review` reads production from a standby: nothing can be written there, so even a superuser's
/// session passes the read-only guard, and the sizes are the primary's as replayed.
#[test]
fn a_review_reads_production_statistics_from_a_standby() {
    let pair = cluster::start_with_standby("review_standby", None);
    let primary = pair.primary.database("shop");
    let standby = primary.replace(
        &format!(":{}/", pair.primary.port()),
        &format!(":{}/", pair.standby.port()),
    );
    tests::cli::FixtureCli::with_url("review", &primary)
        .run(&["up", "1"])
        .expect_code(0);
    one(
        &primary,
        "INSERT INTO items SELECT i, 'item ' || i, i, NULL, 'n' FROM generate_series(1, 30000) i",
    );
    one(&primary, "ANALYZE items");
    eventually("the standby replays the rows and their statistics", || {
        try_one(
            &standby,
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass('items')",
        )
        .is_ok_and(|v| v == "30000")
    });
    let target = tests::TestDb::new();
    let cli = tests::cli::FixtureCli::new("review", &target);
    cli.run(&["up", "1"]).expect_code(0);
    let run = cli
        .run(&[
            "review",
            "20261127000003",
            "--production-url",
            &standby,
            "--format",
            "json",
        ])
        .expect_code(0);
    let review: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let production = &review["review"]["production"];
    assert_eq!(production["standby"], true, "{production:#}");
    assert_eq!(production["could_write"], serde_json::json!([]));
    let items = &production["tables"][0];
    assert_eq!(items["table"], "items", "{production:#}");
    assert_eq!(items["rows"], 30000.0, "{production:#}");
    let statement = &review["review"]["migrations"][0]["statements"][0];
    assert_eq!(statement["work"], "rewrite", "{statement:#}");
    assert!(
        statement["estimate"]["seconds"].as_f64().is_some(),
        "{statement:#}"
    );
    // Every migration applied on the primary: `up` on the standby has nothing to do, and says so rather than
    // fail on what a run writes at its end.
    tests::cli::FixtureCli::with_url("review", &primary)
        .run(&["up"])
        .expect_code(0);
    eventually("the standby replays the migrations", || {
        try_one(&standby, "SELECT count(*) FROM pgmigrations").is_ok_and(|v| v == "5")
    });
    tests::cli::FixtureCli::with_url("review", &standby)
        .run(&["up"])
        .expect_code(0);
}
