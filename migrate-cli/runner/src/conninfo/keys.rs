//! libpq's connection parameters by name, for the two things this crate decides by a parameter's name: which
//! values are shown when a connection string is printed (only those of parameters that hold no secret and
//! look like what they should), and which names are refused as libpq refuses them ("invalid connection
//! option"), so that a misspelt `password` is neither passed on nor printed.

/// Every parameter libpq 18 reads from a connection string (`ssl` is a URL's JDBC-style `ssl=true`), and
/// the driver's own spelling of `keepalives_count`.
const KNOWN: [&str; 47] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "keepalives_retries",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslkeylogfile",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "min_protocol_version",
    "max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "scram_client_key",
    "ssl",
];

/// Parameters whose value is a secret.
const SECRET: [&str; 3] = ["password", "sslpassword", "scram_client_key"];

/// Whether libpq knows the parameter `key`.
pub(super) fn known(key: &str) -> bool {
    KNOWN.contains(&key)
}

/// Whether the value of parameter `key` may be printed as it is: a known parameter that holds no secret,
/// with a value that does not look like a connection string or credentials of its own (`host=user:pw@h`,
/// `dbname=postgres://...`, which libpq expands). Anything else is hidden.
pub(super) fn shown(key: &str, value: &str) -> bool {
    known(key) && !SECRET.contains(&key) && !looks_like_credentials(value)
}

/// A value holding another connection string, a URL, or `user:password@` credentials.
pub(super) fn looks_like_credentials(value: &str) -> bool {
    value.contains("://")
        || value.contains('=')
        || value.rfind('@').is_some_and(|at| value[..at].contains(':'))
}

/// `key` as an error may quote it: a word of lower-case letters and underscores (every libpq parameter is
/// one) is a misspelt name; anything else might be a value typed in the wrong place, and is not quoted.
pub(super) fn quotable(key: &str) -> bool {
    !key.is_empty() && key.len() <= 40 && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// The known parameter `key` is a misspelling of, when there is one close enough (at most two letters off).
pub(super) fn closest(key: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .map(|known| (distance(key, known), *known))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, known)| known)
}

/// The edit distance of two short words.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert!(known("sslrootcert") && !known("pasword"));
        assert_eq!(closest("pasword"), Some("password"));
        assert_eq!(closest("dbnmae"), Some("dbname"));
        assert_eq!(closest("zzzzzzzz"), None);
        assert!(shown("host", "db.example") && shown("application_name", "me@laptop"));
        assert!(!shown("host", "u:pw@db.example") && !shown("dbname", "postgres://u:pw@h/db"));
        assert!(!shown("password", "x") && !shown("pasword", "x"));
        assert!(quotable("pasword") && !quotable("hunter2") && !quotable("u:pw@h/db"));
    }
}
