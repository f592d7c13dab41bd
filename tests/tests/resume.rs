//! Interrupted is resumable: every builder operation that runs outside a transaction, on a table of 300,000
//! rows that an old and a new version of the app keep writing, is interrupted at random moments (SIGINT,
//! SIGTERM, SIGKILL, `--max-duration`, its sessions ended by the server, a server restart, a backfill pause
//! longer than `max_pause`), and then plain `up` runs until it succeeds, with no other command. Where the
//! change has no work of its own that lasts (`set_not_null`: a few statements, each short), the old app's
//! report also holds the table for a second at a time, so that its `ACCESS EXCLUSIVE` statements wait and
//! retry as on a busy table, and the interruptions land in those waits and between its steps. Where a change
//! backfills a new column, the rollout replaces the old app by the version that fills it as soon as it
//! exists: such a backfill only holds once every writer fills the column. Afterwards the
//! schema equals the one an uninterrupted run of the same migration gives (its catalog description,
//! bookkeeping tables left out), every row the change covers is as it promises (backfilled, indexed,
//! checked), every index passes `amcheck` with all heap rows, `status` reports no problem, and the writers saw
//! no error of a kind the uninterrupted run did not give them (a session a restart ended aside). A migration
//! recorded after an interruption must be whole. A second copy is interrupted once and then reverted with
//! plain `down`, which must give back the schema from before. The same, through `fleet up --schemas`, over 50
//! tenant schemas that each get all six migrations. Each proof runs on a throwaway cluster of its own, which
//! it restarts.
//!
//! Nothing here knows how the engine resumes: it only runs the commands a deploy runs and reads the catalog.
//! The moments are random, the checks are not. Each run prints its seed and a table (`--nocapture`), which
//! also names the interruptions that reached a run still going after which it finished all the same.
//!
//! - `RESUME_SEED=N` replays a seed;
//! - `RESUME_INTERRUPTS=N` interrupts each operation N times (default: once in each way that applies to it);
//! - `RESUME_ONLY=text` proves only the operations whose name contains `text` (`fleet` for the fleet);
//! - `RESUME_ROWS=N` shrinks the table, and `RESUME_VERBOSE=1` prints every run (and the resumes that
//!   failed), while working on the harness.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tests::cluster::{Server, Shutdown};
use tests::interrupt::{
    monitor, wait_for_runner_sessions_to_end, Anchor, Attempt, Kind, Outcome, Runner,
};
use tests::resume::{
    load_items, rows_from_env, ReportSpec, Reports, WriterReport, WriterSpec, Writers,
    NEW_APP_BODY, NEW_APP_DOUBLED, NEW_APP_FLEET, NEW_APP_LABEL, NEW_APP_TRIPLED, NEW_APP_V,
    OLD_APP, OLD_APP_FLEET, OLD_APP_REPORT, OLD_APP_THEN_DOUBLED, OLD_APP_THEN_TRIPLED,
};
use tests::TestDb;

/// One migration of builder operations that runs outside a transaction, and what it promises.
struct Op {
    name: &'static str,
    fixture: &'static str,
    /// The version of the app running before the change, and the one that writes what it is about.
    old_app: WriterSpec,
    new_app: WriterSpec,
    backfill: bool,
    /// The old app's report, where the change has no work of its own that lasts long enough for every kind
    /// of interruption to land inside it: its `ACCESS EXCLUSIVE` statements then wait and retry, as on a busy
    /// table.
    report: Option<ReportSpec>,
    /// Rows that break the promise and rows checked, as one row of two counts; `rows` is the number loaded.
    wrong_rows: fn(i64) -> String,
}

