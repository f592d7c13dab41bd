//! The installed `migrate` command: the front end.
//!
//! A package's migrations are compiled into its runner binary, which links `migrate-runner` (every command
//! that runs migrations). This crate is the rest, what only the installed command does:
//! - `main_generic`, the `migrate` binary: `create` and `database create|drop` run here, and every other
//!   command is forwarded to the package's runner (the `forward` module), built with `cargo build` when
//!   anything it is built from changed (the `freshness` module); a no-op `up` or `status` is answered without
//!   it when nothing changed (`without_runner`);
//! - the commands a runner does not compile: `init` (sets a package up), `import` (other tools' migrations),
//!   `completions` and `man`, and the lint rules on squawk's SQL parser (a runner collects what they need with
//!   `lint --emit-inputs`, and `lint` here runs them).
//!
//! It re-exports `migrate-runner`'s API, so an application may depend on either: one that wants the whole
//! command line in its own binary (lint, init and import included) calls [`run_embedded`] from here.
//!
//! Exit codes: see `migrate_runner`.

mod commands;
mod forward;
mod freshness;
mod init;
mod lint;
mod review;
mod without_runner;

use std::path::Path;
use std::process::ExitCode;

use migrate_core::Registry;
use migrate_runner::args::{Command, DatabaseAction};
use migrate_runner::front::Front;

pub use migrate_runner::{
    connect, error_message, fleet, redact, testing, up, up_database, up_expand_only, up_schema,
    Blocking, CanaryConfig, Cli, Config, ConfigFile, Embedded, EmbeddedFleet, FleetConfig,
    GlobalArgs, LockModeArg, RunnerConfig, Settings, TargetConfig, EXIT_LINT_FINDINGS,
    EXIT_LOCK_BUSY, EXIT_SCHEMA_DIFFERS, EXIT_STATUS_PROBLEMS, EXIT_TRACE_GATE,
};

/// `main` of the generic `migrate` binary.
pub fn main_generic() -> ExitCode {
    migrate_runner::front::install(&FRONT_END);
    migrate_runner::entry(None)
}

/// `main` of a runner binary compiled with `registry` that runs every command itself, the front end's
/// included.
pub fn run_embedded(registry: &Registry) -> ExitCode {
    migrate_runner::front::install(&FRONT_END);
    migrate_runner::entry(Some(registry))
}

struct FrontEnd;

static FRONT_END: FrontEnd = FrontEnd;

impl Front for FrontEnd {
    fn run(&self, cli: &Cli, registry: Option<&Registry>) -> Option<anyhow::Result<ExitCode>> {
        match (&cli.command, registry) {
            // Before the settings: init writes the migrate.toml they would read.
            (Command::Init(args), _) => Some(commands::init(args)),
            // Generated from the CLI's definition alone: a broken migrate.toml must not stop them.
            (Command::Completions { shell }, _) => Some(commands::completions::completions(*shell)),
            (Command::Man, _) => Some(commands::completions::man()),
            // Import writes files and reads and records history rows: no compiled migrations needed.
            (Command::Import(args), _) => {
                Some(Settings::resolve(&cli.global).and_then(|s| commands::import(&s, args)))
            }
            // The runner's own: `create`, `database create|drop`, and everything a runner is asked.
            (Command::Create { .. }, _) => None,
            (Command::Database { action }, None)
                if !matches!(action, DatabaseAction::Reset { .. }) =>
            {
                None
            }
            (_, Some(_)) => None,
            (command, None) => Some(
                Settings::resolve(&cli.global)
                    .and_then(|settings| through_runner(cli, &settings, command)),
            ),
        }
    }

    fn lint_report(
        &self,
        inputs: &migrate_core::lint::LintInputs,
        args: &migrate_runner::commands::LintReportArgs<'_>,
        config: &Config,
    ) -> anyhow::Result<ExitCode> {
        lint::analyse_and_print(inputs, args, config)
    }

    fn review_report(
        &self,
        review: &migrate_core::review::Review,
        inputs: &migrate_core::lint::LintInputs,
        format: migrate_runner::args::ReviewFormat,
        config: &Config,
    ) -> anyhow::Result<ExitCode> {
        review::report(review, inputs, format, config)
    }

    fn write_chunk_packages(&self, dir: &Path) -> anyhow::Result<()> {
        init::write_chunk_packages(dir)
    }

    fn stopped_by(&self, error: &anyhow::Error) -> Option<i32> {
        error
            .downcast_ref::<forward::BuildStopped>()
            .map(|stopped| stopped.signal)
    }
}

/// A command that needs the compiled migrations, in the installed `migrate`: answered here when nothing
/// changed, else run by the runner (built first when stale).
fn through_runner(cli: &Cli, settings: &Settings, command: &Command) -> anyhow::Result<ExitCode> {
    let args = || std::env::args_os().skip(1).collect();
    if let Command::Lint {
        names,
        format,
        since,
        baseline,
        emit_inputs: false,
        ..
    } = command
    {
        // The runner collects what the rules need; the rules run here, so a runner need not compile them.
        return lint::through_runner(
            &settings.config,
            cli.global.release,
            args(),
            &migrate_runner::commands::LintReportArgs {
                format: *format,
                baseline,
                whole: names.is_empty() && since.is_none(),
            },
        );
    }
    if let Command::Review(review) = command {
        if !review.emit_review {
            // As lint: the runner does the databases' part, the rules run here.
            return review::through_runner(
                &settings.config,
                cli.global.release,
                args(),
                review.format,
            );
        }
    }
    match without_runner::answer(settings, command, cli.global.release) {
        Some(code) => Ok(code),
        None => forward::forward(&settings.config, cli.global.release, args()),
    }
}
