//! Discovery: reading a migrations folder into an ordered, validated list of files.
//!
//! Used at build time (to generate the registry compiled into the runner) and by `create`. Every `.rs` file in
//! the folder must follow the naming contract: a near-miss such as a 13-digit timestamp fails loudly instead of
//! being skipped silently.

use std::path::{Path, PathBuf};

use crate::naming::{file_stem, parse_repeatable_name, FileName, VERSION_LEN};

/// A migration file found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationFile {
    /// Parsed name parts.
    pub name: FileName,
    /// Absolute path.
    pub path: PathBuf,
}

/// A repeatable migration file (`repeatable_<name>.rs`) found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RepeatableFile {
    /// The stem, `repeatable_<name>`: the migration's name.
    pub name: String,
    /// Absolute path.
    pub path: PathBuf,
}

/// Problems with the migrations folder or a file in it. Each names the path at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The folder does not exist or cannot be read.
    #[error("cannot read migrations folder {}: {error}", path.display())]
    ReadDir {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A file cannot be read.
    #[error("cannot read migration file {}: {error}", path.display())]
    ReadFile {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A file's name breaks the contract.
    #[error("invalid migration file name {}: {reason}", path.display())]
    InvalidName { path: PathBuf, reason: String },
    /// Two files share a timestamp, so their order would be ambiguous.
    #[error(
        "migrations {} and {} share the timestamp {version}; give one of them a later timestamp (rename the file)",
        first.display(),
        second.display()
    )]
    DuplicateVersion {
        version: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// A file has an item named `down` that is not `pub fn down(pgm: &mut MigrationBuilder)`: it would be
    /// ignored and the `down` derived from `up` instead.
    #[error(
        "migration file {} has {found} where `pub fn down(pgm: &mut MigrationBuilder)` is expected; it would be \
         ignored and the `down` derived from `up`: define `pub fn down` (it may call other code), or remove it to \
         have the `down` derived",
        path.display()
    )]
    BadDown { path: PathBuf, found: String },
    /// A repeatable migration defines `down`: it is never reverted (the next change replaces it).
    #[error(
        "repeatable migration {} defines `down`, but a repeatable migration is never reverted: remove it (edit the \
         file to change or drop what it creates; the edited file is applied again)",
        path.display()
    )]
    RepeatableDown { path: PathBuf },
    /// A file has no `pub fn up`.
    #[error("migration file {} has no `pub fn up(pgm: &mut MigrationBuilder)`", path.display())]
    MissingUp { path: PathBuf },
    /// The seal list names a migration the folder does not have ([`crate::seal`]).
    #[error(
        "{} lists the migration {name}, which is not in the migrations folder: remove its line (the list only \
         says which migrations are compiled in a sealed crate)",
        list.display()
    )]
    SealedMissing { list: PathBuf, name: String },
    /// The user-supplied migration name cannot be used.
    #[error("{0}")]
    InvalidNewName(String),
    /// The newest file's timestamp leaves no later one that a file name can hold (`99991231235959`), so
    /// `create` has no name to give a new file; nothing was written.
    #[error(
        "cannot create a migration after {}: its timestamp {version} is the last one a file name can hold, \
         and the next second ({next}) is not a valid timestamp ({reason}); no file was written. Give that file \
         the time it was really created (if it was applied, `repair` then records the new name)",
        newest.display()
    )]
    NoLaterTimestamp {
        newest: PathBuf,
        version: String,
        next: String,
        reason: String,
    },
    /// Writing a new file failed.
    #[error("cannot write {}: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Lists the migration files of `dir`, ordered by timestamp. Hidden files, files not ending in `.rs`
/// (notes, a schema dump) and repeatable migrations ([`scan_all`]) are ignored; every other `.rs` file must
/// be a valid migration.
pub fn scan(dir: &Path) -> Result<Vec<MigrationFile>, SourceError> {
    Ok(scan_all(dir)?.0)
}

/// [`scan`]'s migrations, and the repeatable migrations of `dir` (`repeatable_<name>.rs`) ordered by name,
/// the order they are applied in.
pub fn scan_all(dir: &Path) -> Result<(Vec<MigrationFile>, Vec<RepeatableFile>), SourceError> {
    let scanned = scan_compact(dir)?;
    let files = scanned
        .stems()
        .map(|stem| MigrationFile {
            name: FileName::of_stem(stem),
            path: scanned.path_of(stem),
        })
        .collect();
    Ok((files, scanned.repeatables))
}

/// The migrations of a folder as [`scan_all`] finds them (checked the same way, in the same order), kept
/// compactly: their names in one string instead of a name, a version and a path each. A command that reads a
/// folder of ten thousand migrations only for their names and checksums (`status` and a no-op `up` answered by
/// the installed `migrate`) then holds some 40 bytes per migration instead of some 250 (see [`crate::folder`]).
#[derive(Debug)]
pub(crate) struct Scanned {
    /// The folder, canonical.
    pub dir: PathBuf,
    /// Every migration's stem, concatenated in the order the folder listed them.
    text: String,
    /// Where each stem is in `text`, in timestamp order.
    spans: Vec<(u32, u32)>,
    pub repeatables: Vec<RepeatableFile>,
}

