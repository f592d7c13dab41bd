//! Whether the runner binary `migrate` built last time is still what `cargo build` would give, so that a
//! command on an unchanged migrations folder starts the runner without running cargo at all.
//!
//! After each build `migrate` writes a stamp (in `$XDG_CACHE_HOME/migrate`, else `~/.cache/migrate`) holding:
//! - what was built: the manifest, package, binary and profile, and the environment variables that change
//!   how or where cargo builds (`CARGO_TARGET_DIR`, `CARGO_BUILD_*`, `CARGO_PROFILE_*`, `RUSTFLAGS`, ...);
//! - the executable cargo reported, with its modification time and size;
//! - every input cargo listed for it in its dep-info file (`<bin>.d` next to the executable): the source files
//!   of the runner's crate and of every path dependency, each migration file, the migrations folder itself
//!   and the build scripts; plus the `Cargo.toml` and `Cargo.lock` files of those packages and of their
//!   parent folders (the workspace); each with a hash of its content as the build left it (for a folder, of
//!   the names in it);
//! - the cargo configuration and toolchain files seen from the current folder (`.cargo/config.toml`,
//!   `rust-toolchain.toml` in it and its parents, and `$CARGO_HOME/config.toml`), with their modification times;
//! - when the build started.
//!
//! The runner is fresh only when all of that still holds: same request and environment, the executable
//! untouched, the same configuration files unchanged, and every input present with the content it had.
//! Content, not modification times: a file copied in with its time kept (`cp -p`, `rsync -a`, a tar
//! extraction, `touch -r`) is as changed as one edited in place. Anything else, including a stamp that
//! cannot be read, means a `cargo build`; since cargo itself goes by modification times, the files found
//! changed are first given the current time ([`mark_changed`]) so that cargo rebuilds from them. The check
//! never runs cargo; it reads one small file and the inputs.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Bumped when the stamp's meaning changes, so an older stamp is not trusted.
const VERSION: u32 = 3;

/// One runner build request: what `cargo build` is asked for, and the environment that shapes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    manifest: PathBuf,
    package: String,
    bin: String,
    profile: String,
    env: Vec<(String, String)>,
}

