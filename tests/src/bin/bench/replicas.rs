//! Replicas: a backfill on a primary with a streaming standby, next to one UPDATE of the same rows

use super::*;

pub(super) struct ReplicaRun {
    pub(super) took: Duration,
    /// From the end of the run until the standby had replayed everything: the rest of what the run cost the
    /// standby.
    pub(super) catch_up: Duration,
    /// The table's size (heap, indexes, TOAST) right after the run: the room its dead rows took.
    pub(super) size_after: u64,
    pub(super) writes: usize,
    pub(super) writer_p50: Duration,
    pub(super) writer_p99: Duration,
    /// The same writer's p99 on another table, which the run never locks: what the machine's load alone
    /// (CPU, WAL flushes) costs a write, apart from waits on the run's row locks.
    pub(super) elsewhere_p99: Duration,
    pub(super) lag_p99: u64,
    pub(super) lag_max: u64,
    pub(super) pauses: String,
    /// Time the backfill waited on a health signal (a standby, a vacuum, the predicate): the cost of
    /// watching the server, shown apart from what batching costs.
    pub(super) paused: Duration,
}

/// What runs next to the writer in one replicas run.
#[derive(Clone, Copy)]
pub(super) enum Work {
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
pub(super) fn replica_run(
    pair: &tests::cluster::Replicated,
    db: &str,
    rows: u64,
    work: Work,
) -> ReplicaRun {
    let url = pair.primary.database(db);
    setup_items(&url, rows);
    let done = AtomicBool::new(false);
    // The backfill's pauses: as text, and their total time.
    let pauses = std::sync::Mutex::new((String::from("-"), Duration::ZERO));
    let result = std::thread::scope(|s| {
        let writer = s.spawn(|| random_writes(connect(&url), "items", rows, &done));
        // Another table's writer, every 2 ms too: its waits are the machine's, not the run's row locks.
        let bystander = s.spawn(|| random_writes(connect(&url), "elsewhere", 1000, &done));
        let sampler = s.spawn(|| {
            let mut client = connect(&url);
            let mut lags = Vec::new();
            while !done.load(Ordering::SeqCst) {
                lags.push(u64::try_from(replay_lag(&mut client)).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50));
            }
            lags
        });
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let mut client = connect(&url);
        run_work(&mut client, work, &url, &pauses);
        let took = started.elapsed();
        done.store(true, Ordering::SeqCst);
        let mut waits = writer.join().expect("writer thread");
        let mut elsewhere = bystander.join().expect("bystander thread");
        let mut lags = sampler.join().expect("sampler thread");
        let ended = Instant::now();
        let mut admin = connect(&url);
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
    let mut check = connect(&url);
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

/// `items` (and the bystander's table) filled, vacuumed and checkpointed, and the standby caught up.
fn setup_items(url: &str, rows: u64) {
    connect(url)
        .batch_execute(&format!(
            "CREATE TABLE items (id bigserial PRIMARY KEY, v integer NOT NULL, doubled integer, touched integer NOT NULL DEFAULT 0);
             INSERT INTO items (v) SELECT i FROM generate_series(1, {rows}) i;
             DROP TABLE IF EXISTS elsewhere;
             CREATE TABLE elsewhere (id bigint PRIMARY KEY, touched integer NOT NULL DEFAULT 0);
             INSERT INTO elsewhere (id) SELECT i FROM generate_series(1, 1000) i"
        ))
        .expect("items");
    let mut admin = connect(url);
    // One statement each: VACUUM cannot run in the implicit transaction of a multi-statement query.
    admin.batch_execute("VACUUM ANALYZE items").expect("vacuum");
    wait_for_autovacuum(&mut admin);
    admin.batch_execute("CHECKPOINT").expect("checkpoint");
    while replay_lag(&mut admin) > 0 {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A session of the bench's own (setup, writers, checks) on the primary.
fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect")
}

/// How far behind the primary the standby's replay is, in bytes (the most of any standby).
fn replay_lag(client: &mut postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT COALESCE(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::int8 FROM pg_stat_replication",
            &[],
        )
        .expect("lag")
        .get(0)
}

/// The run's own work on `client`; a backfill's pauses go to `pauses`.
fn run_work(
    client: &mut postgres::Client,
    work: Work,
    url: &str,
    pauses: &std::sync::Mutex<(String, Duration)>,
) {
    match work {
        Work::Backfill(target_batch_time, pause_for_vacuum) => {
            Migrator::new(&BACKFILL)
                .backfill_settings(migrate_core::BackfillSettings {
                    target_batch_time,
                    pause_for_vacuum,
                    ..Default::default()
                })
                .run_up(client, &UpTarget::All, &mut |event| {
                    if let migrate_core::Event::BackfillFinished { pauses: p, .. } = event {
                        let text: Vec<String> = p
                            .iter()
                            .map(|t| {
                                format!("{} {}x {:.1} s", t.kind, t.count, t.total.as_secs_f64())
                            })
                            .collect();
                        let text = if text.is_empty() {
                            "none".to_owned()
                        } else {
                            text.join(", ")
                        };
                        *pauses.lock().expect("pauses") = (text, p.iter().map(|t| t.total).sum());
                    }
                })
                .expect("backfill");
        }
        Work::Jobs(workers) => {
            Migrator::new(&QUEUED)
                .run_up(client, &UpTarget::All, &mut |_| {})
                .expect("queue");
            std::thread::scope(|w| {
                for i in 0..workers {
                    let mut worker = connect(url);
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
}

/// Updates a random row of `table` (ids 1 to `rows`) every 2 ms until `done`; how long each write took.
pub(super) fn random_writes(
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
pub(super) fn wait_for_autovacuum(client: &mut postgres::Client) {
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

pub(super) fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
}

/// `batch_times`: the target batch times to run the backfill with, each against the same floor (the default
/// one when empty).
pub(super) fn bench_replicas(
    sizes: &[u64],
    batch_times: &[Duration],
    vacuum_pauses: &[bool],
    pairs: usize,
) {
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
pub(super) fn bench_jobs(sizes: &[u64], workers: &[u64], pairs: usize) {
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
pub(super) fn vs_floor(floor: Duration, r: &ReplicaRun) -> (f64, f64) {
    (
        floor.as_secs_f64() / r.took.as_secs_f64(),
        floor.as_secs_f64() / r.took.saturating_sub(r.paused).as_secs_f64(),
    )
}

/// The header of the table [`print_replica_row`] fills.
pub(super) fn print_replica_header() {
    println!("| rows | pair | run | took | rows/s | vs one UPDATE | writes | writer p50 | writer p99 | writer p99, another table | standby lag p99 | standby lag max | pauses | vs one UPDATE, net of pauses | standby caught up after | took + catch-up, vs one UPDATE | table size after |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
}

pub(super) fn print_replica_row(
    rows: u64,
    pair: usize,
    label: &str,
    r: &ReplicaRun,
    floor: &ReplicaRun,
) {
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
