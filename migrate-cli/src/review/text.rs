//! The review for a terminal, and as GitHub workflow commands.

use migrate_core::review::{
    bytes, count, duration, queries, Level, MigrationReview, Review, ReviewFinding,
    StatementReview, TableSize,
};
use migrate_core::trace::LockMode;
use migrate_runner::output::{github_data, github_property};

/// Where the sizes and durations come from, in one line.
pub(super) fn source(review: &Review) -> String {
    let Some(p) = &review.production else {
        return "production: none given (--production-url): sizes and durations unknown; locks and \
                findings from a scratch database"
            .to_owned();
    };
    let what = if review.clone.is_some() && p.role.is_empty() {
        "clone".to_owned()
    } else {
        format!(
            "{} as role {}{}, PostgreSQL {}",
            p.url,
            p.role,
            if p.standby { " (a standby)" } else { "" },
            p.server_version
        )
    };
    let timing = if let Some(clone) = &review.clone {
        format!("durations measured on a copy of the clone {}", clone.url)
    } else if let (Some(failed), Some(at)) =
        (&review.calibration.failed, &review.calibration.stopped_at)
    {
        format!(
            "durations scaled from a calibration run with {} rows per table on a scratch database, up to \
             {at}: the calibration run failed there, so it and the migrations after it have no estimate: {failed}",
            count(review.calibration.rows as f64)
        )
    } else if let Some(failed) = &review.calibration.failed {
        format!("no estimates: the calibration run failed: {failed}")
    } else {
        format!(
            "durations scaled from a calibration run with {} rows per table on a scratch database",
            count(review.calibration.rows as f64)
        )
    };
    let writable = if p.could_write.is_empty() {
        String::new()
    } else {
        format!(
            "; warning: this session could write ({})",
            p.could_write.join("; ")
        )
    };
    format!("production: {what}; {timing}{writable}")
}

/// A table's size and activity, when production has it.
pub(super) fn size(review: &Review, table: Option<&str>) -> Option<String> {
    let p = review.production.as_ref()?;
    let table = table?;
    Some(match p.tables.iter().find(|t| t.table == table) {
        Some(t) => describe_size(t),
        None => "not in production yet".to_owned(),
    })
}

fn describe_size(t: &TableSize) -> String {
    let mut s = match &t.unread {
        Some(why) => format!("{} rows, size unknown: {why}", count(t.rows)),
        None => format!("{} rows, {}", count(t.rows), bytes(t.total_bytes)),
    };
    if let Some(w) = t.writes_per_s {
        s.push_str(&format!(", {w:.0} writes/s"));
    }
    if let Some(r) = t.scans_per_s {
        s.push_str(&format!(", {r:.0} reads/s"));
    }
    if let Some(key) = &t.key {
        s.push_str(&format!("; key {}", key.describe(&t.table)));
    }
    s
}

