//! The connector against one-connection TLS servers on 127.0.0.1, with certificates made here: what each
//! mode accepts, the handshake signature, the channel binding hash. (The libpq comparison, against real
//! servers and psql, is an integration test.)

use std::path::PathBuf;
use std::sync::Arc;

use postgres::tls::{MakeTlsConnect, TlsConnect};
use rcgen::{CertificateParams, IsCa, Issuer, KeyPair, SignatureAlgorithm};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::SignatureScheme;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::verifier::{handshake_signature, server_end_point};
use super::{SslMode, Tls, TlsConnector};

/// A 2,048-bit RSA key (PKCS #8) and a version 1 certificate for `elsewhere.example` signed with it (what
/// `openssl x509 -req -signkey` makes): rcgen makes neither.
const RSA_KEY: &str = include_str!("testdata/rsa.key");
const V1_CERT: &str = include_str!("testdata/v1.crt");
/// A root certificate and a version 1 certificate it issued (`openssl x509 -req`) for `signed.example`,
/// with the key of `rsa.key`.
const V1_ROOT: &str = include_str!("testdata/v1-root.crt");
const V1_SIGNED: &str = include_str!("testdata/v1-signed.crt");

fn rsa_key() -> KeyPair {
    KeyPair::from_pem_and_sign_algo(RSA_KEY, &rcgen::PKCS_RSA_SHA256).unwrap()
}

fn v1_cert() -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(V1_CERT.as_bytes()).unwrap()
}

fn pkcs8(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// A certificate for `names` (subjectAltName DNS entries) signed by `issuer`, or self-signed.
fn certificate(
    names: &[&str],
    key: &KeyPair,
    issuer: Option<&Issuer<'_, KeyPair>>,
) -> CertificateDer<'static> {
    let params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    match issuer {
        Some(issuer) => params.signed_by(key, issuer).unwrap().der().clone(),
        None => params.self_signed(key).unwrap().der().clone(),
    }
}

fn new_key(algorithm: &'static SignatureAlgorithm) -> KeyPair {
    KeyPair::generate_for(algorithm).unwrap()
}

/// A certificate authority: its certificate and what signs with it.
fn authority() -> (CertificateDer<'static>, Issuer<'static, KeyPair>) {
    let key = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test root");
    let cert = params.self_signed(&key).unwrap().der().clone();
    (cert, Issuer::new(params, key))
}

/// A server on 127.0.0.1 that completes one TLS handshake with `cert` and `key`, then holds the session
/// until the client has read the handshake through.
fn serve_once(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // The certificate as it is (`with_single_cert` would refuse a version 1 certificate).
    let signing_key = provider.key_provider.load_private_key(key).unwrap();
    let certified = rustls::sign::CertifiedKey::new(vec![cert], signing_key);
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut session = rustls::ServerConnection::new(config).unwrap();
        // A client that gave up (a verify test) ends the handshake with an error: that is its result.
        while session.is_handshaking() {
            if session.complete_io(&mut socket).is_err() {
                return;
            }
        }
        let _ = std::io::Read::read(
            &mut rustls::Stream::new(&mut session, &mut socket),
            &mut [0; 1],
        );
    });
    (addr, server)
}

/// A handshake of `tls`'s connector with `host` against a one-connection server with `cert` and `key`: the
/// stream's channel binding data, or the error.
fn handshake(
    tls: &Tls,
    host: &str,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<Option<Vec<u8>>, String> {
    let (served, server) = serve_once(cert, key);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let result = runtime.block_on(async {
        let socket = tokio::net::TcpStream::connect(served).await.unwrap();
        let mut connector: TlsConnector = tls.connector().map_err(|e| format!("{e:#}"))?;
        let handshake =
            MakeTlsConnect::<tokio::net::TcpStream>::make_tls_connect(&mut connector, host)
                .map_err(|e| e.to_string())?;
        let stream = handshake.connect(socket).await.map_err(|e| e.to_string())?;
        let certificate = stream.0.get_ref().1.peer_certificates().unwrap()[0].clone();
        Ok(server_end_point(&certificate))
    });
    drop(runtime);
    server.join().unwrap();
    result
}

fn tls(mode: SslMode, root_cert: Option<PathBuf>) -> Tls {
    Tls {
        mode,
        negotiation: super::SslNegotiation::Postgres,
        // A root certificate file that does not exist: ~/.postgresql/root.crt is not looked for.
        root_cert: root_cert.or(Some(PathBuf::from("/nonexistent/root.crt"))),
        client_cert: Some(PathBuf::from("/nonexistent/postgresql.crt")),
        client_key: None,
    }
}

/// A server's certificate and key, and the hash its channel binding data must be.
type Served = (
    CertificateDer<'static>,
    PrivateKeyDer<'static>,
    fn(&[u8]) -> Vec<u8>,
);

/// (certificate, scheme, signature, message, TLS 1.3, verifies)
type SignatureCase<'a> = (&'a [u8], SignatureScheme, &'a [u8], &'a [u8], bool, bool);

