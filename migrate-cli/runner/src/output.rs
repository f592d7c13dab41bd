//! How runs, plans and status look on a terminal.

use crate::colour::{paint, Colour, Stream};
use crate::stdio::{errln, outln};
use std::io::Write;
use std::time::{Duration, Instant};

use migrate_core::{Direction, Event, PauseCause, State, StatusReport, Summary};

use crate::backfill_bar::BackfillBar;

/// What a run has drawn so far, which the next event's output depends on: the backfill's progress bar, the
/// pause cause last shown, and when a long statement's progress was last printed. Owned by the run (its
/// [`crate::run_log::RunLog`], or the command that runs migrations without one) and passed to each event.
#[derive(Default)]
pub struct RunOutput {
    bar: BackfillBar,
    /// The cause of the pause last shown, so a pause prints a line when it starts or its cause changes, not
    /// at every re-check.
    pause_shown: Option<PauseCause>,
    /// When a statement's progress was last printed, and its phase then.
    last_progress: Option<(Instant, String)>,
}

impl RunOutput {
    /// Prints engine events: progress on stdout, waits, warnings and backfill progress bars on stderr.
    pub fn print_event(&mut self, event: Event<'_>) {
        match event {
            Event::Backfill { .. }
            | Event::BackfillPaused { .. }
            | Event::BackfillResumed { .. }
            | Event::BackfillFinished { .. }
            | Event::BackfillRestarted { .. }
            | Event::BackfillSlotInactive { .. } => {
                print_backfill_event(&mut self.bar, &mut self.pause_shown, event)
            }
            Event::Started { .. }
            | Event::Continued { .. }
            | Event::UndoingPart { .. }
            | Event::Finished { .. }
            | Event::ChangedSinceApplied { .. }
            | Event::AheadOfBinary { .. }
            | Event::BaselineRecorded { .. } => print_migration_event(&mut self.bar, event),
            Event::PartitionIndexed { .. } | Event::StatementProgress { .. } => {
                print_progress_event(&mut self.last_progress, event)
            }
            _ => print_lock_or_server_event(event),
        }
        crate::stdio::flush_out();
    }
}

/// A backfill's events: its progress bar, its pauses, its end, and what makes it start over or hold WAL back.
fn print_backfill_event(
    bar: &mut BackfillBar,
    pause_shown: &mut Option<PauseCause>,
    event: Event<'_>,
) {
    match event {
        Event::Backfill {
            name,
            table,
            done,
            total,
            rate,
            batch_size,
            remaining,
        } => bar.show(
            name,
            table,
            done,
            total,
            backfill_message(rate, batch_size, remaining),
        ),
        Event::BackfillPaused {
            name,
            table,
            cause,
            waited,
        } => crate::pacing::show_pause(bar, pause_shown, name, table, cause, waited),
        Event::BackfillResumed {
            name,
            table,
            cause,
            paused,
        } => crate::pacing::show_resume(bar, pause_shown, name, table, cause, paused),
        Event::BackfillFinished {
            name,
            table,
            rows,
            elapsed,
            pauses,
            restored,
        } => {
            bar.clear();
            let done = if restored {
                "restored the kept values of"
            } else {
                "backfilled"
            };
            outln!(
                "{name}: {done} {table}: {}",
                crate::pacing::summary(rows, elapsed, pauses)
            );
        }
        Event::BackfillRestarted {
            name,
            table,
            rows_discarded,
            reason,
        } => {
            errln!(
                "{} {name}: the backfill of {table} starts over ({rows_discarded} row(s) were done by an interrupted run): {reason}",
                warning()
            );
        }
        Event::BackfillSlotInactive {
            name,
            table,
            slot,
            logical,
            bytes,
        } => {
            let line = format!(
                "{} {name}: {}",
                warning(),
                crate::pacing::inactive_slot(table, slot, logical, bytes)
            );
            bar.println(line);
        }
        _ => {}
    }
}

