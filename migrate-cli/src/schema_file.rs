//! The schema file (`schema_file` in migrate.toml): the catalog description of the schema
//! (`migrate_core::schema`), written after every run that changed the database and by `schema write`,
//! compared by `schema check`.

use std::path::Path;

use anyhow::{Context, Result};
use migrate_core::MigrationsTable;

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
