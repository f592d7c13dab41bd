//! What is checked of the server's certificate. The verify modes (and the others when a root certificate
//! file exists) use rustls's WebPKI verifier, minus the name for all but `verify-full`, and then libpq's
//! rules where they accept more: a self-signed certificate listed in the root file is trusted as it is
//! (PostgreSQL's documentation makes the server's certificate its own root), and a certificate without a
//! subjectAltName for the host names it in its CN. And where WebPKI accepts more, OpenSSL's rule: only the
//! root file's self-signed certificates are trust anchors (WebPKI would trust any certificate of the file,
//! an intermediate alone included); the others may complete a chain. Where WebPKI still refuses what libpq
//! accepts, the error says so. The modes that verify nothing take any certificate, and still check that the
//! server holds its key.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use x509_cert::der::asn1::ObjectIdentifier as Oid;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

use super::files::Roots;

/// The verifier of the modes that verify nothing.
pub(super) fn unverified() -> Arc<dyn ServerCertVerifier> {
    Arc::new(Unverified)
}

/// The verifier of a chain up to `roots`, and of the certificate's name against the host when `check_name`.
pub(super) fn chain(
    roots: Roots,
    check_name: bool,
    provider: &Arc<CryptoProvider>,
) -> anyhow::Result<Arc<dyn ServerCertVerifier>> {
    if roots.store.is_empty() {
        let file = roots
            .file
            .as_deref()
            .map(|f| f.display().to_string())
            .unwrap_or_default();
        return Ok(Arc::new(NoRoot(format!(
            "the root certificate file {file} holds no root certificate (one that is its own issuer), only \
             intermediates: libpq (OpenSSL) trusts a chain only when it ends at a root of the file, so nothing \
             verifies with it. Add the root that issued them to the file"
        ))));
    }
    let webpki =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots.store), provider.clone())
            .build()
            .context("cannot set up the verification of the server's certificate")?;
    Ok(Arc::new(Chain {
        webpki,
        listed: roots.listed,
        intermediates: roots.intermediates,
        check_name,
    }))
}

