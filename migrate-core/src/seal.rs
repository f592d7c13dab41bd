//! Sealing: older migrations compiled once, in a crate of their own.
//!
//! Public for the code `build` generates (the sealed crate's digest and its check) and for migrate-cli; not a
//! stable API.
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

use std::collections::HashSet;
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
#[non_exhaustive]
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
        // A name listed twice (a merge that kept both sides) counts once.
        let mut seen = HashSet::new();
        let names = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter(|line| seen.insert(*line))
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

    /// Whether `name` is sealed. For one name; [`names`](Self::names) into a set for many.
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
/// in timestamp order) could be sealed and are not, adds all of them but the newest [`KEEP_UNSEALED`] to the
/// list and returns how many it sealed. Does nothing, and returns 0, when the folder has no list.
///
/// Only a migration that refers to nothing but `std`, `migrate_dsl` and `migrate_core` is sealed ([`sealable`]):
/// one using its crate's own items or another dependency would not compile in the sealed crate. Such files
/// do not count towards the threshold either, so a project with many of them does not seal at every `create`.
pub fn seal_older(dir: &Path, files: &[MigrationFile]) -> Result<usize, SourceError> {
    let Some(mut list) = SealList::read(dir)? else {
        return Ok(0);
    };
    let listed: HashSet<&str> = list.names.iter().map(String::as_str).collect();
    let unsealed: Vec<&MigrationFile> = files
        .iter()
        .filter(|f| !listed.contains(f.name.stem.as_str()))
        .collect();
    let older = &unsealed[..unsealed.len().saturating_sub(KEEP_UNSEALED)];
    if older.len() + KEEP_UNSEALED <= SEAL_WHEN_UNSEALED_OVER {
        return Ok(0);
    }
    let mut candidates = Vec::with_capacity(older.len());
    for file in older {
        let source =
            std::fs::read_to_string(&file.path).map_err(|error| SourceError::ReadFile {
                path: file.path.clone(),
                error,
            })?;
        if sealable(&source) {
            candidates.push(file.name.stem.clone());
        }
    }
    if candidates.len() + KEEP_UNSEALED <= SEAL_WHEN_UNSEALED_OVER {
        return Ok(0);
    }
    let sealed = candidates.len();
    list.names.extend(candidates);
    list.write()?;
    Ok(sealed)
}

/// Removes `names` from the folder's list, if it has one (after `squash` deleted their files).
pub fn forget(dir: &Path, names: &[String]) -> Result<(), SourceError> {
    let Some(mut list) = SealList::read(dir)? else {
        return Ok(());
    };
    let gone: HashSet<&String> = names.iter().collect();
    let before = list.names.len();
    list.names.retain(|n| !gone.contains(n));
    if list.names.len() != before {
        list.write()?;
    }
    Ok(())
}

/// Whether a migration can be compiled in the sealed crate, which depends on `migrate-core` and `migrate-dsl`
/// only: every path in its code (comments and string literals aside, so SQL casts such as `now()::date` do not
/// count) starts with one of those, `std` (`core`, `alloc`), `self`, a tool attribute (`clippy::`), a
/// primitive type or a capitalised name (a type or enum the prelude brings in). `crate::`, `super::` and any
/// other crate's name make it unsealable; when in doubt the file stays unsealed, which always compiles.
pub fn sealable(source: &str) -> bool {
    const ROOTS: &[&str] = &[
        "std",
        "core",
        "alloc",
        "self",
        "migrate_dsl",
        "migrate_core",
        "clippy",
        "rustfmt",
        "bool",
        "char",
        "str",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "f32",
        "f64",
    ];
    let code = code_only(source);
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut at = 0;
    while let Some(found) = code[at..].find("::") {
        let colons = at + found;
        at = colons + 2;
        let mut start = colons;
        while start > 0 && ident(bytes[start - 1]) {
            start -= 1;
        }
        let root = if start == colons {
            // A leading `::` (`::serde_json::json!`): the root is the segment after it.
            let mut end = at;
            while end < bytes.len() && ident(bytes[end]) {
                end += 1;
            }
            &code[at..end]
        } else if start > 0 && bytes[start - 1] == b':' {
            // A later segment of a path whose root was checked already.
            continue;
        } else {
            &code[start..colons]
        };
        let capitalised = root.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        if !capitalised && !ROOTS.contains(&root) {
            return false;
        }
    }
    true
}

