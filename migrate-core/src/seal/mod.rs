//! Sealing: older migrations compiled once, in crates of their own, a bounded number per crate.
//!
//! Public for the code `build` generates (the sealed crates' digests and their check) and for migrate-cli; not
//! a stable API.
//!
//! Every migration is a module of the crate that owns the folder, so one new file used to make rustc read,
//! expand and generate code for every migration again: seconds at 2,000 migrations, tens of seconds at 10,000.
//! Cargo recompiles per crate, so the older migrations live in other crates, the *sealed chunks*, which cargo
//! leaves alone while their migrations do not change. Which migrations each chunk holds is a list in the
//! migrations folder ([`list`]: `sealed/0000.txt`, `sealed/0001.txt`, ...), one migration name per line, written
//! by `migrate create` (see [`seal_older`]):
//!
//! - each chunk is a package of its own (`sealed-migrations/chunks/0003/`, written by `migrate`), whose
//!   `build.rs` calls [`compile_sealed_chunk`](crate::build::compile_sealed_chunk): it compiles exactly the
//!   listed files and watches only them and its list, so a new file in the folder, or a seal into another
//!   chunk, does not rebuild it;
//! - a seal appends to the last chunk until it holds [`CHUNK_SIZE`] migrations, then starts the next one: a
//!   seal recompiles one chunk, never the whole history, and a full chunk is left alone for good (unless one
//!   of its files is edited);
//! - the owning crate's `build.rs` ([`compile_migrations`](crate::build::compile_migrations)) compiles every
//!   file no list names and merges all the tables into one `MIGRATIONS`, in timestamp order. A file older than
//!   sealed ones (merged from another branch) simply stays unsealed: the lists, not the timestamps, decide.
//!
//! The registry is the same whichever way the folder is split: the split only decides what cargo rebuilds.
//! The chunks' build scripts and the owning crate's read the lists; the owning crate checks at compile time
//! that each chunk was built from the list it read ([`SealedDigest`]), so a list changed in the middle of a
//! build never gives a registry with a migration missing or twice.
//!
//! The first layout, one list (`sealed.txt`) compiled by one crate, keeps building; the first seal moves its
//! names into chunks ([`SealOutcome::moved`]).

mod list;
mod sealable;

use std::collections::HashSet;
use std::path::Path;

pub use list::{
    chunk_crate_name, chunk_file_name, chunk_list_path, Chunk, SealList, Sealed, CHUNKS_DIR,
    HEADER, LIST_FILE,
};
pub use sealable::sealable;

use crate::source::{MigrationFile, SourceError};

/// `migrate create` seals when more than this many migrations are unsealed...
pub const SEAL_WHEN_UNSEALED_OVER: usize = 50;

/// ...and keeps this many of the newest unsealed: the ones still being written and edited, since editing a
/// sealed file rebuilds its chunk.
pub const KEEP_UNSEALED: usize = 10;

/// The most migrations a seal puts in one chunk (C). A seal recompiles the chunk it appends to, so this bounds
/// what a seal costs: about 0.6 ms of rustc per one-table migration, so 250 cost some 0.15 s on top of the
/// loop that does not seal, wherever the history is (2,000 or 100,000 migrations). Smaller chunks would make
/// cargo check more crates on every build (two units each: the build script and the library) for little
/// gain; see docs/sealing.md for the measurements. A chunk can hold more after a merge of two branches that
/// sealed into it (both sides' lines are kept): the bound is what a seal does, not what a list may hold.
pub const CHUNK_SIZE: usize = 250;

/// SHA-256 of a list's names, one per line: what the owning crate checks each sealed crate against.
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

