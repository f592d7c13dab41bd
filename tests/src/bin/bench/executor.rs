//! Executor: the one batch executor as its three callers' two run it (the inline backfill and the background
//! worker; a restore walks as an inline backfill), next to one `UPDATE` of the same rows, with two writers
//! updating random rows of the table.

use super::*;

/// What runs next to the writers in one run.
#[derive(Clone, Copy)]
enum Run {
    /// One `UPDATE` of every row in one transaction: the baseline.
    Update,
    /// `pgm.backfill` in the migration, default settings.
    Inline,
    /// The backfill queued as a background job (by `up`, timed) and run by this many library workers at once.
    Job(usize),
}

impl Run {
    fn label(self) -> String {
        match self {
            Run::Update => "one UPDATE (baseline)".to_owned(),
            Run::Inline => "inline backfill".to_owned(),
            Run::Job(n) => format!("background job, {n} worker(s)"),
        }
    }
}

struct Measured {
    took: Duration,
    /// The batches' waits on a health signal (a vacuum of the table, say), summed over the workers.
    paused: Duration,
    batches: u64,
    /// This process's CPU (user + system) during the run: the executor's own cost, besides the server's.
    cpu: Duration,
    writes: usize,
    p50: Duration,
    p99: Duration,
}

/// The CPU this process used so far (every thread).
fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// One run on a fresh database: `rows` rows, vacuumed and checkpointed, two writers each updating a random
/// row every 2 ms from 200 ms before the run to its end.
fn measure(rows: u64, run: Run) -> Measured {
    let db = TestDb::new();
    db.exec(&format!(
        "CREATE TABLE items (id bigserial PRIMARY KEY, v integer NOT NULL, doubled integer, touched integer NOT NULL DEFAULT 0);
         INSERT INTO items (v) SELECT i FROM generate_series(1, {rows}) i"
    ));
    let mut admin = db.client();
    admin.batch_execute("VACUUM ANALYZE items").expect("vacuum");
    replicas::wait_for_autovacuum(&mut admin);
    admin.batch_execute("CHECKPOINT").expect("checkpoint");
    let done = AtomicBool::new(false);
    let pauses = std::sync::Mutex::new((Duration::ZERO, 0u64));
    let measured = std::thread::scope(|s| {
        let writers: Vec<_> = (0..2)
            .map(|_| s.spawn(|| random_writes(db.client(), "items", rows, &done)))
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        let cpu = process_cpu();
        let started = Instant::now();
        let mut client = db.client();
        let count = |event: migrate_core::Event<'_>| match event {
            migrate_core::Event::Backfill { .. } => pauses.lock().expect("pauses").1 += 1,
            migrate_core::Event::BackfillFinished { pauses: p, .. } => {
                pauses.lock().expect("pauses").0 += p.iter().map(|t| t.total).sum::<Duration>();
            }
            _ => {}
        };
        match run {
            Run::Update => client
                .batch_execute("BEGIN; UPDATE items SET doubled = v * 2; COMMIT")
                .expect("update"),
            Run::Inline => {
                Migrator::new(&BACKFILL)
                    .run_up(&mut client, &UpTarget::All, &mut |e| count(e))
                    .expect("backfill");
            }
            Run::Job(workers) => {
                Migrator::new(&QUEUED)
                    .run_up(&mut client, &UpTarget::All, &mut |_| {})
                    .expect("queue");
                std::thread::scope(|w| {
                    for i in 0..workers {
                        let mut worker = db.client();
                        let count = &count;
                        w.spawn(move || {
                            let options =
                                migrate_core::WorkOptions::default().name(format!("bench-{i}"));
                            let report = Migrator::new(&QUEUED)
                                .work(&mut worker, &options, &mut |e| count(e))
                                .expect("work");
                            assert!(report.failed.is_empty(), "{report:?}");
                        });
                    }
                });
            }
        }
        let took = started.elapsed();
        let cpu = process_cpu().saturating_sub(cpu);
        done.store(true, Ordering::SeqCst);
        let mut waits: Vec<Duration> = writers
            .into_iter()
            .flat_map(|w| w.join().expect("writer thread"))
            .collect();
        let (_, p99) = worst_and_p99(&mut waits);
        let (paused, batches) = *pauses.lock().expect("pauses");
        Measured {
            took,
            paused,
            batches,
            cpu,
            writes: waits.len(),
            p50: percentile(&waits, 0.5),
            p99,
        }
    });
    let wrong = db.query_strings("SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 2");
    assert_eq!(
        wrong[0][0].as_deref(),
        Some("0"),
        "{}: rows left wrong",
        run.label()
    );
    measured
}

