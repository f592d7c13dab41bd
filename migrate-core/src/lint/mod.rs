//! `lint`: static checks of migrations against rules for running them on a busy database.
//!
//! Works on compiled migrations only (no database), in two halves:
//! - [`collect`] (feature `lint-inputs`) records and renders each migration exactly as `sql` shows it and
//!   gathers what the rules read: its statements with their lines and transaction boundaries, its
//!   `// lint: allow` comments (the `suppress` module), its contract and `lock_timeout`. The result,
//!   [`LintInputs`], is plain data with a JSON form;
//! - [`analyse`] (feature `lint`) checks that data's SQL (the `sql` module, on squawk's parser), and moves the
//!   findings a comment or a contract accepts to [`MigrationLint::silenced`].
//!
//! [`lint`] is both. The result is data ([`Report`]); the CLI prints it. A [`Baseline`] (feature `lint`)
//! accepts findings of migrations that will not change (a history brought over by `import`), in a file of its
//! own: [`Baseline::apply`] moves them to [`MigrationLint::baselined`]. A runner binary compiles only the
//! first half: the installed `migrate lint` runs it with `lint --emit-inputs` and analyses the JSON it prints.

#[cfg(feature = "lint")]
mod baseline;
#[cfg(feature = "lint")]
mod check;
mod error;
mod inputs;
mod keys;
mod partitioned;
mod report;
mod rules;
#[cfg(feature = "lint")]
mod sql;
#[cfg(feature = "lint")]
mod statement;
mod suppress;
#[cfg(feature = "lint")]
mod whole_table;

#[cfg(feature = "lint")]
pub use baseline::{Accepted, Baseline, BaselineError, BASELINE_FILE, BASELINE_VERSION};
#[cfg(feature = "lint")]
pub use check::{analyse, analyse_with, lint, MAX_LOCK_TIMEOUT};
pub use error::{InputsError, LintError, SuppressionError};
pub use inputs::{
    collect, Gate, LintInputs, LintOptions, MigrationInputs, StatementInputs, DEFAULT_PG_VERSION,
    INPUTS_VERSION,
};
pub use keys::KeyColumn;
pub use report::{Finding, MigrationLint, Note, Report, Silenced, Unparsable};
#[cfg(feature = "lint")]
pub use rules::{squawk_coverage, SquawkCoverage, SquawkEquivalent};
pub use rules::{Rule, RuleSelection, UnknownRule};
pub use suppress::Suppression;
