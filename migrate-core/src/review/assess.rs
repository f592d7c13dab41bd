//! Each traced statement's work, locks and estimate: the measured duration of the calibration run scaled by
//! how much bigger production's table is, in the unit the statement's work grows with.
//!
//! The scale is a ratio of sizes measured on the same kind of server: a statement that rewrote a table of
//! 20 MB in 0.3 s on the scratch database rewrites one of 2 GB in about 30 s. A rewrite, a scan and an index
//! build read (and write) pages: they grow with the table's size; a foreign key check is a join: it grows
//! with the rows of both tables. A statement that only changes the catalog is not scaled: its duration is
//! what it measured. Every estimate carries its basis in words, so a reviewer sees what it rests on.
//!
//! A statement that writes rows is not scaled by the table: its rows on production are the planner's
//! estimate of its own condition there (or, when the planner cannot be asked, the table's rows, an upper
//! bound), and its duration those rows at the rate the calibration measured for it (its own run when that
//! wrote enough rows, else the probe run just before it, see [`crate::trace::DataStep`]).

use crate::trace::{Blocks, DataKind, DataStep, MigrationTrace, RelationKind, StatementTrace};

use super::{
    Blocking, Estimate, LockTaken, PlannedRows, Rows, StatementReview, TableSize, Work,
};

/// Rows the calibration's own run of a data step must write for its rate to be taken over the probe's.
pub const MIN_RUN_ROWS: u64 = 10_000;

/// How the statements' durations are known.
#[derive(Debug, Clone, Copy)]
pub enum Assessed<'a> {
    /// From the calibration run's trace of the same migration, scaled from its tables' `sizes` to
    /// `production`'s (`None`: no production connection, so no scale is known).
    Calibrated {
        run: &'a MigrationTrace,
        sizes: &'a [TableSize],
        production: Option<&'a [TableSize]>,
        /// Production's planner's row estimates of the data steps' queries.
        planned: &'a [PlannedRows],
    },
    /// Measured on a copy of a clone of production: as they are. `production` (the clone's sizes) gives the
    /// activity for the waiting queries.
    Measured {
        run: &'a MigrationTrace,
        production: Option<&'a [TableSize]>,
    },
    /// Not known, and why.
    Unknown(&'a str),
}

/// The statements of `plain` (the migration traced on the empty scratch database) with their work, locks
/// and, from `timing`, their estimates.
pub fn assess(plain: &MigrationTrace, timing: Assessed<'_>) -> Vec<StatementReview> {
    let mut out: Vec<StatementReview> = Vec::new();
    for t in &plain.transactions {
        for s in &t.statements {
            let (work, table) = classify(s);
            out.push(StatementReview {
                position: s.position,
                operation: s.operation.clone(),
                line: s.line,
                sql: s.sql.clone(),
                transaction: t.number,
                autocommit: t.autocommit,
                locks: s
                    .locks
                    .iter()
                    .map(|l| LockTaken {
                        relation: l.relation.clone(),
                        kind: l.kind,
                        table: l.table.clone(),
                        mode: l.mode,
                        blocks: l.mode.blocks(),
                    })
                    .collect(),
                work,
                table,
                rows: None,
                estimate: None,
                unknown: None,
                findings: Vec::new(),
            });
        }
    }
    let (run, production) = match timing {
        Assessed::Unknown(why) => {
            for s in &mut out {
                s.unknown = Some(why.to_owned());
            }
            return out;
        }
        Assessed::Calibrated {
            run, production, ..
        }
        | Assessed::Measured { run, production } => (run, production),
    };
    let timed: Vec<&StatementTrace> = run
        .transactions
        .iter()
        .flat_map(|t| &t.statements)
        .collect();
    if timed.len() != out.len() {
        let why = format!(
            "the timed run ran {} statement(s) where the trace ran {}",
            timed.len(),
            out.len()
        );
        for s in &mut out {
            s.unknown = Some(why.clone());
        }
        return out;
    }
    for (review, measured) in out.iter_mut().zip(&timed) {
        let seconds = measured.duration_ms / 1000.0;
        match timing {
            Assessed::Measured { .. } => {
                review.rows = measured.data.as_ref().and_then(|d| {
                    (d.kind != DataKind::Job).then(|| Rows {
                        rows: d.written as f64,
                        upper_bound: false,
                        basis: "written on the copy of the clone".to_owned(),
                    })
                });
                review.estimate = Some(Estimate {
                    seconds,
                    blocking: None,
                    basis: "measured on a copy of the clone".to_owned(),
                    measured: true,
                    job_seconds: None,
                });
            }
            Assessed::Calibrated {
                sizes,
                production,
                planned,
                ..
            } => match &measured.data {
                Some(step) => data_estimate(review, step, seconds, production, planned),
                None => {
                    review.rows = production.and_then(|p| every_row(review, p));
                    match scale(review, sizes, production) {
                        Ok((factor, basis)) => {
                            review.estimate = Some(Estimate {
                                seconds: seconds * factor,
                                blocking: None,
                                basis: format!("{} measured {}", duration(seconds), basis),
                                measured: false,
                                job_seconds: None,
                            });
                        }
                        Err(why) => review.unknown = Some(why),
                    }
                }
            },
            Assessed::Unknown(_) => {}
        }
    }
    blocking(&mut out, production);
    out
}

