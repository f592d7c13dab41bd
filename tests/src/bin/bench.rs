//! Benchmarks against a real PostgreSQL, each next to its baseline in the same run, printed as tables.
//!
//! ```text
//! cargo run --release -p tests --bin bench -- [lock-queue] [backfill] [kept] [online] [scale] [squash] [replicas] [trace] [--rows N] [--online-rows N] [--migrations N] [--status-rows N] [--sizes N,N] [--batch-ms MS,MS] [--vacuum-pause on,off] [--pairs N] [--dev]
//! ```
//!
//! `--dev` builds the generated crates in the dev profile and runs the edit→run loop through the dev-built
//! `migrate-front` beside this binary: quicker, for the reduced run in `.ci/run`.
//!
//! - `lock-queue`: a transaction holds a read lock on a table for 3 s while a migration adds a column. Without
//!   a lock timeout the migration's queued lock request blocks every later query on the table; with the
//!   default 500 ms lock timeout and retries, readers wait at most about that long.
//! - `backfill`: filling a column on 1M rows while another connection keeps updating random rows: one big
//!   UPDATE (the baseline) against `pgm.backfill` in 1000-row batches. Reports the writer's worst and p99
//!   wait.
//! - `diff` (`bench/diff.rs`, only when named): `migrate diff`'s generator on 1,000 tables (`--tables`), the
//!   generation timed apart from building the two schemas; budget 2 s.
//! - `kept` (`bench/kept.rs`): a backfill overwriting a filled column of `--rows` rows with and without
//!   `keep_previous_values`, in turn, then the kept run's `down`; target: keeping at most 1.3x.
//! - `online` (`bench/online.rs`): the backfill of `rename_column_online`'s expand, through its sync trigger,
//!   against a plain `backfill` of the same column and one `UPDATE`, on 300,000 rows (`--online-rows`; at most
//!   `--rows`) written by an old and a new app version: rows/s, batch sizes, the writers' p99, and the error
//!   of the progress estimate in the JSON run log once 20% is done. `--pairs N` runs the three N times in turn.
//! - `scale`: generated crates with N migrations (and a backfill) built like an application's runner, then
//!   timed as processes: applying N one-table migrations against the same SQL through `psql -f` (the floor),
//!   a no-op `up`, `status` with many applied, the edit→run loop through the `migrate` front end, and the
//!   runner's peak memory (maximum RSS) for few and many migrations and rows.
//! - `replicas` (only when named; `--sizes` defaults to 1000000,10000000): on a throwaway primary with a
//!   streaming standby (`pg_basebackup -R`), filling a column while a writer updates random rows: one UPDATE
//!   (the floor) against `pgm.backfill` with the default settings (adaptive batches, replica lag watched;
//!   `--batch-ms 20,50` runs it once per target batch time, `--vacuum-pause on,off` with and without its
//!   wait for a vacuum), with rows/s, the writer's p50/p99, the p99 of a second writer on another table (the
//!   load's share of a write's wait, apart from row locks) and the standby's replay lag (bytes, sampled every
//!   50 ms) p99 and max. `--pairs N` (default 1) runs the floor and every setting N times, in turn (floor
//!   first, then floor last), and ends with a table of the medians of the pairs against the issue's targets
//!   (at least 0.8x the floor, writer p99 under 5 ms, standby lag within the limit).
//! - `squash` (only when named; `--migrations` defaults to 2000 there): a generated crate of N migrations
//!   (`tests::generated`) applied, then squashed by the `squash` command up to the one before the last; the
//!   schema a fresh database gets from the baseline and the last migration must equal the one the N
//!   migrations gave (catalog description), and the applied database must record the baseline unchanged.
//!   Prints the time of each step next to applying the N migrations.
//! - `trace`: the example app's runner (built first, not timed) traces its 7 migrations on a fresh database
//!   (`trace`, all pending), next to applying them (`up`); and traces its last five with `--rows 100000` after the
//!   first five were applied. Target: the 10 traced in under 3 s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use migrate_core::{Definition, Migration, Migrator, Timeouts, UpTarget};
use migrate_dsl::prelude::*;
use tests::cli::workspace_root;
use tests::timing::timed;
use tests::TestDb;

#[path = "bench/diff.rs"]
mod diff;
#[path = "bench/kept.rs"]
mod kept;
#[path = "bench/online.rs"]
mod online;
#[path = "bench/partitions.rs"]
mod partitions;

fn add_email(pgm: &mut MigrationBuilder) {
    pgm.add_columns("accounts", [column("email", "text")]);
}

fn backfill_doubled(pgm: &mut MigrationBuilder) {
    pgm.backfill("items", "doubled = v * 2");
}

static ADD_EMAIL: [Migration; 1] = [Migration::defined(&Definition {
    name: "20260101000000_add_email",
    path: "bench",
    source: "add_email",
    up: add_email,
    down: None,
})];

fn queue_doubled(pgm: &mut MigrationBuilder) {
    pgm.backfill("items", "doubled = v * 2").in_background();
}

/// The same backfill queued as a background job, for workers.
static QUEUED: [Migration; 1] = [Migration::defined(&Definition {
    name: "20260101000000_queue_doubled",
    path: "bench",
    source: "queue_doubled",
    up: queue_doubled,
    down: None,
})];

static BACKFILL: [Migration; 1] = [Migration::defined(&Definition {
    name: "20260101000000_backfill_doubled",
    path: "bench",
    source: "backfill_doubled",
    up: backfill_doubled,
    down: None,
})];

/// Worst and 99th-percentile of `samples`.
fn worst_and_p99(samples: &mut [Duration]) -> (Duration, Duration) {
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    samples.sort();
    (samples[samples.len() - 1], percentile(samples, 0.99))
}

/// The `q` quantile of sorted `samples`.
fn percentile(samples: &[Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples[(((samples.len() as f64) * q).ceil() as usize).clamp(1, samples.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

struct LockQueueResult {
    label: &'static str,
    reads: usize,
    worst: Duration,
    p99: Duration,
    migration: Duration,
    retries: u32,
}

fn lock_queue(label: &'static str, lock_timeout: Option<Duration>) -> LockQueueResult {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text);
         INSERT INTO accounts (name) SELECT 'a' || i FROM generate_series(1, 1000) i",
    );
    let hold = Duration::from_secs(3);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut client = db.client();
            let mut tx = client.transaction().expect("begin");
            tx.query("SELECT count(*) FROM accounts", &[])
                .expect("read");
            std::thread::sleep(hold);
            tx.commit().expect("commit");
        });
        std::thread::sleep(Duration::from_millis(200));
        let migration = s.spawn(|| {
            let mut client = db.client();
            let migrator = Migrator::new(&ADD_EMAIL).timeouts(Timeouts {
                lock_timeout,
                ..Timeouts::default()
            });
            let mut retries = 0;
            let started = Instant::now();
            migrator
                .run_up(&mut client, &UpTarget::All, &mut |event| {
                    if let migrate_core::Event::Retrying { .. } = event {
                        retries += 1;
                    }
                })
                .expect("migration");
            done.store(true, Ordering::SeqCst);
            (started.elapsed(), retries)
        });
        let reader = s.spawn(|| {
            let mut client = db.client();
            let mut waits = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let started = Instant::now();
                client
                    .query("SELECT count(*) FROM accounts", &[])
                    .expect("read");
                waits.push(started.elapsed());
                std::thread::sleep(Duration::from_millis(20));
            }
            waits
        });
        let (migration, retries) = migration.join().expect("migration thread");
        let mut waits = reader.join().expect("reader thread");
        let (worst, p99) = worst_and_p99(&mut waits);
        LockQueueResult {
            label,
            reads: waits.len(),
            worst,
            p99,
            migration,
            retries,
        }
    })
}