/// What [`seal_older`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealOutcome {
    /// How many migrations it sealed (0: nothing changed).
    pub sealed: usize,
    /// How many names it moved from the single layout's `sealed.txt` into chunks (which it deleted): the
    /// first seal after an upgrade from the first layout.
    pub moved: usize,
    /// The chunks whose lists it wrote (in order): their crates compile again at the next build.
    pub written: Vec<u32>,
    /// The chunk it opened ahead, empty, for the next seal, which would not fit in the last one (when it did
    /// not seal).
    pub ahead: Option<u32>,
}

/// After `migrate create`: when more than [`SEAL_WHEN_UNSEALED_OVER`] of `files` (the folder's migrations, in
/// timestamp order) could be sealed and are not, seals all of them but the newest [`KEEP_UNSEALED`]: appends
/// them, oldest first, to the last chunk when they all fit in it ([`CHUNK_SIZE`]), else to the next chunk, so
/// that the next build compiles one chunk, not a full one and a new one. More than a chunk's worth (a
/// folder sealed for the first time) fills the last chunk, then new ones. When the last chunk is left too
/// full for another seal, a later `create` that does not seal opens the next one ahead, empty
/// ([`SealOutcome::ahead`]). Does nothing when sealing is off (neither `sealed/` nor `sealed.txt`).
///
/// Only a migration that refers to nothing but `std`, `migrate_dsl` and `migrate_core` is sealed ([`sealable`]):
/// one using its crate's own items or another dependency would not compile in a chunk's crate. Such files do
/// not count towards the threshold either, so a project with many of them does not seal at every `create`.
///
/// A folder in the single layout is moved to the chunked one: its listed names and the new ones go into chunks
/// of [`CHUNK_SIZE`] in timestamp order and `sealed.txt` is deleted ([`SealOutcome::moved`]). A name found in two
/// chunks (a merge) is kept in the first one only.
pub fn seal_older(dir: &Path, files: &[MigrationFile]) -> Result<SealOutcome, SourceError> {
    let Some(sealed) = Sealed::read(dir)? else {
        return Ok(SealOutcome::default());
    };
    let listed: HashSet<&str> = sealed.names().into_iter().collect();
    let unsealed: Vec<&MigrationFile> = files
        .iter()
        .filter(|f| !listed.contains(f.name.stem.as_str()))
        .collect();
    let older = &unsealed[..unsealed.len().saturating_sub(KEEP_UNSEALED)];
    if older.len() + KEEP_UNSEALED <= SEAL_WHEN_UNSEALED_OVER {
        return open_ahead(dir, sealed);
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
        return open_ahead(dir, sealed);
    }
    let sealed_now = candidates.len();
    let (chunks, moved) = match sealed {
        Sealed::Single(list) => (Vec::new(), list.names),
        Sealed::Chunked(chunks) => (chunks, Vec::new()),
    };
    let mut outcome = SealOutcome {
        sealed: sealed_now,
        moved: moved.len(),
        written: Vec::new(),
        ahead: None,
    };
    // The moved names and the new ones, in timestamp order (names start with their timestamp), so each
    // chunk holds a stretch of the history.
    let mut new_names = moved;
    new_names.extend(candidates);
    new_names.sort();
    new_names.dedup();
    let mut chunks = without_names_listed_twice(chunks, &mut outcome.written);
    let mut pending = new_names.into_iter().peekable();
    while pending.peek().is_some() {
        let remaining = pending.len();
        // The chunks after the last one holding names are empty: opened ahead by a `create` that did not seal
        // (see `open_ahead`).
        let last_filled = chunks.iter().rposition(|c| !c.list.names.is_empty());
        let open = match last_filled {
            Some(last) if takes(chunks[last].list.names.len(), remaining) => last,
            _ => {
                let next = last_filled.map_or(0, |last| last + 1);
                if next == chunks.len() {
                    push_empty(&mut chunks, dir);
                }
                next
            }
        };
        let chunk = &mut chunks[open];
        let room = CHUNK_SIZE.saturating_sub(chunk.list.names.len());
        chunk.list.names.extend(pending.by_ref().take(room));
        if !outcome.written.contains(&chunk.index) {
            outcome.written.push(chunk.index);
        }
    }
    for chunk in &chunks {
        if outcome.written.contains(&chunk.index) {
            chunk.list.write()?;
        }
    }
    outcome.written.sort_unstable();
    // The single layout's list is gone once its names are in chunks; one merged in next to the chunks named
    // only migrations that were unsealed (and are sealed now).
    let single = dir.join(LIST_FILE);
    if single.exists() {
        std::fs::remove_file(&single).map_err(|error| SourceError::Write {
            path: single,
            error,
        })?;
    }
    Ok(outcome)
}

