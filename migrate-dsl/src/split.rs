//! Splitting raw SQL into statements, so that they can be sent to the server one at a time.
//!
//! PostgreSQL runs a simple query holding several statements as one implicit transaction block. Outside a
//! transaction that breaks statements that refuse to run inside one, such as `CREATE INDEX CONCURRENTLY`,
//! so a non-transactional migration sends its raw SQL statement by statement.
//!
//! The splitter is a small lexer, not a parser. It follows the rules of PostgreSQL's own lexer (and of
//! `psql`, which splits scripts the same way) for everything that can hide a semicolon:
//!
//! - `'...'` strings with `''` escapes (assuming `standard_conforming_strings = on`, the default);
//! - `E'...'` strings with backslash escapes, including their continuation on a following line;
//! - `"..."` quoted identifiers with `""` escapes;
//! - `$$...$$` and `$tag$...$tag$` dollar-quoted strings (`$1` is a parameter, `a$b$` an identifier);
//! - `-- line comments` and `/* block comments */`, which nest;
//! - parentheses: like `psql`, a semicolon inside parentheses does not end a statement
//!   (`CREATE RULE ... DO ALSO (INSERT ...; UPDATE ...)`);
//! - `BEGIN ATOMIC ... END` bodies of SQL-standard functions and procedures, counting the `CASE ... END`
//!   inside them.

/// A statement found in a raw SQL string, with its byte offset in the input (for error positions).
///
/// `sql` is a slice of the input: `&input[offset..offset + sql.len()] == sql`, so a position the server
/// reports in `sql` maps back to the input by adding `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SplitStatement<'a> {
    /// The statement's text, trimmed of surrounding whitespace, without its terminating semicolon.
    pub sql: &'a str,
    /// The byte offset of `sql` in the input.
    pub offset: usize,
}

/// Splits `sql` at top-level semicolons. Returned statements are trimmed of surrounding whitespace, never empty,
/// and exclude the terminating semicolon; statements consisting only of comments/whitespace are dropped.
///
/// It exists because a multi-statement simple query runs as one implicit transaction block, which
/// `CREATE INDEX CONCURRENTLY` (and the like) refuse: non-transactional migrations send raw SQL one
/// statement at a time.
///
/// Semicolons inside strings, quoted identifiers, dollar quotes, comments, parentheses and
/// `BEGIN ATOMIC ... END` function bodies do not split. The input is never rejected: an unterminated string,
/// quoted identifier or block comment makes the rest of the input the last statement, for the server to
/// report the error (a lone unterminated block comment is kept for the same reason).
///
/// ```
/// use migrate_dsl::split_statements;
///
/// let parts = split_statements("CREATE TABLE t (a text DEFAULT ';');\n-- done\nSELECT 1");
/// assert_eq!(parts[0].sql, "CREATE TABLE t (a text DEFAULT ';')");
/// assert_eq!((parts[1].sql, parts[1].offset), ("-- done\nSELECT 1", 37));
/// ```
pub fn split_statements(sql: &str) -> Vec<SplitStatement<'_>> {
    let mut splitter = Splitter::new(sql);
    let mut i = 0;
    while i < sql.len() {
        i = splitter.step(i);
    }
    splitter.finish()
}

/// The splitter's state between two tokens: the statements found so far, the current one, and the nesting
/// that keeps a semicolon from ending it.
struct Splitter<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    out: Vec<SplitStatement<'a>>,
    // The current statement: where it starts, and whether it holds anything besides whitespace and comments.
    start: usize,
    has_content: bool,
    paren_depth: usize,
    // 0 outside a `BEGIN ATOMIC` body; inside, 1 plus the number of open `CASE`s.
    atomic_depth: usize,
    // Whether the previous token (whitespace and comments aside) was the word `BEGIN`.
    after_begin: bool,
}

impl<'a> Splitter<'a> {
    fn new(sql: &'a str) -> Self {
        Splitter {
            sql,
            bytes: sql.as_bytes(),
            out: Vec::new(),
            start: 0,
            has_content: false,
            paren_depth: 0,
            atomic_depth: 0,
            after_begin: false,
        }
    }

