//! The migrations runner: every command that runs migrations, and the API an application uses to apply its
//! own. A package's runner binary (`example-app`'s `example-app-migrate`, what `migrate init` writes) has
//! `main` = `migrate_cli::run_embedded(&crate::migrations::REGISTRY)`, with this crate as its `migrate-cli`
//! dependency (`package = "migrate-runner"`). The installed `migrate` (migrate-cli, which links this crate)
//! parses the same command line ([`command_line`]), routes it in one match and calls down into this crate with
//! resolved settings ([`commands`]); it adds the commands a runner does not compile (`init`, `import`,
//! `completions`, the lint rules and the reports of `lint` and `review`), and builds and forwards to the runner.
//! Nothing here calls it back: a runner asked for one of its commands says which command to run instead.
//!
//! An application applies its migrations itself at start-up with [`up`] (`migrate_cli::up(&REGISTRY).await`
//! in an async `main`, `.wait()` in a plain one) or [`Embedded`], with the settings the CLI uses
//! ([`Settings::for_registry`]). [`testing::TestDatabase`] gives its tests a fresh database with the
//! migrations applied.
//!
//! Exit codes: 0 success, 1 error, 2 invalid arguments, 3 lock busy (`--lock-mode fail`), 4 `lint` findings,
//! 5 `status` found a migration CHANGED, MISSING FILE, FAILED or OUT OF ORDER, 6 `schema check` found the schema
//! file out of date (or missing), 7 `trace` found an `ACCESS EXCLUSIVE` lock held across a rewrite or a scan, 130/143 `up`, `down` or `redo` stopped by SIGINT/SIGTERM (the running
//! statement cancelled on the server, its transaction rolled back), `squash`, `schema check`, `schema write` or
//! `verify` stopped by one (their scratch databases dropped, nothing else changed), or the installed
//! `migrate`'s `cargo build` of the runner stopped by one (nothing run), 141 stdout or stderr closed before the command
//! finished (`up`, `down` and `redo` stop before their next migration; see the `stdio` module).
//!
//! `fleet` (the `fleet` module) runs `up`, `down`, `status` and `sql` over many databases or schemas; an
//! application does the same with [`up_schema`], [`up_database`] and [`fleet`].
//!
//! `squash` (the `commands::squash` module) replaces the oldest migrations with one baseline; see [`migrate_core::squash`].
//!
#[doc(hidden)]
pub mod args;
mod backfill_bar;
#[doc(hidden)]
pub mod checked;
#[doc(hidden)]
pub mod colour;
#[doc(hidden)]
pub mod commands;
pub mod compiled;
#[doc(hidden)]
pub mod config;
pub mod connect;
mod conninfo;
mod database;
mod deadline;
mod dotenv;
mod embed;
mod fleet;
#[doc(hidden)]
pub mod output;
mod pacing;
pub mod parse;
mod pg_dump;
mod report;
mod run_log;
#[doc(hidden)]
pub mod schema_file;
mod scratch;
mod session_end;
#[doc(hidden)]
pub mod settings;
#[doc(hidden)]
pub mod signals;
#[doc(hidden)]
pub mod stdio;
pub mod testing;
mod tls;
mod trace_output;
pub mod verification;
pub mod wait;
mod watchdog;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use migrate_core::Registry;

pub use args::{Cli, GlobalArgs, LockModeArg};
pub use config::{Config, ConfigFile, RunnerConfig};
pub use connect::redact;
pub use embed::{up, up_expand_only, Blocking, Embedded};
pub use fleet::embed::{fleet, up_database, up_schema, EmbeddedFleet};
pub use fleet::{CanaryConfig, FleetConfig, TargetConfig};
pub use report::{error_message, Hinted, OTHER_TOOLS_NAMES_HINT};
pub use settings::Settings;

/// Exit status when another runner holds the lock and `--lock-mode fail` was given.
pub const EXIT_LOCK_BUSY: u8 = 3;

/// Exit status when `lint` found something: distinct from errors (1), so CI can tell "unsafe" from "broken".
pub const EXIT_LINT_FINDINGS: u8 = 4;

/// Exit status when `status` shows a migration that is CHANGED, MISSING FILE, FAILED (part-way) or OUT OF
/// ORDER: `up` would refuse to run (or, out of order, needs a decision), so CI can gate on `status`. The
/// status is still printed in full. Distinct from errors (1), so "cannot read the status" stays tellable.
pub const EXIT_STATUS_PROBLEMS: u8 = 5;

