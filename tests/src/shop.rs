//! A shop whose `integer` order key is widened (`widen_key_online`): its tables, the app's writers that keep
//! using them during every phase, and a checksum of every row. Shared by the integration tests
//! (`tests/widen_key.rs`) and the benchmark at size (`bench widen-key`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::TestDb;

/// Orders with a `serial` key (commented), a self-reference (with a default) and indexes holding the key, one
/// of them the self-reference too; `lines` order lines referencing them (`NOT NULL`, cascading, indexed,
/// commented); refunds referencing them with a `bigint` column already. Lines and refunds are loaded before
/// their foreign keys are added (one validation instead of a lookup per row).
pub fn shop_sql(orders: u64, lines: u64) -> String {
    format!(
        "CREATE TABLE orders (id serial PRIMARY KEY, parent_id integer, placed timestamptz NOT NULL DEFAULT now(), total int NOT NULL);
         CREATE TABLE order_lines (id bigserial PRIMARY KEY, order_id integer NOT NULL, qty int NOT NULL);
         CREATE TABLE refunds (id bigserial PRIMARY KEY, order_id bigint, amount int);
         INSERT INTO orders (total) SELECT i FROM generate_series(1, {orders}) i;
         UPDATE orders SET parent_id = id - 1 WHERE id % 10 = 0;
         INSERT INTO order_lines (order_id, qty) SELECT 1 + i % {orders}, i FROM generate_series(1, {lines}) i;
         INSERT INTO refunds (order_id, amount) SELECT i * 3, i FROM generate_series(1, {orders} / 3) i;
         ALTER TABLE orders ADD FOREIGN KEY (parent_id) REFERENCES orders;
         ALTER TABLE order_lines ADD FOREIGN KEY (order_id) REFERENCES orders ON DELETE CASCADE;
         ALTER TABLE refunds ADD FOREIGN KEY (order_id) REFERENCES orders;
         CREATE INDEX orders_id_placed_idx ON orders (id, placed DESC);
         CREATE INDEX order_lines_order_id_idx ON order_lines (order_id);
         CREATE INDEX orders_parent_id_id_idx ON orders (parent_id, id);
         ALTER TABLE orders ALTER COLUMN parent_id SET DEFAULT 1;
         COMMENT ON COLUMN orders.id IS 'the order number';
         COMMENT ON COLUMN order_lines.order_id IS 'the order of the line';
         ANALYZE orders; ANALYZE order_lines; ANALYZE refunds;"
    )
}

/// One value per table summing a hash of every row (the key columns as numbers, whatever their type): equal
/// before and after when no value changed. An aggregate, so it holds no row list at 30 million rows.
pub const ROWS_CHECKSUM: &str = "SELECT
    (SELECT coalesce(sum(hashtext(id::text || ',' || coalesce(parent_id::text, '') || ',' || total)::bigint), 0) FROM orders)
    || ' ' || (SELECT coalesce(sum(hashtext(id || ',' || order_id || ',' || qty)::bigint), 0) FROM order_lines)
    || ' ' || (SELECT coalesce(sum(hashtext(id || ',' || coalesce(order_id::text, '') || ',' || amount)::bigint), 0) FROM refunds)";

/// The app's writers, a thread each: one inserts orders with a line each (the new order's key read back as
/// `bigint`, as an app that survives the switch reads it) and a refund for two in three (one of them
/// without an order), and deletes every tenth again (its lines with it); one updates orders (setting and
/// clearing their parent, a nullable foreign key) and lines of the first `hot` keys. A failed statement
/// ends its writer; each write's time is kept.
pub struct Writers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Result<(), String>>>,
    /// Each write's duration in microseconds, every writer's.
    waits: Arc<Mutex<Vec<u32>>>,
}

/// What the writers did.
#[derive(Debug, Clone)]
pub struct WritersReport {
    pub writes: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Writers {
    /// Starts the writers on `db`; updates touch the keys 1 to `hot`.
    pub fn start(db: &TestDb, hot: i64) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let waits = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for inserts in [true, false] {
            let mut client = db.client();
            let (stop, waits) = (Arc::clone(&stop), Arc::clone(&waits));
            threads.push(std::thread::spawn(move || {
                let mut n: i64 = 0;
                let mut mine = Vec::new();
                let result = loop {
                    if n >= 20 && stop.load(Ordering::Relaxed) {
                        break Ok(());
                    }
                    n += 1;
                    let started = Instant::now();
                    let result = if inserts {
                        client
                            .query_one(
                                "INSERT INTO orders (total) VALUES ($1) RETURNING id::bigint",
                                &[&i32::try_from(n % 1_000_000).unwrap_or(0)],
                            )
                            .and_then(|row| {
                                let id: i64 = row.get(0);
                                client.execute(
                                    "INSERT INTO order_lines (order_id, qty) VALUES ($1::bigint, 1)",
                                    &[&id],
                                )?;
                                if n % 10 == 0 {
                                    client.execute(
                                        "DELETE FROM orders WHERE id = $1::bigint",
                                        &[&id],
                                    )?;
                                } else if n % 3 != 0 {
                                    let order = (n % 3 == 1).then_some(id);
                                    client.execute(
                                        "INSERT INTO refunds (order_id, amount) VALUES ($1::bigint, 1)",
                                        &[&order],
                                    )?;
                                }
                                Ok(())
                            })
                    } else {
                        let key = n % hot + 1;
                        client
                            .execute(
                                "UPDATE orders SET total = total + 1,
                                     parent_id = CASE WHEN parent_id IS NULL THEN 1 END WHERE id = $1::bigint",
                                &[&key],
                            )
                            .and_then(|_| {
                                client.execute(
                                    "UPDATE order_lines SET qty = qty + 1 WHERE id = $1::bigint",
                                    &[&key],
                                )
                            })
                            .map(drop)
                    };
                    mine.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                    if let Err(e) = result {
                        let kind = if inserts { "insert" } else { "update" };
                        break Err(format!("{kind} #{n}: {e}"));
                    }
                };
                if let Ok(mut all) = waits.lock() {
                    all.extend(mine);
                }
                result
            }));
        }
        Writers {
            stop,
            threads,
            waits,
        }
    }

    /// Stops the writers: the first failed write, or what they did.
    pub fn stop(self) -> Result<WritersReport, String> {
        self.stop.store(true, Ordering::Relaxed);
        let mut failure = None;
        for thread in self.threads {
            match thread.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Err(_) => failure = failure.or(Some("a writer panicked".to_owned())),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let mut waits = self.waits.lock().map(|w| w.clone()).unwrap_or_default();
        waits.sort_unstable();
        let at = |q: f64| {
            let i = ((waits.len() as f64 - 1.0) * q).round() as usize;
            Duration::from_micros(waits.get(i).copied().unwrap_or(0).into())
        };
        Ok(WritersReport {
            writes: waits.len(),
            p50: at(0.5),
            p99: at(0.99),
            max: at(1.0),
        })
    }
}