/// How often a long statement's progress is printed: the engine reports it every second, which a log kept
/// off a terminal does not need.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// A partition's index built, and a long statement's progress (printed when its phase changes and every
/// [`PROGRESS_EVERY`]; `last` is when it was last printed, and its phase then).
fn print_progress_event(last: &mut Option<(Instant, String)>, event: Event<'_>) {
    match event {
        Event::PartitionIndexed {
            name,
            index,
            partition,
            done,
            total,
            elapsed,
        } => outln!(
            "{name}: built and attached {index} on partition {partition} ({done} of {total}, {} ms)",
            elapsed.as_millis()
        ),
        Event::StatementProgress {
            name,
            position,
            op,
            relation,
            phase,
            done,
            total,
            elapsed,
        } => {
            let due = match &*last {
                Some((at, seen)) => seen != phase || at.elapsed() >= PROGRESS_EVERY,
                None => true,
            };
            if due {
                *last = Some((Instant::now(), phase.to_owned()));
            } else {
                return;
            }
            let on = if relation.is_empty() {
                String::new()
            } else {
                format!(" on {relation}")
            };
            let progress = (done.saturating_mul(100))
                .checked_div(total)
                .map(|percent| format!(", {done} of {total} ({percent}%)"))
                .unwrap_or_default();
            errln!(
                "{name} #{position} ({op}){on}: {phase}{progress}, running for {}",
                humantime::format_duration(Duration::from_secs(elapsed.as_secs()))
            );
        }
        _ => {}
    }
}

/// The backfill bar's message: its rate, its next batch and the time left.
fn backfill_message(rate: f64, batch_size: u32, remaining: Option<Duration>) -> String {
    // The engine's estimate: the bar's own would count the rows the application's writers fill
    // meanwhile as left to do, and smooths over a quarter of a minute.
    let left = remaining.map_or_else(
        || "estimating the time left".to_owned(),
        |left| {
            format!(
                "about {} left",
                humantime::format_duration(Duration::from_secs(left.as_secs()))
            )
        },
    );
    format!("{rate:.0} rows/s, batch of {batch_size}, {left}")
}

/// A migration's run: how it starts or continues, how it ends, and how it is recorded.
fn print_migration_event(bar: &mut BackfillBar, event: Event<'_>) {
    match event {
        Event::Started {
            name,
            transactional: false,
            fake: false,
            direction,
        } => {
            outln!("running {direction} of {name} outside a transaction (each step commits on its own, recorded as it commits)");
        }
        Event::Started { .. } => {}
        Event::Continued {
            name,
            direction,
            done,
            total,
        } => {
            outln!("continuing {direction} of {name}: {done} of its {total} statement(s) took effect in an earlier run and are kept");
        }
        Event::UndoingPart {
            name,
            done,
            total,
            backfill,
            written_down,
            ..
        } => {
            let backfill = match backfill {
                Some(migrate_core::StoppedBackfill {
                    position,
                    rows: Some(rows),
                    ..
                }) => format!(
                    ", and {rows} row(s) the backfill #{position} committed before it stopped"
                ),
                Some(migrate_core::StoppedBackfill { position, .. }) => {
                    format!(
                        ", and the batches the backfill #{position} committed before it stopped"
                    )
                }
                None => String::new(),
            };
            outln!("undoing the part of {name} that an interrupted `up` applied ({done} of its {total} statement(s){backfill}); it is not recorded as applied");
            if let Some(position) = written_down {
                outln!("  operation #{position} has no reverse for what of it took effect: running the migration's written `down` instead, whole");
            }
        }
        Event::Finished {
            name,
            direction,
            elapsed,
            fake,
        } => {
            bar.clear();
            let verb = match (direction, fake) {
                (Direction::Up, false) => "applied ",
                (Direction::Down, false) => "reverted",
                (Direction::Up, true) => "recorded (--fake, not run)",
                (Direction::Down, true) => "unrecorded (--fake, not run)",
            };
            let verb = paint(verb, Colour::Green, Stream::Stdout);
            outln!("{verb} {name} ({} ms)", elapsed.as_millis());
        }
        Event::ChangedSinceApplied { name } => {
            errln!(
                "{} {name} changed since it was applied; reverting it with its current `down`",
                warning()
            );
        }
        Event::AheadOfBinary { ahead } => {
            errln!("note: {}", migrate_core::ahead_note(ahead));
        }
        Event::BaselineRecorded { name, replaced } => {
            outln!(
                "recorded {name} as applied without running it: this database applied all {replaced} migrations it squashes"
            );
        }
        _ => {}
    }
}

