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
use std::io::{self, BufRead, BufReader, BufWriter, Write};
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
/// Nanoseconds in 64 bits, so that each file's identity, held until the cache is written back, takes 40 bytes
/// instead of 64: modification times up to the year 2554, change times from 1678 to 2262; a file with a time
/// outside those has no identity and is hashed every time.
type Identity = (u64, u64, i64, u64);

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
    /// The migrations folder, where its files are looked up by name.
    folder: by_name::OpenFolder,
    /// When the cache was written (nanoseconds since the epoch); 0 when there is none.
    written: u128,
    /// The cache's lines, read one at a time into `line`.
    reader: Option<BufReader<File>>,
    line: Vec<u8>,
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
        let path = crate::freshness::cache_dir().map(|base| {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::hash::DefaultHasher::new();
            dir.hash(&mut hasher);
            base.join(format!("digests-{:016x}.txt", hasher.finish()))
        });
        DigestCache::open(path, dir)
    }

    /// The cache kept in the file `path`, of the folder `dir` (canonical).
    fn open(path: Option<PathBuf>, dir: &Path) -> DigestCache {
        let mut cache = DigestCache {
            folder: by_name::OpenFolder::open(dir),
            reader: path
                .as_ref()
                .and_then(|p| File::open(p).ok())
                .map(BufReader::new),
            path,
            written: 0,
            line: Vec::new(),
            next: None,
            identities: Vec::new(),
            hashed: false,
        };
        let written = cache.read_line().and_then(|h| {
            let h = std::str::from_utf8(h).ok()?;
            h.strip_prefix(HEADER)?.trim().parse().ok()
        });
        match written {
            Some(written) => cache.written = written,
            None => cache.reader = None,
        }
        cache.advance();
        cache
    }

    /// The next line (without its line break), in the one buffer every line is read into. Bytes: only the
    /// file name at its end must be UTF-8, which [`parse`] checks.
    fn read_line(&mut self) -> Option<&[u8]> {
        let reader = self.reader.as_mut()?;
        self.line.clear();
        match reader.read_until(b'\n', &mut self.line) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let mut line = self.line.as_slice();
                while let [rest @ .., b'\n' | b'\r'] = line {
                    line = rest;
                }
                Some(line)
            }
        }
    }

    fn advance(&mut self) {
        // The entry passed gives its name's allocation to the next.
        let passed = self.next.take().map(|e| e.name);
        self.next = self.read_line().and_then(|line| parse(line, passed));
    }

    /// The identity of the file at `path`: by its name in the open folder when it is one of the folder's,
    /// else by its path.
    fn look_up(&mut self, path: &Path) -> io::Result<Option<Identity>> {
        self.folder
            .identity(path)
            .unwrap_or_else(|| std::fs::metadata(path).map(|meta| identity(&meta)))
    }

    /// The digest and baseline flag of the migration file at `path`: from the cache when the file is the one
    /// it recorded, else read and hashed. Files must come in name order.
    pub(crate) fn precomputed(&mut self, path: &Path) -> Result<Precomputed, SourceError> {
        let identity = self.look_up(path).map_err(|error| SourceError::ReadFile {
            path: path.to_path_buf(),
            error,
        })?;
        let name = file_name(path);
        while self.next.as_ref().is_some_and(|e| e.name.as_str() < &*name) {
            self.advance();
        }
        self.identities.push(identity);
        if let (Some(identity), Some(entry)) = (identity, &self.next) {
            let settled = u128::from(identity.1) + SETTLED.as_nanos() < self.written;
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
/// read by hand from the bytes: at ten thousand lines, reading the cache (the standard 128-bit integer
/// parsers, then splitting UTF-8 text at spaces) was a seventh, then a fifth of answering `status`. The name
/// is written into `name` when given (the passed entry's, whose allocation is reused).
fn parse(line: &[u8], name: Option<String>) -> Option<Entry> {
    let mut rest = line;
    let mut word = || {
        let at = rest.iter().position(|&b| b == b' ')?;
        let word = &rest[..at];
        rest = &rest[at + 1..];
        Some(word)
    };
    let len = unsigned(word()?)?;
    let modified = unsigned(word()?)?;
    let changed = signed(word()?)?;
    let inode = unsigned(word()?)?;
    let digest = unhex(word()?)?;
    let baseline = match word()? {
        b"0" => false,
        b"1" => true,
        _ => return None,
    };
    // The file name is the rest of the line, spaces and all.
    let mut name = name.unwrap_or_default();
    name.clear();
    name.push_str(std::str::from_utf8(rest).ok()?);
    Some(Entry {
        name,
        identity: (len, modified, changed, inode),
        digest,
        baseline,
    })
}

/// Decimal digits (at least one, nothing else) as a number; `None` when it does not fit 64 bits.
fn unsigned(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Nineteen digits always fit 64 bits unchecked: the times in nanoseconds have 19.
    if digits.len() <= 19 {
        return Some(digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')));
    }
    digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// [`unsigned`] with an optional leading `-`, in 64 bits.
fn signed(word: &[u8]) -> Option<i64> {
    match word.strip_prefix(b"-") {
        Some(digits) => i64::try_from(-i128::from(unsigned(digits)?)).ok(),
        None => i64::try_from(unsigned(word)?).ok(),
    }
}

fn identity(meta: &std::fs::Metadata) -> Option<Identity> {
    let modified = u64::try_from(nanos(meta.modified().ok()?)?).ok()?;
    #[cfg(unix)]
    let (changed, inode) = {
        use std::os::unix::fs::MetadataExt;
        (changed_nanos(meta.ctime(), meta.ctime_nsec())?, meta.ino())
    };
    #[cfg(not(unix))]
    let (changed, inode) = (0, 0);
    Some((meta.len(), modified, changed, inode))
}

/// The file name of `path` as text (migration names are UTF-8), empty when it has none.
fn file_name(path: &Path) -> std::borrow::Cow<'_, str> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let name = match bytes.iter().rposition(|&b| b == b'/') {
            Some(at) => &bytes[at + 1..],
            None => bytes,
        };
        // A path ending in a separator (no file name) is no migration's: the empty name matches no line.
        String::from_utf8_lossy(name)
    }
    #[cfg(not(unix))]
    path.file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default()
}

/// Each file of the migrations folder looked up by its name in the folder, held open (`fstatat` on its
/// descriptor), rather than by its whole path, which the kernel resolves component by component for each
/// file: at 10,000 files, 13 ms of `stat` became 8.5 (see BENCHMARKS.md). On 64-bit Linux, where `libc::stat`
/// has the fields as std reads them; elsewhere [`OpenFolder::identity`] leaves every file to its path.
mod by_name {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    pub(super) use linux::OpenFolder;
    #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
    pub(super) use other::OpenFolder;

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    mod linux {
        use std::fs::File;
        use std::path::{Path, PathBuf};

        use super::super::{changed_nanos, io, Identity};

        #[derive(Debug)]
        pub(in super::super) struct OpenFolder {
            /// The folder (canonical) and its descriptor; `None` when it could not be opened.
            open: Option<(PathBuf, File)>,
            /// The name being looked up, NUL-terminated, in one reused buffer.
            c_name: Vec<u8>,
        }

        impl OpenFolder {
            pub(in super::super) fn open(dir: &Path) -> OpenFolder {
                OpenFolder {
                    open: File::open(dir).ok().map(|file| (dir.to_path_buf(), file)),
                    c_name: Vec::new(),
                }
            }

            /// The identity of `path` when it is a file of the folder; `None` to look it up by its path.
            pub(in super::super) fn identity(
                &mut self,
                path: &Path,
            ) -> Option<io::Result<Option<Identity>>> {
                let (dir, folder) = self.open.as_ref()?;
                Some(stat_at(folder, name_in(dir, path)?, &mut self.c_name))
            }
        }

        /// The name of `path` when it is a file directly in `dir`, by comparing bytes: `Path::parent` and
        /// `Path::file_name` parse the path's components, 1,500 instructions a file.
        fn name_in<'p>(dir: &Path, path: &'p Path) -> Option<&'p std::ffi::OsStr> {
            use std::os::unix::ffi::OsStrExt;
            let rest = path
                .as_os_str()
                .as_bytes()
                .strip_prefix(dir.as_os_str().as_bytes())?;
            let name = rest.strip_prefix(b"/")?;
            (!name.is_empty() && !name.contains(&b'/')).then(|| std::ffi::OsStr::from_bytes(name))
        }

        /// [`identity`](super::super::identity) of the file `name` in the open folder `folder`, `name` copied
        /// NUL-terminated into `c_name`.
        fn stat_at(
            folder: &File,
            name: &std::ffi::OsStr,
            c_name: &mut Vec<u8>,
        ) -> io::Result<Option<Identity>> {
            use std::os::fd::AsRawFd;
            use std::os::unix::ffi::OsStrExt;
            c_name.clear();
            c_name.extend_from_slice(name.as_bytes());
            c_name.push(0);
            let c_name = std::ffi::CStr::from_bytes_with_nul(c_name)
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
            let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
            // SAFETY: the descriptor is the open folder's, the name is NUL-terminated, and `stat` is written
            // by the call before it is read (only when it succeeds).
            if unsafe { libc::fstatat(folder.as_raw_fd(), c_name.as_ptr(), stat.as_mut_ptr(), 0) }
                != 0
            {
                return Err(io::Error::last_os_error());
            }
            let stat = unsafe { stat.assume_init() };
            // As `identity` reads std's metadata: no modification time before the epoch.
            let modified = || {
                let secs = u64::try_from(stat.st_mtime).ok()?;
                let nsec = u64::try_from(stat.st_mtime_nsec).ok()?;
                secs.checked_mul(1_000_000_000)?.checked_add(nsec)
            };
            let (Some(modified), Some(changed)) =
                (modified(), changed_nanos(stat.st_ctime, stat.st_ctime_nsec))
            else {
                return Ok(None);
            };
            Ok(Some((
                u64::try_from(stat.st_size).unwrap_or(0),
                modified,
                changed,
                stat.st_ino,
            )))
        }

        #[cfg(test)]
        mod tests {
            use super::*;

            #[test]
            fn a_name_in_the_folder_is_found_by_comparing_bytes() {
                let name_in =
                    |path: &'static str| name_in(Path::new("/p/migrations"), Path::new(path));
                assert_eq!(name_in("/p/migrations/a.rs"), Some("a.rs".as_ref()));
                assert_eq!(name_in("/p/migrations/sub/a.rs"), None);
                assert_eq!(name_in("/p/migrations2/a.rs"), None);
                assert_eq!(name_in("/p/migrations/"), None);
                assert_eq!(name_in("/p/a.rs"), None);
            }
        }
    }

    #[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
    mod other {
        use std::path::Path;

        use super::super::{io, Identity};

        /// Every file looked up by its path.
        #[derive(Debug)]
        pub(in super::super) struct OpenFolder;

        impl OpenFolder {
            pub(in super::super) fn open(_dir: &Path) -> OpenFolder {
                OpenFolder
            }

            pub(in super::super) fn identity(
                &mut self,
                _path: &Path,
            ) -> Option<io::Result<Option<Identity>>> {
                None
            }
        }
    }
}