/// Whatever the certificate (self-signed, for another name than the host, by no known root, even a version
/// 1 certificate that WebPKI refuses, with an RSA or an ECDSA key), `require` encrypts; the stream's channel
/// binding data is the certificate's hash with its signature's digest (RFC 5929), what the server computes
/// for SCRAM-SHA-256-PLUS.
#[test]
fn require_takes_any_certificate_and_binds_the_channel_to_it() {
    let p256 = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let p384 = new_key(&rcgen::PKCS_ECDSA_P384_SHA384);
    let rsa512 = KeyPair::from_pem_and_sign_algo(RSA_KEY, &rcgen::PKCS_RSA_SHA512).unwrap();
    let cases: [Served; 4] = [
        (
            certificate(&["elsewhere.example"], &p256, None),
            pkcs8(&p256),
            |c| Sha256::digest(c).to_vec(),
        ),
        (
            certificate(&["elsewhere.example"], &p384, None),
            pkcs8(&p384),
            |c| Sha384::digest(c).to_vec(),
        ),
        (
            certificate(&["elsewhere.example"], &rsa512, None),
            pkcs8(&rsa512),
            |c| Sha512::digest(c).to_vec(),
        ),
        (v1_cert(), pkcs8(&rsa_key()), |c| Sha256::digest(c).to_vec()),
    ];
    for (i, (cert, key, hash)) in cases.into_iter().enumerate() {
        let expected = hash(&cert);
        for mode in [SslMode::Prefer, SslMode::Require] {
            let binding = handshake(
                &tls(mode, None),
                "db.example",
                cert.clone(),
                key.clone_key(),
            );
            assert_eq!(binding, Ok(Some(expected.clone())), "case {i}, {mode:?}");
        }
    }
    let ed25519 = new_key(&rcgen::PKCS_ED25519);
    let cert = certificate(&["db.example"], &ed25519, None);
    assert_eq!(
        server_end_point(&cert),
        None,
        "Ed25519 has no digest of its own"
    );
}

