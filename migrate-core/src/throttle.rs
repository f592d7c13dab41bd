//! Pacing a backfill on a live server: before each batch, the throttle asks whether the server can take
//! another one, and waits while it cannot, saying why.
//!
//! What it watches, each a [`PauseCause`]:
//! - every standby streaming from this server (`pg_stat_replication`): the WAL bytes between the current
//!   position and the standby's replay position, and how long it is behind: the server's `replay_lag`, or,
//!   when longer, the time since the WAL position it has not replayed yet was current (the throttle keeps the
//!   positions it saw with their time; `replay_lag` only moves when the standby replays, so a standby that
//!   stopped replaying keeps its last value there);
//! - every active replication slot whose consumer is not such a standby (`pg_receivewal`, a logical
//!   consumer without a `pg_stat_replication` position): the WAL it has not confirmed;
//! - a vacuum (autovacuum or `VACUUM`) of the backfilled table (`pg_stat_progress_vacuum`; through
//!   `pg_locks` when the role may not see which table another role's vacuum works on);
//! - a query of the user's that returns `true` (a maintenance flag).
//!
//! Traps: without `pg_read_all_stats` (or superuser) every column of another role's `pg_stat_replication`
//! row but the pid is NULL, so no lag can be measured; that is an error naming the fix (grant the role, or
//! turn the watch off), never a silent pass. A physical slot's `restart_lsn` follows what the standby
//! flushed, not what it replayed, so it cannot stand in for a standby's row. Inactive slots are not
//! waited for: their consumer is gone, and no pause brings it back. They hold WAL all the same, which the
//! backfill adds to: one behind by more than the limit (its size; 16 MB for a limit in time only) is said
//! once per backfill ([`Event::BackfillSlotInactive`]), so that a run that "did not pause" does not pass for
//! one that nothing was behind. Standbys and slots named in `replica_lag_ignore` (an archiver such as barman or
//! `pg_receivewal`) are not watched; a walsender without a replay position (an archiver, a base backup) is
//! not a standby.
//!
//! The checks run between batches on the backfill's own connection, so the lag never exceeds the limit by
//! more than the WAL of one batch. The usual answer, that nothing holds the batch back, takes one round trip
//! (the checks' time limit, the standbys' and the vacuum's checks and the limit put back, as one message);
//! anything else is asked again check by check, which says what holds the batch back or what failed.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use migrate_dsl::{size, Backfill, LagLimit};
use postgres::GenericClient;

use crate::check_time::{CheckFailed, CheckLimit, Ended};
use crate::error::DataCause;
use crate::events::Event;
use crate::interrupt::Interrupt;

mod lag;

/// How backfills pace themselves, for every backfill of a run. What a backfill records itself (its
/// `max_replica_lag`, `pause_for_vacuum`, `pause_while`, batch size) wins over these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillSettings {
    /// How far standbys and replication slots may fall behind before a backfill waits.
    pub max_replica_lag: LagLimit,
    /// Standbys (by `application_name`) and replication slots (by name) not to watch: archivers such as
    /// barman or `pg_receivewal`, a delayed standby.
    pub replica_lag_ignore: Vec<String>,
    /// Whether to wait while a vacuum (autovacuum or `VACUUM`) works on the backfilled table.
    pub pause_for_vacuum: bool,
    /// A query whose `true` (first column of the first row) makes a backfill wait.
    pub pause_while: Option<String>,
    /// How long one pause may last; after that the backfill stops with an error, and the next run resumes
    /// it.
    pub max_pause: Duration,
    /// Whether batch sizes adapt toward `target_batch_time` (a backfill with a `batch_size` of its own
    /// keeps that size).
    pub adaptive_batch_size: bool,
    /// The time an adapting batch aims at.
    pub target_batch_time: Duration,
    /// The smallest adapted batch.
    pub min_batch_size: u32,
    /// The largest adapted batch.
    pub max_batch_size: u32,
}

/// 16 MB of WAL: a few seconds of replay for a standby on ordinary hardware, and far below what fills a
/// WAL volume. Together with [`DEFAULT_MAX_REPLICA_LAG_TIME`].
pub const DEFAULT_MAX_REPLICA_LAG_BYTES: u64 = 16 << 20;

