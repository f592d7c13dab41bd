//! Forwarding to the compiled runner: the generic `migrate` binary cannot load migration files, so commands
//! that need them run the runner binary of the crate that compiles the folder.
//!
//! When nothing the runner is built from changed since `migrate` last built it (the `freshness` module), the
//! built runner replaces this process at once, with no cargo invocation. Otherwise `migrate` runs one
//! `cargo build` of the runner (which reports compile errors at the migration file's own path and line), takes
//! the executable cargo reports, notes what it was built from, and then replaces itself with it. Either way the
//! runner ends up with this process's id, arguments, environment and terminal, so signals sent to `migrate`
//! reach the runner and its exit status is `migrate`'s.
//!
//! `lint` is the exception: the front end runs the rules itself, on what the runner collects, so the runner
//! runs as a child whose output the front end reads ([`capture`]; see the `commands::lint` module).

use std::ffi::OsString;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{ChildStderr, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::freshness::{self, Build};
use migrate_runner::config::{Config, RunnerConfig};
use migrate_runner::stdio::errln;

/// The profile used when neither `--release` nor `[runner] profile` names one.
pub const DEFAULT_PROFILE: &str = "dev";

/// Runs the runner of `[runner]` with `args`, building it first unless it is fresh. Returns only on failure
/// (or, on platforms without `exec`, with the runner's exit code).
pub fn forward(config: &Config, release: bool, args: Vec<OsString>) -> Result<ExitCode> {
    let runner = runner(config, release)?;
    run(&runner, args)
}

/// A runner ready to start.
pub struct Runner {
    /// Its executable.
    pub exe: PathBuf,
    /// When every file it was built from was just found to hold what its build read (a fresh runner, or a
    /// build that no file changed under), the note that tells the runner so, naming the executable as it was
    /// then: it does not compare the migrations folder again ([`migrate_runner::checked`]).
    note: Option<String>,
}

impl Runner {
    fn new(exe: PathBuf, checked: bool) -> Runner {
        let note = checked
            .then(|| migrate_runner::checked::note(&exe))
            .flatten();
        Runner { exe, note }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.exe);
        match &self.note {
            Some(note) => command.env(migrate_runner::checked::ENV, note),
            None => command.env_remove(migrate_runner::checked::ENV),
        };
        command
    }
}

/// The runner of `[runner]`'s executable, built first unless it is fresh.
pub fn runner(config: &Config, release: bool) -> Result<Runner> {
    let Some(runner) = &config.file.runner else {
        let found = match &config.path {
            Some(p) => format!("{} has no [runner] table", p.display()),
            None => format!(
                "no {} was found in this folder or its parents",
                migrate_runner::config::FILE_NAME
            ),
        };
        bail!(
            "this command needs the compiled migrations, but {found}; add\n\n[runner]\npackage = \"<crate that compiles the migrations>\"\nbin = \"<its runner binary>\"\n"
        );
    };
    let (build, manifest, profile) = request(config, runner, release)?;
    let runner = match freshness::fresh_runner(&build) {
        Ok(exe) => Runner::new(exe, true),
        Err(why) => {
            let marked = match &why {
                freshness::Stale::Changed { paths, .. } => paths.as_slice(),
                _ => &[],
            };
            freshness::mark_changed(marked);
            let started = SystemTime::now();
            let exe = cargo_build(&manifest, runner, &profile, &why)
                .map_err(|e| other_tools_names_hint(config, e))?;
            // A runner whose inputs cannot all be listed is simply built again next time.
            let checked = freshness::record(&build, &exe, started, marked);
            Runner::new(exe, checked)
        }
    };
    Ok(runner)
}

/// A build that failed where the migrations folder holds a file named as Flyway or refinery name theirs (the
/// build script said which): the command that converts such a folder.
fn other_tools_names_hint(config: &Config, error: anyhow::Error) -> anyhow::Error {
    if error.is::<BuildStopped>() {
        return error;
    }
    let named_elsewhere = std::fs::read_dir(config.migrations_dir())
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            e.file_name()
                .to_str()
                .is_some_and(migrate_core::naming::versioned_elsewhere)
        });
    if !named_elsewhere {
        return error;
    }
    migrate_runner::Hinted::new(error, migrate_runner::OTHER_TOOLS_NAMES_HINT).into()
}

