//! A desired schema's SQL file as `psql` reads it: its statements, each with the line it starts on, and the
//! psql meta-commands that `pg_dump` and `pg_dumpall` write in plain format understood rather than sent to the
//! server (which answers a backslash with a syntax error):
//!
//! - `\restrict KEY` and `\unrestrict KEY` (PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6 and later): they
//!   only keep psql from running other meta-commands in between, so they are skipped;
//! - `\connect DB` (`pg_dump --create`): the statements after it build the same scratch database; a second
//!   one (a file of several databases, as `pg_dumpall` writes) is an error;
//! - `COPY ... FROM stdin;` and its rows up to the `\.` line (a dump with data): the rows are skipped, the
//!   schema is what `diff` compares.
//!
//! Any other meta-command is an error naming the file and line: guessing what it meant could build another
//! schema than the one wanted.

use std::path::Path;

use anyhow::{bail, Result};
use migrate_dsl::split_statements;

/// One statement of the file: its text, from its first token (its leading comments left out), without
/// the terminating semicolon, and the line (from 1) that token is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Statement {
    pub sql: String,
    pub line: usize,
}

/// What [`read`] found in a file.
#[derive(Debug, Default)]
pub(super) struct Script {
    pub statements: Vec<Statement>,
    /// Rows of `COPY ... FROM stdin` blocks, not loaded.
    pub rows_skipped: usize,
}

/// Line numbers of byte offsets, counted forward from the last one asked for (offsets only grow).
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        if offset >= self.offset {
            self.line += self.text.as_bytes()[self.offset..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        } else {
            self.line = 1 + self.text.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        }
        self.offset = offset;
        self.line
    }
}

/// Reads `text`, the content of `file` (named in errors), into statements.
pub(super) fn read(file: &Path, text: &str) -> Result<Script> {
    let mut script = Script::default();
    let mut lines = Lines {
        text,
        offset: 0,
        line: 1,
    };
    let mut connected = false;
    let mut pos = 0;
    'text: while pos < text.len() {
        let rest = &text[pos..];
        for split in split_statements(rest) {
            let start = pos + split.offset;
            let end = start + split.sql.len();
            // Leading comments, blank lines and meta-command lines: each meta-command is a line of its own.
            let mut cursor = start;
            loop {
                cursor = skip_comments(text, cursor, end);
                if cursor >= end || text.as_bytes()[cursor] != b'\\' {
                    break;
                }
                let line_end = text[cursor..end].find('\n').map_or(end, |i| cursor + i);
                let command = text[cursor..line_end].trim_end();
                let line = lines.at(cursor);
                meta_command(file, line, command, &mut connected)?;
                cursor = line_end;
            }
            if cursor >= end {
                continue;
            }
            let sql = &text[cursor..end];
            let line = lines.at(cursor);
            if is_copy_from_stdin(sql) {
                // The rows start on the line after the statement's semicolon and end at a `\.` line.
                let Some(semicolon) = text[end..].find(';').map(|i| end + i) else {
                    bail!(
                        "{}:{line}: COPY ... FROM stdin has no rows after it (a `;` and the rows up to a `\\.` line)",
                        file.display()
                    );
                };
                let data = text[semicolon..]
                    .find('\n')
                    .map_or(text.len(), |i| semicolon + i + 1);
                let mut at = data;
                loop {
                    if at >= text.len() {
                        bail!(
                            "{}:{line}: the rows of COPY ... FROM stdin do not end with a `\\.` line",
                            file.display()
                        );
                    }
                    let row_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                    let row = text[at..row_end].trim_end_matches('\r');
                    at = (row_end + 1).min(text.len());
                    if row == "\\." {
                        break;
                    }
                    script.rows_skipped += 1;
                }
                // What follows is split anew: the rows are not SQL.
                pos = at;
                continue 'text;
            }
            script.statements.push(Statement {
                sql: sql.to_owned(),
                line,
            });
        }
        break;
    }
    Ok(script)
}

