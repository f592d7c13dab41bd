//! Forwarding to the compiled runner: the generic `migrate` binary cannot load migration files, so commands
//! that need them run the runner binary of the crate that compiles the folder, through `cargo run`. Cargo
//! rebuilds it when a migration file was added, changed or removed, and reports compile errors at the
//! migration file's own path and line.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

use crate::config::Config;

/// Runs `cargo run -p <package> --bin <bin> -- <args>` and returns the runner's exit code.
pub fn forward(config: &Config, args: Vec<OsString>) -> Result<ExitCode> {
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
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "run",
        "--quiet",
        "--package",
        &runner.package,
        "--bin",
        &runner.bin,
    ]);
    if let Some(root) = &config.root {
        cmd.arg("--manifest-path").arg(root.join("Cargo.toml"));
    }
    cmd.arg("--").args(args);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))?;
    // `cargo run` replaces itself with the runner, so this is the runner's process once it is built.
    crate::signals::relay_to(child.id());
    let status = child
        .wait()
        .with_context(|| format!("cannot wait for {}", cargo.to_string_lossy()))?;
    match status.code() {
        // Cargo's own failure (the migrations did not compile): its messages are already on stderr.
        Some(101) => bail!(
            "building the migrations runner ({} in package {}) failed; see cargo's messages above",
            runner.bin,
            runner.package
        ),
        Some(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(1))),
        None => bail!("the migrations runner was stopped by a signal"),
    }
}