#[derive(Debug)]
struct Chain {
    webpki: Arc<WebPkiServerVerifier>,
    /// The root file's roots as they are.
    listed: Vec<CertificateDer<'static>>,
    /// The root file's other certificates: they may complete the server's chain, and are trusted by none.
    intermediates: Vec<CertificateDer<'static>>,
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
        let intermediates: Vec<CertificateDer<'_>> = intermediates
            .iter()
            .cloned()
            .chain(self.intermediates.iter().cloned())
            .collect();
        let intermediates = intermediates.as_slice();
        let error = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(error) => error,
        };
        // WebPKI matches the name last, after the chain verified. Where it refused the chain, libpq's
        // (OpenSSL's) wider rules: a certificate in the root file is trusted as it is (a CA certificate,
        // version 1), and a version 1 certificate issued by a root of the file is checked with that root
        // (what `openssl x509 -req` makes: PostgreSQL's documentation's recipe for a chain).
        let chain_verified = matches!(
            error,
            rustls::Error::InvalidCertificate(NotValidForName | NotValidForNameContext { .. })
        );
        let certificate = Certificate::from_der(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if !chain_verified {
            let trusted = self.is_listed(end_entity) || self.issued_version_1(&certificate, now)?;
            if !trusted {
                let issuers: Vec<&[u8]> = self
                    .listed
                    .iter()
                    .map(|c| c.as_ref())
                    .chain(intermediates.iter().map(|c| c.as_ref()))
                    .collect();
                return Err(explained(error, &certificate, &issuers));
            }
            within_dates(&certificate, now)?;
        }
        if self.check_name && !names_host(&certificate, server_name) {
            return Err(rustls::Error::InvalidCertificate(NotValidForNameContext {
                expected: server_name.to_owned(),
                presented: presented_names(&certificate),
            }));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki
            .verify_tls12_signature(message, cert, dss)
            .or_else(|error| self.key_as_it_is(error, message, cert, dss, false))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki
            .verify_tls13_signature(message, cert, dss)
            .or_else(|error| self.key_as_it_is(error, message, cert, dss, true))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

impl Chain {
    fn is_listed(&self, certificate: &CertificateDer<'_>) -> bool {
        self.listed
            .iter()
            .any(|c| c.as_ref() == certificate.as_ref())
    }

    /// The handshake signature checked with the key of the certificate as it is, for the certificates
    /// WebPKI does not read but `verify_server_cert` trusted (one listed in the root file, a version 1
    /// certificate); `error` for any other.
    fn key_as_it_is(
        &self,
        error: rustls::Error,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let version_1 = Certificate::from_der(cert)
            .is_ok_and(|c| c.tbs_certificate.version != x509_cert::Version::V3);
        if !self.is_listed(cert) && !version_1 {
            return Err(error);
        }
        handshake_signature(message, cert, dss.scheme, dss.signature(), tls13)
    }

    /// Whether `certificate` is a version 1 certificate issued by a certificate of the root file: its
    /// signature verifies with that root's key, and the root is within its dates. One that names such a
    /// root as its issuer but does not verify is refused.
    fn issued_version_1(
        &self,
        certificate: &Certificate,
        now: UnixTime,
    ) -> Result<bool, rustls::Error> {
        use x509_cert::der::Encode;
        if certificate.tbs_certificate.version == x509_cert::Version::V3 {
            return Ok(false);
        }
        let issuer = &certificate.tbs_certificate.issuer;
        let roots: Vec<Certificate> = self
            .listed
            .iter()
            .filter_map(|root| Certificate::from_der(root).ok())
            .filter(|root| root.tbs_certificate.subject == *issuer)
            .collect();
        if roots.is_empty() {
            return Ok(false);
        }
        let bad_encoding = || rustls::Error::InvalidCertificate(CertificateError::BadEncoding);
        let signed = certificate
            .tbs_certificate
            .to_der()
            .map_err(|_| bad_encoding())?;
        let signature = certificate.signature.as_bytes().ok_or_else(bad_encoding)?;
        for root in &roots {
            if signature_verifies(
                &certificate.signature_algorithm.oid,
                root,
                &signed,
                signature,
            ) {
                within_dates(root, now)?;
                return Ok(true);
            }
        }
        Err(rustls::Error::InvalidCertificate(
            CertificateError::BadSignature,
        ))
    }
}

/// Whether `signature` (by `algorithm`, a certificate's signature algorithm) of `signed` verifies with the
/// key of `root`. The algorithms OpenSSL's default security level takes for a certificate: RSA with SHA-2,
/// ECDSA with SHA-256 or SHA-384, Ed25519.
fn signature_verifies(
    algorithm: &Oid,
    root: &Certificate,
    signed: &[u8],
    signature: &[u8],
) -> bool {
    use ring::signature as ring;
    let candidates: &[&'static dyn ring::VerificationAlgorithm] = match algorithm
        .to_string()
        .as_str()
    {
        "1.2.840.113549.1.1.11" => &[&ring::RSA_PKCS1_2048_8192_SHA256],
        "1.2.840.113549.1.1.12" => &[&ring::RSA_PKCS1_2048_8192_SHA384],
        "1.2.840.113549.1.1.13" => &[&ring::RSA_PKCS1_2048_8192_SHA512],
        "1.2.840.10045.4.3.2" => &[&ring::ECDSA_P256_SHA256_ASN1, &ring::ECDSA_P384_SHA256_ASN1],
        "1.2.840.10045.4.3.3" => &[&ring::ECDSA_P384_SHA384_ASN1, &ring::ECDSA_P256_SHA384_ASN1],
        "1.3.101.112" => &[&ring::ED25519],
        _ => &[],
    };
    let key = root
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    candidates.iter().any(|algorithm| {
        ring::UnparsedPublicKey::new(*algorithm, key)
            .verify(signed, signature)
            .is_ok()
    })
}

/// Refuses a certificate used before or after its validity dates.
fn within_dates(certificate: &Certificate, now: UnixTime) -> Result<(), rustls::Error> {
    let validity = &certificate.tbs_certificate.validity;
    let not_before = UnixTime::since_unix_epoch(validity.not_before.to_unix_duration());
    let not_after = UnixTime::since_unix_epoch(validity.not_after.to_unix_duration());
    if now.as_secs() < not_before.as_secs() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYetContext {
                time: now,
                not_before,
            },
        ));
    }
    if now.as_secs() > not_after.as_secs() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::ExpiredContext {
                time: now,
                not_after,
            },
        ));
    }
    Ok(())
}

/// The subjectAltName entries of `certificate` (none when it has no such extension).
fn alt_names(certificate: &Certificate) -> Vec<GeneralName> {
    const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
    certificate
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == SUBJECT_ALT_NAME)
        .filter_map(|e| SubjectAltName::from_der(e.extn_value.as_bytes()).ok())
        .flat_map(|names| names.0)
        .collect()
}

/// The subject's common names, as text.
fn common_names(certificate: &Certificate) -> Vec<String> {
    const COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3");
    certificate
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|attribute| attribute.oid == COMMON_NAME)
        .filter_map(|attribute| String::from_utf8(attribute.value.value().to_vec()).ok())
        .collect()
}

