//! Production's sizes and activity for a review, over a session the guard has checked
//! ([`migrate_core::production`]): two reads of the statistics a moment apart turn its counters into rates.

use std::time::Duration;

use anyhow::{Context as _, Result};
use migrate_core::production::{self, Activity, ServerIdentity};
use migrate_core::review::{Production, TableSize};

use crate::settings::Settings;

/// How long the activity counters are watched.
const WINDOW: Duration = Duration::from_secs(1);

/// Reads what production has of `tables` (as the trace names them) over the connection `url`, and, when
/// `identify`, which database of which server that is (only a clone needs it to be told apart).
pub(super) fn read(
    settings: &Settings,
    url: &str,
    allow_writable: bool,
    tables: &[String],
    identify: bool,
) -> Result<(Production, Option<ServerIdentity>)> {
    let target = crate::connect::resolve(Some(url))
        .context("the production URL (--production-url or [review] production_url)")?;
    let shown = target.display.clone();
    let mut client = target
        .connect(settings.connect_timeout)
        .context("production (--production-url or [review] production_url)")?;
    let session = production::connect(&mut client, allow_writable).map_err(|e| match e {
        production::ProductionError::Writable { .. } => anyhow::anyhow!(
            "production at {shown}: {e} (--allow-writable-production); nothing was read"
        ),
        e => anyhow::anyhow!("production at {shown}: {e}"),
    })?;
    let identity = if identify {
        let identity = production::identity(&mut client)
            .map_err(|e| anyhow::anyhow!("production at {shown}: {e}"))?;
        Some(identity)
    } else {
        None
    };
    let first = production::read(&mut client, tables)
        .map_err(|e| anyhow::anyhow!("production at {shown}: {e}"))?;
    std::thread::sleep(WINDOW);
    let second = production::read(&mut client, tables)
        .map_err(|e| anyhow::anyhow!("production at {shown}: {e}"))?;
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
    };
    Ok((production, identity))
}