/// The median of `values` (the lower one of an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0.0)
}

pub(super) fn bench_executor(sizes: &[u64], pairs: usize) {
    println!(
        "\n## executor: one UPDATE, the inline backfill and a background job with 1 and 2 workers, two writers updating random rows every 2 ms ({pairs} round(s), the order turned each round)\n"
    );
    println!("| rows | round | run | took | vs one UPDATE | paused | vs one UPDATE, net of pauses | batches | client CPU | writes | writers' p50 | writers' p99 |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let runs = [Run::Update, Run::Inline, Run::Job(1), Run::Job(2)];
    let mut summary = Vec::new();
    for &rows in sizes {
        // A warm-up: the first run after the table's creation pays for the cache.
        measure(rows, Run::Update);
        let mut ratios = vec![Vec::new(); runs.len()];
        let mut p99s = vec![Vec::new(); runs.len()];
        let mut updates = Vec::new();
        for round in 0..pairs {
            let mut order: Vec<usize> = (0..runs.len()).collect();
            if round % 2 == 1 {
                order.reverse();
            }
            let mut measured: Vec<Option<Measured>> = runs.iter().map(|_| None).collect();
            for i in order {
                measured[i] = Some(measure(rows, runs[i]));
            }
            let measured: Vec<Measured> = measured.into_iter().flatten().collect();
            let baseline = measured[0].took;
            updates.push(baseline.as_secs_f64());
            for (i, (run, m)) in runs.iter().zip(&measured).enumerate() {
                let ratio = baseline.as_secs_f64() / m.took.as_secs_f64();
                ratios[i].push(ratio);
                p99s[i].push(m.p99.as_secs_f64() * 1000.0);
                println!(
                    "| {rows} | {} | {} | {} | {ratio:.2}x | {} | {:.2}x | {} | {:.2} s | {} | {:.1} ms | {:.1} ms |",
                    round + 1,
                    run.label(),
                    ms(m.took),
                    ms(m.paused),
                    baseline.as_secs_f64() / m.took.saturating_sub(m.paused).as_secs_f64(),
                    m.batches,
                    m.cpu.as_secs_f64(),
                    m.writes,
                    m.p50.as_secs_f64() * 1000.0,
                    m.p99.as_secs_f64() * 1000.0,
                );
            }
        }
        summary.push((
            rows,
            median(&mut updates),
            ratios.iter_mut().map(|r| median(r)).collect::<Vec<_>>(),
            p99s.iter_mut().map(|r| median(r)).collect::<Vec<_>>(),
        ));
    }
    println!("\nMedians of the rounds (target: the inline backfill and two workers at least 0.8x one UPDATE, the writers' p99 under 100 ms):\n");
    println!("| rows | one UPDATE | inline backfill | job, 1 worker | job, 2 workers | writers' p99: UPDATE, inline, 1 worker, 2 workers |");
    println!("|---|---|---|---|---|---|");
    for (rows, update, ratios, p99s) in summary {
        println!(
            "| {rows} | {:.0} ms | {:.2}x | {:.2}x | {:.2}x | {:.1}, {:.1}, {:.1}, {:.1} ms |",
            update * 1000.0,
            ratios[1],
            ratios[2],
            ratios[3],
            p99s[0],
            p99s[1],
            p99s[2],
            p99s[3],
        );
    }
}