fn bench_lock_queue() {
    println!(
        "\n## lock-queue: a 3 s read transaction blocks ADD COLUMN; a reader queries every 20 ms\n"
    );
    let baseline = lock_queue("no lock_timeout (baseline)", None);
    let ours = lock_queue(
        "lock_timeout 500ms + retry (default)",
        Some(Duration::from_millis(500)),
    );
    println!("| run | reads | reader worst wait | reader p99 wait | migration took | retries |");
    println!("|---|---|---|---|---|---|");
    for r in [&baseline, &ours] {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.label,
            r.reads,
            ms(r.worst),
            ms(r.p99),
            ms(r.migration),
            r.retries
        );
    }
    println!(
        "\nworst reader wait: {:.1}x lower with the default",
        baseline.worst.as_secs_f64() / ours.worst.as_secs_f64().max(1e-6)
    );
}

struct BackfillResult {
    label: &'static str,
    took: Duration,
    writes: usize,
    worst: Duration,
    p99: Duration,
    p50: Duration,
}

fn backfill(label: &'static str, rows: u64, batched: bool) -> BackfillResult {
    let db = TestDb::new();
    db.exec(&format!(
        "CREATE TABLE items (id bigserial PRIMARY KEY, v integer NOT NULL, doubled integer, touched integer NOT NULL DEFAULT 0);
         INSERT INTO items (v) SELECT i FROM generate_series(1, {rows}) i"
    ));
    db.exec("VACUUM ANALYZE items");
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        let writer = s.spawn(|| random_writes(db.client(), "items", rows, &done));
        // Let the writer get going.
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let mut client = db.client();
        if batched {
            Migrator::new(&BACKFILL)
                .run_up(&mut client, &UpTarget::All, &mut |_| {})
                .expect("backfill");
        } else {
            client
                .batch_execute("BEGIN; UPDATE items SET doubled = v * 2; COMMIT")
                .expect("update");
        }
        let took = started.elapsed();
        done.store(true, Ordering::SeqCst);
        let mut waits = writer.join().expect("writer thread");
        let (worst, p99) = worst_and_p99(&mut waits);
        BackfillResult {
            label,
            took,
            writes: waits.len(),
            worst,
            p99,
            p50: percentile(&waits, 0.5),
        }
    });
    let wrong = db.query_strings("SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 2");
    assert_eq!(
        wrong[0][0].as_deref(),
        Some("0"),
        "{label}: rows left wrong"
    );
    result
}

fn bench_backfill(rows: u64) {
    println!(
        "\n## backfill: fill a column on {rows} rows while another connection updates random rows\n"
    );
    let baseline = backfill("one UPDATE in one transaction (baseline)", rows, false);
    let ours = backfill("pgm.backfill, 1000-row batches", rows, true);
    println!("| run | took | rows/s | concurrent writes | writer p50 wait | writer p99 wait | writer worst wait |");
    println!("|---|---|---|---|---|---|---|");
    for r in [&baseline, &ours] {
        println!(
            "| {} | {} | {:.0} | {} | {:.1} ms | {:.1} ms | {} |",
            r.label,
            ms(r.took),
            rows as f64 / r.took.as_secs_f64(),
            r.writes,
            r.p50.as_secs_f64() * 1000.0,
            r.p99.as_secs_f64() * 1000.0,
            ms(r.worst)
        );
    }
    println!(
        "\nthroughput: {:.2}x the single UPDATE (target >= 0.7x); writer worst wait {:.0}x lower with batches",
        baseline.took.as_secs_f64() / ours.took.as_secs_f64().max(1e-6),
        baseline.worst.as_secs_f64() / ours.worst.as_secs_f64().max(1e-6)
    );
}

// ---------------------------------------------------------------------------------------------------------
// replicas: a backfill on a primary with a streaming standby, next to one UPDATE of the same rows

struct ReplicaRun {
    took: Duration,
    /// From the end of the run until the standby had replayed everything: the rest of what the run cost the
    /// standby.
    catch_up: Duration,
    /// The table's size (heap, indexes, TOAST) right after the run: the room its dead rows took.
    size_after: u64,
    writes: usize,
    writer_p50: Duration,
    writer_p99: Duration,
    /// The same writer's p99 on another table, which the run never locks: what the machine's load alone
    /// (CPU, WAL flushes) costs a write, apart from waits on the run's row locks.
    elsewhere_p99: Duration,
    lag_p99: u64,
    lag_max: u64,
    pauses: String,
    /// Time the backfill waited on a health signal (a standby, a vacuum, the predicate): the cost of
    /// watching the server, shown apart from what batching costs.
    paused: Duration,
}

/// What runs next to the writer in one replicas run.
#[derive(Clone, Copy)]
enum Work {
    /// Nothing for this long: the writer's own latency on this machine, the reference for its p99.
    Idle(Duration),
    /// One `UPDATE` of every row in one transaction: the floor.
    Update,
    /// The backfill with this target batch time, pausing for a vacuum of the table or not.
    Backfill(Duration, bool),
    /// The backfill queued as a background job (by `up`, timed) and run by this many library workers at
    /// once, each on its own connection.
    Jobs(usize),
}