/// The rows a statement that reads the whole table reads on production: all of them.
fn every_row(review: &StatementReview, production: &[TableSize]) -> Option<Rows> {
    if !review.work.is_data() {
        return None;
    }
    let table = review.table.as_deref()?;
    let p = production.iter().find(|t| t.table == table)?;
    Some(Rows {
        rows: p.rows,
        upper_bound: false,
        basis: format!("every row of {table}, by production's statistics"),
    })
}

/// A data step's rows on production and, at the rate the calibration measured, its duration: in `review`'s
/// estimate, or why there is none. `seconds` is what the calibration's run of it took.
fn data_estimate(
    review: &mut StatementReview,
    step: &DataStep,
    seconds: f64,
    production: Option<&[TableSize]>,
    planned: &[PlannedRows],
) {
    let Some(production) = production else {
        review.unknown = Some("production sizes unknown (no production database given)".to_owned());
        return;
    };
    let rows = match rows_on_production(step, production, planned) {
        Ok(rows) => rows,
        Err(why) => {
            review.unknown = Some(why);
            return;
        }
    };
    let rate = calibrated_rate(step, seconds);
    let job = step.kind == DataKind::Job;
    let estimate = match rate {
        Ok((per_second, how)) => {
            let takes = rows.rows / per_second.max(1e-6);
            let basis = format!(
                "{} ({}) at {} ({how}){}",
                rows.words(),
                rows.basis,
                self::rate(per_second),
                if job {
                    format!(
                        ": the job takes ~{} after the deploy, which does not wait for it",
                        duration(takes)
                    )
                } else {
                    String::new()
                }
            );
            Some(if job {
                Estimate {
                    seconds,
                    blocking: None,
                    basis,
                    measured: false,
                    job_seconds: Some(takes),
                }
            } else {
                Estimate {
                    seconds: takes,
                    blocking: None,
                    basis,
                    measured: false,
                    job_seconds: None,
                }
            })
        }
        // Queuing the job is timed all the same: the deploy's part of it is known.
        Err(why) if job => Some(Estimate {
            seconds,
            blocking: None,
            basis: format!(
                "{} ({}); the job's duration unknown: {why}; the deploy does not wait for it",
                rows.words(),
                rows.basis
            ),
            measured: false,
            job_seconds: None,
        }),
        Err(why) => {
            review.unknown = Some(format!("{}, at a rate unknown: {why}", rows.words()));
            None
        }
    };
    review.rows = Some(rows);
    review.estimate = estimate;
}