/// How a runner run by [`capture`] ended.
#[derive(Debug)]
pub enum Captured {
    /// It succeeded, and printed this on stdout.
    Stdout(String),
    /// It failed with this exit code; what it printed on stderr (its error) has been passed on.
    Failed(ExitCode),
    /// It does not know `flag`: a runner built by an older version of migrate-cli. Nothing was passed on.
    UnknownFlag,
}

/// Runs the runner `exe` with `args` as a child (not in place of this process) and keeps its stdout, for a
/// command that the front end finishes itself (`lint`: the runner collects, the front end runs the rules).
/// `flag` is the argument in `args` that older runners do not know: one that rejects it ends as
/// [`Captured::UnknownFlag`], so that the caller can forward the command as before. Its stderr is held until
/// it ends for that reason, then passed on as it is; a line starting with `error:` gets the colour the
/// runner would have given it on this terminal.
pub fn capture(runner: &Runner, args: Vec<OsString>, flag: &str) -> Result<Captured> {
    let exe = &runner.exe;
    let mut child = runner
        .command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run the migrations runner {}", exe.display()))?;
    // SIGTERM sent to `migrate` alone reaches the runner (Ctrl-C reaches both with the process group).
    migrate_runner::signals::relay_to(child.id());
    let stderr = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stderr, &mut text);
            text
        })
    });
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        std::io::Read::read_to_end(&mut out, &mut stdout)
            .with_context(|| format!("cannot read the output of {}", exe.display()))?;
    }
    let status = child.wait();
    migrate_runner::signals::stop_relaying();
    let status = status.with_context(|| format!("cannot wait for {}", exe.display()))?;
    let stderr = stderr
        .and_then(|thread| thread.join().ok())
        .unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr);
    // clap's usage errors exit with 2 and quote the argument; the command's own errors exit with 1.
    if status.code() == Some(2) && stderr.contains(flag) {
        return Ok(Captured::UnknownFlag);
    }
    for line in stderr.split_inclusive('\n') {
        match line.strip_prefix("error:") {
            Some(rest) => migrate_runner::stdio::errln!(
                "{}{}",
                migrate_runner::colour::paint(
                    "error:",
                    migrate_runner::colour::Colour::Red,
                    migrate_runner::colour::Stream::Stderr
                ),
                rest.trim_end_matches(['\n', '\r'])
            ),
            None => migrate_runner::stdio::write_err(format_args!("{line}")),
        }
    }
    if status.success() {
        return String::from_utf8(stdout)
            .map(Captured::Stdout)
            .map_err(|_| {
                anyhow!(
                    "the migrations runner {} printed output that is not UTF-8",
                    exe.display()
                )
            });
    }
    let code = match (status.code(), ended_by_signal(&status)) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        // Ended by a signal: exit as a shell reports it (130 for SIGINT, 143 for SIGTERM).
        (None, Some(signal)) => 128u8.saturating_add(u8::try_from(signal).unwrap_or(0)),
        (None, None) => 1,
    };
    Ok(Captured::Failed(ExitCode::from(code)))
}

/// The build of the runner `[runner]` names, with the package's manifest and the profile.
fn request(
    config: &Config,
    runner: &RunnerConfig,
    release: bool,
) -> Result<(Build, PathBuf, String)> {
    let profile = profile(config, runner, release)?;
    let root = config.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let manifest = root.join("Cargo.toml");
    let build = Build::new(&manifest, &runner.package, &runner.bin, &profile);
    Ok((build, manifest, profile))
}

/// The build request of `config`'s runner, when it names one and its profile is valid.
pub(crate) fn build_request(config: &Config, release: bool) -> Option<Build> {
    let runner = config.file.runner.as_ref()?;
    request(config, runner, release)
        .ok()
        .map(|(build, _, _)| build)
}

/// `--release`, else `[runner] profile`, else dev.
fn profile(config: &Config, runner: &RunnerConfig, release: bool) -> Result<String> {
    if release {
        return Ok("release".to_owned());
    }
    match runner.profile.as_deref() {
        None => Ok(DEFAULT_PROFILE.to_owned()),
        Some(name)
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Ok(name.to_owned())
        }
        Some(name) => bail!(
            "invalid [runner] profile = {name:?} in {}: give the name of a cargo profile (dev, release, or a custom one)",
            config.describe()
        ),
    }
}