/// One run on a fresh database of `pair`'s primary: `rows` rows, a writer updating random rows every 2 ms,
/// the standby's replay lag (bytes, as the primary sees it) sampled every 50 ms.
fn replica_run(pair: &tests::cluster::Replicated, db: &str, rows: u64, work: Work) -> ReplicaRun {
    let url = pair.primary.database(db);
    let connect = || postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    connect()
        .batch_execute(&format!(
            "CREATE TABLE items (id bigserial PRIMARY KEY, v integer NOT NULL, doubled integer, touched integer NOT NULL DEFAULT 0);
             INSERT INTO items (v) SELECT i FROM generate_series(1, {rows}) i;
             DROP TABLE IF EXISTS elsewhere;
             CREATE TABLE elsewhere (id bigint PRIMARY KEY, touched integer NOT NULL DEFAULT 0);
             INSERT INTO elsewhere (id) SELECT i FROM generate_series(1, 1000) i"
        ))
        .expect("items");
    let mut admin = connect();
    // One statement each: VACUUM cannot run in the implicit transaction of a multi-statement query.
    admin.batch_execute("VACUUM ANALYZE items").expect("vacuum");
    wait_for_autovacuum(&mut admin);
    admin.batch_execute("CHECKPOINT").expect("checkpoint");
    while admin
        .query_one(
            "SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::int8 FROM pg_stat_replication",
            &[],
        )
        .expect("lag")
        .get::<_, i64>(0)
        > 0
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let done = AtomicBool::new(false);
    // The backfill's pauses: as text, and their total time.
    let pauses = std::sync::Mutex::new((String::from("-"), Duration::ZERO));
    let result = std::thread::scope(|s| {
        let writer = s.spawn(|| random_writes(connect(), "items", rows, &done));
        // Another table's writer, every 2 ms too: its waits are the machine's, not the run's row locks.
        let bystander = s.spawn(|| random_writes(connect(), "elsewhere", 1000, &done));
        let sampler = s.spawn(|| {
            let mut client = connect();
            let mut lags = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let lag: i64 = client
                    .query_one(
                        "SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::int8 FROM pg_stat_replication",
                        &[],
                    )
                    .expect("lag")
                    .get(0);
                lags.push(u64::try_from(lag).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50));
            }
            lags
        });
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let mut client = connect();
        match work {
            Work::Backfill(target_batch_time, pause_for_vacuum) => {
                Migrator::new(&BACKFILL)
                    .backfill_settings(migrate_core::BackfillSettings {
                        target_batch_time,
                        pause_for_vacuum,
                        ..Default::default()
                    })
                    .run_up(&mut client, &UpTarget::All, &mut |event| {
                        if let migrate_core::Event::BackfillFinished { pauses: p, .. } = event {
                            let text: Vec<String> = p
                                .iter()
                                .map(|t| {
                                    format!(
                                        "{} {}x {:.1} s",
                                        t.kind,
                                        t.count,
                                        t.total.as_secs_f64()
                                    )
                                })
                                .collect();
                            let text = if text.is_empty() {
                                "none".to_owned()
                            } else {
                                text.join(", ")
                            };
                            *pauses.lock().expect("pauses") =
                                (text, p.iter().map(|t| t.total).sum());
                        }
                    })
                    .expect("backfill");
            }
            Work::Jobs(workers) => {
                Migrator::new(&QUEUED)
                    .run_up(&mut client, &UpTarget::All, &mut |_| {})
                    .expect("queue");
                std::thread::scope(|w| {
                    for i in 0..workers {
                        let mut worker = connect();
                        w.spawn(move || {
                            let options =
                                migrate_core::WorkOptions::default().name(format!("bench-{i}"));
                            let report = Migrator::new(&QUEUED)
                                .work(&mut worker, &options, &mut |_| {})
                                .expect("work");
                            assert!(report.failed.is_empty(), "{report:?}");
                        });
                    }
                });
            }
            Work::Idle(how_long) => std::thread::sleep(how_long),
            Work::Update => client
                .batch_execute("BEGIN; UPDATE items SET doubled = v * 2; COMMIT")
                .expect("update"),
        }
        let took = started.elapsed();
        done.store(true, Ordering::SeqCst);
        let mut waits = writer.join().expect("writer thread");
        let mut elsewhere = bystander.join().expect("bystander thread");
        let mut lags = sampler.join().expect("sampler thread");
        let ended = Instant::now();
        let mut admin = connect();
        let size_after: i64 = admin
            .query_one("SELECT pg_catalog.pg_total_relation_size('items')", &[])
            .expect("size")
            .get(0);
        // The standby has the run once it replayed the primary's position at the run's end.
        let end: String = admin
            .query_one("SELECT pg_catalog.pg_current_wal_lsn()::text", &[])
            .expect("position")
            .get(0);
        while admin
            .query_one(
                "SELECT COALESCE(bool_or(replay_lsn < $1::text::pg_lsn), false) FROM pg_stat_replication",
                &[&end],
            )
            .expect("replayed")
            .get::<_, bool>(0)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let catch_up = ended.elapsed();
        lags.sort_unstable();
        let (_, p99) = worst_and_p99(&mut waits);
        let (_, elsewhere_p99) = worst_and_p99(&mut elsewhere);
        let lag_p99 = lags
            .get(((lags.len() as f64 * 0.99).ceil() as usize).clamp(1, lags.len().max(1)) - 1)
            .copied()
            .unwrap_or(0);
        // Taken once: a second lock in the same expression would wait on the first.
        let (pauses, paused) = pauses.lock().expect("pauses").clone();
        ReplicaRun {
            took,
            catch_up,
            size_after: u64::try_from(size_after).unwrap_or(0),
            writes: waits.len(),
            writer_p50: percentile(&waits, 0.5),
            writer_p99: p99,
            elsewhere_p99,
            lag_p99,
            lag_max: lags.last().copied().unwrap_or(0),
            pauses,
            paused,
        }
    });
    let mut check = connect();
    if matches!(work, Work::Idle(_)) {
        check.batch_execute("DROP TABLE items").expect("drop");
        return result;
    }
    let wrong: i64 = check
        .query_one(
            "SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 2",
            &[],
        )
        .expect("check")
        .get(0);
    assert_eq!(wrong, 0, "rows left wrong");
    // The run leaves a million dead rows: without the table, no autovacuum of it competes with the next run.
    check.batch_execute("DROP TABLE items").expect("drop");
    result
}

/// Updates a random row of `table` (ids 1 to `rows`) every 2 ms until `done`; how long each write took.
fn random_writes(
    mut client: postgres::Client,
    table: &str,
    rows: u64,
    done: &AtomicBool,
) -> Vec<Duration> {
    let update = client
        .prepare(&format!(
            "UPDATE {table} SET touched = touched + 1 WHERE id = $1"
        ))
        .expect("prepare");
    let mut waits = Vec::new();
    while !done.load(Ordering::SeqCst) {
        let id = 1 + fastrand::u64(..rows.max(1)) as i64;
        let started = Instant::now();
        client
            .execute(&update, &[&id])
            .unwrap_or_else(|e| panic!("write to {table}: {e}"));
        waits.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
    waits
}

/// Waits (up to a minute) until no autovacuum worker runs on the cluster, so that a run does not share the
/// machine with the clean-up of an earlier one.
fn wait_for_autovacuum(client: &mut postgres::Client) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let busy: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
                &[],
            )
            .expect("autovacuum workers")
            .get(0);
        if busy == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
}

