//! The tool and `psql` against the same throwaway server, one TLS setting after another: each `sslmode`
//! with each source of root certificates, against a CA-signed, a self-signed, an expired and a wrongly
//! named server certificate and a server with `ssl = off`; then channel binding, client certificates
//! (version 1 ones, and ones whose key is another's), servers whose `pg_hba.conf` takes the role only with
//! or only without TLS, and chains through an intermediate against root files holding the root, the
//! intermediate alone, both, or the server's certificate. `sslnegotiation=direct` is judged against
//! libpq 17 on a PostgreSQL 17 server.
//! Both must come to the same verdict (connect or refuse) every time. The server is reloaded between
//! configurations, so one cluster serves them all.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rcgen::{CertificateParams, IsCa, Issuer, KeyPair};

/// libpq's settings that would change a verdict, cleared for both clients.
const LIBPQ_TLS_VARS: [&str; 9] = [
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLCRL",
    "PGCHANNELBINDING",
    "PGPASSWORD",
    "SSL_CERT_DIR",
    "PGREQUIRESSL",
];

/// The role the clients log in as (the pg_hba lines under test are for it alone).
const ROLE: &str = "matrix";
const PASSWORD: &str = "matrix-secret";

struct Authority {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn authority() -> Authority {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "matrix test root");
    let pem = params.self_signed(&key).expect("root").pem();
    Authority {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A certificate (PEM) and its key (PEM) for `name` (subjectAltName and CN), signed by `by` or self-signed,
/// valid from yesterday until tomorrow, or expired since yesterday.
fn leaf(name: &str, by: Option<&Authority>, expired: bool) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec![name.to_owned()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let now = std::time::SystemTime::now();
    let day = Duration::from_secs(86_400);
    params.not_before = (now - 3 * day).into();
    params.not_after = if expired { now - day } else { now + day }.into();
    let cert = match by {
        Some(ca) => params.signed_by(&key, &ca.issuer),
        None => params.self_signed(&key),
    }
    .expect("certificate");
    (cert.pem(), key.serialize_pem())
}

/// An intermediate certificate authority issued by `by`.
fn intermediate_of(by: &Authority) -> Authority {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "matrix test intermediate");
    let pem = params
        .signed_by(&key, &by.issuer)
        .expect("intermediate")
        .pem();
    Authority {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A file of the runner's TLS test data (certificates `openssl x509 -req` made, which rcgen cannot).
fn read_testdata(name: &str) -> String {
    let testdata = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrate-cli/runner/src/tls/testdata"
    );
    std::fs::read_to_string(format!("{testdata}/{name}")).expect("the runner's TLS test data")
}

/// A self-signed CA certificate naming `name` in its CN alone, and its key (PEM).
fn docs_recipe(name: &str) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    (
        params.self_signed(&key).expect("certificate").pem(),
        key.serialize_pem(),
    )
}

/// The throwaway server and what it is set up with now.
struct Bench {
    server: tests::cluster::Server,
    admin: postgres::Client,
}

impl Bench {
    /// Sets the server's TLS (`cert` = certificate and key PEM, or `ssl = off`) and its pg_hba lines for
    /// [`ROLE`], reloads, and waits until new sessions have them.
    fn configure(&mut self, tag: &str, cert: Option<&(String, String)>, hba: &str) {
        let local = "local all all trust\nhost all postgres 127.0.0.1/32 trust\n";
        self.server
            .write_file("pg_hba.conf", format!("{local}{hba}\n").as_bytes(), 0o600);
        let settings = match cert {
            Some((cert, key)) => {
                self.server
                    .write_file(&format!("{tag}.crt"), cert.as_bytes(), 0o600);
                self.server
                    .write_file(&format!("{tag}.key"), key.as_bytes(), 0o600);
                format!(
                    "ALTER SYSTEM SET ssl = on; ALTER SYSTEM SET ssl_cert_file = '{tag}.crt'; \
                     ALTER SYSTEM SET ssl_key_file = '{tag}.key'; ALTER SYSTEM SET ssl_ca_file = 'ca.crt';"
                )
            }
            None => "ALTER SYSTEM SET ssl = off;".to_owned(),
        };
        // One statement at a time: a multi-statement string is one transaction, which ALTER SYSTEM refuses.
        for statement in settings.split(';').filter(|s| !s.trim().is_empty()) {
            self.admin.batch_execute(statement).expect("reconfigure");
        }
        self.admin
            .batch_execute("SELECT pg_reload_conf()")
            .expect("reload");
        let want_ssl = if cert.is_some() { "on" } else { "off" };
        for _ in 0..200 {
            let mut fresh = postgres::Client::connect(&self.server.admin_url(), postgres::NoTls)
                .expect("admin session");
            let row = fresh
                .query_one(
                    "SELECT current_setting('ssl'), current_setting('ssl_cert_file')",
                    &[],
                )
                .expect("settings");
            let (ssl, file): (String, String) = (row.get(0), row.get(1));
            if ssl == want_ssl && (cert.is_none() || file == format!("{tag}.crt")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("the server did not take the {tag} configuration");
    }

    fn url(&self, params: &str) -> String {
        format!(
            "postgres://{ROLE}:{PASSWORD}@localhost:{}/postgres?{params}",
            self.server.port()
        )
    }
}

/// What a client was given besides the URL: its home folder (for `~/.postgresql`) and the system's store.
struct ClientEnv<'a> {
    home: &'a Path,
    system_roots: &'a Path,
}

fn clear(command: &mut Command, env: &ClientEnv<'_>) {
    for var in LIBPQ_TLS_VARS {
        command.env_remove(var);
    }
    command
        .env("HOME", env.home)
        .env("SSL_CERT_FILE", env.system_roots);
}

/// psql's verdict: `Ok` when it connected, else its message.
fn psql(url: &str, env: &ClientEnv<'_>) -> Result<(), String> {
    psql_with(url, env, None)
}

/// [`psql`] with the libpq of `libpq_dir` instead of its own (libpq.so.5 keeps its interface from one major
/// to the next, so the machine's psql runs on a newer libpq and judges as that libpq does).
fn psql_with(url: &str, env: &ClientEnv<'_>, libpq_dir: Option<&Path>) -> Result<(), String> {
    let mut command = Command::new("psql");
    command.arg(url).args(["-X", "-w", "-tAc", "SELECT 1"]);
    clear(&mut command, env);
    if let Some(dir) = libpq_dir {
        command.env("LD_LIBRARY_PATH", dir);
    }
    let out = command.output().expect("psql");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The tool's verdict: the installed command's `database create` on the maintenance database it connects
/// to (which exists, so it only connects and looks).
fn tool(url: &str, env: &ClientEnv<'_>, cwd: &Path) -> Result<(), String> {
    let mut command = Command::new(tests::cli::bin("migrate-front"));
    command
        .args(["database", "create"])
        .current_dir(cwd)
        .env("DATABASE_URL", url)
        .env("XDG_CACHE_HOME", cwd.join("cache"));
    for var in tests::cli::MACHINE_SETTINGS {
        command.env_remove(var);
    }
    clear(&mut command, env);
    let out = command.output().expect("migrate");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// psql's libpq major: `sslrootcert=system` is libpq 16's.
fn psql_major() -> u32 {
    let out = Command::new("psql")
        .arg("--version")
        .output()
        .expect("psql --version");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find_map(|w| w.split('.').next()?.parse().ok())
        .expect("a version in psql --version")
}

#[test]
fn each_sslmode_and_certificate_gets_libpqs_verdict() {
    let server = tests::cluster::start();
    let mut admin =
        postgres::Client::connect(&server.admin_url(), postgres::NoTls).expect("admin session");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'; SET password_encryption = 'scram-sha-256'; \
             ALTER ROLE {ROLE} PASSWORD '{PASSWORD}'"
        ))
        .expect("role");
    let ca = authority();
    // The server takes client certificates of the matrix's root and of the root that issued the
    // version 1 client certificate of the runner's test data.
    let v1_client_root = read_testdata("v1-client-root.crt");
    server.write_file(
        "ca.crt",
        format!("{}{v1_client_root}", ca.pem).as_bytes(),
        0o644,
    );
    let mut bench = Bench { server, admin };
    let work = tempfile::tempdir().expect("temp dir");
    let ca_copy = work.path().join("ca.crt");
    std::fs::write(&ca_copy, &ca.pem).expect("ca copy");
    let empty_home = work.path().join("home-empty");
    let home_with_root = work.path().join("home-root");
    std::fs::create_dir_all(home_with_root.join(".postgresql")).expect("home");
    std::fs::create_dir_all(&empty_home).expect("home");
    std::fs::write(home_with_root.join(".postgresql/root.crt"), &ca.pem).expect("root.crt");
    let system_roots = work.path().join("system-roots.pem");
    std::fs::write(&system_roots, &ca.pem).expect("system roots");
    let other_roots = work.path().join("other-roots.pem");
    std::fs::write(&other_roots, authority().pem).expect("other roots");
    let trust = format!("host all {ROLE} 127.0.0.1/32 trust");
    let servers: [(&str, Option<(String, String)>); 5] = [
        ("ca_signed", Some(leaf("localhost", Some(&ca), false))),
        ("self_signed", Some(leaf("localhost", None, false))),
        ("expired", Some(leaf("localhost", Some(&ca), true))),
        ("wrong_name", Some(leaf("db.example", Some(&ca), false))),
        ("ssl_off", None),
    ];
    let modes = [
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ];
    let ca_text = ca_copy.display().to_string();
    // (label, extra URL parameters, home, system store): where the root certificates come from.
    let roots: [(&str, String, &Path, &Path); 4] = [
        ("no root file", String::new(), &empty_home, &other_roots),
        (
            "sslrootcert",
            format!("&sslrootcert={ca_text}"),
            &empty_home,
            &other_roots,
        ),
        (
            "~/.postgresql/root.crt",
            String::new(),
            &home_with_root,
            &other_roots,
        ),
        (
            "sslrootcert=system",
            "&sslrootcert=system".to_owned(),
            &empty_home,
            &system_roots,
        ),
    ];
    let knows_system = psql_major() >= 16;
    let mut rows = Vec::new();
    let mut differ = Vec::new();
    for (tag, cert) in &servers {
        bench.configure(tag, cert.as_ref(), &trust);
        for mode in modes {
            let mut with_ca_root = None;
            for (label, extra, home, system) in &roots {
                let url = bench.url(&format!("sslmode={mode}{extra}"));
                let env = ClientEnv {
                    home,
                    system_roots: system,
                };
                let ours = tool(&url, &env, work.path());
                let libpq = if *label == "sslrootcert=system" && !knows_system {
                    // libpq 16's rule, from psql's own verdict with the same root given as a file: only
                    // verify-full may use the system's store.
                    match mode {
                        "verify-full" => with_ca_root.clone().expect("the sslrootcert row ran"),
                        _ => Err("weak sslmode may not be used with sslrootcert=system".to_owned()),
                    }
                } else {
                    psql(&url, &env)
                };
                if *label == "sslrootcert" {
                    with_ca_root = Some(libpq.clone());
                }
                let line = format!(
                    "{tag:<12} {mode:<12} {label:<24} psql {:<7} migrate {}",
                    verdict(&libpq),
                    verdict(&ours)
                );
                if libpq.is_ok() != ours.is_ok() {
                    differ.push(format!("{line}\n  psql: {libpq:?}\n  migrate: {ours:?}"));
                }
                rows.push(line);
            }
        }
    }

    // Channel binding: SCRAM over TLS binds, trust and plain text cannot.
    bench.configure(
        "bind",
        servers[0].1.as_ref(),
        &format!("host all {ROLE} 127.0.0.1/32 scram-sha-256"),
    );
    let env = ClientEnv {
        home: &empty_home,
        system_roots: &other_roots,
    };
    let mut explained = Vec::new();
    let mut compare =
        |tag: &str, label: &str, params: String, env: &ClientEnv<'_>, bench: &Bench| {
            let url = bench.url(&params);
            let (libpq, ours) = (psql(&url, env), tool(&url, env, work.path()));
            let line = format!(
                "{tag:<12} {label:<37} psql {:<7} migrate {}",
                verdict(&libpq),
                verdict(&ours)
            );
            match (&libpq, &ours) {
                // Where rustls judges otherwise, the refusal must say so and name the way out.
                (Ok(()), Err(message)) if message.contains("libpq accepts") => {
                    explained.push(format!("{line}\n  {message}"));
                }
                _ if libpq.is_ok() != ours.is_ok() => {
                    differ.push(format!("{line}\n  psql: {libpq:?}\n  migrate: {ours:?}"));
                }
                _ => {}
            }
            rows.push(line);
        };
    for mode in ["disable", "prefer", "require"] {
        for binding in ["prefer", "require"] {
            compare(
                "scram",
                &format!("sslmode={mode} channel_binding={binding}"),
                format!("sslmode={mode}&channel_binding={binding}"),
                &env,
                &bench,
            );
        }
    }
    bench.configure("bind_trust", servers[0].1.as_ref(), &trust);
    compare(
        "trust",
        "sslmode=require channel_binding=require",
        "sslmode=require&channel_binding=require".to_owned(),
        &env,
        &bench,
    );