/// The verify modes: the chain up to the root given, the name for `verify-full` alone; a root file makes
/// `require` verify the chain (libpq's rule). Where WebPKI refuses what libpq accepts, the message says so.
#[test]
fn the_verify_modes_check_the_chain_and_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let (root, issuer) = authority();
    let root_file = dir.path().join("root.crt");
    std::fs::write(&root_file, pem(&root)).unwrap();
    let key = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let signed = certificate(&["db.example"], &key, Some(&issuer));
    let other = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let self_signed = certificate(&["db.example"], &other, None);
    let with_root = |mode| tls(mode, Some(root_file.clone()));
    let ok = |mode, host: &str, cert: &CertificateDer<'static>, key: &KeyPair| {
        handshake(&with_root(mode), host, cert.clone(), pkcs8(key))
    };

    for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
        assert!(ok(mode, "db.example", &signed, &key).is_ok(), "{mode:?}");
        let err = ok(mode, "db.example", &self_signed, &other).unwrap_err();
        assert!(err.contains("UnknownIssuer"), "{mode:?}: {err}");
    }
    assert!(ok(SslMode::VerifyCa, "elsewhere.example", &signed, &key).is_ok());
    let err = ok(SslMode::VerifyFull, "elsewhere.example", &signed, &key).unwrap_err();
    assert!(err.contains("not valid for name"), "{err}");

    // A name in the subject's CN alone, with no subjectAltName: libpq matches the CN, and so does the tool.
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "db.example");
    let cn_only = params.signed_by(&key, &issuer).unwrap().der().clone();
    assert!(ok(SslMode::VerifyFull, "db.example", &cn_only, &key).is_ok());
    assert!(ok(SslMode::VerifyFull, "DB.Example", &cn_only, &key).is_ok());
    let err = ok(SslMode::VerifyFull, "elsewhere.example", &cn_only, &key).unwrap_err();
    assert!(err.contains("not valid for name"), "{err}");
    assert!(ok(SslMode::VerifyCa, "elsewhere.example", &cn_only, &key).is_ok());
    // With a subjectAltName, the CN is not looked at (libpq's rule).
    let mut params = CertificateParams::new(vec!["alt.example".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "db.example");
    let both = params.signed_by(&key, &issuer).unwrap().der().clone();
    assert!(ok(SslMode::VerifyFull, "alt.example", &both, &key).is_ok());
    let err = ok(SslMode::VerifyFull, "db.example", &both, &key).unwrap_err();
    assert!(err.contains("not valid for name"), "{err}");

    // A CA certificate signed by the root as the server's own: libpq takes it, WebPKI does not, and the
    // error says so and what to do.
    let mut params = CertificateParams::new(vec!["db.example".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_leaf = params.signed_by(&key, &issuer).unwrap().der().clone();
    let err = ok(SslMode::VerifyCa, "db.example", &ca_leaf, &key).unwrap_err();
    assert!(err.contains("libpq accepts it"), "{err}");
    assert!(err.contains("CA:FALSE"), "{err}");

    // A certificate given as its own root is trusted as it is, as OpenSSL trusts it: PostgreSQL's
    // documentation's self-signed CA certificate with its name in the CN, a version 1 certificate.
    let docs_key = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "db.example");
    let docs = params.self_signed(&docs_key).unwrap().der().clone();
    let docs_file = dir.path().join("docs.crt");
    std::fs::write(&docs_file, pem(&docs)).unwrap();
    let own_root =
        |mode, host: &str, cert: CertificateDer<'static>, key: PrivateKeyDer<'static>| {
            handshake(&tls(mode, Some(docs_file.clone())), host, cert, key)
        };
    for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
        own_root(mode, "db.example", docs.clone(), pkcs8(&docs_key)).expect("its own root");
    }
    let err = own_root(
        SslMode::VerifyFull,
        "elsewhere.example",
        docs.clone(),
        pkcs8(&docs_key),
    )
    .unwrap_err();
    assert!(err.contains("not valid for name"), "{err}");
    // ...within its dates.
    let mut params = CertificateParams::new(vec!["db.example".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let expired = params.self_signed(&docs_key).unwrap().der().clone();
    std::fs::write(&docs_file, pem(&expired)).unwrap();
    let err = own_root(SslMode::VerifyCa, "db.example", expired, pkcs8(&docs_key)).unwrap_err();
    assert!(err.contains("expired"), "{err}");

    let v1_file = dir.path().join("v1.crt");
    std::fs::write(&v1_file, V1_CERT).unwrap();
    let v1 = |mode, host: &str| {
        handshake(
            &tls(mode, Some(v1_file.clone())),
            host,
            v1_cert(),
            pkcs8(&rsa_key()),
        )
    };
    v1(SslMode::VerifyCa, "db.example").expect("a version 1 certificate as its own root");
    v1(SslMode::VerifyFull, "elsewhere.example").expect("named in its CN");
    // Issued by a root of the file (`openssl x509 -req` makes version 1: PostgreSQL's documentation's
    // recipe for a chain), it is checked with that root's key; by another root, its issuer is unknown.
    let v1_root = dir.path().join("v1-root.crt");
    std::fs::write(&v1_root, V1_ROOT).unwrap();
    let signed_v1 = || CertificateDer::from_pem_slice(V1_SIGNED.as_bytes()).unwrap();
    let by = |root: &PathBuf, mode, host: &str| {
        handshake(
            &tls(mode, Some(root.clone())),
            host,
            signed_v1(),
            pkcs8(&rsa_key()),
        )
    };
    by(&v1_root, SslMode::VerifyFull, "signed.example").expect("issued by the root");
    let err = by(&v1_root, SslMode::VerifyFull, "elsewhere.example").unwrap_err();
    assert!(err.contains("not valid for name"), "{err}");
    let err = by(&root_file, SslMode::VerifyCa, "signed.example").unwrap_err();
    assert!(err.contains("UnknownIssuer"), "{err}");
    // A root with the issuer's name but another key: the signature does not verify.
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "v1 test root");
    let impostor = dir.path().join("impostor.crt");
    let impostor_cert = params
        .self_signed(&new_key(&rcgen::PKCS_ECDSA_P256_SHA256))
        .unwrap();
    std::fs::write(&impostor, impostor_cert.pem()).unwrap();
    let err = by(&impostor, SslMode::VerifyCa, "signed.example").unwrap_err();
    assert!(err.contains("BadSignature"), "{err}");

    // The verify modes need a root certificate file; the others go on unverified without one.
    let err = tls(SslMode::VerifyCa, None).connector().unwrap_err();
    assert!(
        format!("{err:#}")
            .contains("root certificate file \"/nonexistent/root.crt\" does not exist"),
        "{err:#}"
    );
}

/// A client certificate is taken whatever its version (a version 1 one, what `openssl x509 -req` makes
/// without an extension file, was refused as not going with its key), and refused, saying so, when the
/// key is not its own.
#[test]
fn client_certificates_of_any_version_go_with_their_own_key_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str, mode: u32| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    };
    let cert = write("client.crt", include_str!("testdata/v1-client.crt"), 0o644);
    let key = write("client.key", include_str!("testdata/v1-client.key"), 0o600);
    let other_key = write("other.key", RSA_KEY, 0o600);
    let with = |key: &PathBuf| Tls {
        client_cert: Some(cert.clone()),
        client_key: Some(key.clone()),
        ..tls(SslMode::Require, None)
    };
    with(&key)
        .connector()
        .expect("a version 1 client certificate with its key");
    let err = format!("{:#}", with(&other_key).connector().unwrap_err());
    assert!(
        err.contains("certificate does not match private key file"),
        "{err}"
    );
}

