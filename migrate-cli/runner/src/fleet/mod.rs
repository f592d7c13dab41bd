//! `migrate fleet up|down|status|drift|sql|runs|work|jobs`: the same migrations over many targets (a database or a schema per
//! tenant, shards on several servers), with the engine's [`migrate_core::fleet`]. Here: the target list
//! from the command line or `[fleet]` in `migrate.toml` (`config`), the sessions (`connector`), the
//! progress display (`progress`), the summary and JSON report (`summary`), SIGINT/SIGTERM, and the
//! application's API (`embed`).
//!
//! Exit status: 0 when every target is done (or, for `status`, readable without a problem); 1 when a target
//! failed, was unreachable or interrupted by a failure policy; 3 when only targets another runner held to
//! the end are left (`--lock-mode fail`); 1 too when the time budget (`--max-duration`) was spent before every
//! target was done; 5 when `status` finds a problem (or, with `--fail-on-pending`,
//! pending migrations); 130/143 on SIGINT/SIGTERM.

pub(crate) mod args;
pub(crate) mod config;
mod connector;
mod drift;
pub(crate) mod embed;
mod jobs;
mod progress;
mod runs;
mod summary;
mod waves;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};

use anyhow::{Context, Result};
use migrate_core::fleet::{Fleet, FleetReport, Stop, StopReason, TargetError, TargetState};
use migrate_core::{plan, signal_name, DownTarget, Migrator, Registry, UpTarget};

pub use crate::config::{CanaryConfig, FleetConfig, TargetConfig};
pub use args::FleetCommand;
pub(crate) use connector::CliConnector;

use crate::stdio::{errln, out, outln};
use args::TargetArgs;
use progress::Progress;