/// 10 s: reads served by a standby are at most that stale (Shopify's LHM uses the same).
pub const DEFAULT_MAX_REPLICA_LAG_TIME: Duration = Duration::from_secs(10);

/// 10 minutes: long enough for a standby to catch up after a burst or for most autovacuums of a table to
/// end, short enough that a deploy does not hang on a standby that stopped for good.
pub const DEFAULT_MAX_PAUSE: Duration = Duration::from_secs(600);

/// See [`BackfillSettings::target_batch_time`].
pub const DEFAULT_TARGET_BATCH_TIME: Duration = Duration::from_millis(50);

impl Default for BackfillSettings {
    fn default() -> Self {
        BackfillSettings {
            max_replica_lag: LagLimit::bytes(DEFAULT_MAX_REPLICA_LAG_BYTES)
                .and_time(DEFAULT_MAX_REPLICA_LAG_TIME),
            replica_lag_ignore: Vec::new(),
            pause_for_vacuum: true,
            pause_while: None,
            max_pause: DEFAULT_MAX_PAUSE,
            adaptive_batch_size: true,
            target_batch_time: DEFAULT_TARGET_BATCH_TIME,
            min_batch_size: 100,
            max_batch_size: 100_000,
        }
    }
}

/// Why a backfill waits before its next batch.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PauseCause {
    /// A standby (`application_name` `name`, walsender `pid`) has not replayed `bytes` of WAL, and is
    /// `time` behind.
    ReplicaLag {
        name: String,
        pid: i32,
        bytes: u64,
        time: Duration,
    },
    /// A replication slot's consumer has not confirmed `bytes` of WAL.
    SlotLag {
        slot: String,
        logical: bool,
        bytes: u64,
        time: Duration,
    },
    /// A vacuum works on the backfilled table: an autovacuum worker or a `VACUUM` in session `pid`.
    Vacuum {
        table: String,
        pid: i32,
        autovacuum: bool,
    },
    /// The user's query returned `true`.
    Predicate { sql: String },
}

/// The kinds of [`PauseCause`], for totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PauseKind {
    ReplicaLag,
    SlotLag,
    Vacuum,
    Predicate,
}

impl PauseCause {
    /// What kind of cause it is.
    pub fn kind(&self) -> PauseKind {
        match self {
            PauseCause::ReplicaLag { .. } => PauseKind::ReplicaLag,
            PauseCause::SlotLag { .. } => PauseKind::SlotLag,
            PauseCause::Vacuum { .. } => PauseKind::Vacuum,
            PauseCause::Predicate { .. } => PauseKind::Predicate,
        }
    }

    /// Whether it is the same thing as `other` (the same standby, slot, vacuum or query), whatever its
    /// figures now.
    fn same_as(&self, other: &PauseCause) -> bool {
        match (self, other) {
            (PauseCause::ReplicaLag { pid: a, .. }, PauseCause::ReplicaLag { pid: b, .. }) => {
                a == b
            }
            (PauseCause::SlotLag { slot: a, .. }, PauseCause::SlotLag { slot: b, .. }) => a == b,
            (PauseCause::Vacuum { pid: a, .. }, PauseCause::Vacuum { pid: b, .. }) => a == b,
            (PauseCause::Predicate { .. }, PauseCause::Predicate { .. }) => true,
            _ => false,
        }
    }
}

/// Seconds, or milliseconds under one second.
fn seconds(t: Duration) -> String {
    if t < Duration::from_secs(1) {
        format!("{} ms", t.as_millis())
    } else if t < Duration::from_secs(10) {
        format!("{:.1} s", t.as_secs_f64())
    } else {
        format!("{} s", t.as_secs())
    }
}

impl fmt::Display for PauseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PauseCause::ReplicaLag {
                name, bytes, time, ..
            } => write!(
                f,
                "standby `{name}` is {} / {} behind",
                size(*bytes),
                seconds(*time)
            ),
            PauseCause::SlotLag {
                slot,
                logical,
                bytes,
                time,
            } => write!(
                f,
                "{}replication slot `{slot}` is {} / {} behind",
                if *logical { "logical " } else { "" },
                size(*bytes),
                seconds(*time)
            ),
            PauseCause::Vacuum {
                table,
                pid,
                autovacuum: true,
            } => write!(f, "autovacuum works on {table} (pid {pid})"),
            PauseCause::Vacuum {
                table,
                pid,
                autovacuum: false,
            } => write!(f, "a VACUUM works on {table} (pid {pid})"),
            PauseCause::Predicate { sql } => write!(f, "`{sql}` returns true"),
        }
    }
}

