//! The end of a fleet command: a summary for people, or one JSON object with every target. URLs are shown
//! without their password.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use migrate_core::fleet::{
    Fleet, FleetReport, Phase, Target, TargetError, TargetReport, TargetState, TargetStatus,
};
use serde_json::{json, Value};

use super::connector::{CliConnector, TOO_MANY_CONNECTIONS};

/// At most this many names in a list of the text summary (the JSON has them all).
const LISTED: usize = 20;

/// An error's first line, and the server's message when it is on a later one.
pub fn brief(message: &str) -> String {
    let first = message
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches(':');
    match message
        .lines()
        .skip(1)
        .map(str::trim)
        .find(|l| l.starts_with("ERROR") || l.starts_with("FATAL"))
    {
        Some(server) => format!("{first}: {server}"),
        None => first.to_owned(),
    }
}

fn names(list: &[&str]) -> String {
    let mut out = list
        .iter()
        .take(LISTED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > LISTED {
        let _ = write!(out, " and {} more", list.len() - LISTED);
    }
    out
}

fn error_json(error: &Option<TargetError>) -> Value {
    match error {
        None => Value::Null,
        Some(e) => json!({
            "message": e.message,
            "migration": e.migration,
            "sqlstate": e.sqlstate,
            "session_ended": e.session_ended,
        }),
    }
}

/// The text summary of `up` or `down`. `idle_in_transaction` is the run's
/// `idle_in_transaction_session_timeout`, for the hint on targets whose session the server ended.
pub fn run_text(
    fleet: &Fleet<'_, '_>,
    report: &FleetReport,
    verb: &str,
    idle_in_transaction: Option<std::time::Duration>,
) -> String {
    let mut out = String::new();
    run_counts(&mut out, report, verb);
    let _ = writeln!(
        out,
        "run {id}: `fleet runs show {id}` lists what it did on each target, `fleet down --run {id}` reverts it",
        id = fleet.run_id()
    );
    let targets = fleet.targets();
    failed_targets(&mut out, targets, report);
    ended_sessions_hint(&mut out, targets, report, idle_in_transaction);
    connection_limit_hint(&mut out, fleet, report);
    unfinished_targets(&mut out, targets, report);
    slowest_targets(&mut out, targets, report);
    if let Some(reason) = &report.stopped {
        let _ = writeln!(out, "stopped: {reason}");
    }
    if report.count(TargetState::Failed) + report.count(TargetState::Interrupted) > 0 {
        let _ = writeln!(
            out,
            "each target is its own unit: a failed or interrupted target's migration in progress was rolled \
             back, or kept as far as it took effect, each step recorded as it committed; the migrations before \
             it stay; run the same command again to continue"
        );
    }
    marked_targets(&mut out, targets, report);
    out
}

/// The run's first line (targets, time, migrations run) and how many targets ended in each state.
fn run_counts(out: &mut String, report: &FleetReport, verb: &str) {
    let ran_word = if verb == "down" {
        "reverted"
    } else {
        "applied"
    };
    let _ = writeln!(
        out,
        "fleet {verb}: {} target(s) in {:.1} s, {} migration(s) {ran_word}",
        report.targets.len(),
        report.duration.as_secs_f64(),
        report.ran()
    );
    for state in TargetState::ALL {
        let n = report.count(state);
        if n > 0 {
            let _ = writeln!(out, "  {:<12} {n}", state.as_str());
        }
    }
}

/// The failed, unreachable and interrupted targets, each with its error.
fn failed_targets(out: &mut String, targets: &[Target], report: &FleetReport) {
    for state in [
        TargetState::Failed,
        TargetState::Unreachable,
        TargetState::Interrupted,
    ] {
        let with: Vec<(usize, &TargetReport)> = report
            .targets
            .iter()
            .enumerate()
            .filter(|(_, r)| r.state == state)
            .collect();
        if with.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{}:", state.as_str());
        for (i, r) in with.iter().take(LISTED) {
            let error = r.error.as_ref().map_or(String::new(), |e| {
                let mut line = brief(&e.message);
                if let Some(code) = &e.sqlstate {
                    if !line.contains(code.as_str()) {
                        let _ = write!(line, " (SQLSTATE {code})");
                    }
                }
                line
            });
            let _ = writeln!(out, "  {}: {error}", targets[*i].name);
        }
        if with.len() > LISTED {
            let _ = writeln!(out, "  and {} more (see --json)", with.len() - LISTED);
        }
    }
}

/// Why the server may have ended the sessions it ended, naming their targets.
fn ended_sessions_hint(
    out: &mut String,
    targets: &[Target],
    report: &FleetReport,
    idle_in_transaction: Option<std::time::Duration>,
) {
    let ended: Vec<&str> = report
        .targets
        .iter()
        .zip(targets)
        .filter(|(r, _)| r.error.as_ref().is_some_and(|e| e.session_ended))
        .map(|(_, t)| t.name.as_str())
        .collect();
    if !ended.is_empty() {
        let _ = writeln!(
            out,
            "hint: the server ended the session of {}: {}",
            names(&ended),
            crate::session_end::ended_reasons(idle_in_transaction)
        );
    }
}

/// The targets the server refused a session because its connections were all taken: the fleet's own sessions
/// count among them, so the limit to lower is named with its value in this run.
fn connection_limit_hint(out: &mut String, fleet: &Fleet<'_, '_>, report: &FleetReport) {
    let refused: Vec<&str> = report
        .targets
        .iter()
        .zip(fleet.targets())
        .filter(|(r, _)| {
            r.error
                .as_ref()
                .is_some_and(|e| e.sqlstate.as_deref() == Some(TOO_MANY_CONNECTIONS))
        })
        .map(|(_, t)| t.name.as_str())
        .collect();
    if refused.is_empty() {
        return;
    }
    let options = fleet.options();
    let _ = writeln!(
        out,
        "hint: the server refused {} a session: its connection limit is reached (max_connections, or the \
         role's or the database's CONNECTION LIMIT). This run opens up to {} session(s) on each server \
         (--per-server {}, --parallel {} over all servers), and one more for each running target while its \
         locks are watched, next to the application's own: lower --per-server below the sessions the server \
         has free, or raise its limit, then run the same command again; the refused targets ran nothing",
        names(&refused),
        options.per_server.min(options.parallel),
        options.per_server,
        options.parallel,
    );
}

/// The targets that ran nothing: busy to the end, skipped, or never started.
fn unfinished_targets(out: &mut String, targets: &[Target], report: &FleetReport) {
    for (state, what) in [
        (
            TargetState::Busy,
            "busy (another runner held the lock to the end)",
        ),
        (TargetState::Skipped, "skipped (not started)"),
        (TargetState::Pending, "not started"),
    ] {
        let with: Vec<&str> = report
            .targets
            .iter()
            .zip(targets)
            .filter(|(r, _)| r.state == state)
            .map(|(_, t)| t.name.as_str())
            .collect();
        if !with.is_empty() {
            let _ = writeln!(out, "{what}: {}", names(&with));
        }
    }
}

/// The three targets that took longest among those that ran a migration.
fn slowest_targets(out: &mut String, targets: &[Target], report: &FleetReport) {
    let mut slowest: Vec<(usize, &TargetReport)> = report
        .targets
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.ran.is_empty())
        .collect();
    slowest.sort_by_key(|(_, r)| std::cmp::Reverse(r.duration));
    if !slowest.is_empty() {
        let list: Vec<String> = slowest
            .iter()
            .take(3)
            .map(|(i, r)| format!("{} ({:.1} s)", targets[*i].name, r.duration.as_secs_f64()))
            .collect();
        let _ = writeln!(out, "slowest: {}", list.join(", "));
    }
}