/// Runs a fleet command.
pub fn run(
    settings: &crate::Settings,
    registry: &Registry,
    command: &FleetCommand,
) -> Result<ExitCode> {
    // Per target as `up` on one database: the table (in each schema target's own schema), timeouts and
    // retries, how backfills pace themselves. The lock is each target's, tried (see migrate_core::fleet).
    let migrator = Migrator::new(registry.migrations.as_slice())
        .repeatables(registry.repeatables.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        .backfill_settings(settings.backfill.clone());
    let connector = CliConnector::new(settings.url().map(str::to_owned), settings.connect_timeout)
        .with_server_check(
            settings.server_check_timeout,
            settings.timeouts.idle_in_transaction_session_timeout,
        );
    match command {
        FleetCommand::Up(args) => up(settings, migrator, &connector, args),
        FleetCommand::Down(args) => down(settings, migrator, &connector, args),
        FleetCommand::Status(args) => status(settings, registry, migrator, &connector, args),
        FleetCommand::Sql(args) => sql_command(settings, migrator, &connector, args),
        FleetCommand::Drift(args) => drift::drift(settings, registry, migrator, &connector, args),
        FleetCommand::Runs(args) => {
            let options = config::options(settings, &args.targets, None)?;
            let fleet = checked(settings, migrator, &connector, &args.targets, options)?;
            runs::runs(&fleet, args)
        }
        FleetCommand::Work(args) => {
            let options = config::options(settings, &args.targets, None)?;
            let fleet = checked(settings, migrator, &connector, &args.targets, options)?;
            jobs::work(&fleet, args)
        }
        FleetCommand::Jobs(args) => {
            let options = config::options(settings, &args.targets, None)?;
            let fleet = checked(settings, migrator, &connector, &args.targets, options)?;
            jobs::jobs(&fleet, args)
        }
    }
}

/// `fleet up`: the rollout of the pending migrations (to `--to`, or the expand phase alone).
fn up(
    settings: &crate::Settings,
    migrator: Migrator<'_>,
    connector: &CliConnector,
    args: &args::FleetUpArgs,
) -> Result<ExitCode> {
    let target = match (&args.to, args.expand_only) {
        (Some(name), _) => UpTarget::To(name.clone()),
        (None, true) => UpTarget::ExpandOnly,
        (None, false) => UpTarget::All,
    };
    let options = guarded(
        config::options(settings, &args.targets, Some(&args.rollout))?,
        settings,
        &args.guards,
        &args.run,
    );
    let migrator = with_guards(migrator, &args.guards).retry(args.retry.clone());
    if !args.stages.is_empty() {
        return waves::up_in_waves(settings, migrator, connector, args, &target, options);
    }
    let fleet = checked(settings, migrator, connector, &args.targets, options)?;
    rollout(
        &fleet,
        connector,
        &args.targets,
        settings,
        "up",
        &watch_signals(),
        |stop, events| fleet.up(&target, stop, events),
    )
}

/// `fleet down`: the rollout of reverts (the last migration of each target by default).
fn down(
    settings: &crate::Settings,
    migrator: Migrator<'_>,
    connector: &CliConnector,
    args: &args::FleetDownArgs,
) -> Result<ExitCode> {
    let target = match (args.count, &args.to, args.all) {
        (Some(n), _, _) => DownTarget::Count(usize::try_from(n).unwrap_or(usize::MAX)),
        (None, Some(name), _) => DownTarget::To(name.clone()),
        (None, None, true) => DownTarget::All,
        (None, None, false) => DownTarget::Count(1),
    };
    let options = guarded(
        config::options(settings, &args.targets, Some(&args.rollout))?,
        settings,
        &args.guards,
        &args.run,
    );
    let migrator = with_guards(migrator, &args.guards).recorded_downs(args.recorded);
    let fleet = checked(settings, migrator, connector, &args.targets, options)?;
    // Signals are watched once per process: the check and the revert share the stop request.
    let stop = watch_signals();
    if let Some(run) = &args.revert_run {
        runs::check_revert(&fleet, run, args.force_later, &stop)?;
        return rollout(
            &fleet,
            connector,
            &args.targets,
            settings,
            "down",
            &stop,
            |stop, events| Ok(fleet.revert_run(run, args.force_later, stop, events)),
        );
    }
    rollout(
        &fleet,
        connector,
        &args.targets,
        settings,
        "down",
        &stop,
        |stop, events| fleet.down(&target, stop, events),
    )
}

/// `fleet status`: every target read, then the table or JSON, and the exit status it calls for.
fn status(
    settings: &crate::Settings,
    registry: &Registry,
    migrator: Migrator<'_>,
    connector: &CliConnector,
    args: &args::FleetStatusArgs,
) -> Result<ExitCode> {
    let options = config::options(settings, &args.targets, None)?;
    let fleet = checked(settings, migrator, connector, &args.targets, options)?;
    let stop = watch_signals();
    let progress = Progress::new(
        fleet.targets().len(),
        args.targets.json,
        false,
        "fleet status",
        "applied",
    );
    let statuses = fleet.status(&stop, &|e| progress.event(e));
    progress.finish();
    if args.targets.json {
        let json =
            serde_json::to_string_pretty(&summary::status_json(&fleet, connector, &statuses))
                .context("cannot write the status")?;
        outln!("{json}");
    } else {
        out!(
            "{}",
            summary::status_text(&fleet, &statuses, registry.migrations.as_slice().len())
        );
    }
    if let Some(signal) = stop.requested() {
        return Ok(signal_exit(signal));
    }
    if statuses.iter().any(|s| s.error.is_some()) {
        return Ok(ExitCode::FAILURE);
    }
    let pending = args.fail_on_pending && statuses.iter().any(|s| s.pending > 0);
    if pending || statuses.iter().any(|s| !s.problems.is_empty()) {
        return Ok(ExitCode::from(crate::EXIT_STATUS_PROBLEMS));
    }
    Ok(ExitCode::SUCCESS)
}

/// `fleet sql`: the SQL `fleet up` would run, per group of targets.
fn sql_command(
    settings: &crate::Settings,
    migrator: Migrator<'_>,
    connector: &CliConnector,
    args: &args::FleetSqlArgs,
) -> Result<ExitCode> {
    let target = if args.expand_only {
        UpTarget::ExpandOnly
    } else {
        UpTarget::All
    };
    let options = config::options(settings, &args.targets, None)?;
    let fleet = checked(settings, migrator, connector, &args.targets, options)?;
    sql(&fleet, settings, &target)
}

/// The fleet of the targets the flags name (else `[fleet]`'s), run with `options`: its list is checked
/// before anything runs.
fn checked<'a, 'c>(
    settings: &crate::Settings,
    migrator: Migrator<'a>,
    connector: &'c CliConnector,
    targets: &TargetArgs,
    options: migrate_core::fleet::FleetOptions,
) -> Result<Fleet<'a, 'c>> {
    let targets = config::targets(settings, targets)?;
    Ok(Fleet::new(migrator, targets, connector, options)?)
}

/// The fleet's time budget: `--max-duration`, else `max_duration` of `migrate.toml`, as for `up`. It is the
/// whole run's (see [`FleetOptions::max_duration`](migrate_core::fleet::FleetOptions::max_duration)), not
/// each target's.
/// The run's id is `--run-id`'s, else a new one.
fn guarded(
    mut options: migrate_core::fleet::FleetOptions,
    settings: &crate::Settings,
    guards: &args::GuardArgs,
    run: &args::RunIdArgs,
) -> migrate_core::fleet::FleetOptions {
    options.max_duration = guards.max_duration.or(settings.max_duration);
    options.run_id = run.run_id.clone();
    options
}

/// Each target's migrator with `--max-replica-lag`, as `up` and `down` take it.
fn with_guards<'a>(migrator: Migrator<'a>, guards: &args::GuardArgs) -> Migrator<'a> {
    let mut backfill = migrator.backfill_setting().clone();
    if let Some(limit) = guards.max_replica_lag {
        backfill.max_replica_lag = limit;
    }
    migrator.backfill_settings(backfill)
}

