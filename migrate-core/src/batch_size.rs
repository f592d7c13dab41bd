//! A batch size that adapts: each batch's rows per second, smoothed, times the target batch time gives the
//! next size, moved by a damped step and kept within bounds. So one setting serves a table of ten thousand
//! rows and one of a hundred million, and a batch holds its row locks about the target time whatever a row
//! costs.
//!
//! The step is at most x1.25 up (doubling while the first batches take under half the target, so a small
//! start reaches its size in a few batches) and at most halved down (a batch that took far longer than the
//! target, because of lock waits or I/O, shrinks the next one quickly: writers wait behind its locks).

use std::time::Duration;

use migrate_dsl::Backfill;

use crate::throttle::BackfillSettings;

/// Weight of the newest batch in the smoothed rate.
const SMOOTHING: f64 = 0.3;

/// The size of the next batch.
#[derive(Debug, Clone)]
pub(crate) struct BatchSizer {
    size: f64,
    /// `None`: the size is fixed.
    adapt: Option<Adapt>,
}

#[derive(Debug, Clone)]
struct Adapt {
    target: Duration,
    min: f64,
    max: f64,
    /// Rows per second, smoothed.
    rate: Option<f64>,
    /// Still growing fast from the start.
    starting: bool,
}

impl BatchSizer {
    /// The sizing of `spec` with the run's `settings`: fixed when the backfill set its `batch_size` or the
    /// run does not adapt, else adapting from the backfill's first size.
    pub(crate) fn of(spec: &Backfill, settings: &BackfillSettings) -> Self {
        let pacing = spec.pacing();
        let start = f64::from(spec.rows_per_batch().max(1));
        if pacing.fixed_size || !(settings.adaptive_batch_size || pacing.batch_bounds.is_some()) {
            return BatchSizer {
                size: start,
                adapt: None,
            };
        }
        let (min, max) = pacing
            .batch_bounds
            .unwrap_or((settings.min_batch_size, settings.max_batch_size));
        let (min, max) = (f64::from(min.max(1)), f64::from(max.max(min.max(1))));
        BatchSizer {
            size: start.clamp(min, max),
            adapt: Some(Adapt {
                target: pacing
                    .target_batch_time
                    .unwrap_or(settings.target_batch_time),
                min,
                max,
                rate: None,
                starting: true,
            }),
        }
    }

    /// Rows the next batch takes.
    /// Whether the size adapts (rather than being fixed by the backfill or the settings).
    pub(crate) fn adapts(&self) -> bool {
        self.adapt.is_some()
    }

    pub(crate) fn next(&self) -> u32 {
        self.size.round().clamp(1.0, f64::from(u32::MAX)) as u32
    }

    /// A batch of `rows` (fewer than asked for only at the end) took `took`, locks held included.
    pub(crate) fn observe(&mut self, rows: u64, took: Duration) {
        let Some(adapt) = &mut self.adapt else {
            return;
        };
        if rows == 0 || took.is_zero() {
            return;
        }
        let sample = rows as f64 / took.as_secs_f64();
        // A batch far over the target is believed at once: writers are waiting behind such batches.
        let rate = match adapt.rate {
            Some(rate) if took <= adapt.target * 2 => SMOOTHING * sample + (1.0 - SMOOTHING) * rate,
            _ => sample,
        };
        adapt.rate = Some(rate);
        let ideal = rate * adapt.target.as_secs_f64();
        adapt.starting &= took < adapt.target / 2;
        let up = if adapt.starting { 2.0 } else { 1.25 };
        self.size = ideal
            .clamp(self.size / 2.0, self.size * up)
            .clamp(adapt.min, adapt.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_dsl::MigrationBuilder;

    fn sizer(configure: impl FnOnce(&mut migrate_dsl::Backfill)) -> BatchSizer {
        let mut pgm = MigrationBuilder::new();
        configure(pgm.backfill("t", "x = 1"));
        let Some(migrate_dsl::Operation::Backfill(spec)) = pgm.operations().first() else {
            unreachable!()
        };
        BatchSizer::of(spec, &BackfillSettings::default())
    }

    /// Feeds batches of a table where a row costs `per_row`; returns the sizes.
    fn run(sizer: &mut BatchSizer, per_row: Duration, batches: usize) -> Vec<u32> {
        (0..batches)
            .map(|_| {
                let rows = sizer.next();
                sizer.observe(u64::from(rows), per_row * rows);
                rows
            })
            .collect()
    }

    #[test]
    fn the_size_moves_toward_the_target_time_with_damped_steps() {
        // 10 µs a row: 50 ms is 5000 rows.
        let mut s = sizer(|_| {});
        let sizes = run(&mut s, Duration::from_micros(10), 30);
        assert_eq!(sizes[0], 1000);
        assert_eq!(sizes[1], 2000, "doubles at the start");
        assert!(sizes.windows(2).all(|w| w[1] <= w[0] * 2), "{sizes:?}");
        assert_eq!(*sizes.last().expect("sizes"), 5000, "{sizes:?}");
        // Rows become 10x dearer (lock waits, I/O): halved at most per batch, then settling near 500.
        let sizes = run(&mut s, Duration::from_micros(100), 30);
        assert_eq!(sizes[1], sizes[0] / 2, "{sizes:?}");
        assert!(
            (450..=550).contains(sizes.last().expect("sizes")),
            "{sizes:?}"
        );
    }

    #[test]
    fn bounds_and_a_fixed_size_hold() {
        let mut s = sizer(|b| {
            b.adaptive_batch_size(200, 3000);
        });
        assert_eq!(
            *run(&mut s, Duration::from_micros(1), 40).last().unwrap(),
            3000
        );
        let mut s = sizer(|b| {
            b.adaptive_batch_size(200, 3000);
        });
        assert_eq!(
            *run(&mut s, Duration::from_millis(5), 40).last().unwrap(),
            200
        );
        let mut s = sizer(|b| {
            b.batch_size(700);
        });
        assert!(run(&mut s, Duration::from_micros(1), 10)
            .iter()
            .all(|&n| n == 700));
    }
}
