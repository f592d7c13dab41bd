//! The `migrate` command line.
//!
//! Two binaries share it:
//! - `migrate` (this crate's binary) is the generic front end. `create` runs here; every other command is
//!   forwarded to the runner of the crate that compiles the migrations folder (the `forward` module).
//! - a runner binary in that crate (`example-app`'s `example-app-migrate`), whose `main` is
//!   `migrate_cli::run_embedded(&crate::migrations::REGISTRY)`.
//!
//! An application applies its migrations itself at start-up with [`up`] (`migrate_cli::up(&REGISTRY).await`
//! in an async `main`, `.wait()` in a plain one) or [`Embedded`], with the settings the CLI uses
//! ([`Settings::for_registry`]). [`testing::TestDatabase`] gives its tests a fresh database with the
//! migrations applied.
//!
//! Exit codes: 0 success, 1 error, 2 invalid arguments, 3 lock busy (`--lock-mode fail`), 4 `lint` findings,
//! 5 `status` found a migration CHANGED, MISSING FILE, FAILED or OUT OF ORDER.

mod args;
mod commands;
mod config;
pub mod connect;
mod database;
mod embed;
mod forward;
mod init;
mod output;
mod pg_dump;
mod settings;
pub mod testing;
mod tls;
mod verify;

use std::process::ExitCode;

use clap::Parser;
use migrate_core::Registry;

pub use args::{Cli, GlobalArgs, LockModeArg};
pub use config::{Config, ConfigFile, RunnerConfig};
pub use connect::redact;
pub use embed::{up, Blocking, Embedded};
pub use settings::Settings;

/// Exit status when another runner holds the lock and `--lock-mode fail` was given.
pub const EXIT_LOCK_BUSY: u8 = 3;

/// Exit status when `lint` found something: distinct from errors (1), so CI can tell "unsafe" from "broken".
pub const EXIT_LINT_FINDINGS: u8 = 4;

/// Exit status when `status` shows a migration that is CHANGED, MISSING FILE, FAILED (part-way) or OUT OF
/// ORDER: `up` would refuse to run (or, out of order, needs a decision), so CI can gate on `status`. The
/// status is still printed in full. Distinct from errors (1), so "cannot read the status" stays tellable.
pub const EXIT_STATUS_PROBLEMS: u8 = 5;

/// `main` of the generic `migrate` binary.
pub fn main_generic() -> ExitCode {
    entry(None)
}

/// `main` of a runner binary compiled with `registry`.
pub fn run_embedded(registry: &Registry) -> ExitCode {
    entry(Some(registry))
}

fn entry(registry: Option<&Registry>) -> ExitCode {
    // Before parsing, so DATABASE_URL and friends from .env reach clap's environment fallbacks.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("error: invalid .env file: {e}");
            return ExitCode::FAILURE;
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(&cli, registry) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            match e.downcast_ref::<migrate_core::Error>() {
                Some(migrate_core::Error::LockBusy { .. }) => ExitCode::from(EXIT_LOCK_BUSY),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn run(cli: &Cli, registry: Option<&Registry>) -> anyhow::Result<ExitCode> {
    if let args::Command::Init(args) = &cli.command {
        // Before the settings: init writes the migrate.toml they would read.
        return commands::init(args);
    }
    let settings = settings::Settings::resolve(&cli.global)?;
    match (&cli.command, registry) {
        (args::Command::Create { name }, _) => commands::create(&settings, name),
        // Creating and dropping need no compiled migrations; `reset` applies them, so it is forwarded.
        (args::Command::Database { action }, _)
            if !matches!(action, args::DatabaseAction::Reset { .. }) =>
        {
            commands::database(&settings, None, action)
        }
        (command, Some(registry)) => commands::run(&settings, registry, command),
        (_, None) => forward::forward(&settings.config, std::env::args_os().skip(1).collect()),
    }
}
