//! How backfills pace themselves, from `migrate.toml`'s `[backfill]` table and the `up`/`down` flags: the
//! replica lag they wait for, vacuum and a query of the user's, the longest pause, and batch sizes.

use std::time::Duration;

use anyhow::{anyhow, Result};
use migrate_core::{BackfillSettings, LagLimit};
use serde::Deserialize;

use crate::backfill_bar::BackfillBar;
use crate::parse::parse_duration;

/// `[backfill]` in `migrate.toml`. Unknown keys are errors, as in the rest of the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackfillConfig {
    /// `"16MB, 10s"`, `"8MB"`, `"30s"` or `"off"`.
    pub max_replica_lag: Option<String>,
    /// Standbys (`application_name`) and replication slots not to watch.
    pub replica_lag_ignore: Option<Vec<String>>,
    pub pause_for_vacuum: Option<bool>,
    /// A query whose `true` makes backfills wait, e.g. `SELECT maintenance FROM ops.flags`.
    pub pause_while: Option<String>,
    /// The longest one pause may last, e.g. `"10m"`.
    pub max_pause: Option<String>,
    pub adaptive_batch_size: Option<bool>,
    /// e.g. `"50ms"`.
    pub target_batch_time: Option<String>,
    pub min_batch_size: Option<u32>,
    pub max_batch_size: Option<u32>,
}

/// The settings `[backfill]` describes, over the defaults; `file` names the config file for messages.
pub fn resolve(config: Option<&BackfillConfig>, file: &str) -> Result<BackfillSettings> {
    let mut settings = BackfillSettings::default();
    let Some(config) = config else {
        return Ok(settings);
    };
    let invalid = |key: &str, value: &str, e: String| {
        anyhow!("invalid {key} = {value:?} in [backfill] of {file}: {e}")
    };
    if let Some(text) = &config.max_replica_lag {
        settings.max_replica_lag =
            LagLimit::parse(text).map_err(|e| invalid("max_replica_lag", text, e))?;
    }
    if let Some(names) = &config.replica_lag_ignore {
        settings.replica_lag_ignore = names.clone();
    }
    if let Some(yes) = config.pause_for_vacuum {
        settings.pause_for_vacuum = yes;
    }
    if let Some(sql) = &config.pause_while {
        if sql.trim().is_empty() {
            return Err(invalid(
                "pause_while",
                sql,
                "it needs a query that returns a boolean".to_owned(),
            ));
        }
        settings.pause_while = Some(sql.clone());
    }
    let duration = |key: &str, text: &Option<String>| -> Result<Option<Duration>> {
        match text {
            None => Ok(None),
            Some(text) => match parse_duration(text) {
                Ok(d) if d.is_zero() => {
                    Err(invalid(key, text, "it must be more than 0".to_owned()))
                }
                Ok(d) => Ok(Some(d)),
                Err(e) => Err(invalid(key, text, e)),
            },
        }
    };
    if let Some(d) = duration("max_pause", &config.max_pause)? {
        settings.max_pause = d;
    }
    if let Some(yes) = config.adaptive_batch_size {
        settings.adaptive_batch_size = yes;
    }
    if let Some(d) = duration("target_batch_time", &config.target_batch_time)? {
        settings.target_batch_time = d;
    }
    if let Some(min) = config.min_batch_size {
        settings.min_batch_size = min;
    }
    if let Some(max) = config.max_batch_size {
        settings.max_batch_size = max;
    }
    if settings.min_batch_size == 0 || settings.min_batch_size > settings.max_batch_size {
        return Err(anyhow!(
            "invalid batch bounds in [backfill] of {file}: min_batch_size = {}, max_batch_size = {}; \
             they must be 1 <= min_batch_size <= max_batch_size",
            settings.min_batch_size,
            settings.max_batch_size
        ));
    }
    Ok(settings)
}