/// `cargo build` of the runner, with cargo's messages on stderr as usual; returns the executable's path.
///
/// A first build compiles every dependency and takes a minute or more, so it is never silent: a line before
/// says that the runner is being built and why, and one after how long it took. On a terminal cargo's
/// messages (its `Compiling` lines, compile errors in colour) come through the front end, under a line that
/// ticks every tenth of a second with the time so far and the crate being compiled: cargo's own progress bar
/// stands still for seconds while one large crate compiles. Elsewhere (CI logs, a pipe) cargo is quiet but
/// for compile errors, so a log gets the two lines only.
fn cargo_build(
    manifest: &Path,
    runner: &RunnerConfig,
    profile: &str,
    why: &freshness::Stale,
) -> Result<PathBuf> {
    let terminal = std::io::stderr().is_terminal();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(&cargo);
    cmd.arg("build");
    if terminal {
        cmd.arg("--color=always").stderr(Stdio::piped());
    } else {
        cmd.arg("--quiet");
    }
    cmd.args([
        // Diagnostics rendered as usual on stderr; stdout carries the artifacts as JSON.
        "--message-format=json-render-diagnostics",
        "--package",
        &runner.package,
        "--bin",
        &runner.bin,
        "--profile",
        profile,
    ])
    .arg("--manifest-path")
    .arg(manifest)
    .stdin(Stdio::null())
    .stdout(Stdio::piped());
    let first = if *why == freshness::Stale::FirstBuild {
        "; cargo compiles every dependency once, which takes a minute or more"
    } else {
        ""
    };
    errln!(
        "building the migrations runner {} ({why}{first})...",
        runner.bin
    );
    let clock = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;
    // Ctrl-C reaches cargo with the terminal's process group; SIGTERM sent to `migrate` alone is passed on.
    migrate_runner::signals::relay_to(child.id());
    let shown = child.stderr.take().map(show_progress);
    let mut exe = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if exe.is_none() {
                exe = executable(&line, &runner.bin);
            }
        }
    }
    let status = child.wait();
    if let Some((bar, passing_on)) = shown {
        // Cargo has ended: its stderr ends when the last build script it started does.
        let _ = passing_on.join();
        bar.finish_and_clear();
    }
    migrate_runner::signals::stop_relaying();
    let status = status.with_context(|| format!("cannot wait for {}", cargo.to_string_lossy()))?;
    // A signal that stopped the build (the front end's, or one that ended cargo) is what happened, not a
    // compile error: cargo printed nothing about it.
    if let Some(signal) = migrate_runner::signals::relayed().or_else(|| ended_by_signal(&status)) {
        return Err(BuildStopped {
            signal,
            bin: runner.bin.clone(),
            package: runner.package.clone(),
            profile: profile.to_owned(),
        }
        .into());
    }
    let failed = || {
        anyhow!(
            "building the migrations runner ({} in package {}, profile {profile}) failed; see cargo's messages above",
            runner.bin,
            runner.package
        )
    };
    if !status.success() {
        return Err(failed());
    }
    errln!(
        "built the migrations runner in {:.1} s",
        clock.elapsed().as_secs_f64()
    );
    exe.ok_or_else(|| {
        failed().context(format!(
            "cargo reported no executable named {} in package {}",
            runner.bin, runner.package
        ))
    })
}

/// On a terminal: passes cargo's `stderr` on, line by line, above a line that ticks with the time so far and
/// the crate cargo is compiling. Returns that line's bar and the thread passing the messages on.
fn show_progress(stderr: ChildStderr) -> (ProgressBar, std::thread::JoinHandle<()>) {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} building the migrations runner, {elapsed}: {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message("starting cargo");
    bar.enable_steady_tick(Duration::from_millis(100));
    let line_bar = bar.clone();
    let passing_on = std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stderr);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\n', '\r']);
            line_bar.println(text);
            if let Some(krate) = compiling(text) {
                line_bar.set_message(format!("compiling {krate}"));
            }
            line.clear();
        }
    });
    (bar, passing_on)
}

