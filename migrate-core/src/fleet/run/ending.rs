//! How a target's run ended: interrupted (a signal, the spent budget) or failed, and what it says.

use super::*;

/// What a target's failed run `e` says and how it ended, at `now`: a statement cancelled for the fleet's
/// signal or its spent budget is said so first (the server's "canceling statement due to user request"
/// after) and ends the target as interrupted, as does a run that stopped cleanly between steps; anything
/// else failed it.
pub(super) fn failed(
    e: &Error,
    session_ended: bool,
    interrupt: &Interrupt,
    now: Instant,
) -> (TargetError, TargetState) {
    let mut error = TargetError::of(e);
    error.session_ended = session_ended;
    let cancelled = error.sqlstate.as_deref() == Some("57014");
    let why = match (interrupt.requested(), interrupt.deadline()) {
        _ if !cancelled => None,
        (Some(signal), _) => Some(Error::Interrupted {
            signal,
            what: cancelled_statement(error.migration.as_deref()),
        }),
        (None, Some((at, budget))) if now >= at => Some(Error::OutOfTime {
            budget,
            what: cancelled_statement(error.migration.as_deref()),
        }),
        _ => None,
    };
    let stopped = why.is_some() || stopped_cleanly(e);
    if let Some(why) = why {
        error.message = format!("{why}\n{}", error.message);
    }
    let state = if stopped {
        TargetState::Interrupted
    } else {
        TargetState::Failed
    };
    (error, state)
}

pub(super) fn cancelled_statement(migration: Option<&str>) -> String {
    let of = migration.map(|m| format!(" of {m}")).unwrap_or_default();
    format!("the running statement{of} was cancelled on the server; run the same command again to resume")
}

/// Whether `e` is a run that stopped on request or at its budget where that leaves a clean state: before a
/// migration, between retries, or after a backfill's committed batch.
fn stopped_cleanly(e: &Error) -> bool {
    match e {
        Error::Interrupted { .. } | Error::OutOfTime { .. } => true,
        Error::Data(data) => matches!(
            data.cause,
            DataCause::Interrupted { .. } | DataCause::OutOfTime { .. }
        ),
        _ => false,
    }
}
