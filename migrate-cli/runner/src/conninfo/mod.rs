//! Connection strings, the one place that reads them: a URL (`postgres://user:password@host:port/db?key=value`)
//! or libpq's `key=value` form, as libpq reads each. The driver parses the string it connects with; what this
//! crate does to one itself goes through here: hiding the password in what it prints ([`redact`],
//! [`scrub`]), taking out the parameters the driver does not know (the TLS ones: [`remove`]), and naming
//! another database on the same server ([`with_database`]). One percent-decoder ([`percent_decode`]) serves
//! them all.

mod key_value;
mod url;

/// Hides the password in a URL (`postgres://user:***@host/db`, and a `password` query parameter's value) or
/// a `key=value` connection string; the rest stays as written.
pub fn redact(conn: &str) -> String {
    url::redact(conn).unwrap_or_else(|| key_value::redact(conn))
}

/// `message` with the passwords of `conn` replaced by `***`, in case a driver error ever quotes the
/// connection string.
pub(crate) fn scrub(message: &str, conn: &str) -> String {
    url::secrets(conn)
        .iter()
        .fold(message.to_owned(), |message, secret| {
            message.replace(secret.as_str(), "***")
        })
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

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://u@h/db?password=secret&x=1"),
            "postgres://u@h/db?password=***&x=1"
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
            "host=h password = *** x"
        );
        assert_eq!(redact("::: not a url :::"), "::: not a url :::");
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
