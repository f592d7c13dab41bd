//! `drift`: whether the live schema of the database is the one its applied migrations give. That schema is
//! built on a scratch database (created and dropped) by applying exactly the migrations the database
//! records, so a migration not applied yet is not drift; then both are described from the catalog, as the
//! schema file is, and compared object by object.

use std::process::ExitCode;

use anyhow::{anyhow, Context as _, Result};
use migrate_core::schema::drift::{compare, Drift, Ignore};
use migrate_core::{Migration, MigrationsTable, Migrator, Registry, State, Status, UpTarget};

use super::context::Context;
use crate::scratch::Scratch;
use crate::stdio::outln;

pub(super) fn drift(context: &Context<'_>, json: bool, ignore: &[String]) -> Result<ExitCode> {
    let settings = context.settings;
    let db = context.target()?;
    let mut client = db.connect(settings.connect_timeout)?;
    let report = context.migrator().status_report(&mut client)?;
    if let Some(why) = in_progress(&report) {
        anyhow::bail!("cannot tell whether {} drifted: {why}", db.display);
    }
    let status = report.into_status();
    let applied = applied_files(&status, context.registry.migrations.as_slice()).map_err(|unknown| {
        anyhow!(
            "cannot build the schema the applied migrations give: {} {} applied without a file here, or failed \
             part-way (see `status`), so no scratch database can be brought to the same version",
            unknown.join(", "),
            if unknown.len() == 1 { "is" } else { "are" }
        )
    })?;
    let expected = on_scratch(
        settings,
        &db,
        ("drift", context.registry),
        (&applied, &settings.table),
        |_| Ok(()),
        |scratch| Ok(migrate_core::schema::describe(scratch, &settings.table)?),
    )?;
    let live = migrate_core::schema::describe(&mut client, &settings.table)?;
    let drifts = compare(&expected, &live, &ignore_patterns(settings, ignore));
    if json {
        let report = serde_json::json!({
            "database": db.display,
            "applied": applied.len(),
            "drift": drifts,
        });
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&drifts, &db.display, applied.len());
    }
    Ok(if drifts.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_DRIFT)
    })
}

/// Why no scratch database can be brought to the schema of a database with a migration in progress: that
/// migration took effect in part, so its schema is between two versions, and what the migration added so far
/// is no change made by hand. `None` when none is in progress.
pub(crate) fn in_progress(report: &migrate_core::StatusReport<'_>) -> Option<String> {
    let row = report.in_progress().first()?;
    let undo = match row.direction {
        migrate_core::Direction::Up => " (or undo its part with `down`)",
        migrate_core::Direction::Down => "",
    };
    Some(format!(
        "migration {} is in progress (stopped part-way during `{}`, {} statement(s) took effect), so its schema \
         is between two versions, which no scratch database can be brought to; finish it with `{}`{undo}, then \
         run `drift` again",
        row.name,
        row.direction,
        row.done.len(),
        row.direction
    ))
}

/// The migrations `status` records as applied, as files of `migrations`, in their order; or the names of
/// those no scratch database can be brought to: applied without a file here (missing, ahead, squashed) or
/// failed part-way.
pub(crate) fn applied_files(
    status: &Status,
    migrations: &[Migration],
) -> std::result::Result<Vec<Migration>, Vec<String>> {
    let unknown: Vec<String> = status
        .migrations
        .iter()
        .filter(|e| {
            matches!(
                e.state,
                State::Missing | State::Ahead | State::Squashed | State::Failed
            )
        })
        .map(|e| e.name.clone())
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    // A set: with thousands of migrations, a search of the entries per file would be quadratic.
    let applied: std::collections::HashSet<&str> = status
        .migrations
        .iter()
        .filter(|e| e.applied.is_some())
        .map(|e| e.name.as_str())
        .collect();
    Ok(migrations
        .iter()
        .filter(|m| applied.contains(m.name()))
        .copied()
        .collect())
}

/// The schema `applied` gives with `table` as the migrations table: a scratch database of `db`'s server
/// (for `command`'s messages) created, `prepare`d, brought to exactly `applied` and the registry's
/// repeatable migrations (the objects they define are the migrations', not changes by hand), `describe`d,
/// and dropped.
pub(crate) fn on_scratch<T>(
    settings: &crate::Settings,
    db: &crate::connect::Target,
    (command, registry): (&str, &Registry),
    (applied, table): (&[Migration], &MigrationsTable),
    prepare: impl FnOnce(&mut postgres::Client) -> Result<()>,
    describe: impl FnOnce(&mut postgres::Client) -> Result<T>,
) -> Result<T> {
    let scratch = Scratch::create(db, settings, "drift", command)?;
    let mut client = scratch.target().connect(settings.connect_timeout)?;
    prepare(&mut client)?;
    Migrator::new(applied)
        .repeatables(registry.repeatables.as_slice())
        .table(table.clone())
        .timeouts(settings.timeouts.clone())
        .finish_jobs(true)
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .context("the applied migrations do not apply to an empty database")?;
    describe(&mut client)
}

fn print(drifts: &[Drift], database: &str, applied: usize) {
    if drifts.is_empty() {
        outln!(
            "no drift: {database} has exactly the schema its {applied} applied migration(s) give"
        );
        return;
    }
    outln!(
        "drift on {database}: {} object(s) differ from the schema its {applied} applied migration(s) give",
        drifts.len()
    );
    print_objects(drifts);
}

/// Each object that differs, with its lines.
pub(crate) fn print_objects(drifts: &[Drift]) {
    for d in drifts {
        outln!("  {} {}: {}", d.kind, d.name, d.change.describe());
        for line in &d.lines {
            outln!("      {line}");
        }
    }
}

/// What `drift` leaves out: `drift_ignore` of `migrate.toml` and the command's `--ignore` patterns.
pub(crate) fn ignore_patterns(settings: &crate::Settings, extra: &[String]) -> Ignore {
    let mut patterns = settings
        .config
        .file
        .drift_ignore
        .clone()
        .unwrap_or_default();
    patterns.extend(extra.iter().cloned());
    Ignore::new(patterns)
}
