//! `online`: the backfill of `rename_column_online`'s expand (a sync trigger on the table) against a plain
//! `backfill` of the same column with the same assignment and condition (no trigger) and against one `UPDATE`
//! of every row, on a table of 300,000 rows (`--online-rows N`) that the old and the new version of the app
//! keep writing (`tests::resume`'s writers). Each run gets a fresh copy of the loaded table. The runner's JSON
//! run log (`--log-format json`) gives the backfill's rate, its batch sizes, and the progress estimate: at
//! each `backfill_batch` record once 20% of the rows are done, the rows left over the record's
//! `rows_per_second` (or the record's own `remaining_ms`, the engine's estimate, when it carries one), next to the time really left until
//! `backfill_finished`. Targets: the rename's backfill at least 0.5x the plain one's rate; the estimate
//! within 30% once 20% is done. A writer stalls once per `UPDATE` (on the first row it locked), so its worst
//! write shows what the `UPDATE` costs it, where its p99 may not.
//!
//! Backfills run with `pause_for_vacuum = false`, so that an autovacuum the server happens to start does not
//! weigh on one side only (the `replicas` section measures that pause). The fixture runner is built first,
//! with this binary's profile.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tests::resume::{load_items, WriterReport, Writers, OLD_APP, OLD_APP_THEN_BODY_AND_CONTENTS};
use tests::TestDb;

/// What each run does.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Work {
    Update,
    PlainBackfill,
    RenameBackfill,
}

impl Work {
    fn label(self) -> &'static str {
        match self {
            Work::Update => "one UPDATE (no trigger)",
            Work::PlainBackfill => "`backfill` (add_columns + backfill, no trigger)",
            Work::RenameBackfill => "`rename_column_online` expand (trigger)",
        }
    }
}

/// One `backfill_batch` record.
#[derive(Debug, Clone, Copy)]
struct Batch {
    /// Seconds since midnight UTC, from the record's `time`.
    at: f64,
    rows_done: u64,
    rows_total: u64,
    rows_per_second: f64,
    /// The record's own estimate of the time left, in seconds, when it has one (`remaining_ms`).
    eta: Option<f64>,
}

struct Run {
    work: Work,
    rows: u64,
    /// The backfill's own time (`backfill_finished`), or the `UPDATE`'s.
    took: Duration,
    batches: Vec<Batch>,
    finished_at: Option<f64>,
    writers: Vec<WriterReport>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.took.as_secs_f64().max(1e-9)
    }

    /// Batch sizes: count, smallest, median, largest.
    fn batch_sizes(&self) -> String {
        let mut sizes: Vec<u64> = self
            .batches
            .windows(2)
            .map(|w| w[1].rows_done.saturating_sub(w[0].rows_done))
            .collect();
        if let Some(first) = self.batches.first() {
            sizes.insert(0, first.rows_done);
        }
        if sizes.is_empty() {
            return "-".to_owned();
        }
        sizes.sort_unstable();
        format!(
            "{} batches: {} / {} / {}",
            sizes.len(),
            sizes[0],
            sizes[sizes.len() / 2],
            sizes[sizes.len() - 1]
        )
    }

    /// The estimate's error at each record once `from` of the rows are done and until `until`.
    fn estimate_error(&self, from: f64, until: f64) -> Option<Accuracy> {
        let end = self.finished_at?;
        let mut errors: Vec<(f64, f64, f64, f64)> = self
            .batches
            .iter()
            .filter_map(|b| {
                let done = b.rows_done as f64 / b.rows_total.max(1) as f64;
                let real = end - b.at;
                let estimate = b.eta.unwrap_or_else(|| {
                    b.rows_total.saturating_sub(b.rows_done) as f64 / b.rows_per_second.max(1e-9)
                });
                let counted = done >= from && done <= until && b.rows_done < b.rows_total;
                (counted && real > 0.0)
                    .then(|| (100.0 * (estimate - real).abs() / real, done, estimate, real))
            })
            .collect();
        if errors.is_empty() {
            return None;
        }
        errors.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (worst, done, estimate, real) = errors[errors.len() - 1];
        Some(Accuracy {
            worst,
            median: errors[errors.len() / 2].0,
            records: errors.len(),
            worst_at: (done, estimate, real),
        })
    }
}

/// The progress estimate against the time really left.
struct Accuracy {
    /// In % of the time really left.
    worst: f64,
    median: f64,
    records: usize,
    /// Where the worst one was: the share done, the estimate and the time really left (s).
    worst_at: (f64, f64, f64),
}

