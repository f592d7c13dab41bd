//! `diff`: the generator on a schema of `--tables` tables (default 1,000) with five columns and two indexes
//! each (5,000 columns, 2,000 indexes), against a desired schema where every tenth table has a new column, a
//! new index and a changed default, and fifty tables are new. Building the two schemas (what `migrate diff`
//! does on scratch databases first, side by side) is timed apart from the generation, which is the budgeted part: at most
//! 2 s on top of the builds.

use std::time::{Duration, Instant};

use migrate_core::diff::{generate, Options};
use migrate_core::MigrationsTable;
use tests::TestDb;

fn table(i: usize, changed: bool) -> String {
    let mut sql = format!(
        "CREATE TABLE t{i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, \
         qty integer DEFAULT {}, at timestamptz NOT NULL DEFAULT now(), note text{});\n\
         CREATE INDEX t{i}_name ON t{i} (name);\n",
        if changed { 1 } else { 0 },
        if changed { ", extra text" } else { "" }
    );
    if changed {
        sql.push_str(&format!("CREATE INDEX t{i}_at ON t{i} (at);\n"));
    }
    sql
}

fn schema(tables: usize, desired: bool) -> String {
    let mut sql = String::new();
    for i in 0..tables {
        sql.push_str(&table(i, desired && i % 10 == 0));
    }
    if desired {
        for i in 0..50 {
            sql.push_str(&format!(
                "CREATE TABLE n{i} (id bigint PRIMARY KEY, t0_id bigint REFERENCES t0, label text);\n"
            ));
        }
    }
    sql
}

pub fn bench_diff(tables: usize, runs: usize) {
    println!(
        "\n## diff: {tables} tables, {} columns, {} indexes",
        tables * 5,
        tables * 2
    );
    let started = Instant::now();
    let (from, to) = (TestDb::new(), TestDb::new());
    // Side by side, as `migrate diff` builds them: the current schema in one transaction (a migration),
    // the desired one a statement at a time (a SQL file). Two transactions of thousands of tables would
    // not fit the server's lock table at once.
    std::thread::scope(|threads| {
        threads.spawn(|| from.exec(&schema(tables, false)));
        let mut client = to.client();
        for statement in schema(tables, true).lines() {
            client
                .batch_execute(statement)
                .expect("the desired schema builds");
        }
    });
    let build = started.elapsed();
    println!("| run | build both schemas | generate | files | changes listed in them | target |");
    println!("|---|---|---|---|---|---|");
    let mut times: Vec<Duration> = Vec::new();
    for run in 1..=runs {
        let options = Options::new(MigrationsTable::default());
        let start = Instant::now();
        let generated =
            generate(&mut from.client(), &mut to.client(), "bench", &options).expect("generate");
        let took = start.elapsed();
        times.push(took);
        let changes: usize = generated
            .files
            .iter()
            .map(|f| f.source.lines().filter(|l| l.starts_with("//! - ")).count())
            .sum();
        println!(
            "| {run} | {:.1} s | {:.2} s | {} | {changes} | <= 2 s: {} |",
            build.as_secs_f64(),
            took.as_secs_f64(),
            generated.files.len(),
            if took <= Duration::from_secs(2) {
                "yes"
            } else {
                "NO"
            }
        );
    }
    times.sort();
    println!(
        "median generate: {:.2} s",
        times[times.len() / 2].as_secs_f64()
    );
}
