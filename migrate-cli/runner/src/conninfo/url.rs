//! Connection URLs (`postgres://user:password@host:port/dbname?key=value`) taken apart by hand, for the two
//! things this crate does to one itself: hide its password in what it prints (`conninfo::redact`,
//! `conninfo::scrub`), and name another database on the same server (`testing`). The driver parses the URL it
//! connects with; this only finds where the password, the database name and the query are, and changes them in
//! place, so the rest prints as the user typed it.
//!
//! A password should be percent-encoded, and often is not: it may hold `@`, `:`, `/`, `?` or `#` as typed.
//! The userinfo therefore ends at the *last* `@` before the query, not the first, and the query is only looked
//! for after that `@`; between two readings the one that hides more is taken, since a password must never be
//! printed. (A URL without userinfo whose query holds an `@` after a port, such as
//! `postgres://h:5432/db?application_name=a@b`, is then hidden from the `:` to that `@`: more than needed.)

use std::ops::Range;

/// Where the parts of a URL are, as byte ranges of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts {
    /// The password of the userinfo, as written (percent-encoded or not); `None` without one.
    password: Option<Range<usize>>,
    /// The path (`/dbname`), empty (at the end of the hosts) when the URL has none.
    path: Range<usize>,
    /// The query, without its `?`.
    query: Option<Range<usize>>,
}

/// The parts of `url`, or `None` when it is not `scheme://...` (a `key=value` connection string).
fn parts(url: &str) -> Option<Parts> {
    let scheme_end = url.find("://")?;
    let scheme = &url[..scheme_end];
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let start = scheme_end + 3;
    let rest = &url[start..];
    // The last `@` before the query that follows it: one in the query (`?application_name=me@laptop`) ends no
    // userinfo.
    let mut at: Option<usize> = None;
    for (i, _) in rest.match_indices('@') {
        if let Some(previous) = at {
            let query = rest[previous + 1..]
                .find(['?', '#'])
                .map(|q| previous + 1 + q);
            if query.is_some_and(|q| q < i) {
                break;
            }
        }
        at = Some(i);
    }
    let password = at.and_then(|at| {
        let colon = rest[..at].find(':')?;
        (colon + 1 < at).then(|| start + colon + 1..start + at)
    });
    let hosts_start = start + at.map_or(0, |at| at + 1);
    let after_hosts = &url[hosts_start..];
    let path_start = hosts_start
        + after_hosts
            .find(['/', '?', '#'])
            .unwrap_or(after_hosts.len());
    let path_end = path_start
        + url[path_start..]
            .find(['?', '#'])
            .unwrap_or(url.len() - path_start);
    let path_start = if url[path_start..].starts_with('/') {
        path_start
    } else {
        // No path: an empty one where it would start.
        path_end
    };
    let query = url[path_end..].starts_with('?').then(|| {
        let from = path_end + 1;
        from..from + url[from..].find('#').unwrap_or(url.len() - from)
    });
    Some(Parts {
        password,
        path: path_start..path_end,
        query,
    })
}

/// The `password` parameters' values in the query `range` of `url`, as written.
fn query_passwords(url: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = range.start;
    for pair in url[range.clone()].split('&') {
        if let Some((key, _)) = pair.split_once('=') {
            if decode(key).eq_ignore_ascii_case("password") {
                found.push(from + key.len() + 1..from + pair.len());
            }
        }
        from += pair.len() + 1;
    }
    found
}

/// Every place `url` holds a password: the userinfo's and the `password` query parameters', in order.
fn password_spans(url: &str) -> Option<Vec<Range<usize>>> {
    let parts = parts(url)?;
    let mut spans: Vec<Range<usize>> = parts.password.into_iter().collect();
    if let Some(query) = parts.query {
        spans.extend(query_passwords(url, query));
    }
    Some(spans)
}

/// `url` with each password (the userinfo's, and the `password` query parameter's) replaced by `***`, the
/// rest as written; `None` when `url` is not a URL.
pub(super) fn redact(url: &str) -> Option<String> {
    let spans = password_spans(url)?;
    let mut out = String::with_capacity(url.len());
    let mut copied = 0;
    for span in spans {
        out.push_str(&url[copied..span.start]);
        out.push_str("***");
        copied = span.end;
    }
    out.push_str(&url[copied..]);
    Some(out)
}

/// The passwords of `url`, each as written and percent-decoded (an error message may quote either), for
/// removing them from text. Empty when it has none or is not a URL.
pub(super) fn secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    for span in password_spans(url).unwrap_or_default() {
        let written = &url[span];
        for secret in [written.to_owned(), decode(written)] {
            if !secret.is_empty() && !secrets.contains(&secret) {
                secrets.push(secret);
            }
        }
    }
    // Longest first, so that a secret inside another does not leave the longer one's rest behind.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// `url` with its database (the path) replaced by `name`, percent-encoded where it must be; `None` when `url`
