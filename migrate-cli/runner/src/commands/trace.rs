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
    let migrator = Migrator::new(registry.migrations.as_slice())
        .repeatables(registry.repeatables.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        .notices(notices.clone());
    let names: Vec<String> = if args.names.is_empty() {
        // What `up` would run: the pending migrations, then the new and changed repeatable ones (which have
        // no `down`).
        let mut client = db.connect(settings.connect_timeout)?;
        let pending = migrator
            .status(&mut client)?
            .migrations
            .into_iter()
            .filter(|e| matches!(e.state, State::Pending | State::OutOfOrder))
            .map(|e| e.name);
        let repeatables: Vec<String> = if args.down {
            Vec::new()
        } else {
            migrator
                .repeatable_status(&mut client)?
                .into_iter()
                .filter(|r| matches!(r.state, RepeatableState::New | RepeatableState::Changed))
                .map(|r| r.name)
                .collect()
        };
        pending.chain(repeatables).collect()
    } else {
        // An unknown name fails here, before a scratch database is made.
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
        args.names.clone()
    };
    if names.is_empty() {
        outln!(
            "nothing to trace: no migration is pending on {}; name migrations to trace applied ones",
            db.display
        );
        return Ok(ExitCode::SUCCESS);
    }
    let data = match &args.data {
        Some(path) => Some((
            crate::schema_file::shown(path),
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the data file {}", path.display()))?,
        )),
        None => None,
    };
    let scratch = Scratch::create(db, settings, "trace", "trace")?;
    let mut client = scratch
        .target()
        .connect_collecting(settings.connect_timeout, &notices)?;
    let watcher = scratch.target().connect(settings.connect_timeout)?;
    let options = trace::Options {
        rows: args.rows.unwrap_or(0),
        data: data
            .as_ref()
            .map(|(file, sql)| (file.as_str(), sql.as_str())),
    };
    let result = if args.down {
        trace::run_down(&migrator, &mut client, watcher, &names, &options)
    } else {
        trace::run(&migrator, &mut client, watcher, &names, &options)
    };
    drop(client);
    drop(scratch);
    let trace = result?;
    match args.format {
        TraceFormat::Text => out!("{}", crate::trace_output::text(&trace)),
        TraceFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&crate::trace_output::json(&trace))
                .context("cannot serialise the trace")?
        ),
        TraceFormat::Github => out!("{}", crate::trace_output::github(&trace)),
    }
    if trace.gate_failures() > 0 {
        return Ok(ExitCode::from(crate::EXIT_TRACE_GATE));
    }
    Ok(ExitCode::SUCCESS)
}
