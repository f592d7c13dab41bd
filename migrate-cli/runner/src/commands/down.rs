//! `down`: reverts applied migrations, the most recently applied first (default: one).

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::Result;
use migrate_core::DownTarget;

use super::context::{count, note_schema_file, with_run_args, Context};
use super::script;
use crate::args::DownArgs;
use crate::run_log::RunLog;

pub(super) fn down(context: &Context<'_>, args: &DownArgs) -> Result<ExitCode> {
    let settings = context.settings;
    let down = match (args.count, &args.to, args.all) {
        (Some(n), _, _) => DownTarget::Count(count(n)),
        (None, Some(name), _) => DownTarget::To(name.clone()),
        (None, None, true) => DownTarget::All,
        (None, None, false) => DownTarget::Count(1),
    };
    let db = context.target()?;
    let migrator = with_run_args(context.migrator(), &args.run)
        .retry(args.retry.clone())
        .recorded_downs(args.recorded)
        .notices(context.notices.clone())
        .watch_locks(db.lock_watch(settings.connect_timeout));
    if args.run.dry_run {
        return script::dry_run(context, &db, &args.run, |client| {
            Ok((migrator.plan_down(client, &down)?, Vec::new()))
        });
    }
    let mut log = RunLog::open(&args.run.log, "down")?;
    log.start(down_target(&down), &db.display);
    let mut client =
        log.check(db.connect_collecting(settings.connect_timeout, &context.notices))?;
    log.check(context.on_signals(&client, &db))?;
    let result = migrator
        .run_down(&mut client, &down, &mut |e| log.event(e))
        .map_err(|e| context.ended(e, &client));
    let ran = log.outcome(result)?;
    match ran.len() {
        0 => outln!("nothing to revert"),
        n if args.run.fake => outln!(
            "{n} migration(s) recorded as reverted (--fake) on {}",
            db.display
        ),
        n => outln!("{n} migration(s) reverted on {}", db.display),
    }
    if !ran.is_empty() {
        note_schema_file(settings, context.registry);
    }
    Ok(ExitCode::SUCCESS)
}

/// `down`'s target as the JSON run log names it.
fn down_target(target: &DownTarget) -> serde_json::Value {
    use serde_json::json;
    match target {
        DownTarget::All => json!("all"),
        DownTarget::Count(n) => json!({ "count": n }),
        DownTarget::To(name) => json!({ "to": name }),
    }
}
