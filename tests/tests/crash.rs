//! A runner killed (SIGKILL) at seeded random points of a migration outside a transaction: the committed
//! in-progress mark written before each statement tells the truth afterwards. Either the migration is
//! recorded with all its work, or it is marked with exactly the statements that committed (the one that was
//! running may or may not have), and the next `up` refuses naming it while `status` shows it FAILED; or
//! nothing of it ran and nothing is marked.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::cli::{bin, FixtureCli};
use tests::TestDb;

const STEPS: &str = "20261202000002_steps";

/// xorshift64*: a small deterministic generator, so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

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
fn a_runner_killed_at_random_points_of_a_migration_outside_a_transaction_leaves_a_true_mark() {
    let kills: u64 = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let mut rng = Rng(seed());
    let (mut recorded_whole, mut marked, mut untouched) = (0, 0, 0);
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
        std::thread::sleep(Duration::from_millis(rng.below(330)));
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
        let has_marks: bool = client
            .query_one(
                "SELECT to_regclass('public.pgmigrations_failed') IS NOT NULL",
                &[],
            )
            .expect("lookup")
            .get(0);
        let mark = if has_marks {
            client
                .query_opt(
                    "SELECT committed, statements, error FROM public.pgmigrations_failed WHERE name = $1",
                    &[&STEPS],
                )
                .expect("mark")
        } else {
            None
        };
        let context = format!("kill {kill} (seed {}): rows {rows:?}", seed());
        match (is_recorded, mark) {
            (true, None) => {
                assert_eq!(
                    rows,
                    (1..=6).collect(),
                    "{context}: recorded with all its work"
                );
                recorded_whole += 1;
            }
            (false, Some(mark)) => {
                let committed: i64 = mark.get(0);
                let statements: Vec<String> = mark.get(1);
                let error: String = mark.get(2);
                assert_eq!(committed as usize, statements.len(), "{context}");
                assert!(
                    error.starts_with("interrupted while running #"),
                    "{context}: {error}"
                );
                // The inserts listed as committed are in the log; the only other row can be the running one.
                let listed: BTreeSet<i32> = (1..=6)
                    .filter(|k| {
                        statements.iter().any(|s| {
                            s.starts_with(&format!("#{} (sql): INSERT", insert_position(*k)))
                        })
                    })
                    .collect();
                let running: Option<i32> = (1..=6).find(|k| {
                    error.starts_with(&format!(
                        "interrupted while running #{} (sql): INSERT",
                        insert_position(*k)
                    ))
                });
                assert!(listed.is_subset(&rows), "{context}: listed {listed:?}");
                let extra: BTreeSet<i32> = rows.difference(&listed).copied().collect();
                assert!(
                    extra.is_empty()
                        || (extra.len() == 1 && extra.iter().next().copied() == running),
                    "{context}: listed {listed:?}, running {running:?}, {error}"
                );
                let up = cli.run(&["up"]).expect_code(1);
                assert!(
                    up.stderr.contains(STEPS) && up.stderr.contains("interrupted while running"),
                    "{context}: {}",
                    up.stderr
                );
                for s in &statements {
                    assert!(
                        up.stderr.contains(s.as_str()),
                        "{context}: {s} in {}",
                        up.stderr
                    );
                }
                let status = cli.run(&["status"]).expect_code(5);
                assert!(
                    status.stdout.contains("FAILED") && status.stdout.contains(&error),
                    "{context}: {}",
                    status.stdout
                );
                *committed_counts.entry(committed).or_default() += 1;
                marked += 1;
            }
            (false, None) => {
                assert!(
                    rows.is_empty(),
                    "{context}: nothing recorded or marked, nothing ran"
                );
                untouched += 1;
            }
            (true, Some(_)) => panic!("{context}: recorded and still marked"),
        }
    }
    println!(
        "{kills} kills (seed {}): {recorded_whole} recorded whole, {marked} marked part-way with the true statements \
         (marks by statements committed: {committed_counts:?}), {untouched} untouched; 0 lost or mis-recorded",
        seed()
    );
    assert!(
        marked > 0,
        "no kill landed mid-migration; the test proves nothing"
    );
}