/// `batch_times`: the target batch times to run the backfill with, each against the same floor (the default
/// one when empty).
fn bench_replicas(sizes: &[u64], batch_times: &[Duration], vacuum_pauses: &[bool], pairs: usize) {
    let settings = migrate_core::BackfillSettings::default();
    let batch_times = if batch_times.is_empty() {
        vec![settings.target_batch_time]
    } else {
        batch_times.to_vec()
    };
    let configs: Vec<(Duration, bool)> = batch_times
        .iter()
        .flat_map(|&t| vacuum_pauses.iter().map(move |&pause| (t, pause)))
        .collect();
    let label = |(t, pause): (Duration, bool)| {
        let vacuum = if pause { "" } else { ", no vacuum pause" };
        format!(
            "pgm.backfill, adaptive, {} ms batches{vacuum}",
            t.as_millis()
        )
    };
    println!(
        "\n## replicas: fill a column with a standby attached and a writer updating random rows (max_replica_lag {}, default target batch time {} ms, {pairs} pair(s) run in turn)\n",
        settings.max_replica_lag,
        settings.target_batch_time.as_millis()
    );
    print_replica_header();
    let mut summaries = Vec::new();
    for &rows in sizes {
        let pair = tests::cluster::start_with_standby("bench_standby", None);
        // A warm-up, not a pair's floor: the first run on a new cluster is slower (cold caches, the first
        // checkpoints). It times the idle run.
        let warm_up = replica_run(&pair, "floor", rows, Work::Update);
        // As long as the backfill takes, about: the writer's latency with nothing else running.
        let idle = replica_run(&pair, "idle", rows, Work::Idle(warm_up.took.mul_f64(1.2)));
        println!(
            "| {rows} | | the writer alone, nothing else running | {} | | | {} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} | | | | | |",
            ms(idle.took),
            idle.writes,
            idle.writer_p50.as_secs_f64() * 1000.0,
            idle.writer_p99.as_secs_f64() * 1000.0,
            idle.elsewhere_p99.as_secs_f64() * 1000.0,
            mb(idle.lag_p99),
            mb(idle.lag_max),
        );
        // Each pair runs the floor and every backfill setting next to each other, alternately floor first
        // and floor last, so a change of the machine's load shows on both sides of a ratio.
        let mut per_config: Vec<Vec<(Duration, ReplicaRun)>> =
            configs.iter().map(|_| Vec::new()).collect();
        let mut run_no = 0;
        let mut next_db = || {
            run_no += 1;
            format!("run{run_no}")
        };
        for p in 0..pairs {
            let floor_first = p % 2 == 0;
            let floor = floor_first.then(|| replica_run(&pair, &next_db(), rows, Work::Update));
            let ours: Vec<ReplicaRun> = configs
                .iter()
                .map(|&(t, pause)| replica_run(&pair, &next_db(), rows, Work::Backfill(t, pause)))
                .collect();
            let floor = floor.unwrap_or_else(|| replica_run(&pair, &next_db(), rows, Work::Update));
            print_replica_row(rows, p + 1, "one UPDATE (floor)", &floor, &floor);
            for ((config, run), samples) in configs.iter().zip(ours).zip(per_config.iter_mut()) {
                print_replica_row(rows, p + 1, &label(*config), &run, &floor);
                samples.push((floor.took, run));
            }
        }
        for (config, samples) in configs.iter().zip(per_config) {
            summaries.push((rows, label(*config), samples));
        }
    }
    println!("\n### replicas, the median of the pairs\n");
    println!("| rows | run | pairs | vs one UPDATE, median (range) | the same net of pauses, median | writer p99, median (worst) | standby lag max, worst | ≥ 0.8x | p99 < 5 ms | lag within the limit |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let limit = settings.max_replica_lag.max_bytes().unwrap_or(u64::MAX);
    let yes = |met: bool| if met { "yes" } else { "no" };
    for (rows, label, samples) in summaries {
        let (mut ratios, mut net): (Vec<f64>, Vec<f64>) =
            samples.iter().map(|(floor, r)| vs_floor(*floor, r)).unzip();
        ratios.sort_by(f64::total_cmp);
        net.sort_by(f64::total_cmp);
        let mut p99s: Vec<Duration> = samples.iter().map(|(_, r)| r.writer_p99).collect();
        p99s.sort();
        let lag_max = samples.iter().map(|(_, r)| r.lag_max).max().unwrap_or(0);
        let ratio = ratios[ratios.len() / 2];
        let net_ratio = net[net.len() / 2];
        let p99 = p99s[p99s.len() / 2];
        println!(
            "| {rows} | {label} | {} | {ratio:.2}x ({:.2}-{:.2}x) | {net_ratio:.2}x | {:.1} ms ({:.1} ms) | {} | {} | {} | {} |",
            ratios.len(),
            ratios[0],
            ratios[ratios.len() - 1],
            p99.as_secs_f64() * 1000.0,
            p99s[p99s.len() - 1].as_secs_f64() * 1000.0,
            mb(lag_max),
            // Waiting for a vacuum of the table is the backfill's choice, not its cost: net of it too.
            if ratio >= 0.8 {
                "yes".to_owned()
            } else if net_ratio >= 0.8 {
                "net of pauses".to_owned()
            } else {
                "no".to_owned()
            },
            yes(p99 < Duration::from_millis(5)),
            // The limit is checked before each batch, so one batch may go past it.
            if lag_max <= limit {
                "yes".to_owned()
            } else {
                format!("{} over it", mb(lag_max - limit))
            },
        );
    }
}

/// `jobs`: the backfill as a background job, run by 1, 2 and 4 workers, each next to one `UPDATE` of the same
/// rows (the floor), on a primary with a streaming standby and a writer updating random rows.
fn bench_jobs(sizes: &[u64], workers: &[u64], pairs: usize) {
    let settings = migrate_core::BackfillSettings::default();
    println!(
        "\n## jobs: a background job filling a column, run by workers, with a standby attached and a writer updating random rows (max_replica_lag {}, {pairs} pair(s) run in turn)\n",
        settings.max_replica_lag
    );
    print_replica_header();
    for &rows in sizes {
        let pair = tests::cluster::start_with_standby("bench_jobs_standby", None);
        let warm_up = replica_run(&pair, "warm", rows, Work::Update);
        println!(
            "| {rows} | | warm-up: one UPDATE | {} | | | | | | | | | | | | | |",
            ms(warm_up.took)
        );
        let mut run_no = 0;
        let mut next_db = || {
            run_no += 1;
            format!("jobs{run_no}")
        };
        for p in 0..pairs {
            let floor_first = p % 2 == 0;
            let floor = floor_first.then(|| replica_run(&pair, &next_db(), rows, Work::Update));
            let ours: Vec<(u64, ReplicaRun)> = workers
                .iter()
                .map(|&n| {
                    (
                        n,
                        replica_run(&pair, &next_db(), rows, Work::Jobs(n as usize)),
                    )
                })
                .collect();
            let floor = floor.unwrap_or_else(|| replica_run(&pair, &next_db(), rows, Work::Update));
            print_replica_row(rows, p + 1, "one UPDATE (floor)", &floor, &floor);
            for (n, run) in ours {
                print_replica_row(
                    rows,
                    p + 1,
                    &format!("background job, {n} worker(s)"),
                    &run,
                    &floor,
                );
            }
        }
    }
}

/// A run's speed against the floor's time: the floor's time over the run's, and the same net of the run's
/// pauses.
fn vs_floor(floor: Duration, r: &ReplicaRun) -> (f64, f64) {
    (
        floor.as_secs_f64() / r.took.as_secs_f64(),
        floor.as_secs_f64() / r.took.saturating_sub(r.paused).as_secs_f64(),
    )
}

/// The header of the table [`print_replica_row`] fills.
fn print_replica_header() {
    println!("| rows | pair | run | took | rows/s | vs one UPDATE | writes | writer p50 | writer p99 | writer p99, another table | standby lag p99 | standby lag max | pauses | vs one UPDATE, net of pauses | standby caught up after | took + catch-up, vs one UPDATE | table size after |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
}

fn print_replica_row(rows: u64, pair: usize, label: &str, r: &ReplicaRun, floor: &ReplicaRun) {
    let (ratio, net) = vs_floor(floor.took, r);
    println!(
        "| {rows} | {pair} | {label} | {} | {:.0} | {:.2}x | {} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} | {} | {:.2}x | {} | {:.2}x | {} |",
        ms(r.took),
        rows as f64 / r.took.as_secs_f64(),
        ratio,
        r.writes,
        r.writer_p50.as_secs_f64() * 1000.0,
        r.writer_p99.as_secs_f64() * 1000.0,
        r.elsewhere_p99.as_secs_f64() * 1000.0,
        mb(r.lag_p99),
        mb(r.lag_max),
        r.pauses,
        net,
        ms(r.catch_up),
        (floor.took + floor.catch_up).as_secs_f64() / (r.took + r.catch_up).as_secs_f64(),
        mb(r.size_after)
    );
}

/// `bench --time [--hold-mib N] <command...>`: times one command as every table does and prints its wall time
/// (nanoseconds) and peak memory (KiB), holding N MiB of its own first (what `tests/tests/timing.rs` checks:
/// the command's peak is its own, not this process's).
fn time_one(args: &[String]) {
    let (held, command) = match args {
        [flag, n, rest @ ..] if flag == "--hold-mib" => {
            let mib: usize = n
                .parse()
                .unwrap_or_else(|_| panic!("--hold-mib takes a number, not {n:?}"));
            (vec![1u8; mib << 20], rest)
        }
        rest => (Vec::new(), rest),
    };
    let [program, rest @ ..] = command else {
        panic!("--time needs a command");
    };
    let (wall, rss_kib) = timed(Command::new(program).args(rest));
    println!("{} {rss_kib}", wall.as_nanos());
    // Held until the command ran.
    drop(std::hint::black_box(held));
}

fn main() {
    tests::timing::spawner_main();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--time") {
        return time_one(&args[1..]);
    }
    let rows = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|n| {
            n.parse::<u64>()
                .unwrap_or_else(|_| panic!("--rows takes a number, not {n:?}"))
        })
        .unwrap_or(1_000_000);
    let number = |flag: &str, default: u64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|n| {
                n.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{flag} takes a number, not {n:?}"))
            })
            .unwrap_or(default)
    };
    let all = !args.iter().any(|a| {
        a == "lock-queue"
            || a == "backfill"
            || a == "kept"
            || a == "scale"
            || a == "squash"
            || a == "replicas"
            || a == "trace"
            || a == "online"
            || a == "test-database"
            || a == "jobs"
            || a == "partitions"
            || a == "diff"
    });
    println!("# migrate benchmarks (PostgreSQL at DATABASE_URL or the local default)");
    if all || args.iter().any(|a| a == "lock-queue") {
        bench_lock_queue();
    }
    if all || args.iter().any(|a| a == "backfill") {
        bench_backfill(rows);
    }
    if all || args.iter().any(|a| a == "kept") {
        kept::bench_kept(rows);
    }
    if args.iter().any(|a| a == "replicas") {
        let sizes: Vec<u64> = match args.iter().position(|a| a == "--sizes") {
            Some(i) => args
                .get(i + 1)
                .map(|list| {
                    list.split(',')
                        .map(|n| {
                            n.trim()
                                .parse()
                                .unwrap_or_else(|_| panic!("--sizes takes numbers, not {n:?}"))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            None => vec![1_000_000, 10_000_000],
        };
        let batch_times: Vec<Duration> = match args.iter().position(|a| a == "--batch-ms") {
            Some(i) => args
                .get(i + 1)
                .map(|list| {
                    list.split(',')
                        .map(|n| {
                            Duration::from_millis(n.trim().parse().unwrap_or_else(|_| {
                                panic!("--batch-ms takes milliseconds, not {n:?}")
                            }))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        // `--vacuum-pause on,off`: the backfill with and without its wait for a vacuum of the table.
        let vacuum_pauses: Vec<bool> = match args.iter().position(|a| a == "--vacuum-pause") {
            Some(i) => args
                .get(i + 1)
                .map(|list| {
                    list.split(',')
                        .map(|v| match v.trim() {
                            "on" => true,
                            "off" => false,
                            other => panic!("--vacuum-pause takes on and/or off, not {other:?}"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            None => vec![true],
        };
        bench_replicas(
            &sizes,
            &batch_times,
            &vacuum_pauses,
            number("--pairs", 1).max(1) as usize,
        );
    }
    if args.iter().any(|a| a == "jobs") {
        let list = |flag: &str, default: Vec<u64>| -> Vec<u64> {
            match args.iter().position(|a| a == flag) {
                Some(i) => args
                    .get(i + 1)
                    .map(|list| {
                        list.split(',')
                            .map(|n| {
                                n.trim()
                                    .parse()
                                    .unwrap_or_else(|_| panic!("{flag} takes numbers, not {n:?}"))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                None => default,
            }
        };
        bench_jobs(
            &list("--sizes", vec![10_000_000]),
            &list("--workers", vec![1, 2, 4]),
            number("--pairs", 1).max(1) as usize,
        );
    }
    if args.iter().any(|a| a == "partitions") {
        partitions::bench_partitions(
            number("--rows", 2_000_000),
            number("--pairs", 1).max(1) as usize,
        );
    }
    if args.iter().any(|a| a == "diff") {
        diff::bench_diff(
            number("--tables", 1000) as usize,
            number("--pairs", 3).max(1) as usize,
        );
    }
    if args.iter().any(|a| a == "squash") {
        bench_squash(number("--migrations", 2000) as usize);
    }
    if all || args.iter().any(|a| a == "online") {
        // 300,000 rows unless `--online-rows`, fewer when `--rows` asks for fewer (the reduced run in CI).
        online::bench_online(
            number("--online-rows", rows.min(300_000)),
            number("--pairs", 1).max(1) as usize,
        );
    }
    if all || args.iter().any(|a| a == "trace") {
        bench_trace();
    }
    if all || args.iter().any(|a| a == "test-database") {
        bench_test_database(
            number("--migrations", 500) as usize,
            number("--copies", 5) as usize,
        );
    }
    if all || args.iter().any(|a| a == "scale") {
        bench_scale(
            number("--migrations", 500) as usize,
            number("--status-rows", 10_000) as usize,
            rows,
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// scale: generated application crates, timed as processes

fn bench_target() -> PathBuf {
    workspace_root().join("target").join("bench-target")
}

/// A crate like `example-app`: a build.rs compiling `migrations/`, and a runner binary. `files` are
/// `(file name, source)`.
fn scaffold(name: &str, files: &[(String, String)]) -> PathBuf {
    let root = workspace_root();
    let dir = bench_target().join("crates").join(name);
    let _ = std::fs::remove_dir_all(dir.join("migrations"));
    std::fs::create_dir_all(dir.join("src")).expect("crate folder");
    std::fs::create_dir_all(dir.join("migrations")).expect("migrations folder");
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    for (file, text) in tests::scaffold::runner_crate(name, &root) {
        write(dir.join(file), &text);
    }
    for (file, source) in files {
        write(dir.join("migrations").join(file), source);
    }
    dir
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// Whether `--dev` asked for the dev profile (quicker to build, for the reduced run in CI).
fn dev_profile() -> bool {
    std::env::args().any(|a| a == "--dev")
}

/// The `migrate` front end the edit→run loop runs. By default the installed build (`cargo build --release -p
/// migrate-cli`, fat LTO: minutes from scratch); with `--dev` the test package's `migrate-front` (the same
/// one-line `main`) from this binary's own folder, which the build of the tests made already: the CI's reduced
/// run checks the loop works, not its speed.
fn front_end() -> PathBuf {
    if dev_profile() {
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("migrate-front")));
        match beside {
            Some(front) if front.is_file() => return front,
            _ => {
                let status_ok = cargo()
                    .args(["build", "--quiet", "-p", "tests", "--bin", "migrate-front"])
                    .current_dir(workspace_root())
                    .status()
                    .expect("cargo");
                assert!(status_ok.success(), "building the migrate front end failed");
                return workspace_root().join("target/debug/migrate-front");
            }
        }
    }
    let status_ok = cargo()
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "migrate-cli",
            "--bin",
            "migrate",
        ])
        .current_dir(workspace_root())
        .status()
        .expect("cargo");
    assert!(status_ok.success(), "building the migrate front end failed");
    workspace_root()
        .join("target")
        .join("release")
        .join("migrate")
}

/// Builds the crate's runner (release mode unless `--dev`); returns the binary.
fn build_release(dir: &Path, name: &str) -> PathBuf {
    let started = Instant::now();
    let profile = if dev_profile() {
        "--profile=dev"
    } else {
        "--release"
    };
    let status = cargo()
        .args(["build", profile, "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(bench_target())
        .status()
        .expect("cargo");
    assert!(status.success(), "building {name} failed");
    eprintln!("(built {name} in {:.0} s)", started.elapsed().as_secs_f64());
    let profile_dir = if dev_profile() { "debug" } else { "release" };
    bench_target()
        .join(profile_dir)
        .join(format!("{name}-migrate"))
}

fn runner(bin: &Path, dir: &Path, db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(dir)
        .env("DATABASE_URL", db.url())
        .env("MIGRATIONS_DIR", dir.join("migrations"));
    cmd
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The timestamp of generated migration `i`: one second apart from 2026-01-01 00:00:00 (up to 86,400).
fn version(i: usize) -> String {
    assert!(i < 86_400, "at most 86,400 generated migrations");
    format!("20260101{:02}{:02}{:02}", i / 3600, i / 60 % 60, i % 60)
}

fn table_migrations(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("{}_create_t{i}.rs", version(i)),
                format!(
                    "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.create_table(\"t{i}\", [column(\"id\", \"bigint\").primary_key()]);\n}}\n"
                ),
            )
        })
        .collect()
}

/// The floor for applying `n` migrations: the same statements, per-migration transactions and bookkeeping
/// rows, sent by `psql -f`.
fn floor_script(n: usize) -> String {
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS \"public\".\"pgmigrations\" (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
         name text NOT NULL UNIQUE, run_on timestamptz NOT NULL DEFAULT clock_timestamp(), checksum text NOT NULL, \
         execution_ms bigint NOT NULL);\n",
    );
    for i in 0..n {
        sql.push_str(&format!(
            "BEGIN;\nSET LOCAL lock_timeout = '500ms';\nCREATE TABLE \"t{i}\" (\n    \"id\" bigint PRIMARY KEY\n);\n\
             INSERT INTO \"public\".\"pgmigrations\" (name, checksum, execution_ms) VALUES ('{}_create_t{i}', '{:064}', 0);\nCOMMIT;\n",
            version(i),
            i
        ));
    }
    sql
}

fn kib(k: u64) -> String {
    format!("{:.1} MiB", k as f64 / 1024.0)
}

fn bench_scale(n: usize, status_rows: usize, backfill_rows: u64) {
    println!(
        "\n## scale: generated crates, timed as processes (wall time; peak memory = maximum RSS)\n"
    );
    // 1. Apply n migrations: runner vs psql -f.
    let dir = scaffold("bench-many", &table_migrations(n));
    let bin = build_release(&dir, "bench-many");
    let db = TestDb::new();
    let (ours, ours_rss) = timed(&mut runner(&bin, &dir, &db, &["up"]));
    let floor_db = TestDb::new();
    let script = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(script.path(), floor_script(n)).expect("floor script");
    let (floor, _) = timed(
        Command::new("psql")
            .args([
                "-q",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                floor_db.url(),
                "-f",
            ])
            .arg(script.path()),
    );
    // 2. No-op up with n applied.
    let noop = median(
        (0..5)
            .map(|_| timed(&mut runner(&bin, &dir, &db, &["up"])).0)
            .collect(),
    );
    // 7a. Peak memory applying few migrations with the same binary.
    let few = n.min(50);
    let few_db = TestDb::new();
    let (_, few_rss) = timed(&mut runner(&bin, &dir, &few_db, &["up", &few.to_string()]));

    // 3. status with many applied (recorded with --fake, as the statements do not matter here).
    let status_dir = scaffold(
        "bench-status",
        &(0..status_rows)
            .map(|i| {
                (
                    format!("{}_m{i}.rs", version(i)),
                    "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"SELECT 1\");\n}\n".to_owned(),
                )
            })
            .collect::<Vec<_>>(),
    );
    let status_bin = build_release(&status_dir, "bench-status");
    let status_db = TestDb::new();
    timed(&mut runner(
        &status_bin,
        &status_dir,
        &status_db,
        &["up", "--fake"],
    ));
    let status = median(
        (0..5)
            .map(|_| {
                timed(&mut runner(
                    &status_bin,
                    &status_dir,
                    &status_db,
                    &["status"],
                ))
                .0
            })
            .collect(),
    );

    // 7b. Peak memory of a backfill: few rows against many.
    let backfill_dir = scaffold(
        "bench-backfill",
        &[(
            "20260101000000_backfill.rs".to_owned(),
            "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.backfill(\"items\", \"doubled = v * 2\");\n}\n".to_owned(),
        )],
    );
    let backfill_bin = build_release(&backfill_dir, "bench-backfill");
    let backfill_rss = |rows: u64| {
        let db = TestDb::new();
        db.exec(&format!(
            "CREATE TABLE items (id bigserial PRIMARY KEY, v integer NOT NULL, doubled integer);
             INSERT INTO items (v) SELECT i FROM generate_series(1, {rows}) i"
        ));
        timed(&mut runner(&backfill_bin, &backfill_dir, &db, &["up"]))
    };
    let small_rows = (backfill_rows / 10).max(1);
    let (_, backfill_small_rss) = backfill_rss(small_rows);
    let (backfill_took, backfill_big_rss) = backfill_rss(backfill_rows);

    // 6. The edit→run loop through the generic front end, in the dev profile a developer uses.
    let front = front_end();
    let loop_dir = scaffold("bench-loop", &table_migrations(3));
    let loop_db = TestDb::new();
    // With `--dev` the loop's runner builds beside the other generated crates (same profile, so their
    // dependencies are reused); in release mode those are release builds, and the loop gets a folder of its own.
    let loop_target = if dev_profile() {
        bench_target()
    } else {
        bench_target().join("loop-dev")
    };
    let front_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&front);
        cmd.args(args)
            .current_dir(&loop_dir)
            .env("DATABASE_URL", loop_db.url())
            .env("CARGO_TARGET_DIR", &loop_target);
        cmd
    };
    timed(&mut front_cmd(&["up"])); // first build, not measured
    let mut loops = Vec::new();
    for i in 0..3 {
        let started = Instant::now();
        let out = front_cmd(&["create", &format!("probe {i}")])
            .output()
            .expect("create");
        assert!(out.status.success(), "create failed");
        let created = String::from_utf8_lossy(&out.stdout);
        let file = loop_dir.join(created.trim().trim_start_matches("created "));
        std::fs::write(
            &file,
            format!("use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.create_table(\"probe{i}\", [column(\"id\", \"bigint\")]);\n}}\n"),
        )
        .expect("write migration");
        timed(&mut front_cmd(&["up"]));
        loops.push(started.elapsed());
    }

    println!("| measure | result | floor / target |");
    println!("|---|---|---|");
    println!(
        "| 1. apply {n} one-table migrations (runner process) | {} | psql -f floor {} → {:.2}× (target ≤ 1.10×) |",
        ms(ours),
        ms(floor),
        ours.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| 2. no-op `up` with {n} applied (median of 5) | {} | target ≤ 60 ms |",
        ms(noop)
    );
    println!(
        "| 3. `status` with {status_rows} applied (median of 5) | {} | target ≤ 100 ms |",
        ms(status)
    );
    println!(
        "| 6. edit→run loop: `create` + `up` after one new file, incremental build (3 runs) | {} | target ≤ 3 s |",
        loops.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
    );
    println!(
        "| 7a. runner peak memory: up of {few} vs {n} migrations | {} vs {} | flat |",
        kib(few_rss),
        kib(ours_rss)
    );
    println!(
        "| 7b. runner peak memory: backfill of {small_rows} vs {backfill_rows} rows | {} vs {} (the {backfill_rows}-row run took {}) | flat |",
        kib(backfill_small_rss),
        kib(backfill_big_rss),
        ms(backfill_took)
    );
}

// ---------------------------------------------------------------------------------------------------------
// test-database: `TestDatabase` copying its template, next to migrating each database and to the bare copy

/// The generated crate's program: `copies` test databases made one after the other, each creation timed (not
/// its drop); prints the microseconds and the template of each.
const TEST_DATABASE_PROGRAM: &str = "fn main() {
    let copies: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    for _ in 0..copies {
        let started = std::time::Instant::now();
        let db = migrate_cli::testing::TestDatabase::new(&bench_testdb::migrations::REGISTRY)
            .expect(\"a test database\");
        let took = started.elapsed();
        println!(\"{} {}\", took.as_micros(), db.template().unwrap_or(\"-\"));
    }
}
";

fn bench_test_database(n: usize, copies: usize) {
    println!("\n## test databases: `TestDatabase::new` with {n} migrations, {copies} in a row each way\n");
    let dir = scaffold("bench-testdb", &table_migrations(n));
    std::fs::write(dir.join("src/main.rs"), TEST_DATABASE_PROGRAM).expect("main.rs");
    let bin = build_release(&dir, "bench-testdb");
    let admin = tests::admin_url_from_env();
    let run = |template: &str| -> Vec<(Duration, String)> {
        let out = Command::new(&bin)
            .arg(copies.to_string())
            .current_dir(&dir)
            .env("DATABASE_URL", &admin)
            .env("MIGRATE_TEST_TEMPLATE", template)
            .output()
            .expect("the test-database program");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|line| {
                let (micros, template) = line.split_once(' ').expect("micros template");
                (
                    Duration::from_micros(micros.parse().expect("micros")),
                    template.to_owned(),
                )
            })
            .collect()
    };
    let mut admin_client = postgres::Client::connect(&admin, postgres::NoTls).expect("admin");
    // A first call builds the template: dropped before, so it is built here, and timed as such.
    let name = {
        let probe = run("on");
        probe[0].1.clone()
    };
    let _ = tests::drop_template(&mut admin_client, &name);
    let with_template = run("on");
    let first = with_template[0].0;
    let copied: Vec<Duration> = with_template[1..].iter().map(|(d, _)| *d).collect();
    let without: Vec<Duration> = run("off").into_iter().map(|(d, _)| d).collect();
    // The floor: the copy alone, from the bench's own open connection.
    let floor: Vec<Duration> = (0..copies.max(2) - 1)
        .map(|i| {
            let copy = format!("bench_testdb_floor_{}_{i}", std::process::id());
            let started = Instant::now();
            admin_client
                .batch_execute(&format!("CREATE DATABASE {copy} TEMPLATE {name}"))
                .expect("copy");
            let took = started.elapsed();
            admin_client
                .batch_execute(&format!("DROP DATABASE {copy}"))
                .expect("drop the copy");
            took
        })
        .collect();
    let _ = tests::drop_template(&mut admin_client, &name);
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let (copied, without, floor) = (median(copied), median(without), median(floor));
    println!("| per test database | median | against the floor |");
    println!("|---|---|---|");
    println!(
        "| the first, which builds the template | {} | {:.2}x |",
        ms(first),
        first.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| copied from the template (the default) | {} | **{:.2}x** (target <= 1.2x) |",
        ms(copied),
        copied.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| migrated on its own (`MIGRATE_TEST_TEMPLATE=off`) | {} | {:.2}x |",
        ms(without),
        without.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| the floor: `CREATE DATABASE ... TEMPLATE` of the migrated template | {} | 1.00x |",
        ms(floor)
    );
}

// ---------------------------------------------------------------------------------------------------------
// squash: a generated crate squashed by the command, checked against the unsquashed schema

fn describe(db: &TestDb) -> String {
    migrate_core::schema::describe(&mut db.client(), &migrate_core::MigrationsTable::default())
        .expect("describe")
        .render()
}

fn bench_squash(n: usize) {
    assert!(n >= 3, "squash needs at least 3 generated migrations");
    println!(
        "\n## squash: a generated crate of {n} migrations, squashed up to the one before the last\n"
    );
    let files: Vec<(String, String)> = (0..n)
        .map(|i| tests::generated::migration_file(i, &version(i)))
        .collect();
    let dir = scaffold("bench-squash", &files);
    let started = Instant::now();
    let bin = build_release(&dir, "bench-squash");
    let build_before = started.elapsed();
    let applied = TestDb::new();
    let (up_all, _) = timed(&mut runner(&bin, &dir, &applied, &["up"]));
    let unsquashed = describe(&applied);
    let target = version(n - 2);
    let (squash_took, squash_rss) = timed(&mut runner(
        &bin,
        &dir,
        &applied,
        &["squash", "--to", &target],
    ));
    let left = std::fs::read_dir(dir.join("migrations"))
        .expect("migrations folder")
        .count();
    let baseline_bytes =
        std::fs::metadata(dir.join("migrations").join(format!("{target}_baseline.rs")))
            .expect("the baseline file")
            .len();
    let started = Instant::now();
    let bin = build_release(&dir, "bench-squash");
    let build_after = started.elapsed();
    let fresh = TestDb::new();
    let (up_fresh, _) = timed(&mut runner(&bin, &dir, &fresh, &["up"]));
    assert_eq!(
        describe(&fresh),
        unsquashed,
        "the baseline and the last migration give another schema than the {n} migrations"
    );
    let (record, _) = timed(&mut runner(&bin, &dir, &applied, &["up"]));
    assert_eq!(
        describe(&applied),
        unsquashed,
        "recording the baseline changed the schema"
    );
    let rows = applied.query_strings("SELECT name FROM pgmigrations");
    assert_eq!(rows.len(), 2, "{rows:?}");

    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| build the runner with {n} migrations (cold for this crate) | {} |",
        ms(build_before)
    );
    println!(
        "| `up`: apply {n} migrations to an empty database | {} |",
        ms(up_all)
    );
    println!(
        "| `squash --to` the one before the last: 2 scratch databases, {} migrations applied, SQL read back and checked | {} (peak memory {}) |",
        n - 1,
        ms(squash_took),
        kib(squash_rss)
    );
    println!(
        "| files left | {left} (baseline {:.0} KiB + the last migration) |",
        baseline_bytes as f64 / 1024.0
    );
    println!(
        "| rebuild the runner after the squash (incremental) | {} |",
        ms(build_after)
    );
    println!(
        "| `up` on an empty database: the baseline + 1 migration | {} ({:.1}× faster than {n} migrations); schema equal |",
        ms(up_fresh),
        up_all.as_secs_f64() / up_fresh.as_secs_f64()
    );
    println!(
        "| `up` on the database that applied all {n}: baseline recorded without running | {} ; schema unchanged, 2 rows left |",
        ms(record)
    );
}

// ---------------------------------------------------------------------------------------------------------
// trace: the example app's migrations traced on a scratch database

fn bench_trace() {
    const RUNS: usize = 5;
    let mut build = cargo();
    build
        .args([
            "build",
            "--locked",
            "-q",
            "-p",
            "example-app",
            "--bin",
            "example-app-migrate",
        ])
        .current_dir(workspace_root());
    if !dev_profile() {
        build.arg("--release");
    }
    assert!(
        build.status().expect("cargo").success(),
        "building example-app-migrate failed"
    );
    let bin = workspace_root()
        .join("target")
        .join(if dev_profile() { "debug" } else { "release" })
        .join("example-app-migrate");
    let migrations = workspace_root().join("example-app").join("migrations");
    // Run outside the repository: below it, the runner would find migrate.toml and rewrite the committed
    // schema file after `up`.
    let cwd = tempfile::tempdir().expect("temp dir");
    let command = |db: &TestDb, args: &[&str]| {
        let mut cmd = Command::new(&bin);
        cmd.args(args)
            .current_dir(cwd.path())
            .env("DATABASE_URL", db.url())
            .env("MIGRATIONS_DIR", &migrations);
        cmd
    };
    let run = |args: &[&str], before: &[&str]| -> Duration {
        let db = TestDb::new();
        if !before.is_empty() {
            timed(&mut command(&db, before));
        }
        timed(&mut command(&db, args)).0
    };
    let last_five = [
        "20261122100400",
        "20261122110000",
        "20261122110100",
        "20261122110200",
        "20261122120000",
    ];
    let mut rows_args = vec!["trace", "--rows", "100000"];
    rows_args.extend(last_five);
    let cases: [(&str, Vec<&str>, Vec<&str>); 3] = [
        ("up: apply the 7 migrations (baseline)", vec!["up"], vec![]),
        ("trace: the 7 migrations", vec!["trace"], vec![]),
        (
            "trace --rows 100000: the last 5, after the first 2",
            rows_args,
            vec!["up", "--to", "20261122100000"],
        ),
    ];
    println!("\n## trace: the example app's 7 migrations (runner called directly, {RUNS} runs each, fresh database each)\n");
    println!("| command | median | min | max |");
    println!("|---|---|---|---|");
    for (label, args, before) in cases {
        // One run not timed: the server's caches, the binary's pages.
        run(&args, &before);
        let mut samples: Vec<Duration> = (0..RUNS).map(|_| run(&args, &before)).collect();
        samples.sort();
        println!(
            "| {label} | {} | {} | {} |",
            ms(median(samples.clone())),
            ms(samples[0]),
            ms(samples[samples.len() - 1])
        );
    }
    println!("\ntarget: the 7 migrations traced in under 3 s");
}
