//! Where the SQL of a `pgm.sql(..)` call is in its migration file, so that lint findings and server errors
//! name the line of a statement inside the string, not the line of the call. An imported migration is one
//! `pgm.sql(r#"..."#)` holding a whole SQL file: without this, everything in it would point at one line.
//!
//! The builder records the call's place (`Location`: line and column) and the migration carries its source
//! text, so the string literal is the first one after the call, read as the compiler reads it (escapes, line
//! continuations, raw strings). It is used only when its text holds the recorded SQL: SQL built at run time,
//! a constant or a helper in another file gives no lines, and the call's line stands.

use serde::{Deserialize, Serialize};

/// The line in the migration file of each line of a SQL text: entry `i` is the 1-based file line on which
/// the SQL's line `i` (0-based, lines split at `\n`) starts. Empty when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SqlLines(Vec<u32>);

impl SqlLines {
    /// The lines of `sql` in `source`, a migration file, when the first string literal after line `line`,
    /// column `column` (1-based, where the call was recorded) holds it; `sql` may be a part of the literal's
    /// text (a statement of it, as sent outside a transaction).
    pub fn find(source: &str, line: u32, column: u32, sql: &str) -> Option<SqlLines> {
        if sql.trim().is_empty() {
            return None;
        }
        let start = offset_of(source, line, column)?;
        let literal = first_literal(source, start, line)?;
        let at = literal.text.find(sql)?;
        let first = literal.text[..at].matches('\n').count();
        let count = sql.matches('\n').count() + 1;
        let lines = literal.lines.get(first..first + count)?;
        Some(SqlLines(lines.to_vec()))
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The file's line of byte `offset` of `sql`, the text these lines are of.
    pub fn line_at(&self, sql: &str, offset: usize) -> Option<u32> {
        let index = sql.get(..offset)?.matches('\n').count();
        self.0.get(index).copied()
    }

    /// The file's line of the first thing in `sql` that is not white space or a comment: where a statement
    /// is seen to start.
    pub fn statement_line(&self, sql: &str) -> Option<u32> {
        self.line_at(sql, code_start(sql))
    }
}

/// The byte offset in `sql` of the first thing that is not white space or a comment (`--` or `/* */`), or
/// its length when there is nothing else.
pub(crate) fn code_start(sql: &str) -> usize {
    let mut rest = sql;
    loop {
        let trimmed = rest.trim_start();
        if let Some(comment) = trimmed.strip_prefix("--") {
            rest = comment.find('\n').map_or("", |end| &comment[end..]);
        } else if let Some(comment) = trimmed.strip_prefix("/*") {
            rest = comment.find("*/").map_or("", |end| &comment[end + 2..]);
        } else {
            return sql.len() - trimmed.len();
        }
    }
}

/// The byte offset of line `line`, column `column` (1-based, counted in characters) of `source`.
fn offset_of(source: &str, line: u32, column: u32) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        source
            .match_indices('\n')
            .nth(usize::try_from(line).ok()? - 2)?
            .0
            + 1
    };
    let text = &source[line_start..];
    let within = text
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .nth(usize::try_from(column).ok()?.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    Some(line_start + within)
}

/// A string literal's text as the compiler reads it, with the file line each of its lines starts on.
struct Literal {
    text: String,
    lines: Vec<u32>,
}

