//! How the lint report looks: text for people, JSON for tools, GitHub workflow commands.

use migrate_core::lint::{Finding, LintOptions, Report};

use migrate_runner::output::{github_data, github_property};

/// The lint report: each migration with something to say, its findings with the lock and the safe
/// alternative, then a summary line. Migrations without findings, silenced findings, errors or notes are not
/// listed; findings the baseline accepts are only counted.
pub fn lint_text(report: &Report, options: &LintOptions) -> String {
    let mut out = String::new();
    for m in &report.migrations {
        if m.findings.is_empty()
            && m.silenced.is_empty()
            && m.unparsable.is_empty()
            && m.notes.is_empty()
        {
            continue;
        }
        out.push_str(&format!("{} ({}, {})\n", m.path, m.name, m.direction));
        for u in &m.unparsable {
            out.push_str(&format!(
                "  {}: error: cannot parse the SQL: {}; no rule checked it\n",
                at(Some(u.op), u.line),
                u.message
            ));
        }
        for f in &m.findings {
            out.push_str(&format!("  {}: {}\n", at(f.op, f.line), f.rule));
            out.push_str(&format!("    {}\n", f.statement));
            if let Some(detail) = &f.detail {
                out.push_str(&format!("    note:    {detail}\n"));
            }
            out.push_str(&format!("    lock:    {}\n", f.rule.lock()));
            out.push_str(&format!("    risk:    {}\n", f.rule.problem()));
            out.push_str(&format!("    instead: {}\n", f.rule.instead()));
        }
        for s in &m.silenced {
            out.push_str(&format!(
                "  {}: {} silenced by line {}: {}\n",
                at(s.finding.op, s.finding.line),
                s.finding.rule,
                s.line,
                s.reason
            ));
        }
        for note in &m.notes {
            match note.line {
                Some(line) => out.push_str(&format!("  note: line {line}: {}\n", note.message)),
                None => out.push_str(&format!("  note: {}\n", note.message)),
            }
        }
    }
    out.push_str(&lint_summary(report, options));
    out.push('\n');
    out
}

/// The last line of every lint output.
fn lint_summary(report: &Report, options: &LintOptions) -> String {
    let linted = report.migrations.len();
    let with_findings = report
        .migrations
        .iter()
        .filter(|m| !m.findings.is_empty())
        .count();
    let silenced = match report.silenced_count() {
        0 => String::new(),
        n => format!(", {n} silenced"),
    };
    let silenced = match report.baselined_count() {
        0 => silenced,
        n => format!("{silenced}, {n} accepted by the baseline"),
    };
    let errors = match report.unparsable_count() {
        0 => String::new(),
        n => format!("{n} operation(s) with SQL that cannot be parsed, "),
    };
    let head = format!(
        "lint ({}, PostgreSQL {}): {errors}",
        options.direction, options.pg_version
    );
    match report.finding_count() {
        0 => format!("{head}no findings in {linted} migration(s){silenced}"),
        n => format!(
            "{head}{n} finding(s) in {with_findings} of {linted} migration(s){silenced}; \
             fix them, or silence one with `// lint: allow <rule> -- <reason>` in the migration file"
        ),
    }
}

/// Where a finding is: the operation's position and builder method and the line of its call, or the
/// migration as a whole.
fn at(op: Option<(usize, &str)>, line: Option<usize>) -> String {
    match (op, line) {
        (Some((position, op)), Some(line)) => format!("#{position} ({op}), line {line}"),
        (Some((position, op)), None) => format!("#{position} ({op})"),
        (None, Some(line)) => format!("line {line}"),
        (None, None) => "migration".to_owned(),
    }
}

/// A finding's message: what goes wrong, and what this statement adds to it.
fn finding_message(f: &Finding) -> String {
    match &f.detail {
        Some(detail) => format!("{}; {detail}", f.rule.problem()),
        None => f.rule.problem().to_owned(),
    }
}

