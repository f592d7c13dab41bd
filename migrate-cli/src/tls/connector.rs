//! The driver's TLS hook (`postgres::tls`) over OpenSSL, built from a plain `SslContext`. OpenSSL's own
//! `SslConnector` always reads the system's root certificates, which costs more than the rest of a short
//! run together, and only the verify modes need them: so the context is set up here, with the roots read
//! only when the mode verifies.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::ssl::{Ssl, SslContext, SslRef};
use openssl::x509::verify::X509CheckFlags;
use openssl::x509::X509VerifyResult;
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};
use tokio::io::{AsyncRead, AsyncWrite, BufReader, ReadBuf};
use tokio_openssl::SslStream;

/// Makes the TLS session of each connection, for the blocking `postgres` client as for `tokio-postgres`
/// and pools built on it. Cloning shares the OpenSSL context.
#[derive(Clone)]
pub struct TlsConnector {
    /// `None` for `sslmode=disable`: the driver then never asks for TLS.
    context: Option<SslContext>,
    /// Match the certificate's name against the host (`verify-full`).
    verify_hostname: bool,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("tls", &self.context.is_some())
            .field("verify_hostname", &self.verify_hostname)
            .finish()
    }
}

impl TlsConnector {
    pub(crate) fn new(context: Option<SslContext>, verify_hostname: bool) -> TlsConnector {
        TlsConnector {
            context,
            verify_hostname,
        }
    }

    /// The OpenSSL context, `None` without TLS.
    #[cfg(test)]
    pub(crate) fn context(&self) -> Option<&SslContext> {
        self.context.as_ref()
    }
}

impl<S> MakeTlsConnect<S> for TlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send + Sync + 'static,
{
    type Stream = TlsStream<S>;
    type TlsConnect = Handshake;
    type Error = ErrorStack;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Handshake, ErrorStack> {
        // The driver asks for this before it knows whether TLS is wanted, also with sslmode=disable.
        let Some(context) = &self.context else {
            return Ok(Handshake { ssl: None });
        };
        let mut ssl = Ssl::new(context)?;
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
        Ok(Handshake { ssl: Some(ssl) })
    }
}

/// The TLS handshake of one connection.
pub struct Handshake {
    ssl: Option<Ssl>,
}

impl<S> TlsConnect<S> for Handshake
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = TlsStream<S>;
    type Error = Box<dyn Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<TlsStream<S>, Self::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let ssl = self.ssl.ok_or("TLS is disabled (sslmode=disable)")?;
            // OpenSSL reads a record header and then its body: buffered, that is one read, not two.
            let mut stream = SslStream::new(ssl, BufReader::with_capacity(8192, stream))?;
            match Pin::new(&mut stream).connect().await {
                Ok(()) => Ok(TlsStream(stream)),
                Err(error) => Err(Box::new(HandshakeError {
                    verify_result: stream.ssl().verify_result(),
                    error,
                }) as _),
            }
        })
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

/// A connection's encrypted stream.
pub struct TlsStream<S>(SslStream<BufReader<S>>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> postgres::tls::TlsStream for TlsStream<S> {
    /// SCRAM-SHA-256-PLUS binds the login to this TLS session through the hash of the server's
    /// certificate (`tls-server-end-point`), so a man in the middle cannot relay the password exchange.
    fn channel_binding(&self) -> ChannelBinding {
        match server_end_point(self.0.ssl()) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
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
pub(crate) mod tests {
    use super::*;
    use crate::tls::{SslMode, Tls};
    use openssl::pkey::{PKey, Private};
    use openssl::ssl::{SslAcceptor, SslMethod};
    use openssl::x509::X509;

    /// A self-signed certificate for `cn` and its key.
    pub(crate) fn self_signed(cn: &str) -> (PKey<Private>, X509) {
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let mut name = openssl::x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        let mut cert = X509::builder().unwrap();
        cert.set_version(2).unwrap();
        cert.set_subject_name(&name).unwrap();
        cert.set_issuer_name(&name).unwrap();
        cert.set_pubkey(&key).unwrap();
        let day = |n| openssl::asn1::Asn1Time::days_from_now(n).unwrap();
        cert.set_not_before(&day(0)).unwrap();
        cert.set_not_after(&day(1)).unwrap();
        cert.sign(&key, MessageDigest::sha384()).unwrap();
        (key, cert.build())
    }

    /// A handshake with the `require` connector against a server whose certificate is signed with
    /// SHA-384: the channel binding data is that certificate's SHA-384 hash (RFC 5929), what the server
    /// computes for SCRAM-SHA-256-PLUS.
    #[test]
    fn the_channel_binding_is_the_server_certificates_hash() {
        let (key, cert) = self_signed("db.example");
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        acceptor.set_private_key(&key).unwrap();
        acceptor.set_certificate(&cert).unwrap();
        let acceptor = acceptor.build();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let mut stream = acceptor.accept(socket).unwrap();
            // Hold the session until the client has read the handshake through.
            let _ = std::io::Read::read(&mut stream, &mut [0; 1]);
        });

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let binding = runtime.block_on(async {
            let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
            let tls = Tls {
                mode: SslMode::Require,
                root_cert: None,
            };
            let mut connector = tls.connector().unwrap();
            let handshake = MakeTlsConnect::<tokio::net::TcpStream>::make_tls_connect(
                &mut connector,
                "db.example",
            )
            .unwrap();
            let stream = handshake.connect(socket).await.unwrap();
            server_end_point(stream.0.ssl())
        });
        server.join().unwrap();
        let expected = cert.digest(MessageDigest::sha384()).unwrap().to_vec();
        assert_eq!(binding, Some(expected));
    }
}
