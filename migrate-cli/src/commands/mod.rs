//! What each command does, given resolved settings and (for all but `create`, `init`, `completions`, `man` and
//! `database create|drop`) the compiled migrations: one file per command, and this dispatch.

pub(crate) mod completions;
mod context;
mod create;
mod database;
mod down;
#[cfg(feature = "import")]
mod import;
#[cfg(feature = "init")]
mod init;
mod lint;
mod redo;
mod repair;
mod schema;
mod script;
mod sql;
mod squash;
pub(crate) mod status;
mod trace;
pub(crate) mod up;
mod verify;

use std::process::ExitCode;

use anyhow::Result;
use migrate_core::Registry;

use crate::args::{Command, SchemaAction};
use crate::settings::Settings;

pub(crate) use context::note_schema_file;
pub use create::create;
pub use database::database;
#[cfg(feature = "import")]
pub use import::import;
#[cfg(feature = "init")]
pub use init::init;
#[cfg(feature = "lint")]
pub use lint::{through_runner as lint_through_runner, ReportArgs as LintReportArgs};

/// Every command that needs the compiled migrations.
pub fn run(settings: &Settings, registry: &Registry, command: &Command) -> Result<ExitCode> {
    settings.check_compiled_dir(registry.dir)?;
    let acts_on_compiled = !matches!(
        command,
        Command::Create { .. }
            | Command::Init(_)
            | Command::Import(_)
            | Command::Database { .. }
            | Command::Completions { .. }
            | Command::Man
    );
    if acts_on_compiled {
        crate::settings::check_compiled_content(registry)?;
    }
    let context = context::Context::new(settings, registry);
    match command {
        Command::Create { name, repeatable } => create(settings, name, *repeatable),
        Command::Init(args) => init(args),
        Command::Import(args) => import(settings, args),
        Command::Database { action } => database(settings, Some(registry), action),
        Command::Up(args) => up::up(&context, args),
        Command::Down(args) => down::down(&context, args),
        Command::Redo { count, log } => redo::redo(&context, *count, log),
        Command::Status { json } => status::status(&context, *json),
        Command::Sql { names, down } => sql::sql(&context, names, *down),
        Command::Verify => verify::verify(settings, registry, &context.target()?),
        Command::Trace(args) => trace::trace(settings, registry, &context.target()?, args),
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
                report: lint::ReportArgs {
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
        Command::Completions { shell } => completions::completions(*shell),
        Command::Man => completions::man(),
    }
}

/// `init` in a binary built without migrate-cli's feature `init`: a runner, whose dependency `migrate init`
/// writes with `default-features = false`.
#[cfg(not(feature = "init"))]
pub fn init(_: &crate::args::InitArgs) -> Result<ExitCode> {
    Err(built_without("init"))
}

/// `import` in a binary built without migrate-cli's feature `import` (see [`init`]).
#[cfg(not(feature = "import"))]
pub fn import(_: &Settings, _: &crate::args::ImportArgs) -> Result<ExitCode> {
    Err(built_without("import"))
}

/// Why a runner binary cannot run `command` itself: the installed `migrate` runs it (a runner leaves out
/// what it never needs at run time, so that its first build compiles less).
#[cfg(not(all(
    feature = "init",
    feature = "import",
    feature = "lint",
    feature = "completions"
)))]
fn built_without(command: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "this migrations runner was built without `{command}` (its migrate-cli dependency has \
         `default-features = false`, as `migrate init` writes it): run `migrate {command}`, the installed \
         command, which has it, or enable migrate-cli's feature `{command}` in the runner's package"
    )
}
