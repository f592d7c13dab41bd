//! `up`: applies pending migrations, oldest first.

use crate::stdio::outln;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::{State, UpTarget};

use super::context::{count, note_schema_file, with_run_args, Context};
use super::script;
use crate::args::UpArgs;
use crate::connect;
use crate::pg_dump;
use crate::run_log::RunLog;

pub(super) fn up(context: &Context<'_>, args: &UpArgs) -> Result<ExitCode> {
    let settings = context.settings;
    let up = match (args.count, &args.to, args.expand_only) {
        (Some(n), _, _) => UpTarget::Count(count(n)),
        (None, Some(name), _) => UpTarget::To(name.clone()),
        (None, None, true) => UpTarget::ExpandOnly,
        (None, None, false) => UpTarget::All,
    };
    let db = context.target()?;
    let migrator = with_run_args(context.migrator(), &args.run)
        .allow_out_of_order(args.allow_out_of_order)
        .finish_jobs(args.finish_jobs)
        .retry(args.retry.clone())
        .notices(context.notices.clone())
        .watch_locks(db.lock_watch(settings.connect_timeout));
    if args.run.dry_run {
        return script::dry_run(context, &db, &args.run, |client| {
            let steps = migrator.plan_up(client, &up)?;
            // Repeatable migrations follow only an `up` to the end.
            let repeatables = if up == UpTarget::All {
                migrator.plan_repeatables(client)?
            } else {
                Vec::new()
            };
            Ok((steps, repeatables))
        });
    }
    let mut log = RunLog::open(&args.run.log, "up")?;
    log.start(up_target(&up), &db.display);
    let mut client =
        log.check(db.connect_collecting(settings.connect_timeout, &context.notices))?;
    if let Some(dir) = &args.backup {
        // Only when there is something to apply; planning changes nothing.
        if !log
            .check(migrator.plan_up(&mut client, &up).map_err(Into::into))?
            .is_empty()
        {
            let file = log.check(
                server_version_num(&mut client)
                    .and_then(|version| pg_dump::backup(&db, version, dir))
                    .context("backup failed; nothing was applied"),
            )?;
            outln!("backed up {} to {}", db.display, file.display());
        }
    }
    log.check(context.on_signals(&client, &db))?;
    let result = migrator
        .run_up(&mut client, &up, &mut |e| log.event(e))
        .map_err(|e| context.ended(e, &client));
    let ran = log.outcome(result)?;
    let verb = if args.run.fake {
        "recorded as applied (--fake)"
    } else {
        "applied"
    };
    let left = if up == UpTarget::ExpandOnly {
        let status = migrator.status(&mut client)?;
        let (_, contract) = status.expand_only();
        contract.map(|c| left_for_later(&status, c))
    } else {
        None
    };
    match (ran.len(), &left) {
        (0, Some(_)) => outln!("no expand to apply on {}", db.display),
        (0, None) => match &up {
            // Reached already, by another run that started with this one, or before.
            UpTarget::To(name) => outln!(
                "nothing to apply: {} is applied on {}",
                context
                    .migrator()
                    .find(name)
                    .map_or(name.as_str(), |m| m.name()),
                db.display
            ),
            _ => outln!("{}", nothing_to_apply(&db.display)),
        },
        (n, _) => {
            let repeatables = ran
                .iter()
                .filter(|r| r.name.starts_with(migrate_core::naming::REPEATABLE_PREFIX))
                .count();
            match repeatables {
                0 => outln!("{n} migration(s) {verb} on {}", db.display),
                r => outln!(
                    "{} migration(s) and {r} repeatable migration(s) {verb} on {}",
                    n - r,
                    db.display
                ),
            }
        }
    }
    if !ran.is_empty() {
        note_schema_file(settings, context.registry);
    }
    if let Some(left) = left {
        outln!("{left}");
    }
    Ok(ExitCode::SUCCESS)
}

/// What `up` says when every migration is applied: also the installed `migrate`'s answer without the runner
/// (`without_runner`).
pub fn nothing_to_apply(display: &str) -> String {
    format!("nothing to apply: {display} is up to date")
}

/// What `up --expand-only` left: the pending migrations from the first pending contract on.
fn left_for_later(status: &migrate_core::Status, contract: &migrate_core::Entry) -> String {
    let pending = status
        .migrations
        .iter()
        .filter(|e| {
            matches!(e.state, State::Pending | State::OutOfOrder) && e.name >= contract.name
        })
        .count();
    format!(
        "left for after the rollout: {pending} pending migration(s), from the contract {name} ({}); \
         once no instance of the app version it retires is serving, apply it with `up --to {name}`, \
         or everything with `up`",
        contract.contract.as_deref().unwrap_or_default(),
        name = contract.name,
    )
}

/// `up`'s target as the JSON run log names it.
fn up_target(target: &UpTarget) -> serde_json::Value {
    use serde_json::json;
    match target {
        UpTarget::All => json!("all"),
        UpTarget::Count(n) => json!({ "count": n }),
        UpTarget::To(name) => json!({ "to": name }),
        UpTarget::ExpandOnly => json!("expand_only"),
    }
}

/// `SHOW server_version_num` (e.g. 170004), for `--backup`'s choice of pg_dump.
fn server_version_num(client: &mut postgres::Client) -> Result<u32> {
    let text: String = client
        .query_one(
            "SELECT pg_catalog.current_setting('server_version_num')",
            &[],
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot read the server's version: {}",
                connect::describe(&e)
            )
        })?
        .get(0);
    text.trim()
        .parse()
        .with_context(|| format!("unexpected server_version_num {text:?}"))
}
