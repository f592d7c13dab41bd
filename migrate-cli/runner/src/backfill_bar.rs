//! The progress bar of the backfill running now (on stderr, drawn only on a terminal), and lines printed
//! above it: the run's output (`output`) and its pacing (`pacing`) both write there, so neither owns it.

use std::cell::RefCell;

use indicatif::{ProgressBar, ProgressStyle};

use crate::stdio::errln;

thread_local! {
    static BAR: RefCell<Option<ProgressBar>> = const { RefCell::new(None) };
}

/// Moves the bar to `done` of `total` rows with `message`, creating it at the backfill's first batch.
pub(crate) fn show(name: &str, table: &str, done: u64, total: u64, message: String) {
    BAR.with(|cell| {
        let mut bar = cell.borrow_mut();
        let bar = bar.get_or_insert_with(|| {
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
    });
}

/// Sets the bar's message, when a bar is drawn.
pub(crate) fn set_message(message: String) {
    BAR.with(|cell| {
        if let Some(bar) = cell.borrow().as_ref() {
            bar.set_message(message);
        }
    });
}

/// Prints `line` above the bar when one is drawn, else on stderr.
pub(crate) fn println(line: String) {
    BAR.with(|cell| match cell.borrow().as_ref() {
        Some(bar) if !bar.is_hidden() => bar.println(line),
        _ => errln!("{line}"),
    });
}

/// Removes the bar, if one is drawn, before the line that says how the backfill ended.
pub(crate) fn clear() {
    BAR.with(|cell| {
        if let Some(bar) = cell.borrow_mut().take() {
            bar.finish_and_clear();
        }
    });
}
