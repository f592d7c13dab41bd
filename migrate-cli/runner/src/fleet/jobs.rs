//! `fleet work` and `fleet jobs`: every target's background jobs, worked in the target's own schema or
//! database, and listed with the fleet's total.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use migrate_core::fleet::Fleet;
use migrate_core::{Job, JobState, WorkOptions, WorkReport};
use serde_json::{json, Value};

use crate::stdio::{errln, out, outln};

use super::args::{FleetJobsArgs, FleetWorkArgs};
use super::summary::brief;

/// `fleet work`.
pub fn work(fleet: &Fleet<'_, '_>, args: &FleetWorkArgs) -> Result<ExitCode> {
    let mut options = WorkOptions::default();
    options.migrations = args.migrations.clone();
    options.budget = args.budget;
    options.name = args.name.clone().unwrap_or_default();
    let stop = super::watch_signals();
    let started = Instant::now();
    let results = super::per_target(fleet.targets().len(), |each| {
        fleet.work(&options, &stop, &|_| {}, each);
    });
    let targets = fleet.targets();
    let (mut rows, mut batches, mut finished, mut left, mut failed) = (0, 0, 0, 0, 0);
    let mut lines = Vec::new();
    let mut listed = Vec::new();
    for (t, result) in targets.iter().zip(&results) {
        match result {
            Ok(report) => {
                rows += report.rows;
                batches += report.batches;
                finished += report.finished.len();
                let unfinished = report.stopped.is_some() || !report.left.is_empty();
                left += usize::from(unfinished);
                failed += usize::from(!report.failed.is_empty());
                if report.batches > 0
                    || unfinished
                    || !report.failed.is_empty()
                    || !report.finished.is_empty()
                {
                    lines.push(format!("{}: {}", t.name, work_line(report)));
                }
                listed.push(json!({
                    "name": t.name,
                    "schema": t.schema,
                    "rows": report.rows,
                    "batches": report.batches,
                    "finished": report.finished,
                    "failed": report.failed,
                    "stopped": report.stopped,
                    "left": report.left.iter().map(|l| l.job.summary()).collect::<Vec<_>>(),
                    "error": Value::Null,
                }));
            }
            Err(e) => {
                failed += 1;
                lines.push(format!("{}: FAILED: {}", t.name, brief(&e.message)));
                listed.push(json!({ "name": t.name, "schema": t.schema, "error": e.message }));
            }
        }
    }
    let summary = format!(
        "fleet work: {} target(s) in {:.1} s, {rows} row(s) in {batches} batch(es), {finished} job(s) finished; \
         {left} target(s) with jobs left, {failed} failed",
        targets.len(),
        started.elapsed().as_secs_f64()
    );
    if args.targets.json {
        let json = json!({
            "targets": listed,
            "summary": { "targets": targets.len(), "rows": rows, "batches": batches, "finished": finished,
                         "with_jobs_left": left, "failed": failed },
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).context("cannot write the report")?
        );
    } else {
        for line in &lines {
            outln!("{line}");
        }
        outln!("{summary}");
    }
    if let Some(signal) = stop.requested() {
        return Ok(super::signal_exit(signal));
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn work_line(report: &WorkReport) -> String {
    let mut line = format!(
        "worked {} row(s) in {} batch(es)",
        report.rows, report.batches
    );
    for id in &report.finished {
        line.push_str(&format!("; job {id} finished"));
    }
    for id in &report.failed {
        line.push_str(&format!(
            "; job {id} FAILED (`migrate jobs` on this target says why)"
        ));
    }
    if let Some(why) = &report.stopped {
        line.push_str(&format!("; stopped: {why}, jobs are left for the next run"));
    }
    for l in &report.left {
        line.push_str(&format!("; left: {} ({:?})", l.job.summary(), l.why));
    }
    line
}

/// Whether a job still holds its migration's gate.
fn unfinished(job: &Job) -> bool {
    !matches!(job.state, JobState::Finished | JobState::Cancelled)
}

/// `fleet jobs`.
pub fn jobs(fleet: &Fleet<'_, '_>, args: &FleetJobsArgs) -> Result<ExitCode> {
    let stop = super::watch_signals();
    let results = super::per_target(fleet.targets().len(), |each| fleet.jobs(&stop, each));
    let targets = fleet.targets();
    let all: Vec<&Job> = results.iter().flatten().flatten().collect();
    let count = |state: JobState| all.iter().filter(|j| j.state == state).count();
    let with_unfinished = results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|jobs| jobs.iter().any(unfinished)))
        .count();
    let rows_done: u64 = all.iter().map(|j| j.rows_done).sum();
    let estimated: u64 = all.iter().map(|j| j.estimated_rows).sum();
    let unreadable = results.iter().filter(|r| r.is_err()).count();
    if args.targets.json {
        let listed: Vec<Value> = targets
            .iter()
            .zip(&results)
            .map(|(t, r)| match r {
                Ok(jobs) => json!({
                    "name": t.name,
                    "schema": t.schema,
                    "jobs": jobs.iter().map(|j| serde_json::to_value(j).unwrap_or_default()).collect::<Vec<_>>(),
                    "error": Value::Null,
                }),
                Err(e) => json!({ "name": t.name, "schema": t.schema, "jobs": [], "error": e.message }),
            })
            .collect();
        let mut summary = serde_json::Map::new();
        summary.insert("targets".to_owned(), json!(targets.len()));
        summary.insert("jobs".to_owned(), json!(all.len()));
        for state in [
            JobState::Active,
            JobState::Paused,
            JobState::Failed,
            JobState::Finished,
            JobState::Cancelled,
        ] {
            summary.insert(state.as_str().to_owned(), json!(count(state)));
        }
        summary.insert("targets_unfinished".to_owned(), json!(with_unfinished));
        summary.insert("rows_done".to_owned(), json!(rows_done));
        summary.insert("estimated_rows".to_owned(), json!(estimated));
        summary.insert("unreadable".to_owned(), json!(unreadable));
        let json = json!({ "targets": listed, "summary": summary });
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).context("cannot write the jobs")?
        );
    } else {
        let mut text = String::new();
        for (t, r) in targets.iter().zip(&results) {
            match r {
                Ok(jobs) => {
                    for job in jobs.iter().filter(|j| unfinished(j)) {
                        text.push_str(&format!("{}: {}\n", t.name, job.summary()));
                    }
                }
                Err(e) => errln!("error: {}: {}", t.name, brief(&e.message)),
            }
        }
        text.push_str(&format!(
            "fleet jobs: {} target(s), {} job(s): {} active, {} paused, {} failed, {} finished, {} cancelled; \
             {with_unfinished} target(s) with unfinished jobs; {rows_done} of about {estimated} row(s) done\n",
            targets.len(),
            all.len(),
            count(JobState::Active),
            count(JobState::Paused),
            count(JobState::Failed),
            count(JobState::Finished),
            count(JobState::Cancelled),
        ));
        out!("{text}");
    }
    if let Some(signal) = stop.requested() {
        return Ok(super::signal_exit(signal));
    }
    if unreadable > 0 {
        return Ok(ExitCode::FAILURE);
    }
    if args.fail_on_unfinished && with_unfinished > 0 {
        return Ok(ExitCode::from(crate::EXIT_STATUS_PROBLEMS));
    }
    Ok(ExitCode::SUCCESS)
}
