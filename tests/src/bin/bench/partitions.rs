//! `partitions`: an index on a partitioned table of `--rows` rows (default 2,000,000) in 24 monthly partitions,
//! built per partition (`concurrently_per_partition`) against a plain `CREATE INDEX` on the parent (the
//! baseline), each on a fresh copy of the table, in turn, while a writer inserts a row every 2 ms: the build's
//! time and the writer's longest and p99 wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use migrate_core::{Definition, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::TestDb;

fn per_partition(pgm: &mut MigrationBuilder) {
    pgm.create_index("events", ["kind", "at"])
        .concurrently_per_partition();
}

static PER_PARTITION: [Migration; 1] = [Migration::defined(&Definition {
    name: "20260101000000_index_events",
    path: "bench",
    source: "per_partition",
    up: per_partition,
    down: None,
})];

/// A fresh `events` table of `rows` rows in 24 monthly partitions.
fn events(rows: u64) -> TestDb {
    let db = TestDb::new();
    let mut sql = String::from(
        "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, kind text NOT NULL, payload text) \
         PARTITION BY RANGE (at);\n",
    );
    for month in 0..24 {
        let (year, m) = (2025 + month / 12, month % 12 + 1);
        let (next_year, next) = if m == 12 {
            (year + 1, 1)
        } else {
            (year, m + 1)
        };
        sql.push_str(&format!(
            "CREATE TABLE events_{year}_{m:02} PARTITION OF events \
             FOR VALUES FROM ('{year}-{m:02}-01') TO ('{next_year}-{next:02}-01');\n"
        ));
    }
    sql.push_str(&format!(
        "INSERT INTO events SELECT i, timestamptz '2025-01-01' + (i % 730) * interval '1 day', 'kind' || (i % 97), \
         repeat('x', 60) FROM generate_series(1, {rows}) i;\nVACUUM ANALYZE events;"
    ));
    for statement in sql.split(";\n").filter(|s| !s.trim().is_empty()) {
        db.exec(statement);
    }
    db
}

/// Runs `build` while a writer inserts a row every 2 ms; the build's time and each write's time.
fn with_writer(db: &TestDb, build: impl FnOnce()) -> (Duration, Vec<Duration>) {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut client = db.client();
            let insert = client
                .prepare(
                    "INSERT INTO events VALUES ($1::int8, timestamptz '2025-01-01' + make_interval(days => ($1::int8 % 730)::int), 'w', 'x')",
                )
                .expect("prepare");
            let mut waits = Vec::new();
            let mut n: i64 = 10_000_000_000;
            while !done.load(Ordering::SeqCst) {
                let started = Instant::now();
                client.execute(&insert, &[&n]).expect("a write");
                waits.push(started.elapsed());
                n += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            waits
        });
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        build();
        let took = started.elapsed();
        done.store(true, Ordering::SeqCst);
        (took, writer.join().expect("writer thread"))
    })
}

fn row(label: &str, rows: u64, took: Duration, mut waits: Vec<Duration>, baseline: Duration) {
    waits.sort_unstable();
    let p99 = super::percentile(&waits, 0.99);
    println!(
        "| {rows} | {label} | {} | {:.2}x | {} | {:.1} ms | {:.1} ms |",
        super::ms(took),
        took.as_secs_f64() / baseline.as_secs_f64(),
        waits.len(),
        p99.as_secs_f64() * 1000.0,
        waits.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
}

pub(super) fn bench_partitions(rows: u64, pairs: usize) {
    println!(
        "\n## partitions: an index on a table of {rows} rows in 24 partitions while a writer inserts every 2 ms ({pairs} pair(s), in turn)\n"
    );
    println!("| rows | build | took | vs plain | writes | writer p99 | longest write |");
    println!("|---|---|---|---|---|---|---|");
    for pair in 0..pairs {
        let plain = || {
            let db = events(rows);
            let (took, waits) = with_writer(&db, || {
                db.exec("CREATE INDEX events_kind_at_index ON events (kind, at)");
            });
            (took, waits)
        };
        let ours = || {
            let db = events(rows);
            let (took, waits) = with_writer(&db, || {
                Migrator::new(&PER_PARTITION)
                    .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
                    .expect("per partition");
            });
            (took, waits)
        };
        let (plain, ours) = if pair % 2 == 0 {
            let p = plain();
            (p, ours())
        } else {
            let o = ours();
            (plain(), o)
        };
        row(
            "plain CREATE INDEX on the parent (baseline)",
            rows,
            plain.0,
            plain.1,
            plain.0,
        );
        row("concurrently_per_partition", rows, ours.0, ours.1, plain.0);
    }
}