const OPS: [Op; 6] = [
    Op {
        name: "rename_column_online",
        fixture: "resume_rename",
        old_app: OLD_APP,
        new_app: NEW_APP_BODY,
        backfill: true,
        report: None,
        wrong_rows: |_| {
            "SELECT count(*) FILTER (WHERE body IS DISTINCT FROM contents), count(*) FROM items"
                .into()
        },
    },
    Op {
        name: "add_columns + backfill",
        fixture: "resume_add_backfill",
        old_app: OLD_APP_THEN_DOUBLED,
        new_app: NEW_APP_DOUBLED,
        backfill: true,
        report: None,
        // Every row: the rows written since are filled by the writers.
        wrong_rows: |_| {
            "SELECT count(*) FILTER (WHERE doubled IS DISTINCT FROM v * 2), count(*) FROM items"
                .into()
        },
    },
    Op {
        name: "create_index concurrently (2)",
        fixture: "resume_index",
        old_app: OLD_APP,
        new_app: NEW_APP_V,
        backfill: false,
        report: None,
        // What the indexes hold is amcheck's to check.
        wrong_rows: |_| "SELECT count(*) FILTER (WHERE v IS NULL), count(*) FROM items".into(),
    },
    Op {
        name: "add_constraint_online (check, unique)",
        fixture: "resume_constraint",
        old_app: OLD_APP,
        new_app: NEW_APP_V,
        backfill: false,
        report: None,
        wrong_rows: |_| "SELECT count(*) FILTER (WHERE v < 0), count(*) FROM items".into(),
    },
    Op {
        name: "set_not_null",
        fixture: "resume_not_null",
        old_app: OLD_APP,
        new_app: NEW_APP_LABEL,
        backfill: false,
        report: Some(OLD_APP_REPORT),
        wrong_rows: |_| "SELECT count(*) FILTER (WHERE label IS NULL), count(*) FROM items".into(),
    },
    Op {
        name: "no_transaction: sql DDL + backfill",
        fixture: "resume_raw_sql",
        old_app: OLD_APP_THEN_TRIPLED,
        new_app: NEW_APP_TRIPLED,
        backfill: true,
        report: None,
        // Every row: the rows written since are filled by the writers.
        wrong_rows: |_| {
            "SELECT count(*) FILTER (WHERE tripled IS DISTINCT FROM v * 3), count(*) FROM items"
                .into()
        },
    },
];

/// Plain `up` runs after the last interruption before the proof gives up.
const MAX_RESUMES: usize = 3;

/// Rounds of interruptions on fresh copies when a round's migration finished before every kind landed.
const MAX_ROUNDS: usize = 5;

/// The throwaway cluster a proof runs on, so that it can be restarted: fast and immediate shutdowns in turn.
/// It remembers when, so that the writers' sessions lost to a restart do not count against the migration.
struct Cluster {
    server: Server,
    restarts: Mutex<Vec<(Instant, Instant)>>,
}

impl Cluster {
    fn start() -> Cluster {
        Cluster {
            server: tests::cluster::start(),
            restarts: Mutex::new(Vec::new()),
        }
    }

    fn restart(&self) {
        let started = Instant::now();
        let count = self.restarts.lock().expect("restarts").len();
        let mode = if count.is_multiple_of(2) {
            Shutdown::Immediate
        } else {
            Shutdown::Fast
        };
        self.server.restart(mode);
        self.restarts
            .lock()
            .expect("restarts")
            .push((started, Instant::now()));
    }

    /// During a restart, or in the second after it (the writers connect again every 50 ms).
    fn during_a_restart(&self, at: Instant) -> bool {
        let restarts = self.restarts.lock().expect("restarts");
        restarts
            .iter()
            .any(|(from, to)| at >= *from && at <= *to + Duration::from_secs(1))
    }
}

/// The writers' errors, but for a session a restart ended (and its reconnection), as classes.
fn errors_not_from_restarts(
    cluster: &Cluster,
    writers: &[WriterReport],
) -> (BTreeSet<String>, usize) {
    let counted: Vec<_> = writers
        .iter()
        .flat_map(|w| &w.errors)
        .filter(|e| !cluster.during_a_restart(e.at))
        .collect();
    (counted.iter().map(|e| e.class()).collect(), counted.len())
}

