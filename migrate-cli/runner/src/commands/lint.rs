//! `lint`: checks migrations against rules for busy databases; exit status 4 on findings.
//!
//! Linting has two halves (see `migrate_core::lint`): collecting what the rules need from the compiled
//! migrations, and running the rules on it. A runner collects (`collect`); the rules (on squawk's SQL parser,
//! a large part of a first build) and the report are the installed `migrate`'s (migrate-cli), which runs them on
//! what a runner prints with `--emit-inputs`, or on what [`crate::commands::lint_inputs`] returns when an
//! application's binary links it. A runner asked for the report says to run `migrate lint`.
//!
//! A project with history lints what is new: `--since REV` asks git which migration files changed (the
//! runner resolves it, as it knows the folder), and a baseline file accepts the findings of migrations that
//! will not change (applied by `import`, or before linting started) without a comment in them, which would
//! change their checksum (applied where the rules run).

pub(super) mod since;

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::{lint, Direction};

use super::context::Context;
use crate::args::Command;

/// What `lint` collects, as `Command::Lint` holds it.
pub struct LintArgs<'c> {
    pub names: &'c [String],
    pub down: bool,
    pub pg_version: Option<u32>,
    /// `--since REV`: only the migrations whose files changed since that git revision.
    pub since: Option<&'c str>,
    pub database_on_command_line: bool,
}

impl<'c> LintArgs<'c> {
    /// `command`'s, when it is `lint`.
    pub fn of(command: &'c Command) -> Option<Self> {
        let Command::Lint {
            names,
            down,
            pg_version,
            since,
            database_on_command_line,
            ..
        } = command
        else {
            return None;
        };
        Some(Self {
            names,
            down: *down,
            pg_version: *pg_version,
            since: since.as_deref(),
            database_on_command_line: *database_on_command_line,
        })
    }
}

/// `lint` in a runner: with `--emit-inputs`, collects and prints the inputs as JSON (for the installed
/// `migrate`); without, says which command lints.
pub(super) fn emit(
    context: &Context<'_>,
    args: &LintArgs<'_>,
    emit_inputs: bool,
) -> Result<ExitCode> {
    // Before the database is read for --database-url: this runner cannot finish the lint anyway.
    if !emit_inputs {
        return Err(super::built_without("lint"));
    }
    outln!("{}", collect(context, args)?.to_json());
    Ok(ExitCode::SUCCESS)
}

/// What the rules need from the migrations `args` name.
pub(super) fn collect(context: &Context<'_>, args: &LintArgs<'_>) -> Result<lint::LintInputs> {
    let pg_version = match args.pg_version {
        Some(major) => major,
        None if args.database_on_command_line => {
            let db = context.target()?;
            let mut client = db.connect(context.settings.connect_timeout).context(
                "lint reads the server's PostgreSQL major when --database-url is given; \
                 pass --pg-version to lint without a database",
            )?;
            migrate_core::server_major(&mut client)?
        }
        None => lint::DEFAULT_PG_VERSION,
    };
    let options = lint::LintOptions {
        direction: if args.down {
            Direction::Down
        } else {
            Direction::Up
        },
        pg_version,
    };
    match args.since {
        Some(rev) => {
            let names = since::changed_since("lint", rev, &context.settings.migrations_dir)?;
            // Nothing changed: nothing to lint (no names would mean every migration).
            if names.is_empty() {
                Ok(lint::LintInputs::new(&options))
            } else {
                inputs_with_repeatables(context.registry, &names, &options)
            }
        }
        None => inputs_with_repeatables(context.registry, args.names, &options),
    }
}

/// What `lint` checks: the named migrations (all without names), then, for `up`, the named repeatable
/// migrations (all without names). A repeatable is named by its whole name (`repeatable_<name>`); it has no
/// `down` to lint.
pub(super) fn inputs_with_repeatables(
    registry: &migrate_core::Registry,
    names: &[String],
    options: &lint::LintOptions,
) -> Result<lint::LintInputs> {
    let (repeatable_names, versioned_names): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| n.starts_with(migrate_core::naming::REPEATABLE_PREFIX));
    let only_repeatables = !names.is_empty() && versioned_names.is_empty();
    let mut inputs = if only_repeatables {
        lint::LintInputs::new(options)
    } else {
        lint::collect(registry.migrations.as_slice(), &versioned_names, options)?
    };
    if options.direction == Direction::Down {
        if !repeatable_names.is_empty() {
            anyhow::bail!(
                "repeatable migrations have no `down` to lint: {}",
                repeatable_names.join(", ")
            );
        }
        return Ok(inputs);
    }
    let repeatables = registry.repeatables.as_slice();
    if let Some(unknown) = repeatable_names
        .iter()
        .find(|n| !repeatables.iter().any(|m| m.name() == n.as_str()))
    {
        anyhow::bail!("no repeatable migration named {unknown} in the migrations folder");
    }
    if names.is_empty() || !repeatable_names.is_empty() {
        inputs.extend(lint::collect(repeatables, &repeatable_names, options)?);
    }
    Ok(inputs)
}
