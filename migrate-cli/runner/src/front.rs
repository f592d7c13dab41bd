//! The seam between a runner and the installed command. This crate is what a runner links: every command
//! that runs migrations. The installed `migrate` (the front end, migrate-cli) adds what a runner never
//! needs at run time (`init`, `import`, `completions`, the lint rules, building and forwarding to the
//! runner) by installing a [`Front`] before it calls [`crate::entry`]; a runner without one says which
//! command to run instead.

use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;

use migrate_core::lint::LintInputs;
use migrate_core::Registry;

use crate::args::{BaselineArgs, Cli, LintFormat};
use crate::config::Config;

/// What the front end adds to a runner's commands.
pub trait Front: Sync {
    /// Runs `cli`'s command when the front end has it to run (all of them without a `registry`: the
    /// installed command builds and forwards to the runner), else `None` for the runner to run it.
    fn run(&self, cli: &Cli, registry: Option<&Registry>) -> Option<anyhow::Result<ExitCode>>;

    /// Runs the lint rules on what a runner collected and prints the report.
    fn lint_report(
        &self,
        inputs: &LintInputs,
        args: &LintReportArgs<'_>,
        config: &Config,
    ) -> anyhow::Result<ExitCode>;

    /// Runs the lint rules on what a runner collected for a review, sets each finding's level and prints
    /// the review.
    fn review_report(
        &self,
        review: &migrate_core::review::Review,
        inputs: &LintInputs,
        format: crate::args::ReviewFormat,
        config: &Config,
    ) -> anyhow::Result<ExitCode>;

    /// Writes the packages of new sealed chunks of the migrations folder `dir` after `create`.
    fn write_chunk_packages(&self, dir: &Path) -> anyhow::Result<()>;

    /// The signal that stopped the front end's own work (building the runner), when `error` says so.
    fn stopped_by(&self, error: &anyhow::Error) -> Option<i32>;
}

/// How the report is made and shown, wherever the rules run (a runner with them, or the installed `migrate`).
pub struct LintReportArgs<'c> {
    pub format: LintFormat,
    pub baseline: &'c BaselineArgs,
    /// Every migration is linted (no names, no `--since`): a baseline written from it drops the entries of
    /// migrations that are gone.
    pub whole: bool,
}

static FRONT: OnceLock<&'static dyn Front> = OnceLock::new();

/// Installs the front end: from then on this process runs its commands too. A second call is ignored.
pub fn install(front: &'static dyn Front) {
    let _ = FRONT.set(front);
}

/// The installed front end, if any.
pub(crate) fn installed() -> Option<&'static dyn Front> {
    FRONT.get().copied()
}
