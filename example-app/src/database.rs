//! Getting a database ready: the connection pool, the migrations at start-up, and, for a first run on a
//! machine without a server, a throwaway local PostgreSQL cluster.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use migrate_cli::Embedded;
use migrate_core::{Entry, Event, Status, UpTarget};

use crate::migrations::{MIGRATIONS, REGISTRY};
use crate::phase::Phase;

/// How long the pool waits for the server to accept a connection before giving up with a message (the
/// migrations at start-up use the CLI's `connect_timeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections the pool keeps at most; small, since each is a server process.
pub const POOL_SIZE: usize = 16;

/// A pool of async connections for the web handlers. `sslmode` and `sslrootcert` in the URL work as in the
/// migration CLI.
pub fn pool(url: &str) -> Result<Pool> {
    let (driver_url, tls) = migrate_cli::connect::for_async_driver(url)?;
    let mut config: tokio_postgres::Config = driver_url
        .parse()
        .with_context(|| format!("invalid DATABASE_URL {}", migrate_cli::redact(url)))?;
    config.connect_timeout(CONNECT_TIMEOUT);
    let manager = Manager::from_config(
        config,
        tls,
        // Fast recycling skips a test query per checkout; a broken connection is dropped on its error.
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        .context("cannot build the connection pool")
}

/// The database URL the migration CLI would use here: `DATABASE_URL` from the environment, else from a
/// `.env` file in this folder or a parent. So every terminal of the walkthrough, app or CLI, finds the same
/// database. `None` when neither sets it.
pub fn configured_url() -> Result<Option<String>> {
    Ok(Embedded::new(&REGISTRY)?
        .settings()
        .database_url
        .clone()
        .filter(|url| !url.trim().is_empty()))
}

/// The migrations table (quoted `schema.name`) the migration CLI would use: the schema panel reads it.
pub fn migrations_table() -> Result<String> {
    Ok(Embedded::new(&REGISTRY)?.settings().table.quoted())
}

/// The names of the applied migrations in `status`.
fn applied_in(status: &Status) -> BTreeSet<String> {
    status
        .migrations
        .iter()
        .filter(|e| e.applied.is_some())
        .map(|e| e.name.clone())
        .collect()
}

/// What `--migrate` applies, chosen from the status read under the migration lock. During a rolling deploy
/// the previous app version still serves, so a new replica applies expands only: never a contract, which
/// retires a version that may be serving. Only on a database no app phase can run on yet (a fresh one)
/// can nothing be serving, and then it applies what `phase` needs, contracts included.
pub fn start_up_target(phase: Phase, status: &Status) -> UpTarget {
    let applied = applied_in(status);
    if !Phase::supported(&applied).is_empty() {
        return UpTarget::ExpandOnly;
    }
    let names: Vec<&str> = MIGRATIONS.iter().map(|m| m.name()).collect();
    match phase.migrate_up_to(&names) {
        Some(name) if !applied.contains(name) => UpTarget::To(name.to_owned()),
        Some(_) => UpTarget::ExpandOnly,
        None => UpTarget::All,
    }
}

/// Whether `target` selects nothing on a database in `status`.
fn nothing_to_apply(target: &UpTarget, status: &Status) -> bool {
    match target {
        UpTarget::ExpandOnly => status.expand_only().0.is_empty(),
        UpTarget::To(name) => status
            .migrations
            .iter()
            .any(|e| &e.name == name && e.applied.is_some()),
        _ => status.summary.pending + status.summary.out_of_order == 0,
    }
}

/// The first pending contract, with the app phase it retires.
fn pending_contract(status: &Status) -> Option<(&Entry, Option<Phase>)> {
    let (_, contract) = status.expand_only();
    contract.map(|c| (c, Phase::retired_by_migration(&c.name)))
}

/// `app phase vN`, or `an older app phase` when the contract retires none of the app's phases.
fn phase_words(phase: Option<Phase>) -> String {
    phase.map_or("an older app phase".to_owned(), |p| {
        format!("app phase {p}")
    })
}

/// Makes sure the schema suits `phase`. With `migrate`, first applies pending migrations (see
/// [`start_up_target`]: expands only while an older phase may be serving) through the same engine, settings
/// (`migrate.toml`, `MIGRATIONS_TABLE`, timeouts, TLS) and advisory lock as the migration CLI, so replicas
/// starting together apply each migration once. Awaiting it does not block the async runtime: the engine
/// runs on a thread of its own. Progress lines go to `say`.
pub async fn prepare_schema(
    url: &str,
    phase: Phase,
    migrate: bool,
    say: impl Fn(String) + Clone + Send + 'static,
) -> Result<()> {
    let migrations = Embedded::new(&REGISTRY)?.database_url(url);
    if migrate {
        let status = migrations.status().await?;
        let ran = if nothing_to_apply(&start_up_target(phase, &status), &status) {
            // Nothing to do: skip the lock, which a replica running later migrations may hold for long.
            Vec::new()
        } else {
            let say = say.clone();
            let on_event = move |e: Event<'_>| {
                match e {
                Event::WaitingForLock { holder, .. } => say(format!(
                    "waiting for the migration lock (held by server process {})",
                    holder.map_or("?".to_owned(), |p| p.to_string())
                )),
                Event::Continued {
                    name, done, total, ..
                } => say(format!(
                    "continuing up of {name}: {done} of its {total} statement(s) took effect in an earlier run"
                )),
                Event::Finished { name, .. } => say(format!("applied  {name}")),
                Event::Retrying { name, reason, .. } => say(format!("retrying {name}: {reason}")),
                Event::Notice {
                    name,
                    position,
                    op,
                    notice,
                    ..
                } => say(format!("{name} #{position} ({op}): {notice}")),
                _ => {}
            }
            };
            migrations
                .up_chosen(move |status| start_up_target(phase, status), on_event)
                .await?
        };
        say(format!("applied {} migration(s) at start-up", ran.len()));
    }
    let status = migrations.status().await?;
    let applied = applied_in(&status);
    let contract = pending_contract(&status);
    if let Err(message) = phase.check(&applied) {
        let needed = phase.requires();
        match contract {
            // What this phase needs waits behind a contract: say which, and when it may run.
            Some((c, retires))
                if !applied.contains(needed)
                    && c.name.as_str() <= needed
                    && !Phase::supported(&applied).is_empty() =>
            {
                bail!(
                "app phase {phase} needs {needed}; the contract {} must run first, once no {} is serving \
                 ({}): apply it with `cargo run -p migrate-cli -- up --to {}` after the rollout, then start \
                 app phase {phase} (with --migrate for what follows it)",
                c.name,
                phase_words(retires),
                c.contract.as_deref().unwrap_or_default(),
                c.name
                )
            }
            _ => bail!(message),
        }
    }
    if let Some((c, retires)) = contract {
        if migrate {
            say(format!(
                "left for after the rollout: the contract {} ({}); apply it with \
                 `cargo run -p migrate-cli -- up --to {}` once no {} is serving",
                c.name,
                c.contract.as_deref().unwrap_or_default(),
                c.name,
                phase_words(retires)
            ));
        }
    }
    let pending = MIGRATIONS
        .iter()
        .filter(|m| !applied.contains(m.name()))
        .count();
    if pending > 0 {
        say(format!(
            "{pending} newer migration(s) pending; app phase {phase} does not need them"
        ));
    }
    Ok(())
}

