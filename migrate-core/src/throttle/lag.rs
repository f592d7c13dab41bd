//! The throttle's check of how far standbys and replication slots are behind: every position in one round
//! trip, each consumer measured against the limit, the first one over it the cause of the pause. What is
//! watched and why is in the parent module's docs.

use super::*;

/// Standbys and slots with their positions, in one round trip. Values are read through their output
/// functions (see the project's rule on casts); the server's own time lag as seconds.
pub(super) const POSITIONS: &str = "\
SELECT 'now', NULL::int4, NULL::text, false, \
       pg_catalog.textin(pg_catalog.pg_lsn_out(pg_catalog.pg_current_wal_lsn())), NULL::float8 \
UNION ALL \
SELECT 'standby', r.pid, r.application_name, r.state IS NULL, \
       pg_catalog.textin(pg_catalog.pg_lsn_out(r.replay_lsn)), pg_catalog.date_part('epoch', r.replay_lag) \
  FROM pg_catalog.pg_stat_replication r \
UNION ALL \
SELECT CASE WHEN s.slot_type = 'logical' THEN 'logical slot' ELSE 'slot' END, s.active_pid, s.slot_name::text, NOT s.active, \
       pg_catalog.textin(pg_catalog.pg_lsn_out(CASE WHEN s.slot_type = 'logical' THEN s.confirmed_flush_lsn \
                                                ELSE s.restart_lsn END)), NULL::float8 \
  FROM pg_catalog.pg_replication_slots s";

impl Throttle<'_> {
    /// The first standby or slot over the limit.
    pub(super) fn lag(
        &mut self,
        conn: &mut impl GenericClient,
    ) -> Result<Option<PauseCause>, CheckFailed> {
        let rows: Vec<PositionRow> = self
            .read_positions(conn)?
            .iter()
            .map(PositionRow::of_row)
            .collect();
        self.measure(conn, &rows)
    }

    /// The first standby or slot over the limit, by the rows of [`POSITIONS`] read now.
    pub(super) fn measure(
        &mut self,
        conn: &mut impl GenericClient,
        rows: &[PositionRow],
    ) -> Result<Option<PauseCause>, CheckFailed> {
        let now = Instant::now();
        let positions = Positions::of(rows);
        if !positions.hidden.is_empty() {
            return Err(hidden(conn, positions.hidden));
        }
        let Some(current) = positions.current else {
            return Ok(None);
        };
        self.seen.push_back((now, current));
        let lag = Lag {
            current,
            now,
            seen: &self.seen,
            limit: self.settings.lag,
            ignore: self.settings.ignore,
        };
        let (found, slowest) = lag.first_over_limit(positions.standbys, positions.slots);
        lag.note_inactive(positions.inactive, &mut self.inactive);
        self.forget_positions_before(slowest);
        Ok(found)
    }

    /// The rows of [`POSITIONS`]; the statement is prepared once.
    fn read_positions(
        &mut self,
        conn: &mut impl GenericClient,
    ) -> Result<Vec<postgres::Row>, CheckFailed> {
        let failed = |e| {
            CheckFailed::of(
                "the check of the standbys' positions (pg_stat_replication, pg_replication_slots)",
                e,
                DataCause::database(
                    "cannot read the replication positions (pg_stat_replication, pg_replication_slots)",
                ),
            )
        };
        let statement = match &self.positions {
            Some(s) => s.clone(),
            None => {
                let s = conn.prepare(POSITIONS).map_err(failed)?;
                self.positions = Some(s.clone());
                s
            }
        };
        conn.query(&statement, &[]).map_err(failed)
    }

    /// Positions every watched consumer has passed are no longer needed, but the last one before them is.
    fn forget_positions_before(&mut self, slowest: u64) {
        while self.seen.len() > 1 && self.seen[1].1 <= slowest {
            self.seen.pop_front();
        }
        while self.seen.len() > 100_000 {
            self.seen.pop_front();
        }
    }
}

/// The error for walsenders whose row the role may not read: no lag can be measured, and passing silently
/// would let a backfill outrun its standbys.
fn hidden(conn: &mut impl GenericClient, walsenders: Vec<i32>) -> CheckFailed {
    let role: String = conn
        .query_one("SELECT current_user::text", &[])
        .map(|r| r.get(0))
        .unwrap_or_else(|_| "of this connection".to_owned());
    CheckFailed::Cause(DataCause::ReplicaLagHidden { role, walsenders })
}

/// A standby's row: walsender pid, `application_name`, replay position, the server's `replay_lag` in seconds.
type StandbyRow = (i32, String, Option<u64>, Option<f64>);

/// A replication slot's row: logical or not, the pid of its consumer, name, position.
type SlotRow = (bool, Option<i32>, String, Option<u64>);

/// The rows of [`POSITIONS`], by kind.
#[derive(Default)]
struct Positions {
    /// The server's own WAL position.
    current: Option<u64>,
    standbys: Vec<StandbyRow>,
    /// Slots a consumer streams from.
    slots: Vec<SlotRow>,
    /// Slots nobody streams from.
    inactive: Vec<SlotRow>,
    /// Walsenders whose row the role may not read.
    hidden: Vec<i32>,
}

/// One row of [`POSITIONS`]: what it is (`now`, `standby`, `slot`, `logical slot`), the pid, the name,
/// whether it is hidden (a standby) or inactive (a slot), the WAL position, the server's lag in seconds.
pub(super) struct PositionRow {
    kind: String,
    pid: Option<i32>,
    name: Option<String>,
    flag: bool,
    position: Option<u64>,
    lag: Option<f64>,
}

