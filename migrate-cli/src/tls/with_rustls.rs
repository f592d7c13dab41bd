//! TLS sessions over rustls, for the modes that verify nothing (`prefer`, `require`). Encryption is all
//! they ask for, and rustls's client context is a few allocations where OpenSSL 3's loads its providers'
//! algorithm tables (3.4 MiB of a no-op `up`'s 11.7 MiB peak, and milliseconds of its start). The verify
//! modes stay with OpenSSL, which judges certificates as libpq does.

use std::error::Error;
use std::io;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::Context as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256, Sha384, Sha512};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::connector::{Backend, TlsConnector};

/// The connector for `prefer` and `require`: encrypted, the certificate taken as the server presents it.
pub(super) fn unverified() -> anyhow::Result<TlsConnector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS (rustls)")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
        .with_no_client_auth();
    Ok(TlsConnector(Backend::Rustls(Connector {
        config: Arc::new(config),
    })))
}

#[derive(Clone)]
pub(super) struct Connector {
    config: Arc<ClientConfig>,
}

impl Connector {
    pub(super) fn handshake(&self, domain: &str) -> Handshake {
        // rustls sends SNI for a name and none for an address, as libpq does. It needs a name of one kind
        // or the other; a host that is neither (nothing checks it here) is given an address, so no SNI.
        let name = ServerName::try_from(domain.to_owned())
            .unwrap_or(ServerName::IpAddress(Ipv4Addr::UNSPECIFIED.into()));
        Handshake {
            config: self.config.clone(),
            name,
        }
    }
}

/// The TLS handshake of one connection.
pub struct Handshake {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl Handshake {
    pub(super) async fn connect<S>(
        self,
        stream: S,
    ) -> Result<Stream<S>, Box<dyn Error + Send + Sync>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let connector = tokio_rustls::TlsConnector::from(self.config);
        Ok(Stream(connector.connect(self.name, stream).await?))
    }
}

/// Accepts the server's certificate whatever it is, but still checks the handshake's signatures with the
/// certificate's key: the session is then with whoever holds that key, which is what channel binding
/// (below) ties the login to.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A connection's encrypted stream.
pub struct Stream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<S> {
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

impl<S> Stream<S> {
    pub(super) fn server_end_point(&self) -> Option<Vec<u8>> {
        let certificate = self.0.get_ref().1.peer_certificates()?.first()?;
        server_end_point(certificate)
    }
}

/// The server certificate's hash for `tls-server-end-point` (RFC 5929): with the digest of its signature
/// algorithm, SHA-256 where that is MD5 or SHA-1; nothing for an algorithm without a single digest
/// (RSASSA-PSS, Ed25519), as OpenSSL's backend and the server do.
fn server_end_point(certificate: &[u8]) -> Option<Vec<u8>> {
    // 1.2.840.113549.1.1.n (PKCS #1) and 1.2.840.10045.4.n (ECDSA), DER-encoded.
    const PKCS1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04];
    #[derive(Clone, Copy)]
    enum Hash {
        Sha256,
        Sha384,
        Sha512,
    }
    let oid = signature_algorithm(certificate)?;
    let hash = if let Some(rest) = oid.strip_prefix(PKCS1) {
        match rest {
            // md5, sha1, sha256 WithRSAEncryption
            [4] | [5] | [11] => Hash::Sha256,
            [12] => Hash::Sha384,
            [13] => Hash::Sha512,
            _ => return None,
        }
    } else if let Some(rest) = oid.strip_prefix(ECDSA) {
        match rest {
            // ecdsa-with-SHA1, ecdsa-with-SHA256
            [1] | [3, 2] => Hash::Sha256,
            [3, 3] => Hash::Sha384,
            [3, 4] => Hash::Sha512,
            _ => return None,
        }
    } else {
        return None;
    };
    Some(match hash {
        Hash::Sha256 => Sha256::digest(certificate).to_vec(),
        Hash::Sha384 => Sha384::digest(certificate).to_vec(),
        Hash::Sha512 => Sha512::digest(certificate).to_vec(),
    })
}