/// How many migrations a seal usually appends: the threshold's worth, less those kept unsealed.
const USUAL_SEAL: usize = SEAL_WHEN_UNSEALED_OVER + 1 - KEEP_UNSEALED;

/// After a `create` that did not seal: when the next seal would not fit in the last chunk, opens the chunk it
/// will fill now, empty. Cargo then compiles the new package's build script in this build, whose loop
/// compiles no chunk, instead of in front of the chunk the next seal fills (the loop that seals does the most
/// work of all). Once: an empty last chunk is the one opened ahead.
fn open_ahead(dir: &Path, sealed: Sealed) -> Result<SealOutcome, SourceError> {
    let Sealed::Chunked(chunks) = sealed else {
        return Ok(SealOutcome::default());
    };
    let Some(last) = chunks
        .last()
        .filter(|last| last.list.names.len() + USUAL_SEAL > CHUNK_SIZE)
    else {
        return Ok(SealOutcome::default());
    };
    let index = last.index + 1;
    SealList::empty_at(chunk_list_path(dir, index)).write()?;
    Ok(SealOutcome {
        ahead: Some(index),
        ..SealOutcome::default()
    })
}

/// Whether a chunk holding `held` migrations takes all of `remaining` more: when they fit, or when they are
/// more than a chunk's worth anyway (a folder sealed for the first time) and it is not full.
fn takes(held: usize, remaining: usize) -> bool {
    held + remaining <= CHUNK_SIZE || (remaining > CHUNK_SIZE && held < CHUNK_SIZE)
}

/// Adds an empty chunk after the last of `chunks`.
fn push_empty(chunks: &mut Vec<Chunk>, dir: &Path) {
    let index = chunks.last().map_or(0, |c| c.index + 1);
    chunks.push(Chunk {
        index,
        list: SealList::empty_at(chunk_list_path(dir, index)),
    });
}

/// `chunks` with every name listed in two of them kept in the first only; the chunks changed are added to
/// `written`.
fn without_names_listed_twice(mut chunks: Vec<Chunk>, written: &mut Vec<u32>) -> Vec<Chunk> {
    let mut seen = HashSet::new();
    for chunk in &mut chunks {
        let before = chunk.list.names.len();
        chunk.list.names.retain(|name| seen.insert(name.clone()));
        if chunk.list.names.len() != before {
            written.push(chunk.index);
        }
    }
    chunks
}

