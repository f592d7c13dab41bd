//! Where a server error is in the SQL a migration sent: the statement of a multi-statement text that its
//! position falls in, and the lines shown around it with a caret under the position.

/// The statement of a multi-statement SQL text that an error is in.
pub(crate) struct Failing<'a> {
    /// 1-based, and how many there are.
    pub number: usize,
    pub count: usize,
    /// The statement from its first token (comments before it left out), and where that is in the text.
    pub sql: &'a str,
    pub offset: usize,
}

impl<'a> Failing<'a> {
    /// The statement of `sql` (split as the engine splits raw SQL) that byte `at` is in.
    pub fn locate(sql: &'a str, at: usize) -> Option<Failing<'a>> {
        let statements = migrate_dsl::split_statements(sql);
        let index = statements
            .iter()
            .rposition(|s| s.offset <= at)
            .unwrap_or(0);
        let statement = statements.get(index)?;
        let code = crate::sql_lines::code_start(statement.sql);
        Some(Failing {
            number: index + 1,
            count: statements.len(),
            sql: &statement.sql[code..],
            offset: statement.offset + code,
        })
    }
}

/// Where the server's error is, for the caret under it.
pub(crate) struct Caret<'a> {
    /// The byte offset in the text shown.
    pub offset: usize,
    /// The 1-based line of the whole SQL text it is on.
    pub text_line: usize,
    /// The migration file and its line, when the SQL is written there in place.
    pub file: Option<(&'a str, u32)>,
}

/// How many lines before the error's the excerpt shows, and after it.
const LINES_BEFORE: usize = 5;
const LINES_AFTER: usize = 3;

/// The statement's lines around the error, with a caret under it; its first twelve lines without one.
pub(crate) fn excerpt(sql: &str, caret: Option<Caret<'_>>) -> Vec<String> {
    let lines: Vec<&str> = sql.lines().collect();
    let Some(caret) = caret else {
        return lines.iter().take(12).map(|l| (*l).to_owned()).collect();
    };
    let before = &sql[..caret.offset.min(sql.len())];
    let index = before.matches('\n').count();
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count();
    let Some(line) = lines.get(index) else {
        return lines.iter().take(12).map(|l| (*l).to_owned()).collect();
    };
    let mut out: Vec<String> = lines[index.saturating_sub(LINES_BEFORE)..index]
        .iter()
        .map(|l| (*l).to_owned())
        .collect();
    out.push((*line).to_owned());
    let place = match caret.file {
        Some((path, line)) => format!("{path}:{line}, column {}", column + 1),
        None => format!("line {}, column {}", caret.text_line, column + 1),
    };
    out.push(format!("{}^ ({place})", " ".repeat(column)));
    let after = &lines[index + 1..];
    out.extend(after.iter().take(LINES_AFTER).map(|l| (*l).to_owned()));
    if after.len() > LINES_AFTER {
        out.push(format!("... ({} more lines)", after.len() - LINES_AFTER));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{excerpt, Caret, Failing};

    #[test]
    fn excerpt_points_at_the_position() {
        let sql = "CREATE TABLE a (id int);\nCREATE TABL b ();\nSELECT 1;";
        let caret = |offset, file| {
            Some(Caret {
                offset,
                text_line: 2,
                file,
            })
        };
        assert_eq!(
            excerpt(sql, caret(32, None)),
            vec![
                "CREATE TABLE a (id int);",
                "CREATE TABL b ();",
                "       ^ (line 2, column 8)",
                "SELECT 1;"
            ]
        );
        assert_eq!(
            excerpt(sql, caret(32, Some(("m.rs", 14)))),
            vec![
                "CREATE TABLE a (id int);",
                "CREATE TABL b ();",
                "       ^ (m.rs:14, column 8)",
                "SELECT 1;"
            ]
        );
        let long: String = (1..=12).map(|i| format!("SELECT {i};\n")).collect();
        let shown = excerpt(&long, caret(long.find("SELECT 7").unwrap_or(0), None));
        assert_eq!(shown.first().map(String::as_str), Some("SELECT 2;"));
        assert_eq!(shown.last().map(String::as_str), Some("... (2 more lines)"));
    }

    #[test]
    fn the_failing_statement_is_found_by_the_error_offset() {
        let sql = "CREATE TABLE a ();\n\n-- the second\nINSERT INTO a\nVALUES (1);\nSELECT 3";
        let at = sql.find("VALUES").unwrap_or(0);
        let failing = Failing::locate(sql, at).expect("a statement");
        assert_eq!((failing.number, failing.count), (2, 3));
        assert_eq!(failing.sql, "INSERT INTO a\nVALUES (1)");
        assert_eq!(&sql[failing.offset..failing.offset + 6], "INSERT");
        // Between two statements: the one before.
        let failing = Failing::locate(sql, sql.find("\n\n").unwrap_or(0)).expect("a statement");
        assert_eq!(failing.number, 1);
    }
}