/// `lint --format json`: one object, `diagnostics` in file order (errors, findings, silenced findings,
/// notes of each migration), then `summary`. The fields are documented in docs/lint.md and stay stable.
pub fn lint_json(report: &Report, options: &LintOptions) -> serde_json::Value {
    use serde_json::{json, Value};
    let mut diagnostics: Vec<Value> = Vec::new();
    for m in &report.migrations {
        let base = |severity: &str, line: Option<usize>, op: Option<(usize, &str)>| {
            json!({
                "severity": severity,
                "file": m.path,
                "line": line,
                "migration": m.name,
                "direction": m.direction.to_string(),
                "position": op.map(|(p, _)| p),
                "operation": op.map(|(_, o)| o),
                "rule": Value::Null,
                "message": "",
                "suggestion": Value::Null,
                "lock": Value::Null,
                "statement": Value::Null,
                "silenced": Value::Null,
            })
        };
        let finding = |f: &Finding, severity: &str| {
            let mut d = base(severity, f.line, f.op);
            d["rule"] = json!(f.rule.name());
            d["message"] = json!(finding_message(f));
            d["suggestion"] = json!(f.rule.instead());
            d["lock"] = json!(f.rule.lock());
            d["statement"] = json!(f.statement);
            d
        };
        for u in &m.unparsable {
            let mut d = base("error", u.line, Some(u.op));
            d["message"] = json!(format!(
                "cannot parse the SQL: {}; no rule checked it",
                u.message
            ));
            diagnostics.push(d);
        }
        for f in &m.findings {
            diagnostics.push(finding(f, "warning"));
        }
        for s in &m.silenced {
            let mut d = finding(&s.finding, "note");
            d["silenced"] = json!({ "line": s.line, "reason": s.reason });
            diagnostics.push(d);
        }
        for note in &m.notes {
            let mut d = base("note", note.line, None);
            d["message"] = json!(note.message);
            diagnostics.push(d);
        }
    }
    json!({
        "direction": options.direction.to_string(),
        "pg_version": options.pg_version,
        "diagnostics": diagnostics,
        "summary": {
            "migrations": report.migrations.len(),
            "errors": report.unparsable_count(),
            "findings": report.finding_count(),
            "silenced": report.silenced_count(),
            "baselined": report.baselined_count(),
            "notes": report.note_count(),
        },
    })
}

/// `lint --format github`: GitHub Actions workflow commands, which annotate the pull request at the line of
/// each finding (`::warning`), unparsable SQL (`::error`) and note (`::notice`); then the summary line.
/// Silenced findings are left out: they were reviewed.
pub fn lint_github(report: &Report, options: &LintOptions) -> String {
    let mut out = String::new();
    let mut command = |kind: &str, path: &str, line: Option<usize>, title: &str, message: &str| {
        let mut properties = format!("file={}", github_property(path));
        if let Some(line) = line {
            properties.push_str(&format!(",line={line}"));
        }
        properties.push_str(&format!(",title={}", github_property(title)));
        out.push_str(&format!(
            "::{kind} {properties}::{}\n",
            github_data(message)
        ));
    };
    for m in &report.migrations {
        for u in &m.unparsable {
            command(
                "error",
                &m.path,
                u.line,
                "unparsable SQL",
                &format!(
                    "{}: cannot parse the SQL: {}; no rule checked it",
                    at(Some(u.op), None),
                    u.message
                ),
            );
        }
        for f in &m.findings {
            command(
                "warning",
                &m.path,
                f.line,
                f.rule.name(),
                &format!(
                    "{}: {}\n{}\nlock: {}\ninstead: {}",
                    at(f.op, None),
                    finding_message(f),
                    f.statement,
                    f.rule.lock(),
                    f.rule.instead()
                ),
            );
        }
        for note in &m.notes {
            command("notice", &m.path, note.line, "lint", &note.message);
        }
    }
    out.push_str(&lint_summary(report, options));
    out.push('\n');
    out
}
