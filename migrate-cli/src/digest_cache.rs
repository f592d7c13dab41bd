//! Checksums of migration files the front end computed before, kept between commands, so that answering
//! without the runner (`without_runner`) looks at each file's identity instead of reading and hashing it
//! again: at ten thousand migrations, reading every file would cost more than the rest of the answer.
//!
//! One file per migrations folder in the cache folder `freshness` uses (`$XDG_CACHE_HOME/migrate`, else
//! `~/.cache/migrate`): a header with the time it was written, then one line per migration file, sorted by
//! name, with what identifies the file's content (length, modification time, and on Unix the inode's change
//! time and number, which no tool sets back as `touch -d` sets the modification time), its digest and
//! baseline flag. An entry is trusted only when the file's identity is the one recorded and its modification
//! time is more than [`SETTLED`] older than the cache: a file rewritten within the clock's granularity of
//! being hashed (the same modification time, other content) is hashed again.
//!
//! The folder is read in name order, so the cache is read alongside it, line by line, and never held whole:
//! its memory does not grow with the number of migrations. It is rewritten only when a file had to be
//! hashed. A cache that cannot be read or written only makes the next answer slower.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use migrate_core::{Precomputed, Registry, SourceError};

/// The first word of the header; the second is the format's version, bumped when its meaning changes
/// (another checksum, say), so an older cache is not trusted.
const HEADER: &str = "migrate-digests 1";

/// How much older than the cache a file's modification time must be for its entry to be trusted: more than
/// the coarsest file-system timestamp granularity in common use (FAT's 2 seconds).
const SETTLED: Duration = Duration::from_secs(3);

/// What tells one version of a file from another without reading it: length, modification time
/// (nanoseconds since the epoch), and on Unix the change time (nanoseconds) and inode number.
type Identity = (u64, u128, i128, u64);

/// One line of the cache.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    name: String,
    identity: Identity,
    digest: [u8; 32],
    baseline: bool,
}

/// The cache of one migrations folder, read alongside the folder.
#[derive(Debug)]
pub(crate) struct DigestCache {
    path: Option<PathBuf>,
    /// When the cache was written (nanoseconds since the epoch); 0 when there is none.
    written: u128,
    /// The cache's lines, read one at a time into `line`.
    reader: Option<BufReader<File>>,
    line: String,
    /// The next entry read and not yet passed.
    next: Option<Entry>,
    /// Each file's identity, in the order asked for (the registry's), for writing the cache back.
    identities: Vec<Option<Identity>>,
    /// Whether any file had to be hashed (else the cache on disk is already right).
    hashed: bool,
}

impl DigestCache {
    /// The cache of the folder `dir` (canonical); empty when there is none or it cannot be read.
    pub(crate) fn load(dir: &Path) -> DigestCache {
        DigestCache::open(crate::freshness::cache_dir().map(|base| {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::hash::DefaultHasher::new();
            dir.hash(&mut hasher);
            base.join(format!("digests-{:016x}.txt", hasher.finish()))
        }))
    }

    /// The cache kept in the file `path`.
    fn open(path: Option<PathBuf>) -> DigestCache {
        let mut cache = DigestCache {
            reader: path
                .as_ref()
                .and_then(|p| File::open(p).ok())
                .map(BufReader::new),
            path,
            written: 0,
            line: String::new(),
            next: None,
            identities: Vec::new(),
            hashed: false,
        };
        let written = cache
            .read_line()
            .and_then(|h| h.strip_prefix(HEADER)?.trim().parse().ok());
        match written {
            Some(written) => cache.written = written,
            None => cache.reader = None,
        }
        cache.advance();
        cache
    }

    /// The next line (without its line break), in the one buffer every line is read into.
    fn read_line(&mut self) -> Option<&str> {
        let reader = self.reader.as_mut()?;
        self.line.clear();
        match reader.read_line(&mut self.line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(self.line.trim_end_matches(['\n', '\r'])),
        }
    }

    fn advance(&mut self) {
        self.next = self.read_line().and_then(parse);
    }

