//! The batch loop of a walk: before each batch the throttle's wait, then the batch (retried after lock
//! timeouts), counted and reported, then a stop or the pause between batches.

use postgres::Client;

use super::*;

/// The batch loop; returns the rows done.
pub(super) fn run_batches(
    conn: &mut Client,
    walk: &Walk<'_>,
    start: Position,
    context: &Context<'_>,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<u64, Failure> {
    let mut walker = Walker::start(conn, walk, start, context)?;
    let retry = LockRetry {
        name: walk.origin.migration.name(),
        // Retrying after lock timeouts is waiting too: no longer than one pause may last.
        budget: context.retry_budget.min(context.settings.max_pause),
        // Between attempts the batch has rolled back: a stop loses nothing there.
        interrupt: Some(context.interrupt),
        watch: Some(context.lock_watch),
    };
    loop {
        // Before each batch, the first included: the lag never exceeds the limit by more than one batch.
        walker.wait_for_server(conn, events)?;
        let Some(batch) = walker.run_batch(conn, &retry, events)? else {
            break;
        };
        walker.count(batch, events);
        // Between batches, where stopping loses nothing: the next run resumes after this batch.
        walker.stop_or_pause()?;
    }
    Ok(walker.finished(events))
}

/// A walk under way, batch after batch: where it stands, and what this run measures and paces it with.
struct Walker<'w> {
    walk: &'w Walk<'w>,
    context: &'w Context<'w>,
    /// The key of the last row done, none before the first batch.
    cursor: Option<Vec<String>>,
    /// Rows done, earlier interrupted runs included.
    done: u64,
    total: u64,
    started: Instant,
    done_at_start: u64,
    /// Batches committed by this run.
    batches: u64,
    sizer: BatchSizer,
    dense: Option<DenseKey>,
    /// Where the estimate of the time left counts keys from, on a walk by key ranges.
    walked_from: Option<i64>,
    remaining: Remaining,
    throttle: Throttle<'w>,
}

impl<'w> Walker<'w> {
    /// The walk from `position`, its clock started; a dense integer key's bounds are read here.
    fn start(
        conn: &mut impl GenericClient,
        walk: &'w Walk<'w>,
        position: Position,
        context: &'w Context<'w>,
    ) -> Result<Self, Failure> {
        let Position {
            cursor,
            done,
            total,
        } = position;
        let started = Instant::now();
        let sizer = BatchSizer::of(walk.spec, context.settings);
        let dense = walk
            .exec
            .dense_key(conn, cursor.as_ref(), total, sizer.adapts())
            .map_err(Failure::database(
                "cannot read the bounds of the primary key",
                done,
            ))?;
        // The estimate of the time left counts keys on a walk by key ranges, from where this run starts.
        let walked_from =
            dense.map(|d| key_of(cursor.as_ref()).unwrap_or(d.first.saturating_sub(1)));
        Ok(Walker {
            walk,
            context,
            cursor,
            done,
            total,
            started,
            done_at_start: done,
            batches: 0,
            sizer,
            dense,
            walked_from,
            remaining: Remaining::default(),
            throttle: Throttle::new(
                throttle::Resolved::of(walk.spec, context.settings),
                &walk.exec.target,
            ),
        })
    }

    /// How the walk stops on `cause`, with what it had committed by then.
    fn failed(&self, cause: DataCause) -> Failure {
        Failure {
            cause,
            batches: self.batches,
            rows: self.done,
        }
    }