/// A root file with an intermediate alone trusts nothing, as OpenSSL's: a chain is trusted only when it
/// ends at a self-signed certificate of the file.
#[test]
fn an_intermediate_alone_in_the_root_file_verifies_no_server() {
    let dir = tempfile::tempdir().unwrap();
    let (root, root_issuer) = authority();
    let key = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "intermediate");
    let intermediate = params.signed_by(&key, &root_issuer).unwrap().der().clone();
    let intermediate_issuer = Issuer::new(params, key);
    let server_key = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let server = certificate(&["db.example"], &server_key, Some(&intermediate_issuer));
    let file = |name: &str, certs: &[&CertificateDer<'_>]| {
        let path = dir.path().join(name);
        std::fs::write(&path, certs.iter().map(|c| pem(c)).collect::<String>()).unwrap();
        path
    };
    let alone = file("int.crt", &[&intermediate]);
    let both = file("both.crt", &[&intermediate, &root]);
    let verify = |root_file: &PathBuf| {
        handshake(
            &tls(SslMode::VerifyFull, Some(root_file.clone())),
            "db.example",
            server.clone(),
            pkcs8(&server_key),
        )
    };
    verify(&both).expect("a chain to the root of the file");
    let err = verify(&alone).unwrap_err();
    assert!(err.contains("holds no root certificate"), "{err}");
}

fn pem(cert: &CertificateDer<'_>) -> String {
    let body = x509_pem_body(cert);
    format!("-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n")
}

/// Base64 in lines of 64, as PEM has it.
fn x509_pem_body(der: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text.as_bytes()
        .chunks(64)
        .map(|line| format!("{}\n", String::from_utf8_lossy(line)))
        .collect()
}

