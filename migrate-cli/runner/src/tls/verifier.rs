//! What is checked of the server's certificate. The verify modes (and the others when a root certificate
//! file exists) use rustls's WebPKI verifier, minus the name for all but `verify-full`; where WebPKI refuses a
//! certificate that libpq accepts, the error says so. The modes that verify nothing take any certificate,
//! and still check that the server holds its key.

use std::sync::Arc;

use anyhow::Context as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use x509_cert::der::asn1::ObjectIdentifier as Oid;
use x509_cert::der::Decode;
use x509_cert::Certificate;

/// The verifier of the modes that verify nothing.
pub(super) fn unverified() -> Arc<dyn ServerCertVerifier> {
    Arc::new(Unverified)
}

/// The verifier of a chain up to `roots`, and of the certificate's name against the host when `check_name`.
pub(super) fn chain(
    roots: RootCertStore,
    check_name: bool,
    provider: &Arc<CryptoProvider>,
) -> anyhow::Result<Arc<dyn ServerCertVerifier>> {
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .context("cannot set up the verification of the server's certificate")?;
    Ok(Arc::new(Chain { webpki, check_name }))
}

#[derive(Debug)]
struct Chain {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Chain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use CertificateError::{NotValidForName, NotValidForNameContext};
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            // WebPKI matches the name last, after the chain verified.
            Err(rustls::Error::InvalidCertificate(
                NotValidForName | NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            Err(error) => Err(explained(error, end_entity)),
            Ok(verified) => Ok(verified),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `error` with the reason spelled out where WebPKI refuses what libpq accepts: a version 1 certificate, a
/// CA certificate as the server's own, or a host named in the subject's CN alone.
fn explained(error: rustls::Error, certificate: &[u8]) -> rustls::Error {
    let Ok(certificate) = Certificate::from_der(certificate) else {
        return error;
    };
    let tbs = &certificate.tbs_certificate;
    if tbs.version != x509_cert::Version::V3 {
        return rustls::Error::General(
            "the server's certificate is not a version 3 certificate: libpq accepts it, but rustls (this \
             tool's TLS library) verifies version 3 only. Have it reissued as version 3 with a subjectAltName, \
             or connect with sslmode=require and no root certificate file, which does not verify it"
                .to_owned(),
        );
    }
    if matches!(&error, rustls::Error::InvalidCertificate(CertificateError::Other(other))
        if format!("{other:?}").contains("CaUsedAsEndEntity"))
    {
        return rustls::Error::General(
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE, what `openssl req -x509` \
             makes by default and PostgreSQL's documentation shows): libpq accepts it as its own root, but rustls \
             (this tool's TLS library) takes no CA certificate for a server's. Have the server's certificate \
             signed by a root certificate, with a subjectAltName (docs/connection.md shows how), or connect with \
             sslmode=require and no root certificate file, which does not verify it"
                .to_owned(),
        );
    }
    const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
    let has_alt_name = tbs
        .extensions
        .iter()
        .flatten()
        .any(|e| e.extn_id == SUBJECT_ALT_NAME);
    let name_error = matches!(
        error,
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    );
    if name_error && !has_alt_name {
        return rustls::Error::General(
            "the server's certificate names its host in the subject's CN only: libpq accepts that, but rustls \
             (this tool's TLS library) matches subjectAltName entries only. Have it reissued with a \
             subjectAltName (DNS:<host>), or use sslmode=verify-ca, which does not match the name"
                .to_owned(),
        );
    }
    error
}

/// Accepts the server's certificate whatever it is, but still checks that the server signed the handshake
/// with the key of the certificate it presented: the session is then with whoever holds that key, which is
/// what channel binding ties the login to. The key is taken from the certificate as it is, not through
/// rustls's own check, which first verifies the certificate's form by WebPKI's rules (version 3 only, no
/// unknown critical extension, ...) and so would refuse servers that libpq's `prefer` and `require` talk to.
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
pub(super) fn handshake_signature(
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
    let certificate = Certificate::from_der(cert)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    // The BIT STRING's bytes are the key as ring reads it: an `RSAPublicKey`, a curve point, an Ed25519 key.
    let key = certificate
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    ring::UnparsedPublicKey::new(algorithm, key)
        .verify(message, signature)
        .map(|()| HandshakeSignatureValid::assertion())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadSignature))
}

/// The server certificate's hash for `tls-server-end-point` (RFC 5929): with the digest of its signature
/// algorithm, SHA-256 where that is MD5 or SHA-1; nothing for an algorithm without a single digest
/// (RSASSA-PSS, Ed25519), as the server does.
pub(super) fn server_end_point(certificate: &[u8]) -> Option<Vec<u8>> {
    let algorithm = Certificate::from_der(certificate)
        .ok()?
        .signature_algorithm
        .oid;
    Some(match end_point_digest(&algorithm)? {
        Hash::Sha224 => Sha224::digest(certificate).to_vec(),
        Hash::Sha256 => Sha256::digest(certificate).to_vec(),
        Hash::Sha384 => Sha384::digest(certificate).to_vec(),
        Hash::Sha512 => Sha512::digest(certificate).to_vec(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hash {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// The digest `tls-server-end-point` hashes a certificate with, from its signature algorithm.
pub(super) fn end_point_digest(algorithm: &Oid) -> Option<Hash> {
    Some(match algorithm.to_string().as_str() {
        // md5, sha1, sha256 WithRSAEncryption; ecdsa-with-SHA1, ecdsa-with-SHA256
        "1.2.840.113549.1.1.4"
        | "1.2.840.113549.1.1.5"
        | "1.2.840.113549.1.1.11"
        | "1.2.840.10045.4.1"
        | "1.2.840.10045.4.3.2" => Hash::Sha256,
        "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => Hash::Sha224,
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => Hash::Sha384,
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => Hash::Sha512,
        _ => return None,
    })
}
