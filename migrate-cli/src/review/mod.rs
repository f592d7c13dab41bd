//! The front end's half of `review`: the lint rules run on what the runner collected, each finding's level
//! set by the size of its table, the review's own findings for locks held too long, and the report (the
//! runner's half: `migrate_runner::commands::review`).

mod escape;
mod markdown;
mod text;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use migrate_core::lint::{self, LintInputs};
use migrate_core::review::{Level, Review, ReviewFinding, Thresholds};
use migrate_runner::args::ReviewFormat;
use migrate_runner::config::Config;
use migrate_runner::stdio::{out, outln};

/// A lock that makes queries wait this long is an error unless `[review] max_blocking` says otherwise; a
/// fifth of it is a warning.
const DEFAULT_MAX_BLOCKING: Duration = Duration::from_secs(5);

/// The review's exit status when a migration's verdict is an error.
pub const EXIT_REVIEW_ERRORS: u8 = 10;

/// Judges `review` (lint findings with levels, long locks) and prints it in `format`.
pub(crate) fn report(
    review: &Review,
    inputs: &LintInputs,
    format: ReviewFormat,
    config: &Config,
) -> Result<ExitCode> {
    let review = judged(review.clone(), inputs, config)?;
    match format {
        ReviewFormat::Text => out!("{}", text::text(&review)),
        ReviewFormat::Markdown => out!("{}", markdown::markdown(&review)),
        ReviewFormat::Github => out!("{}", text::github(&review)),
        ReviewFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json(&review)).context("cannot serialise the review")?
        ),
    }
    if review.verdict() == Level::Error {
        return Ok(ExitCode::from(EXIT_REVIEW_ERRORS));
    }
    Ok(ExitCode::SUCCESS)
}

/// `review` in the installed `migrate`: the runner (built first when stale) does the databases' part and
/// prints it with `--emit-review`; this process finishes it.
pub fn through_runner(
    config: &Config,
    release: bool,
    args: Vec<std::ffi::OsString>,
    format: ReviewFormat,
) -> Result<ExitCode> {
    use crate::forward::{self, Captured};

    let runner = forward::runner(config, release)?;
    let exe = &runner.exe;
    let flag = format!("--{}", migrate_runner::args::EMIT_REVIEW);
    match forward::capture(&runner, crate::lint::with_flag(&args, &flag), &flag)? {
        Captured::Stdout(json) => {
            let (review, inputs) = read_emitted(&json).with_context(|| {
                format!(
                    "cannot read the review the migrations runner {} wrote; rebuild it with this version of \
                     migrate's crates",
                    exe.display()
                )
            })?;
            report(&review, &inputs, format, config)
        }
        Captured::Failed(code) => Ok(code),
        Captured::UnknownFlag => anyhow::bail!(
            "the migrations runner {} has no `review` (built with an older version of migrate's crates): \
             update them in its Cargo.toml",
            exe.display()
        ),
    }
}

fn read_emitted(json: &str) -> Result<(Review, LintInputs)> {
    let value: serde_json::Value = serde_json::from_str(json)?;
    let review = Review::from_json(&value["review"].to_string()).map_err(anyhow::Error::msg)?;
    let inputs = LintInputs::from_json(&value["lint"].to_string())?;
    Ok((review, inputs))
}

/// The thresholds and the longest acceptable wait, from `[review]`.
fn settings(config: &Config) -> Result<(Thresholds, Duration)> {
    let section = config.file.review.clone().unwrap_or_default();
    let mut thresholds = Thresholds::default();
    for (rule, threshold) in section.thresholds.unwrap_or_default() {
        if rule == "default" {
            thresholds.default = Some(threshold);
        } else {
            thresholds.rules.insert(rule, threshold);
        }
    }
    if let Some(rule) = thresholds.unknown_rules().first() {
        anyhow::bail!(
            "invalid {}: [review.thresholds] names {rule:?}, which is no lint rule whose risk depends on the \
             table's size ({})",
            config.describe(),
            migrate_core::review::SIZE_RULES.join(", ")
        );
    }
    for (rule, t) in thresholds
        .rules
        .iter()
        .map(|(r, t)| (r.as_str(), *t))
        .chain(thresholds.default.map(|t| ("default", t)))
    {
        if t.note_below > t.error_from {
            anyhow::bail!(
                "invalid {}: [review.thresholds] {rule}: note_below ({}) is above error_from ({})",
                config.describe(),
                t.note_below,
                t.error_from
            );
        }
    }
    let max = match section.max_blocking.as_deref() {
        Some(text) => migrate_runner::parse::parse_duration(text).map_err(|e| {
            anyhow::anyhow!(
                "invalid {}: [review] max_blocking = {text:?}: {e}",
                config.describe()
            )
        })?,
        None => DEFAULT_MAX_BLOCKING,
    };
    Ok((thresholds, max))
}

