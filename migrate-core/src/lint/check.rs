//! Linting a list of migrations: selection, rendering, rules and suppressions put together.

use std::panic::Location;
use std::time::Duration;

use migrate_dsl::DslError;

use crate::error::Error;
use crate::migration::{Direction, Migration};
use crate::plan::Step;
use crate::server::OLDEST_SUPPORTED_MAJOR;

use super::error::{LintError, SuppressionError};
use super::report::{Finding, MigrationLint, Note, Report, Silenced, Unparsable};
use super::rules::Rule;
use super::sql::{self, Input};
use super::suppress::{self, Suppression};

/// The PostgreSQL major version linted for when none is given: the oldest major version still supported
/// upstream at the time of writing, on which the lock facts in the guide (docs/reference/lint-rules.md) were observed.
pub const DEFAULT_PG_VERSION: u32 = 15;

/// The longest `pgm.lock_timeout(..)` that passes `lock-timeout-too-long`: strong_migrations' limit too.
pub const MAX_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How to lint.
#[derive(Debug, Clone, Copy)]
pub struct LintOptions {
    /// Which function of each migration to lint.
    pub direction: Direction,
    /// The PostgreSQL major version the migrations will run on; some rules depend on it.
    pub pg_version: u32,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            direction: Direction::Up,
            pg_version: DEFAULT_PG_VERSION,
        }
    }
}

/// Lints the migrations named in `names` (full name or timestamp), or all of `migrations` when `names` is
/// empty. Malformed suppression comments anywhere in the selection are one error listing them all, so a CI run
/// shows every one at once.
pub fn lint(
    migrations: &[Migration],
    names: &[String],
    options: &LintOptions,
) -> Result<Report, LintError> {
    if !(9..=99).contains(&options.pg_version) {
        return Err(LintError::PgVersion(options.pg_version));
    }
    let selected: Vec<&Migration> = if names.is_empty() {
        migrations.iter().collect()
    } else {
        names
            .iter()
            .map(|n| {
                migrations
                    .iter()
                    .find(|m| m.name() == n || m.version() == n)
                    .ok_or_else(|| Error::UnknownMigration { name: n.clone() })
            })
            .collect::<Result<_, _>>()?
    };

    let mut suppressions = Vec::new();
    let mut bad: Vec<SuppressionError> = Vec::new();
    for m in &selected {
        match suppress::parse(&m.display_path(), m.source()) {
            Ok(s) => suppressions.push(s),
            Err(errors) => bad.extend(errors),
        }
    }
    if !bad.is_empty() {
        return Err(LintError::Suppressions(bad));
    }

    let mut report = Report::default();
    for (m, allowed) in selected.into_iter().zip(suppressions) {
        report.migrations.push(lint_one(m, &allowed, options)?);
    }
    Ok(report)
}