fn seed() -> u64 {
    std::env::var("RESUME_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

fn interrupts_from_env() -> Option<usize> {
    std::env::var("RESUME_INTERRUPTS")
        .ok()
        .and_then(|n| n.trim().parse().ok())
}

fn selected(name: &str) -> bool {
    std::env::var("RESUME_ONLY").map_or(true, |only| name.contains(only.trim()))
}

/// The interruptions of a round: each kind once in a random order, then random kinds up to `n`.
fn plan(kinds: &[Kind], n: usize, rng: &mut fastrand::Rng) -> Vec<Kind> {
    let mut plan = kinds.to_vec();
    rng.shuffle(&mut plan);
    while plan.len() < n {
        plan.push(kinds[rng.usize(..kinds.len())]);
    }
    plan
}

/// The catalog description of the database, without the engine's bookkeeping tables (`pgmigrations*` in
/// any schema), whatever they are.
fn schema_without_bookkeeping(db: &TestDb) -> String {
    let tables: Vec<String> = db
        .query_strings(
            "SELECT schemaname || '.' || tablename FROM pg_catalog.pg_tables WHERE tablename LIKE 'pgmigrations%'",
        )
        .into_iter()
        .filter_map(|mut row| row.remove(0))
        .collect();
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    db.schema_dump_excluding(&tables)
}

/// A short line diff, for a report.
fn diff(expected: &str, actual: &str) -> String {
    let text = similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(1)
        .header("uninterrupted", "interrupted")
        .to_string();
    text.lines().take(40).collect::<Vec<_>>().join("\n")
}

/// What the checks found in one schema (`None`: the session's default): problems, and rows checked.
fn check_rows(db: &TestDb, schema: Option<&str>, ops: &[&Op], rows: i64) -> (Vec<String>, i64) {
    let mut client = db.client();
    if let Some(schema) = schema {
        client
            .batch_execute(&format!("SET search_path = {schema}"))
            .expect("search_path");
    }
    let at = schema.map_or(String::new(), |s| format!("{s}: "));
    let mut problems = Vec::new();
    let mut checked = 0;
    for op in ops {
        let row = client
            .query_one(&(op.wrong_rows)(rows), &[])
            .expect("wrong rows");
        let (wrong, of): (i64, i64) = (row.get(0), row.get(1));
        checked += of;
        if wrong != 0 {
            problems.push(format!("{at}{wrong} of {of} rows wrong after {}", op.name));
        }
    }
    let loaded: i64 = client
        .query_one("SELECT count(*) FROM items WHERE id <= $1", &[&rows])
        .expect("rows")
        .get(0);
    if loaded != rows {
        problems.push(format!("{at}{loaded} of the {rows} loaded rows are left"));
    }
    let invalid: Vec<String> = client
        .query(
            "SELECT indexrelid::regclass::text FROM pg_catalog.pg_index \
             WHERE indrelid = 'items'::regclass AND NOT (indisvalid AND indisready)",
            &[],
        )
        .expect("indexes")
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !invalid.is_empty() {
        problems.push(format!("{at}invalid indexes left: {invalid:?}"));
    }
    // Every heap row is in every valid B-tree index of the table, and the indexes are well formed.
    let indexes: Vec<String> = client
        .query(
            "SELECT indexrelid::regclass::text FROM pg_catalog.pg_index \
             WHERE indrelid = 'items'::regclass AND indisvalid",
            &[],
        )
        .expect("indexes")
        .iter()
        .map(|r| r.get(0))
        .collect();
    for index in indexes {
        if let Err(e) = client.execute(
            "SELECT public.bt_index_check($1::text::regclass, true)",
            &[&index],
        ) {
            problems.push(format!("{at}amcheck of {index}: {e}"));
        }
    }
    (problems, checked)
}

/// An uninterrupted run of a migration with both writers: what the interrupted runs are compared with.
struct Baseline {
    schema: String,
    errors: BTreeSet<String>,
    writers: Vec<WriterReport>,
    /// From the start of the process to the anchor.
    anchor_latency: Duration,
    /// From the anchor to the end.
    work: Duration,
}

/// Where one proof runs: the fixture, the command, the writers, and the template copied for each run.
struct Setup<'a> {
    cluster: &'a Cluster,
    template: &'a TestDb,
    fixture: &'a str,
    args: &'a [&'a str],
    /// The writers' schema (a fleet's tenant), else the database's default.
    schema: Option<&'a str>,
    writers: [WriterSpec; 2],
    /// The old app's report, running beside the writers.
    report: Option<ReportSpec>,
    rows: i64,
    /// What the moments are counted from.
    anchor: Anchor,
}

/// The writers, and the report where the setup has one, started before a runner and finished after it.
struct Load {
    writers: Writers,
    report: Option<Reports>,
}

