//! TLS with libpq's `sslmode` semantics, against the test server. It must run with `ssl = on` (the
//! Debian package's default, with its self-signed "snakeoil" certificate; `.ci/run` enables it on clusters
//! it creates).

use std::time::Duration;

use migrate_cli::connect::resolve;
use tests::TestDb;

fn with_params(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

/// Whether the session of `client` is encrypted.
fn encrypted(client: &mut postgres::Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .expect("pg_stat_ssl")
        .get(0)
}

fn server_certificate(db: &TestDb) -> String {
    let rows = db.query_strings(
        "SELECT current_setting('ssl'), current_setting('ssl_cert_file'), current_setting('data_directory')",
    );
    assert_eq!(
        rows[0][0].as_deref(),
        Some("on"),
        "the TLS tests need a server with ssl = on (.ci/run sets it up)"
    );
    // A relative path is relative to the data directory.
    let file = rows[0][1].clone().expect("ssl_cert_file");
    let data = rows[0][2].clone().expect("data_directory");
    std::path::Path::new(&data)
        .join(file)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn sslmodes_disable_prefer_and_require_connect_as_libpq_would() {
    let db = TestDb::new();
    server_certificate(&db);
    let connect = |params: &str| {
        resolve(Some(&with_params(db.url(), params)))
            .expect("resolve")
            .connect(Duration::from_secs(5))
            .expect("connect")
    };
    assert!(!encrypted(&mut connect("sslmode=disable")));
    assert!(encrypted(&mut connect("sslmode=prefer")));
    assert!(encrypted(&mut connect("sslmode=require")));
    // libpq's default is prefer.
    assert!(encrypted(&mut connect("application_name=tls_test")));
}

#[test]
fn verify_modes_check_the_certificate_and_explain_failures() {
    let db = TestDb::new();
    let cert = server_certificate(&db);
    let attempt = |params: &str| {
        resolve(Some(&with_params(db.url(), params)))
            .expect("resolve")
            .connect(Duration::from_secs(5))
    };
    let failure = |params: &str| match attempt(params) {
        Ok(_) => panic!("{params}: connected, but must fail"),
        Err(e) => format!("{e:#}"),
    };

    // A root that did not sign the server's certificate: the chain does not verify. (Any other
    // self-signed certificate works as that root; the server's own key pair is not needed.)
    let other_root = other_root_certificate();
    let err = failure(&format!(
        "sslmode=verify-ca&sslrootcert={}",
        other_root.path().display()
    ));
    assert!(err.contains("invalid peer certificate"), "{err}");
    assert!(
        err.contains("hint: the server's certificate is not signed by a trusted root"),
        "{err}"
    );

    // With the certificate as root, the chain verifies...
    let root = format!("sslmode=verify-ca&sslrootcert={cert}");
    assert!(encrypted(
        &mut attempt(&root).expect("verify-ca with the root")
    ));

    // ...but 127.0.0.1 is not the name in the certificate.
    let err = failure(&format!("sslmode=verify-full&sslrootcert={cert}"));
    assert!(err.contains("does not name the host"), "{err}");
}

#[test]
fn invalid_sslmodes_and_encrypted_keys_are_refused_clearly() {
    let err = format!(
        "{:#}",
        resolve(Some("postgres://u:secret@localhost/db?sslmode=sometimes")).expect_err("invalid")
    );
    assert!(err.contains("invalid sslmode \"sometimes\""), "{err}");
    assert!(!err.contains("secret"), "{err}");
    let err = format!(
        "{:#}",
        resolve(Some("postgres://u@localhost/db?sslpassword=x")).expect_err("unsupported")
    );
    assert!(err.contains("encrypted client key"), "{err}");
}

/// A freshly generated self-signed CA certificate in a temporary file.
fn other_root_certificate() -> tempfile::NamedTempFile {
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("certificate");
    std::fs::write(out.path(), cert.pem()).expect("write the certificate");
    out
}

/// The `--backup` dump connects with the same TLS settings as the runner: `sslmode` and `sslrootcert` from
/// the URL reach `pg_dump` through libpq's environment. A `pg_dump` first on `PATH` that records its
/// environment shows what it was given (it reports a version new enough for any server, so it is the one
/// chosen); the real one then makes a verified backup through TLS.
#[test]
fn the_backup_pg_dump_gets_the_connections_tls_settings() {
    use std::os::unix::fs::PermissionsExt;
    use tests::cli::FixtureCli;

    let db = TestDb::new();
    let cert = server_certificate(&db);
    let url = with_params(db.url(), &format!("sslmode=verify-ca&sslrootcert={cert}"));
    let cli = FixtureCli::with_url("basic", &url);

    let bin = tempfile::tempdir().expect("temp dir");
    let recorded = bin.path().join("env.txt");
    let script = bin.path().join("pg_dump");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 99.0'; exit 0; fi\nenv > '{}'\nprev=\nfor a in \"$@\"; do if [ \"$prev\" = --file ]; then : > \"$a\"; fi; prev=$a; done\n",
            recorded.display()
        ),
    )
    .expect("write pg_dump");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let backups = cli.cwd().join("backups");
    let backups = backups.to_string_lossy();
    cli.run_env(&["up", "1", "--backup", &backups], &[("PATH", &path)])
        .expect_code(0);
    let env = std::fs::read_to_string(&recorded).expect("the fake pg_dump ran");
    assert!(env.lines().any(|l| l == "PGSSLMODE=verify-ca"), "{env}");
    assert!(
        env.lines().any(|l| l == format!("PGSSLROOTCERT={cert}")),
        "{env}"
    );

    // The real pg_dump verifies the server with that root and dumps through TLS (when this machine has
    // one that can dump the server).
    if !tests::pg_versions::can_back_up(&db) {
        return;
    }
    let run = cli.run(&["up", "--backup", &backups]).expect_code(0);
    assert!(run.stdout.contains("backed up "), "{}", run.stdout);
}