impl Build {
    pub fn new(manifest: &Path, package: &str, bin: &str, profile: &str) -> Build {
        Build {
            manifest: manifest
                .canonicalize()
                .unwrap_or_else(|_| manifest.to_path_buf()),
            package: package.to_owned(),
            bin: bin.to_owned(),
            profile: profile.to_owned(),
            env: build_env(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Stamp {
    version: u32,
    build: Build,
    started: SystemTime,
    exe: PathBuf,
    exe_modified: SystemTime,
    exe_len: u64,
    /// Cargo configuration and toolchain files seen from the current folder, with their modification times.
    probes: Vec<(PathBuf, SystemTime)>,
    /// Files and folders the runner was built from, each with a hash of its content after the build
    /// (`None`: it changed while cargo ran, so what the build read is not known).
    inputs: Vec<(PathBuf, Option<u64>)>,
}

/// A hash of the content of the file or folder at `path`: a file's bytes, a folder's sorted names. `None`
/// when it cannot be read (removed, say). Not a checksum anyone else sees: it only tells this machine's
/// builds apart, and a stamp written by another version of `migrate` is not read (its `VERSION`).
fn content_hash(path: &Path) -> Option<u64> {
    let mut hasher = std::hash::DefaultHasher::new();
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(path)
            .ok()?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .ok()?;
        names.sort();
        "folder".hash(&mut hasher);
        names.hash(&mut hasher);
    } else {
        let bytes = std::fs::read(path).ok()?;
        bytes.hash(&mut hasher);
    }
    Some(hasher.finish())
}

/// Environment variables that change what cargo builds or where it puts it.
fn build_env() -> Vec<(String, String)> {
    const PREFIXES: &[&str] = &[
        "CARGO_BUILD_",
        "CARGO_PROFILE_",
        "CARGO_TARGET_",
        "CARGO_UNSTABLE_",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_INCREMENTAL",
        "CARGO_HOME",
        "RUSTFLAGS",
        "RUSTC",
        "__CARGO",
    ];
    // `cargo run` (through rustup) sets CARGO_HOME to the default a shell leaves unset: the same build either
    // way, so `migrate` run both ways shares one note. The toolchain is not part of it: another compiler
    // builds the same migrations.
    let default_home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo"));
    let mut env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
        .filter(|(k, _)| PREFIXES.iter().any(|p| k.starts_with(p)))
        .filter(|(k, v)| !(k == "CARGO_HOME" && default_home.as_deref() == Some(Path::new(v))))
        .collect();
    env.sort();
    env
}

/// The folder of the front end's notes (this module's stamps).
pub(crate) fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("migrate"))
}

fn stamp_path(build: &Build) -> Option<PathBuf> {
    // The file name only spreads requests over files; the stamp itself is compared in full.
    let mut hasher = std::hash::DefaultHasher::new();
    (&build.manifest, &build.package, &build.bin, &build.profile).hash(&mut hasher);
    Some(cache_dir()?.join(format!("runner-{:016x}.json", hasher.finish())))
}

/// Why the runner has to be built: what a person waiting for the build is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// No note of an earlier build of this runner with this profile (or none that this version reads).
    FirstBuild,
    /// Files it is built from changed since the last build: `files` edited or removed, `folders` whose list
    /// of files changed (a migration added, removed or renamed). `paths` are what changed, with the files
    /// new in those folders: what [`mark_changed`] gives the current time.
    Changed {
        files: usize,
        folders: usize,
        paths: Vec<PathBuf>,
    },
    /// The build settings changed: the environment, cargo's configuration, the toolchain files.
    Settings,
    /// The runner cargo built last time is gone or was replaced.
    Executable,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::FirstBuild => f.write_str("first build"),
            Stale::Changed { files, folders, .. } => {
                let files = match files {
                    0 => None,
                    1 => Some("1 changed file".to_owned()),
                    n => Some(format!("{n} changed files")),
                };
                let folders = (*folders > 0).then_some("files added or removed");
                match (files, folders) {
                    (Some(files), Some(folders)) => write!(f, "{files}, {folders}"),
                    (Some(files), None) => f.write_str(&files),
                    (None, Some(folders)) => f.write_str(folders),
                    (None, None) => f.write_str("changed files"),
                }
            }
            Stale::Settings => f.write_str("the build settings changed"),
            Stale::Executable => f.write_str("the runner built last time is gone or was replaced"),
        }
    }
}

/// Whether the runner last built for `build` was built from the migrations folder `dir` (a canonical path):
/// its build listed that folder among its inputs. `false` without a readable note of such a build. The
/// runner refuses a configured folder other than the one it compiled, so an answer that reads the folder
/// instead of running the runner must first know that the runner compiles this one.
pub fn built_from_folder(build: &Build, dir: &Path) -> bool {
    let Some(path) = stamp_path(build) else {
        return false;
    };
    std::fs::read(path).is_ok_and(|text| stamp_lists_folder(&text, build, dir))
}

/// Whether the stamp `text` is one of this version for `build` that lists `dir` among its inputs.
fn stamp_lists_folder(text: &[u8], build: &Build, dir: &Path) -> bool {
    /// What this check reads of a stamp: its paths borrowed from the text, not allocated one by one, and
    /// the other fields skipped (at 10,000 migrations the whole stamp was 7 M instructions of `status`).
    #[derive(Deserialize)]
    struct Head<'a> {
        version: u32,
        build: Build,
        #[serde(borrow)]
        inputs: Vec<Input<'a>>,
    }
    /// A path as the text holds it: borrowed, unless JSON escaped something in it (`borrow` on a
    /// `Vec<Cow<str>>` itself would not reach its elements), and its content's hash, skipped.
    #[derive(Deserialize)]
    struct Input<'a>(
        #[serde(borrow)] std::borrow::Cow<'a, str>,
        #[allow(dead_code)] serde::de::IgnoredAny,
    );
    match serde_json::from_slice::<Head>(text) {
        Ok(stamp) => {
            stamp.version == VERSION
                && stamp.build == *build
                && stamp.inputs.iter().any(|input| Path::new(&*input.0) == dir)
        }
        Err(_) => false,
    }
}