/// Exit status when `schema check` finds that the schema file differs from the schema the migrations give, or
/// that it does not exist: the file needs `schema write` (or the migrations a fix). Distinct from errors (1),
/// such as migrations that do not apply.
pub const EXIT_SCHEMA_DIFFERS: u8 = 6;

/// Exit status when `trace` finds an `ACCESS EXCLUSIVE` lock held across a rewrite or a scan that no
/// `// trace: allow` comment accepts: distinct from errors (1), so CI can tell "would block the table" from
/// "broken".
pub const EXIT_TRACE_GATE: u8 = 7;

/// Exit status when `wait` ran out of time before the database had what this binary needs (or, with
/// `--check`, does not have it now): distinct from errors (1), so a readiness probe can tell "not yet" from
/// "broken".
pub const EXIT_NOT_READY: u8 = 8;

/// Exit status when `drift` finds the live schema differs from the one the applied migrations give: distinct
/// from errors (1), so a scheduled check can tell "changed by hand" from "cannot tell".
pub const EXIT_DRIFT: u8 = 9;

/// Exit status when `diff` finds a rename to confirm and nobody can be asked (no terminal, or
/// `--dry-run`): nothing is written; `--rename` or `--no-rename` decides it. Distinct from errors (1).
pub const EXIT_RENAME_TO_CONFIRM: u8 = 11;

/// `main` of a runner binary compiled with `registry`.
pub fn run_embedded(registry: &Registry) -> ExitCode {
    match command_line(Some(registry)) {
        Ok(cli) => exit_status(run(&cli, registry), None),
        Err(code) => code,
    }
}

