//! An error as the user reads it.

/// `error` as one message: each context with its cause (as anyhow's `{:#}` prints them), down to the engine's
/// [`migrate_core::Error`] (or a lint's error), whose message already describes its own causes. Those stay in its
/// [`source`](std::error::Error::source) chain for programs (the `postgres::Error` of a failed statement,
/// say) and are not printed again. Where the engine's message names a setting or an action, a `hint:` line
/// below it names the command's flag for it (and [`Hinted`] gives another library's error its hint).
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
        // Its message is the next cause's.
        if let Some(hinted) = cause.downcast_ref::<Hinted>() {
            hint = Some(hinted.hint.clone());
            continue;
        }
        parts.push(cause.to_string());
        if let Some(fleet) = cause.downcast_ref::<migrate_core::fleet::FleetError>() {
            hint = fleet_hint(fleet).map(str::to_owned).or(hint);
        }
        if let Some(core) = cause.downcast_ref::<migrate_core::Error>() {
            hint = core_hint(core).or(hint);
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
        message.push_str(&hint);
    }
    message
}

/// The hint for a migration file named as Flyway or refinery name theirs, wherever it is met (discovery, or a
/// runner's build script).
pub const OTHER_TOOLS_NAMES_HINT: &str =
    "`migrate import --from flyway DIR` (or `--from refinery`) converts such a folder";

/// The engine's `error` with the command's hint for it, for output that lists such errors (`status`).
pub(crate) fn core_message(error: &migrate_core::Error) -> String {
    match core_hint(error) {
        Some(hint) => format!("{error}\nhint: {hint}"),
        None => error.to_string(),
    }
}

/// An error with what the command line offers for it, printed on a `hint:` line below its message: for the
/// errors of a library of the engine's that does not know the flags (an import's, say).
///
/// ```
/// # extern crate migrate_runner as migrate_cli; // applications name this crate `migrate-cli`
/// let error = migrate_cli::Hinted::new(anyhow::anyhow!("refused"), "`--no-adopt` writes the files only");
/// assert_eq!(
///     migrate_cli::error_message(&anyhow::Error::new(error).context("cannot import")),
///     "cannot import: refused\nhint: `--no-adopt` writes the files only"
/// );
/// ```
#[derive(Debug)]
pub struct Hinted {
    error: anyhow::Error,
    hint: String,
}

impl Hinted {
    pub fn new(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> Hinted {
        Hinted {
            error: error.into(),
            hint: hint.into(),
        }
    }
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Hinted {
    // The error itself, so that a report of the chain reads it (and its own causes) once, after this.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref())
    }
}

/// The command's flags for what the engine's message names as a setting or an action (the engine speaks to
/// applications that embed it as well, which set these otherwise).
fn core_hint(error: &migrate_core::Error) -> Option<String> {
    use migrate_core::{DataCause, Error, JobError};
    let retries = error.retries();
    if !retries.is_empty() {
        let each: Vec<String> = retries
            .iter()
            .map(|(name, direction)| format!("`{direction} --retry {name}`"))
            .collect();
        let them = if each.len() == 1 { "it" } else { "them" };
        return Some(format!("{} retries {them}", each.join(", ")));
    }
    Some(match error {
        Error::LockBusy { .. } => "`--lock-mode wait` waits for the other run (lock_mode in migrate.toml)".into(),
        Error::LockTimeout { .. } => {
            "--lock-retry-budget DURATION (lock_retry_budget in migrate.toml) gives the run longer".into()
        }
        Error::OutOfOrder { .. } => "--allow-out-of-order runs them".into(),
        Error::AheadDown {
            recorded_tried: false,
            ..
        } => "`down --recorded` runs the `down` recorded with each of them".into(),
        Error::AheadOfBinary { .. } => {
            "`down --recorded --to NAME` (NAME: this release's newest migration) reverts them with the `down` each row recorded".into()
        }
        Error::AdoptedStop { name, after, .. } if *after > 0 => {
            format!("`down --to {name}` reverts the {after} applied after it")
        }
        Error::NotApplied { .. } => {
            "`down --to NAME` names the newest migration to keep; `status` lists the applied ones".into()
        }
        Error::PartlySquashed { missing, .. } => match missing.last() {
            Some(last) => format!("`up --to {last}`, with the files from before the squash"),
            None => return None,
        },
        Error::NeedsNoTransaction { .. } => "run without --single-transaction".into(),
        Error::TableLayout {
            other_tool: Some(tool),
            ..
        } => format!(
            "`migrate import --from {tool} DIR` adopts it; --migrations-table NAME (migrations_table in \
             migrate.toml) keeps the history in another table"
        ),
        Error::TableLayout { .. } => {
            "--migrations-table NAME (migrations_table in migrate.toml) keeps the history in another table".into()
        }
        Error::Job(JobError::Unfinished { .. }) => "`migrate work` runs the jobs until they finish (`migrate jobs` \
             shows them); `up --finish-jobs` finishes them in this run"
            .into(),
        Error::Source(migrate_core::SourceError::InvalidName { path, .. })
            if path
                .file_name()
                .and_then(|f| f.to_str())
                .is_some_and(migrate_core::naming::versioned_elsewhere) =>
        {
            OTHER_TOOLS_NAMES_HINT.into()
        }
        Error::Data(data) => match &data.cause {
            DataCause::ReplicaLagHidden { .. } => {
                "--max-replica-lag off (max_replica_lag = \"off\" in migrate.toml's [backfill]) runs without watching replicas".into()
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
