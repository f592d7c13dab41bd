//! The lint rules and their report, the front end's half of `lint` (the runner's collects what they need:
//! `migrate_runner::commands::lint`). The rules run on squawk's SQL parser, which a runner does not compile.
//!
//! A project with history lints what is new: a baseline file accepts the findings of migrations that will not
//! change (applied by `import`, or before linting started) without a comment in them, which would change
//! their checksum (`baseline`, applied where the rules run).

mod baseline;
mod report;

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::lint;
use migrate_runner::args::{BaselineArgs, LintFormat};
use migrate_runner::stdio::{errln, out, outln};

/// How the report is made and shown.
pub(crate) struct ReportArgs<'c> {
    pub format: LintFormat,
    pub baseline: &'c BaselineArgs,
    /// Every migration is linted (no names, no `--since`): a baseline written from it drops the entries of
    /// migrations that are gone.
    pub whole: bool,
}

/// Runs the rules on `inputs`, then writes the baseline (`--write-baseline`), or leaves out what it accepts
/// and prints the report in the format asked for.
pub(crate) fn analyse_and_print(
    inputs: &lint::LintInputs,
    args: &ReportArgs<'_>,
    config: &migrate_runner::config::Config,
) -> Result<ExitCode> {
    // Checked when the file was read; a config built by hand in a test may still hold an unknown name.
    let rules = config
        .file
        .lint_rules()
        .map_err(|e| anyhow::anyhow!("invalid {}: {e}", config.describe()))?;
    let mut report = lint::analyse_with(inputs, &rules);
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
            if accepted.apply(&mut report) > 0 {
                errln!("hint: `migrate lint --write-baseline` shrinks the baseline to what is found now");
            }
        }
    }
    print_report(&report, &options, args.format)
}

/// `lint` in the installed `migrate`: the runner (built first when stale) collects the inputs, this process
/// runs the rules and prints the report, exactly as a runner with the rules would. `args` are the command
/// line's arguments (without the program); `format` is `--format`'s value.
pub(crate) fn through_runner(
    config: &migrate_runner::config::Config,
    release: bool,
    args: Vec<std::ffi::OsString>,
    report: &ReportArgs<'_>,
) -> Result<ExitCode> {
    use crate::forward::{self, Captured};

    let runner = forward::runner(config, release)?;
    let exe = &runner.exe;
    let flag = format!("--{}", migrate_runner::args::EMIT_LINT_INPUTS);
    match forward::capture(&runner, with_flag(&args, &flag), &flag)? {
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
        Captured::UnknownFlag => forward::run(&runner, args),
    }
}

/// `args` with `flag` added to `lint`'s own arguments: before a `--` (after which every word is a migration
/// name), else at the end.
pub(crate) fn with_flag(args: &[std::ffi::OsString], flag: &str) -> Vec<std::ffi::OsString> {
    let mut out = args.to_vec();
    let at = out.iter().position(|a| a == "--").unwrap_or(out.len());
    out.insert(at, flag.into());
    out
}

/// Prints `report` in `format`; the exit status says whether it found anything.
fn print_report(
    report: &lint::Report,
    options: &lint::LintOptions,
    format: LintFormat,
) -> Result<ExitCode> {
    use report::{lint_github, lint_json, lint_text};

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
        return Ok(ExitCode::from(migrate_runner::EXIT_LINT_FINDINGS));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
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
