//! Presenting the client certificate. rustls's own way (`with_client_auth_cert`) first checks that the key
//! belongs to the certificate by reading the certificate with WebPKI's rules, which refuse a version 1
//! certificate (what `openssl x509 -req` makes without an extension file) as unreadable, so that check
//! failed for a pair that goes together and that libpq presents. Here the key is matched against the
//! certificate's public key as the certificate holds it, whatever its version, and the pair is presented as
//! it is; the server judges the certificate.

use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls::SignatureScheme;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use super::files::Identity;

/// The resolver that presents `identity` whenever the server asks for a certificate, once its key is known
/// to go with its certificate.
pub(super) fn resolver(
    identity: Identity,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ResolvesClientCert>> {
    let key = provider
        .key_provider
        .load_private_key(identity.key)
        .with_context(|| {
            format!(
                "the private key file {} holds a key this tool cannot sign with (RSA, ECDSA P-256 or P-384, \
                 Ed25519)",
                identity.key_file.display()
            )
        })?;
    let Some(end_entity) = identity.chain.first() else {
        bail!(
            "the certificate file {} holds no certificate",
            identity.cert_file.display()
        );
    };
    let certificate = Certificate::from_der(end_entity).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the client certificate {}: {e}",
            identity.cert_file.display()
        )
    })?;
    let certified = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .ok();
    // A key whose public half cannot be told is presented as it is, as rustls does: the server then refuses
    // the handshake if they do not go together.
    if let (Some(of_key), Some(of_certificate)) = (key.public_key(), certified) {
        if of_key.as_ref() != of_certificate.as_slice() {
            bail!(
                "certificate does not match private key file \"{}\" (the client certificate is {})",
                identity.key_file.display(),
                identity.cert_file.display()
            );
        }
    }
    Ok(Arc::new(Always(Arc::new(CertifiedKey::new(
        identity.chain,
        key,
    )))))
}

#[derive(Debug)]
struct Always(Arc<CertifiedKey>);

impl ResolvesClientCert for Always {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}