/// The first string literal from byte `start` (on file line `line`) on, before the statement ends (`;`):
/// comments and character literals are skipped.
fn first_literal(source: &str, start: usize, mut line: u32) -> Option<Literal> {
    let bytes = source.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b';' => return None,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = source[i..].find('\n').map_or(bytes.len(), |end| i + end);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = source[i + 2..].find("*/").map_or(bytes.len(), |end| i + 2 + end + 2);
                line += count_lines(&source[i..end]);
                i = end;
                continue;
            }
            // A character literal (`'"'` must not open a string); a lifetime has no closing quote.
            b'\'' => {
                if let Some(len) = char_literal(&source[i..]) {
                    i += len;
                    continue;
                }
            }
            b'"' => return Some(plain(&source[i + 1..], line)),
            b'r' if i == 0 || !is_ident(bytes[i - 1]) => {
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                if bytes.get(i + 1 + hashes) == Some(&b'"') {
                    return raw(&source[i + 2 + hashes..], hashes, line);
                }
            }
            b if is_ident(b) => {
                // Skip the whole identifier, so that an `r` inside one is not taken for a raw string.
                while i < bytes.len() && is_ident(bytes[i]) {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn count_lines(text: &str) -> u32 {
    u32::try_from(text.matches('\n').count()).unwrap_or(u32::MAX)
}

/// The length of the character literal at the start of `text` (`'x'`, `'\n'`, `'\''`), if it is one.
fn char_literal(text: &str) -> Option<usize> {
    let mut chars = text.char_indices().skip(1);
    let (_, first) = chars.next()?;
    if first == '\\' {
        let end = text[2..].find('\'')? + 2;
        return Some(end + 1);
    }
    let (at, close) = chars.next()?;
    (close == '\'').then_some(at + 1)
}

/// A raw string's text (`r#"..."#`), from just after its opening quote; `None` when it does not end.
fn raw(rest: &str, hashes: usize, line: u32) -> Option<Literal> {
    let close = format!("\"{}", "#".repeat(hashes));
    let end = rest.find(&close)?;
    let text = rest[..end].replace("\r\n", "\n");
    let lines = (0..=count_lines(&text)).map(|n| line + n).collect();
    Some(Literal { text, lines })
}

/// A string's text (`"..."`) with its escapes read, from just after its opening quote. A `\` at the end of a
/// line skips the line break and the white space after it; `\n` is a line of the text but not of the file.
fn plain(rest: &str, mut line: u32) -> Literal {
    let mut text = String::new();
    let mut lines = vec![line];
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                line += 1;
                text.push('\n');
                lines.push(line);
            }
            '\\' => match chars.next() {
                Some('n') => {
                    text.push('\n');
                    lines.push(line);
                }
                Some('r') => text.push('\r'),
                Some('t') => text.push('\t'),
                Some('0') => text.push('\0'),
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    if let Some(c) = u8::from_str_radix(&hex, 16).ok().map(char::from) {
                        text.push(c);
                    }
                }
                Some('u') => {
                    let code: String = chars
                        .by_ref()
                        .skip_while(|c| *c == '{')
                        .take_while(|c| *c != '}')
                        .collect();
                    if let Some(c) = u32::from_str_radix(&code, 16).ok().and_then(char::from_u32) {
                        text.push(c);
                    }
                }
                Some(break_ @ ('\n' | '\r')) => {
                    if break_ == '\r' {
                        chars.next();
                    }
                    line += 1;
                    while let Some(c) = chars.peek().copied().filter(|c| c.is_whitespace()) {
                        if c == '\n' {
                            line += 1;
                        }
                        chars.next();
                    }
                }
                Some(other) => text.push(other),
                None => break,
            },
            other => text.push(other),
        }
    }
    Literal { text, lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file lines of each line of `sql`, recorded at the first `pgm.sql(` of `source`.
    fn lines(source: &str, sql: &str) -> Option<Vec<u32>> {
        let (line, text) = source
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains("pgm.sql("))?;
        let column = text.find("pgm").map_or(1, |c| c + 1);
        SqlLines::find(source, line as u32 + 1, column as u32, sql).map(|l| l.0)
    }

    #[test]
    fn a_raw_string_on_the_next_line_maps_line_by_line() {
        let source = "fn up(pgm: &mut B) {\n    pgm.sql(\n        r#\"CREATE TABLE a ();\n\nCREATE TABLE \"b\" ();\n\"#,\n    );\n}\n";
        let sql = "CREATE TABLE a ();\n\nCREATE TABLE \"b\" ();\n";
        assert_eq!(lines(source, sql), Some(vec![3, 4, 5, 6]));
        // A statement of it, as sent outside a transaction.
        assert_eq!(lines(source, "CREATE TABLE \"b\" ()"), Some(vec![5]));
        let found = SqlLines::find(source, 2, 5, sql).expect("found");
        assert_eq!(found.statement_line(sql), Some(3));
        assert_eq!(found.line_at(sql, sql.find("CREATE TABLE \"b\"").unwrap_or(0)), Some(5));
    }

    #[test]
    fn escapes_and_continuations_keep_the_file_lines() {
        // `\n` escapes stay on the literal's line; a literal line break and a `\` continuation move on.
        let source = "    pgm.sql(\"SELECT 1;\\nSELECT 2;\n    SELECT 3; \\\n    SELECT 4\");\n";
        let sql = "SELECT 1;\nSELECT 2;\n    SELECT 3; SELECT 4";
        assert_eq!(lines(source, sql), Some(vec![1, 1, 2]));
        let found = SqlLines::find(source, 1, 5, sql).expect("found");
        assert_eq!(found.line_at(sql, sql.find("SELECT 2").unwrap_or(0)), Some(1));
        assert_eq!(found.line_at(sql, sql.find("SELECT 3").unwrap_or(0)), Some(2));
    }

    #[test]
    fn sql_the_literal_does_not_hold_has_no_lines() {
        // Built at run time.
        assert_eq!(lines("    pgm.sql(format!(\"DROP TABLE {t}\"));\n", "DROP TABLE x"), None);
        // A constant: the first literal is in the next statement.
        assert_eq!(lines("    pgm.sql(SQL);\n    let x = \"SELECT 1\";\n", "SELECT 1"), None);
        // Comments and a character literal before the string are skipped.
        let source = "    pgm.sql(/* \"no\" */ // \"no\"\n        if c == '\"' { \"SELECT 1\" } else { \"\" });\n";
        assert_eq!(lines(source, "SELECT 1"), Some(vec![2]));
    }

    #[test]
    fn code_starts_after_comments() {
        assert_eq!(code_start("-- one\n  /* two */ SELECT 1"), 19);
        assert_eq!(code_start("SELECT 1"), 0);
        assert_eq!(code_start("-- only"), 7);
    }
}
