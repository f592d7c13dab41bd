//! Forwarding to the compiled runner: the generic `migrate` binary cannot load migration files, so commands
//! that need them run the runner binary of the crate that compiles the folder.
//!
//! When nothing the runner is built from changed since `migrate` last built it (the `freshness` module), the
//! built runner replaces this process at once, with no cargo invocation. Otherwise `migrate` runs one
//! `cargo build` of the runner (which reports compile errors at the migration file's own path and line), takes
//! the executable cargo reports, notes what it was built from, and then replaces itself with it. Either way the
//! runner ends up with this process's id, arguments, environment and terminal, so signals sent to `migrate`
//! reach the runner and its exit status is `migrate`'s.

use std::ffi::OsString;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::SystemTime;

use anyhow::{anyhow, bail, Context, Result};

use crate::config::{Config, RunnerConfig};
use crate::freshness::{self, Build};

/// The profile used when neither `--release` nor `[runner] profile` names one.
pub const DEFAULT_PROFILE: &str = "dev";

/// Runs the runner of `[runner]` with `args`, building it first unless it is fresh. Returns only on failure
/// (or, on platforms without `exec`, with the runner's exit code).
pub fn forward(config: &Config, release: bool, args: Vec<OsString>) -> Result<ExitCode> {
    let Some(runner) = &config.file.runner else {
        let found = match &config.path {
            Some(p) => format!("{} has no [runner] table", p.display()),
            None => format!(
                "no {} was found in this folder or its parents",
                crate::config::FILE_NAME
            ),
        };
        bail!(
            "this command needs the compiled migrations, but {found}; add\n\n[runner]\npackage = \"<crate that compiles the migrations>\"\nbin = \"<its runner binary>\"\n"
        );
    };
    let profile = profile(config, runner, release)?;
    let root = config.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let manifest = root.join("Cargo.toml");
    let build = Build::new(&manifest, &runner.package, &runner.bin, &profile);
    let exe = match freshness::fresh_runner(&build) {
        Some(exe) => exe,
        None => {
            let started = SystemTime::now();
            let exe = cargo_build(&manifest, runner, &profile)?;
            // A runner whose inputs cannot all be listed is simply built again next time.
            freshness::record(&build, &exe, started);
            exe
        }
    };
    run(&exe, args)
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
fn cargo_build(manifest: &Path, runner: &RunnerConfig, profile: &str) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "build",
        "--quiet",
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
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;
    // Ctrl-C reaches cargo with the terminal's process group; SIGTERM sent to `migrate` alone is passed on.
    crate::signals::relay_to(child.id());
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
    crate::signals::stop_relaying();
    let status = status.with_context(|| format!("cannot wait for {}", cargo.to_string_lossy()))?;
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
    exe.ok_or_else(|| {
        failed().context(format!(
            "cargo reported no executable named {} in package {}",
            runner.bin, runner.package
        ))
    })
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
fn run(exe: &Path, args: Vec<OsString>) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let error = Command::new(exe).args(args).exec();
    Err(anyhow!(
        "cannot run the migrations runner {}: {error}",
        exe.display()
    ))
}

/// Runs the runner and passes its exit code on.
#[cfg(not(unix))]
fn run(exe: &Path, args: Vec<OsString>) -> Result<ExitCode> {
    let status = Command::new(exe)
        .args(args)
        .status()
        .with_context(|| format!("cannot run the migrations runner {}", exe.display()))?;
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