/// Waits for locks and retries, and what the server left behind or said while a migration ran.
fn print_lock_or_server_event(event: Event<'_>) {
    match event {
        Event::WaitingForLock { table, holder } => {
            let holder = holder
                .map(|p| format!(" (held by server process {p})"))
                .unwrap_or_default();
            errln!("waiting for the migration lock on {table}{holder}...");
        }
        Event::Retrying {
            name,
            attempt,
            delay,
            reason,
        } => {
            let mut lines = reason.lines();
            let first = lines.next().unwrap_or_default();
            errln!(
                "{name}: {} ({first}); retry {attempt} in {} ms",
                paint("lock not available", Colour::Yellow, Stream::Stderr),
                delay.as_millis()
            );
            // Who held the locks, when the run saw it (see `Migrator::watch_locks`).
            for line in lines.filter(|l| l.trim_start().starts_with("blocked by ")) {
                errln!("{line}");
            }
        }
        Event::DroppedInvalidIndex { name, index } => {
            errln!("{name}: dropped the invalid index {index} left by a failed concurrent build");
        }
        Event::Notice {
            name,
            direction,
            position,
            op,
            notice,
        } => {
            let notice = notice.to_string();
            let (first, rest) = notice.split_once('\n').unwrap_or((&notice, ""));
            let first = paint(first, Colour::Yellow, Stream::Stderr);
            let rest = if rest.is_empty() {
                String::new()
            } else {
                format!("\n{rest}")
            };
            errln!("{name} ({direction}) #{position} ({op}): {first}{rest}");
        }
        _ => {}
    }
}

/// `warning:`, yellow on a terminal.
pub fn warning() -> String {
    paint("warning:", Colour::Yellow, Stream::Stderr)
}

fn label(state: State) -> &'static str {
    match state {
        State::Applied => "applied",
        State::Changed => "CHANGED",
        State::Missing => "MISSING FILE",
        State::Pending => "pending",
        State::OutOfOrder => "OUT OF ORDER",
        State::Failed => "FAILED",
        State::Renamed => "RENAMED",
        State::Unverified => "UNVERIFIED",
        State::Squashed => "SQUASHED",
        State::Adopted => "adopted",
        State::Ahead => "AHEAD",
    }
}

/// The human-readable status table, written line by line (a long history is never held as one text), then
/// the summary and an explanation of every problem found.
pub fn write_status(
    out: &mut impl Write,
    status: &StatusReport<'_>,
    database: &str,
) -> std::io::Result<()> {
    writeln!(out, "migrations table {} on {database}", status.table())?;
    if !status.table_exists() {
        writeln!(
            out,
            "(the table does not exist yet: nothing has been applied)"
        )?;
    }
    if status.summary().total == 0 {
        return writeln!(out, "no migrations");
    }
    // One line at a time, borrowed from the report: a long history is never held, nor copied line by line.
    for line in status.lines() {
        // Column by column with `write_all`, not `write!`: formatting was a tenth of `status` at 10,000 rows.
        let label = label(line.state);
        out.write_all(label.as_bytes())?;
        out.write_all(&BLANK[..LABEL_WIDTH.saturating_sub(label.len())])?;
        match &line.run_on {
            Some(run_on) => write_run_on(out, run_on)?,
            None => out.write_all(&BLANK[..RUN_ON_WIDTH])?,
        }
        out.write_all(line.name.as_bytes())?;
        if let Some(old) = line.renamed_from {
            write!(out, " (was {old})")?;
        }
        if let Some(baseline) = line.squashed_into {
            write!(out, " (squashed into {baseline})")?;
        }
        if line.contract {
            out.write_all(b"  [contract]")?;
        }
        if let Some(phase) = line.phase {
            write!(out, "  [{phase}]")?;
        }
        out.write_all(b"\n")?;
    }
    out.write_all(status_footer(status).as_bytes())
}

/// The status table's first two columns: the state's label, padded to `LABEL_WIDTH`, and the applied time
/// (`2026-11-26 00:37:29` and two spaces), `RUN_ON_WIDTH`, or as many spaces.
const LABEL_WIDTH: usize = 13;
const RUN_ON_WIDTH: usize = 21;
const BLANK: [u8; 21] = [b' '; 21];

