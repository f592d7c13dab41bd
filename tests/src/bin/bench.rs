//! Benchmarks against a real PostgreSQL, each next to its baseline in the same run, printed as tables.
//!
//! ```text
//! cargo run --release -p tests --bin bench -- [lock-queue] [backfill] [executor] [kept] [online] [scale] [squash] [replicas] [trace] [widen-key] [--rows N] [--online-rows N] [--migrations N] [--status-rows N] [--sizes N,N] [--batch-ms MS,MS] [--vacuum-pause on,off] [--pairs N] [--dev]
//! ```
//!
//! `--dev` builds the generated crates in the dev profile, in the end-to-end tests' target folder
//! (`target/e2e-target`, whose dependencies the test suite compiled already), runs the edit→run loop through the
//! dev-built `migrate-front` beside this binary, and takes the fixture runner and the example app's runner the
//! test command built beside it (a `cargo build -p ..` of one package would compile half the dependencies again
//! with that package's features): quicker, for the reduced run in `.ci/run`, which runs it after the test command.
//!
//! - `lock-queue`: a transaction holds a read lock on a table for 3 s while a migration adds a column. Without
//!   a lock timeout the migration's queued lock request blocks every later query on the table; with the
//!   default 500 ms lock timeout and retries, readers wait at most about that long.
//! - `backfill`: filling a column on 1M rows while another connection keeps updating random rows: one big
//!   UPDATE (the baseline) against `pgm.backfill` in 1000-row batches. Reports the writer's worst and p99
//!   wait.
//! - `diff` (`bench/diff.rs`, only when named): `migrate diff`'s generator on 1,000 tables (`--tables`), the
//!   generation timed apart from building the two schemas; budget 2 s.
//! - `executor` (`bench/executor.rs`, only when named; `--sizes` defaults to 300000): the one batch executor
//!   as the inline backfill and a background job with 1 and 2 workers run it, each against one `UPDATE` of
//!   the same rows measured in the same round, two writers updating random rows every 2 ms: time, ratio (and
//!   net of the batches' pauses), batches, this process's CPU, the writers' p50/p99; `--pairs N` runs N
//!   rounds, the order turned each round, and ends with the medians. Target: the inline backfill and two
//!   workers at least 0.8x one `UPDATE`, the writers' p99 under 100 ms.
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
//! - `widen-key` (`bench/widen_key.rs`, only when named; `--rows` orders, default 10,000,000): `widen_key_online`
//!   under writers, each phase killed once at a random moment, against a plain batched backfill of the same
//!   rows (target ≤ 1.5x) and `ALTER COLUMN .. TYPE` on a copy; the writers' longest wait, the longest
//!   write-blocking lock seen in `pg_locks` (target ≤ 1 s).

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
#[path = "bench/executor.rs"]
mod executor;
#[path = "bench/kept.rs"]
mod kept;
#[path = "bench/online.rs"]
mod online;
#[path = "bench/partitions.rs"]
mod partitions;
#[path = "bench/replicas.rs"]
mod replicas;
use replicas::*;
#[path = "bench/scale.rs"]
mod scale;
#[path = "bench/widen_key.rs"]
mod widen_key;
use scale::*;
#[path = "bench/test_database.rs"]
mod test_database;
use test_database::*;
#[path = "bench/squash.rs"]
mod squash;
use squash::*;
#[path = "bench/trace.rs"]
mod trace;
use trace::*;

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

/// The comma-separated values after `flag` (`--sizes 1000,2000`), each read by `parse`; `default` without the
/// flag.
fn list_arg<T>(args: &[String], flag: &str, default: Vec<T>, parse: impl Fn(&str) -> T) -> Vec<T> {
    match args.iter().position(|a| a == flag) {
        Some(i) => args
            .get(i + 1)
            .map(|list| list.split(',').map(|v| parse(v.trim())).collect())
            .unwrap_or_default(),
        None => default,
    }
}

/// The sections a run can name; naming none runs those that are not only run when named.
const SECTIONS: [&str; 14] = [
    "widen-key",
    "lock-queue",
    "backfill",
    "kept",
    "scale",
    "squash",
    "replicas",
    "trace",
    "online",
    "test-database",
    "jobs",
    "partitions",
    "diff",
    "executor",
];

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
    let all = !args.iter().any(|a| SECTIONS.contains(&a.as_str()));
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
        let sizes = list_arg(&args, "--sizes", vec![1_000_000, 10_000_000], |n| {
            n.parse::<u64>()
                .unwrap_or_else(|_| panic!("--sizes takes numbers, not {n:?}"))
        });
        let batch_times = list_arg(&args, "--batch-ms", Vec::new(), |n| {
            Duration::from_millis(
                n.parse()
                    .unwrap_or_else(|_| panic!("--batch-ms takes milliseconds, not {n:?}")),
            )
        });
        // `--vacuum-pause on,off`: the backfill with and without its wait for a vacuum of the table.
        let vacuum_pauses = list_arg(&args, "--vacuum-pause", vec![true], |v| match v {
            "on" => true,
            "off" => false,
            other => panic!("--vacuum-pause takes on and/or off, not {other:?}"),
        });
        bench_replicas(
            &sizes,
            &batch_times,
            &vacuum_pauses,
            number("--pairs", 1).max(1) as usize,
        );
    }
    if args.iter().any(|a| a == "jobs") {
        let numbers = |flag: &str, default: Vec<u64>| {
            list_arg(&args, flag, default, |n| {
                n.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{flag} takes numbers, not {n:?}"))
            })
        };
        bench_jobs(
            &numbers("--sizes", vec![10_000_000]),
            &numbers("--workers", vec![1, 2, 4]),
            number("--pairs", 1).max(1) as usize,
        );
    }
    if args.iter().any(|a| a == "executor") {
        let sizes = list_arg(&args, "--sizes", vec![300_000], |n| {
            n.parse::<u64>()
                .unwrap_or_else(|_| panic!("--sizes takes numbers, not {n:?}"))
        });
        executor::bench_executor(&sizes, number("--pairs", 1).max(1) as usize);
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
    if args.iter().any(|a| a == "widen-key") {
        widen_key::bench_widen_key(number("--rows", 10_000_000));
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
