//! libpq's `key=value` connection strings (`host=h dbname=d password='two words'`), taken apart as libpq and
//! the driver read them: spaces around `=` allowed, a value single-quoted or not, and in both a backslash
//! taking the next character as it is (`password=abc\ def` is one value, `abc def`). Whatever reads such a
//! string for itself (hiding the password, taking out the TLS settings) must split it the same way, or a
//! value's second half passes for a word of its own.

use std::ops::Range;

/// One parameter of a connection string, or a word that is none (no `=` after it), with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param<'a> {
    pub key: &'a str,
    /// The value, quotes and escapes resolved; `None` for a word without `=`.
    pub value: Option<String>,
    /// The whole parameter as written, key to value.
    pub span: Range<usize>,
    /// The value as written (quotes included).
    pub value_span: Option<Range<usize>>,
}

/// The parameters of `conn`, in order.
pub(crate) fn split(conn: &str) -> Vec<Param<'_>> {
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

/// `conn` (a URL or a `key=value` string) without the parameters `take` claims: `take(key, value)` is given
/// each parameter's key and value as libpq reads them (a URL's percent-decoded) and returns whether it took
/// it. What is kept reaches the driver exactly as written.
pub(crate) fn remove(
    conn: &str,
    take: &mut dyn FnMut(&str, &str) -> anyhow::Result<bool>,
) -> anyhow::Result<String> {
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        // The query is taken apart by hand, not with a URL library: libpq only percent-decodes values (`+`
        // is a plus, not a space, unlike in HTML forms), and host lists (`h1:5432,h2:5432`) are no valid
        // URL authority.
        let Some((base, query)) = conn.split_once('?') else {
            return Ok(conn.to_owned());
        };
        let mut kept = Vec::new();
        for segment in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = segment.split_once('=').unwrap_or((segment, ""));
            if !take(&percent_decode(k)?, &percent_decode(v)?)? {
                kept.push(segment);
            }
        }
        return Ok(if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        });
    }
    let mut kept = Vec::new();
    for param in split(conn) {
        match &param.value {
            Some(value) if take(param.key, value)? => {}
            _ => kept.push(&conn[param.span]),
        }
    }
    Ok(kept.join(" "))
}

/// `%XX` sequences decoded, as libpq decodes URI parts (a `+` stays a `+`); anything else is kept as it is.
/// An escape that is none, or bytes that are not UTF-8, are an error.
pub(crate) fn percent_decode(text: &str) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .with_context(|| {
                    format!(
                        "invalid percent-encoded token in the URL near {:?}",
                        &text[i..]
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("a percent-encoded URL value is not UTF-8")
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
