//! Which target runs next. Workers (threads, at most the parallel limit) take targets in the order given:
//! the canary first, then the others once every canary succeeded; never more sessions on one server than
//! its budget; a target another runner holds is put back and revisited after the others that are free;
//! nothing new once the failure policy or a stop request says so.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::options::{OnBusy, OnError};
use super::report::StopReason;
use super::stop::Stop;

/// How long a target held by another runner waits before it is tried again, times the number of times it was
/// found held, up to ten: another runner's target is usually done within a second, and one held for long (a
/// long backfill) is asked about every two seconds, not hammered. Targets that are free come first anyway.
const REVISIT: Duration = Duration::from_millis(200);

/// How often an idle worker looks at a stop request.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// What one attempt at a target gave.
pub(crate) enum Attempt<R> {
    /// It ran (or failed); `failed` counts for the failure policy.
    Finished { result: R, failed: bool },
    /// Another runner holds its lock.
    Busy { holder: Option<i32> },
}

/// How a target ended in the schedule.
pub(crate) enum Slot<R> {
    Ran(R),
    /// Held by another runner to the end ([`OnBusy::Report`]).
    Busy,
    /// Not started: the failure policy or the canary stopped the rollout.
    Skipped,
    /// Not started: a stop request or the end of the time budget came first.
    NotStarted,
    /// The work panicked (a bug, or an application's event callback): counted as failed, with the message.
    Panicked(String),
}

/// The schedule's settings, resolved against the target list.
pub(crate) struct Plan<'p> {
    /// Server number of each target.
    pub servers: &'p [usize],
    pub parallel: usize,
    pub per_server: usize,
    /// Positions of the canary targets, in order; empty for none.
    pub canary: &'p [usize],
    pub on_error: OnError,
    pub max_failures: Option<usize>,
    pub on_busy: OnBusy,
    /// Names, for stop reasons.
    pub names: &'p [String],
}

pub(crate) struct Outcome<R> {
    pub slots: Vec<Slot<R>>,
    /// Busy revisits of each target.
    pub busy: Vec<u32>,
    pub stopped: Option<StopReason>,
}

struct State<R> {
    ready: VecDeque<usize>,
    /// Held by another runner, with the time to try again.
    later: Vec<(Instant, usize)>,
    /// The targets after the canary, until it passed.
    rest: Vec<usize>,
    in_canary: bool,
    running: usize,
    per_server: Vec<usize>,
    failures: usize,
    /// Canary targets that failed.
    canary_failed: Vec<usize>,
    stopped: Option<StopReason>,
    /// Whether `stopped` was already announced.
    announced: bool,
    slots: Vec<Option<Slot<R>>>,
    busy: Vec<u32>,
}

/// Events of the schedule itself, for the caller's progress.
pub(crate) enum Note<'n> {
    Busy {
        index: usize,
        holder: Option<i32>,
        revisits: u32,
    },
    CanaryPassed {
        targets: usize,
    },
    Stopping(&'n StopReason),
}

/// Runs `work` on every target under `plan`, on at most `plan.parallel` threads.
pub(crate) fn run<R: Send>(
    plan: &Plan<'_>,
    stop: &Stop,
    note: &(dyn Fn(Note<'_>) + Sync),
    work: &(dyn Fn(usize) -> Attempt<R> + Sync),
) -> Outcome<R> {
    let n = plan.servers.len();
    let servers = plan.servers.iter().copied().max().map_or(0, |m| m + 1);
    let (first, rest): (VecDeque<usize>, Vec<usize>) = if plan.canary.is_empty() {
        ((0..n).collect(), Vec::new())
    } else {
        (
            plan.canary.iter().copied().collect(),
            (0..n).filter(|i| !plan.canary.contains(i)).collect(),
        )
    };
    let state = Mutex::new(State {
        ready: first,
        later: Vec::new(),
        in_canary: !plan.canary.is_empty(),
        rest,
        running: 0,
        per_server: vec![0; servers],
        failures: 0,
        canary_failed: Vec::new(),
        stopped: None,
        announced: false,
        slots: (0..n).map(|_| None).collect(),
        busy: vec![0; n],
    });
    let changed = Condvar::new();
    let workers = plan.parallel.clamp(1, n.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| worker(plan, stop, note, work, &state, &changed));
        }
    });
    let mut state = state.into_inner().unwrap_or_else(PoisonError::into_inner);
    if let Some(StopReason::Canary { failed }) = &mut state.stopped {
        if !state.canary_failed.is_empty() {
            *failed = state
                .canary_failed
                .iter()
                .map(|&i| plan.names[i].clone())
                .collect();
        }
    }
    let not_started = if matches!(
        state.stopped,
        Some(StopReason::Signal(_) | StopReason::OutOfTime(_))
    ) {
        || Slot::NotStarted
    } else {
        || Slot::Skipped
    };
    Outcome {
        slots: state
            .slots
            .into_iter()
            .map(|slot| slot.unwrap_or_else(not_started))
            .collect(),
        busy: state.busy,
        stopped: state.stopped,
    }
}

