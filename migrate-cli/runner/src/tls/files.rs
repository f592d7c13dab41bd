//! Which certificate files a connection uses, by libpq's rules: a root certificate file verifies the server
//! whenever it exists, whatever the mode (`~/.postgresql/root.crt` when `sslrootcert` is not given), and the
//! verify modes refuse to go on without one; `sslrootcert=system` is the system's store; a client
//! certificate (`~/.postgresql/postgresql.crt` by default) is presented when it exists, with a key that only
//! its owner may read.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;

use super::{SslMode, Tls, SYSTEM};

/// A file under `~/.postgresql`, where libpq looks when a setting is not given.
fn in_home(name: &str) -> Option<PathBuf> {
    std::env::home_dir()
        .filter(|home| !home.as_os_str().is_empty())
        .map(|home| home.join(".postgresql").join(name))
}

/// What the server is verified with: the roots its chain must end at (the root file's self-signed
/// certificates: OpenSSL, and so libpq, trusts a chain only when it ends at one), which libpq also trusts
/// as the server's own certificate; and the root file's other certificates, which may complete a chain but
/// are trusted by none (an intermediate alone in the root file verifies nothing).
pub(super) struct Roots {
    pub store: RootCertStore,
    pub listed: Vec<CertificateDer<'static>>,
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The file they come from, for the error when it holds no root.
    pub file: Option<PathBuf>,
}

/// The roots to verify the server with, or `None` when it is not verified: no root certificate file and a
/// mode that does not ask for verification.
pub(super) fn roots(tls: &Tls) -> Result<Option<Roots>> {
    let file = tls.root_cert.clone().or_else(|| in_home("root.crt"));
    if file.as_deref() == Some(Path::new(SYSTEM)) {
        return system_roots().map(Some);
    }
    match file {
        Some(file) if file.exists() => read_roots(&file).map(Some),
        _ if !tls.mode.verifies() => Ok(None),
        Some(file) => bail!(
            "root certificate file \"{}\" does not exist; either provide the file, use the system's trusted roots \
             with sslrootcert=system, or change sslmode to disable server certificate verification",
            file.display()
        ),
        None => bail!(
            "could not get the home directory to locate the root certificate file; either provide the file with \
             sslrootcert, use the system's trusted roots with sslrootcert=system, or change sslmode to disable \
             server certificate verification"
        ),
    }
}

fn read_roots(file: &Path) -> Result<Roots> {
    let mut store = RootCertStore::empty();
    let (mut listed, mut intermediates) = (Vec::new(), Vec::new());
    for certificate in certificates(file, "root certificate file")? {
        if !self_issued(&certificate) {
            intermediates.push(certificate);
            continue;
        }
        store.add(certificate.clone()).with_context(|| {
            format!(
                "the root certificate file {} holds a certificate that cannot be used",
                file.display()
            )
        })?;
        listed.push(certificate);
    }
    Ok(Roots {
        store,
        listed,
        intermediates,
        file: Some(file.to_owned()),
    })
}

/// Whether `certificate` names itself as its issuer: a root (or a self-signed server certificate), what
/// OpenSSL takes for a trust anchor. Its signature is not checked, as OpenSSL does not check it either.
fn self_issued(certificate: &CertificateDer<'_>) -> bool {
    use x509_cert::der::Decode;
    x509_cert::Certificate::from_der(certificate)
        .is_ok_and(|c| c.tbs_certificate.subject == c.tbs_certificate.issuer)
}

/// The certificates of the PEM file `file`, at least one; `what` names the file in errors.
fn certificates(file: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("cannot read the {what} {}", file.display()))?;
    if certificates.is_empty() {
        bail!("the {what} {} holds no certificate", file.display());
    }
    Ok(certificates)
}

/// The system's store (`SSL_CERT_FILE` and `SSL_CERT_DIR` first, else where the distribution keeps it).
fn system_roots() -> Result<Roots> {
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        bail!(
            "sslrootcert=system, but no root certificate was found in the system's store{why} (set SSL_CERT_FILE, \
             or install the ca-certificates package)"
        );
    }
    // The store holds authorities: none of them is a server's own certificate.
    Ok(Roots {
        store,
        listed: Vec::new(),
        intermediates: Vec::new(),
        file: None,
    })
}

/// A client certificate and its key, to present when the server asks.
pub(super) struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// The client certificate, when its file exists (libpq presents none otherwise, given or not).
pub(super) fn client_identity(tls: &Tls) -> Result<Option<Identity>> {
    let Some(cert_file) = tls
        .client_cert
        .clone()
        .or_else(|| in_home("postgresql.crt"))
    else {
        return Ok(None);
    };
    if !cert_file.exists() || tls.mode == SslMode::Disable {
        return Ok(None);
    }
    let chain = certificates(&cert_file, "certificate file")?;
    let Some(key_file) = tls.client_key.clone().or_else(|| in_home("postgresql.key")) else {
        bail!(
            "could not get the home directory to locate the client key file: give it with sslkey"
        );
    };
    if !key_file.exists() {
        bail!(
            "certificate present, but not private key file \"{}\"",
            key_file.display()
        );
    }
    private_key_permissions(&key_file)?;
    let pem = std::fs::read(&key_file)
        .with_context(|| format!("cannot read the private key file {}", key_file.display()))?;
    if pem.windows(9).any(|w| w == b"ENCRYPTED") {
        bail!(
            "the private key file {} is encrypted (sslpassword), which is not supported: decrypt it \
             (openssl pkey -in {0} -out postgresql.key) and keep it readable by you alone",
            key_file.display()
        );
    }
    let key = PrivateKeyDer::from_pem_slice(&pem).with_context(|| {
        format!(
            "cannot read the private key file {} (PEM, PKCS #8, PKCS #1 or SEC1)",
            key_file.display()
        )
    })?;
    Ok(Some(Identity {
        chain,
        key,
        cert_file,
        key_file,
    }))
}

/// libpq's rule: a key file owned by the user is readable by the user alone (0600 or less); one owned by
/// root may also be read by its group (0640 or less), as system-managed keys are.
fn private_key_permissions(file: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(file)
        .with_context(|| format!("cannot read the private key file {}", file.display()))?;
    let mode = meta.mode();
    let too_open = if meta.uid() == 0 {
        mode & 0o037 != 0
    } else {
        mode & 0o077 != 0
    };
    if too_open {
        bail!(
            "private key file \"{}\" has group or world access; file must have permissions u=rw (0600) or less if \
             owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root",
            file.display()
        );
    }
    Ok(())
}
