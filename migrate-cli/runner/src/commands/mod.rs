//! What each command does, given resolved settings and (for all but `create`, `init`, `completions`, `man` and
//! `database create|drop`) the compiled migrations: one file per command, and this dispatch.

mod context;
mod create;
mod database;
mod diff;
mod down;
// The fleet's drift reads a schema as `drift` does.
pub(crate) mod drift;
mod jobs;
mod kept;
pub mod lint;
mod redo;
mod repair;
pub mod review;
mod schema;
mod script;
mod sql;
mod squash;
pub mod status;
mod trace;
pub mod up;
mod verify;
mod wait;

use std::process::ExitCode;

use anyhow::Result;
use migrate_core::Registry;

use crate::args::{Command, SchemaAction};
use crate::settings::Settings;

pub(crate) use context::note_schema_file;
pub use create::{create, Created};
pub use database::database;

/// Every command that needs the compiled migrations, as a runner runs them. `lint` and `review` without
/// `--emit-inputs`/`--emit-review` say which command to run instead: their rules and reports are the installed
/// `migrate`'s, which calls [`lint_inputs`] and [`review_inputs`] for what they need.
pub fn run(settings: &Settings, registry: &Registry, command: &Command) -> Result<ExitCode> {
    let context = context(settings, registry, command)?;
    match command {
        Command::Create { name, repeatable } => {
            create(settings, name, *repeatable)?.note_unwritten_chunks();
            Ok(ExitCode::SUCCESS)
        }
        Command::Init(_) => Err(built_without("init")),
        Command::Import(_) => Err(built_without("import")),
        Command::Database { action } => database(settings, Some(registry), action),
        Command::Up(args) => up::up(&context, args),
        Command::Down(args) => down::down(&context, args),
        Command::Redo { count, log } => redo::redo(&context, *count, log),
        Command::Status { json } => status::status(&context, *json),
        Command::Wait(args) => wait::wait(&context, args),
        Command::Drift { json, ignore } => drift::drift(&context, *json, ignore),
        Command::Kept {
            drop,
            drop_all,
            json,
        } => kept::kept(&context, drop.as_deref(), *drop_all, *json),
        Command::Work(args) => jobs::work(&context, args),
        Command::Jobs { action, json } => jobs::jobs(&context, action.as_ref(), *json),
        Command::Sql { names, down } => sql::sql(&context, names, *down),
        Command::Verify(args) => verify::verify(settings, registry, &context.target()?, args),
        Command::Diff(args) => diff::diff(&context, args),
        Command::Trace(args) => trace::trace(settings, registry, &context.target()?, args),
        Command::Review(args) => review::emit(&context, args),
        Command::Lint { emit_inputs, .. } => {
            let args = lint::LintArgs::of(command).ok_or_else(|| built_without("lint"))?;
            lint::emit(&context, &args, *emit_inputs)
        }
        Command::Schema { action } => {
            let db = context.target()?;
            match action {
                SchemaAction::Check { file } => {
                    schema::check(settings, registry, &db, file.as_deref())
                }
                SchemaAction::Write { file } => {
                    schema::write(settings, registry, &db, file.as_deref())
                }
            }
        }
        Command::Squash(args) => squash::squash(settings, registry, &context.target()?, args),
        Command::Fleet { command } => crate::fleet::run(settings, registry, command),
        Command::Repair { names } => repair::repair(&context, names),
        Command::Completions { .. } | Command::Man => Err(built_without("completions")),
    }
}

/// What the lint rules need from the migrations `lint` names, for the installed `migrate` (or an application's
/// binary that links it) to run the rules on and report.
pub fn lint_inputs(
    settings: &Settings,
    registry: &Registry,
    command: &Command,
) -> Result<migrate_core::lint::LintInputs> {
    let args = lint::LintArgs::of(command)
        .ok_or_else(|| anyhow::anyhow!("lint_inputs is `lint`'s, not another command's"))?;
    lint::collect(&context(settings, registry, command)?, &args)
}

/// The runner's half of `review` (the databases' part and what the lint rules need), for the installed `migrate`
/// to judge and report.
pub fn review_inputs(
    settings: &Settings,
    registry: &Registry,
    command: &Command,
) -> Result<review::Collected> {
    let Command::Review(args) = command else {
        anyhow::bail!("review_inputs is `review`'s, not another command's");
    };
    review::collect(&context(settings, registry, command)?, args)
}

/// The run-wide state of `command`, after checking the compiled migrations against their folder (the commands
/// that act on them) or noting where they came from.
fn context<'a>(
    settings: &'a Settings,
    registry: &'a Registry,
    command: &Command,
) -> Result<context::Context<'a>> {
    let acts_on_compiled = !matches!(
        command,
        Command::Create { .. }
            | Command::Init(_)
            | Command::Import(_)
            | Command::Database { .. }
            | Command::Completions { .. }
            | Command::Man
    );
    let origin = crate::compiled::check(settings, registry, acts_on_compiled)?;
    Ok(context::Context::new(settings, registry, origin))
}

/// Why a runner cannot run `command` itself: the installed `migrate` (migrate-cli) runs it,
/// and a runner does not compile it, so that its first build compiles less.
pub(crate) fn built_without(command: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`{command}` is the installed command's: run `migrate {command}` (this migrations runner links \
         pgm-migrate-runner, which leaves it out; an application that wants it in its own binary depends on \
         migrate-cli and calls `migrate_cli::run_embedded`)"
    )
}