fn lint_one(
    m: &Migration,
    allowed: &[Suppression],
    options: &LintOptions,
) -> Result<MigrationLint, LintError> {
    let mut out = MigrationLint {
        name: m.name().to_owned(),
        path: m.display_path(),
        direction: options.direction,
        findings: Vec::new(),
        silenced: Vec::new(),
        unparsable: Vec::new(),
        notes: Vec::new(),
    };
    let line_of = |at: &Location<'_>| m.line_of(at).map(|line| line as usize);
    let step = match Step::for_lint(m, options.direction, options.pg_version) {
        Ok(step) => step,
        // A migration that declares it cannot run this way has nothing to lint; running it says why.
        Err(Error::Invalid {
            error: e @ (DslError::Refused { .. } | DslError::Irreversible { .. }),
            ..
        }) => {
            out.notes.push(Note {
                line: None,
                message: format!("`{}` not linted: {e}", options.direction),
            });
            return Ok(out);
        }
        Err(e) => return Err(e.into()),
    };

    // A gate that every supported server takes is not wrong, but its `otherwise` is dead code a reviewer
    // would otherwise read as a path some server runs.
    for (major, at) in m.build(options.direction)?.gates_every_server_takes() {
        out.notes.push(Note {
            line: line_of(at),
            message: format!(
                "since_pg({major}): every supported server takes the first branch (PostgreSQL \
                 {OLDEST_SUPPORTED_MAJOR} is the oldest supported), so its `otherwise` never runs; write the \
                 first branch's operations without the gate"
            ),
        });
    }

    let line_of: &dyn Fn(&Location<'_>) -> Option<usize> = &line_of;
    let mut findings: Vec<Finding> = lock_timeout_finding(&step, line_of).into_iter().collect();
    findings.extend(sql_findings(&step, options, line_of, &mut out));
    let findings = accepted_by_contract(&step, findings, line_of, &mut out);
    silence(findings, allowed, options, &mut out);
    Ok(out)
}

/// The migration's own `lock_timeout`, when it is none at all or longer than the limit.
fn lock_timeout_finding(
    step: &Step<'_>,
    line_of: &dyn Fn(&Location<'_>) -> Option<usize>,
) -> Option<Finding> {
    let timeout = step.lock_timeout?;
    if !(timeout.is_zero() || timeout > MAX_LOCK_TIMEOUT) {
        return None;
    }
    let shown = if timeout.is_zero() {
        "0 (no timeout at all)".to_owned()
    } else {
        format!("{:?}", timeout)
    };
    Some(Finding {
        rule: Rule::LockTimeoutTooLong,
        op: None,
        line: step.lock_timeout_at.and_then(line_of),
        statement: "pgm.lock_timeout(..)".to_owned(),
        detail: Some(format!(
            "it is {shown}; the limit is {:?}",
            MAX_LOCK_TIMEOUT
        )),
    })
}

/// What the rules find in the step's SQL; statements the parser cannot read go to `out.unparsable`.
fn sql_findings(
    step: &Step<'_>,
    options: &LintOptions,
    line_of: &dyn Fn(&Location<'_>) -> Option<usize>,
    out: &mut MigrationLint,
) -> Vec<Finding> {
    let statements = step.statements();
    // Data code and backfills render as comments and run as Rust: there is no SQL to check.
    let mut inputs: Vec<Input<'_>> = Vec::with_capacity(statements.len());
    let mut boundary = false;
    for s in statements {
        boundary |= s.new_transaction && step.transactional;
        if s.action.is_some() {
            continue;
        }
        inputs.push(Input {
            position: s.position,
            op: s.op,
            sql: &s.sql,
            line: line_of(s.recorded_at),
            new_transaction: std::mem::take(&mut boundary),
        });
    }
    let (hits, failures) = sql::check(&inputs, options.pg_version, step.transactional);
    out.unparsable
        .extend(failures.into_iter().map(|f| Unparsable {
            op: (inputs[f.input].position, inputs[f.input].op),
            line: inputs[f.input].line,
            message: f.message,
        }));
    hits.into_iter()
        .map(|h| Finding {
            rule: h.rule,
            op: Some((inputs[h.input].position, inputs[h.input].op)),
            line: inputs[h.input].line,
            statement: h.statement,
            detail: h.detail,
        })
        .collect()
}

/// A migration marked contract breaks the running app version on purpose, after the rollout: its reason
/// accepts the findings that say so (into `out.silenced`). Every other finding stands, and is returned.
fn accepted_by_contract(
    step: &Step<'_>,
    findings: Vec<Finding>,
    line_of: &dyn Fn(&Location<'_>) -> Option<usize>,
    out: &mut MigrationLint,
) -> Vec<Finding> {
    let Some(reason) = &step.contract else {
        return findings;
    };
    let line = step.contract_at.and_then(line_of).unwrap_or(0);
    let (accepted, rest): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.rule.breaks_running_code());
    out.silenced
        .extend(accepted.into_iter().map(|finding| Silenced {
            reason: format!("contract: {reason}"),
            line,
            finding,
        }));
    rest
}

/// Each finding silenced by the first `lint: allow` that names its rule, or reported; an allow that
/// silenced nothing is a note.
fn silence(
    findings: Vec<Finding>,
    allowed: &[Suppression],
    options: &LintOptions,
    out: &mut MigrationLint,
) {
    let mut used = vec![false; allowed.len()];
    for finding in findings {
        match allowed.iter().position(|s| s.rules.contains(&finding.rule)) {
            Some(i) => {
                used[i] = true;
                out.silenced.push(Silenced {
                    reason: allowed[i].reason.clone(),
                    line: allowed[i].line,
                    finding,
                });
            }
            None => out.findings.push(finding),
        }
    }
    for (s, used) in allowed.iter().zip(used) {
        if !used {
            out.notes.push(Note {
                line: Some(s.line),
                message: format!(
                    "`lint: allow {}` silenced nothing in `{}`",
                    s.rules
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    options.direction
                ),
            });
        }
    }
}
