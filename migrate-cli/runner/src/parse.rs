//! The values flags and `migrate.toml` take, as clap's value parsers and the settings read them: durations,
//! PostgreSQL timeouts, replica lag limits.

use std::time::Duration;

use migrate_core::LagLimit;

/// `500ms`, `2s`, `1m 30s`, or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{e}; write a duration such as 500ms, 2s or 1m"))
}

/// Longest timeout PostgreSQL accepts: `INT_MAX` milliseconds (about 24.8 days).
const MAX_TIMEOUT_MS: u128 = i32::MAX as u128;

/// A duration for a PostgreSQL timeout (`lock_timeout`, `statement_timeout`), counted in whole milliseconds
/// by the server: `0`, or 1ms to about 24.8 days. Anything between 0 and 1ms is refused rather than rounded:
/// sent as `0ms` it would mean no timeout at all, the opposite of what was asked, and rounding it up would
/// silently change the value.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if !d.is_zero() && d.as_millis() == 0 {
        return Err(format!(
            "{} is less than 1ms: PostgreSQL counts timeouts in whole milliseconds and would read it as 0, \
             which means no timeout at all; give 1ms or more, or 0 to leave the server's setting",
            humantime::format_duration(d)
        ));
    }
    if d.as_millis() > MAX_TIMEOUT_MS {
        return Err(format!(
            "{} is more than PostgreSQL's longest timeout, {MAX_TIMEOUT_MS}ms (about 24.8 days)",
            humantime::format_duration(d)
        ));
    }
    Ok(d)
}

/// A duration above zero.
pub(crate) fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err("it must be more than 0".to_owned()),
        d => Ok(d),
    }
}

/// `--max-replica-lag`: a [`LagLimit`] for clap.
pub fn parse_lag(text: &str) -> Result<LagLimit, String> {
    LagLimit::parse(text)
}

/// The numbers the flags take, as ranges shared by their value parsers and `migrate.toml`'s loader
/// ([`crate::config::Config::load`]): a value a flag refuses is refused in the file too.
pub mod ranges {
    use std::ops::{RangeFrom, RangeInclusive};

    /// `--connect-timeout`, `connect_timeout`: seconds.
    pub const CONNECT_TIMEOUT_SECS: RangeInclusive<u64> = 1..=3600;
    /// `--server-check-timeout`, `server_check_timeout`: seconds, 0 for no checks.
    pub const SERVER_CHECK_TIMEOUT_SECS: RangeInclusive<u64> = 0..=3600;
    /// `review --calibration-rows`, `[review] calibration_rows`: fewer rows time nothing worth scaling.
    pub const CALIBRATION_ROWS: RangeInclusive<u64> = 1000..=i32::MAX as u64;
    /// `fleet --parallel`/`--per-server`, `[fleet] parallel`/`per_server`.
    pub const FLEET_PARALLEL: RangeInclusive<u64> = 1..=1024;
    /// `verify --rows`, `[verify] rows` and `rows_per_table`: rows generated into one table, at most what one
    /// `generate_series` of `integer` gives.
    pub const ROWS_PER_TABLE: RangeInclusive<u64> = 0..=i32::MAX as u64;
    /// `fleet --max-failures`, `[fleet] max_failures`.
    pub const MAX_FAILURES: RangeFrom<u64> = 1..;
}

/// `value` when it is in `range`, with clap's words for a flag's value out of it otherwise.
pub(crate) fn in_range<R>(value: u64, range: &R) -> Result<u64, String>
where
    R: std::ops::RangeBounds<u64> + std::fmt::Debug,
{
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not in {range:?}"))
    }
}
