//! Quoting of identifiers and literals: the only place where user values become SQL text.

/// Quotes an identifier: `my "table"` becomes `"my ""table"""`. Always quoting keeps case, spaces and
/// reserved words (a column named `cascade`) intact.
///
/// Use it to splice names into raw SQL given to [`MigrationBuilder::sql`](crate::MigrationBuilder::sql):
///
/// ```
/// use migrate_dsl::prelude::*;
/// assert_eq!(ident("Order Items"), r#""Order Items""#);
/// assert_eq!(ident(r#"a"b"#), r#""a""b""#);
/// ```
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Quotes a string literal: `it's` becomes `'it''s'`. Strings holding a backslash are written as `E'...'`
/// with the backslash doubled, which reads the same whatever `standard_conforming_strings` is set to.
///
/// ```
/// use migrate_dsl::prelude::*;
/// assert_eq!(literal("plain"), "'plain'");
/// assert_eq!(literal("it's"), "'it''s'");
/// assert_eq!(literal(r"C:\dir"), r"E'C:\\dir'");
/// ```
pub fn literal(value: &str) -> String {
    let escape_backslash = value.contains('\\');
    let mut out = String::with_capacity(value.len() + 3);
    if escape_backslash {
        out.push('E');
    }
    out.push('\'');
    // Most values have nothing to double: copied whole, not a character at a time (the runner, a debug
    // build, quotes each migration's name and checksum for its bookkeeping row).
    if !escape_backslash && !value.contains('\'') {
        out.push_str(value);
        out.push('\'');
        return out;
    }
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' if escape_backslash => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}
