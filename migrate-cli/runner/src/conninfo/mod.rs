//! Connection strings, the one place that reads them: a URL (`postgres://user:password@host:port/db?key=value`)
//! or libpq's `key=value` form, as libpq reads each. The driver parses the string it connects with; what this
//! crate does to one itself goes through here: hiding the password in what it prints ([`redact`],
//! [`scrub`]), refusing a string of neither form or with a parameter libpq does not know, with an error that
//! shows no password whatever the string's shape ([`check`], [`invalid`]: every error about a connection
//! string is made there), taking out the parameters the driver does not know (the TLS ones: [`remove`]), and
//! naming another database on the same server ([`with_database`]). One percent-decoder ([`percent_decode`])
//! serves them all.
//!
//! A password is hidden wherever one may be, not only where a well-formed string keeps it: the value of any
//! parameter that is not known to hold no secret (a misspelt `pasword=`), a word without `=`
//! (`user:pw@host/db`, a URL that lost its scheme), a port that is no number (`postgres://u:pw/db`, a
//! userinfo that lost its `@`). What is printed then hides more than needed, never less.

mod key_value;
mod keys;
mod url;

use std::fmt::Display;

/// Hides what may be a password in a URL (`postgres://user:***@host/db`, a `password` query parameter's
/// value, ...) or a `key=value` connection string (see the module's documentation); the rest stays as
/// written.
pub fn redact(conn: &str) -> String {
    url::redact(conn).unwrap_or_else(|| key_value::redact(conn))
}

/// `message` with what [`redact`] hides of `conn` replaced by `***`, in case an error quotes the connection
/// string or a part of it.
pub(crate) fn scrub(message: &str, conn: &str) -> String {
    secrets(conn)
        .iter()
        .fold(message.to_owned(), |message, secret| {
            message.replace(secret.as_str(), "***")
        })
}

/// What [`redact`] hides of `conn`, as written and as read, longest first.
pub(crate) fn secrets(conn: &str) -> Vec<String> {
    let mut secrets = if url::scheme(conn).is_some() {
        url::secrets(conn)
    } else {
        key_value::secrets(conn)
    };
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// The error about the connection string `conn`: `invalid database URL <conn, redacted>: <why, scrubbed>`.
/// Every error that quotes a connection string is made here, so none shows a password.
pub(crate) fn invalid(conn: &str, why: &dyn Display) -> anyhow::Error {
    anyhow::anyhow!(
        "invalid database URL {}: {}",
        redact(conn),
        scrub(&why.to_string(), conn)
    )
}

/// [`invalid`] for a reason of [`check`]'s, which quotes nothing of the string and is not scrubbed (a
/// word hidden in the string may be a short one that the reason's own words hold).
fn refused(conn: &str, why: &str) -> anyhow::Error {
    anyhow::anyhow!("invalid database URL {}: {why}", redact(conn))
}

/// [`check`], its refusal made by [`refused`].
pub(crate) fn checked(conn: &str) -> anyhow::Result<()> {
    check(conn).map_err(|why| refused(conn, &why))
}

/// One value read out of a connection string (a host, a database name) as it may be shown: hidden when it
/// holds credentials or a connection string (`user:pw@host`), which libpq would never take for one, with
/// what follows the last `@` kept so that two such values stay apart.
pub(crate) fn shown_value(value: &str) -> String {
    if !keys::looks_like_credentials(value) {
        return value.to_owned();
    }
    match value.rfind('@') {
        Some(at) if !value[at + 1..].contains([':', '=', '/']) => format!("***{}", &value[at..]),
        _ => "***".to_owned(),
    }
}

/// Refuses what libpq would refuse before connecting, in words that quote nothing of a value: a URL whose
/// scheme is not `postgres://` or `postgresql://`, a string that is neither a URL nor `key=value` settings
/// (a word without `=`), and a parameter libpq does not know (a misspelt name, quoted when it is a plain
/// word, with the name it is closest to).
fn check(conn: &str) -> Result<(), String> {
    if let Some(scheme) = url::scheme(conn) {
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(format!(
                "its scheme is {scheme}://, not PostgreSQL's: a URL starts with postgres:// or postgresql://"
            ));
        }
        for (key, has_value) in url::query_keys(conn).unwrap_or_default() {
            if !has_value {
                return Err(
                    "a query parameter without \"=\" (not shown: it may be a password)".to_owned(),
                );
            }
            if !keys::known(&key) {
                return Err(unknown(&key, "URI query parameter"));
            }
        }
        return Ok(());
    }
    let params = key_value::split(conn);
    if params.iter().any(|p| p.value.is_none()) {
        let starts_like_a_url = ["postgres:", "postgresql:"]
            .iter()
            .any(|s| conn.trim_start().starts_with(s));
        let how = if starts_like_a_url {
            "a URL starts with postgres:// or postgresql:// (two slashes)"
        } else if params.iter().all(|p| p.value.is_none()) {
            "a URL starts with postgres:// or postgresql://, and key=value settings are written host=... dbname=..."
        } else {
            "key=value settings are written key=value, separated by spaces"
        };
        return Err(format!(
            "it is neither a URL nor key=value settings: it has a word without \"=\" (not shown: it may hold a \
             password); {how}"
        ));
    }
    for param in &params {
        if !keys::known(param.key) {
            return Err(unknown(param.key, "connection option"));
        }
    }
    Ok(())
}

