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

/// What may be a password in `conn`, as written: the value of every parameter not shown as it is (a
/// password, a name libpq does not know, such as a misspelt `password`, a value holding credentials), and
/// whole every word without `=` (`user:pw@host/db`, or a password after a `password` that lost its `=`).
fn hidden(conn: &str) -> Vec<(Range<usize>, Option<String>)> {
    split(conn)
        .into_iter()
        .filter_map(|param| match (param.value, param.value_span) {
            // A name that is no plain word (`u:pw@h/db?sslmode` of `u:pw@h/db?sslmode=require`) may hold
            // the password itself.
            (Some(value), Some(_)) if !super::keys::quotable(param.key) => {
                Some((param.span, Some(value)))
            }
            (Some(value), Some(span)) => (!value.is_empty()
                && !super::keys::shown(param.key, &value))
            .then_some((span, Some(value))),
            _ => Some((param.span, None)),
        })
        .collect()
}

/// `conn` with what may be a password (see [`hidden`]) replaced by `***`, the rest as written. The string
/// is split as libpq reads it, so a password with spaces is hidden whole rather than only up to its first
/// space.
pub(super) fn redact(conn: &str) -> String {
    let mut out = String::with_capacity(conn.len());
    let mut copied = 0;
    for (span, _) in hidden(conn) {
        out.push_str(&conn[copied..span.start]);
        out.push_str("***");
        copied = span.end;
    }
    out.push_str(&conn[copied..]);
    out
}

/// What [`redact`] hides of `conn`, as written and as libpq reads it (quotes and escapes resolved).
pub(super) fn secrets(conn: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    for (span, value) in hidden(conn) {
        for secret in [Some(conn[span].to_owned()), value].into_iter().flatten() {
            if !secret.is_empty() && !secrets.contains(&secret) {
                secrets.push(secret);
            }
        }
    }
    secrets
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