/// The OID of a DER certificate's `signatureAlgorithm`: `Certificate ::= SEQUENCE { tbsCertificate,
/// signatureAlgorithm AlgorithmIdentifier, signature }`, `AlgorithmIdentifier ::= SEQUENCE { algorithm OID,
/// parameters }`. rustls checked the certificate's signature with it already; only the OID is read here.
fn signature_algorithm(certificate: &[u8]) -> Option<&[u8]> {
    const SEQUENCE: u8 = 0x30;
    const OID: u8 = 0x06;
    let (SEQUENCE, certificate, _) = der_element(certificate)? else {
        return None;
    };
    let (SEQUENCE, _, rest) = der_element(certificate)? else {
        return None;
    };
    let (SEQUENCE, algorithm, _) = der_element(rest)? else {
        return None;
    };
    match der_element(algorithm)? {
        (OID, oid, _) => Some(oid),
        _ => None,
    }
}

/// One DER element: its tag, its contents and what follows it.
fn der_element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        // Long form: the low bits give how many bytes of length follow.
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (len, rest) = rest.split_at(n);
        (
            len.iter().fold(0, |acc, &b| acc << 8 | usize::from(b)),
            rest,
        )
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::test_server::{certificate, ecdsa_p256_key, rsa_key, serve_once};
    use openssl::hash::MessageDigest;

    /// Whatever the certificate (self-signed, for another name than the host, by no known root), `require`
    /// encrypts; the stream's channel binding data is the certificate's hash with its signature's digest
    /// (RFC 5929), what the server computes for SCRAM-SHA-256-PLUS.
    #[test]
    fn require_takes_any_certificate_and_binds_the_channel_to_it() {
        let key = rsa_key();
        let cert = certificate(&key, "elsewhere.example", MessageDigest::sha384());
        let (served, server) = serve_once(key, cert.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let binding = runtime.block_on(async {
            let socket = tokio::net::TcpStream::connect(served).await.unwrap();
            let TlsConnector(Backend::Rustls(connector)) = unverified().unwrap() else {
                panic!("prefer and require are rustls's");
            };
            let stream = connector
                .handshake("db.example")
                .connect(socket)
                .await
                .unwrap();
            stream.server_end_point()
        });
        server.join().unwrap();
        let expected = cert.digest(MessageDigest::sha384()).unwrap().to_vec();
        assert_eq!(binding, Some(expected));
    }

    /// The digest for each signature algorithm, RSA's and ECDSA's OIDs: MD5 and SHA-1 are hashed with
    /// SHA-256 (RFC 5929, 4.1); an algorithm with no digest of its own gives no binding.
    #[test]
    fn the_end_point_hash_follows_the_signature_algorithm() {
        let rsa = rsa_key();
        let ecdsa = ecdsa_p256_key();
        for (key, signed, hashed) in [
            (&rsa, MessageDigest::sha1(), MessageDigest::sha256()),
            (&rsa, MessageDigest::sha256(), MessageDigest::sha256()),
            (&rsa, MessageDigest::sha384(), MessageDigest::sha384()),
            (&rsa, MessageDigest::sha512(), MessageDigest::sha512()),
            (&ecdsa, MessageDigest::sha1(), MessageDigest::sha256()),
            (&ecdsa, MessageDigest::sha256(), MessageDigest::sha256()),
            (&ecdsa, MessageDigest::sha384(), MessageDigest::sha384()),
            (&ecdsa, MessageDigest::sha512(), MessageDigest::sha512()),
        ] {
            let cert = certificate(key, "db.example", signed);
            assert_eq!(
                server_end_point(&cert.to_der().unwrap()),
                Some(cert.digest(hashed).unwrap().to_vec()),
                "{:?}",
                cert.signature_algorithm().object()
            );
        }
        let ed25519 = openssl::pkey::PKey::generate_ed25519().unwrap();
        let cert = certificate(&ed25519, "db.example", MessageDigest::null());
        assert_eq!(server_end_point(&cert.to_der().unwrap()), None);
    }

    #[test]
    fn der_reads_long_lengths_and_refuses_short_input() {
        // A 300-byte OCTET STRING: length in two bytes (0x82 0x01 0x2c).
        let mut long = vec![0x04, 0x82, 0x01, 0x2c];
        long.extend(std::iter::repeat_n(7, 300));
        long.push(0xff);
        let (tag, contents, rest) = der_element(&long).unwrap();
        assert_eq!((tag, contents.len(), rest), (0x04, 300, &[0xff][..]));
        assert_eq!(der_element(&long[..100]), None, "cut short");
        assert_eq!(der_element(&[0x30, 0x80]), None, "indefinite length");
        assert_eq!(der_element(&[0x30]), None);
        assert_eq!(server_end_point(b"not a certificate"), None);
    }
}
