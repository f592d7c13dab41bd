//! A real PgBouncer in front of the test server, started by the tests on 127.0.0.1: the connection poolers
//! that managed platforms hand out URLs for. `.ci/run` installs the Debian package `pgbouncer`.
//!
//! PgBouncer refuses to run as root, so as root it is started with `-u nobody`; its folder (configuration,
//! user list) is readable by that user and deleted when the [`PgBouncer`] is dropped, which also stops it.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the Debian package puts the binary.
const PGBOUNCER: &str = "/usr/sbin/pgbouncer";

/// PgBouncer's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// A server session per client connection, for as long as it lasts: session state is kept.
    Session,
    /// A server session per transaction: session state leaks between clients and is lost between
    /// transactions.
    Transaction,
}

/// Settings of a test's PgBouncer beyond the pool mode; [`Options::default`] is what
/// [`PgBouncer::start`] uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// `default_pool_size`: server sessions per database and user.
    pub pool_size: u32,
    /// `server_reset_query`; `None` keeps PgBouncer's default (`DISCARD ALL`), `Some("")` runs none, so
    /// session state stays with the server session for its next client.
    pub server_reset_query: Option<String>,
    /// `query_wait_timeout` in seconds: how long a client's query waits for a free server session before
    /// PgBouncer fails it (its default is 120).
    pub query_wait_timeout: Option<u32>,
    /// Extra `[databases]` entries, `(alias, real database)`: a client connecting to `alias` gets the
    /// server's database `real`, as managed poolers name their pools.
    pub aliases: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pool_size: 20,
            server_reset_query: None,
            query_wait_timeout: None,
            aliases: Vec::new(),
        }
    }
}

/// A running PgBouncer forwarding every database of the test server.
pub struct PgBouncer {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// A free TCP port on 127.0.0.1 (free when asked; a race with another process is possible but rare).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl PgBouncer {
    /// Starts PgBouncer in `mode` in front of the server of `admin_url` (trust authentication, as the
    /// test server has), and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// When PgBouncer is not installed or does not start; the message says how to install it.
    pub fn start(admin_url: &str, mode: PoolMode) -> PgBouncer {
        PgBouncer::start_with(admin_url, mode, &Options::default())
    }

    /// [`PgBouncer::start`] with `options`.
    ///
    /// # Panics
    ///
    /// As [`PgBouncer::start`].
    pub fn start_with(admin_url: &str, mode: PoolMode, options: &Options) -> PgBouncer {
        assert!(
            std::path::Path::new(PGBOUNCER).is_file(),
            "{PGBOUNCER} is missing: install the Debian package (apt-get install pgbouncer); .ci/run does"
        );
        let url = url::Url::parse(admin_url).expect("the admin URL parses");
        let host = url.host_str().unwrap_or("127.0.0.1").to_owned();
        let server_port = url.port().unwrap_or(5432);
        let user = if url.username().is_empty() {
            "postgres".to_owned()
        } else {
            url.username().to_owned()
        };
        let password = url.password().unwrap_or_default().to_owned();
        let dir = tempfile::Builder::new()
            .prefix("pgbouncer-")
            .tempdir()
            .expect("a temporary folder");
        let port = free_port();
        let mode = match mode {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
        };
        let mut aliases = String::new();
        for (alias, real) in &options.aliases {
            aliases.push_str(&format!(
                "{alias} = host={host} port={server_port} dbname={real}\n"
            ));
        }
        let mut extra = String::new();
        if let Some(query) = &options.server_reset_query {
            extra.push_str(&format!("server_reset_query = {query}\n"));
        }
        if let Some(secs) = options.query_wait_timeout {
            extra.push_str(&format!("query_wait_timeout = {secs}\n"));
        }
        let config = format!(
            "[databases]\n\
             {aliases}\
             * = host={host} port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {auth}\n\
             pool_mode = {mode}\n\
             max_client_conn = 500\n\
             default_pool_size = {pool_size}\n\
             ignore_startup_parameters = extra_float_digits,options\n\
             logfile =\n\
             pidfile =\n\
             {extra}",
            auth = dir.path().join("users.txt").display(),
            pool_size = options.pool_size,
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), config).expect("write pgbouncer.ini");
        std::fs::write(
            dir.path().join("users.txt"),
            format!("\"{user}\" \"{password}\"\n"),
        )
        .expect("write users.txt");
        let mut cmd = Command::new(PGBOUNCER);
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc_geteuid() } == 0 {
            cmd.args(["-u", "nobody"]);
            make_readable(dir.path());
        }
        cmd.arg(dir.path().join("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("pgbouncer starts");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("pgbouncer exited ({status}) before listening:\n{err}");
            }
            assert!(
                Instant::now() < deadline,
                "pgbouncer does not listen on 127.0.0.1:{port} after 15 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        PgBouncer { child, dir, port }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `url` (a test database's) with its host and port replaced by the pooler's.
    pub fn url_for(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).expect("the URL parses");
        url.set_host(Some("127.0.0.1")).expect("set host");
        url.set_port(Some(self.port)).expect("set port");
        url.to_string()
    }

    /// [`PgBouncer::url_for`] with the database name replaced by `database` (an alias of
    /// [`Options::aliases`]).
    pub fn url_for_database(&self, url: &str, database: &str) -> String {
        let mut url = url::Url::parse(&self.url_for(url)).expect("the URL parses");
        url.set_path(&format!("/{database}"));
        url.to_string()
    }

    /// Its configuration folder (for messages).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn make_readable(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644));
    }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
