//! `wait`: blocks until the database has the migrations this binary needs, or says it does not (`--check`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use migrate_core::Need;

use super::context::Context;
use crate::args::WaitArgs;
use crate::stdio::{errln, outln};
use crate::wait::{wait_for, Waited};

/// How long `wait` waits without `--timeout`: longer than a migration job usually takes, short enough that a
/// deploy whose job never ran fails before anyone wonders.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

pub(super) fn wait(context: &Context<'_>, args: &WaitArgs) -> Result<ExitCode> {
    let need = match (&args.to, args.expand_only) {
        (Some(name), _) => Need::To(context.migrator().find(name)?.name().to_owned()),
        (None, true) => Need::ExpandPhase,
        (None, false) => Need::All,
    };
    let timeout = if args.check {
        Duration::ZERO
    } else {
        args.timeout.unwrap_or(DEFAULT_TIMEOUT)
    };
    let db = context.target()?;
    let waited = wait_for(
        &context.migrator(),
        &need,
        timeout,
        context.settings.connect_timeout,
        |limit| db.connect(limit),
        |now| match now {
            Ok(readiness) if !readiness.is_ready() && !args.check => {
                errln!("waiting on {}: {}", db.display, readiness.describe())
            }
            Ok(_) => {}
            Err(error) if !args.check => errln!("waiting for {}: {error}", db.display),
            Err(_) => {}
        },
    );
    match waited {
        Waited::Ready => {
            outln!(
                "ready: {} has every migration this binary needs",
                db.display
            );
            Ok(ExitCode::SUCCESS)
        }
        Waited::TimedOut { why } => {
            if args.check {
                errln!("not ready: {}: {why}", db.display);
            } else {
                errln!(
                    "gave up after {}: {} does not have what this binary needs: {why}",
                    humantime::format_duration(timeout),
                    db.display
                );
            }
            Ok(ExitCode::from(crate::EXIT_NOT_READY))
        }
    }
}
