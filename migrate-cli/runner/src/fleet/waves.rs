//! `fleet up --stages 1,5%,25%,100%`: the rollout in waves, each started once the one before succeeded on
//! every target and the health check (`--health-check SQL`) passed after `--pause-between`. One run id over
//! every wave: the waves are one rollout, and `fleet down --run ID` reverts all of it.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use migrate_core::fleet::{Fleet, FleetOptions, Stop, Target};
use migrate_core::{Migrator, UpTarget};
use serde_json::json;

use crate::connect;
use crate::stdio::{errln, outln};

use super::args::{FleetUpArgs, HealthCheckOn};
use super::{config, run_wave, signal_exit, summary::brief, watch_signals, CliConnector};

/// How long a health check may run before it counts as failed.
const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// Each wave's end (exclusive) in the fleet's order, from `stages` (`N` targets or `P%` of `total`, counted
/// from the first target). Stages that add no target are dropped; the last must reach every target.
pub fn wave_ends(stages: &[String], total: usize) -> Result<Vec<usize>> {
    let mut ends: Vec<usize> = Vec::new();
    for stage in stages {
        let text = stage.trim();
        let end = match text.strip_suffix('%') {
            Some(percent) => {
                let p: f64 = percent.trim().parse().ok().filter(|p: &f64| *p > 0.0 && *p <= 100.0).ok_or_else(|| {
                    anyhow!("invalid stage {stage:?} in --stages: a percentage is above 0 and at most 100 (5%)")
                })?;
                // Rounded up: 5% of 10 targets is one target, not none.
                ((total as f64) * p / 100.0).ceil() as usize
            }
            None => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| anyhow!("invalid stage {stage:?} in --stages: a stage is a number of targets (at least 1) or a percentage (5%)"))?
                .min(total),
        };
        if let Some(&last) = ends.last() {
            if end < last {
                bail!("invalid --stages {}: stage {stage:?} reaches fewer targets than the one before it; each stage counts from the first target", stages.join(","));
            }
            if end == last {
                continue;
            }
        }
        ends.push(end);
    }
    if ends.last() != Some(&total) {
        bail!(
            "--stages {} reaches {} of the {total} target(s): the last stage must reach every target (100%)",
            stages.join(","),
            ends.last().copied().unwrap_or(0)
        );
    }
    Ok(ends)
}

