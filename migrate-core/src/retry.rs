//! Retrying after a lock timeout: the one policy for everything the engine retries (a migration's
//! transaction, a statement outside a transaction, a backfill's batch). Capped exponential backoff with
//! jitter, within a budget counted from the first attempt, each retry reported as an [`Event::Retrying`].

use std::time::{Duration, Instant};

use crate::blockers::{Blocked, LockWatch};
use crate::error::{describe_pg, is_lock_timeout};
use crate::events::Event;
use crate::interrupt::{Interrupt, Stop};

const FIRST_DELAY: Duration = Duration::from_millis(200);
const MAX_DELAY: Duration = Duration::from_secs(5);

/// An error that may be a lock timeout, and how a retry reports it.
pub(crate) trait LockTimeout {
    fn is_lock_timeout(&self) -> bool;
    /// Why the attempt is retried, for [`Event::Retrying`].
    fn reason(&self) -> String;
}

impl LockTimeout for postgres::Error {
    fn is_lock_timeout(&self) -> bool {
        is_lock_timeout(self)
    }

    fn reason(&self) -> String {
        describe_pg(self)
    }
}

impl LockTimeout for crate::Error {
    fn is_lock_timeout(&self) -> bool {
        crate::Error::is_lock_timeout(self)
    }

    fn reason(&self) -> String {
        self.to_string()
    }
}


/// How one thing is retried.
pub(crate) struct LockRetry<'r> {
    /// The migration it belongs to, named in the events.
    pub name: &'r str,
    /// How long it may keep retrying, from its first attempt.
    pub budget: Duration,
    /// Checked between attempts where stopping there leaves a clean state (whole transactions); `None`
    /// where the caller stops at a better place.
    pub interrupt: Option<&'r Interrupt>,
    /// Who blocks the run's session, when watched: named in each retry's event and in the final failure.
    pub watch: Option<&'r LockWatch>,
}

/// Why [`LockRetry::run`] stopped without a result.
#[derive(Debug)]
pub(crate) enum GaveUp<E> {
    /// The attempt failed on something else than a lock timeout.
    Failed(E),
    /// Every attempt hit a lock timeout until the budget was spent; `error` is the last one.
    Exhausted {
        error: E,
        attempts: u32,
        waited: Duration,
        /// Who blocked the last attempt, when seen.
        blocked: Option<Blocked>,
    },
    /// A stop was requested after the attempt that failed with `error`.
    Interrupted { error: E, stop: Stop },
}

impl<E> GaveUp<E> {
    /// The error it stopped on, for a caller that reports every case the same way.
    pub(crate) fn into_error(self) -> E {
        match self {
            GaveUp::Failed(error)
            | GaveUp::Exhausted { error, .. }
            | GaveUp::Interrupted { error, .. } => error,
        }
    }
}

