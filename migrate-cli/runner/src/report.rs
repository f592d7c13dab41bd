//! An error as the user reads it.

/// `error` as one message: each context with its cause (as anyhow's `{:#}` prints them), down to the engine's
/// [`migrate_core::Error`] (or a lint's error), whose message already describes its own causes. Those stay in its
/// [`source`](std::error::Error::source) chain for programs (the `postgres::Error` of a failed statement,
/// say) and are not printed again.
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
    for cause in error.chain() {
        parts.push(cause.to_string());
        // A lint error that is a migration's error is that error (transparent), its causes included.
        if cause.is::<migrate_core::Error>() || cause.is::<migrate_core::lint::LintError>() {
            break;
        }
    }
    parts.join(": ")
}
