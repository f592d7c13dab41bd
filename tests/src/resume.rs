//! The load of the resume proofs (`tests/tests/resume.rs`) and of the bench's `online` section: a table of
//! items, and two versions of the app writing it on connections of their own while a runner changes it.
//!
//! The old version writes `contents` (and a unique `v` on its inserts); the new version writes the column the
//! change is about. Each writer inserts a row, updates an older one, and reads both back, timing every write
//! and recording every error instead of stopping, so that a run can compare what writers saw with what they
//! see during an uninterrupted run of the same change. The two writers update disjoint rows (odd and even
//! ids), so a read-back never sees the other writer's value, and insert disjoint `v`s.
//!
//! A writer may be rolled out to a later version as the change goes ([`WriterSpec::next`]): where the change
//! backfills a new column, every writer must fill it once it exists, or the engine rightly refuses to
//! record the backfill as done while unfilled rows keep coming.
//!
//! The old version can also run a report over the table again and again ([`Reports`]): a transaction that holds
//! `ACCESS SHARE` on it for a while, as a slow dashboard query does on a busy table. A statement of the change
//! that needs `ACCESS EXCLUSIVE` then waits behind it, gives up at `lock_timeout` and is retried, as in
//! production.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::types::Type;
use postgres::{Client, NoTls};

/// The rows of the table the proofs and the bench change.
pub const DEFAULT_ROWS: i64 = 300_000;

/// `RESUME_ROWS` (for a quicker run while working on the harness), else [`DEFAULT_ROWS`].
pub fn rows_from_env() -> i64 {
    std::env::var("RESUME_ROWS")
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .filter(|n| *n >= 100)
        .unwrap_or(DEFAULT_ROWS)
}

/// Creates `items` with `rows` rows in the first schema of the session's `search_path`, and analyses it (the
/// backfill's key walk reads the row estimate). Row `i` has id `i`, `v = i`, a `contents` and a `label`.
pub fn load_items(client: &mut Client, rows: i64) {
    client
        .batch_execute(&format!(
            "CREATE TABLE items (
                 id bigserial PRIMARY KEY,
                 contents text COLLATE \"C\" NOT NULL DEFAULT '(empty)',
                 v integer NOT NULL,
                 label text DEFAULT 'none',
                 touched integer NOT NULL DEFAULT 0
             );
             INSERT INTO items (contents, v, label)
                 SELECT 'comment ' || i, i, 'label ' || i FROM generate_series(1, {rows}) AS i"
        ))
        .expect("load items");
    client
        .batch_execute("VACUUM ANALYZE items")
        .expect("analyse items");
}

/// What one version of the app writes. Every statement takes `int8` parameters: the write's stamp for an
/// insert (a number no other write of any writer uses, also the new row's `v`), the id of a row and the
/// stamp for the other statements, and may leave the last one unused.
#[derive(Debug, Clone, Copy)]
pub struct WriterSpec {
    pub name: &'static str,
    /// The column it writes, for messages.
    pub column: &'static str,
    /// `$1`: the stamp; returns the new row's id.
    pub insert: &'static str,
    /// `$1`: an existing row's id, `$2`: the stamp.
    pub update: &'static str,
    /// `$1`: the inserted row's id, `$2`: its stamp; true when the row reads back what was written.
    pub check_insert: &'static str,
    /// `$1`: the updated row's id, `$2`: the stamp.
    pub check_update: &'static str,
    /// A query that is true once this version can run (its column exists): it waits until then, as a
    /// rollout waits for the expand.
    pub ready: Option<&'static str>,
    /// The version the rollout replaces this one with as soon as that one's `ready` holds: the writer goes
    /// on as that version (under the first one's name, on the same rows).
    pub next: Option<&'static WriterSpec>,
    /// Updates odd ids (the old version) or even ones.
    pub odd_rows: bool,
}

