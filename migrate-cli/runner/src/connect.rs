//! Finding and opening the database connection. The password never appears in output: every URL shown goes
//! through [`redact`].

use std::str::FromStr;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use migrate_core::Notices;
use postgres::Client;

use crate::conninfo;
pub use crate::conninfo::redact;
use crate::settings::Settings;
pub use crate::tls::TlsConnector;
use crate::tls::{self, SslMode, Tls};

/// Where the connection settings came from, and how to show them.
#[derive(Debug, Clone)]
pub struct Target {
    config: postgres::Config,
    /// The password, for the PostgreSQL tools' `PGPASSWORD`.
    secret: Option<String>,
    /// The password and whatever else the display hides (see [`redact`]), to scrub from driver messages
    /// should one ever quote it.
    hidden: Vec<String>,
    /// A display form with the password hidden.
    pub display: String,
    /// `sslmode` and the root certificate.
    pub tls: Tls,
}

/// Resolves the connection: `--database-url`/`DATABASE_URL` (a `.env` file was loaded into the environment
/// already), else libpq's `PG*` variables. Nothing is invented: with neither, it is an error.
pub fn resolve(url: Option<&str>) -> Result<Target> {
    if let Some(url) = url.filter(|u| !u.trim().is_empty()) {
        let (rest, tls) = read(url)?;
        let mut config = postgres::Config::from_str(&tls::with_driver_mode(&rest, &tls))
            .map_err(|e| conninfo::invalid(url, &describe(&e)))?;
        if config.get_hosts().is_empty() {
            return Err(conninfo::invalid(url, &"it names no host"));
        }
        tls.configure(&mut config);
        let secret = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let mut hidden = conninfo::secrets(url);
        hidden.extend(secret.clone().filter(|s| !s.is_empty()));
        return Ok(Target {
            config,
            display: redact(url),
            secret,
            hidden,
            tls,
        });
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER"]
        .iter()
        .all(|v| var(v).is_none())
    {
        bail!(
            "no database given: pass --database-url, set DATABASE_URL (in the environment or a .env file), \
             or set libpq's PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD"
        );
    }
    let mut config = postgres::Config::new();
    let user = var("PGUSER")
        .or_else(|| var("USER"))
        .unwrap_or_else(|| "postgres".to_owned());
    let dbname = var("PGDATABASE").unwrap_or_else(|| user.clone());
    // As libpq: PGHOST may list several hosts, tried in order, and PGPORT one port for all or one per host.
    let host_list = var("PGHOST").unwrap_or_else(|| "localhost".to_owned());
    let hosts: Vec<&str> = host_list.split(',').map(str::trim).collect();
    // A host is shown only when it holds no credentials (a URL put in PGHOST, say).
    let shown_hosts = || {
        hosts
            .iter()
            .map(|h| conninfo::shown_value(h))
            .collect::<Vec<_>>()
            .join(",")
    };
    if hosts.iter().any(|h| h.is_empty()) {
        bail!(
            "invalid PGHOST \"{}\": an empty host in the list",
            shown_hosts()
        );
    }
    let ports = match var("PGPORT") {
        Some(p) => p
            .split(',')
            .map(|port| port.trim().parse::<u16>())
            .collect::<Result<Vec<u16>, _>>()
            .map_err(|_| anyhow!("invalid PGPORT {p:?}: expected a port number"))?,
        None => vec![5432],
    };
    if ports.len() != 1 && ports.len() != hosts.len() {
        bail!(
            "PGPORT lists {} ports for {} hosts in PGHOST; give one port for all hosts, or one per host",
            ports.len(),
            hosts.len()
        );
    }
    let mut shown = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        let port = ports.get(i).copied().unwrap_or(ports[0]);
        config.host(host).port(port);
        shown.push(format!("{}:{port}", conninfo::shown_value(host)));
    }
    config.user(&user).dbname(&dbname);
    if let Some(attrs) = var("PGTARGETSESSIONATTRS") {
        config.target_session_attrs(match attrs.as_str() {
            "any" => postgres::config::TargetSessionAttrs::Any,
            "read-write" => postgres::config::TargetSessionAttrs::ReadWrite,
            other => bail!(
                "invalid PGTARGETSESSIONATTRS {other:?}: this tool supports any and read-write"
            ),
        });
    }
    let secret = var("PGPASSWORD");
    if let Some(password) = &secret {
        config.password(password);
    }
    let (_, tls) = tls::extract("")?;
    config.ssl_mode(tls.mode.driver_mode());
    tls.configure(&mut config);
    Ok(Target {
        config,
        display: format!(
            "postgres://{user}@{}/{dbname} (from PG* variables)",
            shown.join(",")
        ),
        hidden: secret.clone().into_iter().collect(),
        secret,
        tls,
    })
}

