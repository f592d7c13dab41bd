//! Why a lint could not run (as opposed to what it found, which is a [`super::Report`]).

/// A malformed `// lint:` comment in a migration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct SuppressionError {
    pub path: String,
    /// 1-based line of the comment.
    pub line: usize,
    pub message: String,
}

/// Everything that stops a lint before it can report findings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LintError {
    /// A migration could not be recorded or rendered, or a name matches no migration.
    #[error(transparent)]
    Migration(#[from] crate::Error),
    /// Suppression comments that are malformed, name unknown rules or give no reason.
    #[error("invalid lint suppression(s):\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Suppressions(Vec<SuppressionError>),
    /// `--pg-version` is not a PostgreSQL major version we can lint for.
    #[error("unsupported PostgreSQL version {0}; give a major version such as 15")]
    PgVersion(u32),
}

/// Lint inputs ([`super::LintInputs`]) that cannot be read from their JSON form.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputsError {
    /// Not the JSON object [`super::LintInputs::to_json`] writes.
    #[error("the lint inputs are not JSON this version reads: {0}")]
    Json(#[from] serde_json::Error),
    /// Written by another version of this crate (a runner built against an older or newer migrate).
    #[error(
        "the lint inputs are of version {}, and this version reads version {expected}: the runner was built \
         against another version of migrate's crates",
        found.map_or_else(|| "none".to_owned(), |v| v.to_string())
    )]
    Version { found: Option<u64>, expected: u32 },
}
