//! `drift`: whether the live schema of the database is the one its applied migrations give. That schema is
//! built on a scratch database (created and dropped) by applying exactly the migrations the database
//! records, so a migration not applied yet is not drift; then both are described from the catalog, as the
//! schema file is, and compared object by object.

use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use migrate_core::schema::drift::{compare, Drift, Ignore};
use migrate_core::{Migration, Migrator, State, UpTarget};

use super::context::Context;
use crate::scratch::Scratch;
use crate::stdio::outln;

pub(super) fn drift(context: &Context<'_>, json: bool, ignore: &[String]) -> Result<ExitCode> {
    let settings = context.settings;
    let db = context.target()?;
    let mut client = db.connect(settings.connect_timeout)?;
    let status = context.migrator().status(&mut client)?;
    let unknown: Vec<&str> = status
        .migrations
        .iter()
        .filter(|e| {
            matches!(
                e.state,
                State::Missing | State::Ahead | State::Squashed | State::Failed
            )
        })
        .map(|e| e.name.as_str())
        .collect();
    if !unknown.is_empty() {
        bail!(
            "cannot build the schema the applied migrations give: {} {} applied without a file here, or failed \
             part-way (see `status`), so no scratch database can be brought to the same version",
            unknown.join(", "),
            if unknown.len() == 1 { "is" } else { "are" }
        );
    }
    // A set: with thousands of migrations, a search of the entries per file would be quadratic.
    let applied_names: std::collections::HashSet<&str> = status
        .migrations
        .iter()
        .filter(|e| e.applied.is_some())
        .map(|e| e.name.as_str())
        .collect();
    let applied: Vec<Migration> = context
        .registry
        .migrations
        .iter()
        .filter(|m| applied_names.contains(m.name()))
        .copied()
        .collect();
    let scratch = Scratch::create(&db, settings, "drift", "drift")?;
    let mut scratch_client = scratch.target().connect(settings.connect_timeout)?;
    // Repeatable migrations too: the objects they define are the migrations', not changes by hand.
    Migrator::new(&applied)
        .repeatables(context.registry.repeatables.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        .run_up(&mut scratch_client, &UpTarget::All, &mut |_| {})
        .context("the applied migrations do not apply to an empty database")?;
    let expected = migrate_core::schema::describe(&mut scratch_client, &settings.table)?;
    drop(scratch_client);
    drop(scratch);
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
