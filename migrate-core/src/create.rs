//! `create`: writes a new migration file from the template. Needs neither a build nor a database.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::naming::{next_version, to_snake_case};
use crate::source::{scan, SourceError};

/// Writes `<dir>/<timestamp>_<name>.rs` and returns its path. The timestamp is `now` (UTC) or, when that
/// would not sort after every existing migration, one second after the newest one; the file is created
/// exclusively, so concurrent creates never overwrite each other. The folder is created when missing.
pub fn create_migration(
    dir: &Path,
    raw_name: &str,
    now: NaiveDateTime,
) -> Result<PathBuf, SourceError> {
    let name = to_snake_case(raw_name).map_err(SourceError::InvalidNewName)?;
    std::fs::create_dir_all(dir).map_err(|source| SourceError::Write {
        path: dir.to_path_buf(),
        error: source,
    })?;
    let existing = scan(dir)?;
    let mut newest = existing.last().map(|f| f.name.version.clone());
    for _ in 0..100 {
        let version = next_version(now, newest.as_deref());
        let path = dir.join(format!("{version}_{name}.rs"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(template(&name).as_bytes())
                    .map_err(|source| SourceError::Write {
                        path: path.clone(),
                        error: source,
                    })?;
                return Ok(path);
            }
            // Another create took this second: move on to the next one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => newest = Some(version),
            Err(error) => return Err(SourceError::Write { path, error }),
        }
    }
    Err(SourceError::InvalidNewName(format!(
        "could not find a free timestamp for {name:?} in {}",
        dir.display()
    )))
}

/// The new file. `down` is present but refuses to run until it is written, so a forgotten `down` never
/// silently does nothing; deleting it instead derives `down` from `up`.
fn template(name: &str) -> String {
    let title = name.replace('_', " ");
    format!(
        r#"//! {title}: say here why this change is needed.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {{
    // Record the change, for example:
    // pgm.add_columns("posts", [column("location", "point")]);
    pgm.irreversible("`up` of {name} is not written yet");
}}

/// Record the exact reverse of `up`, or delete this function to have it derived from `up` (every operation
/// in `up` must then be reversible).
pub fn down(pgm: &mut MigrationBuilder) {{
    pgm.irreversible("`down` of {name} is not written yet");
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").unwrap()
    }

    #[test]
    fn creates_unique_files_in_the_same_second() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_migration(dir.path(), "add location", at("20261122143005")).unwrap();
        let b = create_migration(dir.path(), "AddComments", at("20261122143005")).unwrap();
        assert_eq!(a.file_name().unwrap(), "20261122143005_add_location.rs");
        assert_eq!(b.file_name().unwrap(), "20261122143006_add_comments.rs");
        let text = std::fs::read_to_string(&a).unwrap();
        assert!(text.starts_with("//! add location: "));
        assert!(text.contains("pub fn down(pgm: &mut MigrationBuilder) {\n    pgm.irreversible("));
    }

    #[test]
    fn creates_the_folder_and_rejects_bad_names() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("db/migrations");
        create_migration(&nested, "init", at("20261122143005")).unwrap();
        assert!(nested.join("20261122143005_init.rs").is_file());
        let err = create_migration(&nested, "../escape", at("20261122143005")).unwrap_err();
        assert!(err.to_string().contains("would escape"), "{err}");
        assert_eq!(std::fs::read_dir(&nested).unwrap().count(), 1);
    }
}
