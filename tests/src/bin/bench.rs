//! Benchmarks against a real PostgreSQL, each next to its baseline in the same run, printed as tables.
//!
//! ```text
//! cargo run --release -p tests --bin bench -- [lock-queue] [backfill] [--rows N]
//! ```
//!
//! - `lock-queue`: a transaction holds a read lock on a table for 3 s while a migration adds a column. Without
//!   a lock timeout the migration's queued lock request blocks every later query on the table; with the
//!   default 500 ms lock timeout and retries, readers wait at most about that long.
//! - `backfill`: filling a column on 1M rows while another connection keeps updating random rows: one big
//!   UPDATE (the baseline) against `pgm.backfill` in 1000-row batches. Reports the writer's worst and p99
//!   wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use migrate_core::{Migration, Migrator, Timeouts, UpTarget};
use migrate_dsl::prelude::*;
use tests::TestDb;

fn add_email(pgm: &mut MigrationBuilder) {
    pgm.add_columns("accounts", [column("email", "text")]);
}

fn backfill_doubled(pgm: &mut MigrationBuilder) {
    pgm.backfill("items", "doubled = v * 2");
}

static ADD_EMAIL: [Migration; 1] = [Migration {
    name: "20260101000000_add_email",
    path: "bench",
    source: "add_email",
    up: add_email,
    down: None,
}];

static BACKFILL: [Migration; 1] = [Migration {
    name: "20260101000000_backfill_doubled",
    path: "bench",
    source: "backfill_doubled",
    up: backfill_doubled,
    down: None,
}];

/// Worst and 99th-percentile of `samples`.
fn worst_and_p99(samples: &mut [Duration]) -> (Duration, Duration) {
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    samples.sort();
    let p99 = samples[((samples.len() as f64) * 0.99).ceil() as usize - 1];
    (samples[samples.len() - 1], p99)
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
        let writer = s.spawn(|| {
            let mut client = db.client();
            let update = client
                .prepare("UPDATE items SET touched = touched + 1 WHERE id = $1")
                .expect("prepare");
            let mut waits = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let id = 1 + (fastrand_u64() % rows) as i64;
                let started = Instant::now();
                client.execute(&update, &[&id]).expect("write");
                waits.push(started.elapsed());
                std::thread::sleep(Duration::from_millis(2));
            }
            waits
        });
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

/// A cheap pseudo-random number (xorshift), enough to spread writes over the table.
fn fastrand_u64() -> u64 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = const { Cell::new(0x9E37_79B9_7F4A_7C15) });
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

fn bench_backfill(rows: u64) {
    println!(
        "\n## backfill: fill a column on {rows} rows while another connection updates random rows\n"
    );
    let baseline = backfill("one UPDATE in one transaction (baseline)", rows, false);
    let ours = backfill("pgm.backfill, 1000-row batches", rows, true);
    println!("| run | took | rows/s | concurrent writes | writer worst wait | writer p99 wait |");
    println!("|---|---|---|---|---|---|");
    for r in [&baseline, &ours] {
        println!(
            "| {} | {} | {:.0} | {} | {} | {} |",
            r.label,
            ms(r.took),
            rows as f64 / r.took.as_secs_f64(),
            r.writes,
            ms(r.worst),
            ms(r.p99)
        );
    }
    println!(
        "\nwriter worst wait: {:.1}x lower with batches; backfill time: {:.2}x the single UPDATE",
        baseline.worst.as_secs_f64() / ours.worst.as_secs_f64().max(1e-6),
        ours.took.as_secs_f64() / baseline.took.as_secs_f64().max(1e-6)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .map(|n| {
            n.parse::<u64>()
                .unwrap_or_else(|_| panic!("--rows takes a number, not {n:?}"))
        })
        .unwrap_or(1_000_000);
    let all = !args.iter().any(|a| a == "lock-queue" || a == "backfill");
    println!("# migrate benchmarks (PostgreSQL at DATABASE_URL or the local default)");
    if all || args.iter().any(|a| a == "lock-queue") {
        bench_lock_queue();
    }
    if all || args.iter().any(|a| a == "backfill") {
        bench_backfill(rows);
    }
}