/// The system's root certificates are read for `sslrootcert=system` alone (libpq's rule), never for a mode
/// that verifies nothing (parsing that bundle on every connection was most of a no-op `up`'s time), nor for
/// a verify mode without that setting (which uses `~/.postgresql/root.crt`). The store is read from
/// `SSL_CERT_FILE`; here that is a named pipe, so whether the runner opened it is known for certain: a writer
/// on the other end is let through only by a reader. The runner blocks reading until the writer closes,
/// which it does after recording the open.
#[test]
fn only_sslrootcert_system_reads_the_systems_root_certificates() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tests::cli::FixtureCli;

    let db = TestDb::new();
    server_certificate(&db);
    for (params, reads_roots, connects) in [
        ("sslmode=disable", false, true),
        ("sslmode=prefer", false, true),
        ("sslmode=require", false, true),
        ("sslmode=verify-ca", false, false),
        ("sslmode=verify-full&sslrootcert=system", true, false),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let pipe = dir.path().join("roots.pem");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .expect("mkfifo");
        assert!(made.success(), "mkfifo failed");
        let opened = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (pipe, opened, stop) = (pipe.clone(), opened.clone(), stop.clone());
            // Every connection of the run may open the bundle once: serve each, empty.
            std::thread::spawn(move || loop {
                let end = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&pipe)
                    .expect("open the pipe for writing");
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                opened.store(true, Ordering::SeqCst);
                drop(end);
            })
        };
        let cli = FixtureCli::with_url("basic", &with_params(db.url(), params));
        let pipe_text = pipe.to_string_lossy();
        let certs_dir = dir.path().to_string_lossy();
        let run = cli.run_env(
            &["status"],
            &[("SSL_CERT_FILE", &pipe_text), ("SSL_CERT_DIR", &certs_dir)],
        );
        let read = opened.load(Ordering::SeqCst);
        // Let the writer through one last time, and end it.
        stop.store(true, Ordering::SeqCst);
        let reader = std::fs::File::open(&pipe).expect("open the pipe for reading");
        writer.join().expect("writer thread");
        drop(reader);
        assert_eq!(
            read,
            reads_roots,
            "{params}: the system's root certificates were {}read\n{}{}",
            if read { "" } else { "not " },
            run.stdout,
            run.stderr
        );
        assert_eq!(
            run.code == 0,
            connects,
            "{params}: {}{}",
            run.stdout,
            run.stderr
        );
    }
}