impl fmt::Display for PauseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PauseKind::ReplicaLag => "standby lag",
            PauseKind::SlotLag => "replication slot lag",
            PauseKind::Vacuum => "vacuum on the table",
            PauseKind::Predicate => "pause_while query",
        })
    }
}

/// How often and how long a backfill waited for one kind of cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PauseTotal {
    pub kind: PauseKind,
    /// Pauses (or, within one, changes to this kind of cause).
    pub count: u32,
    /// Time spent waiting.
    pub total: Duration,
}

/// The settings one backfill runs with: its own, else the run's.
#[derive(Debug, Clone)]
pub(crate) struct Resolved<'a> {
    pub lag: LagLimit,
    pub ignore: &'a [String],
    pub vacuum: bool,
    pub predicate: Option<&'a str>,
    pub max_pause: Duration,
}

impl<'a> Resolved<'a> {
    pub(crate) fn of(spec: &'a Backfill, run: &'a BackfillSettings) -> Self {
        let own = spec.pacing();
        Resolved {
            lag: own.max_replica_lag.unwrap_or(run.max_replica_lag),
            ignore: &run.replica_lag_ignore,
            vacuum: own.pause_for_vacuum.unwrap_or(run.pause_for_vacuum),
            predicate: own.pause_while.as_deref().or(run.pause_while.as_deref()),
            max_pause: run.max_pause,
        }
    }
}

/// A vacuum of the table (`$1`, quoted) by another session: its pid, and whether an autovacuum worker runs
/// it (see [`Throttle::vacuum`]).
const VACUUMS: &str = "SELECT v.pid, COALESCE(a.backend_type = 'autovacuum worker', false) \
     FROM pg_catalog.pg_stat_progress_vacuum v \
     LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = v.pid \
     WHERE v.pid <> pg_catalog.pg_backend_pid() AND v.datname = pg_catalog.current_database() \
     AND (v.relid = pg_catalog.to_regclass($1) OR (v.relid IS NULL AND EXISTS ( \
         SELECT 1 FROM pg_catalog.pg_locks l WHERE l.pid = v.pid AND l.locktype = 'relation' \
         AND l.relation = pg_catalog.to_regclass($1) AND l.granted))) \
     LIMIT 1";

/// A WAL position (`16/B374D848`) as a number.
fn lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

/// Asks, before each batch of one backfill, whether the server can take it.
pub(crate) struct Throttle<'a> {
    settings: Resolved<'a>,
    /// The backfilled table, quoted, for messages.
    table: &'a str,
    /// WAL positions seen, with when: how long a standby that has not replayed a position is behind.
    seen: VecDeque<(Instant, u64)>,
    positions: Option<postgres::Statement>,
    vacuums: Option<postgres::Statement>,
    predicate: Option<postgres::Statement>,
    /// The checks' `statement_timeout`.
    limit: CheckLimit,
    totals: Vec<PauseTotal>,
    /// Inactive slots found behind by more than the limit, each said once.
    inactive: Vec<InactiveSlot>,
}

/// A replication slot nobody streams from, behind by more than the limit when first seen so.
#[derive(Debug)]
struct InactiveSlot {
    slot: String,
    logical: bool,
    bytes: u64,
    /// Whether its event was sent.
    said: bool,
}

impl<'a> Throttle<'a> {
    pub(crate) fn new(settings: Resolved<'a>, table: &'a str) -> Self {
        Throttle {
            settings,
            table,
            seen: VecDeque::new(),
            positions: None,
            vacuums: None,
            predicate: None,
            limit: CheckLimit::default(),
            totals: Vec::new(),
            inactive: Vec::new(),
        }
    }

    /// How often and how long it waited, by kind of cause.
    pub(crate) fn totals(&self) -> &[PauseTotal] {
        &self.totals
    }

    /// How long it waited in all.
    pub(crate) fn paused(&self) -> Duration {
        self.totals.iter().map(|t| t.total).sum()
    }

