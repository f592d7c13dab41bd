//! A fleet run's progress. On a terminal: a line with how many targets are done, failed, skipped and
//! running, and a line per running target with the migration it is on. Elsewhere (CI logs, a file): a plain
//! line per event, e.g. `tenant_7: applied 20260101000000_x (12 ms)` and `tenant_7: done, 3 applied`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use migrate_core::fleet::{FleetEvent, TargetState};
use migrate_core::{Direction, Event, PauseCause};

use super::summary::brief;
use crate::stdio::{errln, outln};

/// Shows a fleet run's events.
pub struct Progress {
    bars: Option<Bars>,
    /// Plain lines go to stderr (stdout is the JSON report's).
    to_stderr: bool,
    /// `applied` or `reverted`.
    ran_word: &'static str,
    /// Print plain lines per target (not for `status`, whose summary says it all).
    lines: bool,
    counts: Mutex<Counts>,
    /// Each paused target's cause last shown, so a pause prints a line when it starts or its cause
    /// changes, not at every re-check.
    paused: Mutex<HashMap<usize, PauseCause>>,
}

struct Bars {
    multi: MultiProgress,
    summary: ProgressBar,
    running: Mutex<HashMap<usize, ProgressBar>>,
}

#[derive(Default)]
struct Counts {
    done: usize,
    failed: usize,
    running: usize,
    busy: usize,
}