/// libpq's name check: the host against the subjectAltName entries of its kind (DNS names for a name, IP
/// addresses for an address; a DNS entry also matches an address written as text), and against the CN
/// only when the certificate has no entry of the host's kind.
fn names_host(certificate: &Certificate, host: &ServerName<'_>) -> bool {
    let alt_names = alt_names(certificate);
    let (text, address) = match host {
        ServerName::DnsName(name) => (name.as_ref().to_owned(), None),
        ServerName::IpAddress(ip) => {
            let ip = IpAddr::from(*ip);
            (ip.to_string(), Some(ip))
        }
        _ => return false,
    };
    let mut has_dns = false;
    let mut has_address = false;
    for name in &alt_names {
        match name {
            GeneralName::DnsName(dns) => {
                has_dns = true;
                if name_matches(dns.as_str(), &text) {
                    return true;
                }
            }
            GeneralName::IpAddress(bytes) => {
                has_address = true;
                if address.is_some_and(|ip| ip_bytes(ip) == bytes.as_bytes()) {
                    return true;
                }
            }
            _ => {}
        }
    }
    let cn_applies = match address {
        None => !has_dns,
        Some(_) => !has_address,
    };
    cn_applies
        && common_names(certificate)
            .iter()
            .any(|cn| name_matches(cn, &text))
}

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// A certificate's name against the host, case-insensitively; `*.` at the start stands for exactly one
/// non-empty leftmost label (libpq's wildcard rule).
fn name_matches(pattern: &str, host: &str) -> bool {
    if pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    let Some(suffix) = pattern.strip_prefix('*') else {
        return false;
    };
    if !suffix.starts_with('.') || suffix.len() < 2 || host.len() <= suffix.len() {
        return false;
    }
    let (label, rest) = host.split_at(host.len() - suffix.len());
    rest.eq_ignore_ascii_case(suffix) && !label.contains('.')
}

/// The names a certificate presents, for the error that says none matched.
fn presented_names(certificate: &Certificate) -> Vec<String> {
    let mut names: Vec<String> = alt_names(certificate)
        .iter()
        .filter_map(|name| match name {
            GeneralName::DnsName(dns) => Some(dns.as_str().to_owned()),
            GeneralName::IpAddress(bytes) => match bytes.as_bytes().len() {
                4 => <[u8; 4]>::try_from(bytes.as_bytes())
                    .ok()
                    .map(|b| IpAddr::from(b).to_string()),
                16 => <[u8; 16]>::try_from(bytes.as_bytes())
                    .ok()
                    .map(|b| IpAddr::from(b).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if names.is_empty() {
        names = common_names(certificate)
            .into_iter()
            .map(|cn| format!("CN={cn}"))
            .collect();
    }
    names
}

/// `error` with the reason spelled out where WebPKI refuses what libpq accepts: a version 1 certificate
/// in a chain or a CA certificate as the server's own, issued by one of `issuers` (DER certificates: the
/// root file's and the server's intermediates). WebPKI refuses those forms before it looks for the issuer,
/// so one that none of them issued is refused as libpq would refuse it: for its unknown issuer.
fn explained(error: rustls::Error, certificate: &Certificate, issuers: &[&[u8]]) -> rustls::Error {
    let version_1 = certificate.tbs_certificate.version != x509_cert::Version::V3;
    let ca = matches!(&error, rustls::Error::InvalidCertificate(CertificateError::Other(other))
        if format!("{other:?}").contains("CaUsedAsEndEntity"));
    if !version_1 && !ca {
        return error;
    }
    let issuer = &certificate.tbs_certificate.issuer;
    let known_issuer = issuers
        .iter()
        .any(|der| Certificate::from_der(der).is_ok_and(|c| c.tbs_certificate.subject == *issuer));
    if !known_issuer {
        return rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
    }
    rustls::Error::General(if version_1 {
        "the server's certificate is a version 1 certificate issued by an intermediate certificate: libpq \
         accepts it, but rustls (this tool's TLS library) verifies a version 1 certificate issued by a root of \
         the root file only. Have it reissued as version 3 with a subjectAltName, give the certificate itself \
         as the root (sslrootcert), or connect with sslmode=require and no root certificate file, which does \
         not verify it"
            .to_owned()
    } else {
        "the server's certificate is a CA certificate (basicConstraints CA:TRUE) signed by a root: libpq \
         accepts it, but rustls (this tool's TLS library) takes no CA certificate for a server's in a chain. \
         Have the server's certificate issued with CA:FALSE (docs/connection.md shows how), give the \
         certificate itself as the root (sslrootcert), or connect with sslmode=require and no root \
         certificate file, which does not verify it"
            .to_owned()
    })
}

/// Refuses every server: the root file holds no root, so no chain can end at one (libpq's verdict too).
/// The handshake signature is still checked, so the refusal is about the certificate, not the key.
#[derive(Debug)]
struct NoRoot(String);

impl ServerCertVerifier for NoRoot {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Err(rustls::Error::General(self.0.clone()))
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
