//! The progress bar of the backfill running now (on stderr, drawn only on a terminal), and lines printed
//! above it: the run's output (`output`) and its pacing (`pacing`) both write there, so neither owns it.

use indicatif::{ProgressBar, ProgressStyle};

use crate::stdio::errln;

/// The bar of the backfill running now, if one is drawn: part of the run's output state
/// ([`crate::output::RunOutput`]), so a run's bar is its own.
#[derive(Default)]
pub(crate) struct BackfillBar {
    bar: Option<ProgressBar>,
}

impl BackfillBar {
    /// Moves the bar to `done` of `total` rows with `message`, creating it at the backfill's first batch.
    pub(crate) fn show(&mut self, name: &str, table: &str, done: u64, total: u64, message: String) {
        let bar = self.bar.get_or_insert_with(|| {
            // Drawn on stderr, and only on a terminal: indicatif hides it otherwise.
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} rows, {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(format!("{name}: backfill {table}"));
            bar
        });
        bar.set_length(total.max(done));
        bar.set_position(done);
        bar.set_message(message);
    }

    /// Sets the bar's message, when a bar is drawn.
    pub(crate) fn set_message(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Prints `line` above the bar when one is drawn, else on stderr.
    pub(crate) fn println(&self, line: String) {
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(line),
            _ => errln!("{line}"),
        }
    }

    /// Removes the bar, if one is drawn, before the line that says how the backfill ended.
    pub(crate) fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
