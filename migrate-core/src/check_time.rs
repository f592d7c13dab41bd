//! How long a check before a backfill's batch may run. The checks (the standbys' positions, a vacuum of the
//! table, the user's `pause_while` query, the commit that asks standbys where they are) are queries like any
//! other: a `pause_while` query can wait for a lock or sleep, and a commit waits for a synchronous standby
//! that stopped. Each runs with `statement_timeout` set to what remains of `max_pause` (a check that does not
//! answer is a pause of its own, counted from the start of the wait) and of the run's time budget, so the
//! server cancels it there; the session's own `statement_timeout` is put back before the batch, which the
//! check's limit must not cut short.

use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::GenericClient;

use crate::error::DataCause;
use crate::interrupt::{Interrupt, Stop};

/// The time the check at the end of a pause gets (it says whether the cause cleared), however little of
/// `max_pause` remains: a check answers in milliseconds.
pub(crate) const LAST_CHECK: Duration = Duration::from_millis(500);

/// What ends a check that does not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// What remains of `max_pause`.
    MaxPause,
    /// What remains of the run's time budget (the budget).
    Budget(Duration),
}

/// The time a check may take from `now`, and what bounds it: the shorter of what remains of `max_pause`
/// (the pause began at `since`) and of the run's budget (spent at `deadline`). Zero when either is spent.
pub(crate) fn limit(
    now: Instant,
    since: Instant,
    max_pause: Duration,
    deadline: Option<(Instant, Duration)>,
) -> (Duration, Bound) {
    let pause_left = max_pause.saturating_sub(now.saturating_duration_since(since));
    match deadline {
        Some((at, budget)) if at.saturating_duration_since(now) < pause_left => {
            (at.saturating_duration_since(now), Bound::Budget(budget))
        }
        _ => (pause_left, Bound::MaxPause),
    }
}

/// A check that failed: the server cancelled it (its time was up, or a stop cancelled it), or another
/// error.
#[derive(Debug)]
pub(crate) enum CheckFailed {
    /// Cancelled on the server before it answered; `check` says which check it was.
    Unanswered {
        check: String,
        error: postgres::Error,
    },
    /// Any other failure.
    Cause(DataCause),
}

impl CheckFailed {
    /// `error` of the query behind `check`: unanswered when the server cancelled it, else `cause`.
    pub(crate) fn of(
        check: impl Into<String>,
        error: postgres::Error,
        cause: impl FnOnce(postgres::Error) -> DataCause,
    ) -> Self {
        if error.code() == Some(&SqlState::QUERY_CANCELED) {
            CheckFailed::Unanswered {
                check: check.into(),
                error,
            }
        } else {
            CheckFailed::Cause(cause(error))
        }
    }
}

/// Why a check ended the wait, as [`CheckLimit::failed`] tells it.
#[derive(Debug)]
pub(crate) enum Ended {
    /// A stop was requested, or the run's budget is spent.
    Stopped(Stop),
    /// `check` did not answer within what remained of `max_pause`.
    Unanswered { check: String },
    /// The check failed.
    Failed(DataCause),
}

/// The session's `statement_timeout` while checks run, and the one to put back.
#[derive(Debug, Default)]
pub(crate) struct CheckLimit {
    /// The session's own setting, read once.
    session: Option<String>,
    /// Whether the checks' limit is set now.
    set: bool,
    /// What bounds the limit set last.
    bound: Option<Bound>,
}

impl CheckLimit {
    /// The session's own `statement_timeout`, read the first time.
    pub(crate) fn session(&mut self, conn: &mut impl GenericClient) -> Result<String, DataCause> {
        if let Some(session) = &self.session {
            return Ok(session.clone());
        }
        let shown = conn
            .simple_query("SHOW statement_timeout")
            .map_err(DataCause::database("cannot read statement_timeout"))?;
        let session = shown
            .iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
            .unwrap_or_else(|| "0".to_owned());
        self.session = Some(session.clone());
        Ok(session)
    }

