//! A runner killed (SIGKILL) at seeded random points of a migration outside a transaction: the journal, whose
//! entry commits together with each statement, tells the truth afterwards. Either the migration is recorded
//! with all its work, or the journal names exactly the statements that took effect (no more, no fewer), `status`
//! shows it in progress, and the next plain `up` finishes it without running any of them again; or nothing of it
//! ran.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::cli::{bin, FixtureCli};
use tests::TestDb;

const STEPS: &str = "20261202000002_steps";

/// `CRASH_SEED` to replay another, else a fixed one.
fn seed() -> u64 {
    std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(20_261_202)
}

/// The operation position of `INSERT ... VALUES (k)`: the inserts are operations 1, 3, 5, ...
fn insert_position(k: i32) -> i32 {
    2 * k - 1
}

#[test]
fn a_runner_killed_at_random_points_of_a_migration_outside_a_transaction_is_finished_by_the_next_up(
) {
    let kills: u64 = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    // Seeded, so a failing seed can be replayed.
    let mut rng = fastrand::Rng::with_seed(seed());
    let (mut recorded_whole, mut continued, mut untouched) = (0, 0, 0);
    let mut committed_counts = std::collections::BTreeMap::<i64, u32>::new();
    for kill in 0..kills {
        let db = TestDb::new();
        let cli = FixtureCli::new("crash_no_tx", &db);
        cli.run(&["up", "1"]).expect_code(0);
        let mut child = Command::new(bin("fixture-runner"))
            .env("FIXTURE", "crash_no_tx")
            .env("MIGRATIONS_DIR", tests::fixtures::dir("crash_no_tx"))
            .env("DATABASE_URL", db.url())
            .env_remove("MIGRATE_DIRECT_URL")
            .current_dir(std::env::temp_dir())
            .arg("up")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the runner starts");
        // Wait until the runner holds the migration lock (it is about to start), then kill at a random point
        // of the next ~300 ms, which the migration spans.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut client = db.client();
        loop {
            let locked: bool = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
                     AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
                    &[],
                )
                .expect("lookup")
                .get(0);
            if locked || child.try_wait().expect("try_wait").is_some() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "kill {kill}: the run never started"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(rng.u64(..330)));
        let _ = child.kill();
        let _ = child.wait();
        db.wait_for_runner_sessions_to_end();

        let rows: BTreeSet<i32> = client
            .query("SELECT k FROM crash_log", &[])
            .expect("log")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let is_recorded: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM public.pgmigrations WHERE name = $1)",
                &[&STEPS],
            )
            .expect("recorded")
            .get(0);
        let has_journal: bool = client
            .query_one(
                "SELECT to_regclass('public.pgmigrations_journal') IS NOT NULL",
                &[],
            )
            .expect("lookup")
            .get(0);
        let journal: Option<Vec<String>> = if has_journal {
            client
                .query_opt(
                    "SELECT done FROM public.pgmigrations_journal WHERE name = $1",
                    &[&STEPS],
                )
                .expect("journal")
                .map(|row| row.get(0))
        } else {
            None
        };
        let context = format!("kill {kill} (seed {}): rows {rows:?}", seed());
        match (is_recorded, journal) {
            (true, None) => {
                assert_eq!(
                    rows,
                    (1..=6).collect(),
                    "{context}: recorded with all its work"
                );
                recorded_whole += 1;
            }
            (false, Some(done)) => {
                // Each insert committed together with its entry: the rows are exactly the inserts listed.
                let listed: BTreeSet<i32> = (1..=6)
                    .filter(|k| {
                        done.iter().any(|d| {
                            d.contains(&format!(" #{} (sql): INSERT", insert_position(*k)))
                        })
                    })
                    .collect();
                assert_eq!(listed, rows, "{context}: the journal lists {done:?}");
                let status = cli.run(&["status"]).expect_code(0);
                assert!(
                    status.stdout.contains(&format!(
                        "IN PROGRESS: {STEPS} was stopped part-way during `up`: {} statement(s) took effect",
                        done.len()
                    )),
                    "{context}: {}",
                    status.stdout
                );
                let up = cli.run(&["up"]).expect_code(0);
                assert!(
                    up.stdout
                        .contains(&format!("continuing up of {STEPS}: {} of its", done.len())),
                    "{context}: {}",
                    up.stdout
                );
                let count: i64 = client
                    .query_one("SELECT count(*) FROM crash_log", &[])
                    .expect("count")
                    .get(0);
                assert_eq!(count, 6, "{context}: every insert once, none repeated");
                *committed_counts.entry(done.len() as i64).or_default() += 1;
                continued += 1;
            }
            (false, None) => {
                assert!(rows.is_empty(), "{context}: nothing recorded, nothing ran");
                untouched += 1;
            }
            (true, Some(_)) => panic!("{context}: recorded and still in progress"),
        }
    }
    println!(
        "{kills} kills (seed {}): {recorded_whole} recorded whole, {continued} stopped part-way and finished by the \
         next up (by statements done: {committed_counts:?}), {untouched} untouched; 0 lost, repeated or mis-recorded",
        seed()
    );
    assert!(
        continued > 0,
        "no kill landed mid-migration; the test proves nothing"
    );
}
