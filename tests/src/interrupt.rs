//! A runner process interrupted at a chosen moment, in each way a deploy gets interrupted: SIGINT, SIGTERM,
//! SIGKILL, its own `--max-duration`, its sessions ended by the server (a lost connection), a backfill pause
//! longer than `max_pause`, and the server restarted (on a throwaway cluster, by the caller's hook). The moment
//! is counted from an [`Anchor`]: the migration's start as the run's JSON log records it, or the migration
//! lock, so that it falls inside the migration's work rather than in the process's start.
//!
//! Every process started here is killed and reaped when its [`Process`] is dropped, so a failed assertion
//! leaves none running.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

/// The `application_name` of the session that holds backfills back while it is connected (see [`CONFIG`]).
pub const GATE_APPLICATION: &str = "resume: pause backfills";

/// The `migrate.toml` every run of the proofs uses: backfills wait while the gate's session is connected and
/// give up after 300 ms of one pause. They do not wait for autovacuum: an autovacuum of the table would
/// otherwise stop a run that nobody interrupted, after 300 ms.
pub const CONFIG: &str = "[backfill]
pause_for_vacuum = false
max_pause = \"300ms\"
pause_while = \"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE datname = pg_catalog.current_database() AND application_name = 'resume: pause backfills')\"
";

/// How long a runner may take to stop once interrupted before it counts as hung (and is killed).
const STOP_DEADLINE: Duration = Duration::from_secs(120);

/// A way to interrupt a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Sigint,
    Sigterm,
    Sigkill,
    /// `--max-duration`, ending at the moment.
    Budget,
    /// The runner's sessions ended by the server (`pg_terminate_backend`), as when the connection is lost.
    LostConnection,
    /// The backfill held back from the moment on, longer than `max_pause` (only where there is a backfill).
    LongPause,
    /// The server restarted (only with a [`Runner::restart`] hook).
    Restart,
}

impl Kind {
    /// Every kind that applies to any migration.
    pub const ANY_MIGRATION: [Kind; 5] = [
        Kind::Sigint,
        Kind::Sigterm,
        Kind::Sigkill,
        Kind::Budget,
        Kind::LostConnection,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Sigint => "SIGINT",
            Kind::Sigterm => "SIGTERM",
            Kind::Sigkill => "SIGKILL",
            Kind::Budget => "budget",
            Kind::LostConnection => "conn",
            Kind::LongPause => "pause",
            Kind::Restart => "restart",
        }
    }
}

/// A child process whose output goes to files (a full pipe would stall it); killed and reaped on drop.
#[derive(Debug)]
pub struct Process {
    child: Child,
    started: Instant,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// How a process ended.
#[derive(Debug, Clone)]
pub struct Ended {
    /// The exit status, `None` when a signal ended it.
    pub code: Option<i32>,
    pub elapsed: Duration,
    pub stdout: String,
    pub stderr: String,
    /// It did not stop within two minutes and was killed.
    pub hung: bool,
}

impl Ended {
    pub fn succeeded(&self) -> bool {
        self.code == Some(0)
    }

    /// What a report quotes: the first line of stderr, else of stdout (a fleet's summary), that says `error`
    /// or `failed`, else the last line of stderr; cut at 300 characters.
    pub fn error_line(&self) -> String {
        let says = |l: &&str| l.contains("error") || l.contains("failed");
        let line = self
            .stderr
            .lines()
            .find(says)
            .or_else(|| self.stdout.lines().find(says))
            .or_else(|| self.stderr.lines().rfind(|l| !l.trim().is_empty()))
            .map(str::trim);
        match line {
            Some(line) if line.chars().count() > 300 => {
                format!("{}...", line.chars().take(300).collect::<String>())
            }
            Some(line) => line.to_owned(),
            None => format!("exit {:?}, no output", self.code),
        }
    }
}

impl Process {
    /// Starts `cmd` with its output in files of `dir` (named after `label`).
    pub fn spawn(mut cmd: Command, dir: &Path, label: &str) -> Process {
        let stdout = dir.join(format!("{label}.stdout"));
        let stderr = dir.join(format!("{label}.stderr"));
        // Before the spawn: the process's own clock (its `--max-duration`) starts after this one.
        let started = Instant::now();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("the runner starts");
        Process {
            child,
            started,
            stdout,
            stderr,
        }
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Sends `signal` (`INT`, `TERM`, `KILL`) with kill(1); a process that already ended is left alone.
    pub fn signal(&mut self, signal: &str) {
        if self.has_exited() {
            return;
        }
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
    }

    /// Waits for the end (killing the process after two minutes), and reads its output.
    pub fn wait(mut self) -> Ended {
        let mut hung = false;
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break status;
            }
            if self.started.elapsed() > STOP_DEADLINE && !hung {
                hung = true;
                let _ = self.child.kill();
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Ended {
            code: status.code(),
            elapsed: self.started.elapsed(),
            stdout: std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
            hung,
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.has_exited() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// What the moment of an interruption is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The first record of the run's JSON log (`--log-file`, docs/json-log.md) about a migration
    /// (`migration_started`, or any other `migration_*` record should the engine start with another).
    MigrationStarted,
    /// A runner session holds an advisory lock on the database (the migration lock; a fleet's per target).
    Lock,
}

/// A fixture's runner pointed at a database, run in `cwd` (which holds [`CONFIG`] as `migrate.toml`).
#[derive(Clone, Copy)]
pub struct Runner<'a> {
    pub fixture: &'a str,
    pub url: &'a str,
    pub cwd: &'a Path,
    /// `up`, or `fleet up --schemas ...`.
    pub args: &'a [&'a str],
    /// Restarts the server, for [`Kind::Restart`]; returns once it accepts connections again.
    pub restart: Option<&'a (dyn Fn() + Sync)>,
    /// [`Anchor::MigrationStarted`] needs `--log-file`, which `up` has and `fleet up` has not.
    pub anchor: Anchor,
}

impl std::fmt::Debug for Runner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("fixture", &self.fixture)
            .field("cwd", &self.cwd)
            .field("args", &self.args)
            .field("restart", &self.restart.is_some())
            .field("anchor", &self.anchor)
            .finish()
    }
}

