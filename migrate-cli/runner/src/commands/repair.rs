//! `repair`: accepts edited migrations (records their new checksum) and forgets applied ones whose file was
//! removed.

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::Result;
use migrate_core::State;

use super::context::Context;

pub(super) fn repair(context: &Context<'_>, names: &[String]) -> Result<ExitCode> {
    let db = context.target()?;
    let mut client = db.connect(context.settings.connect_timeout)?;
    let repaired = context.migrator().repair(&mut client, names)?;
    if repaired.is_empty() {
        outln!("nothing to repair");
    }
    for entry in repaired {
        let name = &entry.name;
        match (entry.state, &entry.renamed_from) {
            (State::Changed, _) => outln!("recorded the new checksum of {name}"),
            (State::Unverified, _) => outln!("recorded the checksum of {name}"),
            (State::Renamed, Some(old)) => {
                outln!("recorded the rename of {old} to {name}")
            }
            (State::Failed, _) => outln!("cleared the failure of {name}"),
            _ => outln!("forgot {name} (its file is gone)"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