/// Removes `names` from the folder's lists, if it has any (after `squash` deleted their files). Only the lists
/// that named one are written, so only their chunks compile again.
pub fn forget(dir: &Path, names: &[String]) -> Result<(), SourceError> {
    let gone: HashSet<&String> = names.iter().collect();
    let lists = match Sealed::read(dir)? {
        None => return Ok(()),
        Some(Sealed::Single(list)) => vec![list],
        Some(Sealed::Chunked(chunks)) => chunks.into_iter().map(|c| c.list).collect(),
    };
    for mut list in lists {
        let before = list.names.len();
        list.names.retain(|n| !gone.contains(n));
        if list.names.len() != before {
            list.write()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` sealable migrations, one a second from 2026-01-01 00:00:00.
    fn folder(n: usize) -> (tempfile::TempDir, Vec<MigrationFile>) {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            let (h, m, s) = (i / 3600, i / 60 % 60, i % 60);
            std::fs::write(
                dir.path()
                    .join(format!("20260101{h:02}{m:02}{s:02}_m{i}.rs")),
                "pub fn up(pgm: &mut B) {}",
            )
            .unwrap();
        }
        let files = crate::scan(dir.path()).unwrap();
        (dir, files)
    }

    /// Sealing on, chunked, with no chunk yet.
    fn chunked(dir: &Path) {
        std::fs::create_dir(dir.join(CHUNKS_DIR)).unwrap();
    }

    /// The chunks' names, chunk by chunk.
    fn chunks(dir: &Path) -> Vec<Vec<String>> {
        match Sealed::read(dir).unwrap().unwrap() {
            Sealed::Chunked(chunks) => chunks.into_iter().map(|c| c.list.names).collect(),
            Sealed::Single(_) => panic!("single layout"),
        }
    }

    fn stems(files: &[MigrationFile]) -> Vec<String> {
        files.iter().map(|f| f.name.stem.clone()).collect()
    }

    #[test]
    fn without_a_list_nothing_is_sealed() {
        let (dir, files) = folder(SEAL_WHEN_UNSEALED_OVER + 5);
        assert_eq!(seal_older(dir.path(), &files).unwrap().sealed, 0);
        assert!(!dir.path().join(LIST_FILE).exists());
        assert!(!dir.path().join(CHUNKS_DIR).exists());
    }

    #[test]
    fn seals_all_but_the_newest_once_over_the_threshold() {
        let (dir, files) = folder(SEAL_WHEN_UNSEALED_OVER);
        chunked(dir.path());
        assert_eq!(
            seal_older(dir.path(), &files).unwrap(),
            SealOutcome::default(),
            "at the threshold"
        );

        // Two over: one of them uses its own crate, so it stays unsealed and does not count.
        let (dir, mut files) = folder(SEAL_WHEN_UNSEALED_OVER + 2);
        chunked(dir.path());
        std::fs::write(
            &files[3].path,
            "pub fn up(pgm: &mut B) { crate::helper(pgm) }",
        )
        .unwrap();
        files = crate::scan(dir.path()).unwrap();
        let outcome = seal_older(dir.path(), &files).unwrap();
        assert_eq!(
            outcome.sealed,
            SEAL_WHEN_UNSEALED_OVER + 2 - KEEP_UNSEALED - 1
        );
        assert_eq!((outcome.moved, outcome.written), (0, vec![0]));
        let sealed = Sealed::read(dir.path()).unwrap().unwrap();
        assert_eq!(sealed.names().len(), outcome.sealed);
        assert!(!sealed.contains(&files[3].name.stem));
        for file in &files[files.len() - KEEP_UNSEALED..] {
            assert!(
                !sealed.contains(&file.name.stem),
                "{} is among the newest",
                file.name.stem
            );
        }
        assert!(sealed.contains(&files[0].name.stem));
        assert!(std::fs::read_to_string(chunk_list_path(dir.path(), 0))
            .unwrap()
            .starts_with(HEADER));
        // Sealing again right away finds too few unsealed.
        assert_eq!(seal_older(dir.path(), &files).unwrap().sealed, 0);
    }

    #[test]
    fn unsealable_files_do_not_count_towards_the_threshold() {
        let (dir, files) = folder(SEAL_WHEN_UNSEALED_OVER + 5);
        chunked(dir.path());
        for file in &files[..10] {
            std::fs::write(
                &file.path,
                "pub fn up(pgm: &mut B) { serde_json::json!({}); }",
            )
            .unwrap();
        }
        assert_eq!(seal_older(dir.path(), &files).unwrap().sealed, 0);
        assert!(Sealed::read(dir.path())
            .unwrap()
            .unwrap()
            .names()
            .is_empty());
    }

    /// A seal appends to the last chunk until it is full, then opens the next: it writes (so recompiles) at
    /// most the open chunk and the new ones, never a full one.
    #[test]
    fn seals_fill_the_open_chunk_then_open_the_next() {
        let total = CHUNK_SIZE + 100;
        let (dir, files) = folder(total);
        chunked(dir.path());
        // A first seal over the first 60: one chunk.
        let outcome = seal_older(dir.path(), &files[..60]).unwrap();
        assert_eq!((outcome.sealed, outcome.written.clone()), (50, vec![0]));
        // Then the rest: chunk 0 fills up, chunk 1 takes what is left.
        let outcome = seal_older(dir.path(), &files).unwrap();
        assert_eq!(outcome.sealed, total - KEEP_UNSEALED - 50);
        assert_eq!(outcome.written, [0, 1]);
        let lists = chunks(dir.path());
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0], stems(&files[..CHUNK_SIZE]));
        assert_eq!(lists[1], stems(&files[CHUNK_SIZE..total - KEEP_UNSEALED]));
        // A full chunk is not written again: 60 more migrations go to chunk 1 only.
        let before = std::fs::metadata(chunk_list_path(dir.path(), 0))
            .unwrap()
            .modified()
            .unwrap();
        let (more, all) = folder(total + 60);
        chunked(more.path());
        for (i, list) in lists.iter().enumerate() {
            SealList {
                path: chunk_list_path(more.path(), i as u32),
                names: list.clone(),
            }
            .write()
            .unwrap();
        }
        let outcome = seal_older(more.path(), &all).unwrap();
        assert_eq!((outcome.sealed, outcome.written), (60, vec![1]));
        assert_eq!(chunks(more.path())[0], lists[0]);
        assert_eq!(
            std::fs::metadata(chunk_list_path(dir.path(), 0))
                .unwrap()
                .modified()
                .unwrap(),
            before
        );
    }

    /// A seal that does not fit in the last chunk goes to a new one whole: the next build compiles one
    /// chunk of 41, not a full one and a new one.
    #[test]
    fn a_seal_that_does_not_fit_opens_a_chunk_of_its_own() {
        let (dir, files) = folder(CHUNK_SIZE + 31);
        chunked(dir.path());
        let near_full = CHUNK_SIZE - 20;
        SealList {
            path: chunk_list_path(dir.path(), 0),
            names: stems(&files[..near_full]),
        }
        .write()
        .unwrap();
        let outcome = seal_older(dir.path(), &files).unwrap();
        assert_eq!(outcome.sealed, files.len() - KEEP_UNSEALED - near_full);
        assert_eq!(outcome.written, [1]);
        let lists = chunks(dir.path());
        assert_eq!(lists[0], stems(&files[..near_full]));
        assert_eq!(
            lists[1],
            stems(&files[near_full..files.len() - KEEP_UNSEALED])
        );
    }

    /// After a seal that left the last chunk too full for another, the next `create` that does not seal opens
    /// the next chunk ahead, empty, once; the next seal goes into it.
    #[test]
    fn the_chunk_the_next_seal_needs_is_opened_ahead() {
        let held = 200;
        let (dir, files) = folder(held + 51 + 51);
        chunked(dir.path());
        SealList {
            path: chunk_list_path(dir.path(), 0),
            names: stems(&files[..held]),
        }
        .write()
        .unwrap();
        let first = &files[..held + 51];
        let outcome = seal_older(dir.path(), first).unwrap();
        assert_eq!(
            (outcome.sealed, outcome.written.clone(), outcome.ahead),
            (41, vec![0], None)
        );
        // The next `create`, which does not seal, opens chunk 1; the one after finds it open.
        let second = &files[..held + 52];
        let outcome = seal_older(dir.path(), second).unwrap();
        assert_eq!((outcome.sealed, outcome.ahead), (0, Some(1)));
        let outcome = seal_older(dir.path(), &files[..held + 53]).unwrap();
        assert_eq!(outcome, SealOutcome::default());
        let lists = chunks(dir.path());
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0], stems(&files[..held + 41]));
        assert!(lists[1].is_empty());
        // The next seal (41 more, which do not fit in chunk 0) fills the chunk opened ahead: no new one.
        let outcome = seal_older(dir.path(), &files).unwrap();
        assert_eq!(
            (outcome.sealed, outcome.written, outcome.ahead),
            (51, vec![1], None)
        );
        let lists = chunks(dir.path());
        assert_eq!(lists.len(), 2);
        assert_eq!(
            lists[1],
            stems(&files[held + 41..files.len() - KEEP_UNSEALED])
        );
    }

    /// The first layout's `sealed.txt` is moved into chunks by the first seal, in timestamp order.
    #[test]
    fn the_first_seal_moves_the_single_list_into_chunks() {
        let total = CHUNK_SIZE + 80;
        let (dir, files) = folder(total);
        SealList {
            path: dir.path().join(LIST_FILE),
            names: stems(&files[..CHUNK_SIZE + 10]),
        }
        .write()
        .unwrap();
        assert!(matches!(
            Sealed::read(dir.path()).unwrap(),
            Some(Sealed::Single(_))
        ));
        let outcome = seal_older(dir.path(), &files).unwrap();
        assert_eq!(outcome.moved, CHUNK_SIZE + 10);
        assert_eq!(outcome.sealed, total - CHUNK_SIZE - 10 - KEEP_UNSEALED);
        assert_eq!(outcome.written, [0, 1]);
        assert!(!dir.path().join(LIST_FILE).exists());
        let lists = chunks(dir.path());
        assert_eq!(lists[0], stems(&files[..CHUNK_SIZE]));
        assert_eq!(lists[1], stems(&files[CHUNK_SIZE..total - KEEP_UNSEALED]));
    }

    /// A merge can leave a name in two chunks: the build refuses it ([`Sealed::listed_twice`]), and the next
    /// seal keeps it in the first chunk only.
    #[test]
    fn a_name_in_two_chunks_is_found_and_kept_once() {
        let (dir, files) = folder(SEAL_WHEN_UNSEALED_OVER + 20);
        let names = stems(&files);
        chunked(dir.path());
        for (index, list) in [(0, &names[..5]), (1, &names[4..8])] {
            SealList {
                path: chunk_list_path(dir.path(), index),
                names: list.to_vec(),
            }
            .write()
            .unwrap();
        }
        let sealed = Sealed::read(dir.path()).unwrap().unwrap();
        let (name, first, second) = sealed.listed_twice().unwrap();
        assert_eq!(name, names[4]);
        assert!(first.ends_with("sealed/0000.txt") && second.ends_with("sealed/0001.txt"));
        seal_older(dir.path(), &files).unwrap();
        let lists = chunks(dir.path());
        assert_eq!(lists[0], names[..5]);
        assert_eq!(lists[1][..3], names[5..8]);
        assert!(Sealed::read(dir.path())
            .unwrap()
            .unwrap()
            .listed_twice()
            .is_none());
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

        // In chunks, only the lists that named one are written.
        let dir = tempfile::tempdir().unwrap();
        chunked(dir.path());
        std::fs::write(chunk_list_path(dir.path(), 0), "20260101000000_a\n").unwrap();
        std::fs::write(chunk_list_path(dir.path(), 1), "20260101000001_b\n").unwrap();
        std::fs::write(dir.path().join(CHUNKS_DIR).join("README.md"), "notes").unwrap();
        forget(dir.path(), &["20260101000001_b".to_owned()]).unwrap();
        assert_eq!(
            std::fs::read_to_string(chunk_list_path(dir.path(), 0)).unwrap(),
            "20260101000000_a\n"
        );
        assert_eq!(
            chunks(dir.path()),
            [vec!["20260101000000_a".to_owned()], vec![]]
        );
    }
}
