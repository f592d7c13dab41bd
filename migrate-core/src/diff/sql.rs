//! SQL text the generated migrations carry where no typed operation exists, and the names and words the
//! planner reads in SQL text.

use super::model::QName;
use super::plan::{Change, Step};

/// `"name"` as SQL quotes an identifier.
pub(crate) fn sql_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

pub(crate) fn sql_name(q: &QName) -> String {
    format!("{}.{}", sql_ident(&q.0), sql_ident(&q.1))
}

pub(crate) fn sql_literal(text: Option<&str>) -> String {
    match text {
        Some(text) => format!("'{}'", text.replace('\'', "''")),
        None => "NULL".to_owned(),
    }
}

/// `<name>_new`, cut to PostgreSQL's 63 bytes on a character boundary.
pub(crate) fn temporary_name(name: &str) -> String {
    let mut base = name.to_owned();
    while base.len() + "_new".len() > 63 {
        base.pop();
    }
    format!("{base}_new")
}

/// Whether SQL `text` names `column` (as a whole word, quoted or not).
pub(crate) fn mentions(text: &str, column: &str) -> bool {
    let quoted = sql_ident(column);
    text.contains(&quoted)
        || text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .any(|word| word == column)
}

/// `COMMENT ON <subject>` as SQL, from one comment to the other and back.
pub(crate) fn comment_change(what: &str, subject: String, from: Option<&str>, to: Option<&str>) -> Change {
    let set = |c: Option<&str>| format!("COMMENT ON {subject} IS {}", sql_literal(c));
    Change::new(Step::Expand, format!("comment on {what}"))
        .comment("No operation sets the comment of an existing object: written as SQL.")
        .up(|pgm| {
            pgm.sql(set(to));
        })
        .down(|pgm| {
            pgm.sql(set(from));
        })
}