/// A raw statement that failed part-way is marked on its target: the same command refuses there until
/// a person checks it. Said per target, with the command that continues.
fn marked_targets(out: &mut String, targets: &[Target], report: &FleetReport) {
    for (r, t) in report.targets.iter().zip(targets) {
        let marked = r.error.as_ref().filter(|e| e.marked);
        if let Some(marked) = marked.and_then(|e| e.migration.as_deref()) {
            let _ = writeln!(
                out,
                "{}: {marked} is marked as failed part-way; check what failed there, then `migrate fleet up \
                 --retry {marked}` (with the same targets) continues it",
                t.name
            );
        }
    }
}

/// The JSON report of `up` or `down`.
pub fn run_json(
    fleet: &Fleet<'_, '_>,
    connector: &CliConnector,
    report: &FleetReport,
    verb: &str,
) -> Value {
    let ran_key = if verb == "down" {
        "reverted"
    } else {
        "applied"
    };
    let targets: Vec<Value> = fleet
        .targets()
        .iter()
        .zip(&report.targets)
        .map(|(t, r)| {
            json!({
                "name": t.name,
                "url": connector.shown_url(t),
                "schema": t.schema,
                "state": r.state.as_str(),
                "version_before": r.version_before,
                "version_after": r.version_after,
                ran_key: r.ran,
                "duration_ms": r.duration.as_millis() as u64,
                "busy_revisits": r.busy,
                "error": error_json(&r.error),
            })
        })
        .collect();
    let mut summary = serde_json::Map::new();
    summary.insert("targets".to_owned(), json!(report.targets.len()));
    for state in TargetState::ALL {
        summary.insert(state.as_str().to_owned(), json!(report.count(state)));
    }
    summary.insert("migrations".to_owned(), json!(report.ran()));
    json!({
        "command": verb,
        "run_id": fleet.run_id(),
        "targets": targets,
        "summary": summary,
        "stopped": report.stopped.as_ref().map(ToString::to_string),
        "duration_ms": report.duration.as_millis() as u64,
    })
}

