//! The SQL script `sql`, `up --dry-run` and `down --dry-run` print instead of running anything.

use crate::stdio::{out, outln};
use std::process::ExitCode;

use anyhow::Result;
use migrate_core::{plan, Step};

use super::context::Context;
use crate::args::{LogFormat, RunArgs};
use crate::connect::Target;
use crate::settings::Settings;

/// Prints the exact SQL of `steps`, then of the repeatable migrations `repeatables` an `up` to the end would
/// apply after them, as a run with these settings would send it. "Nothing to run" is said only when neither
/// has anything.
pub(super) fn print(
    settings: &Settings,
    steps: &[Step<'_>],
    repeatables: &[Step<'_>],
    single_transaction: bool,
) {
    if !steps.is_empty() || repeatables.is_empty() {
        out!(
            "{}",
            plan::script(
                steps,
                &settings.table,
                &settings.timeouts,
                single_transaction
            )
        );
    }
    if !steps.is_empty() && !repeatables.is_empty() {
        outln!();
    }
    out!(
        "{}",
        plan::repeatable_script(repeatables, &settings.table, &settings.timeouts)
    );
}

/// The migrations' steps and the repeatable migrations' steps a plan gives.
pub(super) type Planned<'a> = (Vec<Step<'a>>, Vec<Step<'a>>);

/// `up --dry-run` and `down --dry-run`: plans on `db` with `plan` and prints the script instead of running it.
pub(super) fn dry_run<'a>(
    context: &Context<'_>,
    db: &Target,
    run: &RunArgs,
    plan: impl FnOnce(&mut postgres::Client) -> Result<Planned<'a>, migrate_core::Error>,
) -> Result<ExitCode> {
    no_log_with_dry_run(run)?;
    let mut client = db.connect_collecting(context.settings.connect_timeout, &context.notices)?;
    let (steps, repeatables) = plan(&mut client)?;
    print(
        context.settings,
        &steps,
        &repeatables,
        run.single_transaction,
    );
    Ok(ExitCode::SUCCESS)
}

/// `--dry-run` prints the SQL script on stdout: it has no run to log.
fn no_log_with_dry_run(run: &RunArgs) -> Result<()> {
    if run.log.log_format == LogFormat::Json || run.log.log_file.is_some() {
        anyhow::bail!(
            "--dry-run prints the SQL script instead of running it, so there is no run to log: leave out --log-format json and --log-file"
        );
    }
    Ok(())
}
