//! `database create|drop|reset`; the work is in the crate's `database` module (which the test helpers share).

use std::process::ExitCode;

use anyhow::Result;
use migrate_core::Registry;

use crate::args::DatabaseAction;
use crate::settings::Settings;

/// `reset` needs the compiled migrations, so the installed `migrate` forwards it to the runner.
pub fn database(
    settings: &Settings,
    registry: Option<&Registry>,
    action: &DatabaseAction,
) -> Result<ExitCode> {
    match (action, registry) {
        (DatabaseAction::Create, _) => crate::database::create(settings),
        (DatabaseAction::Drop { force }, _) => crate::database::drop(settings, *force),
        (DatabaseAction::Reset { force }, Some(registry)) => {
            crate::database::reset(settings, registry, *force)
        }
        (DatabaseAction::Reset { .. }, None) => {
            anyhow::bail!(
                "database reset needs the compiled migrations (run it through the runner)"
            )
        }
    }
}