    // A certificate made as PostgreSQL's documentation shows (`openssl req -new -x509 ... -subj
    // "/CN=host"`: a CA certificate, the name in its CN alone) and given as its own root.
    let own = docs_recipe("localhost");
    let own_file = work.path().join("own.crt");
    std::fs::write(&own_file, &own.0).expect("own cert");
    bench.configure("docs_recipe", Some(&own), &trust);
    for mode in ["require", "verify-ca", "verify-full"] {
        compare(
            "docs_recipe",
            &format!("sslmode={mode} its own root"),
            format!("sslmode={mode}&sslrootcert={}", own_file.display()),
            &env,
            &bench,
        );
    }

    // PostgreSQL's documentation's recipe for a chain: `openssl x509 -req` issues a version 1 certificate.
    let read = read_testdata;
    let v1_chain = (read("v1-signed.crt"), read("rsa.key"));
    let v1_root = work.path().join("v1-root.crt");
    std::fs::write(&v1_root, read("v1-root.crt")).expect("v1 root");
    bench.configure("v1_chain", Some(&v1_chain), &trust);
    for mode in ["require", "verify-ca", "verify-full"] {
        compare(
            "v1_chain",
            &format!("sslmode={mode} its root"),
            format!("sslmode={mode}&sslrootcert={}", v1_root.display()),
            &env,
            &bench,
        );
    }

