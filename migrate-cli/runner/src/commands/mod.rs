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
mod lint;
mod redo;
mod repair;
mod review;
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

pub use crate::front::LintReportArgs;
pub(crate) use context::note_schema_file;
pub use create::create;
pub use database::database;

/// Every command that needs the compiled migrations.
pub fn run(settings: &Settings, registry: &Registry, command: &Command) -> Result<ExitCode> {
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
    let context = context::Context::new(settings, registry, origin);
    match command {
        Command::Create { name, repeatable } => create(settings, name, *repeatable),
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
        Command::Verify => verify::verify(settings, registry, &context.target()?),
        Command::Diff(args) => diff::diff(&context, args),
        Command::Trace(args) => trace::trace(settings, registry, &context.target()?, args),
        Command::Review(args) => review::review(&context, args),
        Command::Lint {
            names,
            down,
            pg_version,
            format,
            since,
            baseline,
            database_on_command_line,
            emit_inputs,
        } => lint::lint(
            &context,
            &lint::LintArgs {
                names,
                down: *down,
                pg_version: *pg_version,
                since: since.as_deref(),
                report: LintReportArgs {
                    format: *format,
                    baseline,
                    whole: names.is_empty() && since.is_none(),
                },
                database_on_command_line: *database_on_command_line,
                emit_inputs: *emit_inputs,
            },
        ),
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

/// Why a runner cannot run `command` itself: the installed `migrate` (the front end, migrate-cli) runs it,
/// and a runner does not compile it, so that its first build compiles less.
pub(crate) fn built_without(command: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "`{command}` is the installed command's: run `migrate {command}` (this migrations runner links \
         pgm-migrate-runner, which leaves it out; an application that wants it in its own binary depends on \
         migrate-cli and calls `migrate_cli::run_embedded`)"
    )
}