impl Scanned {
    /// The migrations' stems (`<version>_<name>`), in timestamp order.
    pub fn stems(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| &self.text[start as usize..end as usize])
    }

    /// The path of the migration `stem` (one of [`stems`](Self::stems)).
    pub fn path_of(&self, stem: &str) -> PathBuf {
        stem_path(&self.dir, stem)
    }

    /// [`path_of`](Self::path_of) written into `path`, whose allocation is reused: the engine's folder read
    /// needs each file's path once, for its checksum, and at 10,000 files a new path each was a twentieth of
    /// `status`. (A build script reads the folder without it.)
    #[cfg(feature = "runtime")]
    pub fn path_into(&self, stem: &str, path: &mut PathBuf) {
        path.as_mut_os_string().clear();
        path.push(&self.dir);
        path.push(stem);
        path.as_mut_os_string().push(".rs");
    }
}

/// `<dir>/<stem>.rs`.
fn stem_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.rs"))
}

/// Reads `dir` as [`scan_all`] does, into a [`Scanned`].
pub(crate) fn scan_compact(dir: &Path) -> Result<Scanned, SourceError> {
    let read_err = |source| SourceError::ReadDir {
        path: dir.to_path_buf(),
        error: source,
    };
    let dir = dir.canonicalize().map_err(read_err)?;
    let entries = std::fs::read_dir(&dir).map_err(|source| SourceError::ReadDir {
        path: dir.clone(),
        error: source,
    })?;
    let mut text = String::new();
    let mut spans: Vec<(u32, u32)> = Vec::new();
    let mut repeatables = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| SourceError::ReadDir {
            path: dir.clone(),
            error: source,
        })?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            return Err(SourceError::InvalidName {
                path: entry.path(),
                reason: "the file name is not valid UTF-8".to_owned(),
            });
        };
        if file_name.starts_with('.') || !file_name.ends_with(".rs") {
            continue;
        }
        // The entry's own type costs no system call; only a link needs a look at what it points to. (At
        // 10,000 files a `stat` each was most of `create`'s time.)
        let file_type = entry.file_type().map_err(|source| SourceError::ReadDir {
            path: dir.clone(),
            error: source,
        })?;
        if !(file_type.is_file() || (file_type.is_symlink() && entry.path().is_file())) {
            return Err(SourceError::InvalidName {
                path: entry.path(),
                reason: "not a regular file".to_owned(),
            });
        }
        if let Some(parsed) = parse_repeatable_name(file_name) {
            let name = parsed.map_err(|reason| SourceError::InvalidName {
                path: entry.path(),
                reason,
            })?;
            repeatables.push(RepeatableFile {
                name,
                path: entry.path(),
            });
            continue;
        }
        let stem = file_stem(file_name).map_err(|reason| SourceError::InvalidName {
            path: entry.path(),
            reason,
        })?;
        let start = text.len();
        text.push_str(stem);
        // A folder's names are far below 4 GiB: past it, the spans would be wrong, so refuse.
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(text.len())) else {
            return Err(SourceError::InvalidName {
                path: entry.path(),
                reason: "the folder's file names add up to more than 4 GiB".to_owned(),
            });
        };
        spans.push((start, end));
    }
    // By version, then stem: the order of the stems themselves, which start with the version, but most
    // comparisons are of two integers instead of two strings (sorting 10,000 names by their text was a
    // seventh of `status`). A stem was checked to start with the version's digits.
    let stem = |&(start, end): &(u32, u32)| &text[start as usize..end as usize];
    let version = |span: &(u32, u32)| {
        stem(span).as_bytes()[..VERSION_LEN]
            .iter()
            .fold(0u64, |n, digit| n * 10 + u64::from(digit - b'0'))
    };
    spans.sort_by_cached_key(|span| (version(span), stem(span)));
    for pair in spans.windows(2) {
        let (first, second) = (stem(&pair[0]), stem(&pair[1]));
        if first[..VERSION_LEN] == second[..VERSION_LEN] {
            return Err(SourceError::DuplicateVersion {
                version: first[..VERSION_LEN].to_owned(),
                first: stem_path(&dir, first),
                second: stem_path(&dir, second),
            });
        }
    }
    repeatables.sort_by(|a: &RepeatableFile, b| a.name.cmp(&b.name));
    Ok(Scanned {
        dir,
        text,
        spans,
        repeatables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reused path buffer holds each file's path exactly as a new one would, whatever it held before.
    #[cfg(feature = "runtime")]
    #[test]
    fn path_into_writes_what_path_of_returns() {
        let dir = tempfile::tempdir().unwrap();
        // The longer name first, so that the second path is written over a longer one.
        for name in [
            "20260101000000_a_much_longer_first_name.rs",
            "20260102000000_second.rs",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let scanned = scan_compact(dir.path()).unwrap();
        let mut path = PathBuf::from("/left/over/from/before.rs");
        for stem in scanned.stems() {
            scanned.path_into(stem, &mut path);
            assert_eq!(path, scanned.path_of(stem));
            assert!(path.is_file(), "{}", path.display());
        }
    }

    /// Files are told from folders by the folder's own entries; a link counts as what it points to.
    #[cfg(unix)]
    #[test]
    fn a_link_counts_as_what_it_points_to() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("20260101000000_file.rs"), "pub fn up() {}").unwrap();
        std::fs::write(d.join("elsewhere.txt"), "pub fn up() {}").unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere.txt"), d.join("20260101000001_link.rs"))
            .unwrap();
        let names: Vec<String> = scan(d).unwrap().into_iter().map(|f| f.name.stem).collect();
        assert_eq!(names, ["20260101000000_file", "20260101000001_link"]);

        std::fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink(d.join("sub"), d.join("20260101000002_folder.rs")).unwrap();
        let error = scan(d).unwrap_err().to_string();
        assert!(
            error.contains("not a regular file") && error.contains("20260101000002_folder.rs"),
            "{error}"
        );
    }
}
