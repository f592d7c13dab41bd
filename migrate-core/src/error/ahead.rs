//! The words of [`Error::AheadOfBinary`](super::Error::AheadOfBinary): which newer migrations stop `up`, and
//! what to do about them.

use crate::history::Ahead;

/// `20270101000003_drop_legacy (contract), 20270101000004_add_summary (expand)`.
pub(crate) fn names_with_phases(ahead: &[Ahead]) -> String {
    ahead
        .iter()
        .map(|a| format!("{} ({})", a.name, a.phase.as_deref().unwrap_or("phase not recorded")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `up` says when it goes on past newer migrations that are all expands.
pub fn ahead_note(ahead: &[Ahead]) -> String {
    format!(
        "the database is ahead of this binary: {} applied by a newer release, which this binary has no file \
         for; going on, since an expand only adds what the code of this release ignores",
        names_with_phases(ahead)
    )
}

pub(super) fn message(table: &str, ahead: &[Ahead]) -> String {
    let blocking: Vec<&Ahead> = ahead.iter().filter(|a| !a.is_expand()).collect();
    let (which, them) = if blocking.len() == 1 {
        (format!("{} is", blocking[0].name), "it")
    } else {
        let names: Vec<&str> = blocking.iter().map(|a| a.name.as_str()).collect();
        (format!("{} are", names.join(", ")), "them")
    };
    let mut out = format!(
        "the database is ahead of this binary: {} applied by a newer release, which this binary has no file \
         for; {which} a contract or of unknown phase, which the code of this release may not work with, so \
         nothing was applied\nrevert {them} with the release that applied {them} (its `down`), or deploy that \
         release",
        names_with_phases(ahead),
    );
    let unknown: Vec<String> = blocking
        .iter()
        .filter(|a| a.phase.is_none())
        .map(|a| migrate_dsl::literal(&a.name))
        .collect();
    if !unknown.is_empty() {
        // Rows written before phases were recorded: only a person who knows the migration can tell.
        out.push_str(&format!(
            "\na migration recorded without its phase that you know to be an expand (it only adds what the \
             code of this release ignores) can be marked so: UPDATE {table} SET phase = 'expand' WHERE name IN \
             ({})",
            unknown.join(", ")
        ));
    }
    out
}

pub(super) fn down_message(names: &[String], recorded_tried: bool) -> String {
    let (list, it, its, they_were) = match names {
        [one] => (one.clone(), "it", "its", "it was"),
        many => (many.join(", "), "them", "their", "they were"),
    };
    if recorded_tried {
        return format!(
            "{list} applied by a newer release, which this binary has no file for, and no `down` of plain \
             SQL was recorded with {it} (Rust data code, a backfill, a restored definition, or a row written before \
             downs were recorded): revert {it} with the release that applied {it}; nothing was reverted"
        );
    }
    format!(
        "{list} applied by a newer release, which this binary has no file for, so {its} compiled `down` is not \
         here: revert {it} with the release that applied {it}, or with the `down` recorded when {they_were} \
         applied; nothing was reverted"
    )
}
