//! `work` and `jobs`: the background jobs migrations queue (`.in_background()` backfills). `work` runs
//! their batches until none is left or its budget is spent, sharing them with any other worker; `jobs`
//! lists them with their progress, or pauses, resumes, retries or cancels one.

use std::process::ExitCode;

use anyhow::Result;
use migrate_core::{Job, JobChange, JobError, LeftJob, WhyLeft, WorkOptions};
use serde_json::json;

use super::context::Context;
use crate::args::{JobsAction, WorkArgs};
use crate::run_log::RunLog;
use crate::stdio::outln;

pub(super) fn work(context: &Context<'_>, args: &WorkArgs) -> Result<ExitCode> {
    let db = context.target()?;
    let migrator = context.migrator();
    let mut options = WorkOptions::default();
    options.jobs = args.jobs.clone();
    options.migrations = args.migrations.clone();
    options.budget = args.budget;
    options.name = args.name.clone().unwrap_or_default();
    let mut log = RunLog::open(&args.log, "work")?;
    log.start(
        json!({ "jobs": args.jobs, "migrations": args.migrations }),
        &db.display,
    );
    let mut client = log.check(db.connect(context.settings.connect_timeout))?;
    log.check(context.on_signals(&client, &db))?;
    let result = migrator
        .work(&mut client, &options, &mut |e| log.event(e))
        .map_err(|e| context.ended(e, &client));
    let report = log.check(result)?;
    log.finish(&[]);
    outln!(
        "worked {} row(s) in {} batch(es) on {}{}",
        report.rows,
        report.batches,
        db.display,
        match (&report.stopped, report.left.len()) {
            (Some(why), _) => format!("; stopped: {why}, jobs are left for the next worker"),
            (None, 0) => "; no job is left".to_owned(),
            (None, n) =>
                format!("; no active job is left, and {n} job(s) it was given are not finished:"),
        }
    );
    for left in &report.left {
        outln!("  {}", left_line(left));
    }
    for id in &report.finished {
        outln!("background job {id} finished");
    }
    if report.failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    // The failures, each with its cause, as the error of the run.
    let jobs = migrator.jobs(&mut client)?;
    let failed: Vec<String> = jobs
        .iter()
        .filter(|j| report.failed.contains(&j.id))
        .map(|j| {
            JobError::Failed {
                id: j.id,
                migration: j.migration.clone(),
                position: j.position,
                error: j.error.clone().unwrap_or_default(),
            }
            .to_string()
        })
        .collect();
    anyhow::bail!("{}", failed.join("\n"))
}

pub(super) fn jobs(
    context: &Context<'_>,
    action: Option<&JobsAction>,
    json: bool,
) -> Result<ExitCode> {
    let db = context.target()?;
    let mut client = db.connect(context.settings.connect_timeout)?;
    let migrator = context.migrator();
    let change = match action {
        None => {
            let jobs = migrator.jobs(&mut client)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&as_json(&jobs))?);
            } else {
                print_list(&jobs, &db.display);
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(JobsAction::Pause { id }) => (*id, JobChange::Pause),
        Some(JobsAction::Resume { id }) => (*id, JobChange::Resume),
        Some(JobsAction::Retry { id }) => (*id, JobChange::Retry),
        Some(JobsAction::Cancel { id }) => (*id, JobChange::Cancel),
    };
    let job = migrator.change_job(&mut client, change.0, change.1)?;
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&as_json(std::slice::from_ref(&job)))?
        );
    } else {
        outln!("{}", job.summary());
    }
    Ok(ExitCode::SUCCESS)
}

/// A job the worker was given and left unfinished, with what lets it go on.
fn left_line(left: &LeftJob) -> String {
    let (job, id) = (&left.job, left.job.id);
    match left.why {
        WhyLeft::Paused => format!(
            "{}: no worker runs it until it is resumed (`migrate jobs resume {id}`)",
            job.summary()
        ),
        WhyLeft::Failed => format!(
            "{}: it failed before this run ({}); fix the cause, then `migrate jobs retry {id}`",
            job.summary(),
            job.error.as_deref().unwrap_or("no error recorded")
        ),
        WhyLeft::NotThisBinary => format!(
            "{}: its migration is not among this runner's; a worker of the release that queued it runs it",
            job.summary()
        ),
        _ => job.summary(),
    }
}

fn as_json(jobs: &[Job]) -> serde_json::Value {
    let jobs: Vec<serde_json::Value> = jobs
        .iter()
        .map(|j| {
            let mut value = serde_json::to_value(j).unwrap_or_default();
            value["rate"] = json!(j.rate());
            value["time_left_s"] = json!(j.time_left().map(|t| t.as_secs()));
            value
        })
        .collect();
    json!({ "jobs": jobs })
}

fn print_list(jobs: &[Job], database: &str) {
    if jobs.is_empty() {
        outln!("no background jobs on {database}");
        return;
    }
    outln!("background jobs on {database}:");
    for job in jobs {
        let mut line = format!("  {}", job.summary());
        if let Some(rate) = job.rate() {
            line.push_str(&format!(", {rate:.0} rows/s"));
        }
        if let Some(left) = job.time_left() {
            line.push_str(&format!(
                ", about {} left",
                humantime::format_duration(std::time::Duration::from_secs(left.as_secs()))
            ));
        }
        if job.batches_pending > 0 {
            line.push_str(&format!(", {} batch(es) pending", job.batches_pending));
        }
        outln!("{line}");
        if let Some(error) = &job.error {
            outln!("    error: {error}");
        }
    }
}
