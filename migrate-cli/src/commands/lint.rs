//! `lint`: checks migrations against rules for busy databases; exit status 4 on findings.

use crate::stdio::{out, outln};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::{lint, Direction};

use super::context::Context;
use crate::args::LintFormat;
use crate::output::{lint_github, lint_json, lint_text};

/// `lint`'s arguments, as `Command::Lint` holds them.
pub(super) struct LintArgs<'c> {
    pub(super) names: &'c [String],
    pub(super) down: bool,
    pub(super) pg_version: Option<u32>,
    pub(super) format: LintFormat,
    pub(super) database_on_command_line: bool,
}

pub(super) fn lint(context: &Context<'_>, args: &LintArgs<'_>) -> Result<ExitCode> {
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
    let report = lint_with_repeatables(context.registry, args.names, &options)?;
    match args.format {
        LintFormat::Text => out!("{}", lint_text(&report, &options)),
        LintFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&lint_json(&report, &options))
                .context("cannot serialise the lint report")?
        ),
        LintFormat::Github => out!("{}", lint_github(&report, &options)),
    }
    // SQL no rule could read is an error, not a pass: whatever it hides was not checked.
    if report.unparsable_count() > 0 {
        anyhow::bail!(
            "{} operation(s) have SQL that lint cannot parse, so no rule checked them (listed above); fix the SQL",
            report.unparsable_count()
        );
    }
    if report.finding_count() > 0 {
        return Ok(ExitCode::from(crate::EXIT_LINT_FINDINGS));
    }
    Ok(ExitCode::SUCCESS)
}

/// `lint`'s report: the named migrations (all without names), then, for `up`, the named repeatable migrations
/// (all without names). A repeatable is named by its whole name (`repeatable_<name>`); it has no `down` to
/// lint.
fn lint_with_repeatables(
    registry: &migrate_core::Registry,
    names: &[String],
    options: &lint::LintOptions,
) -> Result<lint::Report> {
    let (repeatable_names, versioned_names): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| n.starts_with(migrate_core::naming::REPEATABLE_PREFIX));
    let only_repeatables = !names.is_empty() && versioned_names.is_empty();
    let mut report = if only_repeatables {
        lint::Report::default()
    } else {
        lint::lint(registry.migrations.as_slice(), &versioned_names, options)?
    };
    if options.direction == Direction::Down {
        if !repeatable_names.is_empty() {
            anyhow::bail!(
                "repeatable migrations have no `down` to lint: {}",
                repeatable_names.join(", ")
            );
        }
        return Ok(report);
    }
    let repeatables = registry.repeatables.as_slice();
    if let Some(unknown) = repeatable_names
        .iter()
        .find(|n| !repeatables.iter().any(|m| m.name() == n.as_str()))
    {
        anyhow::bail!("no repeatable migration named {unknown} in the migrations folder");
    }
    if names.is_empty() || !repeatable_names.is_empty() {
        report
            .migrations
            .extend(lint::lint(repeatables, &repeatable_names, options)?.migrations);
    }
    Ok(report)
}