/// The runner's executable when it is fresh for `build`, else why it is not.
pub fn fresh_runner(build: &Build) -> Result<PathBuf, Stale> {
    let path = stamp_path(build).ok_or(Stale::FirstBuild)?;
    let text = std::fs::read(path).map_err(|_| Stale::FirstBuild)?;
    let stamp: Stamp = serde_json::from_slice(&text).map_err(|_| Stale::FirstBuild)?;
    if stamp.version != VERSION {
        return Err(Stale::FirstBuild);
    }
    if stamp.build != *build || probes() != stamp.probes {
        return Err(Stale::Settings);
    }
    let exe = std::fs::metadata(&stamp.exe).map_err(|_| Stale::Executable)?;
    if !exe.is_file()
        || exe.modified().ok() != Some(stamp.exe_modified)
        || exe.len() != stamp.exe_len
    {
        return Err(Stale::Executable);
    }
    // Every input is looked at, so the count is the whole change, not the first one found.
    let (mut files, mut folders, mut paths) = (0, 0, Vec::new());
    // A set: a folder of 10,000 migrations is checked entry by entry against as many inputs.
    let inputs: std::collections::HashSet<&Path> =
        stamp.inputs.iter().map(|(i, _)| i.as_path()).collect();
    for (input, built) in &stamp.inputs {
        let now = content_hash(input);
        if built.is_some() && now == *built {
            continue;
        }
        // Only content known to differ is marked for cargo: a file that changed while cargo ran is newer
        // than cargo's build to cargo already, and marking it would rebuild what it feeds (a sealed chunk)
        // even when it holds what the build read.
        let known_changed = built.is_some() && now.is_some();
        if input.is_dir() {
            folders += 1;
            // A file that arrived with an old time (`rsync -a`, `tar x`) is not newer than the build to cargo
            // either: it is marked too.
            let known = |p: &Path| inputs.contains(p);
            if let (true, Ok(entries)) = (known_changed, std::fs::read_dir(input)) {
                paths.extend(
                    entries
                        .filter_map(|e| Some(e.ok()?.path()))
                        .filter(|p| p.is_file() && !known(p)),
                );
            }
        } else {
            files += 1;
        }
        if known_changed {
            paths.push(input.clone());
        }
    }
    if files + folders > 0 {
        return Err(Stale::Changed {
            files,
            folders,
            paths,
        });
    }
    Ok(stamp.exe)
}

/// Gives the files and folders `paths` the current modification time, so that cargo, which compares times,
/// rebuilds from what they hold now. One that cannot be touched (read-only, removed) is left as it is: the
/// runner then finds its compiled migrations differ from the folder and refuses to run, naming them.
pub fn mark_changed(paths: &[PathBuf]) {
    let now = std::fs::FileTimes::new().set_modified(SystemTime::now());
    for path in paths {
        if let Ok(file) = std::fs::File::open(path) {
            let _ = file.set_times(now);
        }
    }
}

/// Whether a file last modified at `modified` was read by a build that started at `started`. File times
/// lag the clock by up to a scheduler tick, and some file systems keep whole seconds only (a time with no
/// fraction), hence the margins: a file changed around the start is taken as changed after it.
fn before(modified: SystemTime, started: SystemTime) -> bool {
    let whole_seconds = modified
        .duration_since(UNIX_EPOCH)
        .map_or(true, |d| d.subsec_nanos() == 0);
    let margin = if whole_seconds {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(20)
    };
    modified.checked_add(margin).is_some_and(|m| m < started)
}