/// From now on SIGINT and SIGTERM stop the fleet: no target starts, the running ones stop cleanly.
fn watch_signals() -> Stop {
    let stop = Stop::new();
    let on_signal = stop.clone();
    crate::signals::watch_with(stop.interrupt(), move |signal| {
        let running = on_signal.request(signal);
        errln!(
            "{} received: no other target starts; the {running} running target(s) stop as a single run does \
             (the running statement cancelled and its transaction rolled back; a backfill after its batch, \
             unless the signal comes again)",
            signal_name(signal)
        );
    });
    stop
}

fn signal_exit(signal: i32) -> ExitCode {
    ExitCode::from(128u8.saturating_add(u8::try_from(signal).unwrap_or(0)))
}

/// `up` or `down` with progress, the summary (or JSON report) and the exit status.
fn rollout(
    fleet: &Fleet<'_, '_>,
    connector: &CliConnector,
    args: &TargetArgs,
    settings: &crate::Settings,
    verb: &str,
    stop: &Stop,
    go: impl FnOnce(
        &Stop,
        &(dyn Fn(migrate_core::fleet::FleetEvent<'_>) + Sync),
    ) -> std::result::Result<FleetReport, migrate_core::Error>,
) -> Result<ExitCode> {
    // First, so that a run killed at once can still be looked up and reverted by its id.
    errln!("fleet {verb}: run {}", fleet.run_id());
    let wave = run_wave(fleet, connector, args, settings, verb, stop, go)?;
    if let Some(json) = &wave.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(json).context("cannot write the report")?
        );
    }
    Ok(wave.code)
}

/// How one rollout (a whole `up` or `down`, or one wave of a staged `up`) ended.
pub(crate) struct Wave {
    pub code: ExitCode,
    /// Every target done.
    pub ok: bool,
    /// The report, with `--json` (the caller prints it); the text summary was printed.
    pub json: Option<serde_json::Value>,
}