impl LockRetry<'_> {
    /// Runs `attempt` again while it fails on a lock timeout. An attempt must leave nothing behind when it
    /// fails (a rolled-back transaction, a single statement), so that running it again is safe.
    pub(crate) fn run<T, E: LockTimeout>(
        &self,
        events: &mut dyn FnMut(Event<'_>),
        mut attempt: impl FnMut(&mut dyn FnMut(Event<'_>)) -> Result<T, E>,
    ) -> Result<T, GaveUp<E>> {
        let started = Instant::now();
        let mut failures = 0u32;
        loop {
            let attempt_started = Instant::now();
            let result = {
                let _running = self.watch.map(LockWatch::attempt);
                attempt(events)
            };
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if !error.is_lock_timeout() {
                return Err(GaveUp::Failed(error));
            }
            failures += 1;
            let blocked = self.watch.and_then(|w| w.blocked_since(attempt_started));
            if let Some(blocked) = &blocked {
                events(Event::LockBlocked {
                    name: self.name,
                    blocked,
                });
            }
            let delay = backoff(failures);
            if started.elapsed() + delay > self.budget {
                return Err(GaveUp::Exhausted {
                    error,
                    attempts: failures,
                    waited: started.elapsed(),
                    blocked,
                });
            }
            if let Some(stop) = self.interrupt.and_then(Interrupt::stop) {
                return Err(GaveUp::Interrupted { error, stop });
            }
            let reason = match &blocked {
                Some(blocked) => format!("{}\n  {blocked}", error.reason()),
                None => error.reason(),
            };
            events(Event::Retrying {
                name: self.name,
                attempt: failures,
                delay,
                reason,
            });
            match self.interrupt {
                // A stop during the delay ends it: the delay lasts up to seconds.
                Some(interrupt) => {
                    if let Some(stop) = interrupt.sleep(delay) {
                        return Err(GaveUp::Interrupted { error, stop });
                    }
                }
                None => std::thread::sleep(delay),
            }
        }
    }
}

/// The delay before retry number `attempt` (1-based): doubling from 200 ms, capped at 5 s, with "equal
/// jitter" (half fixed, half random) so replicas that collided do not retry in lockstep.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let exp = FIRST_DELAY.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(MAX_DELAY);
    let half = capped / 2;
    half + half.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in error: whether it is a lock timeout, and its text.
    #[derive(Debug, PartialEq)]
    struct Failed(bool, &'static str);

    impl LockTimeout for Failed {
        fn is_lock_timeout(&self) -> bool {
            self.0
        }

        fn reason(&self) -> String {
            self.1.to_owned()
        }
    }

    fn retry(budget: Duration, interrupt: Option<&Interrupt>) -> LockRetry<'_> {
        LockRetry {
            name: "20240101000000_m",
            budget,
            interrupt,
            watch: None,
        }
    }

    #[test]
    fn retries_lock_timeouts_until_an_attempt_succeeds_reporting_each_retry() {
        let mut results = vec![
            Ok(7),
            Err(Failed(true, "second")),
            Err(Failed(true, "first")),
        ];
        let mut seen = Vec::new();
        let got = retry(Duration::from_secs(60), None).run(
            &mut |event| {
                if let Event::Retrying {
                    name,
                    attempt,
                    reason,
                    ..
                } = event
                {
                    seen.push((name.to_owned(), attempt, reason));
                }
            },
            |_| results.pop().unwrap_or(Ok(0)),
        );
        assert_eq!(got.ok(), Some(7));
        assert_eq!(
            seen,
            vec![
                ("20240101000000_m".to_owned(), 1, "first".to_owned()),
                ("20240101000000_m".to_owned(), 2, "second".to_owned()),
            ]
        );
    }

    #[test]
    fn another_error_is_returned_at_once() {
        let mut attempts = 0;
        let got = retry(Duration::from_secs(60), None).run(&mut |_| {}, |_| {
            attempts += 1;
            Err::<(), _>(Failed(false, "syntax error"))
        });
        assert!(matches!(
            got,
            Err(GaveUp::Failed(Failed(false, "syntax error")))
        ));
        assert_eq!(attempts, 1);
    }

    #[test]
    fn gives_up_when_the_next_delay_would_pass_the_budget() {
        let mut events = 0;
        let got = retry(Duration::ZERO, None).run(&mut |_| events += 1, |_| {
            Err::<(), _>(Failed(true, "lock timeout"))
        });
        match got {
            Err(GaveUp::Exhausted {
                error, attempts, ..
            }) => assert_eq!((error, attempts), (Failed(true, "lock timeout"), 1)),
            other => panic!("expected Exhausted, got {other:?}"),
        }
        assert_eq!(events, 0, "no retry is announced when none follows");
    }

    #[test]
    fn a_requested_stop_ends_the_retries_where_the_caller_allows_it() {
        let interrupt = Interrupt::new();
        interrupt.request(15);
        let got = retry(Duration::from_secs(60), Some(&interrupt))
            .run(&mut |_| {}, |_| Err::<(), _>(Failed(true, "lock timeout")));
        assert!(matches!(
            got,
            Err(GaveUp::Interrupted {
                stop: Stop::Signal(15),
                ..
            })
        ));
    }

    #[test]
    fn backoff_doubles_then_caps_with_jitter_in_the_upper_half() {
        for _ in 0..50 {
            for (attempt, full) in [(1, 200), (2, 400), (3, 800), (6, 5000), (40, 5000)] {
                let d = backoff(attempt);
                let full = Duration::from_millis(full);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
    }
}
