//! `fleet runs`, `fleet runs show ID` and `fleet down --run ID`: what recent runs did, read from the
//! targets' own records (`<table>_runs`), and a run's migrations reverted target by target.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use migrate_core::fleet::{self, Fleet, RunRecord, TargetError};
use migrate_core::Direction;
use serde_json::{json, Value};

use crate::stdio::{errln, out, outln};

use super::args::{FleetRunsArgs, RunsCommand};
use super::summary::brief;

/// What one target holds of the runs asked about: its records, or why it could not be read.
type Read = Vec<Result<Vec<RunRecord>, TargetError>>;

/// How the records of one target are read.
type ReadRecords<'f> = dyn Fn(
        &mut postgres::Client,
        &migrate_core::MigrationsTable,
    ) -> Result<Vec<RunRecord>, migrate_core::Error>
    + Sync
    + 'f;

/// Reads every target's records with `read` (in the fleet's order).
fn read_all(fleet: &Fleet<'_, '_>, read: &ReadRecords<'_>) -> (Read, Option<i32>) {
    let stop = super::watch_signals();
    let read = super::per_target(fleet.targets().len(), |each| {
        fleet.read_each(&stop, &|i, session| {
            each(
                i,
                session.and_then(|s| read(s.client, s.table).map_err(|e| TargetError::of(&e))),
            );
        });
    });
    (read, stop.requested())
}

/// How a run ended on a target, from its record (or its absence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ended {
    Changed,
    Unchanged,
    Failed,
    /// Stopped (a signal, a time budget, held by another runner to the end), or killed: no end recorded.
    Interrupted,
    NotReached,
}

impl Ended {
    const ALL: [Ended; 5] = [
        Ended::Changed,
        Ended::Unchanged,
        Ended::Failed,
        Ended::Interrupted,
        Ended::NotReached,
    ];

    fn of(record: Option<&RunRecord>) -> Ended {
        let Some(r) = record else {
            return Ended::NotReached;
        };
        match r.outcome.as_deref() {
            Some("failed") => Ended::Failed,
            Some("done") if r.applied().is_empty() && r.reverted().is_empty() => Ended::Unchanged,
            Some("done") => Ended::Changed,
            _ => Ended::Interrupted,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Ended::Changed => "changed",
            Ended::Unchanged => "unchanged",
            Ended::Failed => "failed",
            Ended::Interrupted => "interrupted",
            Ended::NotReached => "not reached",
        }
    }
}

/// `fleet runs` and `fleet runs show ID`.
pub fn runs(fleet: &Fleet<'_, '_>, args: &FleetRunsArgs) -> Result<ExitCode> {
    match &args.show {
        Some(RunsCommand::Show { id }) => show(fleet, id, args.targets.json),
        None => list(
            fleet,
            i64::try_from(args.limit).unwrap_or(i64::MAX),
            args.targets.json,
        ),
    }
}

/// One run over the fleet: what its records say, target by target (`None`: no record).
struct RunOverFleet<'r> {
    first: &'r RunRecord,
    records: Vec<Option<&'r RunRecord>>,
}

impl RunOverFleet<'_> {
    fn started(&self) -> DateTime<Utc> {
        self.records
            .iter()
            .flatten()
            .map(|r| r.started)
            .min()
            .unwrap_or(self.first.started)
    }

    fn counts(&self) -> BTreeMap<Ended, usize> {
        let mut counts = BTreeMap::new();
        for r in &self.records {
            *counts.entry(Ended::of(*r)).or_insert(0) += 1;
        }
        counts
    }

    fn command(&self) -> String {
        match &self.first.reverts {
            Some(run) => format!("{} --run {run}", self.first.command),
            None => self.first.command.clone(),
        }
    }
}

/// The runs recorded on any target, newest first, each with every target's record of it.
fn by_run(read: &Read) -> Vec<RunOverFleet<'_>> {
    let mut runs: BTreeMap<&str, RunOverFleet<'_>> = BTreeMap::new();
    for (i, target) in read.iter().enumerate() {
        for record in target.iter().flatten() {
            runs.entry(record.id.as_str())
                .or_insert_with(|| RunOverFleet {
                    first: record,
                    records: vec![None; read.len()],
                })
                .records[i] = Some(record);
        }
    }
    let mut runs: Vec<RunOverFleet<'_>> = runs.into_values().collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.started()));
    runs
}

