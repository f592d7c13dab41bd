//! Checksums of migration files the front end computed before, kept between commands, so that answering
//! without the runner (`without_runner`) looks at each file's size and modification time instead of reading
//! and hashing it again: at ten thousand migrations, reading every file would cost more than the rest of the
//! answer.
//!
//! One file per migrations folder in the cache folder `freshness` uses (`$XDG_CACHE_HOME/migrate`, else
//! `~/.cache/migrate`), holding for each migration file what identifies its content (length, modification
//! time, and on Unix the inode's change time and number, which no tool sets back as `touch -d` sets the
//! modification time), its digest and baseline flag, and when the cache was written. An entry is trusted only
//! when the file's identity is the one recorded and its modification time is more than [`SETTLED`] older
//! than the cache: a file rewritten within the clock's granularity of being hashed (the same modification
//! time, other content) is hashed again. A cache that cannot be read or written only makes the next answer
//! slower.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrate_core::{Precomputed, SourceError};
use serde::{Deserialize, Serialize};

/// Bumped when the file's meaning changes (another checksum, say), so an older cache is not trusted.
const VERSION: u32 = 1;

/// What tells one version of a file from another without reading it: length, modification time
/// (nanoseconds since the epoch), and on Unix the change time (nanoseconds) and inode number.
type Identity = (u64, u128, i128, u64);

/// How much older than the cache a file's modification time must be for its entry to be trusted: more than
/// the coarsest file-system timestamp granularity in common use (FAT's 2 seconds).
const SETTLED: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    version: u32,
    /// When the cache was written, in nanoseconds since the epoch.
    written: u128,
    /// By file name: the file's identity, digest (hex) and baseline flag.
    files: HashMap<String, (Identity, String, bool)>,
}

/// The cache of one migrations folder, loaded, with what this command found.
#[derive(Debug)]
pub(crate) struct DigestCache {
    path: Option<PathBuf>,
    stored: Stored,
    /// What this command saw, to be written back: every file of the folder, so removed files drop out.
    seen: HashMap<String, (Identity, String, bool)>,
    /// Whether any file had to be hashed (else the stored cache is already right).
    hashed: bool,
}

impl DigestCache {
    /// The cache of the folder `dir` (canonical); empty when there is none or it cannot be read.
    pub(crate) fn load(dir: &Path) -> DigestCache {
        let path = crate::freshness::cache_dir().map(|base| {
            let mut hasher = std::hash::DefaultHasher::new();
            dir.hash(&mut hasher);
            base.join(format!("digests-{:016x}.json", hasher.finish()))
        });
        let stored = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
            .filter(|s| s.version == VERSION)
            .unwrap_or(Stored {
                version: VERSION,
                written: 0,
                files: HashMap::new(),
            });
        DigestCache {
            path,
            stored,
            seen: HashMap::new(),
            hashed: false,
        }
    }

    /// The digest and baseline flag of the migration file at `path`: from the cache when the file is the one
    /// it recorded, else read and hashed.
    pub(crate) fn precomputed(&mut self, path: &Path) -> Result<Precomputed, SourceError> {
        let meta = std::fs::metadata(path).map_err(|error| SourceError::ReadFile {
            path: path.to_path_buf(),
            error,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let identity = identity(&meta);
        if let (Some(identity), Some((known, hex, baseline))) =
            (identity, self.stored.files.get(&name))
        {
            let settled = identity.1 + SETTLED.as_nanos() < self.stored.written;
            if *known == identity && settled {
                if let Some(digest) = unhex(hex) {
                    self.seen.insert(name, (identity, hex.clone(), *baseline));
                    return Ok(Precomputed {
                        digest,
                        baseline: *baseline,
                    });
                }
            }
        }
        let found = migrate_core::folder::digest_of(path)?;
        self.hashed = true;
        if let Some(identity) = identity {
            self.seen
                .insert(name, (identity, hex(&found.digest), found.baseline));
        }
        Ok(found)
    }

    /// Writes what this command saw back, when it hashed anything (through a temporary file and a rename, so
    /// another command never reads half a cache).
    pub(crate) fn save(self) {
        let Some(path) = self.path.filter(|_| self.hashed) else {
            return;
        };
        let Some(written) = nanos(SystemTime::now()) else {
            return;
        };
        let stored = Stored {
            version: VERSION,
            written,
            files: self.seen,
        };
        let Ok(json) = serde_json::to_vec(&stored) else {
            return;
        };
        let Some(parent) = path.parent() else {
            return;
        };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let temporary = path.with_extension(format!("json.{}", std::process::id()));
        if std::fs::write(&temporary, json).is_ok() && std::fs::rename(&temporary, &path).is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

fn identity(meta: &std::fs::Metadata) -> Option<Identity> {
    let modified = nanos(meta.modified().ok()?)?;
    #[cfg(unix)]
    let (changed, inode) = {
        use std::os::unix::fs::MetadataExt;
        (
            i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            meta.ino(),
        )
    };
    #[cfg(not(unix))]
    let (changed, inode) = (0, 0);
    Some((meta.len(), modified, changed, inode))
}

fn nanos(time: SystemTime) -> Option<u128> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_nanos())
}

fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        digest[i] = u8::try_from(high * 16 + low).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let digest: [u8; 32] = std::array::from_fn(|i| (i * 7) as u8);
        assert_eq!(unhex(&hex(&digest)), Some(digest));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex(&"g".repeat(64)), None);
    }

    /// A cached entry is used only for a file that is the one recorded, long enough before the cache.
    #[test]
    fn entries_are_trusted_only_for_the_same_settled_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("20260101000000_a.rs");
        std::fs::write(&file, "pub fn up(pgm: &mut MigrationBuilder) {}\n").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let known = identity(&meta).unwrap();
        let real = migrate_core::folder::digest_of(&file).unwrap();
        let fake = [7u8; 32];
        let cache = |written: u128, identity: Identity| DigestCache {
            path: None,
            stored: Stored {
                version: VERSION,
                written,
                files: HashMap::from([(
                    "20260101000000_a.rs".to_owned(),
                    (identity, hex(&fake), false),
                )]),
            },
            seen: HashMap::new(),
            hashed: false,
        };
        let settled = known.1 + SETTLED.as_nanos() + 1;
        // The recorded file, settled: the cached digest (fake here, to tell it from a fresh hash).
        let mut c = cache(settled, known);
        assert_eq!(c.precomputed(&file).unwrap().digest, fake);
        assert!(!c.hashed);
        // Written too soon after the file changed: hashed again.
        let mut c = cache(known.1 + 1, known);
        assert_eq!(c.precomputed(&file).unwrap().digest, real.digest);
        assert!(c.hashed);
        // Another length, another change time (a content written with its old modification time put back):
        // hashed again.
        let mut c = cache(settled, (known.0 + 1, known.1, known.2, known.3));
        assert_eq!(c.precomputed(&file).unwrap().digest, real.digest);
        let mut c = cache(settled, (known.0, known.1, known.2 + 1, known.3));
        assert_eq!(c.precomputed(&file).unwrap().digest, real.digest);
    }
}