impl PositionRow {
    fn of_row(row: &postgres::Row) -> Self {
        PositionRow {
            kind: row.get(0),
            pid: row.get(1),
            name: row.get(2),
            flag: row.get(3),
            position: row.get::<_, Option<&str>>(4).and_then(lsn),
            lag: row.get(5),
        }
    }

    /// The row as the simple-query protocol gives it, every value as text.
    pub(super) fn of_text(row: &postgres::SimpleQueryRow) -> Self {
        let text = |i: usize| row.get(i);
        PositionRow {
            kind: text(0).unwrap_or_default().to_owned(),
            pid: text(1).and_then(|p| p.parse().ok()),
            name: text(2).map(str::to_owned),
            flag: text(3) == Some("t"),
            position: text(4).and_then(lsn),
            lag: text(5).and_then(|l| l.parse().ok()),
        }
    }
}

impl Positions {
    fn of(rows: &[PositionRow]) -> Self {
        let mut positions = Positions::default();
        for row in rows {
            let kind = row.kind.as_str();
            let pid = row.pid;
            let name = row.name.clone();
            let position = row.position;
            match kind {
                "now" => positions.current = position,
                "standby" => {
                    let pid = pid.unwrap_or_default();
                    if row.flag {
                        positions.hidden.push(pid);
                        continue;
                    }
                    let name = name.unwrap_or_default();
                    positions.standbys.push((pid, name, position, row.lag));
                }
                // Not waited for (see the parent module's docs), but said once when it holds much WAL back.
                _ if row.flag => positions.inactive.push((
                    kind == "logical slot",
                    pid,
                    name.unwrap_or_default(),
                    position,
                )),
                _ => positions.slots.push((
                    kind == "logical slot",
                    pid,
                    name.unwrap_or_default(),
                    position,
                )),
            }
        }
        positions
    }
}

/// The consumers measured at `now`, when the server's WAL position is `current`, against the limit.
struct Lag<'t> {
    current: u64,
    now: Instant,
    /// The WAL positions the throttle saw, with when.
    seen: &'t VecDeque<(Instant, u64)>,
    limit: LagLimit,
    /// Standbys and slots not watched.
    ignore: &'t [String],
}

impl Lag<'_> {
    fn ignored(&self, name: &str) -> bool {
        self.ignore.iter().any(|i| i == name)
    }

    /// How long a consumer at `position` is behind: since the first position it has not reached was current.
    fn behind(&self, position: u64) -> Duration {
        self.seen
            .iter()
            .find(|(_, seen)| *seen > position)
            .map_or(Duration::ZERO, |(at, _)| self.now.duration_since(*at))
    }

    fn over(&self, bytes: u64, time: Duration) -> bool {
        self.limit.max_bytes().is_some_and(|max| bytes > max)
            || self.limit.max_time().is_some_and(|max| time > max)
    }

    /// The first standby over the limit, else the first active slot; and the position of the slowest
    /// consumer watched, before which the positions seen are no longer needed.
    fn first_over_limit(
        &self,
        standbys: Vec<StandbyRow>,
        slots: Vec<SlotRow>,
    ) -> (Option<PauseCause>, u64) {
        let current = self.current;
        let mut watched_pids = Vec::new();
        let mut slowest = current;
        let mut found = None;
        for (pid, name, position, server_lag) in standbys {
            watched_pids.push(pid);
            // No replay position: an archiver or a base backup, not a standby.
            let Some(position) = position else { continue };
            if self.ignored(&name) {
                continue;
            }
            slowest = slowest.min(position);
            let bytes = current.saturating_sub(position);
            let time = self
                .behind(position)
                .max(Duration::from_secs_f64(server_lag.unwrap_or(0.0).max(0.0)));
            if found.is_none() && self.over(bytes, time) {
                found = Some(PauseCause::ReplicaLag {
                    name,
                    pid,
                    bytes,
                    time,
                });
            }
        }
        for (logical, pid, slot, position) in slots {
            // A standby's slot follows what it flushed: the standby's own row says more.
            let Some(position) = position else { continue };
            if self.ignored(&slot) || pid.is_some_and(|p| watched_pids.contains(&p)) {
                continue;
            }
            slowest = slowest.min(position);
            let bytes = current.saturating_sub(position);
            let time = self.behind(position);
            if found.is_none() && self.over(bytes, time) {
                found = Some(PauseCause::SlotLag {
                    slot,
                    logical,
                    bytes,
                    time,
                });
            }
        }
        (found, slowest)
    }

    /// Adds each inactive slot behind by more than the limit (its size; 16 MB for a limit in time only) to
    /// `known`, once, to be said.
    fn note_inactive(&self, inactive: Vec<SlotRow>, known: &mut Vec<InactiveSlot>) {
        for (logical, _, slot, position) in inactive {
            let Some(position) = position else { continue };
            let bytes = self.current.saturating_sub(position);
            if !self.ignored(&slot)
                && bytes > self.limit.max_bytes().unwrap_or(DEFAULT_MAX_REPLICA_LAG_BYTES)
                && !known.iter().any(|s| s.slot == slot)
            {
                known.push(InactiveSlot {
                    slot,
                    logical,
                    bytes,
                    said: false,
                });
            }
        }
    }
}
