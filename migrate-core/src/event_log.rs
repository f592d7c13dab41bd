//! Each [`Event`] as a record of the JSON run log (`--log-format json`, `--log-file`): its name and its fields.
//! One `match` over every variant, with no catch-all arm, so a new event cannot be left out of the log. The
//! records are documented in docs/json-log.md.

use std::time::Duration;

use serde_json::{json, Value};

use crate::events::Event;
use crate::history::MigrationsTable;
use crate::migration::Direction;

impl Event<'_> {
    /// Every record name [`log_record`](Self::log_record) gives, in the order of the variants.
    pub const LOG_RECORDS: &'static [&'static str] = &[
        "waiting_for_lock",
        "migration_started",
        "migration_continued",
        "undoing_part",
        "migration_finished",
        "retrying",
        "lock_blocked",
        "statement",
        "backfill_batch",
        "backfill_paused",
        "backfill_resumed",
        "backfill_finished",
        "backfill_restarted",
        "dropped_invalid_index",
        "changed_since_applied",
        "baseline_recorded",
        "notice",
        "backfill_slot_inactive",
        "partition_indexed",
        "statement_progress",
    ];

    /// The event as a record of the JSON run log: its name (`event`) and its other fields.
    pub fn log_record(&self) -> (&'static str, Value) {
        match self {
            Event::WaitingForLock { table, holder } => waiting_for_lock(table, *holder),
            Event::Started {
                name,
                direction,
                transactional,
                fake,
            } => migration_started(name, *direction, *transactional, *fake),
            Event::Continued {
                name,
                direction,
                done,
                total,
            } => migration_continued(name, *direction, *done, *total),
            Event::UndoingPart {
                name,
                done,
                total,
                backfill,
                written_down,
            } => undoing_part(name, (*done, *total), *backfill, *written_down),
            Event::Finished {
                name,
                direction,
                elapsed,
                fake,
            } => migration_finished(name, *direction, *elapsed, *fake),
            Event::Retrying {
                name,
                attempt,
                delay,
                reason,
            } => retrying(name, *attempt, *delay, reason),
            Event::LockBlocked { name, blocked } => lock_blocked(name, blocked),
            Event::Statement {
                name,
                direction,
                position,
                op,
                line,
                sql,
                elapsed,
            } => statement(name, *direction, *position, op, *line, sql, *elapsed),
            Event::Backfill {
                name,
                table,
                done,
                total,
                rate,
                batch_size,
                remaining,
            } => backfill_batch(name, table, *done, *total, *rate, *batch_size, *remaining),
            Event::BackfillPaused {
                name,
                table,
                cause,
                waited,
            } => backfill_paused(name, table, cause, *waited),
            Event::BackfillResumed {
                name,
                table,
                cause,
                paused,
            } => backfill_resumed(name, table, cause, *paused),
            Event::BackfillFinished {
                name,
                table,
                rows,
                elapsed,
                pauses,
                ..
            } => backfill_finished(name, table, *rows, *elapsed, pauses),
            Event::BackfillRestarted {
                name,
                table,
                rows_discarded,
                reason,
            } => backfill_restarted(name, table, *rows_discarded, reason),
            Event::DroppedInvalidIndex { name, index } => dropped_invalid_index(name, index),
            Event::ChangedSinceApplied { name } => changed_since_applied(name),
            Event::AheadOfBinary { ahead } => ("ahead_of_binary", json!({ "migrations": ahead })),
            Event::BaselineRecorded { name, replaced } => baseline_recorded(name, *replaced),
            Event::Notice {
                name,
                direction,
                position,
                op,
                notice,
            } => notice_record(name, *direction, *position, op, notice),
            Event::BackfillSlotInactive {
                name,
                table,
                slot,
                logical,
                bytes,
            } => backfill_slot_inactive(name, table, slot, *logical, *bytes),
            Event::PartitionIndexed {
                name,
                index,
                partition,
                done,
                total,
                elapsed,
            } => (
                "partition_indexed",
                json!({
                    "migration": name,
                    "index": index,
                    "partition": partition,
                    "done": done,
                    "total": total,
                    "duration_ms": millis(*elapsed),
                }),
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
            } => (
                "statement_progress",
                json!({
                    "migration": name,
                    "position": position,
                    "op": op,
                    "relation": relation,
                    "phase": phase,
                    "done": done,
                    "total": total,
                    "elapsed_ms": millis(*elapsed),
                }),
            ),
        }
    }
}

// One function per record below, in the order of the variants: the match above stays short enough to see at
// a glance that every variant has its record.