/// A change time in nanoseconds since the epoch, when it fits 64 bits.
#[cfg(unix)]
fn changed_nanos(secs: i64, nsec: i64) -> Option<i64> {
    secs.checked_mul(1_000_000_000)?.checked_add(nsec)
}

fn nanos(time: SystemTime) -> Option<u128> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_nanos())
}

fn unhex(bytes: &[u8]) -> Option<[u8; 32]> {
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
        assert_eq!(unhex(hex(&digest).as_bytes()), Some(digest));
        assert_eq!(unhex(b"zz"), None);
        assert_eq!(unhex("g".repeat(64).as_bytes()), None);
        let parse = |line: &str| parse(line.as_bytes(), None);
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
        for bad in ["", "+1", "1x", "-", "1 ", "18446744073709551616"] {
            assert_eq!(unsigned(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(unsigned(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(signed(b"-42"), Some(-42));
        assert_eq!(signed(b"42"), Some(42));
        assert_eq!(signed(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(signed(b"9223372036854775808"), None);
        // A name that is not UTF-8 is no cache line; one with spaces is a name.
        let mut bytes = line.clone().into_bytes();
        bytes.push(0xff);
        assert_eq!(super::parse(&bytes, None), None);
        let spaced = line.replace("_a.rs", "_a b.rs");
        assert_eq!(
            super::parse(spaced.as_bytes(), Some("reused".to_owned())).map(|e| e.name),
            Some("20260101000000_a b.rs".to_owned())
        );
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
            let mut cache = DigestCache::open(Some(file.clone()), &dir);
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

    /// A file of the folder is looked up by name in the open folder; its identity is the one std's metadata
    /// gives (the cache is written from one and read with the other), and a file elsewhere still by path.
    #[test]
    fn a_file_looked_up_in_the_folder_has_the_identity_of_its_metadata() {
        let folder = tempfile::tempdir().unwrap();
        let dir = folder.path().canonicalize().unwrap();
        let file = dir.join("20260101000000_a.rs");
        std::fs::write(&file, "pub fn up() {}\n").unwrap();
        let mut cache = DigestCache::open(None, &dir);
        let expected = identity(&std::fs::metadata(&file).unwrap());
        assert!(expected.is_some());
        assert_eq!(cache.look_up(&file).unwrap(), expected);
        // By name in the open folder (on 64-bit Linux), with the same identity.
        #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
        assert_eq!(cache.folder.identity(&file).unwrap().unwrap(), expected);
        let missing = dir.join("20260102000000_b.rs");
        assert_eq!(
            cache.look_up(&missing).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        // Looked up through the open folder, not the path: found after the folder moved.
        #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
        {
            let moved = folder.path().with_extension("moved");
            std::fs::rename(&dir, &moved).unwrap();
            assert_eq!(cache.look_up(&file).unwrap(), expected);
            std::fs::rename(&moved, &dir).unwrap();
        }
        assert_eq!(file_name(Path::new("/p/migrations/a b.rs")), "a b.rs");
        assert_eq!(file_name(Path::new("a.rs")), "a.rs");
        let elsewhere = tempfile::tempdir().unwrap();
        let other = elsewhere.path().join("20260101000000_a.rs");
        std::fs::write(&other, "pub fn up() {} // longer\n").unwrap();
        // Not the folder's: by its path.
        assert!(cache.folder.identity(&other).is_none());
        assert_eq!(
            cache.look_up(&other).unwrap(),
            identity(&std::fs::metadata(&other).unwrap())
        );
    }
}