    // Client certificates: a server that asks for one signed by the root, for the role's name.
    bench.configure(
        "client_cert",
        servers[0].1.as_ref(),
        &format!("hostssl all {ROLE} 127.0.0.1/32 cert"),
    );
    let (client_cert, client_key) = leaf(ROLE, Some(&ca), false);
    let cert_file = work.path().join("client.crt");
    let key_file = work.path().join("client.key");
    let open_key = work.path().join("client-open.key");
    std::fs::write(&cert_file, &client_cert).expect("client cert");
    for (file, mode) in [(&key_file, 0o600), (&open_key, 0o644)] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(file, &client_key).expect("client key");
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let home_with_cert = work.path().join("home-cert");
    std::fs::create_dir_all(home_with_cert.join(".postgresql")).expect("home");
    std::fs::copy(
        &cert_file,
        home_with_cert.join(".postgresql/postgresql.crt"),
    )
    .expect("copy");
    std::fs::copy(&key_file, home_with_cert.join(".postgresql/postgresql.key")).expect("copy");
    let cert_text = cert_file.display();
    for (label, params, home) in [
        (
            "no client certificate",
            "sslmode=require".to_owned(),
            &empty_home,
        ),
        (
            "sslcert and sslkey",
            format!(
                "sslmode=require&sslcert={cert_text}&sslkey={}",
                key_file.display()
            ),
            &empty_home,
        ),
        (
            "a key others can read",
            format!(
                "sslmode=require&sslcert={cert_text}&sslkey={}",
                open_key.display()
            ),
            &empty_home,
        ),
        (
            "~/.postgresql/postgresql.crt",
            "sslmode=verify-full".to_owned(),
            &home_with_cert,
        ),
    ] {
        let env = ClientEnv {
            home,
            system_roots: &other_roots,
        };
        let params = if label.starts_with('~') {
            format!("{params}&sslrootcert={ca_text}")
        } else {
            params
        };
        compare("client_cert", label, params, &env, &bench);
    }