    /// Lexes what starts at `i` (below the end of the input); returns where the next step starts.
    fn step(&mut self, i: usize) -> usize {
        let b = self.bytes[i];
        let next = self.bytes.get(i + 1).copied();

        // Whitespace and comments: not tokens.
        if is_space(b) {
            return i + 1;
        }
        if b == b'-' && next == Some(b'-') {
            return skip_line_comment(self.bytes, i);
        }
        if b == b'/' && next == Some(b'*') {
            return self.block_comment(i);
        }

        if b == b';' {
            return self.semicolon(i);
        }
        self.token(i)
    }

    /// Skips the block comment at `i`. An unterminated one runs to the end of the input and makes the
    /// statement non-empty, so that the server sees it.
    fn block_comment(&mut self, i: usize) -> usize {
        match skip_block_comment(self.bytes, i) {
            Some(end) => end,
            None => {
                // Unterminated: keep the rest, for the server to reject.
                self.has_content = true;
                self.bytes.len()
            }
        }
    }

    /// The semicolon at `i`: it ends the statement at top level, and is part of it inside parentheses or a
    /// `BEGIN ATOMIC` body.
    fn semicolon(&mut self, i: usize) -> usize {
        if self.paren_depth == 0 && self.atomic_depth == 0 {
            push_statement(self.sql, self.start, i, self.has_content, &mut self.out);
            self.start = i + 1;
            self.has_content = false;
        } else {
            self.has_content = true;
        }
        self.after_begin = false;
        i + 1
    }

    /// The token at `i`, neither a semicolon nor whitespace nor a comment: skipped whole, so that nothing
    /// inside a string or quote counts; parentheses and words update the nesting.
    fn token(&mut self, i: usize) -> usize {
        self.has_content = true;
        let mut is_begin = false;
        let end = match self.bytes[i] {
            b'\'' => skip_quoted(self.bytes, i, false),
            b'"' => skip_quoted_ident(self.bytes, i),
            b'$' => skip_dollar(self.bytes, i),
            b'(' => {
                self.paren_depth += 1;
                i + 1
            }
            b')' => {
                self.paren_depth = self.paren_depth.saturating_sub(1);
                i + 1
            }
            b'0'..=b'9' => skip_number(self.bytes, i),
            b if is_ident_start(b) => {
                let (end, begin) = self.word(i);
                is_begin = begin;
                end
            }
            // Any other ASCII character is a token of its own (operators, punctuation). Bytes of multibyte
            // characters are identifier characters, handled above.
            _ => i + 1,
        };
        self.after_begin = is_begin;
        end
    }

    /// The word at `i`: an `E'...'` string, or a keyword or identifier, which may open or close a
    /// `BEGIN ATOMIC` body or a `CASE` inside one. Returns where it ends and whether it is `BEGIN`.
    fn word(&mut self, i: usize) -> (usize, bool) {
        let bytes = self.bytes;
        let mut end = i + 1;
        while end < bytes.len() && is_ident_cont(bytes[end]) {
            end += 1;
        }
        let word = &bytes[i..end];
        let mut is_begin = false;
        if word.eq_ignore_ascii_case(b"e") && bytes.get(end) == Some(&b'\'') {
            // `E'...'`: an escape string, where a backslash escapes the next character.
            end = skip_quoted(bytes, end, true);
        } else if self.atomic_depth == 0 {
            if self.after_begin && word.eq_ignore_ascii_case(b"atomic") {
                self.atomic_depth = 1;
            }
            is_begin = word.eq_ignore_ascii_case(b"begin");
        } else if word.eq_ignore_ascii_case(b"case") {
            self.atomic_depth += 1;
        } else if word.eq_ignore_ascii_case(b"end") {
            self.atomic_depth -= 1;
        }
        (end, is_begin)
    }

    /// The statements found, the last one (after the last semicolon) included.
    fn finish(mut self) -> Vec<SplitStatement<'a>> {
        let end = self.bytes.len();
        push_statement(self.sql, self.start, end, self.has_content, &mut self.out);
        self.out
    }
}

/// Records `sql[start..end]`, trimmed, as a statement unless it holds only whitespace and comments.
/// `start` and `end` are always at an ASCII byte or at the end of the input, hence on character boundaries.
fn push_statement<'a>(
    sql: &'a str,
    start: usize,
    end: usize,
    has_content: bool,
    out: &mut Vec<SplitStatement<'a>>,
) {
    if !has_content {
        return;
    }
    let bytes = sql.as_bytes();
    let mut from = start;
    let mut to = end;
    while from < to && is_space(bytes[from]) {
        from += 1;
    }
    while to > from && is_space(bytes[to - 1]) {
        to -= 1;
    }
    // Trimming stops next to an ASCII byte, so `from..to` is on character boundaries; `get` keeps the
    // function panic-free even if that reasoning were ever wrong.
    if let Some(text) = sql.get(from..to)
        && !text.is_empty()
    {
        out.push(SplitStatement {
            sql: text,
            offset: from,
        });
    }
}