fn list(fleet: &Fleet<'_, '_>, limit: i64, json: bool) -> Result<ExitCode> {
    let (read, signal) = read_all(fleet, &|client, table| {
        fleet::read_runs(client, table, limit)
    });
    let mut runs = by_run(&read);
    runs.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let unreadable = unreadable(fleet, &read);
    if json {
        let listed: Vec<Value> = runs
            .iter()
            .map(|r| {
                let counts = r.counts();
                let mut targets = serde_json::Map::new();
                for ended in Ended::ALL {
                    targets.insert(
                        ended.as_str().replace(' ', "_"),
                        json!(counts.get(&ended).copied().unwrap_or(0)),
                    );
                }
                json!({
                    "id": r.first.id,
                    "command": r.first.command,
                    "reverts": r.first.reverts,
                    "started": r.started().to_rfc3339(),
                    "targets": targets,
                })
            })
            .collect();
        let json = json!({ "runs": listed, "unreadable": unreadable_json(&unreadable) });
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).context("cannot write the runs")?
        );
    } else {
        out!("{}", list_text(&runs, fleet.targets().len()));
        for (name, e) in &unreadable {
            errln!("error: {name}: {}", brief(&e.message));
        }
    }
    Ok(exit(signal, !unreadable.is_empty()))
}

fn list_text(runs: &[RunOverFleet<'_>], targets: usize) -> String {
    let mut out = String::new();
    if runs.is_empty() {
        let _ = writeln!(
            out,
            "no run of `fleet up` or `fleet down` is recorded on the {targets} target(s)"
        );
        return out;
    }
    let commands: Vec<String> = runs.iter().map(RunOverFleet::command).collect();
    let width = commands
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("command".len());
    let id_width = runs
        .iter()
        .map(|r| r.first.id.len())
        .max()
        .unwrap_or(0)
        .max("run".len());
    let _ = writeln!(
        out,
        "{:id_width$}  {:width$}  {:19}  changed  unchanged  failed  interrupted  not reached",
        "run", "command", "started (UTC)"
    );
    for (r, command) in runs.iter().zip(&commands) {
        let counts = r.counts();
        let n = |e: Ended| counts.get(&e).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{:id_width$}  {command:width$}  {}  {:>7}  {:>9}  {:>6}  {:>11}  {:>11}",
            r.first.id,
            r.started().format("%Y-%m-%d %H:%M:%S"),
            n(Ended::Changed),
            n(Ended::Unchanged),
            n(Ended::Failed),
            n(Ended::Interrupted),
            n(Ended::NotReached),
        );
    }
    out
}

fn show(fleet: &Fleet<'_, '_>, id: &str, json: bool) -> Result<ExitCode> {
    let (read, signal) = read_all(fleet, &|client, table| {
        Ok(fleet::read_run(client, table, id)?.into_iter().collect())
    });
    let unreadable = unreadable(fleet, &read);
    let runs = by_run(&read);
    let Some(run) = runs.first() else {
        for (name, e) in &unreadable {
            errln!("error: {name}: {}", brief(&e.message));
        }
        bail!(
            "run {id} is recorded on none of the {} target(s){}: check the id (`migrate fleet runs` lists recent runs) and the targets",
            fleet.targets().len(),
            if unreadable.is_empty() { String::new() } else { format!(" that could be read ({} could not)", unreadable.len()) }
        );
    };
    let targets = fleet.targets();
    if json {
        let listed: Vec<Value> = targets
            .iter()
            .zip(&run.records)
            .zip(&read)
            .map(|((t, r), read)| {
                let changes = |direction: Direction| -> Vec<Value> {
                    r.map(|r| {
                        r.changes
                            .iter()
                            .filter(|c| c.direction == direction)
                            .map(|c| json!({"name": c.name, "at": c.at.to_rfc3339()}))
                            .collect()
                    })
                    .unwrap_or_default()
                };
                json!({
                    "name": t.name,
                    "schema": t.schema,
                    "state": if read.is_err() { "unreadable" } else { Ended::of(*r).as_str() },
                    "outcome": r.and_then(|r| r.outcome.clone()),
                    "started": r.map(|r| r.started.to_rfc3339()),
                    "ended": r.and_then(|r| r.ended.map(|e| e.to_rfc3339())),
                    "applied": changes(Direction::Up),
                    "reverted": changes(Direction::Down),
                    "error": r.and_then(|r| r.error.clone())
                        .or_else(|| read.as_ref().err().map(|e| e.message.clone())),
                })
            })
            .collect();
        let json = json!({
            "id": run.first.id,
            "command": run.first.command,
            "reverts": run.first.reverts,
            "started": run.started().to_rfc3339(),
            "targets": listed,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).context("cannot write the run")?
        );
        return Ok(exit(signal, !unreadable.is_empty()));
    }
    let counts = run.counts();
    let summary: Vec<String> = Ended::ALL
        .iter()
        .filter_map(|e| counts.get(e).map(|n| format!("{n} {}", e.as_str())))
        .collect();
    outln!(
        "run {} ({}), started {} UTC, over {} target(s): {}",
        run.first.id,
        run.command(),
        run.started().format("%Y-%m-%d %H:%M:%S"),
        targets.len(),
        summary.join(", ")
    );
    for ((t, r), read) in targets.iter().zip(&run.records).zip(&read) {
        outln!("{}", target_line(&t.name, *r, read.as_ref().err()));
    }
    Ok(exit(signal, !unreadable.is_empty()))
}

