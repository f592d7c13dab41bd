//! The review as one pull-request comment: a summary table with a verdict per migration first, each
//! migration's details folded under it. The first line is a marker the CI recipe finds the comment by, so a
//! new push updates the comment instead of adding one.
//!
//! Whatever the comment quotes of the migrations (SQL, names, messages) goes through [`super::escape`]: it
//! cannot close a fence or a `<details>`, hide the rest in an HTML comment, or start a line of its own.

use migrate_core::review::{Level, MigrationReview, Review};

use super::escape::{cell, code, code_cell, fence, html, text};
use super::text::{counts, estimate, lock, longest_wait, size, source};

/// What the comment starts with: the CI recipe updates the comment that has it.
pub const MARKER: &str = "<!-- migrate-review -->";

fn badge(level: Level) -> &'static str {
    match level {
        Level::Ok => ":white_check_mark: ok",
        Level::Note => ":information_source: note",
        Level::Warning => ":warning: warning",
        Level::Error => ":x: error",
    }
}

pub(super) fn markdown(review: &Review) -> String {
    let mut out = format!(
        "{MARKER}\n## Migration review: {}\n\n",
        badge(review.verdict())
    );
    out.push_str(&format!("{}.\n\n", text(&source(review))));
    if review.migrations.is_empty() {
        out.push_str("No migration to review.\n");
        return out;
    }
    out.push_str("| Verdict | Migration | Phase | Longest wait it causes | Time | Findings |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for m in &review.migrations {
        let time = match m.seconds() {
            Some(s) => migrate_core::review::duration(s),
            None => "unknown".to_owned(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            badge(m.verdict()),
            code_cell(&m.name),
            if m.contract.is_some() {
                "contract"
            } else {
                "expand"
            },
            cell(&longest_wait(m)),
            time,
            counts(m)
        ));
    }
    for m in &review.migrations {
        details(&mut out, review, m);
    }
    out
}

/// One migration's folded details: its statements, findings, the basis of its estimates, its schema changes
/// and its SQL.
fn details(out: &mut String, review: &Review, m: &MigrationReview) {
    out.push_str(&format!(
        "\n<details><summary><b>{}</b>: {}</summary>\n\n",
        html(&m.name),
        badge(m.verdict())
    ));
    out.push_str(&format!(
        "File {}. Phase: {}.\n\n",
        code(&m.file),
        text(&m.tolerates())
    ));
    out.push_str("| # | Statement | Lock | Work | Estimate |\n|---|---|---|---|---|\n");
    // Numbered by statement: an operation that expands into several statements (`set_not_null`) has a number
    // for each, and the findings and bases below refer to those numbers.
    let numbered = || (1..).zip(&m.statements);
    for (number, s) in numbered() {
        let on = match (&s.table, size(review, s.table.as_deref())) {
            (Some(t), Some(size)) => format!(" on {} ({})", code_cell(t), cell(&size)),
            (Some(t), None) => format!(" on {}", code_cell(t)),
            _ => String::new(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {}{} | {} |\n",
            number,
            code_cell(&s.headline(80)),
            cell(&lock(m, number - 1)),
            s.work_words(),
            on,
            cell(&estimate(s))
        ));
    }
    let findings: Vec<_> = numbered()
        .flat_map(|(number, s)| s.findings.iter().map(move |f| (f, Some(number))))
        .chain(m.findings.iter().map(|f| (f, None)))
        .collect();
    if !findings.is_empty() {
        out.push_str("\n**Findings**\n\n");
        for (f, position) in findings {
            out.push_str(&format!(
                "- {} {}{}{}: {}\n",
                badge(f.level),
                code(&f.rule),
                position.map(|p| format!(" #{p}")).unwrap_or_default(),
                f.line.map(|l| format!(" (line {l})")).unwrap_or_default(),
                text(&f.message)
            ));
        }
    }
    let bases: Vec<String> = numbered()
        .filter_map(|(number, s)| {
            Some(format!(
                "- #{number}: {}",
                text(&s.estimate.as_ref()?.basis)
            ))
        })
        .collect();
    if !bases.is_empty() {
        out.push_str("\n**How the estimates were made**\n\n");
        out.push_str(&bases.join("\n"));
        out.push('\n');
    }
    if !m.schema_changes.is_empty() {
        out.push_str("\n**Schema changes**\n\n");
        out.push_str(&fence("diff", &m.schema_changes.join("\n")));
    }
    out.push_str(&format!(
        "\n**SQL**\n\n{}\n</details>\n",
        fence("sql", &m.sql)
    ));
}
