//! How a backfill paces itself on a live server: how far replicas may fall behind, whether it waits for a
//! vacuum of its table or for a condition of the user's, and how big its batches are. What the backfill
//! records here wins over the run's settings (`migrate.toml`, `--max-replica-lag`); what it leaves unset
//! comes from them. None of it changes the SQL a batch runs, so `sql` shows it as a comment line.

use std::fmt;
use std::time::Duration;

use super::Backfill;

/// How far standbys and replication slots may fall behind before a backfill waits: WAL bytes not yet
/// replayed, and/or time. Either one over its limit pauses the backfill before its next batch.
///
/// ```
/// use std::time::Duration;
/// use migrate_dsl::LagLimit;
/// let limit = LagLimit::bytes(8 << 20).and_time(Duration::from_secs(10));
/// assert_eq!(limit.to_string(), "8 MB or 10 s");
/// assert_eq!(LagLimit::parse("8MB, 10s"), Ok(limit));
/// assert_eq!(LagLimit::parse("off"), Ok(LagLimit::off()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LagLimit {
    bytes: Option<u64>,
    time: Option<Duration>,
}

impl LagLimit {
    /// At most this many bytes of WAL not yet replayed (a standby) or confirmed (a slot).
    pub fn bytes(bytes: u64) -> LagLimit {
        LagLimit {
            bytes: Some(bytes),
            time: None,
        }
    }

    /// At most this far behind in time (standbys only: a slot has no time).
    pub fn time(time: Duration) -> LagLimit {
        LagLimit {
            bytes: None,
            time: Some(time),
        }
    }

    /// This limit, and also at most `time` behind.
    pub fn and_time(self, time: Duration) -> LagLimit {
        LagLimit {
            time: Some(time),
            ..self
        }
    }

    /// No limit: replicas are not watched.
    pub fn off() -> LagLimit {
        LagLimit::default()
    }

    /// The byte limit, if any.
    pub fn max_bytes(&self) -> Option<u64> {
        self.bytes
    }

    /// The time limit, if any.
    pub fn max_time(&self) -> Option<Duration> {
        self.time
    }

    /// Whether neither limit is set.
    pub fn is_off(&self) -> bool {
        self.bytes.is_none() && self.time.is_none()
    }

    /// `8MB`, `10s`, both separated by a comma or a slash (`16MB, 10s`), or `off`. Sizes take `B`, `kB`,
    /// `MB`, `GB` (1024-based, as PostgreSQL's settings); times `ms`, `s`, `min` (or `m`), `h`.
    pub fn parse(text: &str) -> Result<LagLimit, String> {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("off") || trimmed == "0" {
            return Ok(LagLimit::off());
        }
        let mut limit = LagLimit::off();
        for part in trimmed.split([',', '/']).map(str::trim) {
            if part.is_empty() {
                return Err(format!("{text:?}: an empty part; {LAG_SYNTAX}"));
            }
            match parse_size(part)
                .map(Ok)
                .or_else(|| parse_time(part).map(Err))
            {
                Some(Ok(bytes)) if limit.bytes.is_none() => limit.bytes = Some(bytes),
                Some(Err(time)) if limit.time.is_none() => limit.time = Some(time),
                Some(_) => return Err(format!("{text:?}: two sizes or two times; {LAG_SYNTAX}")),
                None => return Err(format!("{text:?}: cannot read {part:?}; {LAG_SYNTAX}")),
            }
        }
        if limit.bytes == Some(0) || limit.time == Some(Duration::ZERO) {
            return Err(format!(
                "{text:?}: a limit of zero would pause for ever; write `off` for no limit"
            ));
        }
        Ok(limit)
    }
}

const LAG_SYNTAX: &str = "write a size (8MB), a time (10s), both (8MB, 10s), or off";

/// `8MB` as bytes; `None` when it is no size.
fn parse_size(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1 << 10,
        "mb" => 1 << 20,
        // `M` alone is a size; `m` alone is minutes.
        "m" if unit.trim() == "M" => 1 << 20,
        "gb" | "g" => 1 << 30,
        _ => return None,
    };
    Some((number * factor as f64) as u64)
}

/// `10s` as a duration; `None` when it is no time.
fn parse_time(text: &str) -> Option<Duration> {
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" | "sec" => number,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

impl fmt::Display for LagLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.bytes.map(size);
        let time = self.time.map(|t| {
            if t.subsec_millis() == 0 {
                format!("{} s", t.as_secs())
            } else {
                format!("{} ms", t.as_millis())
            }
        });
        match (bytes, time) {
            (Some(b), Some(t)) => write!(f, "{b} or {t}"),
            (Some(b), None) => f.write_str(&b),
            (None, Some(t)) => f.write_str(&t),
            (None, None) => f.write_str("off"),
        }
    }
}

/// Bytes as people read them: `512 B`, `64 kB`, `16 MB`, `1.5 GB` (1024-based).
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 10.0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What a backfill records about its pacing; unset values come from the run's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pacing {
    /// How far replicas may fall behind.
    pub max_replica_lag: Option<LagLimit>,
    /// Whether to wait while a vacuum works on the table.
    pub pause_for_vacuum: Option<bool>,
    /// A query whose `true` makes the backfill wait.
    pub pause_while: Option<String>,
    /// `batch_size` was set: every batch has that size.
    pub fixed_size: bool,
    /// Bounds for a batch size that adapts.
    pub batch_bounds: Option<(u32, u32)>,
    /// The batch time an adapting batch size aims at.
    pub target_batch_time: Option<Duration>,
}