impl Runner<'_> {
    /// Writes [`CONFIG`] into `cwd`.
    pub fn write_config(cwd: &Path) {
        std::fs::write(cwd.join("migrate.toml"), CONFIG).expect("write migrate.toml");
    }

    /// Starts `self.args` (with `--log-file` when the anchor reads the log) and `extra`.
    fn spawn(&self, extra: &[String], label: &str) -> (Process, Option<PathBuf>) {
        let log = (self.anchor == Anchor::MigrationStarted)
            .then(|| self.cwd.join(format!("{label}.jsonl")));
        let mut cmd = crate::cli::runner(self.fixture);
        cmd.env("DATABASE_URL", self.url)
            .current_dir(self.cwd)
            .args(self.args)
            .args(extra);
        if let Some(log) = &log {
            cmd.arg("--log-file").arg(log);
        }
        (Process::spawn(cmd, self.cwd, label), log)
    }

    /// Waits for the anchor (or the end of the process); whether it came.
    fn wait_for_anchor(
        &self,
        monitor: &mut Client,
        process: &mut Process,
        log: Option<&Path>,
    ) -> bool {
        match log {
            Some(log) => wait_for_record(log, "migration_", process),
            None => wait_for_lock(monitor, process),
        }
    }

    /// Runs `args` (not `self.args`) to the end.
    pub fn run(&self, args: &[&str], label: &str) -> Ended {
        let mut cmd = crate::cli::runner(self.fixture);
        cmd.env("DATABASE_URL", self.url)
            .current_dir(self.cwd)
            .args(args);
        Process::spawn(cmd, self.cwd, label).wait()
    }

    /// Runs `self.args` to the end, uninterrupted; also how long after its start the anchor came.
    pub fn run_measured(&self, label: &str) -> (Ended, Duration) {
        let mut monitor = monitor(self.url);
        wait_for_runner_sessions_to_end(&mut monitor);
        let (mut process, log) = self.spawn(&[], label);
        self.wait_for_anchor(&mut monitor, &mut process, log.as_deref());
        let anchored = process.started().elapsed();
        (process.wait(), anchored)
    }

    /// Runs `self.args` and interrupts it `delay` after the anchor (for its own `--max-duration`, `delay`
    /// after `anchor_latency`, when the anchor came in an uninterrupted run).
    pub fn interrupt(
        &self,
        kind: Kind,
        delay: Duration,
        anchor_latency: Duration,
        label: &str,
    ) -> Attempt {
        let mut monitor = monitor(self.url);
        // A killed run's session may linger until the server notices: the lock seen must be this run's.
        wait_for_runner_sessions_to_end(&mut monitor);
        let budget = anchor_latency + delay;
        let extra = match kind {
            Kind::Budget => vec![
                "--max-duration".to_owned(),
                format!("{}ms", budget.as_millis().max(1)),
            ],
            _ => Vec::new(),
        };
        let (mut process, log) = self.spawn(&extra, label);
        let mut acted = false;
        let mut anchored = true;
        let mut anchor_at = None;
        let mut gate = None;
        if kind != Kind::Budget {
            anchored = self.wait_for_anchor(&mut monitor, &mut process, log.as_deref());
            anchor_at = anchored.then(|| process.started().elapsed());
            std::thread::sleep(delay);
            if !process.has_exited() {
                acted = true;
                match kind {
                    Kind::Sigint => process.signal("INT"),
                    Kind::Sigterm => process.signal("TERM"),
                    Kind::Sigkill => process.signal("KILL"),
                    Kind::LostConnection => terminate_runner_sessions(&mut monitor),
                    Kind::LongPause => gate = Some(Gate::close(self.url)),
                    Kind::Restart => match self.restart {
                        Some(restart) => restart(),
                        None => panic!("Kind::Restart needs a Runner::restart hook"),
                    },
                    Kind::Budget => unreachable!("handled by the runner itself"),
                }
            }
        }
        let ended = process.wait();
        if let Some(gate) = gate {
            gate.open(&mut monitor);
        }
        drop(monitor);
        if kind == Kind::Budget {
            // Whether the budget ran out after the anchor: the log says whether the migration started.
            anchored = log
                .as_deref()
                .is_none_or(|log| has_record(log, "migration_"));
        }
        let outcome = match (ended.succeeded(), kind) {
            (true, _) => Outcome::Completed,
            (false, Kind::Budget) if ended.elapsed >= budget => Outcome::Interrupted,
            (false, Kind::Budget) => Outcome::Failed,
            (false, _) if acted => Outcome::Interrupted,
            (false, _) => Outcome::Failed,
        };
        Attempt {
            kind,
            delay,
            outcome,
            delivered: acted || (kind == Kind::Budget && ended.elapsed >= budget),
            inside: outcome == Outcome::Interrupted && anchored,
            anchor_at,
            ended,
        }
    }
}