    /// Sets the limit for the next check: `time` (at least a millisecond: zero would mean no limit).
    fn set(
        &mut self,
        conn: &mut impl GenericClient,
        time: Duration,
        bound: Bound,
    ) -> Result<(), DataCause> {
        self.session(conn)?;
        conn.batch_execute(&format!(
            "SET statement_timeout = {}",
            crate::timeouts::millis(time).max(1)
        ))
        .map_err(DataCause::database(
            "cannot limit the time of the checks before a batch (statement_timeout)",
        ))?;
        self.set = true;
        self.bound = Some(bound);
        Ok(())
    }

    /// Sets the limit for a check made in a pause that began at `since`, or says why none may run: a stop
    /// is due, or the budget is spent. The check at the end of a pause still gets [`LAST_CHECK`] to say
    /// whether its cause cleared.
    pub(crate) fn before_check(
        &mut self,
        conn: &mut impl GenericClient,
        since: Instant,
        max_pause: Duration,
        interrupt: &Interrupt,
    ) -> Result<(), Ended> {
        if let Some(stop) = interrupt.stop() {
            return Err(Ended::Stopped(stop));
        }
        let (time, bound) = limit(Instant::now(), since, max_pause, interrupt.deadline());
        let time = match bound {
            Bound::Budget(budget) if time.is_zero() => {
                return Err(Ended::Stopped(Stop::OutOfTime(budget)));
            }
            Bound::Budget(_) => time,
            Bound::MaxPause => time.max(LAST_CHECK),
        };
        self.set(conn, time, bound).map_err(Ended::Failed)
    }

    /// Puts the session's own `statement_timeout` back, once the checks are done.
    pub(crate) fn restore(&mut self, conn: &mut impl GenericClient) -> Result<(), DataCause> {
        if !std::mem::take(&mut self.set) {
            return Ok(());
        }
        let session = self.session.as_deref().unwrap_or("0");
        conn.batch_execute(&format!(
            "SET statement_timeout = {}",
            migrate_dsl::literal(session)
        ))
        .map_err(DataCause::database("cannot put statement_timeout back"))
    }

    /// What a failed check means: a stop when one was requested (its cancel is what ended the check) or
    /// the budget bounded it; a pause too long when `max_pause` did; else the failure itself.
    pub(crate) fn failed(&self, failed: CheckFailed, interrupt: &Interrupt) -> Ended {
        match failed {
            CheckFailed::Cause(cause) => match interrupt.stop() {
                Some(stop) => Ended::Stopped(stop),
                None => Ended::Failed(cause),
            },
            CheckFailed::Unanswered { check, error } => match (interrupt.stop(), self.bound) {
                (Some(stop), _) => Ended::Stopped(stop),
                (None, Some(Bound::Budget(budget))) => Ended::Stopped(Stop::OutOfTime(budget)),
                (None, Some(Bound::MaxPause)) => Ended::Unanswered { check },
                (None, None) => Ended::Failed(DataCause::database(format!(
                    "{check} was cancelled"
                ))(error)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_gets_what_remains_of_the_pause_or_of_the_budget_whichever_is_shorter() {
        let now = Instant::now();
        let minute = Duration::from_secs(60);
        // Not paused yet: all of max_pause.
        assert_eq!(limit(now, now, minute, None), (minute, Bound::MaxPause));
        // Paused for 45 s: 15 s left.
        let since = now - Duration::from_secs(45);
        assert_eq!(
            limit(now, since, minute, None),
            (Duration::from_secs(15), Bound::MaxPause)
        );
        // A budget spent in 5 s bounds it, and names itself.
        let budget = Duration::from_secs(300);
        let deadline = Some((now + Duration::from_secs(5), budget));
        assert_eq!(
            limit(now, since, minute, deadline),
            (Duration::from_secs(5), Bound::Budget(budget))
        );
        // A budget further away than the pause's end does not.
        let far = Some((now + Duration::from_secs(50), budget));
        assert_eq!(
            limit(now, since, minute, far),
            (Duration::from_secs(15), Bound::MaxPause)
        );
        // Spent: nothing left.
        assert_eq!(
            limit(now, now - minute * 2, minute, None),
            (Duration::ZERO, Bound::MaxPause)
        );
        let spent = Some((now - Duration::from_secs(1), budget));
        assert_eq!(
            limit(now, now, minute, spent),
            (Duration::ZERO, Bound::Budget(budget))
        );
    }
}