    /// Waits until the server can take the next batch (see [`Throttle::wait`]).
    fn wait_for_server(
        &mut self,
        conn: &mut Client,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Failure> {
        let name = self.walk.origin.migration.name();
        self.throttle
            .wait(conn, name, self.context.interrupt, events)
            .map_err(|stopped| self.failed(stopped_cause(stopped, self.done, self.total)))
    }

    /// The next batch, retried after lock timeouts; `None` when no rows are left.
    fn run_batch(
        &mut self,
        conn: &mut Client,
        retry: &LockRetry<'_>,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<Option<Batch>, Failure> {
        let (walk, interrupt) = (self.walk, self.context.interrupt);
        let done_before = i64::try_from(self.done).unwrap_or(i64::MAX);
        let limit = self.sizer.next();
        let batch_started = Instant::now();
        let batch = retry
            .run(events, |_| {
                // No batch starts once a stop is due; a first stop lets a running one commit.
                let _running = interrupt.batch().map_err(BatchError::Stopped)?;
                batch(
                    conn,
                    walk,
                    &mut self.dense,
                    &self.cursor,
                    done_before,
                    (limit, self.sizer.adapts()),
                )
            })
            .map_err(|gave_up| {
                self.failed(gave_up_cause(gave_up, interrupt, self.done, self.total))
            })?;
        let Some(batch) = batch else {
            return Ok(None);
        };
        // Lock waits and retries count: they are what the application's writers feel too.
        self.sizer.observe(batch.walked, batch_started.elapsed());
        Ok(Some(batch))
    }

    /// Counts a committed batch and says so, with the rate and the estimate of the time left.
    fn count(&mut self, batch: Batch, events: &mut dyn FnMut(Event<'_>)) {
        let Batch { rows, next, .. } = batch;
        self.done += rows;
        self.batches += 1;
        let progress = match (self.dense, self.walked_from) {
            (Some(dense), Some(from)) => (
                key_of(Some(&next)).map_or(0, |at| keys_between(from, at)),
                keys_between(from, dense.last),
            ),
            _ => (
                self.done - self.done_at_start,
                self.total.saturating_sub(self.done_at_start),
            ),
        };
        self.cursor = Some(next);
        let worked = self.started.elapsed().saturating_sub(self.throttle.paused());
        events(Event::Backfill {
            name: self.walk.origin.migration.name(),
            table: &self.walk.exec.target,
            done: self.done,
            total: self.total,
            rate: (self.done - self.done_at_start) as f64
                / self.started.elapsed().as_secs_f64().max(1e-3),
            batch_size: self.sizer.next(),
            remaining: self.remaining.after_batch(worked, progress.0, progress.1),
        });
    }

    /// Stops when a stop is due, else sleeps the pause between batches (a stop cuts it short).
    fn stop_or_pause(&self) -> Result<(), Failure> {
        let interrupt = self.context.interrupt;
        if let Some(stop) = interrupt.stop() {
            return Err(self.failed(stop.cause(self.done, self.total)));
        }
        let pause = self.walk.spec.pause_between_batches();
        if let Some(stop) = interrupt.sleep(pause) {
            return Err(self.failed(stop.cause(self.done, self.total)));
        }
        Ok(())
    }

    /// Says that this run's part of the backfill finished; returns the rows done.
    fn finished(self, events: &mut dyn FnMut(Event<'_>)) -> u64 {
        events(Event::BackfillFinished {
            name: self.walk.origin.migration.name(),
            table: &self.walk.exec.target,
            rows: self.done - self.done_at_start,
            restored: self.walk.restoring,
            elapsed: self.started.elapsed(),
            pauses: self.throttle.totals(),
        });
        self.done
    }
}

/// Why the backfill stops when the throttle's wait ended without the server being ready.
fn stopped_cause(stopped: Stopped, done: u64, total: u64) -> DataCause {
    match stopped {
        Stopped::Failed(cause) => cause,
        Stopped::TooLong { cause, waited } => DataCause::PausedTooLong {
            cause,
            waited,
            done,
            total,
        },
        Stopped::Unanswered { check, max_pause } => DataCause::CheckUnanswered {
            check,
            max_pause,
            done,
            total,
        },
        Stopped::Interrupted(stop) => stop.cause(done, total),
    }
}

/// Why the backfill stops when a batch failed for good; its transaction was rolled back.
fn gave_up_cause(
    gave_up: GaveUp<BatchError>,
    interrupt: &Interrupt,
    done: u64,
    total: u64,
) -> DataCause {
    match gave_up {
        GaveUp::Exhausted {
            error: BatchError::Query(source),
            blocked,
            ..
        } => DataCause::LockTimeout { source, blocked },
        GaveUp::Interrupted { stop, .. } | GaveUp::Failed(BatchError::Stopped(stop)) => {
            stop.cause(done, total)
        }
        // Cancelled on a stop (a second signal, or a batch past its grace): rolled back.
        GaveUp::Failed(error) | GaveUp::Exhausted { error, .. } => match interrupt.stop() {
            Some(stop) if error.is_cancel() => stop.cause(done, total),
            _ => error.into_cause(),
        },
    }
}
