//! `status`: applied, pending, changed, missing and out-of-order migrations; exit status 5 on problems.

use std::io::Write as _;
use std::process::ExitCode;

use crate::compiled::Origin;
use anyhow::{Context as _, Result};

use super::context::Context;
use crate::output::write_status;

pub(super) fn status(context: &Context<'_>, json: bool) -> Result<ExitCode> {
    let db = context.target()?;
    let mut client = db.connect(context.settings.connect_timeout)?;
    let migrator = context.migrator();
    let status = migrator.status_report(&mut client)?;
    let jobs = migrator.jobs(&mut client)?;
    print(&status, &jobs, &db.display, json, &context.origin)
}

/// Prints `status` of the database shown as `display`, with its background jobs, as text or JSON; the exit
/// code says whether it found problems. Also what the installed `migrate` prints when it answers `status`
/// without the runner (`without_runner`).
pub fn print(
    status: &migrate_core::StatusReport<'_>,
    jobs: &[migrate_core::Job],
    display: &str,
    json: bool,
    origin: &Origin,
) -> Result<ExitCode> {
    // Through one buffer, not line by line, and entry by entry, never all entries or one text: a long
    // history stays cheap.
    let mut out = std::io::BufWriter::new(crate::stdio::Stdout);
    if json && jobs.is_empty() && matches!(origin, Origin::Folder(_)) {
        serde_json::to_writer_pretty(&mut out, status).context("cannot write the status")?;
        writeln!(out).context("cannot write the status")?;
    } else if json {
        // Jobs and a binary deployed alone are rare: only then is the report built as a value to add them.
        let mut value = serde_json::to_value(status).context("cannot write the status")?;
        if !jobs.is_empty() {
            value["jobs"] = serde_json::to_value(jobs).context("cannot write the status")?;
        }
        if let Origin::Compiled { built_from } = origin {
            value["compiled_only"] = serde_json::json!({ "built_from": built_from });
        }
        serde_json::to_writer_pretty(&mut out, &value).context("cannot write the status")?;
        writeln!(out).context("cannot write the status")?;
    } else {
        write_status(&mut out, status, display).context("cannot write the status")?;
        write_repeatables(&mut out, status.repeatables()).context("cannot write the status")?;
        write_jobs(&mut out, jobs).context("cannot write the status")?;
        if let Origin::Compiled { built_from } = origin {
            writeln!(
                out,
                "migrations: as compiled into this binary (from {built_from}, a folder not here, so no file \
                 was compared)"
            )
            .context("cannot write the status")?;
        }
    }
    out.flush().context("cannot write the status")?;
    if status.has_problems() {
        return Ok(ExitCode::from(crate::EXIT_STATUS_PROBLEMS));
    }
    Ok(ExitCode::SUCCESS)
}

/// The background jobs' lines of `status`, after the migrations' (nothing without any): each job's state and
/// progress (`migrate jobs` shows the rate and the time left).
fn write_jobs(out: &mut impl std::io::Write, jobs: &[migrate_core::Job]) -> std::io::Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    writeln!(out, "background jobs (run by `migrate work`):")?;
    for job in jobs {
        writeln!(out, "  {}", job.summary())?;
    }
    Ok(())
}

/// The repeatable migrations' lines of `status`, after the migrations' (nothing without any).
fn write_repeatables(
    out: &mut impl std::io::Write,
    repeatables: &[migrate_core::RepeatableStatus],
) -> std::io::Result<()> {
    if repeatables.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "repeatable migrations (applied after the migrations when new or changed):"
    )?;
    for r in repeatables {
        let state = match r.state {
            migrate_core::RepeatableState::New => "new",
            migrate_core::RepeatableState::Changed => "changed",
            migrate_core::RepeatableState::UpToDate => "up to date",
            migrate_core::RepeatableState::Gone => "file gone",
            _ => "unknown",
        };
        writeln!(out, "  {state:<10}  {}", r.name)?;
    }
    if repeatables
        .iter()
        .any(|r| r.state == migrate_core::RepeatableState::Gone)
    {
        writeln!(
            out,
            "  (what a gone file created stays in the database until a migration drops it)"
        )?;
    }
    Ok(())
}