impl Progress {
    /// Progress for `total` targets; `json` sends plain lines to stderr; `per_target` prints them at all.
    pub fn new(
        total: usize,
        json: bool,
        per_target: bool,
        title: &str,
        ran_word: &'static str,
    ) -> Progress {
        let bars = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let summary = multi.add(ProgressBar::new(total as u64));
            summary.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} targets, {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            summary.set_prefix(title.to_owned());
            summary.enable_steady_tick(Duration::from_millis(200));
            Bars {
                multi,
                summary,
                running: Mutex::new(HashMap::new()),
            }
        });
        Progress {
            bars,
            to_stderr: json,
            ran_word,
            lines: per_target,
            counts: Mutex::new(Counts::default()),
            paused: Mutex::new(HashMap::new()),
        }
    }

    /// Shows one event (called from the fleet's worker threads).
    pub fn event(&self, event: FleetEvent<'_>) {
        match event {
            FleetEvent::Started { index, target } => {
                self.count(|c| c.running += 1);
                self.running_line(index, &target.name, "connecting");
            }
            FleetEvent::Engine {
                index,
                target,
                event,
            } => self.engine(index, &target.name, event),
            FleetEvent::Busy {
                index,
                target,
                holder,
                revisits,
            } => {
                self.count(|c| {
                    c.running -= 1;
                    c.busy += 1;
                });
                self.end_line(index);
                let holder = holder
                    .map(|p| format!(" (server process {p})"))
                    .unwrap_or_default();
                // The first time, then every tenth: a target held for long is not a line every second.
                if revisits % 10 == 1 {
                    let again = match revisits {
                        1 => String::new(),
                        n => format!(" (still, {n} tries)"),
                    };
                    self.note(&format!(
                        "{}: another runner holds its migration lock{holder}{again}; revisiting it later",
                        target.name
                    ));
                }
            }
            FleetEvent::Finished {
                index,
                target,
                report,
            } => {
                self.end_line(index);
                self.paused
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&index);
                let failed = matches!(report.state, TargetState::Failed | TargetState::Unreachable);
                self.count(|c| {
                    c.running -= 1;
                    if failed {
                        c.failed += 1;
                    } else {
                        c.done += 1;
                    }
                });
                let name = &target.name;
                let line = match (report.state, &report.error) {
                    (TargetState::Done, _) if report.ran.is_empty() => {
                        format!("{name}: done, nothing to do")
                    }
                    (TargetState::Done, _) => {
                        format!("{name}: done, {} {}", report.ran.len(), self.ran_word)
                    }
                    (state, Some(error)) => {
                        format!(
                            "{name}: {}: {}",
                            state.as_str().to_uppercase(),
                            brief(&error.message)
                        )
                    }
                    (state, None) => format!("{name}: {state}"),
                };
                if failed || report.state != TargetState::Done || self.bars.is_none() {
                    self.note(&line);
                }
            }
            FleetEvent::Read { .. } => {
                self.count(|c| c.done += 1);
            }
            FleetEvent::CanaryPassed { targets } => self.note(&format!(
                "the canary passed on {targets} target(s): starting the others"
            )),
            FleetEvent::BudgetSpent { budget, cancelled } => self.note(&format!(
                "the fleet's time budget of {} (--max-duration) is spent: no other target starts; the running \
                 statement of {cancelled} running target(s) cancelled on the server (a backfill stops after its \
                 current batch)",
                humantime::format_duration(budget)
            )),
            FleetEvent::Stopping { reason } => self.note(&format!("stopping: {reason}")),
            _ => {}
        }
    }

    fn engine(&self, index: usize, name: &str, event: Event<'_>) {
        match event {
            Event::Backfill { .. }
            | Event::BackfillPaused { .. }
            | Event::BackfillResumed { .. }
            | Event::BackfillRestarted { .. }
            | Event::BackfillSlotInactive { .. } => self.backfill_event(index, name, event),
            _ => self.migration_event(index, name, event),
        }
    }

    /// A migration's events on target `name`: its start and end, lock retries, and what the server left
    /// behind or said.
    fn migration_event(&self, index: usize, name: &str, event: Event<'_>) {
        match event {
            // Plain lines name a migration once it is applied; on a terminal the target's line shows it as it
            // starts.
            Event::Started {
                name: migration,
                direction,
                ..
            } => self.running_line(index, name, &format!("{direction} {migration}")),
            // On a terminal the running target's line shows the migration it is on instead.
            Event::Finished {
                name: migration,
                direction,
                elapsed,
                fake,
            } if self.bars.is_none() => {
                let verb = match (direction, fake) {
                    (Direction::Up, false) => "applied",
                    (Direction::Down, false) => "reverted",
                    (Direction::Up, true) => "recorded (--fake)",
                    (Direction::Down, true) => "unrecorded (--fake)",
                };
                self.note(&format!(
                    "{name}: {verb} {migration} ({} ms)",
                    elapsed.as_millis()
                ));
            }
            Event::Retrying {
                name: migration,
                attempt,
                delay,
                reason,
            } => self.note(&format!(
                "{name}: {migration}: lock not available ({}); retry {attempt} in {} ms",
                reason.lines().next().unwrap_or_default(),
                delay.as_millis()
            )),
            // Who holds the locks a target's statement waits for (its lock watch), before the retry or the
            // failure: one line each time, named after the target, as `up` prints it.
            Event::LockBlocked {
                name: migration,
                blocked,
            } => self.note(&format!("{name}: {migration}: {blocked}")),
            Event::DroppedInvalidIndex {
                name: migration,
                index: dropped,
            } => self.note(&format!(
                "{name}: {migration}: dropped the invalid index {dropped} left by a failed concurrent build"
            )),
            Event::ChangedSinceApplied { name: migration } => self.note(&format!(
                "warning: {name}: {migration} changed since it was applied; reverting it with its current `down`"
            )),
            Event::AheadOfBinary { ahead } => {
                self.note(&format!("{name}: {}", migrate_core::ahead_note(ahead)))
            }
            Event::BaselineRecorded {
                name: migration, ..
            } => self.note(&format!(
                "{name}: recorded the squashed baseline {migration} as applied without running it"
            )),
            Event::Notice {
                name: migration,
                direction,
                position,
                op,
                notice,
            } => self.note(&format!(
                "{name}: {migration} ({direction}) #{position} ({op}): {notice}"
            )),
            _ => {}
        }
    }

    /// A backfill's events on target `name`: its progress, its pauses, and what makes it start over or hold
    /// WAL back.
    fn backfill_event(&self, index: usize, name: &str, event: Event<'_>) {
        match event {
            Event::Backfill {
                name: migration,
                table,
                done,
                total,
                ..
            } => self.running_line(
                index,
                name,
                &format!("{migration}: backfill {table} {done}/{total} rows"),
            ),
            // A pause and its end, as `up` says them, named after the target; on a terminal the target's
            // line also says why it waits.
            Event::BackfillPaused {
                name: migration,
                table,
                cause,
                waited,
            } => {
                let news = self.pause_is_news(index, cause);
                self.running_line(
                    index,
                    name,
                    &format!(
                        "{migration}: backfill {table} paused: {cause} (waiting {})",
                        humantime::format_duration(Duration::from_secs(waited.as_secs()))
                    ),
                );
                if news {
                    self.note(&format!(
                        "{name}: {}",
                        crate::pacing::pause_line(migration, table, cause)
                    ));
                }
            }
            Event::BackfillResumed {
                name: migration,
                table,
                cause,
                paused,
            } => {
                self.paused
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&index);
                self.note(&format!(
                    "{name}: {}",
                    crate::pacing::resume_line(migration, table, cause, paused)
                ));
            }
            Event::BackfillRestarted {
                name: migration,
                table,
                reason,
                ..
            } => self.note(&format!(
                "warning: {name}: {migration}: the backfill of {table} starts over: {reason}"
            )),
            Event::BackfillSlotInactive {
                name: migration,
                table,
                slot,
                logical,
                bytes,
            } => self.note(&format!(
                "warning: {name}: {migration}: {}",
                crate::pacing::inactive_slot(table, slot, logical, bytes)
            )),
            _ => {}
        }
    }

    /// Whether target `index`'s pause is worth a line (it starts, or its cause changed), remembering `cause`
    /// as the one shown.
    fn pause_is_news(&self, index: usize, cause: &PauseCause) -> bool {
        let mut paused = self.paused.lock().unwrap_or_else(PoisonError::into_inner);
        let mut shown = paused.remove(&index);
        let news = crate::pacing::pause_is_news(&mut shown, cause);
        paused.extend(shown.map(|c| (index, c)));
        news
    }

    fn count(&self, f: impl FnOnce(&mut Counts)) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut counts);
        if let Some(bars) = &self.bars {
            bars.summary
                .set_position((counts.done + counts.failed) as u64);
            let mut msg = format!("{} failed, {} running", counts.failed, counts.running);
            if counts.busy > 0 {
                msg.push_str(&format!(", {} revisit(s) of busy targets", counts.busy));
            }
            bars.summary.set_message(msg);
        }
    }

    fn running_line(&self, index: usize, name: &str, what: &str) {
        let Some(bars) = &self.bars else { return };
        let mut running = bars.running.lock().unwrap_or_else(PoisonError::into_inner);
        let bar = running.entry(index).or_insert_with(|| {
            let bar = bars.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        });
        bar.set_message(format!("{name}: {what}"));
    }

    fn end_line(&self, index: usize) {
        let Some(bars) = &self.bars else { return };
        if let Some(bar) = bars
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&index)
        {
            bar.finish_and_clear();
            bars.multi.remove(&bar);
        }
    }

    /// A line above the bars on a terminal; a plain line elsewhere.
    fn note(&self, line: &str) {
        if let Some(bars) = &self.bars {
            let _ = bars.multi.println(line);
            return;
        }
        if !self.lines {
            return;
        }
        if self.to_stderr {
            errln!("{line}");
        } else {
            outln!("{line}");
        }
    }

    /// Clears the bars before the summary.
    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            bars.summary.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}