/// The rows `step` writes on production: the planner's estimate of its query, else every row of its table
/// (an upper bound when it has a condition).
fn rows_on_production(
    step: &DataStep,
    production: &[TableSize],
    planned: &[PlannedRows],
) -> Result<Rows, String> {
    let table = &step.table;
    let plan = step
        .rows_query
        .as_ref()
        .map(|q| planned.iter().find(|p| &p.query == q));
    if let Some(Some(PlannedRows {
        rows: Some(rows), ..
    })) = plan
    {
        return Ok(Rows {
            rows: *rows,
            upper_bound: false,
            basis: "production's planner, for its condition".to_owned(),
        });
    }
    let refused = match plan {
        Some(Some(p)) => p
            .refused
            .clone()
            .unwrap_or_else(|| "the planner gave no estimate".to_owned()),
        Some(None) => "the planner was not asked".to_owned(),
        None => String::new(),
    };
    if let Some(why) = &step.unbounded {
        return Err(format!("the rows it writes are unknown: {why}; {refused}"));
    }
    let Some(p) = production.iter().find(|t| t.table == *table) else {
        return Ok(Rows {
            rows: 0.0,
            upper_bound: false,
            basis: format!("{table} is not in production yet: empty there"),
        });
    };
    Ok(match plan {
        None => Rows {
            rows: p.rows,
            upper_bound: false,
            basis: format!("every row of {table}, by production's statistics"),
        },
        Some(_) => Rows {
            rows: p.rows,
            upper_bound: true,
            basis: format!("every row of {table}, an upper bound: {refused}"),
        },
    })
}

/// Rows per second the calibration measured for `step`, and how: its own run, when it wrote at least
/// [`MIN_RUN_ROWS`] rows in `seconds` (a job's run only queues it), else the probe before it.
fn calibrated_rate(step: &DataStep, seconds: f64) -> Result<(f64, String), String> {
    if step.kind != DataKind::Job && step.written >= MIN_RUN_ROWS && seconds > 0.0 {
        return Ok((
            step.written as f64 / seconds,
            format!(
                "the calibration's run: {} rows in {}",
                count(step.written as f64),
                duration(seconds)
            ),
        ));
    }
    match &step.probe {
        Some(p) if p.rows > 0 && p.seconds > 0.0 => Ok((
            p.per_second(),
            format!(
                "measured on the calibration's table: {} rows {} in {}, rolled back",
                count(p.rows as f64),
                p.how,
                duration(p.seconds)
            ),
        )),
        _ => Err(format!(
            "the calibration's run wrote {} rows{}",
            step.written,
            step.unprobed
                .as_deref()
                .map(|w| format!(" and no probe measured it ({w})"))
                .unwrap_or_default()
        )),
    }
}

/// The statement's work and the table it is on: a data step's (a backfill, a job, a statement writing
/// rows), else a rewrite of a table, else the first table it read whole (and why), else catalog only on the
/// first table it locked.
fn classify(s: &StatementTrace) -> (Work, Option<String>) {
    if let Some(data) = &s.data {
        let work = match data.kind {
            DataKind::Backfill => Work::Backfill,
            DataKind::Job => Work::Job,
            DataKind::Statement => Work::WriteRows,
        };
        return (work, Some(data.table.clone()));
    }
    if let Some(r) = s.rewrites.iter().find(|r| r.kind == RelationKind::Table) {
        return (Work::Rewrite, Some(r.relation.clone()));
    }
    if let Some(scan) = s.scans.first() {
        let work = if scan.reason.starts_with("building index") {
            Work::IndexBuild
        } else if scan.reason.starts_with("validating foreign key") {
            Work::ValidateForeignKey
        } else {
            Work::Scan
        };
        return (work, Some(scan.table.clone()));
    }
    if let Some(index) = s.rewrites.first() {
        let table = s
            .locks
            .iter()
            .find(|l| l.relation == index.relation)
            .and_then(|l| l.table.clone());
        return (Work::IndexBuild, table);
    }
    // The table of its strongest lock (a foreign key locks the referenced table too, more weakly).
    let table = s
        .locks
        .iter()
        .filter_map(|l| match l.kind {
            RelationKind::Table => Some((l.mode, true, l.relation.clone())),
            RelationKind::Index => l.table.clone().map(|t| (l.mode, false, t)),
            _ => None,
        })
        .max_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)))
        .map(|(_, _, table)| table);
    (Work::Metadata, table)
}

