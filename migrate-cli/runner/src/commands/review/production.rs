//! Production's sizes and activity for a review, over a session the guard has checked
//! ([`migrate_core::production`]): two reads of the statistics a moment apart turn its counters into rates.

use std::time::Duration;

use anyhow::{Context as _, Result};
use migrate_core::production::{self, Activity, ServerIdentity};
use migrate_core::review::{KeyHeadroom, PlannedRows, Production, TableSize};

use crate::settings::Settings;

/// How long the activity counters are watched.
const WINDOW: Duration = Duration::from_secs(1);

/// Where the sizes are read: production (or its replica), or a clone of it.
pub(super) enum Source<'a> {
    /// `--production-url`: refused when it could write, unless `allow_writable`; its identity read when
    /// `identify` (only a clone needs it, to be told apart from it).
    Production {
        url: &'a str,
        allow_writable: bool,
        identify: bool,
    },
    /// `--clone-url`: a copy, which may be writable; its identity is always read.
    Clone { url: &'a str },
}

/// Reads what `source` has of `tables` (as the trace names them) and the planner's row estimate of each of
/// `queries` (the data steps' conditions, `EXPLAIN`ed, never run), and which database of which server that
/// is when asked (always for a clone).
pub(super) fn read(
    settings: &Settings,
    source: Source<'_>,
    tables: &[String],
    queries: &[String],
) -> Result<(Production, Option<ServerIdentity>)> {
    let (url, allow_writable, identify, name, flag) = match source {
        Source::Production {
            url,
            allow_writable,
            identify,
        } => (
            url,
            allow_writable,
            identify,
            "production",
            "--production-url or [review] production_url",
        ),
        Source::Clone { url } => (url, true, true, "the clone", "--clone-url"),
    };
    let target = crate::connect::resolve(Some(url))
        .with_context(|| format!("the URL of {name} ({flag})"))?;
    let shown = target.display.clone();
    let mut client = target
        .connect(settings.connect_timeout)
        .with_context(|| format!("{name} ({flag})"))?;
    let at = |e: production::ProductionError| anyhow::anyhow!("{name} at {shown}: {e}");
    let session = production::connect(&mut client, allow_writable).map_err(|e| match e {
        production::ProductionError::Writable { .. } => anyhow::anyhow!(
            "{name} at {shown}: {e} (--allow-writable-production); nothing was read"
        ),
        e => at(e),
    })?;
    let identity = if identify {
        Some(production::identity(&mut client).map_err(at)?)
    } else {
        None
    };
    let first = production::read(&mut client, tables).map_err(at)?;
    std::thread::sleep(WINDOW);
    let second = production::read(&mut client, tables).map_err(at)?;
    let window = WINDOW.as_secs_f64();
    let sizes = second
        .tables
        .iter()
        .map(|now| {
            let then = first
                .tables
                .iter()
                .find(|t| t.table == now.table)
                .and_then(|t| t.activity.as_ref());
            let rate = |f: fn(&Activity) -> i64| {
                let (a, b) = (then?, now.activity.as_ref()?);
                Some((f(b) - f(a)).max(0) as f64 / window)
            };
            TableSize {
                table: now
                    .table
                    .strip_prefix("public.")
                    .unwrap_or(&now.table)
                    .to_owned(),
                rows: now.rows.unwrap_or(0.0),
                table_bytes: now.table_bytes,
                total_bytes: now.total_bytes,
                writes_per_s: rate(|a| a.inserted + a.updated + a.deleted),
                scans_per_s: rate(|a| a.seq_scans + a.index_scans),
                unread: now.unread.clone(),
                key: now.key.as_ref().map(|k| KeyHeadroom {
                    column: k.column.clone(),
                    type_name: k.type_name.clone(),
                    used: k.used,
                    limit: k.limit,
                    unread: k.unread.clone(),
                    referenced_by: k.referenced_by.clone(),
                }),
            }
        })
        .collect();
    let planned = production::planned_rows(&mut client, queries).map_err(at)?;
    let planned_rows = queries
        .iter()
        .zip(planned)
        .map(|(query, planned)| {
            let (rows, refused) = match planned {
                Ok(rows) => (Some(rows), None),
                Err(why) => (None, Some(why)),
            };
            PlannedRows {
                query: query.clone(),
                rows,
                refused,
            }
        })
        .collect();
    let production = Production {
        url: shown,
        role: session.role,
        server_version: session.server_version,
        standby: session.standby,
        could_write: session.could_write,
        settings: second.settings,
        tables: sizes,
        window_s: window,
        planned_rows,
    };
    Ok((production, identity))
}
