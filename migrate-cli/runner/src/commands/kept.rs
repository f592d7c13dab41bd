//! `kept`: the values backfills with `keep_previous_values` kept for their `down`s, listed with their size,
//! or dropped once no `down` should restore them (the explicit way; a contract migration's
//! `drop_kept_values` is the other).

use std::process::ExitCode;

use anyhow::{bail, Result};
use migrate_core::{KeptSelection, KeptValues};

use super::context::Context;
use crate::stdio::outln;

pub(super) fn kept(
    context: &Context<'_>,
    drop: Option<&str>,
    drop_all: bool,
    json: bool,
) -> Result<ExitCode> {
    let db = context.target()?;
    let mut client = db.connect(context.settings.connect_timeout)?;
    let migrator = context.migrator();
    let selection = match (drop, drop_all) {
        (Some(name), _) => Some(KeptSelection::Migration(name)),
        (None, true) => Some(KeptSelection::All),
        (None, false) => None,
    };
    let Some(selection) = selection else {
        let kept = migrator.kept_values(&mut client)?;
        if json {
            outln!("{}", serde_json::to_string_pretty(&as_json(&kept))?);
        } else {
            print_list(&kept, &db.display);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let dropped = migrator.drop_kept_values(&mut client, selection)?;
    if let (Some(name), true) = (drop, dropped.is_empty()) {
        bail!(
            "migration {name} has no kept values on {} (`migrate kept` lists them)",
            db.display
        );
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "dropped": as_json(&dropped) }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if dropped.is_empty() {
        outln!("no kept values on {}", db.display);
    }
    for k in &dropped {
        outln!(
            "dropped the values {} #{} kept of {} ({}, {} row(s)): its down can no longer restore them",
            k.migration,
            k.position,
            k.table,
            k.columns.join(", "),
            k.rows
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_list(kept: &[KeptValues], database: &str) {
    if kept.is_empty() {
        outln!("no kept values on {database}");
        return;
    }
    outln!("kept values on {database} (each restored and dropped by its migration's down):");
    for k in kept {
        outln!(
            "  {} #{}  {} ({})  {} row(s), {}  in {}",
            k.migration,
            k.position,
            k.table,
            k.columns.join(", "),
            k.rows,
            size(k.bytes),
            k.side_table
        );
    }
}

fn size(bytes: i64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let b = bytes.max(0) as f64;
    if b >= MIB {
        format!("{:.1} MiB", b / MIB)
    } else {
        format!("{:.0} kiB", (b / 1024.0).ceil())
    }
}

fn as_json(kept: &[KeptValues]) -> serde_json::Value {
    kept.iter()
        .map(|k| {
            serde_json::json!({
                "migration": k.migration,
                "position": k.position,
                "table": k.table,
                "columns": k.columns,
                "rows": k.rows,
                "bytes": k.bytes,
                "side_table": k.side_table,
            })
        })
        .collect()
}