/// The message when there is neither `DATABASE_URL` nor a PostgreSQL server to start.
pub const NO_DATABASE: &str = "no database: DATABASE_URL is not set, and no PostgreSQL server binaries \
(initdb, pg_ctl) were found in PG_BINDIR, /usr/lib/postgresql/<version>/bin or PATH to start a throwaway one.
Either point the app at a server you have:
    DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DBNAME cargo run -p example-app -- --migrate
or install PostgreSQL (Debian/Ubuntu: `sudo apt-get install postgresql`; macOS: `brew install postgresql`) and run the same command without DATABASE_URL,
or start one in Docker and point at it:
    docker run -d -e POSTGRES_HOST_AUTH_METHOD=trust -p 5432:5432 postgres
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run -p example-app -- --migrate";

/// The folder holding `initdb` and `pg_ctl`: `PG_BINDIR`, the newest Debian-style
/// `/usr/lib/postgresql/<version>/bin`, or the folder on `PATH` that has both.
pub fn find_server_bin() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PG_BINDIR").map(PathBuf::from) {
        return has_both(&dir).then_some(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|dir| has_both(dir))
}

/// A PostgreSQL cluster in a temporary folder, started with `pg_ctl` and stopped and deleted on drop.
/// Trust authentication, listening on 127.0.0.1 only, on a free port. For trying the app on a machine
/// without a server; nothing in it survives the process.
#[derive(Debug)]
pub struct LocalCluster {
    bin: PathBuf,
    data: PathBuf,
    /// The unprivileged user that owns the cluster when this process runs as root (initdb refuses root).
    run_as: Option<String>,
    url: String,
    // Last, so the folder is deleted after `drop` has stopped the server.
    dir: tempfile::TempDir,
}

impl LocalCluster {
    /// `initdb` and `pg_ctl start` from `bin`, as a non-root user when this process is root.
    pub fn start(bin: &Path) -> Result<LocalCluster> {
        let dir = tempfile::Builder::new()
            .prefix("example-app-pg-")
            .tempdir()
            .context("cannot create a temporary folder for the local cluster")?;
        let run_as = if running_as_root() {
            let user = ["postgres", "nobody"]
                .into_iter()
                .find(|u| Command::new("id").arg("-u").arg(u).output().is_ok_and(|o| o.status.success()))
                .ok_or_else(|| anyhow!("running as root and neither user `postgres` nor `nobody` exists to own the cluster"))?;
            checked(
                Command::new("chown").arg(user).arg(dir.path()),
                "chown of the cluster folder",
            )?;
            Some(user.to_owned())
        } else {
            None
        };
        // A free port now; another process could take it before the server starts, then pg_ctl says so.
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .context("cannot find a free local port")?
            .port();
        let data = dir.path().join("data");
        let cluster = LocalCluster {
            bin: bin.to_owned(),
            data,
            run_as,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir,
        };
        let mut initdb = cluster.command("initdb");
        initdb.arg("-D").arg(&cluster.data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        checked(&mut initdb, "initdb")?;
        let log = cluster.dir.path().join("server.log");
        let mut start = cluster.command("pg_ctl");
        start
            .arg("-D")
            .arg(&cluster.data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o"])
            // The socket goes into our folder: the default one (/var/run/postgresql) may not exist.
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c fsync=off -k '{}'",
                cluster.dir.path().display()
            ))
            .arg("start");
        if let Err(e) = checked(&mut start, "pg_ctl start") {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            bail!("{e:#}\nserver log:\n{tail}");
        }
        Ok(cluster)
    }

    /// URL of the cluster's `postgres` database as the `postgres` superuser.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]);
        // The server may already be gone (Ctrl-C reaches it too); only a server still running matters.
        if let Ok(out) = stop.output() {
            if !out.status.success() && self.data.join("postmaster.pid").exists() {
                eprintln!(
                    "warning: could not stop the local cluster: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

/// Whether this process runs as root: `/proc/self` belongs to the effective user (no `unsafe` getuid).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs `cmd`; an error with its output when it cannot start or fails.
fn checked(cmd: &mut Command, what: &str) -> Result<Output> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {what} ({:?})", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}