impl Pacing {
    /// The comment line `sql` shows for what the backfill set itself; `None` when it set nothing.
    pub(super) fn comment(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(limit) = &self.max_replica_lag {
            parts.push(if limit.is_off() {
                "does not watch replicas".to_owned()
            } else {
                format!("waits while a standby or replication slot is more than {limit} behind")
            });
        }
        match self.pause_for_vacuum {
            Some(true) => parts.push("waits while a vacuum works on the table".to_owned()),
            Some(false) => parts.push("does not wait for a vacuum of the table".to_owned()),
            None => {}
        }
        if let Some(sql) = &self.pause_while {
            parts.push(format!("waits while `{sql}` returns true"));
        }
        if !self.fixed_size {
            match (self.batch_bounds, self.target_batch_time) {
                (None, None) => {}
                (bounds, target) => {
                    let mut sizing = "sizes its batches".to_owned();
                    if let Some(target) = target {
                        sizing.push_str(&format!(" toward {} ms each", target.as_millis()));
                    }
                    if let Some((min, max)) = bounds {
                        sizing.push_str(&format!(", {min} to {max} rows"));
                    }
                    parts.push(sizing);
                }
            }
        }
        (!parts.is_empty()).then(|| format!("-- this backfill {}", parts.join("; ")))
    }
}

impl Backfill {
    /// Waits before a batch while a standby or a replication slot of the server is more than `limit` behind
    /// (instead of the run's `max_replica_lag`); [`LagLimit::off`] watches none.
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::{prelude::*, LagLimit};
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents")
    ///     .max_replica_lag(LagLimit::bytes(8 << 20).and_time(Duration::from_secs(5)));
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(2).unwrap(),
    ///     "-- this backfill waits while a standby or replication slot is more than 8 MB or 5 s behind");
    /// ```
    pub fn max_replica_lag(&mut self, limit: LagLimit) -> &mut Self {
        self.pacing.max_replica_lag = Some(limit);
        self
    }

    /// Whether to wait while a vacuum (autovacuum or `VACUUM`) works on the table (instead of the run's
    /// `pause_for_vacuum`, on by default).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").pause_for_vacuum(false);
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(2).unwrap(),
    ///     "-- this backfill does not wait for a vacuum of the table");
    /// ```
    pub fn pause_for_vacuum(&mut self, yes: bool) -> &mut Self {
        self.pacing.pause_for_vacuum = Some(yes);
        self
    }

    /// Waits before a batch while the query `sql` returns `true` in its first column (a maintenance flag,
    /// say), instead of the run's `pause_while`. Any other value, or no row, lets the batch run.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").pause_while("SELECT maintenance FROM ops.flags");
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(2).unwrap(),
    ///     "-- this backfill waits while `SELECT maintenance FROM ops.flags` returns true");
    /// ```
    pub fn pause_while(&mut self, sql: impl Into<String>) -> &mut Self {
        self.pacing.pause_while = Some(sql.into());
        self
    }

    /// Adapts the batch size between `min` and `max` rows (instead of the run's bounds), toward the target
    /// batch time. A backfill adapts unless [`batch_size`](Self::batch_size) fixed its size.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").adaptive_batch_size(500, 20_000);
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(2).unwrap(),
    ///     "-- this backfill sizes its batches, 500 to 20000 rows");
    /// ```
    pub fn adaptive_batch_size(&mut self, min: u32, max: u32) -> &mut Self {
        self.pacing.fixed_size = false;
        self.pacing.batch_bounds = Some((min, max));
        self
    }

    /// The time an adapting batch aims at (instead of the run's `target_batch_time`): its row locks are held
    /// about that long, and the fixed cost of a batch is paid once per that much work.
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").target_batch_time(Duration::from_millis(200));
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(2).unwrap(),
    ///     "-- this backfill sizes its batches toward 200 ms each");
    /// ```
    pub fn target_batch_time(&mut self, target: Duration) -> &mut Self {
        self.pacing.fixed_size = false;
        self.pacing.target_batch_time = Some(target);
        self
    }

    /// What the backfill set about its pacing.
    pub fn pacing(&self) -> &Pacing {
        &self.pacing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_limits_parse_sizes_times_and_both() {
        assert_eq!(LagLimit::parse("8MB"), Ok(LagLimit::bytes(8 << 20)));
        assert_eq!(LagLimit::parse("512kB"), Ok(LagLimit::bytes(512 << 10)));
        assert_eq!(LagLimit::parse("1GB"), Ok(LagLimit::bytes(1 << 30)));
        assert_eq!(LagLimit::parse("4096"), Ok(LagLimit::bytes(4096)));
        assert_eq!(
            LagLimit::parse("10s"),
            Ok(LagLimit::time(Duration::from_secs(10)))
        );
        assert_eq!(
            LagLimit::parse("500ms"),
            Ok(LagLimit::time(Duration::from_millis(500)))
        );
        assert_eq!(
            LagLimit::parse("2min"),
            Ok(LagLimit::time(Duration::from_secs(120)))
        );
        assert_eq!(
            LagLimit::parse("16MB / 10s"),
            Ok(LagLimit::bytes(16 << 20).and_time(Duration::from_secs(10)))
        );
        assert_eq!(LagLimit::parse("OFF"), Ok(LagLimit::off()));
        for bad in ["", "8 parsecs", "8MB, 9MB", "10s,", "0MB", "fast"] {
            assert!(LagLimit::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(64 << 10), "64 kB");
        assert_eq!(size(16 << 20), "16 MB");
        assert_eq!(size(3 << 29), "1.5 GB");
        assert_eq!(LagLimit::bytes(16 << 20).to_string(), "16 MB");
        assert_eq!(
            LagLimit::time(Duration::from_millis(1500)).to_string(),
            "1500 ms"
        );
    }
}
