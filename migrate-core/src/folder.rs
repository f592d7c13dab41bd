//! A migrations folder read as data, without compiling it: each migration's name, checksum and baseline flag,
//! exactly as the build script records them, and no code.
//!
//! Public for migrate-cli; not a stable API. The installed `migrate` command answers a command whose result
//! needs no migration's code, such as `up` on a database that has applied every migration of the folder, with
//! these instead of building and starting the runner: status compares names and checksums only, and calls a
//! migration's `up` only for one not applied yet (to tell a contract). A migration of such a list has no
//! code: recording it (planning, `sql`, running) fails with an error saying so, so nothing can be applied or
//! recorded through it by mistake.

use std::path::Path;
use std::sync::OnceLock;

use migrate_dsl::MigrationBuilder;

use crate::checksum::Precomputed;
use crate::migration::{Code, Compiled};
use crate::registry::{Migrations, Registry};
use crate::source::{scan_compact, SourceError};

/// What an uncompiled migration records: a refusal, so that planning it fails instead of running nothing.
fn not_compiled(pgm: &mut MigrationBuilder) {
    pgm.irreversible(
        "this migration was read from its file without compiling it (names and checksums only); \
         its code runs only in the runner built from the folder",
    );
}

/// The checksum's digest and baseline flag of the file at `path`, read and hashed now, exactly as the build
/// script computes them.
pub fn digest_of(path: &Path) -> Result<Precomputed, SourceError> {
    let source = std::fs::read_to_string(path).map_err(|error| SourceError::ReadFile {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(Precomputed::of(&source))
}

fn no_code(_: usize) -> Code {
    Code {
        up: not_compiled,
        down: None,
        source: "",
    }
}

/// The registry of `dir` as its build script would generate it (same folder path, names, order, checksums
/// and baseline flags), for the versioned and the repeatable migrations, without their code: every file is
/// read and hashed, none is compiled.
///
/// A migration's [`source`](crate::Migration::source) is empty (only the checksums are kept), so a squashed
/// baseline's list of the migrations it replaces is not known: a caller answering without the runner leaves
/// a folder with a baseline to it. The tables live as long as the process (a registry's are `'static`): call
/// it once per command.
pub fn read_registry(dir: &Path) -> Result<Registry, SourceError> {
    read_registry_with(dir, &mut digest_of)
}

/// [`read_registry`] with each file's checksum and baseline flag from `precomputed` (given the file's
/// absolute path); [`digest_of`] reads and hashes one.
fn read_registry_with(
    dir: &Path,
    precomputed: &mut dyn FnMut(&Path) -> Result<Precomputed, SourceError>,
) -> Result<Registry, SourceError> {
    // Compactly: at ten thousand migrations a name, a version and a path each were most of the peak memory
    // of a `status` answered by the installed `migrate`.
    let scanned = scan_compact(dir)?;
    let folder: &'static str = Box::leak(scanned.dir.to_string_lossy().into_owned().into_boxed_str());
    let migrations = table(
        folder,
        scanned.stems().len(),
        scanned.stems().map(str::len).sum(),
        scanned.stems(),
        &|_, stem, path| scanned.path_into(stem, path),
        precomputed,
    )?;
    let repeatables = &scanned.repeatables;
    let repeatables = table(
        folder,
        repeatables.len(),
        repeatables.iter().map(|r| r.name.len()).sum(),
        repeatables.iter().map(|r| r.name.as_str()),
        &|i, _, path| path.clone_from(&repeatables[i].path),
        precomputed,
    )?;
    Ok(Registry {
        dir: folder,
        migrations,
        repeatables,
        config: None,
    })
}

/// How the files of a migrations folder differ from the registry compiled from it: names of migrations
/// (versioned or repeatable) whose file now holds other content, that have a file but were not compiled, and
/// that were compiled but have no file any more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    pub edited: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.edited.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

/// Compares `compiled` with the files of the folder it was compiled from, read and hashed now, by content
/// alone: cargo decides what to rebuild by modification times, so a file copied with its time kept (`cp -p`,
/// `rsync -a`, a tar extraction) can leave a binary compiled from older content than the folder holds.
/// `None` when the folder is not there (a binary deployed without its sources runs what it compiled).
pub fn drift(compiled: &Registry) -> Result<Option<Drift>, SourceError> {
    let dir = Path::new(compiled.dir);
    if !dir.is_dir() {
        return Ok(None);
    }
    let on_disk = read_registry(dir)?;
    let mut drift = Drift::default();
    for (built, now) in [
        (&compiled.migrations, &on_disk.migrations),
        (&compiled.repeatables, &on_disk.repeatables),
    ] {
        let built: std::collections::BTreeMap<&str, [u8; 32]> = built
            .iter()
            .map(|m| (m.name(), m.precomputed().digest))
            .collect();
        let mut now: std::collections::BTreeMap<&str, [u8; 32]> = now
            .iter()
            .map(|m| (m.name(), m.precomputed().digest))
            .collect();
        for (name, digest) in built {
            match now.remove(name) {
                Some(d) if d == digest => {}
                Some(_) => drift.edited.push(name.to_owned()),
                None => drift.removed.push(name.to_owned()),
            }
        }
        drift.added.extend(now.into_keys().map(str::to_owned));
    }
    Ok(Some(drift))
}

/// One table of the files `names`, already in the order the registry keeps them, the path of the `i`th
/// (`name`) written by `path_into` into one buffer that every file reuses. `count` files whose names are
/// `names_len` bytes in all: every table is sized once, not grown by doubling.
fn table<'f>(
    dir: &'static str,
    count: usize,
    names_len: usize,
    names_of: impl Iterator<Item = &'f str>,
    path_into: &dyn Fn(usize, &str, &mut std::path::PathBuf),
    precomputed: &mut dyn FnMut(&Path) -> Result<Precomputed, SourceError>,
) -> Result<Migrations, SourceError> {
    let mut names = String::with_capacity(names_len);
    let mut name_ends = Vec::with_capacity(count);
    let mut digests = Vec::with_capacity(count);
    let mut baselines = Vec::with_capacity(count);
    let mut path = std::path::PathBuf::new();
    for (i, name) in names_of.enumerate() {
        path_into(i, name, &mut path);
        let Precomputed { digest, baseline } = precomputed(&path)?;
        names.push_str(name);
        name_ends.push(u32::try_from(names.len()).unwrap_or(u32::MAX));
        digests.push(digest);
        baselines.push(baseline);
    }
    let compiled: &'static Compiled = Box::leak(Box::new(Compiled {
        names: Box::leak(names.into_boxed_str()),
        name_ends: Box::leak(name_ends.into_boxed_slice()),
        dir,
        digests: Box::leak(digests.into_boxed_slice()),
        baselines: Box::leak(baselines.into_boxed_slice()),
        code: no_code,
    }));
    let tables: &'static [&'static Compiled] = Box::leak(Box::new([compiled]));
    let handles: &'static OnceLock<Box<[crate::Migration]>> = Box::leak(Box::default());
    Ok(Migrations::compiled(tables, handles))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn names_checksums_and_order_are_the_compiled_ones() {
        let dir = tempfile::tempdir().unwrap();
        let up = "use migrate_dsl::prelude::*;\npub fn up(pgm: &mut MigrationBuilder) { pgm.sql(\"SELECT 1\"); }\n";
        write(dir.path(), "20260102000000_second.rs", up);
        write(dir.path(), "20260101000000_first.rs", &up.replace('\n', "  \r\n"));
        write(dir.path(), "repeatable_view.rs", up);
        write(dir.path(), "notes.md", "not a migration");
        let registry = read_registry(dir.path()).unwrap();
        let names: Vec<&str> = registry.migrations.iter().map(|m| m.name()).collect();
        assert_eq!(names, ["20260101000000_first", "20260102000000_second"]);
        // Trailing whitespace and line endings do not count, as in the build script's checksum.
        assert_eq!(
            registry.migrations[0].checksum(),
            crate::checksum::checksum(up)
        );
        assert_eq!(
            registry.migrations[1].checksum(),
            crate::checksum::checksum(up)
        );
        let repeatables: Vec<&str> = registry.repeatables.iter().map(|m| m.name()).collect();
        assert_eq!(repeatables, ["repeatable_view"]);
        let canonical = dir.path().canonicalize().unwrap();
        assert_eq!(registry.dir, canonical.to_str().unwrap());
        assert_eq!(
            registry.migrations[0].path(),
            canonical
                .join("20260101000000_first.rs")
                .to_str()
                .unwrap()
        );
    }

    #[test]
    fn a_migration_without_its_code_cannot_be_planned() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "20260101000000_first.rs",
            "pub fn up(pgm: &mut MigrationBuilder) {}\n",
        );
        let registry = read_registry(dir.path()).unwrap();
        let pgm = registry.migrations[0]
            .build(crate::Direction::Up)
            .unwrap();
        let error = pgm.to_sql().unwrap_err().to_string();
        assert!(error.contains("without compiling it"), "{error}");
    }

    #[test]
    fn an_invalid_file_name_is_the_scan_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "2026010100000_short.rs", "");
        assert!(matches!(
            read_registry(dir.path()),
            Err(SourceError::InvalidName { .. })
        ));
    }
}