/// The factor from the calibration's duration to production's, and its basis in words.
fn scale(
    statement: &StatementReview,
    sizes: &[TableSize],
    production: Option<&[TableSize]>,
) -> Result<(f64, String), String> {
    let (work, table) = (statement.work, statement.table.as_deref());
    if work == Work::Metadata {
        return Ok((1.0, "(catalog only: not scaled)".to_owned()));
    }
    let Some(table) = table else {
        return Err("the table it works on is not known".to_owned());
    };
    let Some(production) = production else {
        return Err("production sizes unknown (no production database given)".to_owned());
    };
    let Some(p) = production.iter().find(|t| t.table == table) else {
        return Ok((
            0.0,
            format!("on a table production does not have yet ({table}): empty there"),
        ));
    };
    // A foreign key's check grows with the rows, which are known without the sizes.
    if let (Some(why), false) = (&p.unread, work == Work::ValidateForeignKey) {
        return Err(format!("production's size of {table} is unknown: {why}"));
    }
    let Some(c) = sizes.iter().find(|t| t.table == table) else {
        return Err(format!("the calibration did not fill {table}"));
    };
    if c.rows < 1.0 || c.total_bytes <= 0 {
        return Err(format!("the calibration left {table} empty"));
    }
    let (factor, unit) = match work {
        Work::Rewrite => (
            p.total_bytes as f64 / c.total_bytes as f64,
            format!(
                "{} with indexes, against {}",
                bytes(c.total_bytes),
                bytes(p.total_bytes)
            ),
        ),
        // A data step the calibration's run saw as none (it is estimated from its rows otherwise).
        Work::Scan | Work::Backfill | Work::Job | Work::WriteRows => (
            p.table_bytes as f64 / c.table_bytes.max(1) as f64,
            format!(
                "{}, against {}",
                bytes(c.table_bytes),
                bytes(p.table_bytes)
            ),
        ),
        // It reads the table and sorts its keys: the table's size covers both the rows and their width, which
        // generated rows get wrong (32 characters for any text). By rows, a 5,000,000-row build was
        // overestimated 1.8 to 2.2 times (×log rows: 2.05 times); by size, within 1.4 times.
        Work::IndexBuild => (
            p.table_bytes as f64 / c.table_bytes.max(1) as f64,
            format!(
                "{} ({} rows), against {} ({} rows)",
                bytes(c.table_bytes),
                count(c.rows),
                bytes(p.table_bytes),
                count(p.rows)
            ),
        ),
        Work::ValidateForeignKey => {
            // One join of the table with the referenced one: it grows with the rows of both.
            let both = |list: &[TableSize]| -> f64 {
                list.iter()
                    .filter(|t| statement.locks.iter().any(|l| l.relation == t.table))
                    .map(|t| t.rows.max(0.0))
                    .sum()
            };
            let (from, to) = (both(sizes).max(c.rows), both(production).max(p.rows));
            (
                to / from,
                format!(
                    "{} rows in it and the referenced table, against {} (a join)",
                    count(from),
                    count(to)
                ),
            )
        }
        Work::Metadata => (1.0, String::new()),
    };
    Ok((factor, format!("on {unit} in production: ×{factor:.1}")))
}

/// For each statement, the lock it takes that makes application queries wait (the one that blocks the
/// most, on a relation that existed before), and how long it is held: to the end of its transaction.
fn blocking(out: &mut [StatementReview], production: Option<&[TableSize]>) {
    let seconds: Vec<Option<f64>> = out
        .iter()
        .map(|s| s.estimate.as_ref().map(|e| e.seconds))
        .collect();
    for i in 0..out.len() {
        let Some(lock) = strongest(&out[i])
            .filter(|l| l.blocks != Blocks::Nothing)
            .cloned()
        else {
            continue;
        };
        // Held until the transaction commits: this statement and those after it in the same one.
        let same = |j: &usize| {
            out[*j].transaction == out[i].transaction && !out[i].autocommit
        };
        let held: f64 = std::iter::once(i)
            .chain((i + 1..out.len()).filter(same))
            .map(|j| seconds[j].unwrap_or(0.0))
            .sum();
        let table = out[i].table.clone();
        let activity = production.and_then(|p| {
            p.iter()
                .find(|t| t.table == lock.relation || Some(&t.table) == table.as_ref())
        });
        let queries_waiting = activity.and_then(|t| {
            let writes = t.writes_per_s?;
            let reads = if lock.blocks == Blocks::ReadsAndWrites {
                t.scans_per_s.unwrap_or(0.0)
            } else {
                0.0
            };
            Some((writes + reads) * held)
        });
        if let Some(estimate) = out[i].estimate.as_mut() {
            estimate.blocking = Some(Blocking {
                relation: lock.relation,
                mode: lock.mode,
                blocks: lock.blocks,
                seconds: held,
                queries_waiting,
            });
        }
    }
}

