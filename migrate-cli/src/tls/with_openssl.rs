//! TLS sessions over OpenSSL, from a plain `SslContext`. OpenSSL's own `SslConnector` always reads the
//! system's root certificates, which costs more than the rest of a short run together, and only the verify
//! modes need them: so the context is set up here, with the roots read only when the mode verifies.

use std::error::Error;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::pin::Pin;

use anyhow::Context as _;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslRef, SslVerifyMode,
};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509CheckFlags;
use openssl::x509::{X509VerifyResult, X509};
use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio_openssl::SslStream;

use super::connector::{Backend, TlsConnector};
use super::Verify;

/// The connector for a mode that uses TLS: `root_cert` (`sslrootcert`) is read only when `verify` asks
/// for a chain, and then it alone is trusted, not the system's store (libpq's rule).
pub(super) fn connector(verify: Verify, root_cert: Option<&Path>) -> anyhow::Result<TlsConnector> {
    let mut builder = client_context().context("cannot set up TLS (OpenSSL)")?;
    if verify == Verify::Nothing {
        builder.set_verify(SslVerifyMode::NONE);
        return Ok(TlsConnector(Backend::OpenSsl(Connector {
            context: builder.build(),
            verify_hostname: false,
        })));
    }
    builder.set_verify(SslVerifyMode::PEER);
    match root_cert {
        Some(root) => {
            let read = || -> anyhow::Result<X509Store> {
                let pem = std::fs::read(root)?;
                let mut store = X509StoreBuilder::new()?;
                for cert in X509::stack_from_pem(&pem)? {
                    store.add_cert(cert)?;
                }
                Ok(store.build())
            };
            let store = read()
                .with_context(|| format!("cannot read the root certificate {}", root.display()))?;
            builder.set_cert_store(store);
        }
        None => system_roots(&mut builder)
            .context("cannot read the system's root certificates (OpenSSL)")?,
    }
    Ok(TlsConnector(Backend::OpenSsl(Connector {
        context: builder.build(),
        verify_hostname: verify == Verify::ChainAndName,
    })))
}

/// Trusts the system's root certificates: where the distribution keeps them (found by `openssl-probe`, which
/// honours `SSL_CERT_FILE` and `SSL_CERT_DIR` first), else OpenSSL's compiled-in default. The compiled-in
/// default alone is not enough: an OpenSSL built from source (the `vendored-openssl` feature) looks under
/// its own prefix, where no distribution puts them.
fn system_roots(builder: &mut SslContextBuilder) -> Result<(), ErrorStack> {
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

/// An OpenSSL client context as OpenSSL's own client connector sets it up, minus its root certificates.
fn client_context() -> Result<SslContextBuilder, ErrorStack> {
    let mut builder = SslContextBuilder::new(SslMethod::tls_client())?;
    // No compression, no SSLv2/3, no weak or anonymous ciphers, and writes that may be retried from a
    // moved buffer. The OpenSSL bug workarounds (`ALL`) but one: empty fragments stay, they defeat BEAST
    // on CBC ciphers.
    let mut options =
        SslOptions::ALL | SslOptions::NO_COMPRESSION | SslOptions::NO_SSLV2 | SslOptions::NO_SSLV3;
    options &= !SslOptions::DONT_INSERT_EMPTY_FRAGMENTS;
    builder.set_options(options);
    builder.set_mode(
        SslMode::AUTO_RETRY
            | SslMode::ACCEPT_MOVING_WRITE_BUFFER
            | SslMode::ENABLE_PARTIAL_WRITE
            | SslMode::RELEASE_BUFFERS,
    );
    builder.set_cipher_list(
        "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK",
    )?;
    Ok(builder)
}

/// An OpenSSL context and whether the certificate's name is matched against the host (`verify-full`).
#[derive(Clone)]
pub(super) struct Connector {
    context: SslContext,
    verify_hostname: bool,
}

impl Connector {
    pub(super) fn handshake(&self, domain: &str) -> Result<Handshake, ErrorStack> {
        let mut ssl = Ssl::new(&self.context)?;
        let ip = domain.parse::<IpAddr>().ok();
        // SNI as libpq sends it: names only, never addresses.
        if ip.is_none() && !domain.is_empty() {
            ssl.set_hostname(domain)?;
        }
        if self.verify_hostname {
            let param = ssl.param_mut();
            param.set_hostflags(X509CheckFlags::NO_PARTIAL_WILDCARDS);
            match ip {
                Some(ip) => param.set_ip(ip)?,
                None => param.set_host(domain)?,
            }
        }
        Ok(Handshake { ssl })
    }

    /// The OpenSSL context.
    #[cfg(test)]
    pub(crate) fn context(&self) -> &SslContext {
        &self.context
    }
}

/// The TLS handshake of one connection.
pub struct Handshake {
    ssl: Ssl,
}

impl Handshake {
    pub(super) async fn connect<S>(
        self,
        stream: S,
    ) -> Result<Stream<S>, Box<dyn Error + Send + Sync>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        // OpenSSL reads a record header and then its body: buffered, that is one read, not two.
        let mut stream = SslStream::new(self.ssl, BufReader::with_capacity(8192, stream))?;
        match Pin::new(&mut stream).connect().await {
            Ok(()) => Ok(stream),
            Err(error) => Err(Box::new(HandshakeError {
                verify_result: stream.ssl().verify_result(),
                error,
            })),
        }
    }
}

