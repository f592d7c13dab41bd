//! `widen-key` (only when named; `--rows` orders, default 10,000,000, with twice as many lines and a third as
//! many refunds): `widen_key_online` on the shop of `tests::shop`, under the app's writers (`tests::shop::Writers`),
//! against its two baselines, each on a copy of the same loaded database (`CREATE DATABASE .. TEMPLATE`):
//!
//! - a plain batched backfill of the same rows: `bigint` columns added next to `orders.id`, `orders.parent_id`
//!   and `order_lines.order_id` and filled by `pgm.backfill` with the same settings, one walk per table as the
//!   widening's (the floor of the expand's work; the target: the widening at most 1.5x its time);
//! - `ALTER COLUMN .. TYPE bigint` of the same columns, one statement per table: the rewrite, whose lock the
//!   writers wait for.
//!
//! The widening runs its three phases in turn (and the switch's `down` and the switch again), each with its
//! connection terminated once at a random moment (`fastrand`, the seed printed) and finished by the next `up`.
//! Printed: each phase's time, the writers' writes, p50, p99 and longest wait, and the longest time a lock that
//! blocks writes on the three tables (`SHARE` or stronger) was seen held in `pg_locks` (sampled every 10 ms).
//! The rows loaded before (those the writers do not touch) must have the same checksum after the contract, and
//! no write may fail: the run panics otherwise.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::shop::{shop_sql, Writers, WritersReport};
use tests::TestDb;

fn expand(pgm: &mut MigrationBuilder) {
    pgm.widen_key_online("orders", "id", "bigint");
}

fn switch(pgm: &mut MigrationBuilder) {
    pgm.contract("orders.id becomes bigint: every app version running reads it as bigint");
    pgm.widen_key_online("orders", "id", "bigint").switch();
}

fn contract(pgm: &mut MigrationBuilder) {
    pgm.widen_key_online("orders", "id", "bigint").contract();
}

fn plain_backfill(pgm: &mut MigrationBuilder) {
    pgm.add_columns(
        "orders",
        [
            column("id_copy", "bigint"),
            column("parent_id_copy", "bigint"),
        ],
    );
    pgm.add_columns("order_lines", [column("order_id_copy", "bigint")]);
    // One walk per table, as the widening's backfills do.
    pgm.backfill("orders", "id_copy = id, parent_id_copy = parent_id")
        .where_clause(
            "(id_copy IS NULL AND id IS NOT NULL) OR (parent_id_copy IS NULL AND parent_id IS NOT NULL)",
        );
    pgm.backfill("order_lines", "order_id_copy = order_id")
        .where_clause("order_id_copy IS NULL AND order_id IS NOT NULL");
}

static WIDEN: [Migration; 3] = [
    Migration::defined(&Definition {
        name: "20261201000001_widen_orders_id",
        path: "bench/widen_key.rs",
        source: "expand",
        up: expand,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000002_switch_orders_id",
        path: "bench/widen_key.rs",
        source: "switch",
        up: switch,
        down: None,
    }),
    Migration::defined(&Definition {
        name: "20261201000003_contract_orders_id",
        path: "bench/widen_key.rs",
        source: "contract",
        up: contract,
        down: None,
    }),
];

static PLAIN: [Migration; 1] = [Migration::defined(&Definition {
    name: "20261201000001_plain_backfill",
    path: "bench/widen_key.rs",
    source: "plain",
    up: plain_backfill,
    down: None,
})];

/// The keys the updating writer touches: their rows are left out of the checksum.
const HOT: i64 = 1000;