/// `url` checked ([`conninfo::checked`]) and its TLS settings taken out, every error made by
/// [`conninfo::invalid`].
fn read(url: &str) -> Result<(String, tls::Tls)> {
    conninfo::checked(url)?;
    tls::extract(url).map_err(|e| conninfo::invalid(url, &format!("{e:#}")))
}

/// The migrator's connection for `settings`: [`resolve`] of [`Settings::url`], the direct URL when one is
/// given. A direct URL is the migrator's way past the pooler of the application's `DATABASE_URL`, to the same
/// database; one that names another database (a stale `MIGRATE_DIRECT_URL` left in a `.env` file, say) would
/// migrate that one instead, without a word. So when both are given and name different databases, the
/// database behind `DATABASE_URL` is asked its name (a pooler may call a database by another name, an
/// alias), and unless it is the direct URL's, nothing runs: the error names both and how to go on. Making the
/// two agree (the same URL as `--database-url` too, or no `DATABASE_URL`) is how to migrate another
/// database on purpose.
pub fn resolve_settings(settings: &Settings) -> Result<Target> {
    let target = resolve(settings.url())?;
    let given = |url: &Option<String>| url.clone().filter(|u| !u.trim().is_empty());
    let (Some(_), Some(app_url)) = (given(&settings.direct_url), given(&settings.database_url))
    else {
        return Ok(target);
    };
    // A DATABASE_URL that cannot be read names no database to compare; the application reports it.
    let Ok(app) = resolve(Some(&app_url)) else {
        return Ok(target);
    };
    let (direct, named) = (target.dbname(), app.dbname());
    if direct == named {
        return Ok(target);
    }
    let behind = app.current_database(settings.connect_timeout);
    if behind.as_deref().ok() == Some(direct.as_str()) {
        return Ok(target);
    }
    let asked = match behind {
        Ok(actual) if actual == named => String::new(),
        Ok(actual) => format!(" (the server behind it calls it {actual:?})"),
        Err(e) => {
            format!(" (the server behind it could not be asked which database that is: {e:#})")
        }
    };
    bail!(
        "the direct URL (MIGRATE_DIRECT_URL or --direct-url) {} names the database {direct:?}, but DATABASE_URL (or \
         --database-url) {} names {named:?}{asked}. The direct URL is the migrator's way to the application's \
         database, so both must name the same one: a stale direct URL (left in a .env file, say) would migrate \
         another database. Nothing was run. Correct the one that is wrong; to migrate {direct:?} on purpose, give its \
         URL as --database-url too, or leave DATABASE_URL unset",
        target.display,
        app.display
    )
}

/// For an application's own async connections (tokio-postgres, deadpool-postgres) to `url`, read as the CLI
/// reads it: the connection string for the driver (`sslmode` reduced to what it knows) and a TLS connector
/// that verifies what `sslmode` asks for (`verify-ca`, `verify-full`, `sslrootcert`).
pub fn for_async_driver(url: &str) -> Result<(String, TlsConnector)> {
    let (rest, tls) = read(url)?;
    Ok((tls::with_driver_mode(&rest, &tls), tls.connector()?))
}

