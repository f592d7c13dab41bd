//! libpq's `key=value` connection strings (`host=h dbname=d password='two words'`), taken apart as libpq and
//! the driver read them: spaces around `=` allowed, a value single-quoted or not, and in both a backslash
//! taking the next character as it is (`password=abc\ def` is one value, `abc def`). Whatever reads such a
//! string for itself (hiding the password, taking out the TLS settings) must split it the same way, or a
//! value's second half passes for a word of its own.

use std::ops::Range;

/// One parameter of a connection string, or a word that is none (no `=` after it), with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Param<'a> {
    pub key: &'a str,
    /// The value, quotes and escapes resolved; `None` for a word without `=`.
    pub value: Option<String>,
    /// The whole parameter as written, key to value.
    pub span: Range<usize>,
    /// The value as written (quotes included).
    pub value_span: Option<Range<usize>>,
}

/// The parameters of `conn`, in order.
pub(super) fn split(conn: &str) -> Vec<Param<'_>> {
    let bytes = conn.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let is_space = |b: u8| b.is_ascii_whitespace();
    let skip_spaces = |mut i: usize| {
        while at(i).is_some_and(is_space) {
            i += 1;
        }
        i
    };
    let mut params = Vec::new();
    let mut i = skip_spaces(0);
    while i < bytes.len() {
        let start = i;
        while at(i).is_some_and(|b| b != b'=' && !is_space(b)) {
            i += 1;
        }
        let key = &conn[start..i];
        let after_key = skip_spaces(i);
        if at(after_key) != Some(b'=') {
            params.push(Param {
                key,
                value: None,
                span: start..i,
                value_span: None,
            });
            i = skip_spaces(i);
            continue;
        }
        let value_start = skip_spaces(after_key + 1);
        let mut value = Vec::new();
        i = value_start;
        let quoted = at(i) == Some(b'\'');
        if quoted {
            i += 1;
        }
        while let Some(b) = at(i) {
            if quoted && b == b'\'' {
                i += 1;
                break;
            }
            if !quoted && is_space(b) {
                break;
            }
            if b == b'\\' && i + 1 < bytes.len() {
                i += 1;
            }
            value.push(bytes[i]);
            i += 1;
        }
        params.push(Param {
            key,
            value: Some(String::from_utf8_lossy(&value).into_owned()),
            span: start..i,
            value_span: Some(value_start..i),
        });
        i = skip_spaces(i);
    }
    params
}

/// `conn` with the password's value replaced by `***`, the rest as written. The string is split as libpq
/// reads it, so a password with spaces is hidden whole rather than only up to its first space.
pub(super) fn redact(conn: &str) -> String {
    let mut out = String::with_capacity(conn.len());
    let mut copied = 0;
    for param in split(conn) {
        if let (true, Some(value)) = (param.key.eq_ignore_ascii_case("password"), param.value_span)
        {
            out.push_str(&conn[copied..value.start]);
            out.push_str("***");
            copied = value.end;
        }
    }
    out.push_str(&conn[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(conn: &str) -> Vec<(&str, Option<String>)> {
        split(conn).into_iter().map(|p| (p.key, p.value)).collect()
    }

    #[test]
    fn splits_as_libpq_reads() {
        assert_eq!(
            pairs("host=h  password=abc\\ def user = u"),
            [
                ("host", Some("h".to_owned())),
                ("password", Some("abc def".to_owned())),
                ("user", Some("u".to_owned())),
            ]
        );
        assert_eq!(
            pairs("password='a  sslmode=disable \\' b' x"),
            [
                ("password", Some("a  sslmode=disable ' b".to_owned())),
                ("x", None),
            ]
        );
        let conn = "dbname=d password='x y'";
        let password = &split(conn)[1];
        assert_eq!(&conn[password.span.clone()], "password='x y'");
        assert_eq!(&conn[password.value_span.clone().unwrap()], "'x y'");
        assert_eq!(
            pairs("::: not a url :::"),
            [
                (":::", None),
                ("not", None),
                ("a", None),
                ("url", None),
                (":::", None)
            ]
        );
        // A multi-byte character after a backslash stays whole.
        assert_eq!(pairs("password=\\é"), [("password", Some("é".to_owned()))]);
    }
}
