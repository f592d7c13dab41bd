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
        (migrator.plan_named(names, direction)?, Vec::new())
    };
    script::print(context.settings, &steps, &repeatables, false);
    Ok(ExitCode::SUCCESS)
}
