//! `kept`: what keeping the overwritten values costs a backfill. The same backfill overwrites a filled column
//! of `--rows` rows (default 1,000,000) with and without `keep_previous_values`, each on a fresh copy of the
//! table, in turn (plain first, then kept first), then the kept run's derived `down` puts the values back.
//! Target: the kept run at most 1.3x the plain one.

use std::time::{Duration, Instant};

use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};
use migrate_dsl::prelude::*;
use tests::TestDb;

fn plain(pgm: &mut MigrationBuilder) {
    pgm.backfill("items", "doubled = v * 2");
}

fn kept(pgm: &mut MigrationBuilder) {
    pgm.backfill("items", "doubled = v * 2")
        .keep_previous_values();
}

static PLAIN: [Migration; 1] = [Migration::defined(&Definition {
    name: "20260101000000_overwrite",
    path: "bench",
    source: "plain",
    up: plain,
    down: None,
})];

static KEPT: [Migration; 1] = [Migration::defined(&Definition {
    name: "20260101000000_overwrite",
    path: "bench",
    source: "kept",
    up: kept,
    down: None,
})];

/// One run on a fresh table: the backfill's time and, for the kept one, its `down`'s.
fn run(rows: u64, migrations: &'static [Migration]) -> (Duration, Option<Duration>) {
    let db = TestDb::new();
    db.exec(&format!(
        "CREATE TABLE items (id bigint PRIMARY KEY, v integer NOT NULL, doubled integer);
         INSERT INTO items SELECT i, i, -i FROM generate_series(1, {rows}) i"
    ));
    db.exec("VACUUM ANALYZE items");
    let before =
        db.query_strings("SELECT md5(string_agg(doubled::text, ',' ORDER BY id)) FROM items");
    let migrator = Migrator::new(migrations);
    let mut client = db.client();
    let started = Instant::now();
    migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect("backfill");
    let took = started.elapsed();
    let wrong = db.query_strings("SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 2");
    assert_eq!(wrong[0][0].as_deref(), Some("0"), "rows left wrong");
    if std::ptr::eq(migrations, &PLAIN[..]) {
        return (took, None);
    }
    let started = Instant::now();
    migrator
        .run_down(&mut client, &DownTarget::Count(1), &mut |_| {})
        .expect("restore");
    let restored = started.elapsed();
    let after =
        db.query_strings("SELECT md5(string_agg(doubled::text, ',' ORDER BY id)) FROM items");
    assert_eq!(before, after, "the down put back every value");
    (took, Some(restored))
}

pub fn bench_kept(rows: u64) {
    println!("\n## kept values: a backfill overwriting a filled column of {rows} rows, with and without keep_previous_values\n");
    let mut plain_runs = Vec::new();
    let mut kept_runs = Vec::new();
    let mut restores = Vec::new();
    for kept_first in [false, true] {
        let order: [&'static [Migration]; 2] = if kept_first {
            [&KEPT, &PLAIN]
        } else {
            [&PLAIN, &KEPT]
        };
        for migrations in order {
            let (took, restored) = run(rows, migrations);
            match restored {
                Some(r) => {
                    kept_runs.push(took);
                    restores.push(r);
                }
                None => plain_runs.push(took),
            }
        }
    }
    let total = |runs: &[Duration]| runs.iter().sum::<Duration>().as_secs_f64();
    println!("| run | times | rows/s (all runs) |");
    println!("|---|---|---|");
    for (label, runs) in [
        ("backfill", &plain_runs),
        ("backfill keeping the previous values", &kept_runs),
        ("its down, restoring them", &restores),
    ] {
        let times: Vec<String> = runs
            .iter()
            .map(|d| format!("{:.2} s", d.as_secs_f64()))
            .collect();
        println!(
            "| {label} | {} | {:.0} |",
            times.join(", "),
            rows as f64 * runs.len() as f64 / total(runs).max(1e-6)
        );
    }
    println!(
        "\nkeeping: {:.2}x the plain backfill (target <= 1.3x)",
        total(&kept_runs) / total(&plain_runs).max(1e-6)
    );
}
