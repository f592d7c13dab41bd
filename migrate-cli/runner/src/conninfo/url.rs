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
    /// The hosts (`h1:5432,h2`), after the userinfo.
    hosts: Range<usize>,
    /// The path (`/dbname`), empty (at the end of the hosts) when the URL has none.
    path: Range<usize>,
    /// The query, without its `?`.
    query: Option<Range<usize>>,
    /// What follows a `#`, without it.
    fragment: Option<Range<usize>>,
}

/// The parts of `url`, or `None` when it is not `scheme://...` (a `key=value` connection string).
fn parts(url: &str) -> Option<Parts> {
    let scheme_end = scheme(url)?.len();
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
    let hosts = hosts_start..path_start;
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
    let query_end = path_end + url[path_end..].find('#').unwrap_or(url.len() - path_end);
    let query = url[path_end..]
        .starts_with('?')
        .then(|| path_end + 1..query_end);
    let fragment = (query_end < url.len()).then(|| query_end + 1..url.len());
    Some(Parts {
        password,
        hosts,
        path: path_start..path_end,
        query,
        fragment,
    })
}

/// The scheme of `url` (`postgres` of `postgres://...`), or `None` when it does not start with one.
pub(super) fn scheme(url: &str) -> Option<&str> {
    let scheme = &url[..url.find("://")?];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// Where a port that is no number starts in the hosts `range` of `url` (`u:pw` of `postgres://u:pw/db`, a
/// URL whose userinfo lost its `@`), or `None`.
fn bad_port(url: &str, range: Range<usize>) -> Option<usize> {
    let mut from = range.start;
    for entry in url[range.clone()].split(',') {
        // An IPv6 address in brackets has colons of its own.
        let host_end = if entry.starts_with('[') {
            entry.find(']').map_or(entry.len(), |i| i + 1)
        } else {
            entry.find(':').unwrap_or(entry.len())
        };
        if let Some(port) = entry[host_end..].strip_prefix(':') {
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return Some(from + host_end + 1);
            }
        } else if host_end < entry.len() {
            // Something after a bracketed address other than a port.
            return Some(from + host_end);
        }
        from += entry.len() + 1;
    }
    None
}

/// The query's parts to hide in the `range` of `url`: the value of every parameter not shown as it is
/// (a password, a name libpq does not know, a value that holds credentials), and whole any part without `=`.
fn query_hidden(url: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = range.start;
    for pair in url[range.clone()].split('&') {
        match pair.split_once('=') {
            Some((key, value))
                if !value.is_empty() && !super::keys::shown(&decode(key), &decode(value)) =>
            {
                found.push(from + key.len() + 1..from + pair.len());
            }
            Some(_) => {}
            None if !pair.is_empty() => found.push(from..from + pair.len()),
            None => {}
        }
        from += pair.len() + 1;
    }
    found
}

/// Every place `url` may hold a password: the userinfo's, the query's values not shown as they are, a port
/// that is no number when the userinfo has no password (and all after it: a userinfo that lost its `@`),
/// and a fragment. In order.
fn hidden_spans(url: &str) -> Option<Vec<Range<usize>>> {
    let parts = parts(url)?;
    // A port that is no number where the userinfo has no password: the password may be it (a userinfo
    // that lost its `@`). After a userinfo with a password, it is only a mistyped port.
    if let (None, Some(from)) = (&parts.password, bad_port(url, parts.hosts.clone())) {
        let rest: Range<usize> = from..url.len();
        return Some(vec![rest]);
    }
    let mut spans: Vec<Range<usize>> = parts.password.into_iter().collect();
    if let Some(query) = parts.query {
        spans.extend(query_hidden(url, query));
    }
    spans.extend(parts.fragment.filter(|f| !f.is_empty()));
    Some(spans)
}

/// `url` with everything that may be a password (see [`hidden_spans`]) replaced by `***`, the rest as
/// written; `None` when `url` is not a URL.
pub(super) fn redact(url: &str) -> Option<String> {
    let spans = hidden_spans(url)?;
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

/// What [`redact`] hides of `url`, each as written and percent-decoded (an error message may quote either),
/// for removing it from text. Empty when it hides nothing or `url` is not a URL.
pub(super) fn secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    for span in hidden_spans(url).unwrap_or_default() {
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

/// The query parameters' names of `url` as libpq reads them (percent-decoded), and whether each has a
/// `=`; `None` when `url` is not a URL.
pub(super) fn query_keys(url: &str) -> Option<Vec<(String, bool)>> {
    let parts = parts(url)?;
    let Some(query) = parts.query else {
        return Some(Vec::new());
    };
    Some(
        url[query]
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) => (decode(key), true),
                None => (String::new(), false),
            })
            .collect(),
    )
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
            redacted("postgres://u@h/db?password=secret&application_name=1"),
            "postgres://u@h/db?password=***&application_name=1"
        );
        assert_eq!(
            redacted("postgres://u:one@h/db?sslmode=require&PASSWORD=t%26o#frag"),
            "postgres://u:***@h/db?sslmode=require&PASSWORD=***#***"
        );
        assert_eq!(
            secrets("postgres://u:one@h/db?sslmode=require&PASSWORD=t%26o"),
            ["t%26o", "one", "t&o"]
        );
        // A misspelt name, a part without `=`: hidden, as either may hold the password.
        assert_eq!(
            redacted("postgres://h/db?passwordx=1&password"),
            "postgres://h/db?passwordx=***&***"
        );
    }

    /// Malformed URLs: wherever a password may have landed is hidden, with the rest as typed.
    #[test]
    fn hides_what_may_be_a_password_in_a_malformed_url() {
        for (url, shown) in [
            // The userinfo lost its `@`: the password reads as a port.
            ("postgres://u:pw-secret/db", "postgres://u:***"),
            ("postgres://u:pw,secret/db", "postgres://u:***"),
            ("postgres://[::1]x:pw-secret/db", "postgres://[::1]***"),
            // A misspelt `password` parameter, or one that lost its `=`.
            (
                "postgres://u@h/db?pasword=pw-secret",
                "postgres://u@h/db?pasword=***",
            ),
            ("postgres://u@h/db?pw-secret", "postgres://u@h/db?***"),
            // A URL in the value of a parameter, and a fragment.
            (
                "postgres://h/db?dbname=postgres://u:pw-secret@h/db",
                "postgres://h/db?dbname=postgres:***@h/db",
            ),
            ("postgres://u@h/db#pw-secret", "postgres://u@h/db#***"),
            // A mistyped scheme is still a URL.
            ("postgress://u:pw-secret@h/db", "postgress://u:***@h/db"),
        ] {
            assert_eq!(redacted(url), shown, "{url}");
            assert!(
                secrets(url).iter().any(|s| s.contains("secret")),
                "{url}: {:?}",
                secrets(url)
            );
        }
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