impl Target {
    /// libpq's environment variables for this connection, for the PostgreSQL tools (`pg_dump`): the
    /// password travels in `PGPASSWORD`, never on a command line.
    /// The TLS settings travel too (`PGSSLMODE`, `PGSSLNEGOTIATION`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`), so the tool verifies the server as this
    /// connection does instead of falling back to libpq's unverified default. Several hosts are passed as
    /// libpq's comma-separated lists.
    pub fn libpq_env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                postgres::config::Host::Tcp(host) => host.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(dir) => dir.display().to_string(),
            })
            .collect();
        if !hosts.is_empty() {
            env.push(("PGHOST", hosts.join(",")));
        }
        let ports: Vec<String> = self.config.get_ports().iter().map(u16::to_string).collect();
        if !ports.is_empty() {
            env.push(("PGPORT", ports.join(",")));
        }
        if let Some(user) = self.config.get_user() {
            env.push(("PGUSER", user.to_owned()));
        }
        env.push(("PGDATABASE", self.dbname()));
        if let Some(secret) = &self.secret {
            env.push(("PGPASSWORD", secret.clone()));
        }
        env.push(("PGSSLMODE", self.tls.mode.libpq_value().to_owned()));
        if self.tls.negotiation == tls::SslNegotiation::Direct {
            // A libpq older than 17 ignores it, and asks first, which a newer server answers too.
            env.push(("PGSSLNEGOTIATION", "direct".to_owned()));
        }
        for (var, file) in [
            ("PGSSLROOTCERT", &self.tls.root_cert),
            ("PGSSLCERT", &self.tls.client_cert),
            ("PGSSLKEY", &self.tls.client_key),
        ] {
            if let Some(file) = file {
                env.push((var, file.display().to_string()));
            }
        }
        env
    }

    /// The same server and credentials, another database.
    pub fn with_dbname(&self, dbname: &str) -> Target {
        let mut config = self.config.clone();
        config.dbname(dbname);
        Target {
            config,
            display: format!("database {dbname} on the server of {}", self.display),
            secret: self.secret.clone(),
            hidden: self.hidden.clone(),
            tls: self.tls.clone(),
        }
    }

    /// The same server, database `dbname` as `user` with `password` (a role made for one command).
    pub(crate) fn as_role(&self, dbname: &str, user: &str, password: &str) -> Target {
        let mut config = self.config.clone();
        config.dbname(dbname);
        config.user(user);
        config.password(password);
        Target {
            config,
            display: format!(
                "database {dbname} as {user} on the server of {}",
                self.display
            ),
            secret: Some(password.to_owned()),
            hidden: self
                .hidden
                .iter()
                .cloned()
                .chain([password.to_owned()])
                .collect(),
            tls: self.tls.clone(),
        }
    }

    /// The server as `host:port` (several joined with commas), for telling a fleet's targets apart and
    /// naming them: a host that holds credentials (`user:pw@host`, a URL that lost its scheme) is hidden.
    pub(crate) fn server(&self) -> String {
        let ports = self.config.get_ports();
        self.config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let host = match host {
                    postgres::config::Host::Tcp(host) => {
                        conninfo::shown_value(&host.to_lowercase())
                    }
                    #[cfg(unix)]
                    postgres::config::Host::Unix(dir) => dir.display().to_string(),
                };
                let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
                format!("{host}:{port}")
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The database name (libpq's default, the user name, when none is given).
    pub fn dbname(&self) -> String {
        self.config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres")
            .to_owned()
    }

    /// The name of the database this connection reaches, as the server says (a pooler may call it by
    /// another name): one plain query on a connection of its own, without the pooler check, so a pooler in
    /// transaction mode answers it too.
    fn current_database(&self, timeout: Duration) -> Result<String> {
        let mut client = self.connect_unchecked(timeout)?;
        let (name, _) = session_of(&mut client, "SELECT pg_catalog.current_database(), ''")
            .map_err(|e| self.error(&e))?;
        Ok(name)
    }

    /// A driver error of a session on this target, described with its causes and the password scrubbed.
    pub(crate) fn error(&self, e: &postgres::Error) -> anyhow::Error {
        anyhow!("{}", self.scrub(&describe(e)))
    }

    /// `message` with the password (and whatever else the display hides) replaced by `***`.
    pub fn scrub(&self, message: &str) -> String {
        let mut hidden: Vec<&String> = self.hidden.iter().collect();
        hidden.sort_by_key(|s| std::cmp::Reverse(s.len()));
        hidden
            .into_iter()
            .fold(message.to_owned(), |message, secret| {
                message.replace(secret.as_str(), "***")
            })
    }

    /// Opens the connection, waiting at most `timeout` for the server.
    pub fn connect(&self, timeout: Duration) -> Result<Client> {
        self.open(timeout, None)
    }

    /// Opens the connection with the server's notices and warnings collected in `notices`, so a run can
    /// report each with the migration and operation it came from.
    pub fn connect_collecting(&self, timeout: Duration, notices: &Notices) -> Result<Client> {
        self.open(timeout, Some(notices))
    }

    /// A connection without the pooler check, for the check that the server still answers and other
    /// one-off simple queries. Nothing runs on it before the caller's first query: in a full session pool
    /// that query is the one that waits for a server session, within the caller's own bound.
    pub fn connect_unchecked(&self, timeout: Duration) -> Result<Client> {
        self.connect_as(timeout, "migrate")
    }

    /// The connection that watches a run's locks (`application_name` `migrate lock watch`, so it is told
    /// apart from the run's own session), as a closure for [`migrate_core::Migrator::watch_locks`].
    pub fn lock_watch(
        &self,
        timeout: Duration,
    ) -> impl Fn() -> Result<Client, String> + Send + Sync {
        let target = self.clone();
        move || {
            // The watcher prepares its query, so a session handed over with an earlier client's statements
            // is cleared first (the other connections here use simple queries only, and must not wait in a
            // full pool's queue for a statement they do not need).
            target
                .connect_as(timeout, "migrate lock watch")
                .and_then(|mut client| {
                    forget_prepared_statements(&mut client, &target.display)?;
                    Ok(client)
                })
                .map_err(|e| format!("{e:#}"))
        }
    }

    fn connect_as(&self, timeout: Duration, application: &str) -> Result<Client> {
        let mut config = self.config.clone();
        config.connect_timeout(timeout);
        config.application_name(application);
        let tls = self.tls.clone();
        let client = within(timeout, move || connect_as_libpq(config, &tls))
            .ok_or_else(|| {
                anyhow!(
                    "connecting timed out after {}",
                    humantime::format_duration(timeout)
                )
            })?
            .map_err(|e| anyhow!("{}", self.scrub(&e)))?;
        Ok(client)
    }

    /// [`connect_collecting`](Self::connect_collecting) without the pooler check, for a fleet's many
    /// sessions to one address: the check opens a second connection, so a fleet makes it once per address.
    pub(crate) fn connect_checked_already(
        &self,
        timeout: Duration,
        notices: &Notices,
    ) -> Result<Client> {
        self.open_with(timeout, Some(notices), false)
    }

    fn open(&self, timeout: Duration, notices: Option<&Notices>) -> Result<Client> {
        self.open_with(timeout, notices, true)
    }

    fn open_with(
        &self,
        timeout: Duration,
        notices: Option<&Notices>,
        check_pooler: bool,
    ) -> Result<Client> {
        let mut config = self.config.clone();
        config.connect_timeout(timeout);
        // A peer that vanished without closing the connection (a dropped network path) is noticed by the
        // kernel within about a minute instead of never; a server that is reachable but stopped answering
        // is the run's server check's to notice (watchdog).
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .keepalives_interval(Duration::from_secs(10))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(60));
        if let Some(notices) = notices {
            notices.install(&mut config);
        }
        if config.get_application_name().is_none() {
            config.application_name("migrate");
        }
        let tls = self.tls.clone();
        let mut client = within(timeout, move || connect_as_libpq(config, &tls))
            .ok_or_else(|| {
                anyhow!(
                    "cannot connect to {}: it accepted the connection but did not answer within {} (a stopped \
                     server or proxy, a network dropping packets, or a slow login?); --connect-timeout sets the limit",
                    self.display,
                    humantime::format_duration(timeout)
                )
            })?
            .map_err(|e| {
            let message = self.scrub(&e);
            match self.tls.hint(&message) {
                Some(hint) => anyhow!(
                    "cannot connect to {}: {message}\nhint: {hint}",
                    self.display
                ),
                None => anyhow!("cannot connect to {}: {message}", self.display),
            }
        })?;
        if check_pooler {
            self.refuse_transaction_pooler(&mut client, timeout)?;
        } else {
            forget_prepared_statements(&mut client, &self.display)?;
        }
        Ok(client)
    }

    /// Refuses a connection whose session does not survive from one transaction to the next: a
    /// connection pooler in transaction (or statement) pooling mode, such as PgBouncer's
    /// `pool_mode = transaction`. Everything the runner relies on is session state there (the advisory lock
    /// that keeps two runners apart, session settings around migrations outside a transaction, the driver's
    /// prepared statements), and a pooler hands each transaction to whichever server session is free, so
    /// it would break silently or, worse, let two runners apply the same migration.
    ///
    /// Only simple queries are used here, as named prepared statements are what breaks first. The session is
    /// marked with a value of this check's own (random), and two signs, either of which settles it: this
    /// connection's transactions run in different server sessions (another backend process, or the mark gone
    /// in the next transaction), or a second, fresh connection lands in a session this one used (same
    /// backend process, or it sees this check's mark). A pooler reuses its most recently released server
    /// connection, so the second sign shows even when this client is alone; several rounds make a miss under
    /// heavy concurrent use unlikely.
    ///
    /// Only this check's own mark counts: a pooler in session mode whose `server_reset_query` is empty hands
    /// a server session to its next client as the last one left it, so a mark of an earlier run (or of
    /// another runner) in a fresh connection's session proves nothing.
    ///
    /// The second connection is a nicety, not a requirement. It may not get a server session at all: a server
    /// at its connection limit refuses it, and a session pooler whose pool is full (every server session
    /// bound to a client, this one's included) queues its query until one is released, or fails it after its
    /// `query_wait_timeout`. So it gets at most [`SECOND_SESSION_WAIT`], and an error or no answer in that
    /// time only means the second sign cannot be looked for. What is left is still telling: the first sign
    /// held in every round, and a pooler in transaction mode gives this connection's server session back to
    /// the pool whenever its transaction ends (it is idle while the second connection waits), so the second
    /// would have had a server session at once unless other clients kept every one busy the whole time;
    /// waiting in a full pool is what a pooler in session mode does. The check then passes on the first sign.
    fn refuse_transaction_pooler(&self, client: &mut Client, timeout: Duration) -> Result<()> {
        const ROUNDS: usize = 3;
        let marker = run_marker();
        let probe_error = |e: postgres::Error| {
            anyhow!(
                "cannot check the connection to {}: {}",
                self.display,
                self.scrub(&describe(&e))
            )
        };
        // DEALLOCATE ALL: see `forget_prepared_statements`; here in the check's first round trip.
        let (pid, _) = session_of(
            client,
            &format!(
                "SELECT pg_catalog.pg_backend_pid(), pg_catalog.set_config('{SESSION_MARKER}', '{marker}', false); \
                 DEALLOCATE ALL"
            ),
        )
        .map_err(probe_error)?;
        let wait = timeout.min(SECOND_SESSION_WAIT);
        let mut other: Option<Client> = None;
        for round in 0..ROUNDS {
            let (again, seen) = session_of(client, SESSION_QUERY).map_err(probe_error)?;
            if again != pid {
                return Err(self.pooled(&format!(
                    "two transactions of one connection ran in different server sessions (backend processes {pid} and {again})"
                )));
            }
            if seen != marker {
                return Err(self.pooled(
                    "a session setting made by the connection was gone in its next transaction",
                ));
            }
            if round == 0 {
                other = self.connect_unchecked(wait).ok();
            }
            let Some(mut second) = other.take() else {
                continue;
            };
            // On a thread of its own, as a query queued by a pooler waits for a server session with no
            // bound of the driver's; when it times out, the connection is left to that thread, which closes
            // it once the pooler answers.
            let answer = within(wait, move || {
                let answer = session_of(&mut second, SESSION_QUERY);
                (second, answer)
            });
            let Some((second, Ok((theirs, seen)))) = answer else {
                continue;
            };
            if theirs == pid {
                return Err(self.pooled(&format!(
                    "a second connection ran in the same server session as the first (backend process {pid})"
                )));
            }
            if seen == marker {
                return Err(self.pooled(
                    "a new connection found the session setting made by another connection",
                ));
            }
            other = Some(second);
        }
        // No mark is left behind for the server session's next client (a session pooler without a reset).
        session_of(
            client,
            &format!(
                "SELECT pg_catalog.pg_backend_pid(), pg_catalog.set_config('{SESSION_MARKER}', '', false)"
            ),
        )
        .map_err(probe_error)?;
        Ok(())
    }

    pub(crate) fn pooled(&self, sign: &str) -> anyhow::Error {
        anyhow!(
            "the connection to {} goes through a connection pooler in transaction pooling mode (or another proxy \
             that does not keep a session): {sign}. Migrations need a session of their own (the migration lock, \
             session settings and prepared statements live in the session), so nothing was run. Connect the migrator \
             directly to the server: set MIGRATE_DIRECT_URL (or pass --database-url) to the server's own address \
             (or a pooler in session mode), while the application keeps using the pooled DATABASE_URL",
            self.display
        )
    }
}

