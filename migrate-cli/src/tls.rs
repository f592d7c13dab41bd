//! TLS with libpq's `sslmode` semantics. The driver's own parser knows only `disable`, `prefer` and
//! `require`, so `sslmode` and `sslrootcert` are taken out of the connection string here and turn into an
//! OpenSSL connector that verifies what the mode asks for.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::X509;
use postgres_openssl::MakeTlsConnector;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain connection.
    Disable,
    /// TLS when the server offers it, unverified; plain otherwise (libpq's default). `allow` is read as
    /// this too.
    Prefer,
    /// TLS, unverified: encrypted, but a man in the middle is not detected.
    Require,
    /// TLS, the certificate chain verified against the root certificate.
    VerifyCa,
    /// TLS, the chain verified and the certificate's name matched against the host.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => bail!(
                "invalid sslmode {other:?}: use disable, allow, prefer, require, verify-ca or verify-full"
            ),
        })
    }

    /// What the driver's own parser accepts for this mode; verification is the connector's job.
    fn driver_value(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => "require",
        }
    }
}

/// The TLS settings of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub mode: SslMode,
    /// `sslrootcert`: the only root certificate(s) trusted to verify the server; without it, the system's
    /// certificate store.
    pub root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` out of `conn` (a URL or a `key=value` string), falling back to
/// `PGSSLMODE`/`PGSSLROOTCERT`. Returns the string for the driver and the TLS settings.
pub fn extract(conn: &str) -> Result<(String, Tls)> {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: &str| -> Result<bool> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(value)?),
            "sslrootcert" => root_cert = Some(PathBuf::from(value)),
            "sslcert" | "sslkey" | "sslpassword" | "sslcrl" => {
                bail!("{key} (client certificates) is not supported; use password authentication over TLS")
            }
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        match url::Url::parse(conn) {
            Ok(mut url) => {
                let mut kept = Vec::new();
                for (k, v) in url.query_pairs() {
                    if !take(&k, &v)? {
                        kept.push((k.into_owned(), v.into_owned()));
                    }
                }
                url.set_query(None);
                if !kept.is_empty() {
                    url.query_pairs_mut().extend_pairs(kept);
                }
                url.to_string()
            }
            // Left to the driver, whose error is reported with the password removed.
            Err(_) => conn.to_owned(),
        }
    } else {
        let mut kept = Vec::new();
        for token in conn.split_whitespace() {
            match token.split_once('=') {
                Some((k, v)) if take(k, v)? => {}
                _ => kept.push(token),
            }
        }
        kept.join(" ")
    };
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mode = match (mode, var("PGSSLMODE")) {
        (Some(mode), _) => mode,
        (None, Some(env)) => SslMode::parse(&env).context("in PGSSLMODE")?,
        (None, None) => SslMode::Prefer,
    };
    let root_cert = root_cert.or_else(|| var("PGSSLROOTCERT").map(PathBuf::from));
    Ok((rest, Tls { mode, root_cert }))
}

/// Appends the driver's `sslmode` to a connection string from [`extract`].
pub fn with_driver_mode(conn: &str, tls: &Tls) -> String {
    let mode = tls.mode.driver_value();
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        if let Ok(mut url) = url::Url::parse(conn) {
            url.query_pairs_mut().append_pair("sslmode", mode);
            return url.to_string();
        }
        return conn.to_owned();
    }
    format!("{conn} sslmode={mode}")
}

impl Tls {
    /// The connector for this mode.
    pub fn connector(&self) -> Result<MakeTlsConnector> {
        let mut builder =
            SslConnector::builder(SslMethod::tls()).context("cannot set up TLS (OpenSSL)")?;
        match self.mode {
            SslMode::Disable | SslMode::Prefer | SslMode::Require => {
                builder.set_verify(SslVerifyMode::NONE);
            }
            SslMode::VerifyCa | SslMode::VerifyFull => {
                builder.set_verify(SslVerifyMode::PEER);
                if let Some(root) = &self.root_cert {
                    // As libpq: with sslrootcert, only those roots are trusted, not the system's store.
                    let read = || -> Result<X509Store> {
                        let pem = std::fs::read(root)?;
                        let mut store = X509StoreBuilder::new()?;
                        for cert in X509::stack_from_pem(&pem)? {
                            store.add_cert(cert)?;
                        }
                        Ok(store.build())
                    };
                    let store = read().with_context(|| {
                        format!("cannot read the root certificate {}", root.display())
                    })?;
                    builder.set_cert_store(store);
                }
            }
        }
        let mut connector = MakeTlsConnector::new(builder.build());
        if self.mode != SslMode::VerifyFull {
            // Without verify-full the certificate's name is not matched against the host (libpq's rule).
            connector.set_callback(|config, _| {
                config.set_verify_hostname(false);
                Ok(())
            });
        }
        Ok(connector)
    }

    /// A hint for a TLS failure, or nothing.
    pub fn hint(&self, message: &str) -> Option<String> {
        if message.contains("certificate verify failed") {
            let what = if message.contains("hostname mismatch")
                || message.contains("IP address mismatch")
            {
                "the server's certificate does not name the host you connect to; connect by the name in the certificate, or use sslmode=verify-ca"
            } else {
                "the server's certificate is not signed by a trusted root; give the root certificate with sslrootcert=/path/root.crt (or PGSSLROOTCERT), or use sslmode=require to encrypt without verifying"
            };
            return Some(what.to_owned());
        }
        if message.contains("server does not support TLS") {
            return Some(
                "the server does not accept TLS connections; enable ssl on the server or use sslmode=prefer"
                    .to_owned(),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_tls_settings_from_urls_and_key_value_strings() {
        let (rest, tls) =
            extract("postgres://u@h/db?sslmode=verify-full&sslrootcert=/r.crt&application_name=x")
                .unwrap();
        assert_eq!(rest, "postgres://u@h/db?application_name=x");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/r.crt")));
        assert_eq!(
            with_driver_mode(&rest, &tls),
            "postgres://u@h/db?application_name=x&sslmode=require"
        );

        let (rest, tls) = extract("host=h sslmode=disable dbname=d").unwrap();
        assert_eq!(rest, "host=h dbname=d");
        assert_eq!(tls.mode, SslMode::Disable);

        assert!(extract("postgres://u@h/db?sslmode=sometimes").is_err());
        assert!(extract("postgres://u@h/db?sslcert=/c.crt").is_err());
    }
}