/// Runs `go` with progress, then prints the summary (or returns the JSON report), and says how it ended.
pub(crate) fn run_wave(
    fleet: &Fleet<'_, '_>,
    connector: &CliConnector,
    args: &TargetArgs,
    settings: &crate::Settings,
    verb: &str,
    stop: &Stop,
    go: impl FnOnce(
        &Stop,
        &(dyn Fn(migrate_core::fleet::FleetEvent<'_>) + Sync),
    ) -> std::result::Result<FleetReport, migrate_core::Error>,
) -> Result<Wave> {
    if let Some(note) = debug_build_note(fleet.targets().len(), cfg!(debug_assertions), verb) {
        errln!("{note}");
    }
    // A reader that went away stops the rollout where a signal would (no target starts after it).
    crate::stdio::stop_on_close(stop.interrupt());
    let ran_word = if verb == "down" {
        "reverted"
    } else {
        "applied"
    };
    let progress = Progress::new(
        fleet.targets().len(),
        args.json,
        true,
        &format!("fleet {verb}"),
        ran_word,
    );
    let report = go(stop, &|e| progress.event(e));
    progress.finish();
    let report = report?;
    let json = if args.json {
        Some(summary::run_json(fleet, connector, &report, verb))
    } else {
        out!(
            "{}",
            summary::run_text(
                fleet,
                &report,
                verb,
                settings.timeouts.idle_in_transaction_session_timeout
            )
        );
        None
    };
    let ended = |code: ExitCode, ok: bool| {
        Ok(Wave {
            code,
            ok,
            json: json.clone(),
        })
    };
    if let Some(signal) = stop.requested() {
        return ended(signal_exit(signal), false);
    }
    // A spent time budget leaves targets interrupted or not started: the run did not get where it was asked.
    let failed = [
        TargetState::Failed,
        TargetState::Unreachable,
        TargetState::Interrupted,
        TargetState::Skipped,
        TargetState::Pending,
    ]
    .iter()
    .any(|&s| report.count(s) > 0)
        || matches!(report.stopped, Some(StopReason::OutOfTime(_)));
    if failed {
        return ended(ExitCode::FAILURE, false);
    }
    if report.count(TargetState::Busy) > 0 {
        return ended(ExitCode::from(crate::EXIT_LOCK_BUSY), false);
    }
    ended(ExitCode::SUCCESS, true)
}

/// From this many targets on, a rollout by a debug build of the runner says that a release build is faster.
const LARGE_FLEET: usize = 200;

/// The note a large rollout prints when the runner is a debug build (what `migrate` builds by default, fastest
/// to compile): its unoptimised driver spends about four times a release build's CPU per target (5.3 against
/// 1.4 s for 1,000 schemas), and on a machine it shares with the server that time is the server's too.
fn debug_build_note(targets: usize, debug_build: bool, verb: &str) -> Option<String> {
    (debug_build && targets >= LARGE_FLEET).then(|| {
        format!(
            "note: {targets} targets, and this runner is a debug build: its own CPU can slow the rollout, and \
             a release build spends about a quarter of it: `migrate fleet {verb} --release` (or `profile = \
             \"release\"` under `[runner]` in migrate.toml), or an application's runner built with `cargo \
             build --release`."
        )
    })
}

/// `fleet sql`: each group of targets with the same pending migrations, and the SQL they would run. A
/// group's script is its first target's (in the fleet's order), the one its header names, whatever order
/// the targets are planned in: a schema target's script names its own migrations table.
fn sql(fleet: &Fleet<'_, '_>, settings: &crate::Settings, target: &UpTarget) -> Result<ExitCode> {
    struct Group {
        targets: Vec<usize>,
        /// The target whose script this is: the first of the group so far.
        first: usize,
        script: String,
    }
    let groups: Mutex<BTreeMap<Vec<String>, Group>> = Mutex::new(BTreeMap::new());
    let errors: Mutex<Vec<(usize, TargetError)>> = Mutex::new(Vec::new());
    let stop = watch_signals();
    fleet.plan_up(target, &stop, &|i, planned| match planned {
        Err(e) => errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((i, e)),
        Ok(steps) => {
            let key: Vec<String> = steps
                .iter()
                .map(|s| s.migration.name().to_owned())
                .collect();
            let mut groups = groups.lock().unwrap_or_else(PoisonError::into_inner);
            let group = groups.entry(key).or_insert_with(|| Group {
                targets: Vec::new(),
                first: usize::MAX,
                script: String::new(),
            });
            // Targets are planned in parallel and answer in any order: the script is rendered again only
            // when a target earlier in the fleet joins the group.
            if i < group.first {
                let table = fleet.targets()[i]
                    .migrations_table(&settings.table)
                    .unwrap_or_else(|_| settings.table.clone());
                group.script = plan::script(&steps, &table, &settings.timeouts, false);
                group.first = i;
            }
            group.targets.push(i);
        }
    });
    let targets = fleet.targets();
    let mut groups: Vec<Group> = groups
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_values()
        .collect();
    for g in &mut groups {
        g.targets.sort_unstable();
    }
    groups.sort_by_key(|g| g.targets[0]);
    let path = fleet
        .options()
        .search_path
        .iter()
        .map(|s| migrate_dsl::ident(s))
        .collect::<Vec<_>>();
    for (n, g) in groups.iter().enumerate() {
        if n > 0 {
            outln!();
        }
        let listed: Vec<&str> = g
            .targets
            .iter()
            .map(|&i| targets[i].name.as_str())
            .collect();
        outln!("-- {} target(s): {}", listed.len(), summary_names(&listed));
        let first = &targets[g.first];
        let nothing = g.script.starts_with("-- nothing to run");
        if let (Some(schema), false) = (&first.schema, nothing) {
            let mut search = vec![migrate_dsl::ident(schema)];
            search.extend(path.iter().cloned());
            outln!(
                "-- shown for {}: a schema target runs with search_path = {} (its own schema) and records in its own schema's migrations table",
                first.name,
                search.join(", ")
            );
        }
        out!("{}", g.script);
    }
    let mut errors = errors.into_inner().unwrap_or_else(PoisonError::into_inner);
    errors.sort_by_key(|(i, _)| *i);
    for (i, e) in &errors {
        errln!(
            "error: {}: {}",
            targets[*i].name,
            summary::brief(&e.message)
        );
    }
    if let Some(signal) = stop.requested() {
        return Ok(signal_exit(signal));
    }
    if !errors.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Each target's result, in the fleet's order (`None`: never reported, which a run always does).
pub(crate) fn per_target<T: Clone + Send>(
    len: usize,
    run: impl FnOnce(&(dyn Fn(usize, Result<T, TargetError>) + Sync)),
) -> Vec<Result<T, TargetError>> {
    let slots: Mutex<Vec<Option<Result<T, TargetError>>>> = Mutex::new(vec![None; len]);
    run(&|i, result| {
        slots.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(result);
    });
    slots
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Err(TargetError::message("not reached".to_owned()))))
        .collect()
}

fn summary_names(list: &[&str]) -> String {
    if list.len() <= 10 {
        return list.join(", ");
    }
    format!(
        "{}, ... and {} more",
        list[..10].join(", "),
        list.len() - 10
    )
}

#[cfg(test)]
mod tests {
    use super::{debug_build_note, LARGE_FLEET};

    #[test]
    fn only_a_large_rollout_by_a_debug_build_is_told_about_release_builds() {
        assert_eq!(debug_build_note(LARGE_FLEET - 1, true, "up"), None);
        assert_eq!(debug_build_note(5_000, false, "up"), None);
        assert!(debug_build_note(LARGE_FLEET, true, "down")
            .is_some_and(|n| n.contains("`migrate fleet down --release`")));
        let note = debug_build_note(1_000, true, "up").expect("a note for 1,000 targets");
        assert!(
            note.starts_with("note: 1000 targets, and this runner is a debug build"),
            "{note}"
        );
        assert!(note.contains("`migrate fleet up --release`"), "{note}");
        assert!(note.contains("`profile = \"release\"`"), "{note}");
    }
}