/// The version that writes `contents`: the running app before the change.
pub const OLD_APP: WriterSpec = WriterSpec {
    name: "old app",
    column: "contents",
    insert: "INSERT INTO items (contents, v) VALUES ('old ' || $1, $1) RETURNING id",
    update: "UPDATE items SET contents = 'old ' || $2, touched = touched + 1 WHERE id = $1",
    check_insert: "SELECT contents = 'old ' || $2 FROM items WHERE id = $1",
    check_update: "SELECT contents = 'old ' || $2 FROM items WHERE id = $1",
    ready: None,
    next: None,
    odd_rows: true,
};

/// The old app where the change backfills a new column with a condition on it (`doubled IS NULL`): such a
/// backfill only holds once every writer fills the column (docs/deploying.md: a contract), and the engine
/// refuses to record it while rows that match its condition keep coming. So the rollout replaces the old
/// app by the version that fills `doubled` as soon as the column exists.
pub const OLD_APP_THEN_DOUBLED: WriterSpec = WriterSpec {
    next: Some(&NEW_APP_DOUBLED),
    ..OLD_APP
};

/// The same for `tripled`.
pub const OLD_APP_THEN_TRIPLED: WriterSpec = WriterSpec {
    next: Some(&NEW_APP_TRIPLED),
    ..OLD_APP
};

/// The version that writes `body`, once the rename's sync trigger keeps `contents` in step.
pub const NEW_APP_BODY: WriterSpec = WriterSpec {
    name: "new app",
    column: "body",
    insert: "INSERT INTO items (body, v) VALUES ('new ' || $1, $1) RETURNING id",
    update: "UPDATE items SET body = 'new ' || $2 WHERE id = $1",
    check_insert: "SELECT body = 'new ' || $2 AND contents = body FROM items WHERE id = $1",
    check_update: "SELECT body = 'new ' || $2 AND contents = body FROM items WHERE id = $1",
    ready: Some(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger \
         WHERE tgrelid = 'items'::pg_catalog.regclass AND NOT tgisinternal)",
    ),
    next: None,
    odd_rows: false,
};

/// The version that writes `body` and `contents` both, once `body` exists: what it does where no trigger
/// keeps the two in step (the bench's plain backfill and `UPDATE`).
pub const NEW_APP_BODY_AND_CONTENTS: WriterSpec = WriterSpec {
    name: "new app",
    column: "body",
    insert: "INSERT INTO items (body, contents, v) VALUES ('new ' || $1, 'new ' || $1, $1) RETURNING id",
    update: "UPDATE items SET body = 'new ' || $2, contents = 'new ' || $2 WHERE id = $1",
    check_insert: "SELECT body = 'new ' || $2 AND contents = body FROM items WHERE id = $1",
    check_update: "SELECT body = 'new ' || $2 AND contents = body FROM items WHERE id = $1",
    ready: Some(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = 'items'::pg_catalog.regclass \
         AND attname = 'body' AND NOT attisdropped)",
    ),
    next: None,
    odd_rows: false,
};

/// The old app for a backfill without a trigger (the bench's plain backfill): rolled out to the version that
/// writes both columns as soon as `body` exists, as such a backfill requires (see [`OLD_APP_THEN_DOUBLED`]).
/// Left writing alone, its inserts keep matching the backfill's condition and the backfill rightly refuses
/// to finish.
pub const OLD_APP_THEN_BODY_AND_CONTENTS: WriterSpec = WriterSpec {
    next: Some(&NEW_APP_BODY_AND_CONTENTS),
    ..OLD_APP
};

/// The version that fills `doubled` itself, once it exists.
pub const NEW_APP_DOUBLED: WriterSpec = WriterSpec {
    name: "new app",
    column: "doubled",
    insert: "INSERT INTO items (v, doubled) VALUES ($1, 2 * $1) RETURNING id",
    update: "UPDATE items SET doubled = v * 2 WHERE id = $1",
    check_insert: "SELECT doubled = v * 2 AND v = $2 FROM items WHERE id = $1",
    check_update: "SELECT doubled = v * 2 FROM items WHERE id = $1",
    ready: Some(COLUMN_DOUBLED_EXISTS),
    next: None,
    odd_rows: false,
};