/// is not a URL.
pub(crate) fn with_database(url: &str, name: &str) -> Option<String> {
    let parts = parts(url)?;
    let mut out = String::with_capacity(url.len() + name.len());
    out.push_str(&url[..parts.path.start]);
    out.push('/');
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out.push_str(&url[parts.path.end..]);
    Some(out)
}

/// `text` with its `%XX` escapes decoded as the driver reads them; as written when it has an escape that is
/// none (the driver refuses such a URL, and a message may still quote it).
fn decode(text: &str) -> String {
    super::percent_decode(text).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(url: &str) -> String {
        redact(url).unwrap_or_else(|| panic!("{url} is a URL"))
    }

    #[test]
    fn hides_the_userinfo_password_as_typed_or_encoded() {
        assert_eq!(
            redacted("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redacted("postgresql://u:s%40cr%2Fet@h/db"),
            "postgresql://u:***@h/db"
        );
        // As typed, unencoded: `@`, `:`, `/`, `?`, `#` all belong to the password.
        for password in [
            "se@cret", "se:cret", "se/cret", "se?cret", "se#cret", "a@b:c/d",
        ] {
            let url = format!("postgres://u:{password}@h:5432/db?sslmode=require");
            assert_eq!(
                redacted(&url),
                "postgres://u:***@h:5432/db?sslmode=require",
                "{password}"
            );
            assert_eq!(secrets(&url), [password], "{password}");
        }
        // Not a port: the URL parser used to reject these; the password is hidden all the same.
        assert_eq!(
            redacted("postgres://u:secret@h:notaport/db"),
            "postgres://u:***@h:notaport/db"
        );
    }

    #[test]
    fn leaves_everything_else_as_typed() {
        for url in [
            "postgres://u@h/db",
            "postgres://h/db",
            "postgres://h",
            "postgres:///db?host=/run/postgresql",
            "postgres://u@[::1]:5432/db",
            "postgres://[2001:db8::1]/db?sslmode=verify-full&application_name=my%20app",
            "postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write",
            "postgres://u@h/db?application_name=me@laptop",
            "postgres://u:@h/db",
        ] {
            assert_eq!(redacted(url), url);
            assert!(secrets(url).is_empty(), "{url}");
        }
        assert_eq!(
            redacted("postgres://u:pw@[::1]:5432/db"),
            "postgres://u:***@[::1]:5432/db"
        );
        assert_eq!(
            redacted("postgres://u:pw@h/db?application_name=me@laptop"),
            "postgres://u:***@h/db?application_name=me@laptop"
        );
    }

    #[test]
    fn hides_the_password_query_parameter() {
        assert_eq!(
            redacted("postgres://u@h/db?password=secret&x=1"),
            "postgres://u@h/db?password=***&x=1"
        );
        assert_eq!(
            redacted("postgres://u:one@h/db?sslmode=require&PASSWORD=t%26o#frag"),
            "postgres://u:***@h/db?sslmode=require&PASSWORD=***#frag"
        );
        assert_eq!(
            secrets("postgres://u:one@h/db?sslmode=require&PASSWORD=t%26o"),
            ["t%26o", "one", "t&o"]
        );
        assert_eq!(
            redacted("postgres://h/db?passwordx=1&password"),
            "postgres://h/db?passwordx=1&password"
        );
    }

    #[test]
    fn key_value_strings_are_not_urls() {
        for conninfo in [
            "host=h password=secret user=u",
            "::: not a url :::",
            "password=a://b",
            "",
        ] {
            assert_eq!(redact(conninfo), None, "{conninfo}");
            assert_eq!(with_database(conninfo, "t"), None, "{conninfo}");
        }
    }

    #[test]
    fn replaces_the_database() {
        assert_eq!(
            with_database("postgres://u:p@h:5/admin?sslmode=require", "t").as_deref(),
            Some("postgres://u:p@h:5/t?sslmode=require")
        );
        assert_eq!(
            with_database("postgres://u:p/w@h/admin", "t").as_deref(),
            Some("postgres://u:p/w@h/t")
        );
        assert_eq!(
            with_database("postgresql://[::1]:5432", "t").as_deref(),
            Some("postgresql://[::1]:5432/t")
        );
        assert_eq!(
            with_database("postgres://h?sslmode=disable#x", "a b").as_deref(),
            Some("postgres://h/a%20b?sslmode=disable#x")
        );
        assert_eq!(
            with_database("postgres://h/", "t").as_deref(),
            Some("postgres://h/t")
        );
    }
}