/// Every lock statement `index` of `m` takes, in words, strongest first: `SHARE ROW EXCLUSIVE on categories,
/// items (blocks writes)`; for one that takes nothing new, what its transaction holds already.
pub(super) fn lock(m: &MigrationReview, index: usize) -> String {
    let words = |groups: Vec<(LockMode, Vec<&str>)>| {
        groups
            .iter()
            .map(|(mode, relations)| {
                format!(
                    "{mode} on {} (blocks {})",
                    relations.join(", "),
                    mode.blocks().word()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let Some(s) = m.statements.get(index) else {
        return String::new();
    };
    let groups = s.lock_groups();
    let held = m.held_before(index);
    if !groups.is_empty() {
        // A relation its transaction locked more strongly before it: what the statement runs under.
        let stronger: Vec<(LockMode, Vec<&str>)> = held
            .into_iter()
            .filter_map(|(mode, relations)| {
                let relations: Vec<&str> = relations
                    .into_iter()
                    .filter(|r| {
                        groups
                            .iter()
                            .any(|(m, taken)| *m < mode && taken.contains(r))
                    })
                    .collect();
                (!relations.is_empty()).then_some((mode, relations))
            })
            .collect();
        return if stronger.is_empty() {
            words(groups)
        } else {
            format!(
                "{}; its transaction holds {}",
                words(groups),
                words(stronger)
            )
        };
    }
    if held.is_empty() {
        "none on existing tables".to_owned()
    } else {
        format!("nothing new; its transaction holds {}", words(held))
    }
}

/// A statement's estimate in words, or why there is none.
pub(super) fn estimate(s: &StatementReview) -> String {
    match (&s.estimate, &s.unknown) {
        (Some(e), _) => {
            let mut text = format!(
                "{}{}",
                if e.measured { "" } else { "~" },
                duration(e.seconds)
            );
            if let Some(job) = e.job_seconds {
                text.push_str(&format!(
                    " to queue; the job ~{} after the deploy (it does not hold the deploy)",
                    duration(job)
                ));
            }
            if let Some(b) = &e.blocking {
                text.push_str(&format!(
                    "; {} wait {}",
                    b.blocks.word(),
                    duration(b.seconds)
                ));
                if let Some(q) = b.queries_waiting {
                    text.push_str(&format!(" (~{})", queries(q)));
                }
            }
            text
        }
        (None, Some(why)) => format!("unknown: {why}"),
        (None, None) => "unknown".to_owned(),
    }
}

/// The longest wait a migration causes, in words.
pub(super) fn longest_wait(m: &MigrationReview) -> String {
    match m.longest_block() {
        Some((_, b)) => format!(
            "{} on {} for {}{}",
            b.blocks.word(),
            b.relation,
            duration(b.seconds),
            b.queries_waiting
                .map(|q| format!(" (~{})", queries(q)))
                .unwrap_or_default()
        ),
        None if m.statements.iter().any(|s| s.estimate.is_none()) => "unknown".to_owned(),
        None => "none".to_owned(),
    }
}

/// The counts of a migration's findings by level, `1 error, 2 notes`, or `none`.
pub(super) fn counts(m: &MigrationReview) -> String {
    let mut parts = Vec::new();
    for (level, word) in [
        (Level::Error, "error"),
        (Level::Warning, "warning"),
        (Level::Note, "note"),
    ] {
        let n = m.all_findings().filter(|f| f.level == level).count();
        if n > 0 {
            parts.push(format!("{n} {word}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

pub(super) fn text(review: &Review) -> String {
    let mut out = String::new();
    out.push_str(&format!("{}\n", source(review)));
    if review.migrations.is_empty() {
        out.push_str(&format!(
            "nothing to review: no migration is pending on {}\n",
            review.target
        ));
        return out;
    }
    for m in &review.migrations {
        out.push_str(&format!(
            "\n{} ({}): {}\n",
            m.name,
            m.file,
            m.verdict().word()
        ));
        out.push_str(&format!("  phase: {}\n", m.tolerates()));
        // Numbered by statement: an operation that expands into several statements (`set_not_null`) has a
        // number for each.
        for (index, s) in m.statements.iter().enumerate() {
            let number = index + 1;
            out.push_str(&format!(
                "  #{number} {}{}\n",
                s.headline(100),
                s.line.map(|l| format!("  (line {l})")).unwrap_or_default()
            ));
            out.push_str(&format!("      lock:     {}\n", lock(m, index)));
            out.push_str(&format!("      work:     {}", s.work_words()));
            if let Some(table) = &s.table {
                out.push_str(&format!(" ({table}"));
                if let Some(size) = size(review, Some(table)) {
                    out.push_str(&format!(": {size}"));
                }
                out.push(')');
            }
            out.push('\n');
            out.push_str(&format!("      estimate: {}\n", estimate(s)));
            if let Some(e) = &s.estimate {
                out.push_str(&format!("      basis:    {}\n", e.basis));
            }
            for f in &s.findings {
                out.push_str(&format!("      {}\n", finding(f)));
            }
        }
        for f in &m.findings {
            out.push_str(&format!("  {}\n", finding(f)));
        }
        if !m.schema_changes.is_empty() {
            out.push_str("  schema changes:\n");
            for line in &m.schema_changes {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out.push_str(&format!(
        "\n{} migration(s) reviewed: {}\n",
        review.migrations.len(),
        review.verdict().word()
    ));
    out
}

/// A finding on one line: `error: changing-column-type: ...`.
fn finding(f: &ReviewFinding) -> String {
    format!("{}: {}: {}", f.level.word(), f.rule, f.message)
}

/// GitHub workflow commands: one annotation per finding at its line (notes left out).
pub(super) fn github(review: &Review) -> String {
    let mut out = String::new();
    for m in &review.migrations {
        let findings = m
            .statements
            .iter()
            .flat_map(|s| {
                s.findings
                    .iter()
                    .map(move |f| (f, f.line.or(s.line.map(|l| l as usize))))
            })
            .chain(m.findings.iter().map(|f| (f, f.line)));
        for (f, line) in findings {
            let command = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note | Level::Ok => continue,
            };
            out.push_str(&format!(
                "::{command} file={}{},title={}::{}\n",
                github_property(&m.file),
                line.map(|l| format!(",line={l}")).unwrap_or_default(),
                github_property(&format!("migrate review: {}", f.rule)),
                github_data(&f.message)
            ));
        }
    }
    out
}