/// Notes that `exe` was built for `build` by a cargo run that started at `started`, just after
/// [`mark_changed`] gave `marked` the current time. When its inputs cannot all be listed, the stamp is
/// removed instead, so the next command builds again. Returns whether the note was written with every input
/// as the build read it (none changed while cargo ran): the runner then holds what the files hold.
pub fn record(build: &Build, exe: &Path, started: SystemTime, marked: &[PathBuf]) -> bool {
    let Some(path) = stamp_path(build) else {
        return false;
    };
    let mut settled = false;
    let written = stamp(build, exe, started, marked).and_then(|stamp| {
        settled = stamp.inputs.iter().all(|(_, hash)| hash.is_some());
        let dir = path.parent()?;
        std::fs::create_dir_all(dir).ok()?;
        let json = serde_json::to_vec(&stamp).ok()?;
        // Written whole, then renamed: a concurrent `migrate` reads the old stamp or the new one.
        let tmp = dir.join(format!(
            ".{}.{}",
            path.file_name()?.to_string_lossy(),
            std::process::id()
        ));
        std::fs::write(&tmp, json).ok()?;
        std::fs::rename(&tmp, &path).ok()
    });
    if written.is_none() {
        let _ = std::fs::remove_file(&path);
        return false;
    }
    settled
}

fn stamp(build: &Build, exe: &Path, started: SystemTime, marked: &[PathBuf]) -> Option<Stamp> {
    let meta = std::fs::metadata(exe).ok()?;
    let out_dir = exe.parent()?;
    let name = exe.file_name()?.to_str()?;
    let name = name
        .strip_suffix(std::env::consts::EXE_SUFFIX)
        .unwrap_or(name);
    let dep_info = std::fs::read_to_string(out_dir.join(format!("{name}.d"))).ok()?;
    let mut inputs = Vec::new();
    for path in dep_info_inputs(&dep_info)? {
        // Relative paths (`build.dep-info-basedir`) cannot be checked from here.
        if !path.is_absolute() {
            return None;
        }
        // Written by the build itself (the generated registry): outputs, not inputs.
        if path.starts_with(out_dir) {
            continue;
        }
        inputs.push(path);
    }
    if inputs.is_empty() {
        return None;
    }
    // The manifests and lockfiles of every package listed, and of the folders above them (the workspace).
    let mut folders: Vec<PathBuf> = inputs
        .iter()
        .filter_map(|p| p.parent().map(Path::to_path_buf))
        .chain(build.manifest.parent().map(Path::to_path_buf))
        .collect();
    folders.sort();
    folders.dedup();
    let mut seen = std::collections::BTreeSet::new();
    let mut manifests = Vec::new();
    for folder in &folders {
        for dir in folder.ancestors() {
            if !seen.insert(dir.to_path_buf()) {
                break;
            }
            for file in ["Cargo.toml", "Cargo.lock"] {
                let candidate = dir.join(file);
                if candidate.is_file() {
                    manifests.push(candidate);
                }
            }
        }
    }
    inputs.extend(manifests);
    inputs.sort();
    inputs.dedup();
    let inputs = inputs
        .into_iter()
        .map(|path| {
            // A file changed after the build started may or may not be what cargo read: not known. Cargo
            // rewrites a lockfile itself during the build (a new dependency resolved), and then what it holds
            // now is what the build used. The files marked just before the build are newer than its start only by that mark.
            let lockfile = path.file_name().is_some_and(|n| n == "Cargo.lock");
            let settled = marked.contains(&path)
                || std::fs::metadata(&path)
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .is_some_and(|modified| before(modified, started));
            let hash = (settled || lockfile).then(|| content_hash(&path)).flatten();
            (path, hash)
        })
        .collect();
    Some(Stamp {
        version: VERSION,
        build: build.clone(),
        started,
        exe: exe.to_path_buf(),
        exe_modified: meta.modified().ok()?,
        exe_len: meta.len(),
        probes: probes(),
        inputs,
    })
}

/// The prerequisites of the first rule of a Makefile-style dep-info file (`target: dep dep ...`, spaces in
/// names escaped with a backslash), or `None` when it has no rule.
fn dep_info_inputs(text: &str) -> Option<Vec<PathBuf>> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.push(chars.next()?),
            ' ' | '\t' => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut words = words.into_iter();
    // The target ends with the rule's colon.
    words.find(|w| w.ends_with(':'))?;
    Some(words.map(PathBuf::from).collect())
}