/// A re-check while a backfill waits: on a terminal, the progress bar says why; a line when the pause starts
/// or its cause changes (the only output when stderr is not a terminal). `shown` is the cause last shown, kept
/// by the run's output ([`crate::output::RunOutput`]) so a pause prints a line when it starts or its cause
/// changes, not at every re-check.
pub(crate) fn show_pause(
    bar: &BackfillBar,
    shown: &mut Option<migrate_core::PauseCause>,
    name: &str,
    table: &str,
    cause: &migrate_core::PauseCause,
    waited: Duration,
) {
    let new = pause_is_news(shown, cause);
    bar.set_message(format!(
        "paused: {cause} (waiting {})",
        humantime::format_duration(Duration::from_secs(waited.as_secs()))
    ));
    if new {
        bar.println(pause_line(name, table, cause));
    }
}

/// Whether a pause re-checked with `cause` is worth a line: it starts, or its cause changed since `shown`,
/// the cause last shown (now `cause`).
pub fn pause_is_news(
    shown: &mut Option<migrate_core::PauseCause>,
    cause: &migrate_core::PauseCause,
) -> bool {
    let new = shown
        .as_ref()
        .is_none_or(|s| s.kind() != cause.kind() || !same_subject(s, cause));
    *shown = Some(cause.clone());
    new
}

/// `MIGRATION: backfill of TABLE paused: CAUSE`.
pub fn pause_line(name: &str, table: &str, cause: &migrate_core::PauseCause) -> String {
    format!("{name}: backfill of {table} paused: {cause}")
}

/// `MIGRATION: backfill of TABLE resumed after N s (last: CAUSE)`.
pub fn resume_line(
    name: &str,
    table: &str,
    cause: &migrate_core::PauseCause,
    paused: Duration,
) -> String {
    format!(
        "{name}: backfill of {table} resumed after {:.1} s (last: {cause})",
        paused.as_secs_f64()
    )
}

/// Whether two causes are about the same standby, slot, vacuum or query.
fn same_subject(a: &migrate_core::PauseCause, b: &migrate_core::PauseCause) -> bool {
    use migrate_core::PauseCause::*;
    match (a, b) {
        (ReplicaLag { pid: x, .. }, ReplicaLag { pid: y, .. }) => x == y,
        (SlotLag { slot: x, .. }, SlotLag { slot: y, .. }) => x == y,
        (Vacuum { pid: x, .. }, Vacuum { pid: y, .. }) => x == y,
        _ => true,
    }
}

/// What an inactive replication slot behind by more than the limit means for the backfill of `table`.
pub fn inactive_slot(table: &str, slot: &str, logical: bool, bytes: u64) -> String {
    format!(
        "{}replication slot `{slot}` is inactive and {} behind: the backfill of {table} does not wait for a slot \
         nobody streams from (no pause brings its consumer back), and the server keeps its WAL, which the backfill \
         adds to, until the consumer returns or the slot is dropped",
        if logical { "logical " } else { "" },
        migrate_dsl::size(bytes)
    )
}

/// A pause ended: the next one prints its line whatever its cause.
pub(crate) fn show_resume(
    bar: &BackfillBar,
    shown: &mut Option<migrate_core::PauseCause>,
    name: &str,
    table: &str,
    cause: &migrate_core::PauseCause,
    paused: Duration,
) {
    *shown = None;
    bar.println(resume_line(name, table, cause, paused));
}

/// `10500 rows in 0.4 s (26250 rows/s); paused 2 times for 3.1 s: standby lag 1× 2.9 s, vacuum on the
/// table 1× 0.2 s`, or `...; no pauses`.
pub fn summary(rows: u64, elapsed: Duration, pauses: &[migrate_core::PauseTotal]) -> String {
    let count: u32 = pauses.iter().map(|p| p.count).sum();
    if rows == 0 && count == 0 {
        // A rate of nothing says nothing.
        return "no row needed it".to_owned();
    }
    let mut out = format!(
        "{rows} rows in {:.1} s ({:.0} rows/s)",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64().max(1e-3)
    );
    if count == 0 {
        out.push_str("; no pauses");
        return out;
    }
    let total: Duration = pauses.iter().map(|p| p.total).sum();
    let each: Vec<String> = pauses
        .iter()
        .map(|p| format!("{} {}× {:.1} s", p.kind, p.count, p.total.as_secs_f64()))
        .collect();
    out.push_str(&format!(
        "; paused {count} time(s) for {:.1} s: {}",
        total.as_secs_f64(),
        each.join(", ")
    ));
    out
}
