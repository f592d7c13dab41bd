//! Sealing: older migrations compiled once, in a crate of their own.
//!
//! Every migration is a module of the crate that owns the folder, so one new file used to make rustc read,
//! expand and generate code for every migration again: seconds at 2,000 migrations, tens of seconds at 10,000.
//! Cargo recompiles per crate, so the older migrations live in a second crate, the *sealed* one, which cargo
//! leaves alone while they do not change. Which migrations it holds is a list in the migrations folder,
//! [`LIST_FILE`], one migration name per line, written by `migrate create` (see [`seal_older`]):
//!
//! - the sealed package's `build.rs` calls [`compile_sealed_migrations`](crate::build::compile_sealed_migrations)
//!   with the folder: it compiles exactly the listed files and watches only them and the list, so a new file
//!   in the folder does not rebuild it;
//! - the owning crate's `build.rs` ([`compile_migrations`](crate::build::compile_migrations)) compiles every
//!   file that is not listed and merges both into one `MIGRATIONS`, in timestamp order. A file older than
//!   the sealed ones (merged from another branch) simply stays unsealed: the list, not the timestamps, decides.
//!
//! The registry is the same whichever way the folder is split: the split only decides what cargo rebuilds.
//! Both crates' build scripts read the list; the owning crate checks at compile time that the sealed crate
//! was built from the list it read ([`SealedDigest`]), so a list changed between the two never gives a
//! registry with a migration missing or twice.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::source::{MigrationFile, SourceError};

/// The list of sealed migrations, in the migrations folder. Its presence turns sealing on: without it,
/// every migration is a module of the owning crate, as before.
pub const LIST_FILE: &str = "sealed.txt";

/// `migrate create` seals when more than this many migrations are unsealed...
pub const SEAL_WHEN_UNSEALED_OVER: usize = 50;

/// ...and keeps this many of the newest unsealed: the ones still being written and edited, since editing a
/// sealed file rebuilds the whole sealed crate.
pub const KEEP_UNSEALED: usize = 10;

/// SHA-256 of the sealed names, one per line: what the owning crate checks the sealed crate against.
pub type SealedDigest = [u8; 32];

/// Whether two digests are equal; a `const fn`, for the owning crate's compile-time check.
#[doc(hidden)]
pub const fn same_digest(a: &SealedDigest, b: &SealedDigest) -> bool {
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// What the list says, with the path it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealList {
    /// Where the list is.
    pub path: PathBuf,
    /// The sealed migrations' names (`<timestamp>_<name>`), in the list's order.
    pub names: Vec<String>,
}

impl SealList {
    /// The list of the migrations folder `dir`, or `None` when the folder has no list (sealing is off).
    pub fn read(dir: &Path) -> Result<Option<SealList>, SourceError> {
        let path = dir.join(LIST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(SourceError::ReadFile { path, error }),
        };
        let names = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect();
        Ok(Some(SealList { path, names }))
    }

    /// The digest of [`names`](Self::names), compared at compile time.
    pub fn digest(&self) -> SealedDigest {
        let mut hasher = Sha256::new();
        for name in &self.names {
            hasher.update(name.as_bytes());
            hasher.update(b"\n");
        }
        hasher.finalize().into()
    }

    /// Whether `name` is sealed.
    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// Writes the list back, sorted, with its explanatory header.
    pub fn write(&self) -> Result<(), SourceError> {
        let mut names = self.names.clone();
        names.sort();
        names.dedup();
        let mut text = String::from(HEADER);
        for name in &names {
            text.push_str(name);
            text.push('\n');
        }
        std::fs::write(&self.path, text).map_err(|error| SourceError::Write {
            path: self.path.clone(),
            error,
        })
    }

    /// An empty list for the folder `dir` (what `migrate init` writes).
    pub fn empty(dir: &Path) -> SealList {
        SealList {
            path: dir.join(LIST_FILE),
            names: Vec::new(),
        }
    }
}

/// The list's first lines.
pub const HEADER: &str = "\
# Migrations compiled in the sealed-migrations crate, so that a new migration does not recompile them.
# Written by `migrate create`; a name removed from here is compiled with the newer migrations again.
# The list changes only how the migrations are compiled, never which ones run or in what order.
";