    /// What holds the next batch back now, if anything.
    pub(crate) fn check(
        &mut self,
        conn: &mut impl GenericClient,
    ) -> Result<Option<PauseCause>, CheckFailed> {
        if !self.settings.lag.is_off() {
            if let Some(cause) = self.lag(conn)? {
                return Ok(Some(cause));
            }
        }
        if self.settings.vacuum {
            if let Some(cause) = self.vacuum(conn)? {
                return Ok(Some(cause));
            }
        }
        if let Some(sql) = self.settings.predicate {
            if self.predicate(conn, sql)? {
                return Ok(Some(PauseCause::Predicate {
                    sql: sql.to_owned(),
                }));
            }
        }
        Ok(None)
    }

    /// Whether any check runs before a batch.
    fn checks(&self) -> bool {
        !self.settings.lag.is_off() || self.settings.vacuum || self.settings.predicate.is_some()
    }

    /// The user's query: whether it returns true. Prepared once.
    fn predicate(&mut self, conn: &mut impl GenericClient, sql: &str) -> Result<bool, CheckFailed> {
        let unusable = |e: postgres::Error| DataCause::PauseQuery {
            sql: sql.to_owned(),
            problem: crate::error::describe_pg(&e),
        };
        let what = || format!("the pause_while query `{sql}`");
        let statement = match &self.predicate {
            Some(s) => s.clone(),
            None => {
                let s = conn
                    .prepare(sql)
                    .map_err(|e| CheckFailed::of(what(), e, unusable))?;
                self.predicate = Some(s.clone());
                s
            }
        };
        let row = conn
            .query_opt(&statement, &[])
            .map_err(|e| CheckFailed::of(what(), e, unusable))?;
        let Some(row) = row else {
            return Ok(false);
        };
        let pause = row
            .try_get::<_, Option<bool>>(0)
            .map_err(|e| {
                CheckFailed::Cause(DataCause::PauseQuery {
                    sql: sql.to_owned(),
                    problem: format!("its first column must be a boolean ({e})"),
                })
            })?
            .unwrap_or(false);
        Ok(pause)
    }

    /// A vacuum of the table by another session. A role without `pg_read_all_stats` does not see which
    /// table another role's vacuum (an autovacuum worker's, say) works on; the lock a vacuum holds on its
    /// table (SHARE UPDATE EXCLUSIVE) is visible to everyone in `pg_locks`, which is read only then.
    fn vacuum(&mut self, conn: &mut impl GenericClient) -> Result<Option<PauseCause>, CheckFailed> {
        const WHAT: &str = "the check for a vacuum of the table (pg_stat_progress_vacuum)";
        let failed = |e| CheckFailed::of(WHAT, e, DataCause::database("cannot read pg_stat_progress_vacuum"));
        let statement = match &self.vacuums {
            Some(s) => s.clone(),
            None => {
                let s = conn.prepare(VACUUMS).map_err(failed)?;
                self.vacuums = Some(s.clone());
                s
            }
        };
        let row = conn
            .query_opt(&statement, &[&self.table])
            .map_err(failed)?;
        Ok(row.map(|row| PauseCause::Vacuum {
            table: self.table.to_owned(),
            pid: row.get(0),
            autovacuum: row.get(1),
        }))
    }

