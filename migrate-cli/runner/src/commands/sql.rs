//! `sql`: prints the exact SQL that pending (or the named) migrations run, changing nothing.

use std::process::ExitCode;

use anyhow::Result;
use migrate_core::{Direction, UpTarget};

use super::context::Context;
use super::script;

pub(super) fn sql(context: &Context<'_>, names: &[String], down: bool) -> Result<ExitCode> {
    let migrator = context.migrator();
    let (steps, repeatables) = if names.is_empty() {
        let db = context.target()?;
        let mut client = db.connect(context.settings.connect_timeout)?;
        (
            migrator.plan_up(&mut client, &UpTarget::All)?,
            migrator.plan_repeatables(&mut client)?,
        )
    } else {
        let direction = if down { Direction::Down } else { Direction::Up };
        // Repeatable migrations are named by their file's stem, `repeatable_<name>`, which no versioned
        // migration's name can start with (it starts with its timestamp).
        let (repeatable, versioned): (Vec<String>, Vec<String>) = names
            .iter()
            .cloned()
            .partition(|n| n.starts_with("repeatable_"));
        (
            migrator.plan_named(&versioned, direction)?,
            migrator.plan_named_repeatables(&repeatable, direction)?,
        )
    };
    script::print(context.settings, &steps, &repeatables, false);
    Ok(ExitCode::SUCCESS)
}
