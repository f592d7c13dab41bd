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
        crates: match (&args.crates_path, &args.crates_git) {
            (Some(path), _) => Some(crate::init::CratesSource::Path(path.clone())),
            (None, Some(url)) => Some(crate::init::CratesSource::Git {
                url: url.clone(),
                rev: args.crates_rev.clone(),
            }),
            (None, None) => None,
        },
    };
    let report = crate::init::init(&cwd, &options)?;
    out!("{}", crate::init::describe(&report));
    Ok(ExitCode::SUCCESS)
}