/// What a meta-command line does; an error for one `diff` does not understand.
fn meta_command(file: &Path, line: usize, command: &str, connected: &mut bool) -> Result<()> {
    let name = command
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or(command);
    match name {
        "\\restrict" | "\\unrestrict" => Ok(()),
        "\\connect" | "\\c" => {
            if std::mem::replace(connected, true) {
                bail!(
                    "{}:{line}: a second `\\connect`: the file holds more than one database (as `pg_dumpall` \
                     writes); give diff one database's schema (`pg_dump --schema-only`)",
                    file.display()
                );
            }
            Ok(())
        }
        _ => bail!(
            "{}:{line}: the psql meta-command `{name}` is not supported: diff runs the file's SQL statements \
             itself, and understands only the meta-commands pg_dump writes (\\restrict, \\unrestrict, \\connect, \
             and the rows of COPY ... FROM stdin up to \\.)",
            file.display()
        ),
    }
}

/// Skips whitespace, `-- comments` and `/* comments */` (nested) from `i`, up to `end`.
fn skip_comments(text: &str, mut i: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    while i < end {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < end && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < end {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            _ => break,
        }
    }
    i.min(end)
}

/// `COPY <table> [(<columns>)] FROM stdin [...]`: the statement whose rows follow it in the file.
fn is_copy_from_stdin(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.first().is_some_and(|w| w == "copy")
        && words
            .windows(2)
            .any(|pair| pair[0] == "from" && pair[1] == "stdin")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(text: &str) -> Vec<(usize, String)> {
        read(Path::new("schema.sql"), text)
            .expect("read")
            .statements
            .into_iter()
            .map(|s| (s.line, s.sql))
            .collect()
    }

    #[test]
    fn the_restrict_lines_of_a_recent_pg_dump_are_skipped_and_lines_counted() {
        let text = "--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123\n\n-- Dumped from\n\
                    SET statement_timeout = 0;\nCREATE TABLE public.t (\n    a text DEFAULT 'x;\\y'\n);\n\n\
                    --\n-- done\n--\n\n\\unrestrict AbC123\n\n";
        assert_eq!(
            statements(text),
            [
                (8, "SET statement_timeout = 0".to_owned()),
                (
                    9,
                    "CREATE TABLE public.t (\n    a text DEFAULT 'x;\\y'\n)".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn copy_rows_are_skipped_and_a_create_dump_connects_once() {
        let text = "\\connect app\nCREATE TABLE t (a text);\nCOPY public.t (a) FROM stdin;\n\
                    it's; not \\N sql\n\\.\n\nCREATE INDEX i ON t (a);\n";
        let script = read(Path::new("schema.sql"), text).expect("read");
        assert_eq!(script.rows_skipped, 1);
        assert_eq!(
            script
                .statements
                .iter()
                .map(|s| (s.line, s.sql.as_str()))
                .collect::<Vec<_>>(),
            [
                (2, "CREATE TABLE t (a text)"),
                (7, "CREATE INDEX i ON t (a)")
            ]
        );
        let twice = read(
            Path::new("all.sql"),
            "\\connect a\nSELECT 1;\n\\connect b\nSELECT 2;\n",
        )
        .expect_err("two databases");
        assert!(
            twice
                .to_string()
                .starts_with("all.sql:3: a second `\\connect`"),
            "{twice}"
        );
    }

    #[test]
    fn another_meta_command_is_an_error_naming_file_and_line() {
        let error = read(
            Path::new("schema.sql"),
            "SELECT 1;\n\n\\set ON_ERROR_STOP on\nSELECT 2;\n",
        )
        .expect_err("unknown meta-command");
        assert!(
            error
                .to_string()
                .starts_with("schema.sql:3: the psql meta-command `\\set` is not supported"),
            "{error}"
        );
        // A backslash inside a string or a function body is no meta-command.
        assert_eq!(
            statements("CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n\\x$$;\n"),
            [(
                1,
                "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n\\x$$".to_owned()
            )]
        );
    }
}
