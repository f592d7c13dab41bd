//! `lint`: checks migrations against rules for busy databases; exit status 4 on findings.
//!
//! Linting has two halves (see `migrate_core::lint`): collecting what the rules need from the compiled
//! migrations, and running the rules on it. A runner binary always collects; it runs the rules only when built
//! with migrate-cli's feature `lint` (the SQL parser they run on is a large part of a first build, and
//! `migrate init` leaves it out). The installed `migrate lint` therefore runs the runner as a child with
//! `--emit-inputs`, reads the inputs it prints, and runs the rules and prints the report itself
//! ([`through_runner`]); for a runner from before that flag it forwards the command as it always did.
//!
//! A project with history lints what is new: `--since REV` asks git which migration files changed (the
//! runner resolves it, as it knows the folder), and a baseline file accepts the findings of migrations that
//! will not change (applied by `import`, or before linting started) without a comment in them, which would
//! change their checksum (`baseline`, applied where the rules run).

#[cfg(feature = "lint")]
mod baseline;
mod since;

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::{lint, Direction};

use super::context::Context;
use crate::args::{BaselineArgs, LintFormat};

/// `lint`'s arguments, as `Command::Lint` holds them.
pub(super) struct LintArgs<'c> {
    pub(super) names: &'c [String],
    pub(super) down: bool,
    pub(super) pg_version: Option<u32>,
    /// `--since REV`: only the migrations whose files changed since that git revision.
    pub(super) since: Option<&'c str>,
    pub(super) report: ReportArgs<'c>,
    pub(super) database_on_command_line: bool,
    /// Print the collected inputs as JSON instead of linting (for the installed `migrate`).
    pub(super) emit_inputs: bool,
}

/// How the report is made and shown, wherever the rules run (a runner with them, or the installed `migrate`).
#[cfg_attr(not(feature = "lint"), allow(dead_code))]
pub struct ReportArgs<'c> {
    pub format: LintFormat,
    pub baseline: &'c BaselineArgs,
    /// Every migration is linted (no names, no `--since`): a baseline written from it drops the entries of
    /// migrations that are gone.
    pub whole: bool,
}

/// `lint` in a runner: collects, then prints the inputs (`--emit-inputs`) or lints and prints the report.
pub(super) fn lint(context: &Context<'_>, args: &LintArgs<'_>) -> Result<ExitCode> {
    // Before the database is read for --database-url: this runner cannot finish the lint anyway.
    #[cfg(not(feature = "lint"))]
    if !args.emit_inputs {
        return Err(super::built_without("lint"));
    }
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
    let inputs = match args.since {
        Some(rev) => {
            let names = since::changed_since(rev, &context.settings.migrations_dir)?;
            // Nothing changed: nothing to lint (no names would mean every migration).
            if names.is_empty() {
                lint::LintInputs::new(&options)
            } else {
                inputs_with_repeatables(context.registry, &names, &options)?
            }
        }
        None => inputs_with_repeatables(context.registry, args.names, &options)?,
    };
    if args.emit_inputs {
        outln!("{}", inputs.to_json());
        return Ok(ExitCode::SUCCESS);
    }
    analyse_and_print(&inputs, &args.report, &context.settings.config)
}

/// Runs the rules on `inputs`, then writes the baseline (`--write-baseline`), or leaves out what it accepts
/// and prints the report in the format asked for.
#[cfg(feature = "lint")]
fn analyse_and_print(
    inputs: &lint::LintInputs,
    args: &ReportArgs<'_>,
    config: &crate::config::Config,
) -> Result<ExitCode> {
    let mut report = lint::analyse(inputs);
    let options = inputs.options();
    let path = baseline::path(config, args.baseline);
    if args.baseline.write_baseline {
        if report.unparsable_count() > 0 {
            // Listed, and an error: what the parser cannot read is never accepted unseen.
            return print_report(&report, &options, args.format);
        }
        return baseline::write(&report, &path, args.whole);
    }
    if !args.baseline.no_baseline {
        if let Some(accepted) = baseline::read(&path, args.baseline.baseline.is_some())? {
            accepted.apply(&mut report);
        }
    }
    print_report(&report, &options, args.format)
}

