//! TLS sessions over rustls, for the modes that verify nothing (`prefer`, `require`). Encryption is all
//! they ask for, and rustls's client context is a few allocations where OpenSSL 3's loads its providers'
//! algorithm tables (3.4 MiB of a no-op `up`'s 11.7 MiB peak, and milliseconds of its start). The verify
//! modes stay with OpenSSL, which judges certificates as libpq does.

use std::error::Error;
use std::net::Ipv4Addr;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use tokio::io::{AsyncRead, AsyncWrite};

use super::connector::{Backend, TlsConnector};

/// The connector for `prefer` and `require`: encrypted, the certificate taken as the server presents it.
pub(super) fn unverified() -> anyhow::Result<TlsConnector> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS (rustls)")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Unverified))
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
        // rustls sends SNI for a DNS name and none for an address (libpq sends none for an address either).
        // It needs a name of one kind or the other; a host it does not take for a DNS name (non-ASCII, an
        // over-long label, ...) is given an address, so no SNI, where libpq would send the host as it is.
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
        Ok(connector.connect(self.name, stream).await?)
    }
}

/// Accepts the server's certificate whatever it is, but still checks that the server signed the handshake
/// with the key of the certificate it presented: the session is then with whoever holds that key, which is
/// what channel binding (below) ties the login to. The key is read from the certificate by hand, not by
/// rustls's own signature check, which first parses the whole certificate by WebPKI's rules (version 3
/// only, no unknown critical extension, ...) and so would refuse servers that libpq's `prefer` and
/// `require` talk to.
#[derive(Debug)]
struct Unverified;

/// The handshake signatures [`Unverified`] checks, strongest first.
const SCHEMES: [SignatureScheme; 9] = [
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA256,
];

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
        handshake_signature(message, cert, dss.scheme, dss.signature(), false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        handshake_signature(message, cert, dss.scheme, dss.signature(), true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        SCHEMES.to_vec()
    }
}

/// Whether `signature` of `message` (by `scheme`) verifies with the public key of the DER certificate `cert`.
/// TLS 1.3 allows no PKCS #1 v1.5 signature of the handshake. RSA keys from 1,024 bits, as OpenSSL's default
/// security level on most systems allows them (PKCS #1 with SHA-384 from 2,048: ring has no shorter).
fn handshake_signature(
    message: &[u8],
    cert: &[u8],
    scheme: SignatureScheme,
    signature: &[u8],
    tls13: bool,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    use ring::signature as ring;
    let algorithm: &'static dyn ring::VerificationAlgorithm = match scheme {
        SignatureScheme::ECDSA_NISTP384_SHA384 => &ring::ECDSA_P384_SHA384_ASN1,
        SignatureScheme::ECDSA_NISTP256_SHA256 => &ring::ECDSA_P256_SHA256_ASN1,
        SignatureScheme::ED25519 => &ring::ED25519,
        SignatureScheme::RSA_PSS_SHA512 => &ring::RSA_PSS_2048_8192_SHA512,
        SignatureScheme::RSA_PSS_SHA384 => &ring::RSA_PSS_2048_8192_SHA384,
        SignatureScheme::RSA_PSS_SHA256 => &ring::RSA_PSS_2048_8192_SHA256,
        SignatureScheme::RSA_PKCS1_SHA512 if !tls13 => {
            &ring::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        SignatureScheme::RSA_PKCS1_SHA384 if !tls13 => &ring::RSA_PKCS1_2048_8192_SHA384,
        SignatureScheme::RSA_PKCS1_SHA256 if !tls13 => {
            &ring::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        _ => {
            return Err(rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::NoSignatureSchemesInCommon,
            ))
        }
    };
    let key = subject_public_key(cert).ok_or(rustls::Error::InvalidCertificate(
        CertificateError::BadEncoding,
    ))?;
    ring::UnparsedPublicKey::new(algorithm, key)
        .verify(message, signature)
        .map(|()| HandshakeSignatureValid::assertion())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadSignature))
}

/// A connection's encrypted stream (the connector's `TlsStream` forwards reads and writes to it).
pub(super) type Stream<S> = tokio_rustls::client::TlsStream<S>;