/// The version that fills `tripled` itself, once it exists.
pub const NEW_APP_TRIPLED: WriterSpec = WriterSpec {
    name: "new app",
    column: "tripled",
    insert: "INSERT INTO items (v, tripled) VALUES ($1, 3 * $1) RETURNING id",
    update: "UPDATE items SET tripled = v * 3 WHERE id = $1",
    check_insert: "SELECT tripled = v * 3 AND v = $2 FROM items WHERE id = $1",
    check_update: "SELECT tripled = v * 3 FROM items WHERE id = $1",
    ready: Some(COLUMN_TRIPLED_EXISTS),
    next: None,
    odd_rows: false,
};

/// The version that writes `v` (the indexed and constrained column): unique, never negative.
pub const NEW_APP_V: WriterSpec = WriterSpec {
    name: "new app",
    column: "v",
    insert: "INSERT INTO items (v) VALUES ($1) RETURNING id",
    update: "UPDATE items SET v = v WHERE id = $1",
    check_insert: "SELECT v = $2 FROM items WHERE id = $1",
    check_update: "SELECT v = $1 FROM items WHERE id = $1",
    ready: None,
    next: None,
    odd_rows: false,
};

/// The version that always sets `label` (the column made `NOT NULL`).
pub const NEW_APP_LABEL: WriterSpec = WriterSpec {
    name: "new app",
    column: "label",
    insert: "INSERT INTO items (v, label) VALUES ($1, 'new ' || $1) RETURNING id",
    update: "UPDATE items SET label = 'new ' || $2 WHERE id = $1",
    check_insert: "SELECT label = 'new ' || $2 FROM items WHERE id = $1",
    check_update: "SELECT label = 'new ' || $2 FROM items WHERE id = $1",
    ready: None,
    next: None,
    odd_rows: false,
};

/// A fleet's tenant gets all six changes in turn, two of them backfills of a new column that only hold once
/// every writer fills it: the old app, then (once the rename's trigger is there) the new app, are each
/// replaced by the version that also fills `doubled` as soon as it exists, then by the one that also fills
/// `tripled`.
pub const OLD_APP_FLEET: WriterSpec = WriterSpec {
    next: Some(&FLEET_APP_DOUBLED),
    ..OLD_APP
};

/// See [`OLD_APP_FLEET`].
pub const NEW_APP_FLEET: WriterSpec = WriterSpec {
    next: Some(&FLEET_APP_DOUBLED),
    ..NEW_APP_BODY
};

/// The version that writes `body` and fills `doubled`.
const FLEET_APP_DOUBLED: WriterSpec = WriterSpec {
    name: "new app",
    column: "body",
    insert: "INSERT INTO items (body, v, doubled) VALUES ('new ' || $1, $1, 2 * $1) RETURNING id",
    update: "UPDATE items SET body = 'new ' || $2 WHERE id = $1",
    check_insert: "SELECT body = 'new ' || $2 AND contents = body AND doubled = v * 2 FROM items WHERE id = $1",
    check_update: "SELECT body = 'new ' || $2 AND contents = body FROM items WHERE id = $1",
    ready: Some(COLUMN_DOUBLED_EXISTS),
    next: Some(&FLEET_APP_TRIPLED),
    odd_rows: false,
};

/// The version that writes `body` and fills `doubled` and `tripled`.
const FLEET_APP_TRIPLED: WriterSpec = WriterSpec {
    name: "new app",
    column: "body",
    update: "UPDATE items SET body = 'new ' || $2 WHERE id = $1",
    check_update: "SELECT body = 'new ' || $2 AND contents = body FROM items WHERE id = $1",
    odd_rows: false,
    insert: "INSERT INTO items (body, v, doubled, tripled) VALUES ('new ' || $1, $1, 2 * $1, 3 * $1) RETURNING id",
    check_insert: "SELECT body = 'new ' || $2 AND contents = body AND doubled = v * 2 AND tripled = v * 3 \
                   FROM items WHERE id = $1",
    ready: Some(COLUMN_TRIPLED_EXISTS),
    next: None,
};