    // A version 1 client certificate (`openssl x509 -req` without an extension file), given and kept in
    // ~/.postgresql, for a server that asks for one and for one that does not (where `prefer` must not
    // break over it either); and a client certificate whose key is another's, which libpq's `prefer`
    // answers by connecting in plain text.
    let v1_cert = work.path().join("v1-client.crt");
    let v1_key = work.path().join("v1-client.key");
    std::fs::write(&v1_cert, read("v1-client.crt")).expect("v1 client cert");
    let home_with_v1 = work.path().join("home-v1");
    let home_with_wrong_key = work.path().join("home-wrong-key");
    for dir in [&home_with_v1, &home_with_wrong_key] {
        std::fs::create_dir_all(dir.join(".postgresql")).expect("home");
    }
    std::fs::write(
        home_with_v1.join(".postgresql/postgresql.crt"),
        read("v1-client.crt"),
    )
    .expect("copy");
    std::fs::write(
        home_with_wrong_key.join(".postgresql/postgresql.crt"),
        &client_cert,
    )
    .expect("copy");
    for (file, key) in [
        (v1_key.clone(), read("v1-client.key")),
        (
            home_with_v1.join(".postgresql/postgresql.key"),
            read("v1-client.key"),
        ),
        (
            home_with_wrong_key.join(".postgresql/postgresql.key"),
            read("rsa.key"),
        ),
    ] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&file, key).expect("key");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let v1_given = format!("sslcert={}&sslkey={}", v1_cert.display(), v1_key.display());
    for (label, params, home) in [
        (
            "v1 certificate, sslcert and sslkey",
            format!("sslmode=require&{v1_given}"),
            &empty_home,
        ),
        (
            "v1 certificate in ~/.postgresql, prefer",
            "sslmode=prefer".to_owned(),
            &home_with_v1,
        ),
        (
            "v1 certificate in ~/.postgresql, verify-full",
            format!("sslmode=verify-full&sslrootcert={ca_text}"),
            &home_with_v1,
        ),
    ] {
        let env = ClientEnv {
            home,
            system_roots: &other_roots,
        };
        compare("client_cert", label, params, &env, &bench);
    }
    bench.configure("cert_unasked", servers[0].1.as_ref(), &trust);
    for (label, params, home) in [
        (
            "v1 certificate in ~/.postgresql, prefer",
            "sslmode=prefer",
            &home_with_v1,
        ),
        (
            "v1 certificate in ~/.postgresql, require",
            "sslmode=require",
            &home_with_v1,
        ),
        (
            "a key not the certificate's, prefer",
            "sslmode=prefer",
            &home_with_wrong_key,
        ),
        (
            "a key not the certificate's, allow",
            "sslmode=allow",
            &home_with_wrong_key,
        ),
        (
            "a key not the certificate's, require",
            "sslmode=require",
            &home_with_wrong_key,
        ),
    ] {
        let env = ClientEnv {
            home,
            system_roots: &other_roots,
        };
        compare("cert_unasked", label, params.to_owned(), &env, &bench);
    }