    /// Waits until nothing holds the next batch back, re-checking with a backoff of up to a second, each
    /// check reported as an [`Event::BackfillPaused`] and the end as [`Event::BackfillResumed`]. Gives up
    /// after `max_pause` of one pause (a check that does not answer is cancelled there), or when a stop is
    /// requested or the run's budget is spent (the check running then is cancelled: see `check_time`).
    pub(crate) fn wait(
        &mut self,
        conn: &mut postgres::Client,
        name: &str,
        interrupt: &Interrupt,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Stopped> {
        if !self.checks() {
            return Ok(());
        }
        let began = Instant::now();
        if self.clear_at_once(conn, began, interrupt) {
            self.say_inactive_slots(name, events);
            return Ok(());
        }
        let waited = self.wait_bounded(conn, began, name, interrupt, events);
        let restored = self.limit.restore(conn);
        waited?;
        restored.map_err(Stopped::Failed)
    }

    /// Whether nothing holds the next batch back, asked in one round trip (the usual answer, before
    /// every batch): the checks' limit set as [`CheckLimit::before_check`] sets it, the standbys' and the
    /// vacuum's checks, and the session's own limit put back, as one message (one transaction: a check
    /// that fails takes the limit's SET back with it). `false` leaves the answer to the check by check
    /// wait, which says what holds the batch back and for how long, or which check failed and why: a
    /// cause found, a check that failed, a stop due, the budget spent, or a `pause_while` query (the
    /// user's SQL runs on its own, as it always has).
    fn clear_at_once(
        &mut self,
        conn: &mut postgres::Client,
        began: Instant,
        interrupt: &Interrupt,
    ) -> bool {
        if self.settings.predicate.is_some() || interrupt.stop().is_some() {
            return false;
        }
        let (time, bound) = crate::check_time::limit(
            Instant::now(),
            began,
            self.settings.max_pause,
            interrupt.deadline(),
        );
        let time = match bound {
            crate::check_time::Bound::Budget(_) if time.is_zero() => return false,
            crate::check_time::Bound::Budget(_) => time,
            crate::check_time::Bound::MaxPause => time.max(crate::check_time::LAST_CHECK),
        };
        let Ok(session) = self.limit.session(conn) else {
            return false;
        };
        let mut sql = format!(
            "SET statement_timeout = {}",
            crate::timeouts::millis(time).max(1)
        );
        let lag = !self.settings.lag.is_off();
        if lag {
            sql.push_str("; ");
            sql.push_str(lag::POSITIONS);
        }
        if self.settings.vacuum {
            sql.push_str("; ");
            sql.push_str(&VACUUMS.replace("$1", &migrate_dsl::literal(self.table)));
        }
        sql.push_str(&format!(
            "; SET statement_timeout = {}",
            migrate_dsl::literal(&session)
        ));
        let Ok(sent) = crate::one_trip::send(conn, &sql) else {
            return false;
        };
        // Statement 0 sets the limit; the standbys' positions are statement 1 when watched.
        let vacuum_at = if lag { 2 } else { 1 };
        let rows = sent.rows();
        if self.settings.vacuum && rows.iter().any(|(at, _)| *at == vacuum_at) {
            return false;
        }
        if !lag {
            return true;
        }
        let positions: Vec<lag::PositionRow> = rows
            .iter()
            .filter(|(at, _)| *at == 1)
            .map(|(_, row)| lag::PositionRow::of_text(row))
            .collect();
        matches!(self.measure(conn, &positions), Ok(None))
    }

    fn wait_bounded(
        &mut self,
        conn: &mut impl GenericClient,
        began: Instant,
        name: &str,
        interrupt: &Interrupt,
        events: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), Stopped> {
        let mut paused: Option<(Instant, PauseCause)> = None;
        let mut last_check = began;
        let mut delay = Duration::from_millis(50);
        loop {
            let since = paused.as_ref().map_or(began, |(since, _)| *since);
            self.limit
                .before_check(conn, since, self.settings.max_pause, interrupt)
                .map_err(|ended| stopped(ended, self.settings.max_pause))?;
            let cause = self
                .check(conn)
                .map_err(|failed| stopped(self.limit.failed(failed, interrupt), self.settings.max_pause))?;
            self.say_inactive_slots(name, events);
            let now = Instant::now();
            if let Some((_, previous)) = &paused {
                self.add_time(previous.kind(), now.duration_since(last_check));
            }
            last_check = now;
            let Some(cause) = cause else {
                if let Some((since, previous)) = paused {
                    events(Event::BackfillResumed {
                        name,
                        table: self.table,
                        cause: &previous,
                        paused: since.elapsed(),
                    });
                }
                return Ok(());
            };
            let since = match &paused {
                Some((since, previous)) => {
                    if !previous.same_as(&cause) {
                        self.add_count(cause.kind());
                    }
                    *since
                }
                None => {
                    self.add_count(cause.kind());
                    now
                }
            };
            let waited = since.elapsed();
            events(Event::BackfillPaused {
                name,
                table: self.table,
                cause: &cause,
                waited,
            });
            if waited >= self.settings.max_pause {
                return Err(Stopped::TooLong { cause, waited });
            }
            if matches!(cause.kind(), PauseKind::ReplicaLag | PauseKind::SlotLag) {
                nudge(conn).map_err(|e| {
                    let failed = CheckFailed::of(
                        "the commit that asks the standbys for their position",
                        e,
                        DataCause::database(
                            "cannot write the commit that asks standbys for their position",
                        ),
                    );
                    stopped(self.limit.failed(failed, interrupt), self.settings.max_pause)
                })?;
            }
            paused = Some((since, cause));
            if let Some(stop) =
                interrupt.sleep(delay.min(self.settings.max_pause.saturating_sub(waited)))
            {
                return Err(Stopped::Interrupted(stop));
            }
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// Each inactive slot found behind by more than the limit, once.
    fn say_inactive_slots(&mut self, name: &str, events: &mut dyn FnMut(Event<'_>)) {
        for slot in self.inactive.iter_mut().filter(|s| !s.said) {
            slot.said = true;
            events(Event::BackfillSlotInactive {
                name,
                table: self.table,
                slot: &slot.slot,
                logical: slot.logical,
                bytes: slot.bytes,
            });
        }
    }

    fn entry(&mut self, kind: PauseKind) -> &mut PauseTotal {
        let i = match self.totals.iter().position(|t| t.kind == kind) {
            Some(i) => i,
            None => {
                self.totals.push(PauseTotal {
                    kind,
                    count: 0,
                    total: Duration::ZERO,
                });
                self.totals.len() - 1
            }
        };
        &mut self.totals[i]
    }

    fn add_count(&mut self, kind: PauseKind) {
        self.entry(kind).count += 1;
    }

    fn add_time(&mut self, kind: PauseKind, time: Duration) {
        self.entry(kind).total += time;
    }
}

/// Makes the standbys report where they are. A standby tells the primary its replay position when it
/// receives WAL (or every `wal_receiver_status_interval`, 10 s by default), so once the backfill stops
/// writing, `pg_stat_replication` keeps the position of the last report: a standby that caught up would
/// look behind for up to 10 s. A flushed commit of a transaction with an id (the smallest WAL record a role
/// without special rights can write) reaches each standby, which answers with its position.
fn nudge(conn: &mut impl GenericClient) -> Result<(), postgres::Error> {
    conn.batch_execute(
        "BEGIN; SET LOCAL synchronous_commit = on; SELECT pg_catalog.txid_current(); COMMIT",
    )
}

/// How a check that ended the wait stops the backfill. An unanswered check names `max_pause`, the limit it
/// ran into, not the time measured: on a busy machine that is a little longer, and the user set the limit.
fn stopped(ended: Ended, max_pause: Duration) -> Stopped {
    match ended {
        Ended::Stopped(stop) => Stopped::Interrupted(stop),
        Ended::Failed(cause) => Stopped::Failed(cause),
        Ended::Unanswered { check } => Stopped::Unanswered { check, max_pause },
    }
}

/// Why [`Throttle::wait`] ended without the server being ready.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// A check failed.
    Failed(DataCause),
    /// One pause lasted `max_pause`.
    TooLong { cause: PauseCause, waited: Duration },
    /// A check did not answer within what remained of `max_pause`.
    Unanswered { check: String, max_pause: Duration },
    /// A stop was requested, or the run's time budget is spent.
    Interrupted(crate::interrupt::Stop),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_as_numbers() {
        assert_eq!(lsn("0/0"), Some(0));
        assert_eq!(lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(lsn("nonsense"), None);
    }

    #[test]
    fn causes_say_who_is_behind_and_by_how_much() {
        let lag = PauseCause::ReplicaLag {
            name: "replica1".to_owned(),
            pid: 7,
            bytes: 64 << 20,
            time: Duration::from_secs(12),
        };
        assert_eq!(lag.to_string(), "standby `replica1` is 64 MB / 12 s behind");
        let slot = PauseCause::SlotLag {
            slot: "cdc".to_owned(),
            logical: true,
            bytes: 3 << 19,
            time: Duration::from_millis(250),
        };
        assert_eq!(
            slot.to_string(),
            "logical replication slot `cdc` is 1.5 MB / 250 ms behind"
        );
        assert!(!lag.same_as(&slot));
    }
}