/// The handshake's signature is checked with the certificate's key: a signature of another message, by
/// another key or by a scheme TLS 1.3 does not allow is refused.
#[test]
fn the_handshake_signature_is_checked_with_the_certificates_key() {
    let rng = ring::rand::SystemRandom::new();
    let rsa_pkcs8 = PrivatePkcs8KeyDer::from_pem_slice(RSA_KEY.as_bytes()).unwrap();
    let rsa = ring::signature::RsaKeyPair::from_pkcs8(rsa_pkcs8.secret_pkcs8_der()).unwrap();
    let sign_rsa = |padding: &'static dyn ring::signature::RsaEncoding| {
        let mut signature = vec![0; rsa.public().modulus_len()];
        rsa.sign(padding, &rng, b"hello", &mut signature).unwrap();
        signature
    };
    let pss = sign_rsa(&ring::signature::RSA_PSS_SHA256);
    let pkcs1 = sign_rsa(&ring::signature::RSA_PKCS1_SHA256);
    let ec_key = new_key(&rcgen::PKCS_ECDSA_P256_SHA256);
    let ec = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &ec_key.serialize_der(),
        &rng,
    )
    .unwrap()
    .sign(&rng, b"hello")
    .unwrap();
    let rsa_cert = v1_cert();
    let ecdsa_cert = certificate(&["db"], &ec_key, None);
    use SignatureScheme::{ECDSA_NISTP256_SHA256, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
    let not_a_certificate: &[u8] = b"not a certificate";
    let cases: [SignatureCase<'_>; 7] = [
        (&rsa_cert, RSA_PSS_SHA256, &pss, b"hello", true, true),
        (&rsa_cert, RSA_PSS_SHA256, &pss, b"hellO", true, false),
        (&rsa_cert, RSA_PKCS1_SHA256, &pkcs1, b"hello", false, true),
        (&rsa_cert, RSA_PKCS1_SHA256, &pkcs1, b"hello", true, false),
        (
            &ecdsa_cert,
            ECDSA_NISTP256_SHA256,
            ec.as_ref(),
            b"hello",
            true,
            true,
        ),
        (
            &rsa_cert,
            ECDSA_NISTP256_SHA256,
            ec.as_ref(),
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
    ];
    for (i, (cert, scheme, signature, message, tls13, verifies)) in cases.into_iter().enumerate() {
        let checked = handshake_signature(message, cert, scheme, signature, tls13);
        assert_eq!(
            checked.is_ok(),
            verifies,
            "case {i}: {scheme:?}, TLS 1.3 {tls13}"
        );
    }
}

/// The digest for each signature algorithm, RSA's and ECDSA's OIDs: MD5 and SHA-1 are hashed with SHA-256
/// (RFC 5929, 4.1); an algorithm with no digest of its own gives no binding.
#[test]
fn the_end_point_hash_follows_the_signature_algorithm() {
    use super::verifier::{end_point_digest, Hash};
    for (oid, hash) in [
        ("1.2.840.113549.1.1.4", Some(Hash::Sha256)),
        ("1.2.840.113549.1.1.5", Some(Hash::Sha256)),
        ("1.2.840.113549.1.1.11", Some(Hash::Sha256)),
        ("1.2.840.113549.1.1.12", Some(Hash::Sha384)),
        ("1.2.840.113549.1.1.13", Some(Hash::Sha512)),
        ("1.2.840.113549.1.1.14", Some(Hash::Sha224)),
        ("1.2.840.10045.4.1", Some(Hash::Sha256)),
        ("1.2.840.10045.4.3.1", Some(Hash::Sha224)),
        ("1.2.840.10045.4.3.2", Some(Hash::Sha256)),
        ("1.2.840.10045.4.3.3", Some(Hash::Sha384)),
        ("1.2.840.10045.4.3.4", Some(Hash::Sha512)),
        // RSASSA-PSS, Ed25519
        ("1.2.840.113549.1.1.10", None),
        ("1.3.101.112", None),
    ] {
        let oid = x509_cert::der::asn1::ObjectIdentifier::new_unwrap(oid);
        assert_eq!(end_point_digest(&oid), hash, "{oid}");
    }
    assert_eq!(server_end_point(b"not a certificate"), None);
}