/// Drops the prepared statements a server session may still hold from its last client. A session pooler
/// whose `server_reset_query` is empty hands a server session over as the last client left it, and the
/// driver names its statements `s0`, `s1`, ... on every new connection, so the next client's first prepare
/// would fail with "prepared statement \"s0\" already exists". On a session of its own it does nothing.
fn forget_prepared_statements(client: &mut Client, display: &str) -> Result<()> {
    client
        .batch_execute("DEALLOCATE ALL")
        .map_err(|e| anyhow!("cannot prepare the session of {display}: {}", describe(&e)))
}

/// Connects as libpq does for the TLS settings `tls`, in one or two attempts:
/// - `disable`, `require`, `verify-*`: one attempt (TLS for the last three; a client certificate that
///   cannot be used is an error).
/// - `allow`: in plain text; when the server refuses that session (an error at start-up, such as
///   `pg_hba.conf` having only `hostssl` lines for it), again over TLS.
/// - `prefer`: over TLS when the server takes it; in plain text again when TLS cannot be set up (a client
///   certificate that cannot be used), its handshake fails (a root certificate file that does not verify
///   the server), or the server refuses the session over TLS (an error at start-up, such as `pg_hba.conf`
///   having only `hostnossl` lines for it, or a wrong password, tried twice as libpq tries it).
///
/// The error of a failed second attempt follows the first's. The message is the driver's, described. With
/// several hosts, each attempt is the driver's through the whole list (libpq makes the second try host by
/// host): the driver's configuration cannot be narrowed to one of its hosts.
fn connect_as_libpq(config: postgres::Config, tls: &Tls) -> Result<Client, String> {
    let plain = |mut config: postgres::Config| {
        config.ssl_mode(postgres::config::SslMode::Disable);
        config.connect(TlsConnector::disabled())
    };
    let refused_at_startup = |e: &postgres::Error| e.as_db_error().is_some();
    // The same refusal twice (a database that does not exist) is said once, as libpq says it.
    let both = |first: String, second: &postgres::Error, how: &str| {
        let second = describe(second);
        if first == second {
            first
        } else {
            format!("{first}; then {how}: {second}")
        }
    };
    match tls.mode {
        SslMode::Disable => plain(config).map_err(|e| describe(&e)),
        SslMode::Allow => match plain(config.clone()) {
            Err(e) if refused_at_startup(&e) => {
                let connector = tls
                    .connector()
                    .map_err(|setup| format!("{}; then over TLS: {setup:#}", describe(&e)))?;
                let mut again = config;
                again.ssl_mode(postgres::config::SslMode::Require);
                again
                    .connect(connector)
                    .map_err(|second| both(describe(&e), &second, "over TLS"))
            }
            result => result.map_err(|e| describe(&e)),
        },
        SslMode::Prefer => {
            let connector = match tls.connector() {
                Ok(connector) => connector,
                Err(setup) => {
                    return plain(config).map_err(|second| {
                        both(
                            format!("TLS could not be set up: {setup:#}"),
                            &second,
                            "without TLS",
                        )
                    })
                }
            };
            match config.clone().connect(connector) {
                Err(e)
                    if refused_at_startup(&e)
                        || e.to_string().starts_with("error performing TLS handshake") =>
                {
                    plain(config).map_err(|second| both(describe(&e), &second, "without TLS"))
                }
                result => result.map_err(|e| describe(&e)),
            }
        }
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            let connector = tls.connector().map_err(|setup| format!("{setup:#}"))?;
            config.connect(connector).map_err(|e| describe(&e))
        }
    }
}

