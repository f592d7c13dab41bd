//! `lint`: static checks of migrations against rules for running them on a busy database.
//!
//! Works on compiled migrations only (no database): each migration is recorded and rendered exactly as `sql`
//! shows it, then its SQL is checked (the `sql` module); findings a `// lint: allow` comment names are moved to
//! [`MigrationLint::silenced`] (the `suppress` module). The result is data ([`Report`]); the CLI prints it.

mod check;
mod error;
mod report;
#[cfg(test)]
mod rule_tests;
mod rules;
mod sql;
mod suppress;

pub use check::{lint, LintOptions, DEFAULT_PG_VERSION, MAX_LOCK_TIMEOUT};
pub use error::{LintError, SuppressionError};
pub use report::{Finding, MigrationLint, Note, Report, Silenced, Unparsable};
pub use rules::Rule;
pub use suppress::Suppression;