/// What became of one interrupted run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was still running at the moment and did not succeed.
    Interrupted,
    /// It succeeded (it was done before the moment, or finished anyway).
    Completed,
    /// It ended with an error before the moment: it failed on its own.
    Failed,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub kind: Kind,
    pub delay: Duration,
    pub outcome: Outcome,
    /// The interruption reached the run while it was still going (its budget ran out before its end): with
    /// [`Outcome::Completed`], the run finished all the same.
    pub delivered: bool,
    /// Interrupted after the anchor: inside the migration's work, not before it.
    pub inside: bool,
    /// When the anchor came, after the start (not known for [`Kind::Budget`]).
    pub anchor_at: Option<Duration>,
    pub ended: Ended,
}

/// A session of the test's own on the runner's database.
pub fn monitor(url: &str) -> Client {
    let mut config = postgres::Config::from_str(url).expect("URL");
    config
        .connect_timeout(crate::CONNECT_TIMEOUT)
        .application_name("resume monitor");
    config.connect(NoTls).expect("monitor connects")
}

/// Waits (at most a minute) until a runner session holds an advisory lock on the database; false when the
/// process ended first.
fn wait_for_lock(monitor: &mut Client, process: &mut Process) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && !process.has_exited() {
        let locked: bool = monitor
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a USING (pid) \
                 WHERE l.locktype = 'advisory' AND l.granted AND a.datname = pg_catalog.current_database() \
                 AND a.application_name LIKE 'migrate%')",
                &[],
            )
            .expect("pg_locks")
            .get(0);
        if locked {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// Waits (at most a minute) until the JSON log at `path` has a record whose event starts with `event`; false
/// when the process ended first.
fn wait_for_record(path: &Path, event: &str, process: &mut Process) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && !process.has_exited() {
        if has_record(path, event) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    has_record(path, event)
}

fn has_record(path: &Path, event: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(&format!("\"event\":\"{event}")))
}

/// Ends every runner session on the database, as a lost connection or a failover does.
fn terminate_runner_sessions(monitor: &mut Client) {
    monitor
        .batch_execute(
            "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity \
             WHERE datname = pg_catalog.current_database() AND application_name LIKE 'migrate%'",
        )
        .expect("terminate the runner's sessions");
}

/// Waits (at most 30 s) until no runner session is left on the database, as the next deploy's runner would
/// wait for the lock.
pub fn wait_for_runner_sessions_to_end(monitor: &mut Client) {
    wait_until_gone(monitor, "application_name LIKE 'migrate%'");
}

fn wait_until_gone(monitor: &mut Client, condition: &str) {
    let sql = format!(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity \
         WHERE datname = pg_catalog.current_database() AND {condition})"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if monitor.query_one(&sql, &[]).expect(&sql).get::<_, bool>(0) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("30 s later, sessions with {condition} are still on the database");
}

/// While connected, backfills of runs using [`CONFIG`] pause before their next batch.
struct Gate(Client);

impl Gate {
    fn close(url: &str) -> Gate {
        let mut config = postgres::Config::from_str(url).expect("URL");
        config.application_name(GATE_APPLICATION);
        Gate(config.connect(NoTls).expect("the gate connects"))
    }

    /// Disconnects, and waits until the server no longer lists the session (the next run must not see it).
    fn open(self, monitor: &mut Client) {
        drop(self.0);
        wait_until_gone(monitor, &format!("application_name = '{GATE_APPLICATION}'"));
    }
}
