//! `trace`: runs the pending (or named) migrations on a scratch database built from the migrations before them
//! and reports what each statement locks, rewrites and scans (see [`migrate_core::trace`]); with `--down`,
//! applies them there and traces their `down`s.

use std::process::ExitCode;

use anyhow::{Context, Result};
use migrate_core::{trace, Migrator, Notices, Registry, RepeatableState, State};

use crate::args::{TraceArgs, TraceFormat};
use crate::connect::Target;
use crate::scratch::Scratch;
use crate::settings::Settings;
use crate::stdio::{out, outln};

pub fn trace(
    settings: &Settings,
    registry: &Registry,
    db: &Target,
    args: &TraceArgs,
) -> Result<ExitCode> {
    let notices = Notices::new();
    let migrator = scratch_migrator(settings, registry, &notices);
    let names: Vec<String> = if args.names.is_empty() {
        pending_names(settings, db, &migrator, args.down)?
    } else {
        check_named(registry, &migrator, args)?;
        args.names.clone()
    };
    if names.is_empty() {
        outln!(
            "nothing to trace: no migration is pending on {}; name migrations to trace applied ones",
            db.display
        );
        return Ok(ExitCode::SUCCESS);
    }
    let data = read_data(args)?;
    let options = trace::Options {
        rows: args.rows.unwrap_or(0),
        data: data
            .as_ref()
            .map(|(file, sql)| (file.as_str(), sql.as_str())),
        only: None,
        probe_rates: false,
    };
    let trace = trace_on_scratch(
        settings, db, &migrator, &notices, &names, args.down, &options,
    )?;
    print_trace(args.format, &trace)?;
    if trace.gate_failures() > 0 {
        return Ok(ExitCode::from(crate::EXIT_TRACE_GATE));
    }
    Ok(ExitCode::SUCCESS)
}

/// The migrator of a command that runs migrations on scratch databases (`trace`, `review`): the configured
/// table and timeouts, and the server's notices collected in `notices` for the report.
pub(super) fn scratch_migrator<'r>(
    settings: &Settings,
    registry: &'r Registry,
    notices: &Notices,
) -> Migrator<'r> {
    Migrator::new(registry.migrations.as_slice())
        .repeatables(registry.repeatables.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        // A scratch database: no worker runs the background jobs.
        .finish_jobs(true)
        .notices(notices.clone())
}

/// What `up` would run: the pending migrations, then the new and changed repeatable ones (which have
/// no `down`: with `down`, none of them).
pub(super) fn pending_names(
    settings: &Settings,
    db: &Target,
    migrator: &Migrator<'_>,
    down: bool,
) -> Result<Vec<String>> {
    let mut client = db.connect(settings.connect_timeout)?;
    let pending = migrator
        .status(&mut client)?
        .migrations
        .into_iter()
        .filter(|e| matches!(e.state, State::Pending | State::OutOfOrder))
        .map(|e| e.name);
    let repeatables: Vec<String> = if down {
        Vec::new()
    } else {
        migrator
            .repeatable_status(&mut client)?
            .into_iter()
            .filter(|r| matches!(r.state, RepeatableState::New | RepeatableState::Changed))
            .map(|r| r.name)
            .collect()
    };
    Ok(pending.chain(repeatables).collect())
}

/// Plans the named migrations in the direction traced: an unknown name fails here, before a scratch
/// database is made (so does a repeatable one with `--down`, having no `down`).
fn check_named(registry: &Registry, migrator: &Migrator<'_>, args: &TraceArgs) -> Result<()> {
    let (repeatables, versioned): (Vec<String>, Vec<String>) =
        args.names.iter().cloned().partition(|name| {
            registry
                .repeatables
                .as_slice()
                .iter()
                .any(|m| m.name() == name)
        });
    if args.down {
        if let Some(name) = repeatables.first() {
            return Err(trace::TraceError::NoDown(name.clone()).into());
        }
        migrator.plan_named(&versioned, migrate_core::Direction::Down)?;
    } else {
        migrator.plan_named(&versioned, migrate_core::Direction::Up)?;
        migrator.plan_named_repeatables(&repeatables, migrate_core::Direction::Up)?;
    }
    Ok(())
}

/// The `--data` file, if given: its name as shown in the report, and its SQL.
fn read_data(args: &TraceArgs) -> Result<Option<(String, String)>> {
    let Some(path) = &args.data else {
        return Ok(None);
    };
    let file = crate::schema_file::shown(path);
    let sql = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the data file {}", path.display()))?;
    Ok(Some((file, sql)))
}

/// Traces `names` on a scratch database made for the purpose. Its connections are closed and the scratch
/// database dropped before this returns, whether the trace succeeded or not, so nothing is left open
/// while the report is printed.
fn trace_on_scratch(
    settings: &Settings,
    db: &Target,
    migrator: &Migrator<'_>,
    notices: &Notices,
    names: &[String],
    down: bool,
    options: &trace::Options<'_>,
) -> Result<trace::Trace> {
    let scratch = Scratch::create(db, settings, "trace", "trace")?;
    let mut client = scratch
        .target()
        .connect_collecting(settings.connect_timeout, notices)?;
    let watcher = scratch.target().connect(settings.connect_timeout)?;
    let result = if down {
        trace::run_down(migrator, &mut client, watcher, names, options)
    } else {
        trace::run(migrator, &mut client, watcher, names, options)
    };
    drop(client);
    drop(scratch);
    Ok(result?)
}

/// Prints the report in the format asked for.
fn print_trace(format: TraceFormat, trace: &trace::Trace) -> Result<()> {
    match format {
        TraceFormat::Text => out!("{}", crate::trace_output::text(trace)),
        TraceFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&crate::trace_output::json(trace))
                .context("cannot serialise the trace")?
        ),
        TraceFormat::Github => out!("{}", crate::trace_output::github(trace)),
    }
    Ok(())
}
