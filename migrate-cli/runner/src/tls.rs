//! TLS with libpq's `sslmode` semantics, done by one library (rustls) in every process that connects: the
//! installed `migrate`, a runner and an application's own connections judge a server alike. The driver's
//! own parser knows only `disable`, `prefer` and `require`, so the TLS parameters are taken out of the
//! connection string here ([`extract`]) and turn into a connector ([`Tls::connector`]) that verifies what
//! they ask for, following libpq's rules for which files count ([`files`]).
//!
//! Where WebPKI (rustls's verifier) is stricter than libpq, libpq's rules are added: a self-signed
//! certificate listed in the root file is trusted as it is, and a name in the subject's CN counts when no
//! subjectAltName of the host's kind is there; where it is looser, OpenSSL's rule is kept: only the root
//! file's self-signed certificates are trusted ([`verifier`]). What is still judged otherwise (a CA or version 1 certificate as
//! the server's, signed by another root) is refused with a message that says so and names the way out; the
//! modes that verify nothing take any certificate, as libpq does.

mod client_auth;
mod connector;
mod files;
#[cfg(test)]
mod tests;
mod verifier;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rustls::ClientConfig;

pub use connector::TlsConnector;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain connection.
    Disable,
    /// Plain first; TLS when the server refuses the plain connection (an error at start-up, such as
    /// `pg_hba.conf` having only `hostssl` lines for it).
    Allow,
    /// TLS when the server offers it, plain otherwise (libpq's default), and plain again when TLS cannot be
    /// set up (a client certificate that cannot be used), its handshake fails, or the server refuses the
    /// session over TLS (an error at start-up, such as `pg_hba.conf` having only `hostnossl` lines for it).
    Prefer,
    /// TLS. The certificate is verified only when a root certificate file exists (libpq's rule).
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
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
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
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// What the driver's own parser accepts for this mode (`allow`, which the driver does not know, as
    /// `prefer`: one attempt that connects where `allow`'s two would); verification is the connector's job,
    /// and the second attempts of `allow` and `prefer` this crate's (`connect`).
    fn driver_value(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow | SslMode::Prefer => "prefer",
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => "require",
        }
    }

    /// The driver's mode for this one ([`driver_value`](Self::driver_value)).
    pub(crate) fn driver_mode(self) -> postgres::config::SslMode {
        match self {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        }
    }

    fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// libpq's `sslnegotiation` (PostgreSQL 17): how TLS starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslNegotiation {
    /// The client asks first (`SSLRequest`) and the server answers whether it takes TLS.
    #[default]
    Postgres,
    /// The TLS handshake starts at once, one round trip less; the server must be PostgreSQL 17 or newer,
    /// and the client names the protocol with ALPN (`postgresql`), as every connection here does.
    Direct,
}

/// The TLS settings of a connection, as given (the URL, else libpq's variables); the files libpq would
/// use when one is not given are found when a connector is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub mode: SslMode,
    /// `sslnegotiation`.
    pub negotiation: SslNegotiation,
    /// `sslrootcert`: the root certificate(s) to trust, or `system` for the system's store. Without it,
    /// `~/.postgresql/root.crt` when that file exists.
    pub root_cert: Option<PathBuf>,
    /// `sslcert`: the client certificate. Without it, `~/.postgresql/postgresql.crt` when that exists.
    pub client_cert: Option<PathBuf>,
    /// `sslkey`: the client certificate's key. Without it, `~/.postgresql/postgresql.key`.
    pub client_key: Option<PathBuf>,
}

/// `sslrootcert`'s value for the system's root certificates.
const SYSTEM: &str = "system";

/// The ALPN protocol name of PostgreSQL's wire protocol.
const ALPN: &[u8] = b"postgresql";