/// `2026-11-26 00:37:29` and two spaces: the applied column of the status table. Its digits are written by
/// hand, not through a `strftime` pattern (parsed again for every row, and a string allocated) nor `write!`
/// (both showed in profiles of `status` at 10,000 rows); a year outside 0 to 9999 the way `{:04}` writes it.
fn write_run_on(out: &mut impl Write, at: &chrono::DateTime<chrono::Utc>) -> std::io::Result<()> {
    use chrono::{Datelike, Timelike};
    let Ok(year @ 0..=9999) = u32::try_from(at.year()) else {
        return write!(
            out,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}  ",
            at.year(),
            at.month(),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        );
    };
    let mut text = *b"0000-00-00 00:00:00  ";
    for (at, width, value) in [
        (0, 4, year),
        (5, 2, at.month()),
        (8, 2, at.day()),
        (11, 2, at.hour()),
        (14, 2, at.minute()),
        (17, 2, at.second()),
    ] {
        let mut value = value;
        for digit in text[at..at + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    out.write_all(&text)
}

/// The summary line and the explanations under the status table.
fn status_footer(status: &StatusReport<'_>) -> String {
    let summary = status.summary();
    let mut out = summary_line(&summary);
    out.push('\n');
    explain_pending_contract(&mut out, status);
    explain_edited_files(&mut out, &summary);
    explain_missing_files(&mut out, status, &summary);
    explain_ahead(&mut out, &summary);
    explain_squashed(&mut out, status, &summary);
    explain_in_progress(&mut out, status);
    explain_failures(&mut out, status);
    if count(&summary, State::OutOfOrder) > 0 {
        out.push_str("OUT OF ORDER: pending but older than the newest applied migration; `up` needs --allow-out-of-order\n");
    }
    out
}

/// How many migrations the summary counts in `state`.
fn count(summary: &Summary, state: State) -> usize {
    match state {
        State::Applied => summary.applied,
        State::Changed => summary.changed,
        State::Missing => summary.missing,
        State::Pending => summary.pending,
        State::OutOfOrder => summary.out_of_order,
        State::Failed => summary.failed,
        State::Renamed => summary.renamed,
        State::Unverified => summary.unverified,
        State::Squashed => summary.squashed,
        State::Adopted => summary.adopted,
        State::Ahead => summary.ahead,
    }
}

/// `3 applied, 1 pending, 1 changed`: applied and pending always, the other states when there are any.
fn summary_line(summary: &Summary) -> String {
    let mut line = vec![
        format!(
            "{} applied",
            count(summary, State::Applied)
                + count(summary, State::Changed)
                + count(summary, State::Renamed)
                + count(summary, State::Unverified)
                + count(summary, State::Adopted)
        ),
        match summary.contracts_pending {
            0 => format!(
                "{} pending",
                count(summary, State::Pending) + count(summary, State::OutOfOrder)
            ),
            contracts => format!(
                "{} pending ({contracts} of them contract(s))",
                count(summary, State::Pending) + count(summary, State::OutOfOrder)
            ),
        },
    ];
    for (state, what) in [
        (State::Changed, "changed"),
        (State::Renamed, "renamed"),
        (State::Unverified, "unverified"),
        (State::Adopted, "adopted from another tool"),
        (State::Missing, "missing"),
        (State::Ahead, "ahead of this binary"),
        (State::Squashed, "squashed"),
        (State::OutOfOrder, "out of order"),
        (State::Failed, "failed part-way"),
    ] {
        if count(summary, state) > 0 {
            line.push(format!("{} {what}", count(summary, state)));
        }
    }
    line.join(", ")
}

/// When the first pending contract can be applied, and what comes before it.
fn explain_pending_contract(out: &mut String, status: &StatusReport<'_>) {
    if let Some((expands, contract)) = status.first_pending_contract() {
        let before = match expands {
            0 => "no expand comes before it".to_owned(),
            n => format!("`up --expand-only` applies the {n} migration(s) before it"),
        };
        out.push_str(&format!(
            "CONTRACT: {}: {}; {before}; apply it after the rollout, once no instance of the app version it retires is serving\n",
            contract.name,
            contract.contract.as_deref().unwrap_or_default(),
        ));
    }
}

/// Applied migrations whose file no longer matches what was recorded: edited, renamed, or never checksummed.
fn explain_edited_files(out: &mut String, summary: &Summary) {
    if count(summary, State::Changed) > 0 {
        out.push_str("CHANGED: the file was edited after it was applied; `up` refuses until the edit is undone or `repair` accepts it\n");
    }
    if count(summary, State::Renamed) > 0 {
        out.push_str("RENAMED: the file of an applied migration has a new name, with the same content; `up` refuses until `repair` records the new name\n");
    }
    if count(summary, State::Unverified) > 0 {
        out.push_str("UNVERIFIED: applied, but the migrations table has no checksum for it (written by another tool or by hand), so an edit cannot be detected; `repair` records the file's current checksum\n");
    }
}

/// Migrations a newer release applied: fine while they are expands.
fn explain_ahead(out: &mut String, summary: &Summary) {
    if summary.ahead == 0 {
        return;
    }
    out.push_str(
        "AHEAD: applied by a newer release of the application, which this binary has no file for (it is an older \
         release, after a rollback?); `up` goes on past expands, which only add what this release ignores",
    );
    if summary.ahead_blocking > 0 {
        out.push_str(
            ", and refuses while a contract or a migration without a recorded phase is among them: revert \
             those with the release that applied them, or deploy it",
        );
    }
    out.push('\n');
}

/// Applied migrations without a file, and the pending files that look like one of them.
fn explain_missing_files(out: &mut String, status: &StatusReport<'_>, summary: &Summary) {
    // An applied migration whose content pending files have is not to be forgotten: `up` would run it again.
    let lookalikes = status.lookalikes();
    if count(summary, State::Missing) > lookalikes.len() {
        out.push_str(
            "MISSING FILE: applied, but the file is gone; restore it, or `repair` forgets it\n",
        );
    }
    for (name, files) in &lookalikes {
        out.push_str(&format!(
            "MISSING FILE: {name} is applied and has no file, but the pending {} {} exactly its content (the \
             same checksum): one is probably its file, renamed, and running them would apply it again; keep \
             exactly one (delete the copies, or give a file meant as a new migration content of its own) and \
             `repair` records the rename, or give one of them back the name {name}; `up` and `repair` refuse \
             until then\n",
            files.join(", "),
            if files.len() == 1 { "has" } else { "have" },
        ));
    }
}

/// Applied migrations squashed into a baseline that this database cannot record yet, with `up`'s refusal.
fn explain_squashed(out: &mut String, status: &StatusReport<'_>, summary: &Summary) {
    if count(summary, State::Squashed) > 0 {
        // Not missing files: `up` refuses, and what it says is the way on.
        out.push_str(
            "SQUASHED: applied, and its file was squashed into a baseline that `up` cannot record on this database \
             yet; `repair` leaves these rows alone (deleting them would leave the baseline unrecordable). `up` says:\n",
        );
        for refusal in status.squash_refusals() {
            for line in crate::report::core_message(&refusal).lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
}

/// Migrations run outside a transaction that were stopped part-way, and the command that continues each.
fn explain_in_progress(out: &mut String, status: &StatusReport<'_>) {
    let unknown: Vec<&str> = status
        .unknown_in_progress()
        .map(|row| row.name.as_str())
        .collect();
    for row in status.in_progress() {
        if unknown.contains(&row.name.as_str()) {
            // This release can neither continue nor undo it: its `up`, `down` and `redo` refuse.
            out.push_str(&format!(
                "IN PROGRESS: {} was stopped part-way during `{}`, and this folder has no file of it (a newer release's migration, say): {} statement(s) took effect; this release's `up`, `down` and `redo` refuse until it is finished: finish it with the release that has it (its `{}`, or `down` to undo its part), or undo them by hand and `repair {}`\n",
                row.name, row.direction, row.done.len(), row.direction, row.name
            ));
            continue;
        }
        let undo = match row.direction {
            Direction::Up => " (or `down` undoes them)".to_owned(),
            Direction::Down => String::new(),
        };
        out.push_str(&format!(
            "IN PROGRESS: {} was stopped part-way during `{}`: {} statement(s) took effect, each recorded as it committed; the next `{}` continues it{undo}\n",
            row.name, row.direction, row.done.len(), row.direction
        ));
    }
}

/// Migrations marked as failed part-way: what was committed, and how to clear the mark.
fn explain_failures(out: &mut String, status: &StatusReport<'_>) {
    let unknown: Vec<&str> = status.unknown_failures().map(|f| f.name.as_str()).collect();
    for f in status.failures() {
        if unknown.contains(&f.name.as_str()) {
            out.push_str(&format!(
                "FAILED: {} failed part-way during `{}`, and this folder has no file of it (a newer release's migration, say): {} statement(s) were committed; `up`, `down` and `redo` refuse until the mark is cleared: finish it with the release that has it, or undo them by hand and `repair {}`\n",
                f.name, f.direction, f.committed, f.name
            ));
        } else {
            out.push_str(&format!(
                "FAILED: {} failed part-way during `{}`: {} statement(s) were committed; `up`, `down` and `redo` refuse until the mark is cleared: check what failed, then `{} --retry {}` continues it, or undo them by hand and `repair {}`\n",
                f.name, f.direction, f.committed, f.direction, f.name, f.name
            ));
        }
        for statement in &f.statements {
            out.push_str(&format!("  committed: {statement}\n"));
        }
        if f.error.starts_with(migrate_core::INTERRUPTED_MARK) {
            // The mark written before each statement: a run that is still going (it holds the migration
            // lock) shows the same, so say both readings.
            out.push_str(&format!(
                "  {}; if no run holds the migration lock now, that run ended there\n",
                f.error
            ));
        }
    }
}

/// A workflow command's message, escaped as GitHub's runner unescapes it.
pub fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value (file, title): also `:` and `,` escaped.
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_on_is_written_as_the_strftime_pattern_writes_it() {
        use chrono::TimeZone;
        for (y, mo, d, h, mi, se) in [
            (2026, 11, 26, 0, 37, 29),
            (1999, 1, 2, 3, 4, 5),
            (812, 12, 31, 23, 59, 59),
            (0, 1, 1, 0, 0, 0),
            (9999, 12, 31, 23, 59, 59),
        ] {
            let at = chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, se).unwrap();
            let mut written = Vec::new();
            write_run_on(&mut written, &at).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                format!("{:<21}", at.format("%Y-%m-%d %H:%M:%S").to_string())
            );
        }
    }

    /// Past four digits, the year as `{:04}` writes it (no sign, unlike `%Y`).
    #[test]
    fn a_year_past_four_digits_is_written_whole() {
        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(12345, 6, 7, 8, 9, 10).unwrap();
        let mut written = Vec::new();
        write_run_on(&mut written, &at).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "12345-06-07 08:09:10  "
        );
    }

    /// The state the next event's output depends on belongs to the run that printed: another run's output
    /// starts with none of it (a pause it did not see is news to it, a phase it did not print is due).
    #[test]
    fn each_run_keeps_its_own_output_state() {
        let cause = PauseCause::Predicate {
            sql: "SELECT true".to_owned(),
        };
        let mut first = RunOutput::default();
        first.print_event(Event::BackfillPaused {
            name: "m",
            table: "t",
            cause: &cause,
            waited: Duration::from_secs(1),
        });
        first.print_event(Event::StatementProgress {
            name: "m",
            position: 1,
            op: "sql",
            relation: "t",
            phase: "building index",
            done: 1,
            total: 2,
            elapsed: Duration::from_secs(1),
        });
        assert_eq!(first.pause_shown.as_ref(), Some(&cause));
        assert!(first.last_progress.is_some());
        let second = RunOutput::default();
        assert!(second.pause_shown.is_none() && second.last_progress.is_none());
        first.print_event(Event::BackfillResumed {
            name: "m",
            table: "t",
            cause: &cause,
            paused: Duration::from_secs(2),
        });
        assert!(first.pause_shown.is_none());
    }

    #[test]
    fn github_escapes_what_the_runner_unescapes() {
        assert_eq!(github_data("50% of\r\nrows"), "50%25 of%0D%0Arows");
        assert_eq!(github_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
