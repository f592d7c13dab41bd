//! `create`: writes a new migration file from the template. Needs neither a build nor a database.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use crate::naming::{next_version, parse_file_name, to_snake_case};
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
    let mut newest = existing
        .last()
        .map(|f| (f.name.version.clone(), f.path.clone()));
    for _ in 0..100 {
        let version = next_version(now, newest.as_ref().map(|(v, _)| v.as_str()));
        let file_name = format!("{version}_{name}.rs");
        // After a file dated in the year 9999 the next second has a five-digit year: a file the build
        // refuses, which would break every later command. Checked by the same rule the build applies.
        if let Err(reason) = parse_file_name(&file_name) {
            let (newest_version, newest_path) = newest.unwrap_or_default();
            return Err(SourceError::NoLaterTimestamp {
                newest: newest_path,
                version: newest_version,
                next: version,
                reason,
            });
        }
        let path = dir.join(file_name);
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
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                newest = Some((version, path))
            }
            Err(error) => return Err(SourceError::Write { path, error }),
        }
    }
    Err(SourceError::InvalidNewName(format!(
        "could not find a free timestamp for {name:?} in {}",
        dir.display()
    )))
}

/// Writes `<dir>/repeatable_<name>.rs` ([`crate::naming::REPEATABLE_PREFIX`]) and returns its path; an existing
/// file of that name is an error (edit it instead: it is applied again when it changes). The folder is
/// created when missing.
pub fn create_repeatable(dir: &Path, raw_name: &str) -> Result<PathBuf, SourceError> {
    let name =
        crate::naming::to_repeatable_name(raw_name).map_err(SourceError::InvalidNewName)?;
    std::fs::create_dir_all(dir).map_err(|source| SourceError::Write {
        path: dir.to_path_buf(),
        error: source,
    })?;
    let stem = format!("{}{name}", crate::naming::REPEATABLE_PREFIX);
    let path = dir.join(format!("{stem}.rs"));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut file) => {
            file.write_all(repeatable_template(&stem).as_bytes())
                .map_err(|source| SourceError::Write {
                    path: path.clone(),
                    error: source,
                })?;
            Ok(path)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(SourceError::InvalidNewName(format!(
                "{} already exists: edit it (a repeatable migration is applied again whenever it changes)",
                path.display()
            )))
        }
        Err(error) => Err(SourceError::Write { path, error }),
    }
}

/// A new repeatable migration: only `up`, which refuses to run until it is written.
fn repeatable_template(stem: &str) -> String {
    let title = stem.replace('_', " ");
    format!(
        r#"//! {title}: say here what this file keeps up to date. It is applied again, after the migrations,
//! whenever it changes: write it so that it runs on top of its previous version.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {{
    // Replace the objects as a whole, for example:
    // pgm.sql("CREATE OR REPLACE VIEW active_users AS SELECT id, name FROM users WHERE active");
    pgm.irreversible("`up` of {stem} is not written yet");
}}
"#
    )
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

    /// `create --repeatable`: `repeatable_<name>.rs` with only an `up` that refuses until written,
    /// which the build accepts as a repeatable migration; the prefix is not doubled, and an existing file is
    /// never overwritten.
    #[test]
    fn creates_a_repeatable_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = create_repeatable(dir.path(), "Active users view").unwrap();
        assert_eq!(path.file_name().unwrap(), "repeatable_active_users_view.rs");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(
            "pgm.irreversible(\"`up` of repeatable_active_users_view is not written yet\")"
        ));
        assert!(!text.contains("fn down"));
        let code = crate::build::generate_registry(dir.path()).unwrap();
        assert!(
            code.contains("name: \"repeatable_active_users_view\""),
            "{code}"
        );

        let again = create_repeatable(dir.path(), "repeatable_active_users_view").unwrap_err();
        assert!(
            again.to_string().contains("already exists: edit it"),
            "{again}"
        );
        assert!(create_repeatable(dir.path(), "../x").is_err());
    }

    /// The order the documentation gives repeatable migrations, a number in front of the name, is a name
    /// `create --repeatable` writes and the build accepts.
    #[test]
    fn a_repeatable_name_may_start_with_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let views = create_repeatable(dir.path(), "10 views").unwrap();
        assert_eq!(views.file_name().unwrap(), "repeatable_10_views.rs");
        let grants = create_repeatable(dir.path(), "repeatable_20_grants").unwrap();
        assert_eq!(grants.file_name().unwrap(), "repeatable_20_grants.rs");
        let code = crate::build::generate_registry(dir.path()).unwrap();
        let at = |name: &str| code.find(&format!("name: \"{name}\"")).unwrap_or_else(|| panic!("{code}"));
        assert!(at("repeatable_10_views") < at("repeatable_20_grants"), "{code}");
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
    fn no_file_is_created_after_the_last_timestamp_a_name_can_hold() {
        let dir = tempfile::tempdir().unwrap();
        let last = dir.path().join("99991231235959_the_end.rs");
        std::fs::write(
            &last,
            "pub fn up(_: &mut migrate_dsl::MigrationBuilder) {}\n",
        )
        .unwrap();
        let err = create_migration(dir.path(), "after", at("20261122143005")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("99991231235959_the_end.rs"), "{message}");
        assert!(message.contains("no file was written"), "{message}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
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
