//! The example app's start-up. With `--migrate` it applies pending migrations first, through the same engine
//! and lock as the CLI, so many replicas starting at once apply each migration exactly once.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use migrate_core::postgres::{Client, NoTls};
use migrate_core::{Migrator, UpTarget};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let migrate = std::env::args().skip(1).any(|a| a == "--migrate");
    let url = std::env::var("DATABASE_URL").context("set DATABASE_URL to the app's database")?;
    let mut client = Client::connect(&url, NoTls)
        .with_context(|| format!("cannot connect to {}", migrate_cli::redact(&url)))?;
    let migrator = Migrator::new(example_app::migrations::MIGRATIONS);
    if migrate {
        let ran = migrator.run_up(&mut client, &UpTarget::All, &mut |_| {})?;
        println!("applied {} migration(s) at start-up", ran.len());
    }
    let pending = migrator
        .status(&mut client)?
        .migrations
        .iter()
        .filter(|e| e.applied.is_none())
        .count();
    if pending > 0 {
        bail!("{pending} migration(s) are pending; run with --migrate or `cargo run -p migrate-cli -- up`");
    }
    println!("schema is up to date");
    Ok(())
}