fn waiting_for_lock(table: &MigrationsTable, holder: Option<i32>) -> (&'static str, Value) {
    (
        "waiting_for_lock",
        json!({ "table": table.to_string(), "holder_pid": holder }),
    )
}

fn migration_started(
    name: &str,
    direction: Direction,
    transactional: bool,
    fake: bool,
) -> (&'static str, Value) {
    (
        "migration_started",
        json!({
            "migration": name,
            "direction": direction.to_string(),
            "transactional": transactional,
            "fake": fake,
        }),
    )
}

fn migration_continued(
    name: &str,
    direction: Direction,
    done: usize,
    total: usize,
) -> (&'static str, Value) {
    (
        "migration_continued",
        json!({
            "migration": name,
            "direction": direction.to_string(),
            "statements_done": done,
            "statements": total,
        }),
    )
}

fn undoing_part(
    name: &str,
    (done, total): (usize, usize),
    backfill: Option<crate::events::StoppedBackfill>,
    written_down: Option<usize>,
) -> (&'static str, Value) {
    let mut value = json!({
        "migration": name,
        "statements_done": done,
        "statements": total,
    });
    // Only when there is one, so the records of other undos stay as they were.
    if let Some(b) = backfill {
        value["stopped_backfill"] = json!({ "position": b.position, "rows": b.rows });
    }
    if let Some(position) = written_down {
        value["written_down_for"] = json!(position);
    }
    ("undoing_part", value)
}

fn migration_finished(
    name: &str,
    direction: Direction,
    elapsed: Duration,
    fake: bool,
) -> (&'static str, Value) {
    (
        "migration_finished",
        json!({
            "migration": name,
            "direction": direction.to_string(),
            "duration_ms": millis(elapsed),
            "fake": fake,
        }),
    )
}

fn retrying(name: &str, attempt: u32, delay: Duration, reason: &str) -> (&'static str, Value) {
    (
        "retrying",
        json!({
            "migration": name,
            "attempt": attempt,
            "delay_ms": millis(delay),
            "reason": reason,
        }),
    )
}

fn lock_blocked(name: &str, blocked: &crate::Blocked) -> (&'static str, Value) {
    (
        "lock_blocked",
        json!({
            "migration": name,
            "blockers": blocked.blockers.iter().map(|b| json!({
                "pid": b.pid,
                "user": b.user,
                "application": b.application,
                "state": b.state,
                "for_ms": b.for_how_long.map(millis),
                "query": b.query,
            })).collect::<Vec<_>>(),
            "queued": blocked.queued,
        }),
    )
}

fn statement(
    name: &str,
    direction: Direction,
    position: usize,
    op: &str,
    line: Option<u32>,
    sql: &str,
    elapsed: Duration,
) -> (&'static str, Value) {
    (
        "statement",
        json!({
            "migration": name,
            "direction": direction.to_string(),
            "position": position,
            "operation": op,
            "line": line,
            "sql": sql,
            "duration_ms": millis(elapsed),
        }),
    )
}

fn backfill_batch(
    name: &str,
    table: &str,
    done: u64,
    total: u64,
    rate: f64,
    batch_size: u32,
    remaining: Option<Duration>,
) -> (&'static str, Value) {
    (
        "backfill_batch",
        json!({
            "migration": name,
            "table": table,
            "rows_done": done,
            "rows_total": total,
            "rows_per_second": rate,
            "next_batch_size": batch_size,
            "remaining_ms": remaining.map(millis),
        }),
    )
}

fn backfill_paused(
    name: &str,
    table: &str,
    cause: &crate::PauseCause,
    waited: Duration,
) -> (&'static str, Value) {
    (
        "backfill_paused",
        json!({
            "migration": name,
            "table": table,
            "cause": cause_record(cause),
            "waited_ms": millis(waited),
        }),
    )
}

fn backfill_resumed(
    name: &str,
    table: &str,
    cause: &crate::PauseCause,
    paused: Duration,
) -> (&'static str, Value) {
    (
        "backfill_resumed",
        json!({
            "migration": name,
            "table": table,
            "cause": cause_record(cause),
            "paused_ms": millis(paused),
        }),
    )
}

fn backfill_finished(
    name: &str,
    table: &str,
    rows: u64,
    elapsed: Duration,
    pauses: &[crate::PauseTotal],
) -> (&'static str, Value) {
    (
        "backfill_finished",
        json!({
            "migration": name,
            "table": table,
            "rows": rows,
            "duration_ms": millis(elapsed),
            "pauses": pauses.iter().map(|p| json!({
                "kind": p.kind.to_string(),
                "count": p.count,
                "duration_ms": millis(p.total),
            })).collect::<Vec<_>>(),
        }),
    )
}

