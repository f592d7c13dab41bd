//! How long a backfill has left: the work left divided by the rate of the recent part of the run.
//!
//! The rate is taken over the later half of the time worked so far (pauses left out: how long a standby
//! takes to catch up says nothing of the batches), at least [`MIN_WINDOW`]: the first batches run on cold
//! caches and with a batch size still finding its level, so a rate since the start lags behind the one the
//! rest of the run will have, and one over the last few batches swings with each lock wait. The work is
//! counted in what the walk steps over: keys for a walk by key ranges (the rows the application's writers
//! fill meanwhile are skipped, and still walked), rows otherwise.

use std::collections::VecDeque;
use std::time::Duration;

/// The shortest window the rate is taken over.
pub(crate) const MIN_WINDOW: Duration = Duration::from_secs(2);

/// Batches seen before a first estimate: the very first ones say little.
const FIRST_ESTIMATE_AFTER: usize = 3;

/// Estimates the time left from each batch's progress.
#[derive(Debug, Default)]
pub(crate) struct Remaining {
    /// Time worked and work done after each batch, oldest first, kept as far back as the window reaches.
    samples: VecDeque<(Duration, u64)>,
    batches: usize,
}

impl Remaining {
    /// After a batch: `worked` is the time the backfill worked so far in this run (pauses left out), `done`
    /// the work done by then and `total` all the work of this run, in the same unit. Returns the time left,
    /// once there is enough to go on.
    pub(crate) fn after_batch(&mut self, worked: Duration, done: u64, total: u64) -> Option<Duration> {
        self.batches += 1;
        self.samples.push_back((worked, done));
        let window = (worked / 2).max(MIN_WINDOW);
        let start = worked.saturating_sub(window);
        // Keep the last sample at or before the window's start: the rate is measured from there.
        while self.samples.len() > 2 && self.samples[1].0 <= start {
            self.samples.pop_front();
        }
        let &(since, from) = self.samples.front()?;
        let (time, work) = (worked.saturating_sub(since), done.saturating_sub(from));
        if self.batches < FIRST_ESTIMATE_AFTER || time.is_zero() || work == 0 {
            return None;
        }
        let left = total.saturating_sub(done) as f64;
        Some(Duration::from_secs_f64(
            (left * time.as_secs_f64() / work as f64).min(1e9),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds batches of `rows` each taking `each`, from `worked`/`done`; returns the last estimate.
    fn feed(
        estimate: &mut Remaining,
        (worked, done): &mut (Duration, u64),
        batches: u32,
        rows: u64,
        each: Duration,
        total: u64,
    ) -> Option<Duration> {
        let mut last = None;
        for _ in 0..batches {
            *worked += each;
            *done += rows;
            last = estimate.after_batch(*worked, *done, total);
        }
        last
    }

    fn secs(d: Option<Duration>) -> f64 {
        d.expect("an estimate").as_secs_f64()
    }

    #[test]
    fn a_steady_rate_gives_the_time_left_and_the_first_batches_give_none() {
        let mut e = Remaining::default();
        let mut at = (Duration::ZERO, 0);
        let ms50 = Duration::from_millis(50);
        assert_eq!(feed(&mut e, &mut at, 2, 1000, ms50, 100_000), None);
        // 1000 rows per 50 ms: 20,000 rows/s; 97,000 rows left after the third batch.
        let left = secs(feed(&mut e, &mut at, 1, 1000, ms50, 100_000));
        assert!((left - 4.85).abs() < 1e-6, "{left}");
    }

    #[test]
    fn slow_first_batches_weigh_nothing_once_the_run_is_past_them() {
        // A cold start: 10 batches at a fifth of the rate, then the run's own rate (20,000 rows/s).
        let mut e = Remaining::default();
        let mut at = (Duration::ZERO, 0);
        feed(&mut e, &mut at, 10, 200, Duration::from_millis(50), 300_000);
        let left = secs(feed(&mut e, &mut at, 100, 1000, Duration::from_millis(50), 300_000));
        // 102,000 rows done after 5.5 s of work; the later half (2.75 s) ran at the full rate.
        let truth = (300_000 - 102_000) as f64 / 20_000.0;
        assert!((left - truth).abs() / truth < 0.01, "{left} vs {truth}");
    }

    #[test]
    fn a_rate_that_changes_is_followed_within_half_the_run() {
        // 30 s at 10,000 rows/s, then 10 s at 5,000: the window (20 s) holds both, three quarters old rate.
        let mut e = Remaining::default();
        let mut at = (Duration::ZERO, 0);
        let ms100 = Duration::from_millis(100);
        feed(&mut e, &mut at, 300, 1000, ms100, 1_000_000);
        let left = secs(feed(&mut e, &mut at, 100, 500, ms100, 1_000_000));
        let rate = (10.0 * 10_000.0 + 10.0 * 5_000.0) / 20.0;
        let truth = (1_000_000.0 - 350_000.0) / rate;
        assert!((left - truth).abs() / truth < 0.02, "{left} vs {truth}");
        // Once the window holds only the new rate, the estimate is that rate's.
        let left = secs(feed(&mut e, &mut at, 300, 500, ms100, 1_000_000));
        let truth = (1_000_000.0 - 500_000.0) / 5_000.0;
        assert!((left - truth).abs() / truth < 0.01, "{left} vs {truth}");
    }

    #[test]
    fn the_window_keeps_at_least_two_seconds_and_no_more_than_it_needs() {
        let mut e = Remaining::default();
        let mut at = (Duration::ZERO, 0);
        feed(&mut e, &mut at, 1000, 100, Duration::from_millis(10), u64::MAX);
        // 10 s worked: the window is the last 5 s, 500 batches, and one sample before it.
        assert_eq!(e.samples.len(), 501);
        let mut e = Remaining::default();
        let mut at = (Duration::ZERO, 0);
        feed(&mut e, &mut at, 100, 100, Duration::from_millis(10), u64::MAX);
        // 1 s worked: all of it, under the 2 s minimum.
        assert_eq!(e.samples.len(), 100);
    }

    #[test]
    fn nothing_left_is_no_time_and_no_progress_is_no_estimate() {
        let mut e = Remaining::default();
        let mut at = (Duration::ZERO, 0);
        let done = feed(&mut e, &mut at, 5, 100, Duration::from_millis(50), 500);
        assert_eq!(done, Some(Duration::ZERO));
        let mut e = Remaining::default();
        let mut at = (Duration::ZERO, 0);
        assert_eq!(
            feed(&mut e, &mut at, 5, 0, Duration::from_millis(50), 500),
            None
        );
    }
}
