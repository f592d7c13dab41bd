//! How a trace looks: text for people, JSON for tools, GitHub workflow commands for pull requests.

use std::fmt::Write as _;

use migrate_core::trace::{
    Blocks, GateFinding, GateKind, Lock, LockMode, MigrationTrace, Observed, RelationKind,
    StatementTrace, Trace, TransactionTrace,
};

use migrate_core::Direction;

use crate::output::{github_data, github_property};

/// How many lines of a statement's SQL the text shows.
const SQL_LINES: usize = 6;

/// The text report: every migration, transaction and statement, then the gate's verdict.
pub fn text(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(trace));
    for m in &trace.migrations {
        let _ = writeln!(out, "\n{} ({}): {}", m.name, m.direction, m.file);
        if !m.transactional {
            out.push_str("  runs outside a transaction: each step commits on its own, recorded as it commits\n");
        }
        for t in &m.transactions {
            transaction_text(&mut out, m, t);
        }
        for note in &m.notes {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    let _ = writeln!(out, "\n{}", summary(trace));
    out
}

/// What was traced, on what.
fn heading(trace: &Trace) -> String {
    let count = trace.migrations.len();
    let mut line = match (trace.direction, trace.applied_before) {
        (Direction::Down, n) => format!(
            "trace of the `down` of {count} migration(s), reverted newest first on a scratch database where the {n} migration(s) up to the newest of them were applied"
        ),
        (Direction::Up, 0) => {
            format!("trace of {count} migration(s) on an empty scratch database")
        }
        (Direction::Up, n) => format!(
            "trace of {count} migration(s) on a scratch database built from the {n} migration(s) before them"
        ),
    };
    if let Some(file) = &trace.data_file {
        let _ = write!(line, "; {file} ran first");
    }
    match &trace.rows {
        None if trace.data_file.is_some() => {}
        None => line.push_str(
            "; its tables hold no rows (--rows N fills them, so durations mean something)",
        ),
        Some(rows) => {
            let _ = write!(
                line,
                "; --rows {}: filled {}",
                rows.rows_per_table,
                if rows.filled.is_empty() {
                    "no table".to_owned()
                } else {
                    rows.filled.join(", ")
                }
            );
            for skipped in &rows.skipped {
                let _ = write!(
                    line,
                    "\n  left empty: {}: {}",
                    skipped.table, skipped.reason
                );
            }
        }
    }
    line
}

fn transaction_text(out: &mut String, m: &MigrationTrace, t: &TransactionTrace) {
    if !t.autocommit {
        let _ = writeln!(out, "  transaction {} ({})", t.number, ms(t.duration_ms));
    }
    for s in &t.statements {
        statement_text(out, m, s, t.autocommit);
    }
    if !t.autocommit {
        let _ = writeln!(out, "  commit: {}", held(&t.held_until_commit));
    }
}

fn statement_text(out: &mut String, m: &MigrationTrace, s: &StatementTrace, autocommit: bool) {
    let indent = if autocommit { "  " } else { "    " };
    let _ = writeln!(
        out,
        "{indent}#{} {} at {} ({})",
        s.position,
        s.operation,
        place(m, s),
        ms(s.duration_ms)
    );
    let more = format!("{indent}  ");
    let lines: Vec<&str> = s.sql.lines().collect();
    for line in lines.iter().take(SQL_LINES) {
        let _ = writeln!(out, "{more}| {line}");
    }
    if lines.len() > SQL_LINES {
        let _ = writeln!(out, "{more}| ... ({} more lines)", lines.len() - SQL_LINES);
    }
    match s.observed {
        Observed::InTransaction => {}
        Observed::WhileWaiting => {
            let _ = writeln!(
                out,
                "{more}locks read while it waited for older snapshots (the trace held one back): exact"
            );
        }
        Observed::Sampled => {
            let _ = writeln!(
                out,
                "{more}locks sampled while it ran (about every millisecond): a short statement may take more than shown"
            );
        }
    }
    for lock in shown(&s.locks) {
        let _ = writeln!(
            out,
            "{more}lock      {}{}",
            describe_lock(lock),
            under(s, lock)
        );
    }
    if s.locks.is_empty() && !s.held.is_empty() {
        let _ = writeln!(
            out,
            "{more}lock      nothing new; its transaction holds {}",
            shown(&s.held)
                .map(|l| format!("{} on {}", l.mode, l.relation))
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else if s.locks.is_empty() && s.created.is_empty() {
        let _ = writeln!(
            out,
            "{more}lock      none on a relation that existed before"
        );
    }
    if !s.created.is_empty() {
        let _ = writeln!(out, "{more}creates   {}", s.created.join(", "));
    }
    if !s.dropped.is_empty() {
        let _ = writeln!(out, "{more}drops     {}", s.dropped.join(", "));
    }
    for r in &s.rewrites {
        let _ = writeln!(
            out,
            "{more}rewrite   {} {} (its file was replaced: every row written again)",
            r.kind.name(),
            r.relation
        );
    }
    for scan in &s.scans {
        let _ = writeln!(out, "{more}scan      {}: {}", scan.table, scan.reason);
    }
    for c in &s.validated {
        let _ = writeln!(out, "{more}validates {c}");
    }
    for p in &s.proven {
        let _ = writeln!(out, "{more}no scan   {p}");
    }
    for n in &s.notices {
        let _ = writeln!(out, "{more}notice    {}", n.replace('\n', " "));
    }
    for g in &s.gate {
        let _ = writeln!(out, "{more}GATE      {}", gate_message(g));
    }
}

/// `file:line`, or the file when the operation was recorded elsewhere.
fn place(m: &MigrationTrace, s: &StatementTrace) -> String {
    match s.line {
        Some(line) => format!("{}:{line}", m.file),
        None => m.file.clone(),
    }
}

fn describe_lock(lock: &Lock) -> String {
    format!(
        "{} on {} {}: {}",
        lock.mode,
        lock.kind.name(),
        lock.relation,
        lock.blocks
    )
}

/// For a lock a statement took on a relation its transaction had locked more strongly before it (a foreign
/// key after an `ACCESS EXCLUSIVE` change of its table), what the statement runs under.
fn under(s: &StatementTrace, lock: &Lock) -> String {
    match s
        .held
        .iter()
        .find(|h| h.relation == lock.relation && h.mode > lock.mode)
    {
        Some(h) => format!(" (its transaction holds {} on it)", h.mode),
        None => String::new(),
    }
}

/// The locks a transaction held until its commit.
fn held(locks: &[Lock]) -> String {
    if locks.is_empty() {
        return "held no lock on a relation that existed before it".to_owned();
    }
    let listed: Vec<String> = shown(locks)
        .map(|l| format!("{} on {} ({})", l.mode, l.relation, blocks_short(l.blocks)))
        .collect();
    format!("held until then: {}", listed.join(", "))
}

/// The locks worth a line: an index's lock is left out when its table is locked at least as strongly (the JSON
/// form lists them all).
fn shown(locks: &[Lock]) -> impl Iterator<Item = &Lock> {
    // An index is locked with its table; a sequence is a relation of its own that other sessions use
    // (`nextval`), so it is always shown.
    locks.iter().filter(|l| {
        !(l.kind == RelationKind::Index
            && l.table.as_ref().is_some_and(|table| {
                locks
                    .iter()
                    .any(|t| &t.relation == table && t.mode >= l.mode)
            }))
    })
}

fn blocks_short(blocks: Blocks) -> &'static str {
    match blocks {
        Blocks::Nothing => "blocks neither reads nor writes",
        Blocks::Writes => "blocks writes",
        Blocks::ReadsAndWrites => "blocks reads and writes",
    }
}

fn gate_message(g: &GateFinding) -> String {
    let what = match g.kind {
        GateKind::Rewrite => "rewrite",
        GateKind::Scan => "scan",
    };
    let mut message = format!(
        "{} held on {} across the {what} of {}: reads and writes wait for all of it",
        LockMode::AccessExclusive,
        g.holding.join(", "),
        g.relations.join(", ")
    );
    match &g.allowed {
        Some(allowed) => {
            let _ = write!(
                message,
                "; accepted by `trace: allow {what}` on line {}: {}",
                allowed.line, allowed.reason
            );
        }
        None => {
            let _ = write!(
                message,
                "; do it in steps that do not (docs/cookbook.md), or accept it with `// trace: allow {what} -- <reason>` in the migration file"
            );
        }
    }
    message
}

/// The last line: what was traced and the gate's verdict.
fn summary(trace: &Trace) -> String {
    let findings = trace.gate_findings().count();
    let failures = trace.gate_failures();
    let traced = format!(
        "traced {} statement(s) of {} migration(s)",
        trace.statement_count(),
        trace.migrations.len()
    );
    match (findings, failures) {
        (0, _) => format!(
            "{traced}; gate passed: no {} lock was held across a rewrite or a scan",
            LockMode::AccessExclusive
        ),
        (n, 0) => format!(
            "{traced}; gate passed: {n} {} lock(s) held across a rewrite or a scan, each accepted by `// trace: allow`",
            LockMode::AccessExclusive
        ),
        (_, n) => format!(
            "{traced}; gate FAILED: {n} statement(s) hold an {} lock across a rewrite or a scan (GATE above); exit status {}",
            LockMode::AccessExclusive,
            crate::EXIT_TRACE_GATE
        ),
    }
}

/// `trace --format json`: the trace as documented in docs/trace.md, with a summary.
pub fn json(trace: &Trace) -> serde_json::Value {
    let mut value = serde_json::to_value(trace).unwrap_or_default();
    value["summary"] = serde_json::json!({
        "migrations": trace.migrations.len(),
        "statements": trace.statement_count(),
        "gate_findings": trace.gate_findings().count(),
        "gate_failures": trace.gate_failures(),
    });
    value
}

/// `trace --format github`: an `::error` on the line of each statement the gate stops, a `::notice` on the
/// line of each statement that blocks reads or writes of an existing relation (or rewrites or scans one, or
/// whose gate finding was accepted); then the summary.
pub fn github(trace: &Trace) -> String {
    let mut out = String::new();
    for m in &trace.migrations {
        for t in &m.transactions {
            for s in &t.statements {
                let mut command = |kind: &str, title: &str, message: &str| {
                    let mut properties = format!("file={}", github_property(&m.file));
                    if let Some(line) = s.line {
                        let _ = write!(properties, ",line={line}");
                    }
                    let _ = writeln!(
                        out,
                        "::{kind} {properties},title={}::{}",
                        github_property(title),
                        github_data(message)
                    );
                };
                let head = format!("#{} {} ({})", s.position, s.operation, ms(s.duration_ms));
                for g in s.gate.iter().filter(|g| g.allowed.is_none()) {
                    command(
                        "error",
                        "trace gate",
                        &format!("{head}: {}", gate_message(g)),
                    );
                }
                let blocking: Vec<String> = shown(&s.locks)
                    .filter(|l| l.blocks != Blocks::Nothing)
                    .map(describe_lock)
                    .collect();
                let mut lines = blocking;
                lines.extend(
                    s.rewrites
                        .iter()
                        .map(|r| format!("rewrites {} {}", r.kind.name(), r.relation)),
                );
                lines.extend(
                    s.scans
                        .iter()
                        .map(|x| format!("scans {}: {}", x.table, x.reason)),
                );
                lines.extend(
                    s.gate
                        .iter()
                        .filter(|g| g.allowed.is_some())
                        .map(gate_message),
                );
                if !lines.is_empty() {
                    command("notice", "locks", &format!("{head}\n{}", lines.join("\n")));
                }
            }
        }
    }
    let _ = writeln!(out, "{}", summary(trace));
    out
}

fn ms(duration_ms: f64) -> String {
    format!("{duration_ms:.1} ms")
}
