//! The schema file (`schema_file` in migrate.toml): the catalog description of the schema
//! (`migrate_core::schema`) that every migration gives on an empty database, written by `schema write` and
//! compared by `schema check`, both from a scratch database built from the migrations. Runs never write it
//! from the database they changed (which may hold what no migration made, such as another tool's history
//! table or a change made by hand); after a run, [`behind`] tells from the files alone whether it may be
//! out of date.

use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context, Result};
use migrate_core::{MigrationsTable, Registry};

use crate::connect::Target;
use crate::settings::Settings;

/// The schema of `target`'s database as the schema file holds it, leaving out the bookkeeping.
pub fn text(target: &Target, settings: &Settings) -> Result<String> {
    let mut client = target.connect(settings.connect_timeout)?;
    text_of(&mut client, &settings.table)
}

/// [`text`] over an open connection.
pub fn text_of(client: &mut postgres::Client, table: &MigrationsTable) -> Result<String> {
    Ok(migrate_core::schema::describe(client, table)?.render())
}

/// `file` relative to the current folder when it is inside it (`schema.sql`), else as given: what messages
/// show.
pub fn shown(file: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| file.display().to_string())
}

/// Writes `text` to `file` unless it already holds it. Returns whether the file changed.
pub fn write(file: &Path, text: &str) -> Result<bool> {
    let old = std::fs::read_to_string(file).unwrap_or_default();
    if old == text {
        return Ok(false);
    }
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(true)
}

/// Why `file` may not hold what the migrations give: it does not exist, or a migration file (versioned or
/// repeatable) was modified after it. Modification times only, no database: a few microseconds a
/// migration, so every run can afford it. `None` when neither, or when the times cannot be read (a runner
/// deployed without its migration files).
pub fn behind(file: &Path, registry: &Registry) -> Option<String> {
    let written = match std::fs::metadata(file).and_then(|m| m.modified()) {
        Ok(time) => time,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some(format!("{} does not exist", shown(file)))
        }
        Err(_) => return None,
    };
    let mut newer: Vec<(SystemTime, String)> = registry
        .migrations
        .iter()
        .chain(registry.repeatables.iter())
        .filter_map(|m| {
            let path = m.path();
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            (modified > written).then_some((modified, path))
        })
        .collect();
    newer.sort();
    let (_, newest) = newer.last()?;
    Some(match newer.len() {
        1 => format!("{} is older than {}", shown(file), shown(Path::new(newest))),
        n => format!(
            "{} is older than {n} migration files, the newest {}",
            shown(file),
            shown(Path::new(newest))
        ),
    })
}