/// A checksum of the rows loaded before the run that no writer touches (keys above [`HOT`], up to what was
/// loaded).
fn loaded_rows(db: &TestDb, orders: u64, lines: u64) -> String {
    let sql = format!(
        "SELECT (SELECT sum(hashtext(id::text || ',' || coalesce(parent_id::text, '') || ',' || total)::bigint) FROM orders WHERE id > {HOT} AND id <= {orders})
             || ' ' || (SELECT sum(hashtext(id || ',' || order_id || ',' || qty)::bigint) FROM order_lines WHERE id > {HOT} AND id <= {lines})
             || ' ' || (SELECT sum(hashtext(id || ',' || coalesce(order_id::text, '') || ',' || amount)::bigint) FROM refunds WHERE id <= {orders} / 3)"
    );
    db.query_strings(&sql)[0][0].clone().unwrap_or_default()
}

/// Samples `pg_locks` every 10 ms until stopped: the longest time one lock that blocks writes (`SHARE` or
/// stronger) on the shop's tables was seen held by one transaction, and on what.
fn watch_locks(db: &TestDb, done: &AtomicBool) -> (Duration, String) {
    let mut client = db.client();
    let mut first_seen: HashMap<(String, String, String), Instant> = HashMap::new();
    let mut longest = (Duration::ZERO, String::new());
    while !done.load(Ordering::Relaxed) {
        let now = Instant::now();
        let rows = client
            .query(
                "SELECT l.virtualtransaction, c.relname::text, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                 WHERE l.granted AND c.relname IN ('orders', 'order_lines', 'refunds')
                     AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')",
                &[],
            )
            .unwrap_or_default();
        let held: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        first_seen.retain(|k, _| held.contains(k));
        for key in held {
            let since = *first_seen.entry(key.clone()).or_insert(now);
            let held_for = now - since;
            if held_for > longest.0 {
                longest = (held_for, format!("{} on {}", key.2, key.1));
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    longest
}

/// Runs `step` (`up` of the next migration, or `down` of the last) with its connection terminated after a
/// random delay below `within`; then runs it again until it finishes. The time of both, and whether the kill
/// landed.
fn killed_then_finished(
    db: &TestDb,
    migrator: &Migrator<'_>,
    up: bool,
    within: Duration,
) -> (Duration, bool) {
    let started = Instant::now();
    let mut client = db.client();
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .expect("pid")
        .get(0);
    let delay = within.mul_f64(fastrand::f64());
    let finished = AtomicBool::new(false);
    let killed = std::thread::scope(|s| {
        let killer = s.spawn(|| {
            let until = Instant::now() + delay;
            while Instant::now() < until {
                if finished.load(Ordering::Relaxed) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            db.exec(&format!("SELECT pg_terminate_backend({pid})"));
            true
        });
        let result = if up {
            migrator.run_up(&mut client, &UpTarget::Count(1), &mut |_| {})
        } else {
            migrator.run_down(&mut client, &DownTarget::Count(1), &mut |_| {})
        };
        finished.store(true, Ordering::Relaxed);
        let killed = killer.join().expect("killer");
        if result.is_ok() {
            return false;
        }
        killed
    });
    if killed {
        let again = if up {
            migrator.run_up(&mut db.client(), &UpTarget::Count(1), &mut |_| {})
        } else {
            migrator.run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {})
        };
        if let Err(e) = again {
            panic!("the run after the kill failed: {e}");
        }
    }
    (started.elapsed(), killed)
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn writers_row(report: &WritersReport) -> String {
    format!(
        "{} writes, p50 {}, p99 {}, longest {}",
        report.writes,
        ms(report.p50),
        ms(report.p99),
        ms(report.max)
    )
}

pub(crate) fn bench_widen_key(orders: u64) {
    let lines = orders * 2;
    let seed = fastrand::u64(..);
    fastrand::seed(seed);
    println!("\n## widen-key: orders.id to bigint, {orders} orders, {lines} lines, {} refunds (seed {seed})\n", orders / 3);
    let base = TestDb::new();
    let load = Instant::now();
    base.exec(&shop_sql(orders, lines));
    base.exec("VACUUM ANALYZE orders");
    base.exec("VACUUM ANALYZE order_lines");
    base.exec("VACUUM ANALYZE refunds");
    base.exec("CHECKPOINT");
    println!("loaded in {:.0} s", load.elapsed().as_secs_f64());
    let plain_db = TestDb::copy_of(&base);
    let alter_db = TestDb::copy_of(&base);
    let before = loaded_rows(&base, orders, lines);

    // The floor: the same rows filled by a plain batched backfill.
    let started = Instant::now();
    Migrator::new(&PLAIN)
        .run_up(&mut plain_db.client(), &UpTarget::All, &mut |_| {})
        .expect("plain backfill");
    let floor = started.elapsed();
    drop(plain_db);

    // The rewrite, under the writers.
    let writers = Writers::start(&alter_db, HOT);
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    alter_db.exec(
        "ALTER TABLE orders ALTER COLUMN id TYPE bigint, ALTER COLUMN parent_id TYPE bigint;
         ALTER TABLE order_lines ALTER COLUMN order_id TYPE bigint",
    );
    let rewrite = started.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let rewrite_writers = writers
        .stop()
        .unwrap_or_else(|e| panic!("a write failed: {e}"));
    drop(alter_db);

    // The widening, under the writers, each phase killed once at a random moment and finished.
    let migrator = Migrator::new(&WIDEN);
    let writers = Writers::start(&base, HOT);
    let done = AtomicBool::new(false);
    let (phases, locks) = std::thread::scope(|s| {
        let watcher = s.spawn(|| watch_locks(&base, &done));
        std::thread::sleep(Duration::from_millis(500));
        let mut phases = Vec::new();
        for (what, up, within) in [
            ("expand", true, floor.mul_f64(0.8)),
            ("switch", true, Duration::from_secs(10)),
            ("switch's down", false, Duration::from_secs(10)),
            ("switch again", true, Duration::from_secs(10)),
            ("contract", true, Duration::from_millis(500)),
        ] {
            let (took, killed) = killed_then_finished(&base, &migrator, up, within);
            phases.push((what, took, killed));
        }
        std::thread::sleep(Duration::from_millis(500));
        done.store(true, Ordering::Relaxed);
        (phases, watcher.join().expect("lock watcher"))
    });
    let widen_writers = writers
        .stop()
        .unwrap_or_else(|e| panic!("a write failed: {e}"));
    let after = loaded_rows(&base, orders, lines);
    assert_eq!(before, after, "the loaded rows changed");
    let types = base.query_strings(
        "SELECT string_agg(attrelid::regclass || '.' || attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY 1)
         FROM pg_attribute WHERE attrelid IN ('orders'::regclass, 'order_lines'::regclass) AND attname IN ('id', 'parent_id', 'order_id')",
    );

    println!("| run | time | killed and finished | writers |");
    println!("|---|---|---|---|");
    println!(
        "| plain batched backfill of the same rows (floor) | {:.1} s | | |",
        floor.as_secs_f64()
    );
    println!(
        "| `ALTER COLUMN .. TYPE bigint` (copy) | {:.1} s | | {} |",
        rewrite.as_secs_f64(),
        writers_row(&rewrite_writers)
    );
    let mut total = Duration::ZERO;
    for (what, took, killed) in &phases {
        if !what.contains("down") && *what != "switch" {
            total += *took;
        }
        println!(
            "| widen: {what} | {:.1} s | {} | |",
            took.as_secs_f64(),
            if *killed {
                "yes"
            } else {
                "no (it ended first)"
            }
        );
    }
    println!(
        "| widen: expand + switch + contract | {:.1} s, {:.2}x the floor (target ≤ 1.5x) | | {} |",
        total.as_secs_f64(),
        total.as_secs_f64() / floor.as_secs_f64(),
        writers_row(&widen_writers)
    );
    println!(
        "\nlongest write-blocking lock seen held during the widening: {} ({}); target ≤ 1 s",
        ms(locks.0),
        locks.1
    );
    println!(
        "loaded rows' checksum before and after: equal ({before}); columns now: {}",
        types[0][0].clone().unwrap_or_default()
    );
}