/// PostgreSQL's whitespace: space, tab, newline, carriage return, form feed and vertical tab.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Characters that may start an unquoted identifier or keyword (any byte of a multibyte character counts).
pub(crate) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// Characters that may continue an unquoted identifier: `$` included, so `a$b$` is an identifier.
pub(crate) fn is_ident_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Characters of a dollar-quote tag after its first: like an identifier's, without `$`.
fn is_dollar_tag_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

/// Skips a number (`42`, `1.5e3`, `0x1F`, `1_000`) starting at `i`; returns the index just past it. It
/// stops before `$`, so `1$$x$$` is a number followed by a dollar quote, as for the server.
fn skip_number(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < bytes.len()
        && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'.')
    {
        j += 1;
    }
    j
}

/// Skips a `-- comment` starting at `i`; returns the index of the newline ending it (or the end).
pub(crate) fn skip_line_comment(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 2;
    while j < bytes.len() && bytes[j] != b'\n' && bytes[j] != b'\r' {
        j += 1;
    }
    j
}

/// Skips a `/* comment */` starting at `i`, nested comments included; returns the index just past it, or
/// `None` when it is not terminated.
pub(crate) fn skip_block_comment(bytes: &[u8], i: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut j = i + 2;
    while j + 1 < bytes.len() {
        match (bytes[j], bytes[j + 1]) {
            (b'/', b'*') => {
                depth += 1;
                j += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => j += 1,
        }
    }
    None
}

/// Skips a string literal whose opening quote is at `i`; returns the index just past its closing quote (or
/// the end). `''` is a quote inside the string; with `backslash_escapes` (an `E'...'` string) so is `\'`,
/// and the string may go on after a line break (`E'a'\n'b'` is one string, still with backslash escapes).
pub(crate) fn skip_quoted(bytes: &[u8], i: usize, backslash_escapes: bool) -> usize {
    let len = bytes.len();
    let mut j = i + 1;
    while j < len {
        match bytes[j] {
            b'\\' if backslash_escapes => j += 2,
            b'\'' if bytes.get(j + 1) == Some(&b'\'') => j += 2,
            b'\'' => {
                if backslash_escapes && let Some(quote) = quote_continuation(bytes, j + 1) {
                    j = quote + 1;
                    continue;
                }
                return j + 1;
            }
            _ => j += 1,
        }
    }
    len
}

/// PostgreSQL joins string literals separated by whitespace holding at least one newline (comments allowed):
/// `'a'\n'b'` is `'ab'`. Returns the index of the continuing quote, if any, looking from `i`.
fn quote_continuation(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut newline = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' | b'\r' => {
                newline = true;
                i += 1;
            }
            b' ' | b'\t' | b'\x0b' | b'\x0c' => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_line_comment(bytes, i),
            b'\'' if newline => return Some(i),
            _ => return None,
        }
    }
    None
}