impl Accuracy {
    fn text(&self) -> String {
        let (done, estimate, real) = self.worst_at;
        format!(
            "{:.0}% at {:.0}% done ({:.2} s for {:.2} s); median {:.0}%, {} records",
            self.worst,
            done * 100.0,
            estimate,
            real,
            self.median,
            self.records
        )
    }
}

/// `HH:MM:SS.mmm` of an RFC 3339 time as seconds since midnight.
fn seconds_of_day(time: &str) -> Option<f64> {
    let clock = time.split('T').nth(1)?.trim_end_matches('Z');
    let mut parts = clock.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// The fixture runner next to this binary, built (or brought up to date) with this binary's profile first:
/// `cargo run --bin bench` builds only the bench. With `--dev`, the one the test command built, when it is there.
fn fixture_runner() -> PathBuf {
    if let Some(runner) = super::scale::built_beside("fixture-runner") {
        return runner;
    }
    let exe = std::env::current_exe().expect("the bench has a path");
    let dir = exe.parent().expect("a folder");
    let release = dir.file_name().is_some_and(|n| n == "release");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["build", "--quiet", "-p", "tests", "--bin", "fixture-runner"])
        .args(release.then_some("--release"))
        .arg("--manifest-path")
        .arg(tests::cli::workspace_root().join("Cargo.toml"))
        .status()
        .expect("cargo");
    assert!(status.success(), "building the fixture runner failed");
    dir.join(format!("fixture-runner{}", std::env::consts::EXE_SUFFIX))
}

/// Runs `fixture`'s `up` with the JSON run log; the log's backfill records.
fn run_fixture(
    runner: &Path,
    fixture: &str,
    db: &TestDb,
) -> (Vec<Batch>, Option<(f64, u64, Duration)>) {
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join("migrate.toml"),
        "[backfill]\npause_for_vacuum = false\n",
    )
    .expect("migrate.toml");
    let mut cmd = Command::new(runner);
    for var in tests::cli::MACHINE_SETTINGS {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("FIXTURE", fixture)
        .env("MIGRATIONS_DIR", tests::fixtures::dir(fixture))
        .env("DATABASE_URL", db.url())
        .current_dir(cwd.path())
        .args(["up", "--log-format", "json"])
        .stdin(Stdio::null())
        .output()
        .expect("the runner runs");
    assert!(
        out.status.success(),
        "{fixture}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut batches = Vec::new();
    let mut finished = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let at = record["time"].as_str().and_then(seconds_of_day);
        match (record["event"].as_str(), at) {
            (Some("backfill_batch"), Some(at)) => batches.push(Batch {
                at,
                rows_done: record["rows_done"].as_u64().unwrap_or(0),
                rows_total: record["rows_total"].as_u64().unwrap_or(0),
                rows_per_second: record["rows_per_second"].as_f64().unwrap_or(0.0),
                eta: record["remaining_ms"].as_f64().map(|ms| ms / 1000.0),
            }),
            // A walk that found rows written behind it is followed by a catch-up walk, with a record of its
            // own: the backfill is all of them, and its time left runs to the last one.
            (Some("backfill_finished"), Some(at)) => {
                let ms = record["duration_ms"].as_f64().unwrap_or(0.0);
                let rows = record["rows"].as_u64().unwrap_or(0);
                let (before, took) = finished.map_or((0, Duration::ZERO), |(_, r, t)| (r, t));
                finished = Some((
                    at,
                    before + rows,
                    took + Duration::from_secs_f64(ms / 1000.0),
                ));
            }
            _ => {}
        }
    }
    // Past midnight between two records: count on from the day before.
    let mut last = f64::MIN;
    for b in &mut batches {
        if b.at + 43_200.0 < last {
            b.at += 86_400.0;
        }
        last = b.at;
    }
    if let Some((at, _, _)) = &mut finished {
        if *at + 43_200.0 < last {
            *at += 86_400.0;
        }
    }
    (batches, finished)
}