/// The strongest lock a statement takes; of equal ones, the one on the table it works on (a rewrite locks
/// the table and each of its indexes alike).
pub fn strongest(s: &StatementReview) -> Option<&LockTaken> {
    s.locks
        .iter()
        .max_by_key(|l| (l.mode, s.table.as_deref() == Some(l.relation.as_str())))
}

/// A duration for people: `12 ms`, `3.4 s`, `2 min 5 s`.
pub fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let whole = seconds.round() as u64;
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

/// A size for people: `512 kB`, `38 MB`, `2.1 GB`.
pub fn bytes(n: i64) -> String {
    let n = n as f64;
    if n < 1e6 {
        format!("{:.0} kB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.0} MB", n / 1e6)
    } else {
        format!("{:.1} GB", n / 1e9)
    }
}

/// A rate for people: `12,676 rows/s`.
pub fn rate(per_second: f64) -> String {
    let n = queries(per_second);
    let digits = n.split(' ').next().unwrap_or("0");
    format!("{digits} rows/s")
}

/// Queries that wait, for people: `1 query`, `6,678 queries`.
pub fn queries(n: f64) -> String {
    let n = n.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped} quer{}", if n == 1 { "y" } else { "ies" })
}

/// A count for people: `950`, `12k`, `5.0M`.
pub fn count(n: f64) -> String {
    if n < 10_000.0 {
        format!("{n:.0}")
    } else if n < 1e6 {
        format!("{:.0}k", n / 1e3)
    } else {
        format!("{:.1}M", n / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::LockMode;

    fn size(table: &str, rows: f64, table_bytes: i64, total_bytes: i64) -> TableSize {
        TableSize {
            table: table.into(),
            rows,
            table_bytes,
            total_bytes,
            writes_per_s: Some(100.0),
            scans_per_s: Some(1000.0),
            unread: None,
            key: None,
        }
    }

    fn statement(work: Work, table: &str, locked: &[&str]) -> StatementReview {
        StatementReview {
            position: 1,
            operation: "sql".into(),
            line: None,
            sql: String::new(),
            transaction: 1,
            autocommit: false,
            locks: locked
                .iter()
                .map(|r| LockTaken {
                    relation: (*r).into(),
                    kind: RelationKind::Table,
                    table: None,
                    mode: LockMode::ShareRowExclusive,
                    blocks: Blocks::Writes,
                })
                .collect(),
            work,
            table: Some(table.into()),
            rows: None,
            estimate: None,
            unknown: None,
            findings: Vec::new(),
        }
    }

    /// A data step as the calibration's trace leaves it: `written` rows by its run, a probe of `probed`
    /// rows in 1 s.
    fn step(kind: DataKind, query: Option<&str>, written: u64, probed: Option<u64>) -> DataStep {
        DataStep {
            kind,
            table: "orders".into(),
            rows_query: query.map(str::to_owned),
            unbounded: None,
            batch_rows: Some(1000),
            written,
            probe: probed.map(|rows| crate::trace::Rate {
                rows,
                seconds: 1.0,
                how: "in batches of 1000 rows by primary key".into(),
            }),
            unprobed: probed.is_none().then(|| "its batches run Rust code".to_owned()),
        }
    }

    fn estimated(
        kind: DataKind,
        step: &DataStep,
        seconds: f64,
        planned: &[PlannedRows],
    ) -> StatementReview {
        let work = match kind {
            DataKind::Backfill => Work::Backfill,
            DataKind::Job => Work::Job,
            DataKind::Statement => Work::WriteRows,
        };
        let mut review = statement(work, "orders", &["orders"]);
        let production = [size("orders", 5e6, 1, 1)];
        data_estimate(&mut review, step, seconds, Some(&production), planned);
        review
    }

    /// The backfill: 500,000 of 5,000,000 rows match its condition on production, the calibration's
    /// generated rows none (its run wrote nothing), the probe 12,500 rows a second.
    #[test]
    fn a_backfill_is_its_planned_rows_at_the_probed_rate_never_catalog_only() {
        let query = "SELECT 1 FROM \"orders\" WHERE (note IS NULL)";
        let planned = [PlannedRows {
            query: query.into(),
            rows: Some(500_000.0),
            refused: None,
        }];
        let step = step(DataKind::Backfill, Some(query), 0, Some(12_500));
        let review = estimated(DataKind::Backfill, &step, 0.02, &planned);
        let rows = review.rows.as_ref().expect("rows");
        assert_eq!((rows.rows, rows.upper_bound), (500_000.0, false));
        let estimate = review.estimate.as_ref().expect("an estimate");
        assert!((estimate.seconds - 40.0).abs() < 1e-9, "{estimate:?}");
        assert!(
            estimate.basis.starts_with("~500k rows (production's planner, for its condition) at 12,500 rows/s"),
            "{}",
            estimate.basis
        );
        assert_eq!(review.work_words(), "updates ~500k rows in batches");
        assert!(!review.work_words().contains("catalog"));

        // The planner refused (a statistics-only role): every row of the table, said to be an upper bound.
        let refused = [PlannedRows {
            query: query.into(),
            rows: None,
            refused: Some("the role may not read the table".into()),
        }];
        let review = estimated(DataKind::Backfill, &step, 0.02, &refused);
        let rows = review.rows.as_ref().expect("rows");
        assert_eq!((rows.rows, rows.upper_bound), (5e6, true));
        assert!(rows.basis.contains("an upper bound: the role may not read"), "{}", rows.basis);
        assert_eq!(review.work_words(), "updates up to 5.0M rows in batches");
        assert!((review.estimate.as_ref().expect("estimate").seconds - 400.0).abs() < 1e-9);

        // Without a condition it writes every row: exact, not a bound.
        let every = self::step(DataKind::Backfill, None, 0, Some(12_500));
        let review = estimated(DataKind::Backfill, &every, 0.02, &[]);
        assert_eq!(review.rows.as_ref().map(|r| r.upper_bound), Some(false));
    }

    /// A run that wrote enough rows is its own rate; one that wrote few, and had no probe, has none: the
    /// rows are still shown, and the reason.
    #[test]
    fn the_calibrations_own_run_gives_the_rate_when_it_wrote_enough_rows() {
        let ran = step(DataKind::Statement, None, 200_000, Some(1));
        let review = estimated(DataKind::Statement, &ran, 10.0, &[]);
        let estimate = review.estimate.as_ref().expect("an estimate");
        assert!((estimate.seconds - 250.0).abs() < 1e-9, "{estimate:?}");
        assert!(estimate.basis.contains("the calibration's run: 200k rows in 10.0 s"), "{}", estimate.basis);
        let unprobed = step(DataKind::Backfill, None, 10, None);
        let review = estimated(DataKind::Backfill, &unprobed, 0.01, &[]);
        assert!(review.estimate.is_none());
        let why = review.unknown.as_deref().expect("why");
        assert!(
            why.contains("~5.0M rows, at a rate unknown") && why.contains("its batches run Rust code"),
            "{why}"
        );
    }

    /// An `INSERT ... SELECT` whose query the planner could not estimate has no rows: its target's rows bound
    /// nothing, and the review says so rather than guess.
    #[test]
    fn an_insert_select_without_the_planner_has_unknown_rows() {
        let mut insert = step(DataKind::Statement, Some("SELECT id FROM old"), 0, Some(10_000));
        insert.unbounded = Some("the rows it inserts come from its query".into());
        let refused = [PlannedRows {
            query: "SELECT id FROM old".into(),
            rows: None,
            refused: Some("the role may not read the table".into()),
        }];
        let review = estimated(DataKind::Statement, &insert, 0.01, &refused);
        assert!(review.rows.is_none() && review.estimate.is_none());
        let why = review.unknown.as_deref().expect("why");
        assert!(
            why.contains("the rows it writes are unknown: the rows it inserts come from its query"),
            "{why}"
        );
    }

    /// A background job's statement only queues it: its estimate is the queuing, the job's own duration is
    /// apart, and the migration's time does not count it.
    #[test]
    fn a_background_job_shows_its_duration_apart_from_the_deploys() {
        let queued = step(DataKind::Job, None, 0, Some(10_000));
        let review = estimated(DataKind::Job, &queued, 0.005, &[]);
        let estimate = review.estimate.as_ref().expect("an estimate");
        assert_eq!(estimate.seconds, 0.005);
        assert_eq!(estimate.job_seconds, Some(500.0));
        assert!(estimate.basis.contains("after the deploy, which does not wait for it"), "{}", estimate.basis);
        assert_eq!(
            review.work_words(),
            "queues a background job that updates ~5.0M rows in batches after the deploy"
        );
    }

    #[test]
    fn each_kind_of_work_scales_by_its_own_unit() {
        let calibration = [
            size("items", 1e5, 10_000_000, 20_000_000),
            size("categories", 1e5, 1, 1),
        ];
        let production = [
            size("items", 1e7, 2_000_000_000, 3_000_000_000),
            size("categories", 1e3, 1, 1),
        ];
        let p = Some(&production[..]);
        let on = |work| scale(&statement(work, "items", &["items"]), &calibration, p).unwrap();
        let rewrite = on(Work::Rewrite);
        assert!((rewrite.0 - 150.0).abs() < 1e-9, "{rewrite:?}");
        let scan = on(Work::Scan);
        assert!((scan.0 - 200.0).abs() < 1e-9, "{scan:?}");
        let index = on(Work::IndexBuild);
        assert!((index.0 - 200.0).abs() < 1e-9, "{index:?}");
        assert_eq!(on(Work::Metadata).0, 1.0);
        let fk = scale(
            &statement(Work::ValidateForeignKey, "items", &["items", "categories"]),
            &calibration,
            p,
        )
        .unwrap();
        assert!((fk.0 - (1e7 + 1e3) / 2e5).abs() < 1e-9, "{fk:?}");
    }

    #[test]
    fn without_production_or_calibration_there_is_no_estimate_and_a_reason() {
        let calibration = [size("items", 1e5, 10_000_000, 20_000_000)];
        let items = |work| statement(work, "items", &["items"]);
        let none = scale(&items(Work::Rewrite), &calibration, None).unwrap_err();
        assert!(none.contains("no production database given"), "{none}");
        let production = [size("orders", 1e7, 1, 1)];
        let new = scale(&items(Work::Rewrite), &calibration, Some(&production)).unwrap();
        assert_eq!(new.0, 0.0, "a table production lacks is empty there");
        let production = [size("items", 1e7, 1, 1)];
        let unfilled = scale(&items(Work::Scan), &[], Some(&production)).unwrap_err();
        assert!(unfilled.contains("did not fill items"), "{unfilled}");
    }

    #[test]
    fn sizes_and_durations_read_as_people_write_them() {
        assert_eq!(duration(0.0123), "12 ms");
        assert_eq!(duration(3.44), "3.4 s");
        assert_eq!(duration(125.0), "2 min 5 s");
        assert_eq!(bytes(512_000), "512 kB");
        assert_eq!(bytes(2_100_000_000), "2.1 GB");
        assert_eq!(count(5_000_000.0), "5.0M");
        assert_eq!(count(950.0), "950");
        assert_eq!(queries(0.6), "1 query");
        assert_eq!(queries(6678.2), "6,678 queries");
        assert_eq!(queries(1_234_567.0), "1,234,567 queries");
    }
}