impl Load {
    /// The report first: it holds the table when the writers and then the runner start.
    fn start(setup: &Setup<'_>, url: &str, seed: u64) -> Load {
        let report = setup
            .report
            .map(|spec| Reports::start(url, setup.schema, spec));
        let writers = Writers::start(url, setup.schema, &setup.writers, setup.rows, seed);
        Load { writers, report }
    }

    /// What the old app, the new app and the report (when there is one) saw, in that order.
    fn finish(self) -> Vec<WriterReport> {
        let mut seen = self.writers.finish();
        seen.extend(self.report.map(Reports::finish));
        seen
    }
}

fn baseline(setup: &Setup<'_>, seed: u64) -> Baseline {
    let db = TestDb::copy_of(setup.template);
    let cwd = tempfile::tempdir().expect("temp dir");
    Runner::write_config(cwd.path());
    let runner = Runner {
        fixture: setup.fixture,
        url: db.url(),
        cwd: cwd.path(),
        args: setup.args,
        restart: None,
        anchor: setup.anchor,
    };
    let load = Load::start(setup, db.url(), seed);
    let (ended, anchor_latency) = runner.run_measured("uninterrupted");
    let writers = load.finish();
    assert!(
        ended.succeeded(),
        "{}: the uninterrupted run failed (exit {:?}):\n{}{}",
        setup.fixture,
        ended.code,
        ended.stdout,
        ended.stderr
    );
    Baseline {
        schema: schema_without_bookkeeping(&db),
        errors: errors_not_from_restarts(setup.cluster, &writers).0,
        writers,
        anchor_latency,
        work: ended.elapsed.saturating_sub(anchor_latency),
    }
}

/// A round: a fresh copy written by both writers, interrupted at each of `kinds` in turn, a random part of
/// `window` after the anchor, then plain `up` until it succeeds.
struct Round {
    attempts: Vec<Attempt>,
    /// Plain runs until one succeeded.
    resumes: Option<usize>,
    problems: Vec<String>,
    checked: i64,
    writers: Vec<WriterReport>,
}

fn round(
    setup: &Setup<'_>,
    base: &Baseline,
    kinds: &[Kind],
    window: Duration,
    rng: &mut fastrand::Rng,
    check: &dyn Fn(&TestDb) -> (Vec<String>, i64),
) -> Round {
    let db = TestDb::copy_of(setup.template);
    let cwd = tempfile::tempdir().expect("temp dir");
    Runner::write_config(cwd.path());
    let restart = || setup.cluster.restart();
    let runner = Runner {
        fixture: setup.fixture,
        url: db.url(),
        cwd: cwd.path(),
        args: setup.args,
        restart: Some(&restart),
        anchor: setup.anchor,
    };
    let load = Load::start(setup, db.url(), rng.u64(..));
    let recorded_whole = |db: &TestDb| recorded_only_when_whole(db, base, check);
    let (attempts, mut problems) =
        interrupt_in_turn(&runner, &db, base, kinds, window, rng, &recorded_whole);
    let mut resumes = None;
    for run in 1..=MAX_RESUMES {
        let ended = runner.run(setup.args, &format!("resume-{run}"));
        if std::env::var_os("RESUME_VERBOSE").is_some() && !ended.succeeded() {
            println!(
                "{}: resume {run}: exit {:?}: {}",
                runner.fixture,
                ended.code,
                ended.error_line()
            );
        }
        if ended.succeeded() {
            resumes = Some(run);
            break;
        }
        if run == MAX_RESUMES {
            problems.push(format!(
                "plain `{}` did not succeed in {MAX_RESUMES} runs: {}",
                setup.args[..2.min(setup.args.len())].join(" "),
                ended.error_line()
            ));
        }
    }
    let writers = load.finish();
    let mut checked = 0;
    if resumes.is_some() {
        let (found, rows) = check_resumed(&runner, &db, base, check);
        problems.extend(found);
        checked = rows;
    }
    let new_errors: Vec<String> = errors_not_from_restarts(setup.cluster, &writers)
        .0
        .difference(&base.errors)
        .take(5)
        .cloned()
        .collect();
    if !new_errors.is_empty() {
        problems.push(format!(
            "the writers saw errors the uninterrupted run did not give: {}",
            new_errors.join("; ")
        ));
    }
    wait_for_runner_sessions_to_end(&mut monitor(db.url()));
    Round {
        attempts,
        resumes,
        problems,
        checked,
        writers,
    }
}

