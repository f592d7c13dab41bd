//! A throwaway PostgreSQL cluster of a test's own, for faults that must not touch the shared server:
//! restarting it (fast and immediate shutdown) in the middle of a run. `initdb` and `pg_ctl` of the
//! installed server (the newest under /usr/lib/postgresql), run as `nobody` when the tests run as root;
//! on 127.0.0.1 at a free port, with its socket in its own folder, deleted when dropped.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

/// A running throwaway cluster.
pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    run_as: Option<&'static str>,
    port: u16,
    // Last: deleted after `drop` stopped the server.
    dir: tempfile::TempDir,
}

/// How `pg_ctl` stops the server.
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

fn server_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).expect(
        "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)",
    )
}

impl Cluster {
    /// `initdb` and start.
    pub fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("migrate-test-cluster-")
            .tempdir()
            .expect("a temporary folder");
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let run_as = root.then_some("nobody");
        if let Some(user) = run_as {
            let ok = Command::new("chown")
                .arg(user)
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown {user} {}", dir.path().display());
        }
        let cluster = Cluster {
            bin: server_bin(),
            data: dir.path().join("data"),
            run_as,
            port: crate::pooler::free_port(),
            dir,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        cluster.start_server();
        cluster
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut c = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        c.current_dir(self.dir.path());
        c
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}\n{}\nserver log:\n{log}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start_server(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-l",
                &self.dir.path().join("server.log").display().to_string(),
                "-w",
                "-t",
                "60",
                "-o",
                &format!(
                    "-p {} -c listen_addresses=127.0.0.1 -k '{}'",
                    self.port,
                    self.dir.path().display()
                ),
                "start",
            ],
        );
    }

    /// Stops the server with `mode` and starts it again on the same port.
    pub fn restart(&self, mode: Shutdown) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-m",
                mode.arg(),
                "-w",
                "-t",
                "60",
                "stop",
            ],
        );
        self.start_server();
    }

    /// The admin URL (`postgres` database, superuser `postgres`).
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A new database on the cluster, and its URL.
    pub fn database(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.admin_url(), postgres::NoTls)
            .expect("connect to the throwaway cluster");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