/// `source` with comments and string and character literals replaced by spaces.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        out.extend(std::iter::repeat_n(b' ', to - from));
    };
    while i < bytes.len() {
        let rest = &bytes[i..];
        let end = if rest.starts_with(b"//") {
            rest.iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n)
        } else if rest.starts_with(b"/*") {
            // Block comments nest.
            let (mut depth, mut j) = (0usize, i);
            while j < bytes.len() {
                if bytes[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if bytes[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            j
        } else if let Some((opening, hashes)) = raw_string_start(rest) {
            // r"..." or r#"..."#: ends at a quote followed by as many hashes.
            let body = i + opening;
            let closing: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            bytes[body..]
                .windows(closing.len())
                .position(|w| w == closing.as_slice())
                .map_or(bytes.len(), |n| body + n + closing.len())
        } else if rest[0] == b'"' || (rest[0] == b'b' && rest.get(1) == Some(&b'"')) {
            let mut j = i + if rest[0] == b'b' { 2 } else { 1 };
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            (j + 1).min(bytes.len())
        } else if rest[0] == b'\'' && is_char_literal(rest) {
            i + 1
                + rest[1..]
                    .iter()
                    .skip(1)
                    .position(|&b| b == b'\'')
                    .map_or(0, |n| n + 2)
        } else {
            out.push(bytes[i]);
            i += 1;
            continue;
        };
        blank(&mut out, i, end);
        i = end;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// For a raw string starting at `rest` (`r"`, `r#"`, `br"`, ...): the length of its opening (prefix, hashes and
/// quote) and its number of `#`; `None` when `rest` does not start one.
fn raw_string_start(rest: &[u8]) -> Option<(usize, usize)> {
    let (prefix, after) = match rest.strip_prefix(b"br") {
        Some(after) => (2, after),
        None => (1, rest.strip_prefix(b"r")?),
    };
    let hashes = after.iter().take_while(|&&b| b == b'#').count();
    (after.get(hashes) == Some(&b'"')).then_some((prefix + hashes + 1, hashes))
}

/// Whether the `'` at the start of `rest` opens a character literal (`'x'`, `'\n'`, `'"'`) rather than a
/// lifetime (`'a`).
fn is_char_literal(rest: &[u8]) -> bool {
    match rest.get(1) {
        Some(b'\\') => true,
        Some(_) => rest.get(2) == Some(&b'\'') || !rest[1].is_ascii(),
        None => false,
    }
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

        // Two over: one of them uses its own crate, so it stays unsealed and does not count.
        let (dir, mut files) = folder(SEAL_WHEN_UNSEALED_OVER + 2);
        SealList::empty(dir.path()).write().unwrap();
        std::fs::write(
            &files[3].path,
            "pub fn up(pgm: &mut B) { crate::helper(pgm) }",
        )
        .unwrap();
        files = crate::scan(dir.path()).unwrap();
        let sealed = seal_older(dir.path(), &files).unwrap();
        assert_eq!(sealed, SEAL_WHEN_UNSEALED_OVER + 2 - KEEP_UNSEALED - 1);
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
    fn unsealable_files_do_not_count_towards_the_threshold() {
        let (dir, files) = folder(SEAL_WHEN_UNSEALED_OVER + 5);
        SealList::empty(dir.path()).write().unwrap();
        for file in &files[..10] {
            std::fs::write(
                &file.path,
                "pub fn up(pgm: &mut B) { serde_json::json!({}); }",
            )
            .unwrap();
        }
        assert_eq!(seal_older(dir.path(), &files).unwrap(), 0);
        assert!(SealList::read(dir.path())
            .unwrap()
            .unwrap()
            .names
            .is_empty());
    }

    #[test]
    fn only_files_using_std_and_the_migrate_crates_are_sealable() {
        for source in [
            "use migrate_dsl::prelude::*;\npub fn up(pgm: &mut MigrationBuilder) { pgm.sql(\"UPDATE t SET d = now()::date\"); }",
            "pub fn up(pgm: &mut B) { let _ = std::mem::size_of::<u8>(); let v: Vec<i64> = Vec::new(); let _ = i64::MAX; }",
            "//! Uses `crate::helpers` only in this comment. /* and serde::x here */\npub fn up(pgm: &mut B) {}",
            "#[allow(clippy::all)]\npub fn up(pgm: &mut B) { pgm.sql(r#\"SELECT '{}'::jsonb, \"x\"::text\"#); }",
            "pub fn up(pgm: &mut B) { let _ = (br\"x::y\", br#\"\"::z\"#, r\"u::v\"); }",
            "pub fn up<'a>(pgm: &'a mut B) { let _ = ('\"', b\"x::y\", '\\''); ::migrate_dsl::noop(pgm); }",
        ] {
            assert!(sealable(source), "{source}");
        }
        for source in [
            "pub fn up(pgm: &mut B) { crate::helpers::add(pgm) }",
            "pub fn up(pgm: &mut B) { super::shared(pgm) }",
            "use serde_json::json;\npub fn up(pgm: &mut B) {}",
            "pub fn up(pgm: &mut B) { let _ = ::chrono::Utc::now(); }",
            "pub fn up(pgm: &mut B) { pgm.sql(\"x\"); my_app::seed(pgm) }",
            "pub fn up(pgm: &mut B) { let _ = br\"a::b\"; other::f(pgm) }",
        ] {
            assert!(!sealable(source), "{source}");
        }
    }

    #[test]
    fn the_list_ignores_comments_and_blank_lines_and_forgets_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LIST_FILE),
            "# header\n\n20260101000000_a\n  20260101000001_b  \n20260101000000_a\n",
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