/// [`server_end_point`] of an open stream.
pub(super) fn stream_end_point<S>(stream: &Stream<S>) -> Option<Vec<u8>> {
    let certificate = stream.get_ref().1.peer_certificates()?.first()?;
    server_end_point(certificate)
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
        Sha224,
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
            [14] => Hash::Sha224,
            _ => return None,
        }
    } else if let Some(rest) = oid.strip_prefix(ECDSA) {
        match rest {
            // ecdsa-with-SHA1, ecdsa-with-SHA256
            [1] | [3, 2] => Hash::Sha256,
            [3, 1] => Hash::Sha224,
            [3, 3] => Hash::Sha384,
            [3, 4] => Hash::Sha512,
            _ => return None,
        }
    } else {
        return None;
    };
    Some(match hash {
        Hash::Sha224 => Sha224::digest(certificate).to_vec(),
        Hash::Sha256 => Sha256::digest(certificate).to_vec(),
        Hash::Sha384 => Sha384::digest(certificate).to_vec(),
        Hash::Sha512 => Sha512::digest(certificate).to_vec(),
    })
}

/// The OID of a DER certificate's `signatureAlgorithm`: `Certificate ::= SEQUENCE { tbsCertificate,
/// signatureAlgorithm AlgorithmIdentifier, signature }`, `AlgorithmIdentifier ::= SEQUENCE { algorithm OID,
/// parameters }`. Only the OID is read: the certificate's own signature is not checked (nothing is, in the
/// modes that verify nothing).
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