/// What a target's status is, in one word.
fn status_word(s: &TargetStatus) -> &'static str {
    match (&s.error, s.unreachable, s.problems.is_empty(), s.phase) {
        (Some(_), true, _, _) => "unreachable",
        (Some(_), false, _, _) => "error",
        (None, _, false, _) => "problem",
        (None, _, true, Some(phase)) => phase.as_str(),
        (None, _, true, None) => "error",
    }
}

const NOTHING_APPLIED: &str = "(nothing applied)";

/// The text summary of `status`.
pub fn status_text(fleet: &Fleet<'_, '_>, statuses: &[TargetStatus], known: usize) -> String {
    let mut out = String::new();
    let targets = fleet.targets();
    let _ = writeln!(
        out,
        "fleet status: {} target(s), {known} migration(s) known",
        statuses.len()
    );
    version_table(&mut out, statuses);
    phases(&mut out, targets, statuses);
    problem_targets(&mut out, targets, statuses);
    unreadable_targets(&mut out, targets, statuses);
    slowest_migrations(&mut out, targets, statuses);
    out
}

/// How many readable targets are at each version, newest first.
fn version_table(out: &mut String, statuses: &[TargetStatus]) {
    let mut versions: BTreeMap<&str, usize> = BTreeMap::new();
    for s in statuses.iter().filter(|s| s.error.is_none()) {
        *versions
            .entry(s.version.as_deref().unwrap_or(NOTHING_APPLIED))
            .or_default() += 1;
    }
    if !versions.is_empty() {
        let width = versions.keys().map(|v| v.len()).max().unwrap_or(0).max(7);
        let _ = writeln!(out, "  {:<width$}  targets", "version");
        // Newest first; nothing applied last.
        for (version, n) in versions.iter().rev() {
            let _ = writeln!(out, "  {version:<width$}  {n}");
        }
    }
    // A rollout stopped between waves (or still going) leaves the fleet at several versions.
    if versions.len() > 1 {
        let at: Vec<String> = versions
            .iter()
            .rev()
            .map(|(version, n)| format!("{n} at {version}"))
            .collect();
        let _ = writeln!(out, "mixed: {}", at.join(", "));
    }
}

/// How many targets are current, and which are behind or expanded, with what they have left.
fn phases(out: &mut String, targets: &[Target], statuses: &[TargetStatus]) {
    // Counted by the word the JSON gives each target: one with a problem is listed with the problems, not
    // as current, behind or expanded, whatever its phase.
    let current = statuses
        .iter()
        .filter(|s| status_word(s) == Phase::Current.as_str())
        .count();
    let _ = writeln!(out, "current: {current}");
    let behind = listed(targets, statuses, |s| {
        (status_word(s) == Phase::Behind.as_str()).then(|| format!(" ({} pending)", s.pending))
    });
    let expanded = listed(targets, statuses, |s| {
        (status_word(s) == Phase::Expanded.as_str())
            .then(|| format!(" ({} contract(s))", s.contracts_pending))
    });
    for (what, list) in [
        ("behind", behind),
        ("expanded, contracts left for after the rollout", expanded),
    ] {
        if !list.is_empty() {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            let _ = writeln!(out, "{what} ({}): {}", list.len(), names(&refs));
        }
    }
}

