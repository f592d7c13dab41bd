//! `up` and `status` answered by the front end itself, without building or starting the runner, when their
//! answer needs no migration's code.
//!
//! Most runs of `migrate up` in a deploy find nothing to do, and `status` of a database that applied every
//! migration shows names, times and checksums only. Both are known from the migrations folder (each file's
//! name and checksum, read and hashed now as the build script computes them: [`migrate_core::folder`]) and
//! the migrations table, so the installed `migrate` reads those and answers, and neither cargo nor the runner
//! (a dev-profile build, with its own start-up and memory) runs at all. Every file is read each time, with no
//! cache keyed by file times: an answer that says nothing is pending must never rest on a time a copy kept.
//!
//! It answers only when the answer is the runner's, byte for byte, and otherwise hands the command over
//! exactly as before:
//! - `up` without a count, `--to`, `--dry-run`, `--fake`, `--backup`, a JSON log or a log file, when every
//!   migration of the folder is applied with its checksum, no problem or failure mark is recorded, and every
//!   repeatable migration is up to date: it prints what the runner prints, "nothing to apply: ...";
//! - `status` (text or `--json`) when every migration of the folder is applied (a pending one may be a
//!   contract, which only its code tells) and none has a problem.
//!
//! Conditions that keep it safe: the runner last built from this package compiled this very folder (the
//! build note lists it, see [`freshness::built_from_folder`]), so the answer describes the migrations the
//! runner would run; a folder with a squashed baseline is left to the runner (the baseline's list of the
//! migrations it replaces is in its code's file, which is not kept here). It reads only, takes no lock and
//! changes nothing: anything to apply, and every error (no database, a connection refused, a table it cannot
//! read), goes to the runner, which says it in its own words. The connection skips the pooler check, as a
//! read needs no session of its own; a run that applies anything is the runner's and checks it. The session
//! is its own and outside any transaction, so the history is read in one query when it can be
//! ([`Migrator::own_session`]).

use std::process::ExitCode;

use migrate_core::{Migrator, RepeatableState, StatusReport};

use crate::forward;
use crate::freshness;
use migrate_runner::args::{Command, LogFormat, UpArgs};
use migrate_runner::connect;
use migrate_runner::settings::Settings;
use migrate_runner::stdio::outln;

/// How long the answer waits for the server to accept its connection.
const QUICK: std::time::Duration = std::time::Duration::from_secs(1);

/// The command's exit code when it was answered here; `None` to forward it to the runner as usual.
pub(crate) fn answer(settings: &Settings, command: &Command, release: bool) -> Option<ExitCode> {
    let json = match command {
        Command::Up(args) if plain(args) => None,
        Command::Status { json } => Some(*json),
        _ => return None,
    };
    let build = forward::build_request(&settings.config, release)?;
    let db = connect::resolve_settings(settings).ok()?;
    // The server starts a session (a few milliseconds, the longest wait of the answer) while the build note
    // and the folder are read, so it starts first. A server that takes longer than QUICK to answer is left
    // to the runner, which waits the whole connect timeout and says why it gave up: a server that does not
    // answer costs this attempt QUICK, not a second timeout.
    let mut connecting = Connecting::start(&db, settings.connect_timeout.min(QUICK));
    let dir = settings.migrations_dir.canonicalize().ok()?;
    if !freshness::built_from_folder(&build, &dir) {
        return None;
    }
    let registry = migrate_core::folder::read_registry(&dir).ok()?;
    if registry.migrations.iter().any(|m| m.precomputed().baseline) {
        return None;
    }
    let mut client = connecting.client()?;
    let migrator = Migrator::new(registry.migrations.as_slice())
        .repeatables(registry.repeatables.as_slice())
        .table(settings.table.clone())
        .own_session();
    let status = migrator.status_report(&mut client).ok()?;
    if !all_applied(&status) {
        return None;
    }
    match json {
        None => {
            let up_to_date = status
                .repeatables()
                .iter()
                .all(|r| r.state == RepeatableState::UpToDate);
            if !up_to_date {
                return None;
            }
            outln!(
                "{}",
                migrate_runner::commands::up::nothing_to_apply(&db.display)
            );
            Some(ExitCode::SUCCESS)
        }
        // Printing can still fail (a closed output): the runner would fail the same way.
        Some(json) => {
            let jobs = migrator.jobs(&mut client).ok()?;
            migrate_runner::commands::status::print(
                &status,
                &jobs,
                &db.display,
                json,
                &migrate_runner::compiled::Origin::Folder(dir),
            )
            .ok()
        }
    }
}

/// The connection being opened on its own thread while the folder is read.
struct Connecting(Option<std::thread::JoinHandle<Option<postgres::Client>>>);

impl Connecting {
    fn start(db: &connect::Target, timeout: std::time::Duration) -> Self {
        let db = db.clone();
        Connecting(Some(std::thread::spawn(move || {
            db.connect_unchecked(timeout).ok()
        })))
    }

    /// The connection, once open; `None` when it could not be.
    fn client(&mut self) -> Option<postgres::Client> {
        self.0.take()?.join().ok()?
    }
}

impl Drop for Connecting {
    /// Not used after all (the command goes to the runner): the session is ended properly before the
    /// process replaces itself with the runner, which would cut it off mid-start (a line in the server's
    /// log).
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            drop(thread.join());
        }
    }
}

/// `up` with nothing that changes what a run with nothing to apply does or prints.
fn plain(args: &UpArgs) -> bool {
    args.count.is_none()
        && args.to.is_none()
        && args.backup.is_none()
        && args.retry.is_empty()
        && !args.run.dry_run
        && !args.run.fake
        && args.run.log.log_format == LogFormat::Text
        && args.run.log.log_file.is_none()
}

/// Every migration of the folder applied with its checksum (or adopted from another tool), nothing changed,
/// missing, renamed, squashed, out of order or failed.
fn all_applied(status: &StatusReport<'_>) -> bool {
    let summary = status.summary();
    summary.problems == 0
        && summary.unverified == 0
        && summary.applied + summary.adopted == summary.total
        && !status.has_failure_marks()
        && status.in_progress().is_empty()
}