/// The command line, parsed after `.env` is loaded, or the exit status when it was invalid or asked for help
/// or the version (printed). With the `registry` a binary runs in its own process, the hook that reports a
/// migration's Rust code ending the process is installed first.
#[doc(hidden)]
pub fn command_line(registry: Option<&Registry>) -> Result<Cli, ExitCode> {
    // Before parsing, so DATABASE_URL and friends from .env reach clap's environment fallbacks.
    if let Err(message) = dotenv::load() {
        errln!("error: {message}");
        return Err(ExitCode::FAILURE);
    }
    if registry.is_some() {
        exit_guard::install();
    }
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    match parsed {
        Ok((mut cli, matches)) => {
            mark_database_on_command_line(&mut cli, &matches);
            Ok(cli)
        }
        Err(e) => {
            let _ = e.print();
            Err(if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// The exit status of a command that ended with `result`, its error printed. `stopped_by` is the signal that
/// stopped the caller's own work when that is what `result`'s error says (the installed `migrate`'s build of
/// the runner); a signal this crate's handlers noted is found here.
#[doc(hidden)]
pub fn exit_status(result: anyhow::Result<ExitCode>, stopped_by: Option<i32>) -> ExitCode {
    let exit_on =
        |signal: i32| ExitCode::from(128u8.saturating_add(u8::try_from(signal).unwrap_or(0)));
    match result {
        // The command did its work, but what it printed after stdout closed was lost: not a plain success.
        Ok(code) if code == ExitCode::SUCCESS && stdio::output_closed() => {
            errln!("note: the output was closed before the command finished (its reader went away); the command finished, but what it printed after that was lost");
            exit_on(stdio::SIGPIPE)
        }
        Ok(code) => code,
        Err(e) => {
            errln!(
                "{} {}",
                colour::paint("error:", colour::Colour::Red, colour::Stream::Stderr),
                error_message(&e)
            );
            if let Some(signal) = signals::received() {
                if signal == stdio::SIGPIPE {
                    errln!(
                        "the output was closed (its reader went away), so the run stopped where a SIGINT would stop \
                         it, before the next migration (the message above says what was kept); the migration lock \
                         is released"
                    );
                } else {
                    errln!(
                        "interrupted by {}: the run stopped there (the message above says what was rolled back and \
                         what, if anything, was kept); the migration lock is released",
                        migrate_core::signal_name(signal)
                    );
                }
                return exit_on(signal);
            }
            if let Some(signal) = stopped_by {
                return exit_on(signal);
            }
            if let Some(budget) = deadline::spent() {
                errln!(
                    "the run's time budget of {} (--max-duration) was spent: the run stopped there (the message \
                     above says what was rolled back and what, if anything, was kept); the migration lock is released",
                    humantime::format_duration(budget)
                );
            }
            match e.downcast_ref::<migrate_core::Error>() {
                Some(migrate_core::Error::LockBusy { .. }) => ExitCode::from(EXIT_LOCK_BUSY),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// Tells `lint` whether `--database-url` was typed on the command line (before or after the subcommand).
fn mark_database_on_command_line(cli: &mut Cli, matches: &clap::ArgMatches) {
    let typed = |m: &clap::ArgMatches| {
        m.value_source("database_url") == Some(clap::parser::ValueSource::CommandLine)
    };
    let on_command_line = typed(matches) || matches.subcommand().is_some_and(|(_, sub)| typed(sub));
    if let args::Command::Lint {
        database_on_command_line,
        ..
    } = &mut cli.command
    {
        *database_on_command_line = on_command_line;
    }
}

/// A runner's commands: every one it has runs here; the installed `migrate`'s own say which command to run.
fn run(cli: &Cli, registry: &Registry) -> anyhow::Result<ExitCode> {
    match &cli.command {
        // Before the settings: a broken migrate.toml must not hide which command to run instead.
        args::Command::Init(_) => return Err(commands::built_without("init")),
        args::Command::Completions { .. } | args::Command::Man => {
            return Err(commands::built_without("completions"))
        }
        _ => {}
    }
    let settings = settings::Settings::resolve_for_registry(&cli.global, registry)?;
    match &cli.command {
        args::Command::Create { name, repeatable } => {
            commands::create(&settings, name, *repeatable)?.note_unwritten_chunks();
            Ok(ExitCode::SUCCESS)
        }
        // Creating and dropping need no compiled migrations; `reset` applies them.
        args::Command::Database { action }
            if !matches!(action, args::DatabaseAction::Reset { .. }) =>
        {
            commands::database(&settings, None, action)
        }
        command => commands::run(&settings, registry, command),
    }
}

/// A process that ends inside a migration's Rust code (a `pgm.db` closure or a backfill's batch code
/// calling `std::process::exit`) would otherwise end the run with that code, often 0, while the migration
/// was not applied: its transaction dies with the connection. So would one ending in a migration's `up` or
/// `down` function itself, which every command that plans calls (`status` and `sql` too), so that a CI gate
/// passed with nothing done. The hook turns either into an error naming the migration and exit status 1.
mod exit_guard {
    use std::io::Write;
    use std::sync::Once;

    pub fn install() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            // SAFETY: registers a plain `extern "C"` function; atexit has no other precondition.
            // Its result is ignored: without the hook the run only loses this report.
            unsafe {
                libc::atexit(on_exit);
            }
        });
    }

    extern "C" fn on_exit() {
        let Some(code) = migrate_core::running_user_code() else {
            if let Some(recording) = migrate_core::recording_migration() {
                recorded(recording);
            }
            return;
        };
        let aftermath = if code.transactional {
            "the server rolls its transaction back, so the migration is not applied and not recorded"
        } else if code.op == "backfill" {
            "the batch in progress is rolled back; the batches before it stay committed, the migration is not recorded as applied, and running it again resumes the backfill"
        } else {
            "its data code's transaction is rolled back, the statements before it stay committed, and the migration is not applied (not recorded)"
        };
        // Written directly: stdout/stderr handles may be gone this late, and a panic here would abort.
        let _ = writeln!(
            std::io::stderr(),
            "error: migration {} ({}) ended the process from its Rust code at operation #{} ({}), e.g. with std::process::exit; \
             {aftermath}; return an error from the closure instead",
            code.migration.name(),
            code.migration.path(),
            code.position,
            code.op
        );
        crate::scratch::drop_all_at_exit();
        // SAFETY: _exit ends the process at once with status 1, which is the point: the exit status the
        // code asked for would report success.
        unsafe { libc::_exit(1) }
    }

    /// The process ended while a migration's `up` or `down` function recorded its operations: the command
    /// was planning, and that migration ran nothing.
    fn recorded(recording: migrate_core::Recording) {
        let _ = writeln!(
            std::io::stderr(),
            "error: migration {} ({}) ended the process while its `{}` function was recording its operations, \
             e.g. with std::process::exit; that function runs whenever a command plans (up, down, status, sql, \
             lint, ...), before anything of the migration runs, so this migration was not run and this command \
             did not finish (what it printed above it did); record the operations and return instead",
            recording.migration.name(),
            recording.migration.path(),
            recording.direction
        );
        crate::scratch::drop_all_at_exit();
        // SAFETY: as above: _exit ends the process at once, with the status that says it failed.
        unsafe { libc::_exit(1) }
    }
}