/// `review` with the lint findings placed on their statements at the level their table's size gives, and
/// a finding for each lock that makes queries wait too long.
fn judged(mut review: Review, inputs: &LintInputs, config: &Config) -> Result<Review> {
    let (thresholds, max) = settings(config)?;
    // The rules `lint` checks for this project (`[lint]`), so the review shows what `lint` reports.
    let rules = config
        .file
        .lint_rules()
        .map_err(|e| anyhow::anyhow!("invalid {}: {e}", config.describe()))?;
    let linted = lint::analyse_with(inputs, &rules);
    let rows_of = |review: &Review, table: Option<&str>| -> Option<f64> {
        let production = review.production.as_ref()?;
        let table = table?;
        // A table production lacks is new: empty there.
        Some(
            production
                .tables
                .iter()
                .find(|t| t.table == table)
                .map_or(0.0, |t| t.rows),
        )
    };
    for m in &linted.migrations {
        let Some(at) = review.migrations.iter().position(|r| r.name == m.name) else {
            continue;
        };
        for f in &m.findings {
            let statement = f.op.and_then(|(position, _)| {
                review.migrations[at]
                    .statements
                    .iter()
                    .position(|s| s.position == position)
            });
            let table = statement.and_then(|i| review.migrations[at].statements[i].table.clone());
            let (level, why) = thresholds.level(f.rule.name(), rows_of(&review, table.as_deref()));
            let finding = ReviewFinding {
                rule: f.rule.name().to_owned(),
                level,
                message: format!(
                    "{}{}; instead, {}{}",
                    f.rule.problem(),
                    table.map(|t| format!(" ({t})")).unwrap_or_default(),
                    f.rule.instead(),
                    why.map(|w| format!(" [{w}]")).unwrap_or_default()
                ),
                line: f.line,
            };
            let migration = &mut review.migrations[at];
            match statement {
                Some(i) => migration.statements[i].findings.push(finding),
                None => migration.findings.push(finding),
            }
        }
        for u in &m.unparsable {
            review.migrations[at].findings.push(ReviewFinding {
                rule: "unparsable".to_owned(),
                level: Level::Error,
                message: format!(
                    "lint cannot parse the SQL of operation {} ({}): {}; no rule checked it",
                    u.op.0, u.op.1, u.message
                ),
                line: u.line,
            });
        }
    }
    for migration in &mut review.migrations {
        for s in &mut migration.statements {
            if let Some(finding) = long_lock(s, max) {
                s.findings.push(finding);
            }
        }
    }
    Ok(review)
}

/// A finding for a lock that makes queries wait `max` or longer (an error), or a fifth of it (a warning).
fn long_lock(s: &migrate_core::review::StatementReview, max: Duration) -> Option<ReviewFinding> {
    let blocking = s.estimate.as_ref()?.blocking.as_ref()?;
    let max = max.as_secs_f64();
    let level = if blocking.seconds >= max {
        Level::Error
    } else if blocking.seconds >= max / 5.0 {
        Level::Warning
    } else {
        return None;
    };
    Some(ReviewFinding {
        rule: "long-lock".to_owned(),
        level,
        message: format!(
            "holds {} on {} for about {}: {} wait{}{} (max_blocking {})",
            blocking.mode,
            blocking.relation,
            migrate_core::review::duration(blocking.seconds),
            blocking.blocks.word(),
            blocking
                .queries_waiting
                .map(|q| format!(
                    ", about {} at the current rate",
                    migrate_core::review::queries(q)
                ))
                .unwrap_or_default(),
            if s.autocommit {
                ""
            } else {
                " (until its transaction commits)"
            },
            migrate_core::review::duration(max)
        ),
        line: s.line.map(|l| l as usize),
    })
}

/// The JSON form: the review as it is, with a summary.
fn json(review: &Review) -> serde_json::Value {
    let count = |level: Level| {
        review
            .migrations
            .iter()
            .flat_map(|m| m.all_findings())
            .filter(|f| f.level == level)
            .count()
    };
    serde_json::json!({
        "review": review,
        "summary": {
            "migrations": review.migrations.len(),
            "verdict": review.verdict().word(),
            "errors": count(Level::Error),
            "warnings": count(Level::Warning),
            "notes": count(Level::Note),
        }
    })
}
