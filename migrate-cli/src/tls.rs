//! TLS with libpq's `sslmode` semantics. The driver's own parser knows only `disable`, `prefer` and
//! `require`, so `sslmode` and `sslrootcert` are taken out of the connection string here and turn into a
//! connector that verifies what the mode asks for. Root certificates are read only by the modes that
//! verify: reading the system's store takes longer than the rest of a short run.
//!
//! OpenSSL verifies, as libpq does, so `verify-ca` and `verify-full` accept and refuse the certificates
//! libpq would (a name in the subject's CN alone, say, which rustls's WebPKI rules refuse). The modes that
//! verify nothing (`prefer`, libpq's default, and `require`) only need encryption: with the `rustls`
//! feature (on in the installed `migrate`) rustls does those, whose client context costs a fraction of
//! OpenSSL 3's in start-up time and memory (see BENCHMARKS.md). A runner a package builds leaves the feature
//! out and links only the system's OpenSSL, so that its first build compiles no TLS stack.

mod connector;
mod with_openssl;
#[cfg(feature = "rustls")]
mod with_rustls;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

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

/// What a connector checks of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verify {
    /// Nothing (`prefer`, `require`): encrypted, no root certificates read. (With the `rustls` feature
    /// rustls does these, and OpenSSL's unverified context is built by its tests alone.)
    #[cfg_attr(feature = "rustls", allow(dead_code))]
    Nothing,
    /// The chain, up to a trusted root (`verify-ca`).
    Chain,
    /// The chain and the certificate's name against the host (`verify-full`).
    ChainAndName,
}

impl Tls {
    /// The connector for this mode: no TLS for `disable`; for `prefer` and `require`, one that verifies
    /// nothing and so reads no root certificates; for the verify modes, one that trusts the roots of
    /// `sslrootcert` alone, else the system's store.
    pub fn connector(&self) -> Result<TlsConnector> {
        let verify = match self.mode {
            SslMode::Disable => return Ok(TlsConnector(connector::Backend::Disabled)),
            #[cfg(feature = "rustls")]
            SslMode::Prefer | SslMode::Require => return with_rustls::unverified(),
            #[cfg(not(feature = "rustls"))]
            SslMode::Prefer | SslMode::Require => Verify::Nothing,
            SslMode::VerifyCa => Verify::Chain,
            SslMode::VerifyFull => Verify::ChainAndName,
        };
        with_openssl::connector(verify, self.root_cert.as_deref())
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

/// Certificates and a one-connection TLS server for the backends' tests (OpenSSL makes them either way).
#[cfg(test)]
pub(crate) mod test_server {
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::ssl::{SslAcceptor, SslMethod};
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::X509;

    pub(crate) fn rsa_key() -> PKey<Private> {
        PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap()
    }

    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    pub(crate) fn ecdsa_p256_key() -> PKey<Private> {
        let group =
            openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap()
    }

    /// A self-signed certificate for `name` (subject CN and DNS name), signed by `key` with `digest`.
    pub(crate) fn certificate(key: &PKey<Private>, name: &str, digest: MessageDigest) -> X509 {
        built(key, name, digest, true)
    }

    /// A version 1 certificate (no extensions) for `name` in its subject CN, as `openssl x509 -req` without
    /// an extensions file made them: WebPKI refuses such certificates, libpq's `require` does not.
    #[cfg_attr(not(feature = "rustls"), allow(dead_code))]
    pub(crate) fn certificate_v1(key: &PKey<Private>, name: &str, digest: MessageDigest) -> X509 {
        built(key, name, digest, false)
    }

    fn built(key: &PKey<Private>, name: &str, digest: MessageDigest, v3: bool) -> X509 {
        let mut subject = openssl::x509::X509NameBuilder::new().unwrap();
        subject.append_entry_by_text("CN", name).unwrap();
        let subject = subject.build();
        let mut cert = X509::builder().unwrap();
        cert.set_version(if v3 { 2 } else { 0 }).unwrap();
        cert.set_subject_name(&subject).unwrap();
        cert.set_issuer_name(&subject).unwrap();
        cert.set_pubkey(key).unwrap();
        let day = |n| openssl::asn1::Asn1Time::days_from_now(n).unwrap();
        cert.set_not_before(&day(0)).unwrap();
        cert.set_not_after(&day(1)).unwrap();
        if v3 {
            let san = SubjectAlternativeName::new()
                .dns(name)
                .build(&cert.x509v3_context(None, None))
                .unwrap();
            cert.append_extension(san).unwrap();
        }
        cert.sign(key, digest).unwrap();
        cert.build()
    }

    /// A server on 127.0.0.1 that completes one TLS handshake with `key` and `cert`, then holds the session
    /// until the client has read the handshake through.
    pub(crate) fn serve_once(
        key: PKey<Private>,
        cert: X509,
    ) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        acceptor.set_private_key(&key).unwrap();
        acceptor.set_certificate(&cert).unwrap();
        let acceptor = acceptor.build();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            // A client that gave up (a verify test) ends the handshake with an error: that is its result.
            if let Ok(mut stream) = acceptor.accept(socket) {
                let _ = std::io::Read::read(&mut stream, &mut [0; 1]);
            }
        });
        (addr, server)
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

    /// Which library does each mode: rustls encrypts the unverified modes when the feature is on, OpenSSL
    /// verifies (and does everything without the feature).
    #[test]
    fn each_mode_gets_its_backend() {
        let backend = |mode| {
            let connector = Tls {
                mode,
                root_cert: None,
            }
            .connector()
            .unwrap();
            format!("{connector:?}")
        };
        let unverified = if cfg!(feature = "rustls") {
            "rustls"
        } else {
            "openssl"
        };
        assert!(backend(SslMode::Disable).contains("\"none\""));
        assert!(backend(SslMode::Prefer).contains(unverified));
        assert!(backend(SslMode::Require).contains(unverified));
        assert!(backend(SslMode::VerifyCa).contains("openssl"));
        assert!(backend(SslMode::VerifyFull).contains("openssl"));
    }
}
