//! `init`: sets up the package in the current folder (or its nearest parent package); the planning and
//! writing are in the crate's `init` module.

use migrate_runner::stdio::out;
use std::process::ExitCode;

use anyhow::{Context, Result};

use migrate_runner::args::InitArgs;

pub fn init(args: &InitArgs) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let options = crate::init::InitOptions {
        dir: args.dir.clone(),
        crates: crate::init::CratesSource::chosen(
            args.crates_version.as_deref(),
            args.crates_path.as_deref(),
            args.crates_git
                .as_deref()
                .map(|url| (url, args.crates_rev.as_deref())),
            crate::init::released_version(),
        ),
    };
    let report = crate::init::init(&cwd, &options)?;
    out!("{}", crate::init::describe(&report));
    Ok(ExitCode::SUCCESS)
}
