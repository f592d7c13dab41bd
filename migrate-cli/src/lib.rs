//! The installed `migrate` command: the front end.
//!
//! A package's migrations are compiled into its runner binary, which links `migrate-runner` (every command
//! that runs migrations). This crate is on top of it and calls down only: it parses the command line, routes
//! it in one match (`run`) and calls the runner crate's commands with resolved settings. It is the rest, what
//! only the installed command does:
//! - `main_generic`, the `migrate` binary: `create` and `database create|drop` run here, and every other
//!   command is forwarded to the package's runner (the `forward` module), built with `cargo build` when
//!   anything it is built from changed (the `freshness` module); a no-op `up` or `status` is answered without
//!   it when nothing changed (`without_runner`);
//! - the commands a runner does not compile: `init` (sets a package up), `import` (other tools' migrations),
//!   `completions` and `man`, the lint rules on squawk's SQL parser and the reports of `lint` and `review` (a
//!   runner collects what they need, `lint --emit-inputs` and `review --emit-review`, and this crate judges
//!   and prints).
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

use std::process::ExitCode;

use migrate_core::Registry;
use migrate_runner::args::{Command, DatabaseAction};
use migrate_runner::commands as runner;

pub use migrate_runner::{
    connect, error_message, fleet, redact, testing, up, up_database, up_expand_only, up_schema,
    Blocking, CanaryConfig, Cli, Config, ConfigFile, Embedded, EmbeddedFleet, FleetConfig,
    GlobalArgs, LockModeArg, RunnerConfig, Settings, TargetConfig, EXIT_LINT_FINDINGS,
    EXIT_LOCK_BUSY, EXIT_SCHEMA_DIFFERS, EXIT_STATUS_PROBLEMS, EXIT_TRACE_GATE,
};

/// `main` of the generic `migrate` binary.
pub fn main_generic() -> ExitCode {
    main(None)
}

/// `main` of a runner binary compiled with `registry` that runs every command itself, the installed
/// command's included.
pub fn run_embedded(registry: &Registry) -> ExitCode {
    main(Some(registry))
}

fn main(registry: Option<&Registry>) -> ExitCode {
    let cli = match migrate_runner::command_line(registry) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let result = run(&cli, registry);
    // A signal that stopped the build of the runner exits as one that stops a run does.
    let stopped_by = result.as_ref().err().and_then(|e| {
        e.downcast_ref::<forward::BuildStopped>()
            .map(|stopped| stopped.signal)
    });
    migrate_runner::exit_status(result, stopped_by)
}

/// Every command, in one match: this crate's own; the runner crate's, called with resolved settings; and, in the
/// generic `migrate` (no `registry`), those that need the compiled migrations, answered here when nothing changed
/// or forwarded to the package's runner (built first when stale). The runner crate's functions return what they
/// collected (lint's inputs, review's half, the chunks `create` opened) instead of calling back into this crate.
fn run(cli: &Cli, registry: Option<&Registry>) -> anyhow::Result<ExitCode> {
    let settings = || match registry {
        Some(registry) => Settings::resolve_for_registry(&cli.global, registry),
        None => Settings::resolve(&cli.global),
    };
    // What the runner is given when it is forwarded to: the command line as typed.
    let typed = || std::env::args_os().skip(1).collect();
    let release = cli.global.release;
    match (&cli.command, registry) {
        // Before the settings: init writes the migrate.toml they would read.
        (Command::Init(args), _) => commands::init(args),
        // Generated from the CLI's definition alone: a broken migrate.toml must not stop them.
        (Command::Completions { shell }, _) => commands::completions::completions(*shell),
        (Command::Man, _) => commands::completions::man(),
        // Import writes files and reads and records history rows: no compiled migrations needed.
        (Command::Import(args), _) => commands::import(&Settings::resolve(&cli.global)?, args),
        (Command::Create { name, repeatable }, _) => {
            let settings = settings()?;
            // The seal's lists are written; their chunks' packages are this crate's to write (it edits manifests).
            if runner::create(&settings, name, *repeatable)?.chunk_packages {
                init::write_chunk_packages(&settings.migrations_dir)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        // Creating and dropping need no compiled migrations; `reset` applies them.
        (Command::Database { action }, _) if !matches!(action, DatabaseAction::Reset { .. }) => {
            runner::database(&settings()?, None, action)
        }
        // The runner collects what the rules need (in this process, or the package's runner with
        // `--emit-inputs`); the rules and the report are this crate's, so a runner need not compile them.
        (
            Command::Lint {
                emit_inputs: false,
                format,
                baseline,
                names,
                since,
                ..
            },
            _,
        ) => {
            let settings = settings()?;
            let report = lint::ReportArgs {
                format: *format,
                baseline,
                whole: names.is_empty() && since.is_none(),
            };
            match registry {
                Some(registry) => lint::analyse_and_print(
                    &runner::lint_inputs(&settings, registry, &cli.command)?,
                    &report,
                    &settings.config,
                ),
                None => lint::through_runner(&settings.config, release, typed(), &report),
            }
        }
        // As lint: the runner does the databases' part, the rules and the report are this crate's.
        (Command::Review(args), _) if !args.emit_review => {
            let settings = settings()?;
            match registry {
                Some(registry) => {
                    let collected = runner::review_inputs(&settings, registry, &cli.command)?;
                    review::report(
                        &collected.review,
                        &collected.lint,
                        args.format,
                        &settings.config,
                    )
                }
                None => review::through_runner(&settings.config, release, typed(), args.format),
            }
        }
        (command, Some(registry)) => runner::run(&settings()?, registry, command),
        (command, None) => {
            let settings = settings()?;
            match without_runner::answer(&settings, command, release) {
                Some(code) => Ok(code),
                None => forward::forward(&settings.config, release, typed()),
            }
        }
    }
}