/// Runs and interrupts the migration once per kind, in turn, until a run is not interrupted (it finished,
/// or it failed on its own, which is a problem).
fn interrupt_in_turn(
    runner: &Runner<'_>,
    db: &TestDb,
    base: &Baseline,
    kinds: &[Kind],
    window: Duration,
    rng: &mut fastrand::Rng,
    recorded_whole: &dyn Fn(&TestDb) -> Option<String>,
) -> (Vec<Attempt>, Vec<String>) {
    let mut attempts = Vec::new();
    let mut problems = Vec::new();
    // A budget counts from the process's start: from when the anchor came in the last run, which a warm
    // server reaches sooner than the uninterrupted run did.
    let mut anchor_latency = base.anchor_latency;
    for (i, kind) in kinds.iter().enumerate() {
        let delay = window.mul_f64(rng.f64());
        let attempt = runner.interrupt(*kind, delay, anchor_latency, &format!("run-{i}"));
        anchor_latency = attempt.anchor_at.unwrap_or(anchor_latency);
        let label = format!(
            "run {} ({} after {} ms)",
            i + 1,
            kind.label(),
            delay.as_millis()
        );
        if std::env::var_os("RESUME_VERBOSE").is_some() {
            println!(
                "{}: {label}: {:?}, exit {:?} after {} ms: {}",
                runner.fixture,
                attempt.outcome,
                attempt.ended.code,
                attempt.ended.elapsed.as_millis(),
                attempt.ended.error_line()
            );
            if attempt.outcome != Outcome::Interrupted {
                println!("{}", attempt.ended.stderr);
            }
        }
        if attempt.ended.hung {
            problems.push(format!("{label}: did not stop within 2 minutes"));
        }
        if attempt.outcome == Outcome::Failed {
            problems.push(format!(
                "{label} failed on its own: {}",
                attempt.ended.error_line()
            ));
        }
        if attempt.outcome == Outcome::Interrupted {
            if let Some(problem) = recorded_whole(db) {
                problems.push(format!("after {label}: {problem}"));
            }
        }
        let go_on = attempt.outcome == Outcome::Interrupted;
        attempts.push(attempt);
        if !go_on {
            break;
        }
    }
    (attempts, problems)
}

/// A migration recorded as applied has every step done: once the database's migrations table (the default,
/// `public.pgmigrations`, for a single database) records anything, the schema is the uninterrupted run's and
/// the rows are as promised. `None` when that holds or nothing is recorded.
fn recorded_only_when_whole(
    db: &TestDb,
    base: &Baseline,
    check: &dyn Fn(&TestDb) -> (Vec<String>, i64),
) -> Option<String> {
    // Two queries: a query naming a table that does not exist fails before it runs.
    let table = db.query_strings("SELECT to_regclass('public.pgmigrations') IS NOT NULL");
    if table[0][0].as_deref() != Some("t")
        || db
            .query_strings("SELECT 1 FROM public.pgmigrations LIMIT 1")
            .is_empty()
    {
        return None;
    }
    let schema = schema_without_bookkeeping(db);
    if schema != base.schema {
        return Some(format!(
            "recorded as applied, but the schema is not the uninterrupted run's:\n{}",
            diff(&base.schema, &schema)
        ));
    }
    let (problems, _) = check(db);
    (!problems.is_empty()).then(|| format!("recorded as applied, but {}", problems.join("; ")))
}

/// After a successful resume: `status` has no problem to report, the schema is the uninterrupted run's, and
/// the rows are as the changes promise. Problems, and rows checked.
fn check_resumed(
    runner: &Runner<'_>,
    db: &TestDb,
    base: &Baseline,
    check: &dyn Fn(&TestDb) -> (Vec<String>, i64),
) -> (Vec<String>, i64) {
    let mut problems = Vec::new();
    let status_args: Vec<&str> = match runner.args {
        ["fleet", "up", rest @ ..] => ["fleet", "status"]
            .into_iter()
            .chain(rest.iter().copied())
            .collect(),
        _ => vec!["status"],
    };
    let status = runner.run(&status_args, "status");
    if !status.succeeded() {
        let said: Vec<&str> = status
            .stdout
            .lines()
            .chain(status.stderr.lines())
            .take(6)
            .collect();
        problems.push(format!(
            "`status` exits {:?} after the resume: {}",
            status.code,
            said.join(" / ")
        ));
    }
    let schema = schema_without_bookkeeping(db);
    if schema != base.schema {
        problems.push(format!(
            "the schema differs from the uninterrupted run's:\n{}",
            diff(&base.schema, &schema)
        ));
    }
    let (found, rows) = check(db);
    problems.extend(found);
    (problems, rows)
}