fn backfill_restarted(
    name: &str,
    table: &str,
    rows_discarded: u64,
    reason: &str,
) -> (&'static str, Value) {
    (
        "backfill_restarted",
        json!({
            "migration": name,
            "table": table,
            "rows_discarded": rows_discarded,
            "reason": reason,
        }),
    )
}

fn dropped_invalid_index(name: &str, index: &str) -> (&'static str, Value) {
    (
        "dropped_invalid_index",
        json!({ "migration": name, "index": index }),
    )
}

fn changed_since_applied(name: &str) -> (&'static str, Value) {
    ("changed_since_applied", json!({ "migration": name }))
}

fn baseline_recorded(name: &str, replaced: usize) -> (&'static str, Value) {
    (
        "baseline_recorded",
        json!({ "migration": name, "replaced": replaced }),
    )
}

fn notice_record(
    name: &str,
    direction: Direction,
    position: usize,
    op: &str,
    notice: &crate::Notice,
) -> (&'static str, Value) {
    (
        "notice",
        json!({
            "migration": name,
            "direction": direction.to_string(),
            "position": position,
            "operation": op,
            "severity": notice.severity,
            "code": notice.code,
            "message": notice.message,
            "detail": notice.detail,
            "hint": notice.hint,
        }),
    )
}

fn backfill_slot_inactive(
    name: &str,
    table: &str,
    slot: &str,
    logical: bool,
    bytes: u64,
) -> (&'static str, Value) {
    (
        "backfill_slot_inactive",
        json!({
            "migration": name,
            "table": table,
            "slot": slot,
            "logical": logical,
            "bytes": bytes,
        }),
    )
}

/// Why a backfill waits, as a record: its kind, the text people read, and its figures.
fn cause_record(cause: &crate::PauseCause) -> Value {
    let mut record = match cause {
        crate::PauseCause::ReplicaLag {
            name,
            pid,
            bytes,
            time,
        } => {
            json!({ "kind": "replica_lag", "standby": name, "pid": pid, "bytes": bytes, "time_ms": millis(*time) })
        }
        crate::PauseCause::SlotLag {
            slot,
            logical,
            bytes,
            time,
        } => {
            json!({ "kind": "slot_lag", "slot": slot, "logical": logical, "bytes": bytes, "time_ms": millis(*time) })
        }
        crate::PauseCause::Vacuum {
            table,
            pid,
            autovacuum,
        } => json!({ "kind": "vacuum", "table": table, "pid": pid, "autovacuum": autovacuum }),
        crate::PauseCause::Predicate { sql } => json!({ "kind": "predicate", "sql": sql }),
    };
    record["text"] = Value::String(cause.to_string());
    record
}