/// libpq's error for an unknown parameter `key`, which is quoted only when it is a plain word.
fn unknown(key: &str, what: &str) -> String {
    if !keys::quotable(key) {
        return format!("an invalid {what} (its name is not shown: it may be a password)");
    }
    match keys::closest(key) {
        Some(known) => format!("invalid {what} \"{key}\" (did you mean \"{known}\"?)"),
        None => format!("invalid {what} \"{key}\""),
    }
}

pub(crate) use url::with_database;

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
    for param in key_value::split(conn) {
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
            // The error quotes no more than the escape: the text may be a password.
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .context("invalid percent-encoded token in the URL (a % not followed by two hexadecimal digits)")?;
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

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://u@h/db?password=secret&connect_timeout=1"),
            "postgres://u@h/db?password=***&connect_timeout=1"
        );
        assert_eq!(
            redact("host=h password=secret user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(
            redact("host=h password='two words \\' secret' user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(
            redact("host=h password = 'a b' x"),
            "host=h password = *** ***"
        );
        // Words without `=`: any may be a password.
        assert_eq!(redact("::: not a url :::"), "*** *** *** *** ***");
        // An escaped space belongs to the value, as libpq reads it.
        assert_eq!(
            redact("host=h password=abc\\ secret user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(redact("postgres://u:se@cret@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://u:secret@h:notaport/db"),
            "postgres://u:***@h:notaport/db"
        );
        assert_eq!(
            scrub("bad secret here", "postgres://u:secret@h:x/db"),
            "bad *** here"
        );
    }

    /// Every shape a connection string with a password may take by mistake: the password is hidden in what
    /// is printed, and the check's error quotes none of it.
    #[test]
    fn no_shape_shows_the_password() {
        const PW: &str = "pw-Secret9";
        for conn in [
            format!("user:{PW}@host/db"),
            format!("u:{PW}@h:5432/db?sslmode=require"),
            format!("postgres:/u:{PW}@h/db"),
            format!("postgres:u:{PW}@h/db"),
            format!("postgresql:/u:{PW}@h/db"),
            format!("postgress://u:{PW}@h/db"),
            format!("http://u:{PW}@h/db"),
            format!("postgres://u:{PW}/db"),
            format!("postgres://u:{PW}@h/db?pasword={PW}"),
            format!("postgres://u@h/db?{PW}"),
            format!("postgres://u@h/db?password={PW}&x=1"),
            format!("host=h pasword={PW}"),
            format!("host=h password {PW}"),
            format!("host=h passwd='{PW} x'"),
            format!("host=h dbname=postgres://u:{PW}@h/db"),
            format!("host=u:{PW}@h dbname=d"),
            format!("host=h password={PW} port=notaport"),
            PW.to_owned(),
            format!("host=h {PW}=x"),
        ] {
            assert!(!redact(&conn).contains(PW), "{conn} -> {}", redact(&conn));
            if let Err(error) = checked(&conn) {
                let error = format!("{error:#}");
                assert!(!error.contains(PW), "{conn}: {error}");
            }
            assert!(
                !scrub(&format!("the driver said {conn:?}"), &conn).contains(PW),
                "{conn}"
            );
        }
        assert!(check(&format!("host=h pasword={PW}"))
            .unwrap_err()
            .contains("invalid connection option \"pasword\" (did you mean \"password\"?)"));
        assert!(check("postgres:/u:x@h/db")
            .unwrap_err()
            .contains("two slashes"));
        assert!(check("mysql://u@h/db")
            .unwrap_err()
            .contains("its scheme is mysql://"));
        assert!(check("postgres://u@h/db?sslmode=require&application_name=a%20b").is_ok());
        assert!(check("host=h port=5432 dbname=d password='a b'").is_ok());
    }

    #[test]
    fn removes_the_parameters_taken_and_keeps_the_rest_as_written() {
        let mut take = |key: &str, value: &str| -> anyhow::Result<bool> {
            Ok(key == "sslmode" || (key == "x" && value == "a b"))
        };
        assert_eq!(
            remove("postgres://u@h/db?sslmode=require&x=a%20b&y=c+d", &mut take).unwrap(),
            "postgres://u@h/db?y=c+d"
        );
        assert_eq!(
            remove("host=h sslmode=require x='a b' y=z", &mut take).unwrap(),
            "host=h y=z"
        );
        assert!(remove("postgres://u@h/db?x=%zz", &mut take).is_err());
    }
}