    /// The digest and baseline flag of the migration file at `path`: from the cache when the file is the one
    /// it recorded, else read and hashed. Files must come in name order.
    pub(crate) fn precomputed(&mut self, path: &Path) -> Result<Precomputed, SourceError> {
        let meta = std::fs::metadata(path).map_err(|error| SourceError::ReadFile {
            path: path.to_path_buf(),
            error,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        while self.next.as_ref().is_some_and(|e| e.name.as_str() < &*name) {
            self.advance();
        }
        let identity = identity(&meta);
        self.identities.push(identity);
        if let (Some(identity), Some(entry)) = (identity, &self.next) {
            let settled = identity.1 + SETTLED.as_nanos() < self.written;
            if entry.name == name && entry.identity == identity && settled {
                return Ok(Precomputed {
                    digest: entry.digest,
                    baseline: entry.baseline,
                });
            }
        }
        self.hashed = true;
        migrate_core::folder::digest_of(path)
    }

    /// Writes the cache of `registry` (the one read through [`Self::precomputed`]) back when a file had to
    /// be hashed, through a temporary file and a rename, so another command never reads half a cache.
    pub(crate) fn save(self, registry: &Registry) {
        let Some(path) = self.path.filter(|_| self.hashed) else {
            return;
        };
        let Some(written) = nanos(SystemTime::now()) else {
            return;
        };
        let Some(parent) = path.parent() else {
            return;
        };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let temporary = path.with_extension(format!("txt.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut out = BufWriter::new(File::create(&temporary)?);
            writeln!(out, "{HEADER} {written}")?;
            let files = registry
                .migrations
                .iter()
                .chain(registry.repeatables.iter());
            for (m, identity) in files.zip(&self.identities) {
                let Some((len, modified, changed, inode)) = identity else {
                    continue;
                };
                writeln!(
                    out,
                    "{len} {modified} {changed} {inode} {} {} {}.rs",
                    m.checksum(),
                    u8::from(m.precomputed().baseline),
                    m.name()
                )?;
            }
            // No fsync: a cache cut short by a crash only misses lines, which are hashed again.
            out.flush()
        };
        if write()
            .and_then(|()| std::fs::rename(&temporary, &path))
            .is_err()
        {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

/// One line: `<length> <modified> <changed> <inode> <digest> <baseline> <file name>`, its numbers and digest
/// read by hand: at ten thousand lines, reading the cache (the standard 128-bit integer parsers among it) was a
/// seventh of answering `status`.
fn parse(line: &str) -> Option<Entry> {
    let mut rest = line;
    let mut word = || {
        let (word, after) = rest.split_once(' ')?;
        rest = after;
        Some(word)
    };
    let len = u64::try_from(unsigned(word()?)?).ok()?;
    let modified = unsigned(word()?)?;
    let changed = signed(word()?)?;
    let inode = u64::try_from(unsigned(word()?)?).ok()?;
    let digest = unhex(word()?)?;
    let baseline = match word()? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    // The file name is the rest of the line, spaces and all.
    Some(Entry {
        name: rest.to_owned(),
        identity: (len, modified, changed, inode),
        digest,
        baseline,
    })
}

/// Decimal digits (at least one, nothing else) as a number; `None` when it does not fit.
fn unsigned(word: &str) -> Option<u128> {
    let digits = word.as_bytes();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Nineteen digits always fit 64 bits, whose arithmetic is cheaper: the times in nanoseconds have 19.
    if digits.len() <= 19 {
        let n = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        return Some(u128::from(n));
    }
    digits.iter().try_fold(0u128, |n, d| {
        n.checked_mul(10)?.checked_add(u128::from(d - b'0'))
    })
}

/// [`unsigned`] with an optional leading `-`.
fn signed(word: &str) -> Option<i128> {
    match word.strip_prefix('-') {
        Some(digits) => i128::try_from(unsigned(digits)?).ok().map(|n| -n),
        None => i128::try_from(unsigned(word)?).ok(),
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

fn unhex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut digest = [0u8; 32];
    for (byte, pair) in digest.iter_mut().zip(bytes.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the cache writes for a digest: [`migrate_core::Migration::checksum`]'s lowercase hex.
    fn hex(digest: &[u8; 32]) -> String {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hex_and_lines_round_trip() {
        let digest: [u8; 32] = std::array::from_fn(|i| (i * 7) as u8);
        assert_eq!(unhex(&hex(&digest)), Some(digest));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex(&"g".repeat(64)), None);
        let line = format!("12 34 -5 6 {} 1 20260101000000_a.rs", hex(&digest));
        assert_eq!(
            parse(&line),
            Some(Entry {
                name: "20260101000000_a.rs".to_owned(),
                identity: (12, 34, -5, 6),
                digest,
                baseline: true,
            })
        );
        assert_eq!(parse("12 34 -5 6 nothex 1 a.rs"), None);
        assert_eq!(parse("12 34"), None);
        for bad in [
            "",
            "+1",
            "1x",
            "-",
            "1 ",
            "340282366920938463463374607431768211456",
        ] {
            assert_eq!(unsigned(bad), None, "{bad:?}");
        }
        assert_eq!(
            unsigned("340282366920938463463374607431768211455"),
            Some(u128::MAX)
        );
        assert_eq!(signed("-42"), Some(-42));
        assert_eq!(signed("42"), Some(42));
        // A length or inode past u64 is no cache line.
        assert_eq!(parse(&line.replacen("12", "18446744073709551616", 1)), None);
    }

    /// A folder read twice: the second time from the cache (the first hashed every file); a file changed
    /// since is hashed again, whatever its modification time says.
    #[test]
    fn a_cached_digest_is_used_only_for_the_same_settled_file() {
        let folder = tempfile::tempdir().unwrap();
        let cache_home = tempfile::tempdir().unwrap();
        let dir = folder.path().canonicalize().unwrap();
        let up = "use migrate_dsl::prelude::*;\npub fn up(pgm: &mut MigrationBuilder) {}\n";
        for name in [
            "20260101000000_a.rs",
            "20260102000000_b.rs",
            "repeatable_v.rs",
        ] {
            std::fs::write(dir.join(name), up).unwrap();
        }
        let file = cache_home.path().join("digests.txt");
        let read = || {
            let mut cache = DigestCache::open(Some(file.clone()));
            let registry =
                migrate_core::folder::read_registry_with(&dir, &mut |p| cache.precomputed(p))
                    .unwrap();
            let hashed = cache.hashed;
            cache.save(&registry);
            (registry, hashed)
        };
        let (first, hashed) = read();
        assert!(hashed);
        // Written just now, the files are not settled yet: hashed again (and written again).
        let (_, hashed) = read();
        assert!(hashed);
        // Backdate the cache as if written long after the files: trusted.
        let text = std::fs::read_to_string(&file).unwrap();
        let later = nanos(SystemTime::now()).unwrap() + 60 * 1_000_000_000;
        let (_, rest) = text.split_once('\n').unwrap();
        std::fs::write(&file, format!("{HEADER} {later}\n{rest}")).unwrap();
        let (second, hashed) = read();
        assert!(!hashed);
        let digests = |r: &Registry| -> Vec<String> {
            r.migrations
                .iter()
                .chain(r.repeatables.iter())
                .map(|m| m.checksum())
                .collect()
        };
        assert_eq!(digests(&second), digests(&first));
        // Another content with the old modification time put back: the change time differs, so hashed.
        let b = dir.join("20260102000000_b.rs");
        let modified = std::fs::metadata(&b).unwrap().modified().unwrap();
        std::fs::write(&b, format!("{up}// edited\n")).unwrap();
        File::options()
            .write(true)
            .open(&b)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let (third, hashed) = read();
        assert!(hashed);
        assert_ne!(
            third.migrations[1].checksum(),
            second.migrations[1].checksum()
        );
        assert_eq!(
            third.migrations[0].checksum(),
            second.migrations[0].checksum()
        );
    }
}