/// `fleet up --stages ...`.
pub fn up_in_waves(
    settings: &crate::Settings,
    migrator: Migrator<'_>,
    connector: &CliConnector,
    args: &FleetUpArgs,
    target: &UpTarget,
    options: FleetOptions,
) -> Result<ExitCode> {
    let targets = config::targets(settings, &args.targets)?;
    // The whole fleet first: its list checked, its names filled in, and the run's id.
    let fleet = Fleet::new(migrator.clone(), targets, connector, options.clone())?;
    let all: Vec<Target> = fleet.targets().to_vec();
    let run_id = fleet.run_id().to_owned();
    let ends = wave_ends(&args.stages, all.len())?;
    let sizes: Vec<String> = ends
        .iter()
        .scan(0, |start, &end| {
            let size = end - *start;
            *start = end;
            Some(size.to_string())
        })
        .collect();
    errln!(
        "fleet up: run {run_id}, {} wave(s) of {} target(s)",
        ends.len(),
        sizes.join(", ")
    );
    let stop = watch_signals();
    let started = Instant::now();
    let mut waves_json = Vec::new();
    let mut start = 0;
    let mut outcome: Option<(ExitCode, String)> = None;
    for (k, &end) in ends.iter().enumerate() {
        let wave = k + 1;
        let mut wave_options = options.clone();
        wave_options.run_id = Some(run_id.clone());
        // The time budget is the whole rollout's.
        if let Some(budget) = options.max_duration {
            wave_options.max_duration = Some(budget.saturating_sub(started.elapsed()));
        }
        let part = Fleet::new(
            migrator.clone(),
            all[start..end].to_vec(),
            connector,
            wave_options,
        )?;
        errln!(
            "wave {wave} of {}: {} target(s), {} to {}",
            ends.len(),
            end - start,
            all[start].name,
            all[end - 1].name
        );
        if !args.targets.json {
            outln!("wave {wave} of {}: {} target(s)", ends.len(), end - start);
        }
        let ended = run_wave(
            &part,
            connector,
            &args.targets,
            settings,
            "up",
            &stop,
            |stop, events| part.up(target, stop, events),
        )?;
        waves_json.extend(
            ended
                .json
                .clone()
                .map(|report| json!({"wave": wave, "report": report})),
        );
        if !ended.ok {
            let why = format!(
                "wave {wave} of {} did not succeed on every target: the rollout stops before the next wave ({end} of {} target(s) reached); `fleet status` shows where each target stands, and running the same command again resumes",
                ends.len(),
                all.len()
            );
            outcome = Some((ended.code, why));
            break;
        }
        if end == all.len() {
            break;
        }
        if let Some(pause) = args.pause_between {
            errln!(
                "pausing {} before the health check of wave {wave}",
                humantime::format_duration(pause)
            );
            if let Some(signal) = pause_for(pause, &stop) {
                outcome = Some((
                    signal_exit(signal),
                    format!("stopped by signal while pausing after wave {wave}"),
                ));
                break;
            }
        }
        if let Some(sql) = &args.health_check {
            match health_check(
                settings,
                args,
                sql,
                &all[..end],
                connector,
                &migrator,
                &options,
                &stop,
            ) {
                Ok(()) => errln!("health check after wave {wave} passed"),
                Err(e) => {
                    let why = format!(
                        "health check after wave {wave} of {} failed: {e}; the rollout stops before wave {} ({end} of {} target(s) rolled out); `fleet status` shows where each target stands",
                        ends.len(),
                        wave + 1,
                        all.len()
                    );
                    outcome = Some((ExitCode::FAILURE, why));
                    break;
                }
            }
        }
        start = end;
    }
    let stopped = outcome.as_ref().map(|(_, why)| why.clone());
    if args.targets.json {
        let report = json!({
            "command": "up",
            "run_id": run_id,
            "waves": waves_json,
            "stopped": stopped,
            "duration_ms": started.elapsed().as_millis() as u64,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).context("cannot write the report")?
        );
    } else if let Some(why) = &stopped {
        outln!("stopped: {why}");
    } else {
        outln!(
            "fleet up: every wave done, {} target(s) in {:.1} s, run {run_id}",
            all.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(outcome.map_or(ExitCode::SUCCESS, |(code, _)| code))
}

/// Waits `pause`, or until a stop is requested (its signal).
fn pause_for(pause: Duration, stop: &Stop) -> Option<i32> {
    let until = Instant::now() + pause;
    while Instant::now() < until {
        if let Some(signal) = stop.requested() {
            return Some(signal);
        }
        std::thread::sleep(
            Duration::from_millis(100).min(until.saturating_duration_since(Instant::now())),
        );
    }
    stop.requested()
}

/// Runs the health check where `--health-check-on` says: `Ok` when it returned true everywhere.
#[allow(clippy::too_many_arguments)]
fn health_check(
    settings: &crate::Settings,
    args: &FleetUpArgs,
    sql: &str,
    done: &[Target],
    connector: &CliConnector,
    migrator: &Migrator<'_>,
    options: &FleetOptions,
    stop: &Stop,
) -> Result<(), String> {
    match args.health_check_on {
        HealthCheckOn::Control => {
            let control =
                config::control_url(settings, &args.targets).map_err(|e| e.to_string())?;
            let db = connect::resolve(control.as_deref().or(settings.url()))
                .map_err(|e| format!("{e:#}"))?;
            let mut client = db
                .connect(settings.connect_timeout)
                .map_err(|e| format!("cannot connect to {}: {e:#}", db.display))?;
            check_on(&mut client, sql).map_err(|e| format!("on {}: {}", db.display, db.scrub(&e)))
        }
        HealthCheckOn::Targets => {
            let mut read_options = options.clone();
            read_options.run_id = None;
            let fleet = Fleet::new(migrator.clone(), done.to_vec(), connector, read_options)
                .map_err(|e| e.to_string())?;
            let failed = super::per_target(done.len(), |each| {
                fleet.read_each(stop, &|i, session| {
                    each(
                        i,
                        session.and_then(|s| {
                            check_on(s.client, sql)
                                .map_err(migrate_core::fleet::TargetError::message)
                        }),
                    );
                });
            });
            let failed: Vec<String> = done
                .iter()
                .zip(&failed)
                .filter_map(|(t, r)| {
                    r.as_ref()
                        .err()
                        .map(|e| format!("{}: {}", t.name, brief(&e.message)))
                })
                .collect();
            match failed.len() {
                0 => Ok(()),
                n => Err(format!(
                    "on {n} of {} target(s): {}{}",
                    done.len(),
                    failed
                        .iter()
                        .take(10)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; "),
                    if n > 10 {
                        format!("; and {} more", n - 10)
                    } else {
                        String::new()
                    }
                )),
            }
        }
    }
}

/// Runs `sql` read-only with a time limit: `Ok` when its first row's first column is true.
fn check_on(client: &mut postgres::Client, sql: &str) -> Result<(), String> {
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(|e| connect::describe(&e))?;
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {}",
        HEALTH_CHECK_TIMEOUT.as_millis()
    ))
    .map_err(|e| connect::describe(&e))?;
    let messages = tx.simple_query(sql).map_err(|e| connect::describe(&e))?;
    let first = messages.iter().find_map(|m| match m {
        postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
        _ => None,
    });
    let _ = tx.rollback();
    match first {
        Some(Some(value)) if value == "t" || value == "true" => Ok(()),
        Some(Some(value)) => Err(format!("it returned {value:?}, not true")),
        Some(None) => Err("it returned NULL, not true".to_owned()),
        None => Err("it returned no row".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::wave_ends;

    fn stages(list: &str) -> Vec<String> {
        list.split(',').map(str::to_owned).collect()
    }

    #[test]
    fn stages_are_counted_from_the_first_target_and_must_reach_every_one() {
        assert_eq!(
            wave_ends(&stages("1,5%,25%,100%"), 200).unwrap(),
            [1, 10, 50, 200]
        );
        // Rounded up, and a stage that adds no target is dropped.
        assert_eq!(wave_ends(&stages("1,5%,100%"), 10).unwrap(), [1, 10]);
        assert_eq!(wave_ends(&stages("3,100%"), 2).unwrap(), [2]);
        for (bad, said) in [
            ("1,50%", "must reach every target"),
            ("10%,5,100%", "fewer targets than the one before"),
            ("0,100%", "at least 1"),
            ("150%", "at most 100"),
            ("x,100%", "a number of targets"),
        ] {
            let e = wave_ends(&stages(bad), 100).unwrap_err().to_string();
            assert!(e.contains(said), "{bad}: {e}");
        }
    }
}