/// Runs `f` on a thread of its own and waits at most `timeout` for it. The driver's connect timeout covers
/// only the TCP handshake: a server or proxy that accepts and then says nothing (stopped, or behind a
/// network that drops packets) would keep the startup waiting forever. The thread of such a connection is
/// left behind, blocked, until the process ends.
fn within<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("connect".to_owned())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.recv_timeout(timeout).ok()
}

/// The custom setting the pooler check marks a session with.
const SESSION_MARKER: &str = "migrate.session_marker";

/// How long the pooler check's second connection may wait for its server session: a full session pool
/// queues it (PgBouncer for two minutes by default) while a pooler in transaction mode has one free at once.
const SECOND_SESSION_WAIT: Duration = Duration::from_secs(2);

/// A mark no other run uses: 128 random bits, in hexadecimal.
fn run_marker() -> String {
    let mut bytes = [0u8; 16];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        // Without the system's randomness, the process and the time are unique enough on one machine.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        return format!("{}.{nanos}", std::process::id());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The backend process and the marker of the session a query runs in. A simple query returns every value as
/// text, so there is no cast to text: a migration may create one (`integer AS text`) that never returns.
const SESSION_QUERY: &str =
    "SELECT pg_catalog.pg_backend_pid(), coalesce(pg_catalog.current_setting('migrate.session_marker', true), '')";

/// Runs a one-row, two-column simple query (no prepared statement) and returns its values.
fn session_of(client: &mut Client, sql: &str) -> Result<(String, String), postgres::Error> {
    let messages = client.simple_query(sql)?;
    let row = messages.iter().find_map(|m| match m {
        postgres::SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    });
    let value = |i: usize| row.and_then(|r| r.get(i)).unwrap_or_default().to_owned();
    Ok((value(0), value(1)))
}

/// The error with its causes, which postgres::Error's own Display leaves out ("error connecting to server").
pub fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
    }
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(&format!(": {c}"));
        cause = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_urls_are_reported_without_the_password() {
        let err = resolve(Some("postgres://u:secret@h:notaport/db"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid database URL"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
}
