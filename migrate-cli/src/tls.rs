//! TLS with libpq's `sslmode` semantics. The driver's own parser knows only `disable`, `prefer` and
//! `require`, so `sslmode` and `sslrootcert` are taken out of the connection string here and turn into an
//! OpenSSL connector that verifies what the mode asks for. Root certificates are read only by the modes
//! that verify: reading the system's store takes longer than the rest of a short run.

mod connector;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use openssl::ssl::{
    SslContext, SslContextBuilder, SslMethod, SslMode as OpenSslMode, SslOptions, SslVerifyMode,
};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::X509;

pub use connector::TlsConnector;

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

    /// The value libpq reads from `sslmode` / `PGSSLMODE`.
    pub fn libpq_value(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
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
        // The query is taken apart by hand, not with a URL library: libpq only percent-decodes values
        // (`+` is a plus, not a space, unlike in HTML forms), and the parameters kept must reach the driver
        // exactly as written. Host lists (`h1:5432,h2:5432`) are no valid URL authority either.
        match conn.split_once('?') {
            Some((base, query)) => {
                let mut kept = Vec::new();
                for segment in query.split('&').filter(|s| !s.is_empty()) {
                    let (k, v) = segment.split_once('=').unwrap_or((segment, ""));
                    if !take(&percent_decode(k)?, &percent_decode(v)?)? {
                        kept.push(segment);
                    }
                }
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => conn.to_owned(),
        }
    } else {
        // Split as libpq reads it, so a quoted or escaped value with spaces (a password) is one value, and
        // kept exactly as written.
        let mut kept = Vec::new();
        for param in crate::conninfo::split(conn) {
            match &param.value {
                Some(value) if take(param.key, value)? => {}
                _ => kept.push(&conn[param.span]),
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

/// `%XX` sequences decoded, as libpq decodes URI parts; anything else is kept as it is.
fn percent_decode(text: &str) -> Result<String> {
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

/// Appends the driver's `sslmode` to a connection string from [`extract`].
pub fn with_driver_mode(conn: &str, tls: &Tls) -> String {
    let mode = tls.mode.driver_value();
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        let separator = if conn.contains('?') { '&' } else { '?' };
        return format!("{conn}{separator}sslmode={mode}");
    }
    format!("{conn} sslmode={mode}")
}

/// Trusts the system's root certificates: where the distribution keeps them (found by `openssl-probe`, which
/// honours `SSL_CERT_FILE` and `SSL_CERT_DIR` first), else OpenSSL's compiled-in default. The compiled-in
/// default alone is not enough: an OpenSSL built from source (the `vendored-openssl` feature of the
/// installed `migrate`) looks under its own prefix, where no distribution puts them.
fn system_roots(builder: &mut SslContextBuilder) -> Result<(), openssl::error::ErrorStack> {
    let found = openssl_probe::probe();
    if found.cert_file.is_none() && found.cert_dir.is_empty() {
        return builder.set_default_verify_paths();
    }
    if let Some(file) = &found.cert_file {
        builder.load_verify_locations(Some(file), None)?;
    }
    for dir in &found.cert_dir {
        builder.load_verify_locations(None, Some(dir))?;
    }
    Ok(())
}

impl Tls {
    /// The connector for this mode: no TLS for `disable`; for `prefer` and `require`, an OpenSSL context that
    /// verifies nothing and so reads no root certificates; for the verify modes, one that trusts the roots of
    /// `sslrootcert` alone, else the system's store.
    pub fn connector(&self) -> Result<TlsConnector> {
        let verify = match self.mode {
            SslMode::Disable => return Ok(TlsConnector::new(None, false)),
            SslMode::Prefer | SslMode::Require => false,
            SslMode::VerifyCa | SslMode::VerifyFull => true,
        };
        let context = self.context(verify)?;
        // Without verify-full the certificate's name is not matched against the host (libpq's rule).
        Ok(TlsConnector::new(
            Some(context),
            self.mode == SslMode::VerifyFull,
        ))
    }

    fn context(&self, verify: bool) -> Result<SslContext> {
        let mut builder = client_context().context("cannot set up TLS (OpenSSL)")?;
        if !verify {
            builder.set_verify(SslVerifyMode::NONE);
            return Ok(builder.build());
        }
        builder.set_verify(SslVerifyMode::PEER);
        match &self.root_cert {
            // As libpq: with sslrootcert, only those roots are trusted, not the system's store.
            Some(root) => {
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
            None => system_roots(&mut builder)
                .context("cannot read the system's root certificates (OpenSSL)")?,
        }
        Ok(builder.build())
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

/// An OpenSSL client context as OpenSSL's own client connector sets it up, minus its root certificates.
fn client_context() -> std::result::Result<SslContextBuilder, openssl::error::ErrorStack> {
    let mut builder = SslContextBuilder::new(SslMethod::tls_client())?;
    // No compression, no SSLv2/3, no weak or anonymous ciphers, and writes that may be retried from a
    // moved buffer. The OpenSSL bug workarounds (`ALL`) but one: empty fragments stay, they defeat BEAST
    // on CBC ciphers.
    let mut options =
        SslOptions::ALL | SslOptions::NO_COMPRESSION | SslOptions::NO_SSLV2 | SslOptions::NO_SSLV3;
    options &= !SslOptions::DONT_INSERT_EMPTY_FRAGMENTS;
    builder.set_options(options);
    builder.set_mode(
        OpenSslMode::AUTO_RETRY
            | OpenSslMode::ACCEPT_MOVING_WRITE_BUFFER
            | OpenSslMode::ENABLE_PARTIAL_WRITE
            | OpenSslMode::RELEASE_BUFFERS,
    );
    builder.set_cipher_list(
        "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK",
    )?;
    Ok(builder)
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

        // Values are percent-decoded as libpq does; what is kept reaches the driver as written.
        let (rest, tls) = extract(
            "postgres://u@h1:5432,h2:5433/db?options=-c%20a%3Db&sslrootcert=/my%20root+1.crt&x=a+b",
        )
        .unwrap();
        assert_eq!(
            rest,
            "postgres://u@h1:5432,h2:5433/db?options=-c%20a%3Db&x=a+b"
        );
        assert_eq!(tls.root_cert, Some(PathBuf::from("/my root+1.crt")));
        assert!(extract("postgres://u@h/db?sslmode=%zz").is_err());

        let (rest, tls) = extract("host=h sslmode=disable dbname=d").unwrap();
        assert_eq!(rest, "host=h dbname=d");
        assert_eq!(tls.mode, SslMode::Disable);

        // A quoted or escaped value is one value, kept as written, even when it looks like a parameter.
        let (rest, tls) =
            extract("host=h password='a  sslmode=disable' user=u sslmode = require x\\ y=z")
                .unwrap();
        assert_eq!(rest, "host=h password='a  sslmode=disable' user=u x\\ y=z");
        assert_eq!(tls.mode, SslMode::Require);

        assert!(extract("postgres://u@h/db?sslmode=sometimes").is_err());
        assert!(extract("postgres://u@h/db?sslcert=/c.crt").is_err());
    }

    #[test]
    fn only_the_verify_modes_load_root_certificates() {
        let roots = |mode: SslMode, root_cert: Option<PathBuf>| {
            let connector = Tls { mode, root_cert }.connector().unwrap();
            connector
                .context()
                .map(|c| c.cert_store().all_certificates().len())
        };
        assert_eq!(
            roots(SslMode::Disable, None),
            None,
            "disable: no TLS at all"
        );
        assert_eq!(roots(SslMode::Prefer, None), Some(0));
        assert_eq!(roots(SslMode::Require, None), Some(0));
        // sslrootcert does not make require verify (a file that does not exist is not even read).
        assert_eq!(
            roots(SslMode::Require, Some("/nonexistent.crt".into())),
            Some(0)
        );

        // With sslrootcert, its roots alone.
        let dir = std::env::temp_dir().join(format!("tls-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = dir.join("root.crt");
        let (_, cert) = connector::tests::self_signed("test-root");
        std::fs::write(&pem, cert.to_pem().unwrap()).unwrap();
        assert_eq!(roots(SslMode::VerifyCa, Some(pem.clone())), Some(1));
        assert_eq!(roots(SslMode::VerifyFull, Some(pem)), Some(1));
        std::fs::remove_dir_all(&dir).unwrap();

        // Without it, the system's: the distribution's bundle, whichever OpenSSL this was built with (one
        // built from source would look under its own prefix and find none).
        let bundle = openssl_probe::probe()
            .cert_file
            .expect("a CA bundle on this machine (the ca-certificates package)");
        let in_bundle = X509::stack_from_pem(&std::fs::read(&bundle).unwrap())
            .unwrap()
            .len();
        assert!(
            in_bundle > 10,
            "{}: {in_bundle} certificates",
            bundle.display()
        );
        assert_eq!(roots(SslMode::VerifyCa, None), Some(in_bundle));
    }
}