/// Each target's name followed by what `pick` says of it, for the targets it says something of.
fn listed(
    targets: &[Target],
    statuses: &[TargetStatus],
    pick: impl Fn(&TargetStatus) -> Option<String>,
) -> Vec<String> {
    statuses
        .iter()
        .zip(targets)
        .filter_map(|(s, t)| pick(s).map(|what| format!("{}{what}", t.name)))
        .collect()
}

/// The readable targets with problems, each with the problems.
fn problem_targets(out: &mut String, targets: &[Target], statuses: &[TargetStatus]) {
    let problems: Vec<(usize, &TargetStatus)> = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| s.error.is_none() && !s.problems.is_empty())
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(
            out,
            "problems ({}): `up` refuses on these targets until they are fixed (`status` on one shows why):",
            problems.len()
        );
        for (i, s) in problems.iter().take(LISTED) {
            let _ = writeln!(out, "  {}: {}", targets[*i].name, s.problems.join("; "));
        }
        if problems.len() > LISTED {
            let _ = writeln!(out, "  and {} more (see --json)", problems.len() - LISTED);
        }
    }
}

/// The targets whose status could not be read, each with its error.
fn unreadable_targets(out: &mut String, targets: &[Target], statuses: &[TargetStatus]) {
    let failed: Vec<(usize, &TargetStatus)> = statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| s.error.is_some())
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "unreachable or unreadable ({}):", failed.len());
        for (i, s) in failed.iter().take(LISTED) {
            let message = s
                .error
                .as_ref()
                .map(|e| brief(&e.message))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}: {message}", targets[*i].name);
        }
        if failed.len() > LISTED {
            let _ = writeln!(out, "  and {} more (see --json)", failed.len() - LISTED);
        }
    }
}

/// The three slowest migrations across the fleet, each with its target.
fn slowest_migrations(out: &mut String, targets: &[Target], statuses: &[TargetStatus]) {
    let mut slowest: Vec<(usize, &str, i64)> = statuses
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.slowest.as_ref().map(|(m, ms)| (i, m.as_str(), *ms)))
        .collect();
    slowest.sort_by_key(|(_, _, ms)| std::cmp::Reverse(*ms));
    if !slowest.is_empty() {
        let list: Vec<String> = slowest
            .iter()
            .take(3)
            .map(|(i, m, ms)| format!("{} {m} ({ms} ms)", targets[*i].name))
            .collect();
        let _ = writeln!(out, "slowest migrations: {}", list.join(", "));
    }
}

/// The JSON of `status`: `targets` with one entry per target, and `summary`.
pub fn status_json(
    fleet: &Fleet<'_, '_>,
    connector: &CliConnector,
    statuses: &[TargetStatus],
) -> Value {
    let targets: Vec<Value> = fleet
        .targets()
        .iter()
        .zip(statuses)
        .map(|(t, s)| {
            json!({
                "name": t.name,
                "url": connector.shown_url(t),
                "schema": t.schema,
                "state": status_word(s),
                "version": s.version,
                "applied": s.applied,
                "pending": s.pending,
                "contracts_pending": s.contracts_pending,
                "phase": s.phase.map(Phase::as_str),
                "problems": s.problems,
                "slowest": s.slowest.as_ref().map(|(m, ms)| json!({"migration": m, "execution_ms": ms})),
                "error": error_json(&s.error),
            })
        })
        .collect();
    let mut versions: BTreeMap<String, usize> = BTreeMap::new();
    for s in statuses.iter().filter(|s| s.error.is_none()) {
        *versions
            .entry(s.version.clone().unwrap_or_default())
            .or_default() += 1;
    }
    let count = |word: &str| statuses.iter().filter(|s| status_word(s) == word).count();
    json!({
        "targets": targets,
        "summary": {
            "targets": statuses.len(),
            "versions": versions,
            "current": count("current"),
            "expanded": count("expanded"),
            "behind": count("behind"),
            "problem": count("problem"),
            "unreachable": count("unreachable"),
            "error": count("error"),
        },
    })
}