/// The cargo configuration and toolchain files that apply from the current folder, with their modification
/// times: a new, removed or edited one may change the profile, the target folder or the compiler.
fn probes() -> Vec<(PathBuf, SystemTime)> {
    let mut candidates = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            for file in [
                ".cargo/config",
                ".cargo/config.toml",
                "rust-toolchain",
                "rust-toolchain.toml",
            ] {
                candidates.push(dir.join(file));
            }
        }
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        candidates.push(home.join("config"));
        candidates.push(home.join("config.toml"));
    }
    candidates
        .into_iter()
        .filter_map(|p| {
            let modified = std::fs::metadata(&p).ok()?.modified().ok()?;
            Some((p, modified))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_dep_info() {
        let inputs = dep_info_inputs(
            "/t/debug/app-migrate: /p/src/main.rs /p/my\\ dir/m.rs /p/migrations\n\n/p/src/main.rs:\n",
        )
        .unwrap();
        assert_eq!(
            inputs,
            [
                PathBuf::from("/p/src/main.rs"),
                PathBuf::from("/p/my dir/m.rs"),
                PathBuf::from("/p/migrations")
            ]
        );
        assert!(dep_info_inputs("").is_none());
        assert!(dep_info_inputs("no rule here").is_none());
    }

    #[test]
    fn says_why_it_builds() {
        let changed = |files, folders| {
            Stale::Changed {
                files,
                folders,
                paths: Vec::new(),
            }
            .to_string()
        };
        assert_eq!(Stale::FirstBuild.to_string(), "first build");
        assert_eq!(changed(1, 0), "1 changed file");
        assert_eq!(changed(3, 0), "3 changed files");
        assert_eq!(changed(0, 1), "files added or removed");
        assert_eq!(changed(2, 1), "2 changed files, files added or removed");
    }

    #[test]
    fn a_file_changed_around_the_build_start_counts_as_changed() {
        let started = UNIX_EPOCH + Duration::from_secs(1_000) + Duration::from_millis(500);
        let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
        assert!(before(at(1_000_400), started));
        assert!(!before(at(1_000_490), started));
        assert!(!before(at(1_000_600), started));
        // Whole seconds: the file system may have cut off the fraction.
        assert!(!before(at(999_000), started));
        assert!(before(at(998_000) + Duration::from_nanos(1), started));
    }

    /// The folder check reads the stamp `record` writes: a listed folder (also one whose path JSON escapes),
    /// not another folder, another build or another version.
    #[test]
    fn the_folder_check_reads_a_written_stamp() {
        let build = Build {
            manifest: PathBuf::from("/p/Cargo.toml"),
            package: "p".to_owned(),
            bin: "p-migrate".to_owned(),
            profile: "dev".to_owned(),
            env: Vec::new(),
        };
        let stamp = |version, inputs: &[&str]| {
            serde_json::to_vec(&Stamp {
                version,
                build: build.clone(),
                started: UNIX_EPOCH,
                exe: PathBuf::from("/t/debug/p-migrate"),
                exe_modified: UNIX_EPOCH,
                exe_len: 1,
                probes: vec![(PathBuf::from("/p/.cargo/config.toml"), UNIX_EPOCH)],
                inputs: inputs.iter().map(|i| (PathBuf::from(i), Some(1))).collect(),
            })
            .unwrap()
        };
        let quoted = "/p/my \"quoted\" dir/migrations";
        let text = stamp(VERSION, &["/p/Cargo.toml", "/p/migrations", quoted]);
        assert!(stamp_lists_folder(
            &text,
            &build,
            Path::new("/p/migrations")
        ));
        assert!(stamp_lists_folder(&text, &build, Path::new(quoted)));
        assert!(!stamp_lists_folder(
            &text,
            &build,
            Path::new("/q/migrations")
        ));
        let other = Build {
            profile: "release".to_owned(),
            ..build.clone()
        };
        assert!(!stamp_lists_folder(
            &text,
            &other,
            Path::new("/p/migrations")
        ));
        let old = stamp(VERSION - 1, &["/p/migrations"]);
        assert!(!stamp_lists_folder(
            &old,
            &build,
            Path::new("/p/migrations")
        ));
        assert!(!stamp_lists_folder(
            b"{",
            &build,
            Path::new("/p/migrations")
        ));
    }
}