/// One line of the final table.
struct Line {
    name: String,
    /// The uninterrupted run, from the anchor to its end.
    work: Duration,
    landed: Vec<Kind>,
    /// Interruptions that came before the migration started.
    before: usize,
    /// Interruptions that reached a run still going, which then finished all the same (exit 0): a stop
    /// request the engine did not act on, unless it came after the last commit.
    finished_anyway: Vec<Kind>,
    resumes: String,
    checked: i64,
    failed_writes: (usize, usize),
    /// Writes that failed because a restart ended the writer's session.
    lost_to_restarts: usize,
    p99: String,
    down: String,
    problems: Vec<String>,
}

/// Rounds until every kind landed inside the migration (or the engine failed), each sooner after the anchor.
fn prove(
    setup: &Setup<'_>,
    name: &str,
    kinds: &[Kind],
    rng: &mut fastrand::Rng,
    check: &dyn Fn(&TestDb) -> (Vec<String>, i64),
) -> (Baseline, Line) {
    let base = baseline(setup, rng.u64(..));
    let n = interrupts_from_env()
        .unwrap_or(kinds.len())
        .max(kinds.len());
    // Below the uninterrupted run's time in all, so that the interruptions spread over the whole migration.
    let mut window = (base.work.mul_f64(0.6) / n as u32).max(Duration::from_millis(10));
    let mut to_land: Vec<Kind> = kinds.to_vec();
    let mut line = Line {
        name: name.to_owned(),
        work: base.work,
        landed: Vec::new(),
        before: 0,
        finished_anyway: Vec::new(),
        resumes: String::new(),
        checked: 0,
        failed_writes: (base.writers.iter().map(|w| w.errors.len()).sum(), 0),
        lost_to_restarts: 0,
        p99: String::new(),
        down: String::new(),
        problems: Vec::new(),
    };
    let mut resumes = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let planned = plan(
            &to_land,
            n.saturating_sub(line.landed.len()).max(to_land.len()),
            rng,
        );
        let round = round(setup, &base, &planned, window, rng, check);
        let landed: Vec<Kind> = round
            .attempts
            .iter()
            .filter(|a| a.inside)
            .map(|a| a.kind)
            .collect();
        line.landed.extend(&landed);
        line.before += round
            .attempts
            .iter()
            .filter(|a| a.outcome == Outcome::Interrupted && !a.inside)
            .count();
        line.finished_anyway.extend(
            round
                .attempts
                .iter()
                .filter(|a| a.outcome == Outcome::Completed && a.delivered)
                .map(|a| a.kind),
        );
        line.checked = round.checked;
        let all: usize = round.writers.iter().map(|w| w.errors.len()).sum();
        let counted = errors_not_from_restarts(setup.cluster, &round.writers).1;
        line.failed_writes.1 += counted;
        line.lost_to_restarts += all - counted;
        line.p99 = p99s(&base.writers, &round.writers);
        resumes.push(round.resumes.map_or("never".to_owned(), |r| r.to_string()));
        line.problems.extend(round.problems.iter().cloned());
        to_land.retain(|k| !landed.contains(k));
        if !round.problems.is_empty() || to_land.is_empty() {
            break;
        }
        // The migration finished before every kind landed: sooner after the anchor, down to at once.
        window = if window > Duration::from_millis(40) {
            window / 4
        } else {
            Duration::ZERO
        };
    }
    line.resumes = resumes.join(", ");
    if !to_land.is_empty() && line.problems.is_empty() {
        line.problems.push(format!(
            "{} never landed inside the migration in {MAX_ROUNDS} rounds (the migration finished first)",
            to_land.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")
        ));
    }
    (base, line)
}