/// One target's line of `fleet runs show`.
fn target_line(name: &str, record: Option<&RunRecord>, unreadable: Option<&TargetError>) -> String {
    if let Some(e) = unreadable {
        return format!("{name}: cannot be read: {}", brief(&e.message));
    }
    let Some(r) = record else {
        return format!("{name}: not reached");
    };
    let mut line = format!("{name}: {}", Ended::of(Some(r)).as_str());
    for (word, direction) in [("applied", Direction::Up), ("reverted", Direction::Down)] {
        let changes: Vec<String> = r
            .changes
            .iter()
            .filter(|c| c.direction == direction)
            .map(|c| format!("{} ({})", c.name, c.at.format("%H:%M:%S")))
            .collect();
        if !changes.is_empty() {
            let _ = write!(line, "; {word} {}", changes.join(", "));
        }
    }
    if let Some(e) = &r.error {
        let _ = write!(line, "; error: {}", brief(e));
    }
    line
}

fn unreadable<'r>(fleet: &Fleet<'_, '_>, read: &'r Read) -> Vec<(String, &'r TargetError)> {
    fleet
        .targets()
        .iter()
        .zip(read)
        .filter_map(|(t, r)| r.as_ref().err().map(|e| (t.name.clone(), e)))
        .collect()
}

fn unreadable_json(list: &[(String, &TargetError)]) -> Value {
    Value::Array(
        list.iter()
            .map(|(name, e)| json!({"name": name, "error": e.message}))
            .collect(),
    )
}

fn exit(signal: Option<i32>, unreadable: bool) -> ExitCode {
    match signal {
        Some(signal) => super::signal_exit(signal),
        None if unreadable => ExitCode::FAILURE,
        None => ExitCode::SUCCESS,
    }
}

/// Before `fleet down --run ID` reverts anything: every target's plan, read without a lock. Refuses (changing
/// nothing) when no target has a record of the run, or when a target has migrations applied after the run's
/// and `force_later` is not given; with it, lists what else will be reverted.
pub fn check_revert(
    fleet: &Fleet<'_, '_>,
    id: &str,
    force_later: bool,
    stop: &migrate_core::fleet::Stop,
) -> Result<()> {
    let plans = super::per_target(fleet.targets().len(), |each| {
        fleet.read_each(stop, &|i, session| {
            each(
                i,
                session.and_then(|s| {
                    fleet::revert_plan(s.client, s.table, id).map_err(|e| TargetError::of(&e))
                }),
            );
        });
    });
    if let Some(signal) = stop.requested() {
        bail!("stopped by signal {signal} before anything was reverted");
    }
    let targets = fleet.targets();
    let mut visited = 0;
    let mut refused = Vec::new();
    for (t, plan) in targets.iter().zip(&plans) {
        match plan {
            Ok(Some(plan)) => {
                visited += 1;
                if plan.later.is_empty() {
                    continue;
                }
                let by = if plan.later_runs.is_empty() {
                    String::new()
                } else {
                    format!(" by run {}", plan.later_runs.join(", "))
                };
                let line = format!(
                    "{}: {} applied after the run's migrations{by}",
                    t.name,
                    plan.later.join(", ")
                );
                if force_later {
                    errln!("{line}: reverted first (--force-later)");
                } else {
                    refused.push(line);
                }
            }
            Ok(None) => {}
            // Reverting goes on where it can; the target's own run reports why it cannot.
            Err(e) => errln!("warning: {}: cannot be read: {}", t.name, brief(&e.message)),
        }
    }
    if visited == 0 {
        bail!(
            "run {id} is recorded on none of the {} target(s): nothing to revert (`migrate fleet runs` lists recent runs)",
            targets.len()
        );
    }
    if !refused.is_empty() {
        bail!(
            "run {id} cannot be reverted as it stands, nothing was reverted: on {} target(s) migrations were \
             applied after the run's, and reverting the run's under them would leave them on top of what they \
             may need:\n  {}\nrevert those first, or give --force-later to revert them too (first, newest first)",
            refused.len(),
            refused.join("\n  ")
        );
    }
    Ok(())
}
