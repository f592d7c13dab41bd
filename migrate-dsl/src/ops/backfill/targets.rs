//! The columns a backfill's SQL assignments write: the left-hand sides of its `SET` list. A backfill's derived
//! reverse does nothing only when every one of them is a column its own migration added (dropping the column
//! then undoes the fill), so this reader errs on the side of "unknown": anything it does not understand makes
//! the reverse refuse rather than pass.

use crate::split::{
    is_ident_cont, is_ident_start, is_space, skip_block_comment, skip_dollar, skip_line_comment,
    skip_quoted, skip_quoted_ident,
};

/// The columns `set` (the assignments of `UPDATE .. SET`) writes, named as PostgreSQL resolves them (an
/// unquoted name folded to lower case, a quoted one as written), in order; `None` when `set` is not a list of
/// `column = expression` or `(column, ..) = expression` assignments this reader follows.
pub(crate) fn assigned_columns(set: &str) -> Option<Vec<String>> {
    let bytes = set.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        i = skip_space(bytes, i)?;
        if bytes.get(i) == Some(&b'(') {
            // `(a, b) = (..)` or `= ROW(..)` or a sub-select.
            i += 1;
            loop {
                let (name, next) = ident(set, skip_space(bytes, i)?)?;
                out.push(name);
                i = skip_space(bytes, next)?;
                match bytes.get(i) {
                    Some(b',') => i += 1,
                    Some(b')') => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        } else {
            let (name, next) = ident(set, i)?;
            out.push(name);
            i = next;
            // A subscript or a field of a composite (`tags[1] = ..`, `place.x = ..`) writes the same column.
            loop {
                i = skip_space(bytes, i)?;
                match bytes.get(i) {
                    Some(b'[') => i = skip_expression(bytes, i + 1, Some(b']'))?,
                    Some(b'.') => i = ident(set, skip_space(bytes, i + 1)?)?.1,
                    _ => break,
                }
            }
        }
        i = skip_space(bytes, i)?;
        if bytes.get(i) != Some(&b'=') {
            return None;
        }
        i = skip_expression(bytes, i + 1, None)?;
        match bytes.get(i) {
            // The comma between two assignments.
            Some(b',') => i += 1,
            _ => return Some(out),
        }
    }
}

/// Whether `sql` (a condition) names one of `columns` (as PostgreSQL resolves names), outside string
/// literals and comments.
pub(crate) fn names_any(sql: &str, columns: &[String]) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' => i = skip_quoted(bytes, i, false),
            b'$' => i = skip_dollar(bytes, i),
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_line_comment(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => match skip_block_comment(bytes, i) {
                Some(end) => i = end,
                None => return false,
            },
            b'"' => match ident(sql, i) {
                Some((name, end)) => {
                    if columns.contains(&name) {
                        return true;
                    }
                    i = end;
                }
                None => return false,
            },
            _ if is_ident_start(b) => {
                let Some((name, end)) = ident(sql, i) else {
                    return false;
                };
                if columns.contains(&name) {
                    return true;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    false
}

/// Skips whitespace and comments from `i`; `None` in an unterminated block comment.
fn skip_space(bytes: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(&b), _) if is_space(b) => i += 1,
            (Some(b'-'), Some(b'-')) => i = skip_line_comment(bytes, i),
            (Some(b'/'), Some(b'*')) => i = skip_block_comment(bytes, i)?,
            _ => return Some(i),
        }
    }
}

/// An identifier at `i` and the index just past it: a quoted one as written (`""` is a quote), an unquoted
/// one folded to lower case as PostgreSQL folds it (ASCII letters only).
fn ident(text: &str, i: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    match bytes.get(i) {
        Some(b'"') => {
            let end = skip_quoted_ident(bytes, i);
            let inner = text.get(i + 1..end.checked_sub(1)?)?;
            // Unterminated, or empty (`""` is not an identifier).
            if bytes.get(end - 1) != Some(&b'"') || end - i < 3 {
                return None;
            }
            Some((inner.replace("\"\"", "\""), end))
        }
        Some(&b) if is_ident_start(b) => {
            let mut end = i + 1;
            while end < bytes.len() && is_ident_cont(bytes[end]) {
                end += 1;
            }
            Some((text.get(i..end)?.to_ascii_lowercase(), end))
        }
        _ => None,
    }
}

/// Skips an expression from `i` up to the first `,` outside brackets (returning its index), or to `close`
/// (returning the index just past it) when given, or to the end; `None` when brackets do not match or a
/// comment is not terminated.
fn skip_expression(bytes: &[u8], mut i: usize, close: Option<u8>) -> Option<usize> {
    let mut depth = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b',' if depth == 0 && close.is_none() => return Some(i),
            b']' | b')' if depth == 0 => {
                return (close == Some(b)).then_some(i + 1);
            }
            b'(' | b'[' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' => {
                depth -= 1;
                i += 1;
            }
            b'\'' => i = skip_quoted(bytes, i, false),
            b'"' => i = skip_quoted_ident(bytes, i),
            b'$' => i = skip_dollar(bytes, i),
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_line_comment(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i)?,
            _ if is_ident_start(b) => {
                let start = i;
                while i < bytes.len() && is_ident_cont(bytes[i]) {
                    i += 1;
                }
                // `E'..'`: an escape string, where a backslash escapes the quote.
                if bytes[start..i].eq_ignore_ascii_case(b"e") && bytes.get(i) == Some(&b'\'') {
                    i = skip_quoted(bytes, i, true);
                }
            }
            _ => i += 1,
        }
    }
    (close.is_none() && depth == 0).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::assigned_columns;

    #[test]
    fn reads_the_columns_each_assignment_writes() {
        let cols = |set: &str| assigned_columns(set);
        let names = |list: &[&str]| Some(list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(cols("doubled = v * 2"), names(&["doubled"]));
        assert_eq!(cols("Body = contents"), names(&["body"]));
        assert_eq!(cols(r#""Body" = contents"#), names(&["Body"]));
        assert_eq!(cols(r#""a""b" = 1"#), names(&["a\"b"]));
        assert_eq!(
            cols("location = point(lng, lat), label = 'a, b', n = f(x, ARRAY[1, 2])"),
            names(&["location", "label", "n"])
        );
        assert_eq!(
            cols("(a, \"B\") = (SELECT x, y FROM t WHERE t.id = id), c = $$,$$ -- a, b = 1\n"),
            names(&["a", "B", "c"])
        );
        assert_eq!(
            cols("tags[1] = 'x', place.x = 0"),
            names(&["tags", "place"])
        );
        assert_eq!(cols("s = E'it\\'s, here', t = 1"), names(&["s", "t"]));
        assert_eq!(cols("/* first */ a = 1"), names(&["a"]));
    }

    #[test]
    fn anything_else_is_unknown() {
        for set in [
            "",
            "= 1",
            "a",
            "a + 1",
            "(a, b)",
            "a = (1",
            "a = 1)",
            "a = 1,",
            "\"\" = 1",
            "\"a = 1",
            "a = 1 /* open",
            "1 = a",
        ] {
            assert_eq!(assigned_columns(set), None, "{set:?}");
        }
    }
}