/// After `migrate create`: when more than [`SEAL_WHEN_UNSEALED_OVER`] of `files` (the folder's migrations,
/// in timestamp order) are unsealed, adds all but the newest [`KEEP_UNSEALED`] of them to the list and
/// returns how many it sealed. Does nothing, and returns 0, when the folder has no list.
///
/// A file that uses its crate's own items (`crate::` or `super::` anywhere in it) is never sealed: it would
/// not compile in another crate.
pub fn seal_older(dir: &Path, files: &[MigrationFile]) -> Result<usize, SourceError> {
    let Some(mut list) = SealList::read(dir)? else {
        return Ok(0);
    };
    let unsealed: Vec<&MigrationFile> = files
        .iter()
        .filter(|f| !list.contains(&f.name.stem))
        .collect();
    if unsealed.len() <= SEAL_WHEN_UNSEALED_OVER {
        return Ok(0);
    }
    let mut sealed = 0;
    for file in &unsealed[..unsealed.len() - KEEP_UNSEALED] {
        let source =
            std::fs::read_to_string(&file.path).map_err(|error| SourceError::ReadFile {
                path: file.path.clone(),
                error,
            })?;
        if uses_own_crate(&source) {
            continue;
        }
        list.names.push(file.name.stem.clone());
        sealed += 1;
    }
    if sealed > 0 {
        list.write()?;
    }
    Ok(sealed)
}

/// Removes `names` from the folder's list, if it has one (after `squash` deleted their files).
pub fn forget(dir: &Path, names: &[String]) -> Result<(), SourceError> {
    let Some(mut list) = SealList::read(dir)? else {
        return Ok(());
    };
    let before = list.names.len();
    list.names.retain(|n| !names.contains(n));
    if list.names.len() != before {
        list.write()?;
    }
    Ok(())
}

/// Whether a migration's source refers to its own crate's items, which the sealed crate does not have.
fn uses_own_crate(source: &str) -> bool {
    source.contains("crate::") || source.contains("super::")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(n: usize) -> (tempfile::TempDir, Vec<MigrationFile>) {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            std::fs::write(
                dir.path().join(format!("202601010{i:05}_m{i}.rs")),
                "pub fn up(pgm: &mut B) {}",
            )
            .unwrap();
        }
        let files = crate::scan(dir.path()).unwrap();
        (dir, files)
    }

    #[test]
    fn without_a_list_nothing_is_sealed() {
        let (dir, files) = folder(SEAL_WHEN_UNSEALED_OVER + 5);
        assert_eq!(seal_older(dir.path(), &files).unwrap(), 0);
        assert!(!dir.path().join(LIST_FILE).exists());
    }

    #[test]
    fn seals_all_but_the_newest_once_over_the_threshold() {
        let (dir, files) = folder(SEAL_WHEN_UNSEALED_OVER);
        SealList::empty(dir.path()).write().unwrap();
        assert_eq!(
            seal_older(dir.path(), &files).unwrap(),
            0,
            "at the threshold"
        );

        let (dir, mut files) = folder(SEAL_WHEN_UNSEALED_OVER + 1);
        SealList::empty(dir.path()).write().unwrap();
        // One file uses its own crate: it stays unsealed.
        std::fs::write(
            &files[3].path,
            "pub fn up(pgm: &mut B) { crate::helper(pgm) }",
        )
        .unwrap();
        files = crate::scan(dir.path()).unwrap();
        let sealed = seal_older(dir.path(), &files).unwrap();
        assert_eq!(sealed, SEAL_WHEN_UNSEALED_OVER + 1 - KEEP_UNSEALED - 1);
        let list = SealList::read(dir.path()).unwrap().unwrap();
        assert_eq!(list.names.len(), sealed);
        assert!(!list.contains(&files[3].name.stem));
        for file in &files[files.len() - KEEP_UNSEALED..] {
            assert!(
                !list.contains(&file.name.stem),
                "{} is among the newest",
                file.name.stem
            );
        }
        assert!(list.contains(&files[0].name.stem));
        // Sealing again right away finds too few unsealed.
        assert_eq!(seal_older(dir.path(), &files).unwrap(), 0);
    }

    #[test]
    fn the_list_ignores_comments_and_blank_lines_and_forgets_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LIST_FILE),
            "# header\n\n20260101000000_a\n  20260101000001_b  \n",
        )
        .unwrap();
        let list = SealList::read(dir.path()).unwrap().unwrap();
        assert_eq!(list.names, ["20260101000000_a", "20260101000001_b"]);
        let digest = list.digest();
        forget(dir.path(), &["20260101000000_a".to_owned()]).unwrap();
        let list = SealList::read(dir.path()).unwrap().unwrap();
        assert_eq!(list.names, ["20260101000001_b"]);
        assert_ne!(list.digest(), digest);
        assert!(std::fs::read_to_string(dir.path().join(LIST_FILE))
            .unwrap()
            .starts_with(HEADER));
    }
}
