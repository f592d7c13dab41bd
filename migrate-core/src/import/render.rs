//! The text of an imported migration file: the source's SQL kept verbatim in `pgm.sql(r#"..."#)`, so the file
//! is reviewable on its own and its checksum covers the SQL (an `include_str!` of a kept `.sql` file would let
//! the SQL change under an unchanged checksum).

use super::{SourceMigration, Tool, TransactionChange};

/// The file for `m`, with what import changed about how each side runs (its SQL in `m` already changed).
pub(crate) fn file(
    tool: Tool,
    m: &SourceMigration,
    up_change: Option<&TransactionChange>,
    down_change: Option<&TransactionChange>,
) -> String {
    let mut out = String::new();
    let description = m.description.trim();
    out.push_str(&format!(
        "//! {} (imported from {tool}).\n//!\n",
        if description.is_empty() {
            "Imported migration"
        } else {
            description
        }
    ));
    out.push_str(&format!(
        "//! Source: `{}`{}",
        m.up_file,
        if m.repeatable {
            String::new()
        } else {
            format!(", version {} in {tool}'s history", m.version)
        }
    ));
    match &m.down {
        _ if m.repeatable => out.push_str(&format!(
            ".\n//! Repeatable: applied again, after the migrations, whenever this file changes (as {tool} did).\n"
        )),
        Some((down, _)) => out.push_str(&format!("; `down` from `{down}`.\n")),
        None => out.push_str(&format!(
            ".\n//! {tool} has no down for it: `down` is derived from the raw SQL, which fails before touching the database.\n"
        )),
    }
    out.push_str("use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n");
    transaction(&mut out, tool, m.no_transaction.as_deref(), up_change);
    body(&mut out, &m.up_sql);
    out.push_str("}\n");
    if let Some((_, down)) = &m.down {
        out.push_str("\npub fn down(pgm: &mut MigrationBuilder) {\n");
        transaction(&mut out, tool, m.down_no_transaction.as_deref(), down_change);
        body(&mut out, down);
        out.push_str("}\n");
    }
    out
}

/// How a side runs, when not in a transaction as written: the source's marker, or what import changed.
fn transaction(
    out: &mut String,
    tool: Tool,
    marker: Option<&str>,
    change: Option<&TransactionChange>,
) {
    match change {
        Some(TransactionChange::Unwrapped {
            begin,
            commit,
            dropped_marker,
        }) => {
            out.push_str(&format!(
                "    // Imported without the source's own `{begin}` and `{commit}` around it: it runs in this tool's transaction.\n"
            ));
            if let Some(marker) = dropped_marker {
                out.push_str(&format!(
                    "    // ({tool} ran it outside a transaction ({marker}), where it made that transaction itself.)\n"
                ));
            }
        }
        Some(TransactionChange::NoTransaction { statement, .. }) => out.push_str(&format!(
            "    // `{statement}` cannot run in a transaction and the source had no {tool} marker for that: set by `migrate import`.\n    \
             // Outside a transaction, its statements run one at a time, each committed on its own.\n    pgm.no_transaction();\n"
        )),
        None => {
            if let Some(marker) = marker {
                out.push_str(&format!(
                    "    // {tool} ran it outside a transaction ({marker}).\n    pgm.no_transaction();\n"
                ));
            }
        }
    }
}

/// `pgm.sql(r#"<sql>"#);` with the SQL as it is, or a comment when it holds nothing to run.
fn body(out: &mut String, sql: &str) {
    let sql = sql.replace("\r\n", "\n");
    if !has_statement(&sql) {
        out.push_str("    // The source's SQL holds no statement.\n");
        if !sql.trim().is_empty() {
            for line in sql.trim().lines() {
                out.push_str(&format!("    // {line}\n").replace(" \n", "\n"));
            }
        }
        return;
    }
    let hashes = "#".repeat(hashes_needed(&sql));
    out.push_str(&format!(
        "    pgm.sql(\n        r{hashes}\"{sql}\"{hashes},\n    );\n"
    ));
}

/// Whether `sql` holds anything but white space and `--` comments.
pub(crate) fn has_statement(sql: &str) -> bool {
    sql.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with("--")
    })
}

/// One more `#` than the longest run of them after a `"` in `sql`, so the raw string cannot end early.
fn hashes_needed(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let mut longest = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            let run = bytes[i + 1..].iter().take_while(|&&c| c == b'#').count();
            longest = longest.max(run);
        }
    }
    longest + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_strings_outlast_the_sql() {
        assert_eq!(hashes_needed("select 1"), 1);
        assert_eq!(hashes_needed("select '\"#'"), 2);
        assert_eq!(hashes_needed("select '\"##' || '\"#'"), 3);
    }

    #[test]
    fn comments_only_is_no_statement() {
        assert!(!has_statement("-- nothing\n\n  -- here\n"));
        assert!(has_statement("-- a\nselect 1;\n"));
    }
}