/// Takes the TLS parameters out of `conn` (a URL or a `key=value` string), falling back to libpq's
/// variables (`PGSSLMODE`, `PGSSLNEGOTIATION`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`). Returns the
/// string for the driver and the TLS settings.
pub fn extract(conn: &str) -> Result<(String, Tls)> {
    let mut mode = None;
    let mut negotiation = None;
    let mut root_cert = None;
    let mut client_cert = None;
    let mut client_key = None;
    let mut take = |key: &str, value: &str| -> Result<bool> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(value)?),
            "sslnegotiation" => negotiation = Some(parse_negotiation(value)?),
            "sslrootcert" => root_cert = Some(PathBuf::from(value)),
            "sslcert" => client_cert = Some(PathBuf::from(value)),
            "sslkey" => client_key = Some(PathBuf::from(value)),
            "sslpassword" => bail!(
                "sslpassword (an encrypted client key) is not supported: give a decrypted key file, readable by \
                 you alone (openssl pkey -in key.enc -out postgresql.key; chmod 600 postgresql.key)"
            ),
            "sslcrl" | "sslcrldir" => bail!(
                "{key} (certificate revocation lists) is not supported: remove it, or connect with psql"
            ),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = crate::conninfo::remove(conn, &mut take)?;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let root_cert = root_cert.or_else(|| var("PGSSLROOTCERT").map(PathBuf::from));
    let system = root_cert.as_deref() == Some(std::path::Path::new(SYSTEM));
    let mode = match (mode, var("PGSSLMODE")) {
        (Some(mode), _) => mode,
        (None, Some(env)) => SslMode::parse(&env).context("in PGSSLMODE")?,
        // libpq: the system's roots are only worth trusting with the name checked too.
        (None, None) if system => SslMode::VerifyFull,
        (None, None) => SslMode::Prefer,
    };
    if system && mode != SslMode::VerifyFull {
        bail!(
            "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
            mode.libpq_value()
        );
    }
    let negotiation = match (negotiation, var("PGSSLNEGOTIATION")) {
        (Some(negotiation), _) => negotiation,
        (None, Some(env)) => parse_negotiation(&env).context("in PGSSLNEGOTIATION")?,
        (None, None) => SslNegotiation::Postgres,
    };
    // libpq's rule: a direct handshake is for a client that means to use TLS; one that may fall back to
    // plain text (or starts in it) is refused rather than left to find out from an older server.
    if negotiation == SslNegotiation::Direct
        && matches!(mode, SslMode::Disable | SslMode::Allow | SslMode::Prefer)
    {
        bail!(
            "weak sslmode \"{}\" may not be used with sslnegotiation=direct (use \"require\", \"verify-ca\", or \
             \"verify-full\")",
            mode.libpq_value()
        );
    }
    let tls = Tls {
        mode,
        negotiation,
        root_cert,
        client_cert: client_cert.or_else(|| var("PGSSLCERT").map(PathBuf::from)),
        client_key: client_key.or_else(|| var("PGSSLKEY").map(PathBuf::from)),
    };
    Ok((rest, tls))
}

fn parse_negotiation(value: &str) -> Result<SslNegotiation> {
    Ok(match value {
        "postgres" => SslNegotiation::Postgres,
        "direct" => SslNegotiation::Direct,
        other => bail!("invalid sslnegotiation value: \"{other}\" (use postgres or direct)"),
    })
}

/// Appends the driver's `sslmode` (and `sslnegotiation=direct`) to a connection string from [`extract`].
pub fn with_driver_mode(conn: &str, tls: &Tls) -> String {
    let mut params = vec![format!("sslmode={}", tls.mode.driver_value())];
    if tls.negotiation == SslNegotiation::Direct {
        params.push("sslnegotiation=direct".to_owned());
    }
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        let separator = if conn.contains('?') { '&' } else { '?' };
        return format!("{conn}{separator}{}", params.join("&"));
    }
    format!("{conn} {}", params.join(" "))
}

impl Tls {
    /// Sets what the driver does of these settings itself on `config`: how TLS starts.
    pub(crate) fn configure(&self, config: &mut postgres::Config) {
        config.ssl_negotiation(match self.negotiation {
            SslNegotiation::Postgres => postgres::config::SslNegotiation::Postgres,
            SslNegotiation::Direct => postgres::config::SslNegotiation::Direct,
        });
    }

