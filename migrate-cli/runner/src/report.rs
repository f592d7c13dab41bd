//! An error as the user reads it.

/// `error` as one message: each context with its cause (as anyhow's `{:#}` prints them), down to the engine's
/// [`migrate_core::Error`] (or a lint's error), whose message already describes its own causes. Those stay in its
/// [`source`](std::error::Error::source) chain for programs (the `postgres::Error` of a failed statement,
/// say) and are not printed again. Where the engine's message names a setting, a `hint:` line below it names
/// the command's flag for it.
///
/// ```
/// # extern crate migrate_runner as migrate_cli; // applications name this crate `migrate-cli`
/// let error = anyhow::Error::new(migrate_core::Error::NothingApplied).context("cannot revert");
/// assert_eq!(
///     migrate_cli::error_message(&error),
///     "cannot revert: nothing to revert: no migration is applied"
/// );
/// ```
pub fn error_message(error: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    let mut hint = None;
    for cause in error.chain() {
        parts.push(cause.to_string());
        if let Some(fleet) = cause.downcast_ref::<migrate_core::fleet::FleetError>() {
            hint = fleet_hint(fleet);
        }
        if let Some(core) = cause.downcast_ref::<migrate_core::Error>() {
            hint = core_hint(core);
            break;
        }
        // A lint error that is a migration's error is that error (transparent), its causes included.
        if cause.is::<migrate_core::lint::LintError>() {
            break;
        }
    }
    let mut message = parts.join(": ");
    if let Some(hint) = hint {
        message.push_str("\nhint: ");
        message.push_str(hint);
    }
    message
}

/// The command's flags for what the engine's message names as a setting (the engine speaks to applications
/// that embed it as well, which set these otherwise).
fn core_hint(error: &migrate_core::Error) -> Option<&'static str> {
    use migrate_core::{DataCause, Error};
    Some(match error {
        Error::LockBusy { .. } => "`--lock-mode wait` waits for the other run (lock_mode in migrate.toml)",
        Error::LockTimeout { .. } => {
            "--lock-retry-budget DURATION (lock_retry_budget in migrate.toml) gives the run longer"
        }
        Error::OutOfOrder { .. } => "--allow-out-of-order runs them",
        Error::AheadDown {
            recorded_tried: false,
            ..
        } => "`down --recorded` runs the `down` recorded with each of them",
        Error::AheadOfBinary { .. } => {
            "`down --recorded --to NAME` (NAME: this release's newest migration) reverts them with the `down` each row recorded"
        }
        Error::NeedsNoTransaction { .. } => "run without --single-transaction",
        Error::TableLayout { .. } => {
            "--migrations-table NAME (migrations_table in migrate.toml) keeps the history in another table"
        }
        Error::Data(data) => match &data.cause {
            DataCause::ReplicaLagHidden { .. } => {
                "--max-replica-lag off (max_replica_lag = \"off\" in migrate.toml's [backfill]) runs without watching replicas"
            }
            _ => return None,
        },
        _ => return None,
    })
}

fn fleet_hint(error: &migrate_core::fleet::FleetError) -> Option<&'static str> {
    match error {
        migrate_core::fleet::FleetError::NoTargets => {
            Some("give --schemas, --urls or --query, or [fleet] in migrate.toml")
        }
        _ => None,
    }
}