/// The crate of cargo's `Compiling <crate> <version> [(<path>)]` line, without its colours.
fn compiling(line: &str) -> Option<String> {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // An escape sequence (`ESC [ ... letter`): a colour.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let rest = plain.trim_start().strip_prefix("Compiling ")?;
    Some(rest.split(" (").next().unwrap_or(rest).trim().to_owned())
}

/// The build of the runner was stopped by a signal: nothing was run. The front end exits with 128 + its
/// number (130 for SIGINT, 143 for SIGTERM), as the runner does.
#[derive(Debug)]
pub struct BuildStopped {
    pub signal: i32,
    bin: String,
    package: String,
    profile: String,
}

impl std::fmt::Display for BuildStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "building the migrations runner ({} in package {}, profile {}) was stopped by {}; nothing was run",
            self.bin,
            self.package,
            self.profile,
            migrate_core::signal_name(self.signal)
        )
    }
}

impl std::error::Error for BuildStopped {}

/// The signal that ended `status`'s process, if one did.
#[cfg(unix)]
fn ended_by_signal(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn ended_by_signal(_: &std::process::ExitStatus) -> Option<i32> {
    None
}

/// The executable path in cargo's `compiler-artifact` message for the binary `bin`.
fn executable(line: &str, bin: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let target = message.get("target")?;
    let is_bin = target
        .get("kind")?
        .as_array()?
        .iter()
        .any(|k| k.as_str() == Some("bin"));
    if !is_bin || target.get("name")?.as_str()? != bin {
        return None;
    }
    message.get("executable")?.as_str().map(PathBuf::from)
}

/// Replaces this process with the runner.
#[cfg(unix)]
pub fn run(runner: &Runner, args: Vec<OsString>) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let error = runner.command().args(args).exec();
    Err(anyhow!(
        "cannot run the migrations runner {}: {error}",
        runner.exe.display()
    ))
}

/// Runs the runner and passes its exit code on.
#[cfg(not(unix))]
pub fn run(runner: &Runner, args: Vec<OsString>) -> Result<ExitCode> {
    let status =
        runner.command().args(args).status().with_context(|| {
            format!("cannot run the migrations runner {}", runner.exe.display())
        })?;
    Ok(ExitCode::from(
        status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(1),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_runner_in_cargo_messages() {
        let artifact = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"app-migrate"},"executable":"/t/debug/app-migrate"}"#;
        assert_eq!(
            executable(artifact, "app-migrate"),
            Some(PathBuf::from("/t/debug/app-migrate"))
        );
        assert_eq!(executable(artifact, "other"), None);
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"app-migrate"},"executable":null}"#;
        assert_eq!(executable(lib, "app-migrate"), None);
        assert_eq!(executable("not json", "app-migrate"), None);
    }

    #[test]
    fn reads_the_crate_cargo_compiles() {
        assert_eq!(
            compiling("\x1b[1m\x1b[92m   Compiling\x1b[0m migrate-core v0.1.0 (/c/migrate-core)")
                .as_deref(),
            Some("migrate-core v0.1.0")
        );
        assert_eq!(
            compiling("   Compiling syn v2.0.1").as_deref(),
            Some("syn v2.0.1")
        );
        assert_eq!(compiling("warning: unused variable"), None);
    }

    #[test]
    fn profile_comes_from_the_flag_then_the_file() {
        let runner = |profile: Option<&str>| RunnerConfig {
            package: "app".to_owned(),
            bin: "app-migrate".to_owned(),
            profile: profile.map(str::to_owned),
        };
        let config = Config::default();
        assert_eq!(profile(&config, &runner(None), false).unwrap(), "dev");
        assert_eq!(profile(&config, &runner(None), true).unwrap(), "release");
        assert_eq!(
            profile(&config, &runner(Some("fast-dev")), false).unwrap(),
            "fast-dev"
        );
        assert_eq!(
            profile(&config, &runner(Some("fast-dev")), true).unwrap(),
            "release"
        );
        let err = profile(&config, &runner(Some("../x")), false).unwrap_err();
        assert!(
            err.to_string().contains("invalid [runner] profile"),
            "{err}"
        );
    }
}