const COLUMN_DOUBLED_EXISTS: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = 'items'::pg_catalog.regclass \
     AND attname = 'doubled' AND NOT attisdropped)";

const COLUMN_TRIPLED_EXISTS: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = 'items'::pg_catalog.regclass \
     AND attname = 'tripled' AND NOT attisdropped)";

/// One failed statement of a writer (or a read-back that did not match).
#[derive(Debug, Clone)]
pub struct WriteError {
    pub writer: &'static str,
    pub statement: &'static str,
    /// The SQLSTATE, `connection` for an error without one, `read back` for a mismatch.
    pub code: String,
    pub message: String,
    pub at: Instant,
}

impl WriteError {
    /// The session was lost (the server restarted or ended it): the writer connects again.
    pub fn lost_the_session(&self) -> bool {
        self.code == "connection" || self.code.starts_with("57P") || self.code.starts_with("08")
    }
}

impl WriteError {
    /// What compares across runs: the writer, the statement, the SQLSTATE and the message without its
    /// numbers.
    pub fn class(&self) -> String {
        let message: String = self
            .message
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        format!(
            "{} {}: {} {message}",
            self.writer, self.statement, self.code
        )
    }
}

/// What one writer saw.
#[derive(Debug, Clone)]
pub struct WriterReport {
    pub name: &'static str,
    pub column: &'static str,
    /// Writes that succeeded.
    pub writes: usize,
    pub errors: Vec<WriteError>,
    /// Every write's time, sorted.
    pub latencies: Vec<Duration>,
}

impl WriterReport {
    /// The `q` quantile of the write times (zero without writes).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let at = ((self.latencies.len() as f64) * q).ceil() as usize;
        self.latencies[at.clamp(1, self.latencies.len()) - 1]
    }

    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    pub fn worst(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }
}

/// The error classes of `reports` (see [`WriteError::class`]).
pub fn error_classes(reports: &[WriterReport]) -> BTreeSet<String> {
    reports
        .iter()
        .flat_map(|r| r.errors.iter().map(WriteError::class))
        .collect()
}

/// Writer threads, each on a connection of its own. Dropping them stops and joins them, so a failed assertion
/// leaves no thread writing.
#[derive(Debug)]
pub struct Writers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<WriterReport>>,
}

impl Writers {
    /// Starts one thread per spec on `url` (in `schema` when given: its `search_path`), updating rows 1 to
    /// `rows` at random (from `seed`).
    pub fn start(
        url: &str,
        schema: Option<&str>,
        specs: &[WriterSpec],
        rows: i64,
        seed: u64,
    ) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let mut config = postgres::Config::from_str(url).expect("writer URL");
                config
                    .connect_timeout(crate::CONNECT_TIMEOUT)
                    .application_name(&format!("resume {}", spec.name));
                if let Some(schema) = schema {
                    config.options(&format!("-c search_path={schema}"));
                }
                let client = config.connect(NoTls).expect("writer connects");
                let stop = Arc::clone(&stop);
                let spec = *spec;
                let seed = seed.wrapping_add(i as u64);
                std::thread::spawn(move || {
                    write_until_stopped(client, &config, spec, rows, seed, &stop)
                })
            })
            .collect();
        Writers { stop, threads }
    }

    /// Stops the writers and returns what each saw.
    pub fn finish(mut self) -> Vec<WriterReport> {
        self.stop.store(true, Ordering::Relaxed);
        self.threads
            .drain(..)
            .map(|t| t.join().expect("a writer thread panicked"))
            .collect()
    }
}