fn run(runner: &Path, template: &TestDb, rows: u64, work: Work) -> Run {
    let db = TestDb::copy_of(template);
    if work == Work::Update {
        db.exec("ALTER TABLE items ADD COLUMN body text COLLATE \"C\"");
    }
    // The plain backfill has no trigger to fill what the old app inserts, so the old app is rolled out
    // once `body` exists; the UPDATE adds `body` before the writers start, so there it stays the old app.
    let old_app = if work == Work::PlainBackfill {
        OLD_APP_THEN_BODY_AND_CONTENTS
    } else {
        OLD_APP
    };
    let writers = Writers::start(
        db.url(),
        None,
        &[old_app, tests::resume::NEW_APP_BODY_AND_CONTENTS],
        rows as i64,
        fastrand::u64(..),
    );
    // Let the writers get going.
    std::thread::sleep(Duration::from_millis(300));
    let (took, rows_done, batches, finished_at) = match work {
        Work::Update => {
            let started = Instant::now();
            db.exec("UPDATE items SET body = contents");
            (started.elapsed(), rows, Vec::new(), None)
        }
        Work::PlainBackfill | Work::RenameBackfill => {
            let fixture = if work == Work::PlainBackfill {
                "resume_bench_plain"
            } else {
                "resume_rename"
            };
            let (batches, finished) = run_fixture(runner, fixture, &db);
            let (at, rows_done, took) = finished.expect("a backfill_finished record");
            (took, rows_done, batches, Some(at))
        }
    };
    let writers = writers.finish();
    // Every row the run was to fill is filled (without a trigger, the writers change `contents` afterwards).
    let wrong = db.query_strings(&format!(
        "SELECT count(*) FROM items WHERE id <= {rows} AND body IS NULL"
    ));
    assert_eq!(
        wrong[0][0].as_deref(),
        Some("0"),
        "{}: rows left unfilled",
        work.label()
    );
    Run {
        work,
        rows: rows_done,
        took,
        batches,
        finished_at,
        writers,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

pub fn bench_online(rows: u64, pairs: usize) {
    println!(
        "\n## online: the rename's backfill (trigger) against a plain backfill and one UPDATE, {rows} rows, \
         old and new app writing\n"
    );
    // Built before any writer starts: a build would weigh on the first run.
    let runner = fixture_runner();
    let template = TestDb::new();
    load_items(&mut template.client(), rows as i64);
    let order = [Work::Update, Work::PlainBackfill, Work::RenameBackfill];
    let mut runs = Vec::new();
    println!("| run | rows | took | rows/s | batch sizes (count: min / median / max) | estimate error once 20% done: worst (where), median | the same until 90% done | writer p99 old / new | writer worst old / new | writes old / new | failed writes |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for pair in 0..pairs {
        let mut works = order.to_vec();
        // The floor first in even pairs, last in odd ones.
        if pair % 2 == 1 {
            works.reverse();
        }
        for work in works {
            let r = run(&runner, &template, rows, work);
            let error = |until: f64| {
                r.estimate_error(0.2, until)
                    .map_or("-".to_owned(), |a| a.text())
            };
            println!(
                "| {} | {} | {} | {:.0} | {} | {} | {} | {} / {} | {} / {} | {} / {} | {} |",
                r.work.label(),
                r.rows,
                ms(r.took),
                r.rate(),
                r.batch_sizes(),
                error(1.0),
                error(0.9),
                ms(r.writers[0].p99()),
                ms(r.writers[1].p99()),
                ms(r.writers[0].worst()),
                ms(r.writers[1].worst()),
                r.writers[0].writes,
                r.writers[1].writes,
                r.writers.iter().map(|w| w.errors.len()).sum::<usize>()
            );
            runs.push(r);
        }
    }
    let rate = |work: Work| {
        median(
            runs.iter()
                .filter(|r| r.work == work)
                .map(Run::rate)
                .collect(),
        )
    };
    let worst_estimate = |until: f64| {
        runs.iter()
            .filter_map(|r| r.estimate_error(0.2, until).map(|e| e.worst))
            .fold(0.0, f64::max)
    };
    let (update, plain, rename) = (
        rate(Work::Update),
        rate(Work::PlainBackfill),
        rate(Work::RenameBackfill),
    );
    println!(
        "\nrename backfill {:.2}x the plain backfill's rate (target >= 0.5x), {:.2}x one UPDATE's; plain backfill {:.2}x one UPDATE's \
         (medians of {pairs}); worst estimate error once 20% done {:.0}%, until 90% done {:.0}% (target <= 30%)",
        rename / plain.max(1e-9),
        rename / update.max(1e-9),
        plain / update.max(1e-9),
        worst_estimate(1.0),
        worst_estimate(0.9),
    );
}