/// A failed handshake, with the reason verification failed (the hints in `tls.rs` read it).
#[derive(Debug)]
struct HandshakeError {
    error: openssl::ssl::Error,
    verify_result: X509VerifyResult,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if self.verify_result != X509VerifyResult::OK {
            write!(f, ": {}", self.verify_result)?;
        }
        Ok(())
    }
}

impl Error for HandshakeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}

/// A connection's encrypted stream (the connector's `TlsStream` forwards reads and writes to it).
pub(super) type Stream<S> = SslStream<BufReader<S>>;

/// [`server_end_point`] of an open stream.
pub(super) fn stream_end_point<S>(stream: &Stream<S>) -> Option<Vec<u8>> {
    server_end_point(stream.ssl())
}

/// The server certificate's hash for `tls-server-end-point` (RFC 5929): with the digest of its signature
/// algorithm, SHA-256 where that is MD5 or SHA-1; nothing for an algorithm without a single digest.
fn server_end_point(ssl: &SslRef) -> Option<Vec<u8>> {
    let certificate = ssl.peer_certificate()?;
    let algorithm = certificate.signature_algorithm().object().nid();
    let digest = match algorithm.signature_algorithms()?.digest {
        Nid::MD5 | Nid::SHA1 => MessageDigest::sha256(),
        other => MessageDigest::from_nid(other)?,
    };
    Some(certificate.digest(digest).ok()?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::test_server::{certificate, rsa_key, serve_once};

    fn openssl(verify: Verify, root_cert: Option<&Path>) -> Connector {
        match connector(verify, root_cert).unwrap().0 {
            Backend::OpenSsl(c) => c,
            _ => panic!("not OpenSSL"),
        }
    }

    /// A handshake with the unverified connector against a server whose certificate is signed with
    /// SHA-384: the channel binding data is that certificate's SHA-384 hash (RFC 5929), what the server
    /// computes for SCRAM-SHA-256-PLUS.
    #[test]
    fn the_channel_binding_is_the_server_certificates_hash() {
        let key = rsa_key();
        let cert = certificate(&key, "db.example", MessageDigest::sha384());
        let (served, server) = serve_once(key, cert.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let binding = runtime.block_on(async {
            let socket = tokio::net::TcpStream::connect(served).await.unwrap();
            let handshake = openssl(Verify::Nothing, None)
                .handshake("db.example")
                .unwrap();
            stream_end_point(&handshake.connect(socket).await.unwrap())
        });
        server.join().unwrap();
        let expected = cert.digest(MessageDigest::sha384()).unwrap().to_vec();
        assert_eq!(binding, Some(expected));
    }

    #[test]
    fn only_the_verify_modes_load_root_certificates() {
        let roots = |verify: Verify, root_cert: Option<&Path>| {
            openssl(verify, root_cert)
                .context()
                .cert_store()
                .all_certificates()
                .len()
        };
        assert_eq!(roots(Verify::Nothing, None), 0);
        // sslrootcert does not make require verify (a file that does not exist is not even read).
        assert_eq!(
            roots(Verify::Nothing, Some(Path::new("/nonexistent.crt"))),
            0
        );

        // With sslrootcert, its roots alone.
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("root.crt");
        let cert = certificate(&rsa_key(), "test-root", MessageDigest::sha256());
        std::fs::write(&pem, cert.to_pem().unwrap()).unwrap();
        assert_eq!(roots(Verify::Chain, Some(&pem)), 1);
        assert_eq!(roots(Verify::ChainAndName, Some(&pem)), 1);

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
        assert_eq!(roots(Verify::Chain, None), in_bundle);
    }
}