/// Without the rules (`lint` returned before collecting): the installed `migrate lint` runs them.
#[cfg(not(feature = "lint"))]
fn analyse_and_print(
    _: &lint::LintInputs,
    _: &ReportArgs<'_>,
    _: &crate::config::Config,
) -> Result<ExitCode> {
    Err(super::built_without("lint"))
}

/// `lint` in the installed `migrate`: the runner (built first when stale) collects the inputs, this process
/// runs the rules and prints the report, exactly as a runner with the rules would. `args` are the command
/// line's arguments (without the program); `format` is `--format`'s value.
#[cfg(feature = "lint")]
pub fn through_runner(
    config: &crate::config::Config,
    release: bool,
    args: Vec<std::ffi::OsString>,
    report: &ReportArgs<'_>,
) -> Result<ExitCode> {
    use crate::forward::{self, Captured};

    let exe = forward::runner(config, release)?;
    let flag = format!("--{}", crate::args::EMIT_LINT_INPUTS);
    match forward::capture(&exe, with_flag(&args, &flag), &flag)? {
        Captured::Stdout(json) => {
            let inputs = lint::LintInputs::from_json(&json).with_context(|| {
                format!(
                    "cannot read what the migrations runner {} collected for lint; rebuild it with this \
                     version of migrate's crates",
                    exe.display()
                )
            })?;
            analyse_and_print(&inputs, report, config)
        }
        // The runner said why (a name that matches no migration, a malformed suppression comment, ...).
        Captured::Failed(code) => Ok(code),
        // A runner built before the flag existed lints by itself, as it always did.
        Captured::UnknownFlag => forward::run(&exe, args),
    }
}

/// `args` with `flag` added to `lint`'s own arguments: before a `--` (after which every word is a migration
/// name), else at the end.
#[cfg(feature = "lint")]
fn with_flag(args: &[std::ffi::OsString], flag: &str) -> Vec<std::ffi::OsString> {
    let mut out = args.to_vec();
    let at = out.iter().position(|a| a == "--").unwrap_or(out.len());
    out.insert(at, flag.into());
    out
}

/// Prints `report` in `format`; the exit status says whether it found anything.
#[cfg(feature = "lint")]
fn print_report(
    report: &lint::Report,
    options: &lint::LintOptions,
    format: LintFormat,
) -> Result<ExitCode> {
    use crate::output::{lint_github, lint_json, lint_text};
    use crate::stdio::out;

    match format {
        LintFormat::Text => out!("{}", lint_text(report, options)),
        LintFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&lint_json(report, options))
                .context("cannot serialise the lint report")?
        ),
        LintFormat::Github => out!("{}", lint_github(report, options)),
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

#[cfg(all(test, feature = "lint"))]
mod tests {
    use super::*;

    #[test]
    fn the_flag_goes_before_a_double_dash() {
        let args =
            |words: &[&str]| -> Vec<std::ffi::OsString> { words.iter().map(Into::into).collect() };
        assert_eq!(
            with_flag(&args(&["lint", "--down", "a"]), "--emit-inputs"),
            args(&["lint", "--down", "a", "--emit-inputs"])
        );
        assert_eq!(
            with_flag(
                &args(&["--release", "lint", "--", "--odd-name"]),
                "--emit-inputs"
            ),
            args(&["--release", "lint", "--emit-inputs", "--", "--odd-name"])
        );
    }
}

/// What `lint` checks: the named migrations (all without names), then, for `up`, the named repeatable
/// migrations (all without names). A repeatable is named by its whole name (`repeatable_<name>`); it has no
/// `down` to lint.
fn inputs_with_repeatables(
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
