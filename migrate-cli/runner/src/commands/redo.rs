//! `redo`: reverts the last N applied migrations and applies exactly those again.

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::Result;

use super::context::{count, note_schema_file, Context};
use crate::args::LogArgs;
use crate::run_log::RunLog;

pub(super) fn redo(context: &Context<'_>, n: u64, log_args: &LogArgs) -> Result<ExitCode> {
    let settings = context.settings;
    let db = context.target()?;
    let mut log = RunLog::open(log_args, "redo")?;
    log.start(serde_json::json!({ "count": n }), &db.display);
    let mut client =
        log.check(db.connect_collecting(settings.connect_timeout, &context.notices))?;
    log.check(context.on_signals(&client, &db))?;
    let result = context
        .migrator()
        .notices(context.notices.clone())
        .watch_locks(db.lock_watch(settings.connect_timeout))
        .run_redo(&mut client, count(n), &mut |e| log.event(e))
        .map_err(|e| context.ended(e, &client));
    let ran = log.outcome(result)?;
    outln!("{} migration(s) redone on {}", ran.len() / 2, db.display);
    note_schema_file(settings, context.registry);
    Ok(ExitCode::SUCCESS)
}
