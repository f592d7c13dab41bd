//! The seal lists on disk: which migrations each sealed crate compiles.
//!
//! Two layouts, told apart by what the migrations folder holds:
//! - **chunked** (written by `migrate init` since chunks exist): the folder `sealed/` holds one list per chunk,
//!   `sealed/0000.txt`, `sealed/0001.txt`, ..., each compiled by a crate of its own;
//! - **single** (the first layout, before chunks): one list, `sealed.txt`, compiled by one crate. It keeps
//!   building as it did; the first seal moves it to the chunked layout ([`super::seal_older`]).
//!
//! With neither, sealing is off. When both exist (a branch still on the single layout merged into one that
//! moved), the chunks decide and `sealed.txt` is ignored: the migrations only it names are compiled with the
//! unsealed ones, and the next seal seals them into chunks and deletes it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::SealedDigest;
use crate::source::SourceError;

/// The single layout's list, in the migrations folder.
pub const LIST_FILE: &str = "sealed.txt";

/// The chunked layout's folder of lists, in the migrations folder; its presence turns sealing on.
pub const CHUNKS_DIR: &str = "sealed";

/// The file name of chunk `index`'s list in [`CHUNKS_DIR`]: `0003.txt`. Four digits keep the files in
/// chunk order when listed (10,000 chunks of [`super::CHUNK_SIZE`] are millions of migrations).
pub fn chunk_file_name(index: u32) -> String {
    format!("{index:04}.txt")
}

/// Where chunk `index`'s list is, for the migrations folder `dir`.
pub fn chunk_list_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(CHUNKS_DIR).join(chunk_file_name(index))
}

/// What one list file says, with the path it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealList {
    /// Where the list is.
    pub path: PathBuf,
    /// The sealed migrations' names (`<timestamp>_<name>`), in the list's order.
    pub names: Vec<String>,
}

impl SealList {
    /// The single layout's list of the migrations folder `dir` ([`LIST_FILE`]), or `None` when there is none.
    pub fn read(dir: &Path) -> Result<Option<SealList>, SourceError> {
        SealList::read_file(&dir.join(LIST_FILE))
    }

    /// The list at `path`, or `None` when the file does not exist.
    pub fn read_file(path: &Path) -> Result<Option<SealList>, SourceError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(SourceError::ReadFile {
                    path: path.to_path_buf(),
                    error,
                })
            }
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
        Ok(Some(SealList {
            path: path.to_path_buf(),
            names,
        }))
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

    /// Whether `name` is listed. For one name; [`names`](Self::names) into a set for many.
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
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| SourceError::Write {
                path: parent.to_path_buf(),
                error,
            })?;
        }
        std::fs::write(&self.path, text).map_err(|error| SourceError::Write {
            path: self.path.clone(),
            error,
        })
    }

    /// An empty single-layout list for the folder `dir`.
    pub fn empty(dir: &Path) -> SealList {
        SealList::empty_at(dir.join(LIST_FILE))
    }

    /// An empty list to be written at `path`.
    pub fn empty_at(path: PathBuf) -> SealList {
        SealList {
            path,
            names: Vec::new(),
        }
    }
}

/// A list's first lines.
pub const HEADER: &str = "\
# Migrations compiled in a sealed crate of their own, so that a new migration does not recompile them.
# Written by `migrate create`; a name removed from here is compiled with the newer migrations again.
# The lists change only how the migrations are compiled, never which ones run or in what order.
";

/// One chunk of the chunked layout: its number and its list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chunk {
    /// The chunk's number: its list is `sealed/<index:04>.txt`, its crate `chunk_<index:04>`.
    pub index: u32,
    /// The migrations it compiles.
    pub list: SealList,
}

impl Chunk {
    /// The crate name the sealed-migrations package re-exports the chunk under: `chunk_0003`.
    pub fn crate_name(&self) -> String {
        chunk_crate_name(self.index)
    }
}

/// The crate name of chunk `index` in the sealed-migrations package: `chunk_0003` (its dependency key is
/// `chunk-0003`).
pub fn chunk_crate_name(index: u32) -> String {
    format!("chunk_{index:04}")
}

/// Which migrations of a folder are sealed, in whichever layout it has.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sealed {
    /// The first layout: one list, one crate.
    Single(SealList),
    /// One list and one crate per chunk, in chunk order (possibly none, when the folder `sealed/` is empty).
    Chunked(Vec<Chunk>),
}

impl Sealed {
    /// The seal lists of the migrations folder `dir`, or `None` when sealing is off (neither `sealed/` nor
    /// `sealed.txt`). Files in `sealed/` other than `<digits>.txt` are ignored (a README, say).
    pub fn read(dir: &Path) -> Result<Option<Sealed>, SourceError> {
        let chunks_dir = dir.join(CHUNKS_DIR);
        let entries = match std::fs::read_dir(&chunks_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SealList::read(dir)?.map(Sealed::Single))
            }
            Err(error) => {
                return Err(SourceError::ReadDir {
                    path: chunks_dir,
                    error,
                })
            }
        };
        let mut chunks = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| SourceError::ReadDir {
                path: chunks_dir.clone(),
                error,
            })?;
            let file_name = entry.file_name();
            let Some(index) = file_name
                .to_str()
                .and_then(|n| n.strip_suffix(".txt"))
                .filter(|stem| !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|stem| stem.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(list) = SealList::read_file(&entry.path())? {
                chunks.push(Chunk { index, list });
            }
        }
        chunks.sort_by_key(|c| c.index);
        Ok(Some(Sealed::Chunked(chunks)))
    }

    /// Every sealed name, chunk after chunk.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Sealed::Single(list) => list.names.iter().map(String::as_str).collect(),
            Sealed::Chunked(chunks) => chunks
                .iter()
                .flat_map(|c| c.list.names.iter().map(String::as_str))
                .collect(),
        }
    }

    /// Whether `name` is sealed. For one name; [`names`](Self::names) into a set for many.
    pub fn contains(&self, name: &str) -> bool {
        self.names().contains(&name)
    }

    /// A name listed in two chunks, with the two lists (a merge of two branches that sealed it in different
    /// chunks): both chunk crates would compile it, and the registry would hold it twice.
    pub fn listed_twice(&self) -> Option<(&str, &Path, &Path)> {
        let Sealed::Chunked(chunks) = self else {
            return None;
        };
        let mut seen: HashMap<&str, &Path> = HashMap::new();
        for chunk in chunks {
            for name in &chunk.list.names {
                if let Some(first) = seen.insert(name, &chunk.list.path) {
                    return Some((name, first, &chunk.list.path));
                }
            }
        }
        None
    }
}