    /// The connector for these settings: no TLS for `disable`; otherwise a rustls client that verifies the
    /// chain when the mode asks for it or a root certificate file exists (libpq's rule), the name too for
    /// `verify-full`, and presents the client certificate when there is one.
    pub fn connector(&self) -> Result<TlsConnector> {
        if self.mode == SslMode::Disable {
            return Ok(TlsConnector::disabled());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = match files::roots(self)? {
            Some(roots) => verifier::chain(roots, self.mode == SslMode::VerifyFull, &provider)?,
            None => verifier::unverified(),
        };
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("cannot set up TLS")?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match files::client_identity(self)? {
            Some(identity) => {
                builder.with_client_cert_resolver(client_auth::resolver(identity, &provider)?)
            }
            None => builder.with_no_client_auth(),
        };
        // libpq 17 names the protocol in every handshake; a PostgreSQL 17 server refuses a direct one
        // without it.
        config.alpn_protocols = vec![ALPN.to_vec()];
        Ok(TlsConnector::new(config))
    }

    /// A hint for a TLS failure, or nothing.
    pub fn hint(&self, message: &str) -> Option<String> {
        let hint = if message.contains("not valid for name") {
            "the server's certificate does not name the host you connect to; connect by the name in the certificate, or use sslmode=verify-ca"
        } else if message.contains("UnknownIssuer") || message.contains("BadSignature") {
            "the server's certificate is not signed by a trusted root; give the root certificate with sslrootcert=/path/root.crt (or PGSSLROOTCERT), or use sslmode=require without a root certificate file to encrypt without verifying"
        } else if message.contains("certificate expired") {
            "the server's certificate has expired: the server needs a new one (sslmode=require without a root certificate file encrypts without verifying it)"
        } else if message.contains("server does not support TLS") {
            "the server does not accept TLS connections; enable ssl on the server or use sslmode=prefer"
        } else {
            return None;
        };
        Some(hint.to_owned())
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn extracts_tls_settings_from_urls_and_key_value_strings() {
        let (rest, tls) =
            extract("postgres://u@h/db?sslmode=verify-full&sslrootcert=/r.crt&application_name=x&sslcert=/c.crt&sslkey=/c.key")
                .unwrap();
        assert_eq!(rest, "postgres://u@h/db?application_name=x");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/r.crt")));
        assert_eq!(tls.client_cert, Some(PathBuf::from("/c.crt")));
        assert_eq!(tls.client_key, Some(PathBuf::from("/c.key")));
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
        assert!(extract("postgres://u@h/db?sslpassword=x").is_err());
        assert!(extract("postgres://u@h/db?sslcrl=/r.crl").is_err());
    }

    /// `sslnegotiation`, as libpq 17 has it: taken out of the string, given back to the driver, and refused
    /// with a mode that may use plain text; `allow` is a mode of its own.
    #[test]
    fn direct_negotiation_needs_a_mode_that_insists_on_tls() {
        let (rest, tls) =
            extract("postgres://u@h/db?sslmode=require&sslnegotiation=direct").unwrap();
        assert_eq!(rest, "postgres://u@h/db");
        assert_eq!(tls.negotiation, SslNegotiation::Direct);
        assert_eq!(
            with_driver_mode(&rest, &tls),
            "postgres://u@h/db?sslmode=require&sslnegotiation=direct"
        );
        for mode in ["disable", "allow", "prefer"] {
            let err = extract(&format!("host=h sslmode={mode} sslnegotiation=direct")).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!(
                    "weak sslmode \"{mode}\" may not be used with sslnegotiation=direct"
                )),
                "{err}"
            );
        }
        assert!(extract("host=h sslnegotiation=sideways").is_err());
        let (_, tls) = extract("host=h sslmode=allow").unwrap();
        assert_eq!(tls.mode, SslMode::Allow);
        assert_eq!(with_driver_mode("host=h", &tls), "host=h sslmode=prefer");
    }

    /// `sslrootcert=system`, as libpq 16 has it: `verify-full` unless said otherwise, and no weaker mode.
    #[test]
    fn the_systems_roots_come_with_verify_full() {
        let (_, tls) = extract("postgres://u@h/db?sslrootcert=system").unwrap();
        if std::env::var_os("PGSSLMODE").is_none() {
            assert_eq!(tls.mode, SslMode::VerifyFull);
        }
        let err = extract("postgres://u@h/db?sslrootcert=system&sslmode=require").unwrap_err();
        assert_eq!(
            err.to_string(),
            "weak sslmode \"require\" may not be used with sslrootcert=system (use \"verify-full\")"
        );
    }
}