    // A server whose pg_hba.conf takes the role only in plain text (hostnossl), or only over TLS (hostssl):
    // `prefer` and `allow` try the other way when the server refuses the session, as libpq does.
    for (tag, hba) in [
        (
            "hostnossl",
            format!("hostnossl all {ROLE} 127.0.0.1/32 trust"),
        ),
        ("hostssl", format!("hostssl all {ROLE} 127.0.0.1/32 trust")),
        (
            "nossl_scram",
            format!("hostnossl all {ROLE} 127.0.0.1/32 scram-sha-256"),
        ),
    ] {
        bench.configure(tag, servers[0].1.as_ref(), &hba);
        for mode in modes {
            for (label, extra) in [
                ("", String::new()),
                (" sslrootcert", format!("&sslrootcert={ca_text}")),
            ] {
                compare(
                    tag,
                    &format!("sslmode={mode}{label}"),
                    format!("sslmode={mode}{extra}"),
                    &env,
                    &bench,
                );
            }
        }
    }

    // A chain through an intermediate, the server sending it or not, against root files holding the
    // root, the intermediate alone, both, or the server's own certificate: OpenSSL trusts a chain only
    // when it ends at a self-signed certificate of the file.
    let intermediate = intermediate_of(&ca);
    let (chain_leaf, chain_key) = leaf("localhost", Some(&intermediate), false);
    let root_files = [
        ("the root", ca.pem.clone()),
        ("the intermediate alone", intermediate.pem.clone()),
        (
            "intermediate and root",
            format!("{}{}", intermediate.pem, ca.pem),
        ),
        ("the server's certificate", chain_leaf.clone()),
    ];
    let root_paths: Vec<(&str, std::path::PathBuf)> = root_files
        .iter()
        .enumerate()
        .map(|(i, (label, pem))| {
            let path = work.path().join(format!("chain-root-{i}.crt"));
            std::fs::write(&path, pem).expect("root file");
            (*label, path)
        })
        .collect();
    for (tag, cert) in [
        (
            "int_sent",
            (
                format!("{chain_leaf}{}", intermediate.pem),
                chain_key.clone(),
            ),
        ),
        ("int_unsent", (chain_leaf.clone(), chain_key.clone())),
    ] {
        bench.configure(tag, Some(&cert), &trust);
        for (label, path) in &root_paths {
            for mode in ["require", "verify-ca", "verify-full"] {
                compare(
                    tag,
                    &format!("sslmode={mode} {label}"),
                    format!("sslmode={mode}&sslrootcert={}", path.display()),
                    &env,
                    &bench,
                );
            }
        }
    }