/// Milliseconds with a microsecond's precision, as the JSON run log and the trace give durations.
pub(crate) fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::history::MigrationsTable;
    use crate::migration::Direction;
    use crate::notices::Notice;

    use super::*;

    /// One event of every kind: a variant added to `Event` must be added here (the match below has no
    /// catch-all either), and its record name to `LOG_RECORDS`. In the order of the variants, which
    /// `LOG_RECORDS` follows.
    fn every_event(
        table: &MigrationsTable,
        notice: &Notice,
        blocked: &crate::Blocked,
        cause: &crate::PauseCause,
        each: &mut dyn FnMut(Event<'_>),
    ) {
        let events = migration_events(table, blocked)
            .into_iter()
            .chain(backfill_events(cause))
            .chain(other_events(notice));
        for event in events {
            // Exhaustive: a new variant fails to compile here until it has a case in the lists below.
            match &event {
                Event::WaitingForLock { .. }
                | Event::Started { .. }
                | Event::Continued { .. }
                | Event::UndoingPart { .. }
                | Event::Finished { .. }
                | Event::Retrying { .. }
                | Event::LockBlocked { .. }
                | Event::Statement { .. }
                | Event::Backfill { .. }
                | Event::BackfillPaused { .. }
                | Event::BackfillResumed { .. }
                | Event::BackfillFinished { .. }
                | Event::BackfillRestarted { .. }
                | Event::DroppedInvalidIndex { .. }
                | Event::ChangedSinceApplied { .. }
                | Event::AheadOfBinary { .. }
                | Event::BaselineRecorded { .. }
                | Event::Notice { .. }
                | Event::BackfillSlotInactive { .. }
                | Event::PartitionIndexed { .. }
                | Event::StatementProgress { .. } => {}
            }
            each(event);
        }
    }

    /// The events of a migration's run, up to its statements.
    fn migration_events<'a>(
        table: &'a MigrationsTable,
        blocked: &'a crate::Blocked,
    ) -> Vec<Event<'a>> {
        vec![
            Event::WaitingForLock {
                table,
                holder: Some(7),
            },
            Event::Started {
                name: "m",
                direction: Direction::Up,
                transactional: true,
                fake: false,
            },
            Event::Continued {
                name: "m",
                direction: Direction::Up,
                done: 3,
                total: 5,
            },
            Event::UndoingPart {
                name: "m",
                done: 3,
                total: 5,
                backfill: Some(crate::events::StoppedBackfill {
                    position: 4,
                    rows: Some(27011),
                }),
                written_down: Some(4),
            },
            Event::Finished {
                name: "m",
                direction: Direction::Up,
                elapsed: Duration::from_micros(1500),
                fake: false,
            },
            Event::Retrying {
                name: "m",
                attempt: 1,
                delay: Duration::from_millis(100),
                reason: "lock timeout".to_owned(),
            },
            Event::LockBlocked { name: "m", blocked },
            Event::Statement {
                name: "m",
                direction: Direction::Up,
                position: 1,
                op: "sql",
                line: Some(5),
                sql: "SELECT 1",
                elapsed: Duration::from_micros(250),
            },
        ]
    }

    /// A backfill's events, from its first batch to a restart.
    fn backfill_events(cause: &crate::PauseCause) -> Vec<Event<'_>> {
        vec![
            Event::Backfill {
                name: "m",
                table: "t",
                done: 1000,
                total: 2000,
                rate: 5000.0,
                batch_size: 1250,
                remaining: Some(Duration::from_millis(200)),
            },
            Event::BackfillPaused {
                name: "m",
                table: "t",
                cause,
                waited: Duration::ZERO,
            },
            Event::BackfillResumed {
                name: "m",
                table: "t",
                cause,
                paused: Duration::from_millis(800),
            },
            Event::BackfillFinished {
                name: "m",
                table: "t",
                rows: 2000,
                restored: false,
                elapsed: Duration::from_millis(400),
                pauses: &[],
            },
            Event::BackfillRestarted {
                name: "m",
                table: "t",
                rows_discarded: 10,
                reason: "edited",
            },
        ]
    }

    /// The variants after the backfill's first ones.
    fn other_events(notice: &Notice) -> Vec<Event<'_>> {
        vec![
            Event::DroppedInvalidIndex {
                name: "m",
                index: "i",
            },
            Event::ChangedSinceApplied { name: "m" },
            Event::BaselineRecorded {
                name: "m",
                replaced: 3,
            },
            Event::Notice {
                name: "m",
                direction: Direction::Up,
                position: 1,
                op: "sql",
                notice,
            },
            Event::BackfillSlotInactive {
                name: "m",
                table: "t",
                slot: "s",
                logical: false,
                bytes: 300 << 20,
            },
            Event::PartitionIndexed {
                name: "m",
                index: "i_p1",
                partition: "p1",
                done: 1,
                total: 24,
                elapsed: Duration::from_millis(120),
            },
            Event::StatementProgress {
                name: "m",
                position: 1,
                op: "create_index",
                relation: "t",
                phase: "building index: scanning table",
                done: 100,
                total: 1000,
                elapsed: Duration::from_secs(2),
            },
        ]
    }

    #[test]
    fn every_event_has_a_record_listed_in_log_records() {
        let table = MigrationsTable::default();
        let notice = Notice {
            severity: "NOTICE".to_owned(),
            code: "00000".to_owned(),
            message: "hello".to_owned(),
            detail: None,
            hint: None,
        };
        let blocked = crate::Blocked::default();
        let cause = crate::PauseCause::Predicate {
            sql: "SELECT true".to_owned(),
        };
        let mut names = Vec::new();
        every_event(&table, &notice, &blocked, &cause, &mut |event| {
            let (name, fields) = event.log_record();
            assert!(fields.is_object(), "{name}: {fields}");
            names.push(name);
        });
        assert_eq!(names, Event::LOG_RECORDS);
        let (_, statement) = Event::Statement {
            name: "m",
            direction: Direction::Up,
            position: 2,
            op: "sql",
            line: Some(14),
            sql: "SELECT 1",
            elapsed: Duration::from_micros(1234),
        }
        .log_record();
        assert_eq!(statement["duration_ms"], 1.234);
        assert_eq!(statement["line"], 14);
    }
}