fn worker<R: Send>(
    plan: &Plan<'_>,
    stop: &Stop,
    note: &(dyn Fn(Note<'_>) + Sync),
    work: &(dyn Fn(usize) -> Attempt<R> + Sync),
    state: &Mutex<State<R>>,
    changed: &Condvar,
) {
    let w = Worker {
        plan,
        note,
        work,
        state,
        changed,
    };
    let mut st = w.lock();
    loop {
        if st.stopped.is_none() {
            st.stopped = requested_stop(stop);
        }
        if let (Some(reason), false) = (st.stopped.clone(), st.announced) {
            st = w.announce(st, &reason);
            continue;
        }
        let now = Instant::now();
        if let Some(i) = pick(&mut st, plan, now) {
            st = w.attempt(st, i);
            changed.notify_all();
            continue;
        }
        if st.stopped.is_some() {
            // Nothing new starts; the workers with a target running finish it and come here too.
            changed.notify_all();
            return;
        }
        let idle = st.running == 0
            && st.ready.is_empty()
            && (st.later.is_empty() || plan.on_busy == OnBusy::Report);
        if idle {
            let (guard, more) = w.drained(st);
            changed.notify_all();
            if !more {
                return;
            }
            st = guard;
            continue;
        }
        let wait = next_look(&st.later, now);
        st = changed
            .wait_timeout(st, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// The schedule's state as one worker reaches it, with the plan and the caller's work and notes. Each step
/// takes the lock's guard and gives it back, having released it around the caller's code.
struct Worker<'w, 'p, R> {
    plan: &'w Plan<'p>,
    note: &'w (dyn Fn(Note<'_>) + Sync),
    work: &'w (dyn Fn(usize) -> Attempt<R> + Sync),
    state: &'w Mutex<State<R>>,
    changed: &'w Condvar,
}

type Guard<'w, R> = MutexGuard<'w, State<R>>;

impl<'w, R> Worker<'w, '_, R> {
    fn lock(&self) -> Guard<'w, R> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Says once why the rollout stops, and wakes the other workers to see it.
    fn announce(&self, mut st: Guard<'w, R>, reason: &StopReason) -> Guard<'w, R> {
        st.announced = true;
        drop(st);
        (self.note)(Note::Stopping(reason));
        self.changed.notify_all();
        self.lock()
    }

    /// Runs target `i`, counted as running on its server meanwhile, and records what it gave.
    fn attempt(&self, mut st: Guard<'w, R>, i: usize) -> Guard<'w, R> {
        st.running += 1;
        st.per_server[self.plan.servers[i]] += 1;
        drop(st);
        // A panic must not leave the target counted as running, which would keep the others waiting.
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.work)(i)))
            .map_err(|panic| panic_text(panic.as_ref()));
        st = self.lock();
        st.running -= 1;
        st.per_server[self.plan.servers[i]] -= 1;
        match attempt {
            Err(message) => {
                st.slots[i] = Some(Slot::Panicked(message));
                failed_target(&mut st, self.plan, i);
            }
            Ok(Attempt::Busy { holder }) => st = self.held(st, i, holder),
            Ok(Attempt::Finished { result, failed }) => {
                st.slots[i] = Some(Slot::Ran(result));
                if failed {
                    failed_target(&mut st, self.plan, i);
                }
            }
        }
        st
    }

    /// Puts back target `i`, held by another runner (`holder`), to be tried again later, and says so.
    fn held(&self, mut st: Guard<'w, R>, i: usize, holder: Option<i32>) -> Guard<'w, R> {
        st.busy[i] += 1;
        // A little spread, so runners that collided do not collide again in step.
        let jitter = Duration::from_millis(fastrand::u64(0..100));
        let wait = revisit_after(st.busy[i]) + jitter;
        st.later.push((Instant::now() + wait, i));
        let revisits = st.busy[i];
        drop(st);
        (self.note)(Note::Busy {
            index: i,
            holder,
            revisits,
        });
        self.lock()
    }

    /// Nothing runs and nothing is left to start: the targets still held by another runner are busy to the end.
    /// After the canary, the others are queued if every canary target ran, else the rollout stops. Whether
    /// there is more to do.
    fn drained(&self, mut st: Guard<'w, R>) -> (Guard<'w, R>, bool) {
        let busy: Vec<usize> = std::mem::take(&mut st.later)
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        for &i in &busy {
            st.slots[i] = Some(Slot::Busy);
        }
        if !st.in_canary {
            return (st, false);
        }
        st.in_canary = false;
        if busy.is_empty() {
            st.ready = std::mem::take(&mut st.rest).into();
            let targets = self.plan.canary.len();
            drop(st);
            (self.note)(Note::CanaryPassed { targets });
            st = self.lock();
        } else {
            // Held by another runner to the end: not known to have succeeded.
            st.stopped = Some(StopReason::Canary {
                failed: busy.iter().map(|&i| self.plan.names[i].clone()).collect(),
            });
        }
        (st, true)
    }
}

/// Why the rollout stops at the caller's request, if it does: a signal, else the time budget spent.
fn requested_stop(stop: &Stop) -> Option<StopReason> {
    if let Some(signal) = stop.requested() {
        Some(StopReason::Signal(signal))
    } else {
        stop.out_of_time().map(StopReason::OutOfTime)
    }
}

/// How long a target found held `found_held` times waits before it is tried again (see [`REVISIT`]).
fn revisit_after(found_held: u32) -> Duration {
    REVISIT * found_held.min(10)
}

/// How long an idle worker waits for a change: until the first held target is due, between a millisecond
/// and [`IDLE_POLL`], so that a stop request is seen.
fn next_look(later: &[(Instant, usize)], now: Instant) -> Duration {
    later
        .iter()
        .map(|(at, _)| at.saturating_duration_since(now))
        .min()
        .unwrap_or(IDLE_POLL)
        .clamp(Duration::from_millis(1), IDLE_POLL)
}

/// The next target to run: the first ready one whose server has room, else the first one held by another
/// runner whose time to try again has come. None once the rollout is stopping.
fn pick<R>(st: &mut State<R>, plan: &Plan<'_>, now: Instant) -> Option<usize> {
    if st.stopped.is_some() {
        return None;
    }
    let has_room = |st: &State<R>, i: usize| st.per_server[plan.servers[i]] < plan.per_server;
    if let Some(at) = (0..st.ready.len()).find(|&k| has_room(st, st.ready[k])) {
        return st.ready.remove(at);
    }
    let due = (0..st.later.len())
        .filter(|&k| st.later[k].0 <= now && has_room(st, st.later[k].1))
        .min_by_key(|&k| st.later[k].0)?;
    Some(st.later.swap_remove(due).1)
}

/// Counts a failure and applies the policy to what is not started yet.
fn failed_target<R>(st: &mut State<R>, plan: &Plan<'_>, i: usize) {
    st.failures += 1;
    if st.in_canary {
        st.canary_failed.push(i);
        // The rest waits for the canary anyway; the canaries not started are not worth starting.
        if st.stopped.is_none() {
            st.stopped = Some(StopReason::Canary {
                failed: vec![plan.names[i].clone()],
            });
        }
        return;
    }
    if st.stopped.is_some() {
        return;
    }
    match plan.on_error {
        OnError::Stop => {
            st.stopped = Some(StopReason::Failure {
                target: plan.names[i].clone(),
            })
        }
        OnError::Continue => {
            if plan.max_failures.is_some_and(|max| st.failures >= max) {
                st.stopped = Some(StopReason::MaxFailures {
                    failures: st.failures,
                });
            }
        }
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    fn plan<'p>(servers: &'p [usize], canary: &'p [usize], names: &'p [String]) -> Plan<'p> {
        Plan {
            servers,
            parallel: 1,
            per_server: 1,
            canary,
            on_error: OnError::Stop,
            max_failures: None,
            on_busy: OnBusy::Wait,
            names,
        }
    }

    /// What became of each target: `ran`, `failed`, `busy`, `skipped`, `not started`, `panicked`.
    fn kinds(outcome: &Outcome<bool>) -> Vec<&'static str> {
        outcome
            .slots
            .iter()
            .map(|slot| match slot {
                Slot::Ran(false) => "ran",
                Slot::Ran(true) => "failed",
                Slot::Busy => "busy",
                Slot::Skipped => "skipped",
                Slot::NotStarted => "not started",
                Slot::Panicked(_) => "panicked",
            })
            .collect()
    }

    fn finished(failed: bool) -> Attempt<bool> {
        Attempt::Finished {
            result: failed,
            failed,
        }
    }

    #[test]
    fn the_canary_runs_first_and_the_others_only_once_it_passed() {
        let names = names(4);
        let order = Mutex::new(Vec::new());
        let passed = AtomicUsize::new(0);
        let outcome = run(
            &plan(&[0, 0, 0, 0], &[2], &names),
            &Stop::new(),
            &|note| {
                if let Note::CanaryPassed { targets } = note {
                    passed.store(targets, Ordering::SeqCst);
                }
            },
            &|i| {
                order.lock().unwrap().push(i);
                finished(false)
            },
        );
        assert_eq!(order.into_inner().unwrap(), [2, 0, 1, 3]);
        assert_eq!(passed.load(Ordering::SeqCst), 1);
        assert_eq!(kinds(&outcome), ["ran"; 4]);
        assert!(outcome.stopped.is_none());
    }

    #[test]
    fn a_failed_canary_stops_the_rollout_naming_it() {
        let names = names(3);
        let outcome = run(
            &plan(&[0, 0, 0], &[0], &names),
            &Stop::new(),
            &|_| {},
            &|i| finished(i == 0),
        );
        assert_eq!(kinds(&outcome), ["failed", "skipped", "skipped"]);
        assert_eq!(
            outcome.stopped,
            Some(StopReason::Canary {
                failed: vec!["t0".to_owned()]
            })
        );
    }

    #[test]
    fn a_failure_stops_new_targets_or_counts_toward_the_limit() {
        let names = names(5);
        let servers = [0; 5];
        let stop = run(
            &plan(&servers, &[], &names),
            &Stop::new(),
            &|_| {},
            &|i| finished(i == 1),
        );
        assert_eq!(
            kinds(&stop),
            ["ran", "failed", "skipped", "skipped", "skipped"]
        );
        assert_eq!(
            stop.stopped,
            Some(StopReason::Failure {
                target: "t1".to_owned()
            })
        );
        let mut go_on = plan(&servers, &[], &names);
        go_on.on_error = OnError::Continue;
        let all = run(&go_on, &Stop::new(), &|_| {}, &|i| finished(i % 2 == 1));
        assert_eq!(kinds(&all), ["ran", "failed", "ran", "failed", "ran"]);
        assert!(all.stopped.is_none());
        go_on.max_failures = Some(1);
        let limited = run(&go_on, &Stop::new(), &|_| {}, &|i| finished(i % 2 == 1));
        assert_eq!(
            kinds(&limited),
            ["ran", "failed", "skipped", "skipped", "skipped"]
        );
        assert_eq!(
            limited.stopped,
            Some(StopReason::MaxFailures { failures: 1 })
        );
    }

    /// Four workers over two servers of three targets each, at most two sessions a server: never more.
    #[test]
    fn no_server_gets_more_sessions_than_its_budget() {
        let names = names(6);
        let servers = [0, 0, 0, 1, 1, 1];
        let mut p = plan(&servers, &[], &names);
        p.parallel = 4;
        p.per_server = 2;
        let running = [AtomicUsize::new(0), AtomicUsize::new(0)];
        let most = [AtomicUsize::new(0), AtomicUsize::new(0)];
        let outcome = run(&p, &Stop::new(), &|_| {}, &|i| {
            let server = servers[i];
            let now = running[server].fetch_add(1, Ordering::SeqCst) + 1;
            most[server].fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            running[server].fetch_sub(1, Ordering::SeqCst);
            finished(false)
        });
        assert_eq!(kinds(&outcome), ["ran"; 6]);
        for server in &most {
            let most = server.load(Ordering::SeqCst);
            assert!((1..=2).contains(&most), "{most} sessions on one server");
        }
    }

    /// A target held by another runner is tried again after the free ones, and runs once it is free; with
    /// `OnBusy::Report` one still held when nothing else is left is reported as busy.
    #[test]
    fn a_held_target_is_revisited_after_the_free_ones_or_reported() {
        let names = names(3);
        let servers = [0; 3];
        let order = Mutex::new(Vec::new());
        let held_once = AtomicUsize::new(0);
        let outcome = run(&plan(&servers, &[], &names), &Stop::new(), &|_| {}, &|i| {
            order.lock().unwrap().push(i);
            if i == 0 && held_once.fetch_add(1, Ordering::SeqCst) == 0 {
                return Attempt::Busy { holder: Some(42) };
            }
            finished(false)
        });
        assert_eq!(order.into_inner().unwrap(), [0, 1, 2, 0]);
        assert_eq!(kinds(&outcome), ["ran"; 3]);
        assert_eq!(outcome.busy, [1, 0, 0]);

        let mut report = plan(&servers, &[], &names);
        report.on_busy = OnBusy::Report;
        let outcome = run(&report, &Stop::new(), &|_| {}, &|i| {
            if i == 1 {
                Attempt::Busy { holder: None }
            } else {
                finished(false)
            }
        });
        assert_eq!(kinds(&outcome), ["ran", "busy", "ran"]);
    }

    #[test]
    fn a_stop_request_starts_nothing_new_and_a_panic_counts_as_a_failure() {
        let names = names(3);
        let servers = [0; 3];
        let stop = Stop::new();
        let outcome = run(&plan(&servers, &[], &names), &stop, &|_| {}, &|i| {
            if i == 0 {
                stop.request(15);
            }
            finished(false)
        });
        assert_eq!(kinds(&outcome), ["ran", "not started", "not started"]);
        assert_eq!(outcome.stopped, Some(StopReason::Signal(15)));

        let mut go_on = plan(&servers, &[], &names);
        go_on.on_error = OnError::Continue;
        let outcome = run(&go_on, &Stop::new(), &|_| {}, &|i| {
            if i == 1 {
                panic!("the event callback broke");
            }
            finished(false)
        });
        assert_eq!(kinds(&outcome), ["ran", "panicked", "ran"]);
        match &outcome.slots[1] {
            Slot::Panicked(message) => assert_eq!(message, "the event callback broke"),
            _ => unreachable!(),
        }
    }

    /// A held target waits longer each time it is found held, up to ten times [`REVISIT`]; an idle worker
    /// looks again when the first one is due, never sooner than a millisecond nor later than [`IDLE_POLL`].
    #[test]
    fn held_targets_are_revisited_later_each_time_and_idle_workers_look_in_time() {
        assert_eq!(revisit_after(1), REVISIT);
        assert_eq!(revisit_after(3), REVISIT * 3);
        assert_eq!(revisit_after(25), REVISIT * 10);

        let now = Instant::now();
        assert_eq!(next_look(&[], now), IDLE_POLL);
        let soon = [
            (now + Duration::from_millis(60), 0),
            (now + Duration::from_millis(30), 1),
        ];
        assert_eq!(next_look(&soon, now), Duration::from_millis(30));
        assert_eq!(
            next_look(&[(now + Duration::from_secs(5), 0)], now),
            IDLE_POLL
        );
        assert_eq!(next_look(&[(now, 0)], now), Duration::from_millis(1));
    }
}