    println!("{}", rows.join("\n"));
    println!(
        "\n{} verdicts differ from psql's, each refused with the reason and the way out:\n{}",
        explained.len(),
        explained.join("\n")
    );
    // Every case here is one libpq and the tool judge alike, the PostgreSQL documentation's certificate
    // given as its own root included (the explained refusals are for certificates signed by a root in a
    // form WebPKI does not take; the runner's unit tests make them).
    assert!(explained.is_empty(), "{}", explained.join("\n"));
    assert!(
        differ.is_empty(),
        "{} of {} verdicts differ from psql's:\n{}",
        differ.len(),
        rows.len(),
        differ.join("\n")
    );
    // The matrix is not all one verdict: some of each.
    let connected = rows
        .iter()
        .filter(|r| r.ends_with("migrate connect"))
        .count();
    assert!(
        connected > 10 && connected < rows.len() - 10,
        "{connected} of {}",
        rows.len()
    );
}

fn verdict(result: &Result<(), String>) -> &'static str {
    if result.is_ok() {
        "connect"
    } else {
        "refuse"
    }
}

/// `sslnegotiation=direct` (PostgreSQL 17): the TLS handshake at once, no `SSLRequest` first. A PostgreSQL 17
/// server takes it only with the ALPN protocol `postgresql`, and libpq 17 refuses it with a mode that may
/// fall back to plain text. Judged against libpq 17 (the machine's psql run on the libpq of the PostgreSQL 17
/// binaries) on a PostgreSQL 17 server, and on the machine's older server, which knows no direct handshake.
#[test]
fn direct_tls_negotiation_gets_libpq_17s_verdict() {
    let Some(server) = tests::pg_versions::server_for_test(17) else {
        return;
    };
    let libpq_17 = tests::pg_versions::bin_dir(17)
        .expect("installed with the server")
        .parent()
        .expect("native/")
        .join("lib");
    let older = tests::cluster::start();
    let work = tempfile::tempdir().expect("temp dir");
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let ca = authority();
    let ca_file = work.path().join("ca.crt");
    std::fs::write(&ca_file, &ca.pem).expect("ca");
    let system_roots = work.path().join("system-roots.pem");
    std::fs::write(&system_roots, authority().pem).expect("system roots");
    let env = ClientEnv {
        home: &home,
        system_roots: &system_roots,
    };
    let cert = leaf("localhost", Some(&ca), false);
    let trust = format!("host all {ROLE} 127.0.0.1/32 trust");
    let mut benches = Vec::new();
    for server in [server, older] {
        let mut admin =
            postgres::Client::connect(&server.admin_url(), postgres::NoTls).expect("admin session");
        admin
            .batch_execute(&format!("CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'"))
            .expect("role");
        server.write_file("ca.crt", ca.pem.as_bytes(), 0o644);
        let mut bench = Bench { server, admin };
        bench.configure("direct", Some(&cert), &trust);
        benches.push(bench);
    }
    // The libpq is 17's: it knows the parameter and refuses a weak mode with it.
    let weak = psql_with(
        &benches[0].url("sslmode=prefer&sslnegotiation=direct"),
        &env,
        Some(&libpq_17),
    );
    assert!(
        weak.as_ref().is_err_and(|e| e.contains("weak sslmode")),
        "libpq 17 is not the one psql runs on: {weak:?}"
    );
    let mut rows = Vec::new();
    let mut differ = Vec::new();
    for (i, bench) in benches.iter().enumerate() {
        let major = bench.server.major();
        for negotiation in ["postgres", "direct"] {
            for mode in [
                "disable",
                "allow",
                "prefer",
                "require",
                "verify-ca",
                "verify-full",
            ] {
                if i == 1 && negotiation == "postgres" {
                    continue;
                }
                let url = bench.url(&format!(
                    "sslmode={mode}&sslnegotiation={negotiation}&sslrootcert={}",
                    ca_file.display()
                ));
                let (libpq, ours) = (
                    psql_with(&url, &env, Some(&libpq_17)),
                    tool(&url, &env, work.path()),
                );
                let line = format!(
                    "PostgreSQL {major:<3} sslnegotiation={negotiation:<9} sslmode={mode:<12} psql {:<7} migrate {}",
                    verdict(&libpq),
                    verdict(&ours)
                );
                if libpq.is_ok() != ours.is_ok() {
                    differ.push(format!("{line}\n  psql: {libpq:?}\n  migrate: {ours:?}"));
                }
                rows.push(line);
            }
        }
    }
    println!("{}", rows.join("\n"));
    assert!(
        differ.is_empty(),
        "{} of {} verdicts differ from libpq 17's:\n{}",
        differ.len(),
        rows.len(),
        differ.join("\n")
    );
    assert!(
        rows.iter().any(|r| r.contains("=direct")
            && r.contains("require")
            && r.ends_with("migrate connect")),
        "a direct handshake connected"
    );
}