/// The writers' p99, uninterrupted → interrupted, old app / new app (/ the old app's report's time).
fn p99s(base: &[WriterReport], run: &[WriterReport]) -> String {
    let ms = |r: &WriterReport| format!("{:.1}", r.p99().as_secs_f64() * 1000.0);
    base.iter()
        .zip(run)
        .map(|(b, r)| format!("{}→{}", ms(b), ms(r)))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Interrupt once at a random moment, then plain `down`: the schema must be the one before the migration.
fn down_after_a_partial_run(
    setup: &Setup<'_>,
    base: &Baseline,
    kinds: &[Kind],
    rng: &mut fastrand::Rng,
) -> (String, Option<String>) {
    let before = schema_without_bookkeeping(setup.template);
    let db = TestDb::copy_of(setup.template);
    let cwd = tempfile::tempdir().expect("temp dir");
    Runner::write_config(cwd.path());
    let restart = || setup.cluster.restart();
    let runner = Runner {
        fixture: setup.fixture,
        url: db.url(),
        cwd: cwd.path(),
        args: setup.args,
        restart: Some(&restart),
        anchor: setup.anchor,
    };
    let kind = kinds[rng.usize(..kinds.len())];
    // Within the first part of the work: the uninterrupted run, the first on its cluster, is the slowest.
    let delay = base.work.mul_f64(0.6 * rng.f64());
    // The run starts at a random moment of the report's cycle, so that it sometimes gets a step done first.
    let report = setup.report.map(|spec| {
        let report = Reports::start(db.url(), setup.schema, spec);
        std::thread::sleep((spec.hold + spec.gap).mul_f64(rng.f64()));
        report
    });
    let attempt = runner.interrupt(kind, delay, base.anchor_latency, "partial");
    let how = format!("{} after {} ms", kind.label(), delay.as_millis());
    let down = runner.run(&["down"], "down");
    drop(report);
    wait_for_runner_sessions_to_end(&mut monitor(db.url()));
    let after = schema_without_bookkeeping(&db);
    // A `down` that finds nothing to revert may say so with an error: the schema is what counts.
    if !down.succeeded() && after != before {
        return (
            format!("refused ({how})"),
            Some(format!("`down` after {how}: {}", down.error_line())),
        );
    }
    if after != before {
        return (
            format!("wrong schema ({how})"),
            Some(format!(
                "`down` after {how} left another schema:\n{}",
                diff(&before, &after)
            )),
        );
    }
    let state = match attempt.outcome {
        Outcome::Interrupted => "interrupted",
        Outcome::Completed => "it had finished",
        Outcome::Failed => "it had failed",
    };
    let down = if down.succeeded() {
        "reverted"
    } else {
        "nothing to revert"
    };
    (format!("ok ({how}, {state}; {down})"), None)
}

fn print_table(title: &str, lines: &[Line]) {
    println!("\n{title}\n");
    println!("| operation | uninterrupted | interruptions inside the migration | resumes needed (per round) | rows checked | failed writes (uninterrupted / interrupted, + lost to restarts) | writer p99 ms, old / new app (/ old app's report) (uninterrupted→interrupted) | down after a partial run |");
    println!("|---|---|---|---|---|---|---|---|");
    for l in lines {
        let kinds: Vec<&str> = l.landed.iter().map(|k| k.label()).collect();
        println!(
            "| {} | {} ms | {} ({}){}{} | {} | {} | {} / {} + {} | {} | {} |",
            l.name,
            l.work.as_millis(),
            l.landed.len(),
            kinds.join(" "),
            if l.before > 0 {
                format!(", {} more before the migration", l.before)
            } else {
                String::new()
            },
            if l.finished_anyway.is_empty() {
                String::new()
            } else {
                let kinds: Vec<&str> = l.finished_anyway.iter().map(|k| k.label()).collect();
                format!("; finished after it anyway: {}", kinds.join(" "))
            },
            l.resumes,
            l.checked,
            l.failed_writes.0,
            l.failed_writes.1,
            l.lost_to_restarts,
            l.p99,
            l.down
        );
    }
    for l in lines.iter().filter(|l| !l.problems.is_empty()) {
        println!("\n{}:", l.name);
        for p in &l.problems {
            println!("  - {p}");
        }
    }
}

#[test]
fn every_operation_outside_a_transaction_resumes_after_interruptions_anywhere() {
    let seed = seed();
    let rows = rows_from_env();
    println!(
        "seed {seed} (replay: RESUME_SEED={seed}), {rows} rows, interruptions per operation: {}",
        interrupts_from_env().map_or("one of each kind".to_owned(), |n| n.to_string())
    );
    let mut rng = fastrand::Rng::with_seed(seed);
    let cluster = Cluster::start();
    let template = TestDb::new_on(&cluster.server.admin_url());
    template.exec("CREATE EXTENSION amcheck");
    load_items(&mut template.client(), rows);
    let mut lines = Vec::new();
    for op in OPS.iter().filter(|op| selected(op.name)) {
        let mut kinds = Kind::ANY_MIGRATION.to_vec();
        kinds.push(Kind::Restart);
        if op.backfill {
            kinds.push(Kind::LongPause);
        }
        let setup = Setup {
            cluster: &cluster,
            template: &template,
            fixture: op.fixture,
            args: &["up"],
            schema: None,
            writers: [op.old_app, op.new_app],
            report: op.report,
            rows,
            anchor: Anchor::MigrationStarted,
        };
        let check = |db: &TestDb| check_rows(db, None, &[op], rows);
        let (base, mut line) = prove(&setup, op.name, &kinds, &mut rng, &check);
        let (down, problem) = down_after_a_partial_run(&setup, &base, &kinds, &mut rng);
        line.down = down;
        line.problems.extend(problem);
        lines.push(line);
    }
    print_table(&format!("resume after interruptions (seed {seed})"), &lines);
    let failed: Vec<&str> = lines
        .iter()
        .filter(|l| !l.problems.is_empty())
        .map(|l| l.name.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "not resumable (seed {seed}; the table above has the details): {failed:?}"
    );
}

const TENANTS: usize = 50;
const TENANT_ROWS: i64 = 2_000;

#[test]
fn a_fleet_of_tenant_schemas_resumes_after_interruptions_anywhere() {
    if !selected("fleet") {
        return;
    }
    let seed = seed();
    println!("seed {seed} (replay: RESUME_SEED={seed}), {TENANTS} schemas of {TENANT_ROWS} rows");
    let mut rng = fastrand::Rng::with_seed(seed);
    let cluster = Cluster::start();
    let template = TestDb::new_on(&cluster.server.admin_url());
    template.exec("CREATE EXTENSION amcheck");
    let mut client = template.client();
    let schemas: Vec<String> = (1..=TENANTS).map(|i| format!("tenant_{i}")).collect();
    for schema in &schemas {
        client
            .batch_execute(&format!(
                "CREATE SCHEMA {schema}; SET search_path = {schema}"
            ))
            .expect("tenant schema");
        load_items(&mut client, TENANT_ROWS);
    }
    drop(client);
    let list = schemas.join(",");
    let setup = Setup {
        cluster: &cluster,
        template: &template,
        fixture: "resume_fleet",
        args: &["fleet", "up", "--schemas", list.as_str()],
        schema: Some("tenant_1"),
        writers: [OLD_APP_FLEET, NEW_APP_FLEET],
        report: None,
        rows: TENANT_ROWS,
        // `fleet up` writes no JSON log: from the first target's lock.
        anchor: Anchor::Lock,
    };
    let ops: Vec<&Op> = OPS.iter().collect();
    let check = |db: &TestDb| {
        let (mut problems, mut checked) = (Vec::new(), 0);
        for schema in &schemas {
            let (found, rows) = check_rows(db, Some(schema), &ops, TENANT_ROWS);
            problems.extend(found);
            checked += rows;
        }
        (problems, checked)
    };
    let mut kinds = Kind::ANY_MIGRATION.to_vec();
    kinds.extend([Kind::Restart, Kind::LongPause]);
    let (_, mut line) = prove(
        &setup,
        &format!("fleet up, {TENANTS} schemas, all six"),
        &kinds,
        &mut rng,
        &check,
    );
    line.down = "not run: `fleet down` reverts one migration per target".to_owned();
    print_table(
        &format!("fleet resume after interruptions (seed {seed})"),
        std::slice::from_ref(&line),
    );
    assert!(
        line.problems.is_empty(),
        "the fleet is not resumable (seed {seed}; the table above has the details)"
    );
}