/// Skips a quoted identifier whose opening `"` is at `i` (`""` is a quote inside it); returns the index just
/// past its closing quote (or the end).
pub(crate) fn skip_quoted_ident(bytes: &[u8], i: usize) -> usize {
    let len = bytes.len();
    let mut j = i + 1;
    while j < len {
        if bytes[j] == b'"' {
            if bytes.get(j + 1) == Some(&b'"') {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    len
}

/// Skips what starts with the `$` at `i`: a dollar-quoted string (to just past its closing delimiter, or the
/// end), a `$1` parameter, or a lone `$`. Never called for a `$` inside an identifier.
pub(crate) fn skip_dollar(bytes: &[u8], i: usize) -> usize {
    let len = bytes.len();
    let mut j = i + 1;
    if j < len && is_ident_start(bytes[j]) {
        j += 1;
        while j < len && is_dollar_tag_cont(bytes[j]) {
            j += 1;
        }
    }
    if j < len && bytes[j] == b'$' {
        // `$$` or `$tag$`: the body ends at the first occurrence of the same delimiter.
        let delimiter = &bytes[i..=j];
        let body = j + 1;
        return match bytes[body..]
            .windows(delimiter.len())
            .position(|w| w == delimiter)
        {
            Some(at) => body + at + delimiter.len(),
            None => len,
        };
    }
    // Not a dollar quote (`$1`, `$x` without a closing `$`, a lone `$`): the `$` and any digits after it
    // form one token; what follows is lexed afresh.
    let mut j = i + 1;
    while j < len && bytes[j].is_ascii_digit() {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::{split_statements, SplitStatement};

    /// The statements' texts only.
    fn texts(sql: &str) -> Vec<&str> {
        split_statements(sql).into_iter().map(|s| s.sql).collect()
    }

    /// Checks the invariants every split must hold, whatever the input.
    fn check_invariants(input: &str) {
        let parts = split_statements(input);
        let mut previous_end = 0;
        for part in &parts {
            assert!(!part.sql.is_empty(), "empty statement from {input:?}");
            assert_eq!(
                input.get(part.offset..part.offset + part.sql.len()),
                Some(part.sql),
                "bad offset in {input:?}"
            );
            assert!(
                part.offset >= previous_end,
                "overlapping statements from {input:?}"
            );
            assert_eq!(
                part.sql
                    .trim_matches(|c: char| " \t\n\r\x0b\x0c".contains(c)),
                part.sql,
                "untrimmed in {input:?}"
            );
            previous_end = part.offset + part.sql.len();
        }
        // Splitting the statements again, joined by semicolons on their own lines, gives them back.
        let joined: Vec<&str> = parts.iter().map(|p| p.sql).collect();
        let joined = joined.join("\n;\n");
        assert_eq!(
            texts(&joined),
            parts.iter().map(|p| p.sql).collect::<Vec<_>>(),
            "unstable split of {input:?}"
        );
    }

    #[test]
    fn splits_simple_statements_with_offsets() {
        let sql = "CREATE TABLE a (id int);\n  CREATE INDEX CONCURRENTLY i ON a (id);\n";
        assert_eq!(
            split_statements(sql),
            vec![
                SplitStatement {
                    sql: "CREATE TABLE a (id int)",
                    offset: 0
                },
                SplitStatement {
                    sql: "CREATE INDEX CONCURRENTLY i ON a (id)",
                    offset: 27
                },
            ]
        );
        check_invariants(sql);
    }

    #[test]
    fn single_statement_without_semicolon() {
        assert_eq!(
            split_statements("  SELECT 1  "),
            vec![SplitStatement {
                sql: "SELECT 1",
                offset: 2
            }]
        );
    }

    #[test]
    fn trailing_statement_without_semicolon() {
        let sql = "SELECT 1; SELECT 2";
        assert_eq!(
            split_statements(sql),
            vec![
                SplitStatement {
                    sql: "SELECT 1",
                    offset: 0
                },
                SplitStatement {
                    sql: "SELECT 2",
                    offset: 10
                }
            ]
        );
    }

    #[test]
    fn empty_statements_are_dropped() {
        assert_eq!(
            split_statements(";;SELECT 1;; ;\n;SELECT 2;;"),
            vec![
                SplitStatement {
                    sql: "SELECT 1",
                    offset: 2
                },
                SplitStatement {
                    sql: "SELECT 2",
                    offset: 16
                }
            ]
        );
        assert_eq!(split_statements(""), vec![]);
        assert_eq!(split_statements(" \n\t "), vec![]);
        assert_eq!(split_statements(";"), vec![]);
        assert_eq!(split_statements(";;;"), vec![]);
    }

    #[test]
    fn comment_only_input_gives_nothing() {
        assert_eq!(
            split_statements("-- nothing here\n/* nor here */\n"),
            vec![]
        );
        assert_eq!(split_statements("-- no newline at the end"), vec![]);
        assert_eq!(
            split_statements("/* a */; -- b\n; /* c /* nested */ */"),
            vec![]
        );
    }

    #[test]
    fn comment_only_statements_are_dropped_between_others() {
        assert_eq!(
            split_statements("SELECT 1; -- trailing note\n/* block */;\nSELECT 2; -- the end"),
            vec![
                SplitStatement {
                    sql: "SELECT 1",
                    offset: 0
                },
                SplitStatement {
                    sql: "SELECT 2",
                    offset: 40
                }
            ]
        );
    }

    #[test]
    fn comments_stay_with_their_statement() {
        let sql = "-- add a column\nALTER TABLE t ADD c int; SELECT 1 -- why; not\n;";
        assert_eq!(
            split_statements(sql),
            vec![
                SplitStatement {
                    sql: "-- add a column\nALTER TABLE t ADD c int",
                    offset: 0
                },
                SplitStatement {
                    sql: "SELECT 1 -- why; not",
                    offset: 41
                },
            ]
        );
    }

    #[test]
    fn line_comment_ends_at_carriage_return() {
        assert_eq!(
            texts("SELECT 1 -- c\r; SELECT 2"),
            vec!["SELECT 1 -- c", "SELECT 2"]
        );
    }

    #[test]
    fn semicolons_in_single_quoted_strings() {
        assert_eq!(
            texts("SELECT 'a;b'; SELECT 'it''s; fine'"),
            vec!["SELECT 'a;b'", "SELECT 'it''s; fine'"]
        );
        // Backslashes are ordinary characters in standard strings.
        assert_eq!(
            texts(r"SELECT 'C:\'; SELECT 2"),
            vec![r"SELECT 'C:\'", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT '';SELECT ''''"),
            vec!["SELECT ''", "SELECT ''''"]
        );
    }

    #[test]
    fn semicolons_in_escape_strings() {
        assert_eq!(
            texts(r"SELECT E'it\'s; ok'; SELECT 2"),
            vec![r"SELECT E'it\'s; ok'", "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT e'\\'; SELECT 2"),
            vec![r"SELECT e'\\'", "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT E'a''b;\';'; SELECT 2"),
            vec![r"SELECT E'a''b;\';'", "SELECT 2"]
        );
        // After an operator or a parenthesis, `E'` still starts an escape string.
        assert_eq!(
            texts(r"SELECT (E'\';');SELECT 1||e'\';'"),
            vec![r"SELECT (E'\';')", r"SELECT 1||e'\';'"]
        );
    }

    #[test]
    fn e_inside_a_longer_word_is_not_an_escape_string() {
        // `name'...'` and `type'...'` are standard strings: the backslash does not escape the quote.
        assert_eq!(
            texts(r"SELECT name'\'; SELECT 2"),
            vec![r"SELECT name'\'", "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT xe'\'; SELECT 2"),
            vec![r"SELECT xe'\'", "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT e1'\'; SELECT 2"),
            vec![r"SELECT e1'\'", "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT é'\'; SELECT 2"),
            vec![r"SELECT é'\'", "SELECT 2"]
        );
        // `WHERE e '...'`: a word `e`, then a separate standard string.
        assert_eq!(
            texts(r"SELECT e '\'; SELECT 2"),
            vec![r"SELECT e '\'", "SELECT 2"]
        );
    }

    #[test]
    fn escape_string_continues_on_the_next_line() {
        // PostgreSQL reads `E'a'\n'\';'` as one escape string: the second part keeps backslash escapes.
        assert_eq!(
            texts("SELECT E'a'\n'\\';'; SELECT 2"),
            vec!["SELECT E'a'\n'\\';'", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT E'a' -- c\n  'b\\';'; SELECT 2"),
            vec!["SELECT E'a' -- c\n  'b\\';'", "SELECT 2"]
        );
        // Without a newline, it is not a continuation (and the server would reject it).
        assert_eq!(
            texts(r"SELECT E'a' '\'; SELECT 2"),
            vec![r"SELECT E'a' '\'", "SELECT 2"]
        );
    }

    #[test]
    fn semicolons_in_quoted_identifiers() {
        assert_eq!(
            texts(r#"CREATE TABLE "a;b" ("c""; d" int); DROP TABLE "x""""#),
            vec![
                r#"CREATE TABLE "a;b" ("c""; d" int)"#,
                r#"DROP TABLE "x""""#
            ]
        );
        // A quote or backslash inside a quoted identifier means nothing.
        assert_eq!(
            texts(r#"SELECT "it's\"; SELECT 2"#),
            vec![r#"SELECT "it's\""#, "SELECT 2"]
        );
    }

    #[test]
    fn semicolons_in_dollar_quotes() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;\nSELECT f();";
        assert_eq!(
            split_statements(sql),
            vec![
                SplitStatement {
                    sql: "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$",
                    offset: 0
                },
                SplitStatement { sql: "SELECT f()", offset: 80 },
            ]
        );
        assert_eq!(
            texts("DO $body$ BEGIN PERFORM ';'; END $body$; SELECT 1"),
            vec!["DO $body$ BEGIN PERFORM ';'; END $body$", "SELECT 1"]
        );
        // Quotes inside a dollar quote mean nothing.
        assert_eq!(
            texts("SELECT $$it's; \"$$; SELECT 2"),
            vec!["SELECT $$it's; \"$$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $$$$; SELECT 2"),
            vec!["SELECT $$$$", "SELECT 2"]
        );
    }

    #[test]
    fn dollar_tags_are_matched_exactly() {
        assert_eq!(
            texts("SELECT $a$ $ab$; $a$; SELECT 2"),
            vec!["SELECT $a$ $ab$; $a$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $ab$ $a$; $ab$; SELECT 2"),
            vec!["SELECT $ab$ $a$; $ab$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $a$ $$;$$ $a$; SELECT 2"),
            vec!["SELECT $a$ $$;$$ $a$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $a$ $A$; $a$; SELECT 2"),
            vec!["SELECT $a$ $A$; $a$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $_1$;$_1$; SELECT 2"),
            vec!["SELECT $_1$;$_1$", "SELECT 2"]
        );
        // Multibyte tags.
        assert_eq!(
            texts("SELECT $é$;$é$; SELECT 2"),
            vec!["SELECT $é$;$é$", "SELECT 2"]
        );
    }

    #[test]
    fn positional_parameters_are_not_dollar_quotes() {
        assert_eq!(
            texts("SELECT $1; SELECT $2"),
            vec!["SELECT $1", "SELECT $2"]
        );
        assert_eq!(
            texts("SELECT $1$; SELECT 2"),
            vec!["SELECT $1$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT $12 + $3;SELECT 2"),
            vec!["SELECT $12 + $3", "SELECT 2"]
        );
        // `$1` then a real dollar quote.
        assert_eq!(
            texts("SELECT $1 || $$;$$; SELECT 2"),
            vec!["SELECT $1 || $$;$$", "SELECT 2"]
        );
        // A lone `$`.
        assert_eq!(texts("SELECT $ ; SELECT $"), vec!["SELECT $", "SELECT $"]);
    }

    #[test]
    fn dollar_inside_an_identifier_is_not_a_dollar_quote() {
        assert_eq!(
            texts("SELECT a$b$; SELECT 2"),
            vec!["SELECT a$b$", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT x$$; SELECT 2"),
            vec!["SELECT x$$", "SELECT 2"]
        );
        // After a number, `$$` does start a dollar quote, as for the server.
        assert_eq!(
            texts("SELECT 1$$;$$; SELECT 2"),
            vec!["SELECT 1$$;$$", "SELECT 2"]
        );
    }

    #[test]
    fn semicolons_in_block_comments() {
        assert_eq!(
            texts("SELECT /* ; */ 1; SELECT 2"),
            vec!["SELECT /* ; */ 1", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT 1 /* it's */; SELECT 2"),
            vec!["SELECT 1 /* it's */", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT /**/ 1;SELECT /*/ ; */ 2"),
            vec!["SELECT /**/ 1", "SELECT /*/ ; */ 2"]
        );
    }

    #[test]
    fn block_comments_nest() {
        assert_eq!(
            texts("SELECT /* a /* b; */ still comment; */ 1; SELECT 2"),
            vec!["SELECT /* a /* b; */ still comment; */ 1", "SELECT 2"]
        );
        assert_eq!(
            texts("/* /* /* ; */ ; */ ; */ SELECT 1; SELECT 2"),
            vec!["/* /* /* ; */ ; */ ; */ SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn line_comment_markers_inside_strings_are_text() {
        assert_eq!(
            texts("SELECT '--'; SELECT '/*'; SELECT 3"),
            vec!["SELECT '--'", "SELECT '/*'", "SELECT 3"]
        );
        assert_eq!(
            texts("SELECT 1 -- /* not a block\n; SELECT 2"),
            vec!["SELECT 1 -- /* not a block", "SELECT 2"]
        );
    }

    #[test]
    fn unterminated_constructs_make_the_rest_one_statement() {
        assert_eq!(
            texts("SELECT 1; SELECT 'oops; SELECT 3"),
            vec!["SELECT 1", "SELECT 'oops; SELECT 3"]
        );
        assert_eq!(
            texts(r"SELECT 1; SELECT E'oops\'; SELECT 3"),
            vec!["SELECT 1", r"SELECT E'oops\'; SELECT 3"]
        );
        assert_eq!(
            texts("SELECT 1; SELECT \"oops; SELECT 3"),
            vec!["SELECT 1", "SELECT \"oops; SELECT 3"]
        );
        assert_eq!(
            texts("SELECT 1; SELECT $x$ oops; SELECT 3"),
            vec!["SELECT 1", "SELECT $x$ oops; SELECT 3"]
        );
        assert_eq!(
            texts("SELECT 1; SELECT /* oops; SELECT 3"),
            vec!["SELECT 1", "SELECT /* oops; SELECT 3"]
        );
        assert_eq!(
            texts("SELECT 1; /* a /* b */ ; SELECT 3"),
            vec!["SELECT 1", "/* a /* b */ ; SELECT 3"]
        );
        // An unterminated block comment is kept even alone, so the server can report it.
        assert_eq!(
            split_statements("SELECT 1; /* lost"),
            vec![
                SplitStatement {
                    sql: "SELECT 1",
                    offset: 0
                },
                SplitStatement {
                    sql: "/* lost",
                    offset: 10
                },
            ]
        );
        assert_eq!(texts("SELECT E'\\"), vec!["SELECT E'\\"]);
        assert_eq!(texts("SELECT '"), vec!["SELECT '"]);
        assert_eq!(texts("$"), vec!["$"]);
        assert_eq!(texts("$a"), vec!["$a"]);
        assert_eq!(texts("$a$"), vec!["$a$"]);
        assert_eq!(texts("/*"), vec!["/*"]);
        assert_eq!(texts("/*/"), vec!["/*/"]);
    }

    #[test]
    fn begin_atomic_body_is_one_statement() {
        let sql = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (a);\n  SELECT a;\nEND;\nSELECT f(1);";
        assert_eq!(
            split_statements(sql),
            vec![
                SplitStatement {
                    sql: "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (a);\n  SELECT a;\nEND",
                    offset: 0
                },
                SplitStatement { sql: "SELECT f(1)", offset: 108 },
            ]
        );
        check_invariants(sql);
    }

    #[test]
    fn begin_atomic_is_case_insensitive_and_may_hold_comments() {
        assert_eq!(
            texts(
                "create procedure p() begin /* x */ Atomic insert into t values (1); eNd; select 1"
            ),
            vec![
                "create procedure p() begin /* x */ Atomic insert into t values (1); eNd",
                "select 1"
            ]
        );
        assert_eq!(
            texts("CREATE PROCEDURE p() BEGIN ATOMIC END; SELECT 1"),
            vec!["CREATE PROCEDURE p() BEGIN ATOMIC END", "SELECT 1"]
        );
    }

    #[test]
    fn case_inside_begin_atomic_does_not_close_it() {
        let sql = "CREATE FUNCTION f(a int) RETURNS text LANGUAGE sql BEGIN ATOMIC \
                   SELECT CASE WHEN a > 0 THEN 'pos' ELSE CASE WHEN a < 0 THEN 'neg' END END; \
                   SELECT 'x'; END; SELECT 2";
        let parts = texts(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("SELECT 'x'; END"), "{parts:?}");
        assert_eq!(parts[1], "SELECT 2");
    }

    #[test]
    fn begin_atomic_words_in_strings_comments_and_identifiers_do_not_count() {
        assert_eq!(
            texts("SELECT 'BEGIN ATOMIC'; SELECT 2"),
            vec!["SELECT 'BEGIN ATOMIC'", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT 1 -- BEGIN ATOMIC\n; SELECT 2"),
            vec!["SELECT 1 -- BEGIN ATOMIC", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT \"begin\" atomic; SELECT 2"),
            vec!["SELECT \"begin\" atomic", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT begin_ atomic; SELECT 2"),
            vec!["SELECT begin_ atomic", "SELECT 2"]
        );
        // An `END` inside a string does not close the body.
        assert_eq!(
            texts("CREATE FUNCTION f() RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT 'END'; SELECT 'x'; END; SELECT 2"),
            vec!["CREATE FUNCTION f() RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT 'END'; SELECT 'x'; END", "SELECT 2"]
        );
    }

    #[test]
    fn transaction_begin_and_end_still_split() {
        assert_eq!(
            texts("BEGIN; SELECT CASE WHEN true THEN 1 END; END; BEGIN TRANSACTION; COMMIT"),
            vec![
                "BEGIN",
                "SELECT CASE WHEN true THEN 1 END",
                "END",
                "BEGIN TRANSACTION",
                "COMMIT"
            ]
        );
        // `BEGIN` then, in the next statement, `ATOMIC`: not a body.
        assert_eq!(
            texts("BEGIN; ATOMIC; SELECT 1"),
            vec!["BEGIN", "ATOMIC", "SELECT 1"]
        );
    }

    #[test]
    fn semicolons_inside_parentheses_do_not_split() {
        // Multi-action rules, as psql reads them.
        assert_eq!(
            texts("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 1"),
            vec!["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 1"]
        );
        // A stray closing parenthesis does not prevent later splits.
        assert_eq!(texts("SELECT 1); SELECT 2"), vec!["SELECT 1)", "SELECT 2"]);
    }

    #[test]
    fn unicode_identifiers_and_strings() {
        let sql = "CREATE TABLE café (naïve text DEFAULT '日本;語');\nINSERT INTO \"🦀;\" VALUES ('ü');Ωmega;";
        assert_eq!(
            split_statements(sql),
            vec![
                SplitStatement {
                    sql: "CREATE TABLE café (naïve text DEFAULT '日本;語')",
                    offset: 0
                },
                SplitStatement {
                    sql: "INSERT INTO \"🦀;\" VALUES ('ü')",
                    offset: "CREATE TABLE café (naïve text DEFAULT '日本;語');\n".len()
                },
                SplitStatement {
                    sql: "Ωmega",
                    offset: sql.len() - "Ωmega;".len()
                },
            ]
        );
        check_invariants(sql);
        // Non-ASCII whitespace is not PostgreSQL whitespace: it is kept.
        assert_eq!(
            texts("\u{a0}SELECT 1\u{a0}; SELECT 2"),
            vec!["\u{a0}SELECT 1\u{a0}", "SELECT 2"]
        );
    }

    #[test]
    fn trims_all_postgres_whitespace() {
        assert_eq!(
            split_statements("\t\r\n\x0b\x0c SELECT 1 \x0c\x0b\n\r\t;"),
            vec![SplitStatement {
                sql: "SELECT 1",
                offset: 6
            }]
        );
    }

    #[test]
    fn random_inputs_never_panic_and_give_substrings_at_their_offsets() {
        const PIECES: &[&str] = &[
            "'",
            "''",
            "\"",
            "$",
            "$$",
            "$a$",
            "$ab$",
            "$1",
            ";",
            ";",
            ";",
            "-",
            "--",
            "*",
            "/",
            "/*",
            "*/",
            "\n",
            "\r",
            " ",
            " ",
            "\t",
            "a",
            "b",
            "x",
            "E",
            "e",
            "E'",
            "\\",
            "(",
            ")",
            "1",
            "é",
            "日",
            "🦀",
            "\u{a0}",
            "BEGIN",
            "ATOMIC",
            "begin atomic",
            "CASE",
            "END",
            "SELECT",
        ];
        let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5000 {
            let len = rng.usize(..40);
            let mut input = String::new();
            for _ in 0..len {
                input.push_str(PIECES[rng.usize(..PIECES.len())]);
            }
            check_invariants(&input);
        }
    }

    #[test]
    fn random_inputs_without_quoting_split_at_every_semicolon() {
        // With nothing that can hide a semicolon, the split is the naive one.
        const PIECES: &[&str] = &[
            ";", ";", " ", "\n", "a", "b", "1", "é", "🦀", "+", "*", "=", ",", "x y",
        ];
        let mut rng = fastrand::Rng::with_seed(42);
        for _ in 0..2000 {
            let len = rng.usize(..30);
            let mut input = String::new();
            for _ in 0..len {
                input.push_str(PIECES[rng.usize(..PIECES.len())]);
            }
            let expected: Vec<&str> = input
                .split(';')
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect();
            assert_eq!(texts(&input), expected, "input {input:?}");
            check_invariants(&input);
        }
    }
}