impl Drop for Writers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A writer's loop: wait until its version can run, then insert, update and read back, every 2 ms, going on
/// as the next version once that one can run. A lost session is recorded and connected again.
fn write_until_stopped(
    mut client: Client,
    config: &postgres::Config,
    first: WriterSpec,
    rows: i64,
    seed: u64,
    stop: &AtomicBool,
) -> WriterReport {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut report = WriterReport {
        name: first.name,
        column: first.column,
        writes: 0,
        errors: Vec::new(),
        latencies: Vec::new(),
    };
    // Never an error of the writer's: a version that cannot run yet is not rolled out yet.
    let can_run = |client: &mut Client, spec: &WriterSpec| {
        spec.ready.is_none_or(|sql| {
            client
                .query_one(sql, &[])
                .is_ok_and(|row| row.get::<_, bool>(0))
        })
    };
    let mut spec = first;
    let mut ready = spec.ready.is_none();
    let mut round: i64 = 0;
    while !stop.load(Ordering::Relaxed) {
        while let Some(next) = spec.next.filter(|next| can_run(&mut client, next)) {
            spec = WriterSpec {
                name: first.name,
                odd_rows: first.odd_rows,
                ..*next
            };
            ready = true;
        }
        if !ready {
            ready = can_run(&mut client, &spec);
            if !ready && client.is_closed() {
                client = reconnect(config, stop).unwrap_or(client);
            }
            std::thread::sleep(Duration::from_millis(if ready { 0 } else { 10 }));
            continue;
        }
        round += 1;
        let errors = report.errors.len();
        one_round(&mut client, &spec, &mut rng, rows, round, &mut report);
        if report.errors[errors..]
            .iter()
            .any(WriteError::lost_the_session)
        {
            client = reconnect(config, stop).unwrap_or(client);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    report.latencies.sort();
    report
}

/// Insert a row, update an older one, read both back.
fn one_round(
    client: &mut Client,
    spec: &WriterSpec,
    rng: &mut fastrand::Rng,
    rows: i64,
    round: i64,
    report: &mut WriterReport,
) {
    let half = (rows / 2).max(1);
    let other = 2 * rng.i64(1..=half) - i64::from(spec.odd_rows);
    // Above every loaded row's `v`; even for the writer of odd rows, odd for the other.
    let stamp = 1_000_000 + 2 * round + i64::from(!spec.odd_rows);
    let fail = |report: &mut WriterReport, statement: &'static str, (code, message)| {
        report.errors.push(WriteError {
            writer: spec.name,
            statement,
            code,
            message,
            at: Instant::now(),
        });
    };
    let timed = Instant::now();
    let id: i64 = match query(client, spec.insert, &[&stamp]) {
        Ok(Some(row)) => row.get(0),
        Ok(None) => {
            let nothing = ("no row".to_owned(), "RETURNING gave nothing".to_owned());
            return fail(report, "insert", nothing);
        }
        Err(e) => return fail(report, "insert", e),
    };
    report.latencies.push(timed.elapsed());
    report.writes += 1;
    let timed = Instant::now();
    match query(client, spec.update, &[&other, &stamp]) {
        Ok(_) => {
            report.latencies.push(timed.elapsed());
            report.writes += 1;
        }
        Err(e) => return fail(report, "update", e),
    }
    for (statement, sql, row) in [
        ("read back insert", spec.check_insert, id),
        ("read back update", spec.check_update, other),
    ] {
        match query(client, sql, &[&row, &stamp]) {
            Ok(Some(r)) if r.get::<_, Option<bool>>(0) == Some(true) => {}
            Ok(_) => {
                let message = format!(
                    "row {row} does not read back what write {stamp} wrote to {}",
                    spec.column
                );
                fail(report, statement, ("read back".to_owned(), message));
            }
            Err(e) => return fail(report, statement, e),
        }
    }
}

/// A report of the old app: a transaction that reads `items` and stays open for `hold` (reading on elsewhere),
/// so it holds `ACCESS SHARE` on the table that long; the next starts `gap` after its end.
#[derive(Debug, Clone, Copy)]
pub struct ReportSpec {
    pub hold: Duration,
    pub gap: Duration,
}

/// Twice the engine's default `lock_timeout` (500 ms), every 1.5 s: a statement that needs `ACCESS
/// EXCLUSIVE` mostly waits, often gives up and is retried, and sometimes finds the table free, so that the
/// runs of a proof stop in each of a change's steps.
pub const OLD_APP_REPORT: ReportSpec = ReportSpec {
    hold: Duration::from_millis(1000),
    gap: Duration::from_millis(500),
};

/// The old app's reports, on a connection of their own, until finished; dropping them stops and joins them.
#[derive(Debug)]
pub struct Reports {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<WriterReport>>,
}

impl Reports {
    /// Starts the reports on `url` (in `schema` when given), and returns once the first one holds the table,
    /// so that what starts next finds it held.
    pub fn start(url: &str, schema: Option<&str>, spec: ReportSpec) -> Reports {
        let mut config = postgres::Config::from_str(url).expect("report URL");
        config
            .connect_timeout(crate::CONNECT_TIMEOUT)
            .application_name("resume old app report");
        if let Some(schema) = schema {
            config.options(&format!("-c search_path={schema}"));
        }
        let client = config.connect(NoTls).expect("the report connects");
        let stop = Arc::new(AtomicBool::new(false));
        let (holding, held) = mpsc::channel();
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || report_until_stopped(client, &config, spec, &stop, holding))
        };
        // A first report that fails is recorded; the proof goes on without waiting for it.
        let _ = held.recv_timeout(Duration::from_secs(30));
        Reports {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the reports and returns what they saw: each report's time from its start to its end.
    pub fn finish(mut self) -> WriterReport {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("finished once")
            .join()
            .expect("the report thread panicked")
    }
}

impl Drop for Reports {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The report's loop: read the table, keep the transaction open for `hold`, commit, pause for `gap`. Says
/// on `holding` once the first report holds the table. A lost session is recorded and connected again.
fn report_until_stopped(
    mut client: Client,
    config: &postgres::Config,
    spec: ReportSpec,
    stop: &AtomicBool,
    holding: mpsc::Sender<()>,
) -> WriterReport {
    let mut report = WriterReport {
        name: "old app report",
        column: "*",
        writes: 0,
        errors: Vec::new(),
        latencies: Vec::new(),
    };
    let hold = format!("SELECT pg_catalog.pg_sleep({})", spec.hold.as_secs_f64());
    while !stop.load(Ordering::Relaxed) {
        let timed = Instant::now();
        let steps = [
            "BEGIN",
            "SELECT count(*) FROM items",
            hold.as_str(),
            "COMMIT",
        ];
        let mut failed = None;
        for step in steps {
            if let Err(e) = query(&mut client, step, &[]) {
                failed = Some(e);
                break;
            }
            if step.contains("items") {
                let _ = holding.send(());
            }
        }
        match failed {
            None => {
                report.latencies.push(timed.elapsed());
                report.writes += 1;
            }
            Some((code, message)) => {
                let error = WriteError {
                    writer: report.name,
                    statement: "report",
                    code,
                    message,
                    at: Instant::now(),
                };
                let lost = error.lost_the_session();
                report.errors.push(error);
                if lost {
                    client = reconnect(config, stop).unwrap_or(client);
                } else {
                    let _ = client.batch_execute("ROLLBACK");
                }
            }
        }
        std::thread::sleep(spec.gap);
    }
    report.latencies.sort();
    report
}

/// Connects again (every 50 ms) until it works or the writers are stopped.
fn reconnect(config: &postgres::Config, stop: &AtomicBool) -> Option<Client> {
    while !stop.load(Ordering::Relaxed) {
        if let Ok(client) = config.connect(NoTls) {
            return Some(client);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Runs `sql` with `int8` parameters in one round trip; the first row, or the SQLSTATE (`connection` without
/// one) and message.
fn query(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Option<postgres::Row>, (String, String)> {
    let typed: Vec<(&(dyn postgres::types::ToSql + Sync), Type)> =
        params.iter().map(|p| (*p, Type::INT8)).collect();
    match client.query_typed(sql, &typed) {
        Ok(rows) => Ok(rows.into_iter().next()),
        Err(e) => Err(match e.as_db_error() {
            Some(db) => (db.code().code().to_owned(), db.message().to_owned()),
            None => ("connection".to_owned(), e.to_string()),
        }),
    }
}