/// The key of a DER certificate's `subjectPublicKeyInfo` as ring reads it (the BIT STRING's bytes: an
/// `RSAPublicKey`, an elliptic curve point or an Ed25519 key). `TBSCertificate ::= SEQUENCE { [0] version
/// OPTIONAL, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ... }`.
fn subject_public_key(certificate: &[u8]) -> Option<&[u8]> {
    const SEQUENCE: u8 = 0x30;
    const BIT_STRING: u8 = 0x03;
    const VERSION: u8 = 0xa0;
    let (SEQUENCE, certificate, _) = der_element(certificate)? else {
        return None;
    };
    let (SEQUENCE, mut tbs, _) = der_element(certificate)? else {
        return None;
    };
    let (tag, _, after_version) = der_element(tbs)?;
    if tag == VERSION {
        tbs = after_version;
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        tbs = der_element(tbs)?.2;
    }
    let (SEQUENCE, info, _) = der_element(tbs)? else {
        return None;
    };
    let (SEQUENCE, _, key) = der_element(info)? else {
        return None;
    };
    match der_element(key)? {
        (BIT_STRING, [0, key @ ..], _) => Some(key),
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
    use crate::tls::test_server::{
        certificate, certificate_v1, ecdsa_p256_key, rsa_key, serve_once,
    };
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::x509::X509;

    /// A handshake with the `require` connector against a one-connection server with `key` and `cert`: the
    /// stream's channel binding data.
    fn binding_with(key: PKey<Private>, cert: X509) -> Option<Vec<u8>> {
        let (served, server) = serve_once(key, cert);
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
            stream_end_point(&stream)
        });
        server.join().unwrap();
        binding
    }

    /// Whatever the certificate (self-signed, for another name than the host, by no known root, even a
    /// version 1 certificate that WebPKI refuses, with an RSA or an ECDSA key), `require` encrypts; the
    /// stream's channel binding data is the certificate's hash with its signature's digest (RFC 5929), what
    /// the server computes for SCRAM-SHA-256-PLUS.
    #[test]
    fn require_takes_any_certificate_and_binds_the_channel_to_it() {
        let rsa = rsa_key();
        let ecdsa = ecdsa_p256_key();
        for (key, cert) in [
            (
                rsa.clone(),
                certificate(&rsa, "elsewhere.example", MessageDigest::sha384()),
            ),
            (
                rsa.clone(),
                certificate_v1(&rsa, "elsewhere.example", MessageDigest::sha256()),
            ),
            (
                ecdsa.clone(),
                certificate(&ecdsa, "db.example", MessageDigest::sha256()),
            ),
        ] {
            let hashed = match cert.signature_algorithm().object().nid() {
                openssl::nid::Nid::SHA384WITHRSAENCRYPTION => MessageDigest::sha384(),
                _ => MessageDigest::sha256(),
            };
            let expected = cert.digest(hashed).unwrap().to_vec();
            assert_eq!(binding_with(key, cert), Some(expected));
        }
    }

    /// The handshake's signature is checked with the certificate's key: a signature of another message, by
    /// another key or by a scheme TLS 1.3 does not allow is refused.
    #[test]
    fn the_handshake_signature_is_checked_with_the_certificates_key() {
        let sign = |key: &PKey<Private>, pss: bool, message: &[u8]| {
            let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), key).unwrap();
            if pss {
                signer
                    .set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)
                    .unwrap();
                signer
                    .set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::DIGEST_LENGTH)
                    .unwrap();
            }
            signer.sign_oneshot_to_vec(message).unwrap()
        };
        let rsa = rsa_key();
        let ecdsa = ecdsa_p256_key();
        let rsa_cert = certificate_v1(&rsa, "db", MessageDigest::sha256())
            .to_der()
            .unwrap();
        let ecdsa_cert = certificate(&ecdsa, "db", MessageDigest::sha256())
            .to_der()
            .unwrap();
        let pss = sign(&rsa, true, b"hello");
        let pkcs1 = sign(&rsa, false, b"hello");
        let ec = sign(&ecdsa, false, b"hello");
        use SignatureScheme::{ECDSA_NISTP256_SHA256, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
        let not_a_certificate: &[u8] = b"not a certificate";
        // (certificate, scheme, signature, message, TLS 1.3, verifies)
        for (i, (cert, scheme, signature, message, tls13, verifies)) in [
            (
                &rsa_cert[..],
                RSA_PSS_SHA256,
                &pss,
                &b"hello"[..],
                true,
                true,
            ),
            (&rsa_cert[..], RSA_PSS_SHA256, &pss, b"hellO", true, false),
            (
                &rsa_cert[..],
                RSA_PKCS1_SHA256,
                &pkcs1,
                b"hello",
                false,
                true,
            ),
            (
                &rsa_cert[..],
                RSA_PKCS1_SHA256,
                &pkcs1,
                b"hello",
                true,
                false,
            ),
            (
                &ecdsa_cert[..],
                ECDSA_NISTP256_SHA256,
                &ec,
                b"hello",
                true,
                true,
            ),
            (
                &rsa_cert[..],
                ECDSA_NISTP256_SHA256,
                &ec,
                b"hello",
                true,
                false,
            ),
            (
                not_a_certificate,
                RSA_PSS_SHA256,
                &pss,
                b"hello",
                true,
                false,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let checked = handshake_signature(message, cert, scheme, signature, tls13);
            assert_eq!(
                checked.is_ok(),
                verifies,
                "case {i}: {scheme:?}, TLS 1.3 {tls13}"
            );
        }
    }

    /// The digest for each signature algorithm, RSA's and ECDSA's OIDs: MD5 and SHA-1 are hashed with
    /// SHA-256 (RFC 5929, 4.1); an algorithm with no digest of its own gives no binding.
    #[test]
    fn the_end_point_hash_follows_the_signature_algorithm() {
        let rsa = rsa_key();
        let ecdsa = ecdsa_p256_key();
        for (key, signed, hashed) in [
            (&rsa, MessageDigest::sha1(), MessageDigest::sha256()),
            (&rsa, MessageDigest::sha224(), MessageDigest::sha224()),
            (&rsa, MessageDigest::sha256(), MessageDigest::sha256()),
            (&rsa, MessageDigest::sha384(), MessageDigest::sha384()),
            (&rsa, MessageDigest::sha512(), MessageDigest::sha512()),
            (&ecdsa, MessageDigest::sha1(), MessageDigest::sha256()),
            (&ecdsa, MessageDigest::sha224(), MessageDigest::sha224()),
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
