//! Build-script support: compiles a migrations folder into the crate that owns it.
//!
//! Rust cannot load a `.rs` file at run time, so the crate owning the folder generates a registry at build
//! time. Its `build.rs` is one line:
//!
//! ```no_run
//! // build.rs, the body of its `fn main`
//! migrate_core::build::compile_migrations("migrations");
//! ```
//!
//! and its library includes the result:
//!
//! ```text
//! // src/migrations.rs (needs the OUT_DIR of a build script, so it is shown, not compiled here;
//! // example-app/src/migrations.rs is this line in use)
//! include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
//! ```
//!
//! which defines `MIGRATIONS: &Migrations` (ordered by timestamp; it dereferences to `[Migration]`) and
//! `REGISTRY: Registry`. Each migration's
//! checksum is computed here, with whether it is a squashed baseline ([`Precomputed`](crate::Precomputed)), so
//! the runner applies migrations and shows their status without reading any source. The migrations are written
//! as tables ([`Compiled`](crate::Compiled)): all names in one string, the digests, and one function that finds a
//! migration's `up`, `down` and source by its position, so nothing is stored (or relocated at start) per
//! migration but its name, digest and flag. Each file becomes
//! a module declared with an absolute `#[path]`, so the compiler reports errors at the migration file's own
//! path and line, and rust-analyzer resolves the `pgm` API inside it. `cargo:rerun-if-changed` on the folder
//! makes adding, renaming, editing or removing a file rebuild the registry: there is no hand-kept module list.
//!
//! A folder with seal lists ([`crate::seal`]) is compiled by several build scripts: each sealed chunk's
//! ([`compile_sealed_chunk`]) compiles the migrations its list names, and the owning crate's
//! ([`compile_migrations`]) the others, with a registry that checks each chunk's digest and merges them all.
//! The first layout's one sealed crate ([`compile_sealed_migrations`]) keeps building until its first seal.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::seal::{SealList, Sealed};
use crate::source::{scan, scan_all, MigrationFile, RepeatableFile, SourceError};

/// What the build script found in each file.
#[derive(Debug)]
struct Found {
    file: MigrationFile,
    has_down: bool,
    /// The checksum's digest and whether it is a baseline, computed here so that the runner need not read
    /// the source.
    precomputed: crate::Precomputed,
}

/// Generates the registry for `dir` (relative to the package's `CARGO_MANIFEST_DIR`) into
/// `$OUT_DIR/migrations.rs`. Meant to be called from `build.rs`: on a bad folder or file name it prints a
/// readable error naming the file and exits the build script with status 1.
///
/// When the folder has seal lists ([`crate::seal`]), the listed migrations come from the crate
/// `sealed_migrations` (the package's dependency on its sealed-migrations package, which `migrate init` sets
/// up, re-exporting one crate per chunk) and only the others are compiled here.
pub fn compile_migrations(dir: &str) {
    compile_or_exit(dir, "migrations.rs", Part::Owner);
}

/// Like [`compile_migrations`], writing `$OUT_DIR/<file_name>` instead, for a crate that compiles several
/// folders (such as test fixtures). It compiles every migration of the folder, whatever its seal list says:
/// such a crate has no sealed-migrations crate of its own.
pub fn compile_migrations_to(dir: &str, file_name: &str) {
    compile_or_exit(dir, file_name, Part::Whole);
}

fn compile_or_exit(dir: &str, file_name: &str, part: Part) {
    if let Err(message) = try_compile(dir, file_name, part) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

/// For the build script of the first layout's sealed package (one crate for every sealed migration, before
/// chunks): compiles the migrations of `dir` (relative to the package's `CARGO_MANIFEST_DIR`, e.g.
/// `"../migrations"`) that its `sealed.txt` names ([`crate::seal`]) into `$OUT_DIR/migrations.rs`, which defines
/// `pub static TABLE` and `pub const SEALED_DIGEST` for the owning crate's registry. It watches only the list
/// and the listed files, so a new migration in the folder does not rebuild it. On a bad file, or a listed
/// migration missing from the folder, it prints an error naming it and exits with status 1.
///
/// Packages set up since chunks exist use [`compile_sealed_chunk`]; this one keeps the first layout
/// building until its first seal moves it to chunks.
///
/// ```no_run
/// // sealed-migrations/build.rs (the first layout), the body of its `fn main`
/// migrate_core::build::compile_sealed_migrations("../migrations");
/// ```
pub fn compile_sealed_migrations(dir: &str) {
    compile_or_exit(dir, "migrations.rs", Part::Sealed);
}

/// For the build script of sealed chunk `index` (its package, `sealed-migrations/chunks/<index:04>/`, is
/// written by `migrate`): compiles the migrations of `dir` (relative to the package's `CARGO_MANIFEST_DIR`,
/// e.g. `"../../../migrations"`) that the chunk's list `sealed/<index:04>.txt` names ([`crate::seal`]) into
/// `$OUT_DIR/migrations.rs`, which defines `pub static TABLE` and `pub const SEALED_DIGEST` for the owning
/// crate's registry. It watches only its list and the files it names, so neither a new migration nor a seal
/// into another chunk rebuilds it. On a bad file, or a listed migration missing from the folder, it prints an
/// error naming the list and the migration and exits with status 1. A missing list compiles nothing (sealing
/// was turned off by deleting the folder `sealed/`).
///
/// ```no_run
/// // sealed-migrations/chunks/0003/build.rs, the body of its `fn main`
/// migrate_core::build::compile_sealed_chunk("../../../migrations", 3);
/// ```
pub fn compile_sealed_chunk(dir: &str, index: u32) {
    compile_or_exit(dir, "migrations.rs", Part::Chunk(index));
}

/// Which migrations of the folder a build script compiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The owning crate: every migration, or with seal lists the unsealed ones merged with the sealed
    /// crates'.
    Owner,
    /// Every migration, seal lists or not.
    Whole,
    /// The first layout's sealed crate: the names in `sealed.txt`.
    Sealed,
    /// A sealed chunk's crate: the names in its list.
    Chunk(u32),
}

fn try_compile(dir: &str, file_name: &str, part: Part) -> Result<(), String> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .ok_or("CARGO_MANIFEST_DIR is not set; call this from build.rs")?;
    let out_dir =
        std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set; call this from build.rs")?;
    let manifest_dir = PathBuf::from(manifest_dir);
    let dir = manifest_dir.join(dir);
    let out_dir = PathBuf::from(out_dir);
    // What each file held last time, by content: only new and edited files are parsed again.
    let cache_path = out_dir.join(format!("{file_name}.parsed.json"));
    let mut cache = ParseCache::load(&cache_path);
    let code = match part {
        // A fixture crate compiles the whole folder, as if it had no list.
        Part::Whole => {
            println!("cargo:rerun-if-changed={}", dir.display());
            generate_registry_with(&dir, None, None, &mut cache)
        }
        Part::Owner => {
            // Watch the folder itself (and so the lists in it): cargo then reruns on any file added, removed,
            // renamed or touched in it.
            println!("cargo:rerun-if-changed={}", dir.display());
            let sealed = Sealed::read(&dir).map_err(|e| e.to_string())?;
            if let Some(sealed) = &sealed {
                check_owner_setup(&manifest_dir, sealed)?;
            }
            let config = settings_file(&manifest_dir)?;
            generate_registry_with(&dir, sealed.as_ref(), config.as_ref(), &mut cache)
        }
        // A sealed crate watches its list and what it names, not the folder: a new file in the folder must
        // not rebuild it.
        Part::Sealed => {
            let list = SealList::read(&dir).map_err(|e| e.to_string())?;
            let list = list.unwrap_or_else(|| SealList::empty(&dir));
            println!("cargo:rerun-if-changed={}", list.path.display());
            generate_sealed_with(&dir, &list, &mut cache)
        }
        Part::Chunk(index) => {
            // The chunk's folder is three levels down: errors and cargo's messages name the list by its
            // plain path, not `chunks/0003/../../../migrations/...`.
            let dir = canonical(&dir).map_err(|e| e.to_string())?;
            let path = crate::seal::chunk_list_path(&dir, index);
            let list = SealList::read_file(&path).map_err(|e| e.to_string())?;
            // Without its list (sealing turned off) the chunk compiles nothing; it watches the folder then,
            // since cargo would rerun a build script watching a missing file at every build.
            let watched = if list.is_some() { &path } else { &dir };
            println!("cargo:rerun-if-changed={}", watched.display());
            generate_sealed_with(
                &dir,
                &list.unwrap_or_else(|| SealList::empty_at(path)),
                &mut cache,
            )
        }
    }
    .map_err(|e| e.to_string())?;
    cache.save(&cache_path);
    let out = out_dir.join(file_name);
    // Rewrite only on change, so an unchanged registry does not trigger a recompile.
    if std::fs::read_to_string(&out).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&out, code).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    Ok(())
}

/// The settings file the owning crate's registry carries: the nearest `migrate.toml` upwards from the package,
/// the one its runner finds from the package's folder when it runs there. Watched only when found: cargo
/// reruns a build script that watches a missing file at every build. A file added later is carried from the
/// next build that compiles the folder again (a new or edited migration).
fn settings_file(manifest_dir: &Path) -> Result<Option<(PathBuf, String)>, String> {
    let Some(path) = manifest_dir
        .ancestors()
        .map(|dir| dir.join(SETTINGS_FILE))
        .find(|p| p.is_file())
    else {
        return Ok(None);
    };
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Some((path, text)))
}

/// The file the runner reads its settings from (the runner crate's `config::FILE_NAME`).
const SETTINGS_FILE: &str = "migrate.toml";

/// The registry's `config` field.
fn config_literal(config: Option<&(PathBuf, String)>) -> String {
    match config {
        None => "config: ::core::option::Option::None".to_owned(),
        Some((path, text)) => format!(
            "config: ::core::option::Option::Some(::migrate_core::BuiltConfig {{ path: {:?}, text: {:?} }})",
            path.display().to_string(),
            text
        ),
    }
}

/// Before the owning crate's registry names the sealed crates: what would otherwise be rustc's error inside
/// generated code (a crate or module it cannot find), said in the user's terms.
fn check_owner_setup(manifest_dir: &Path, sealed: &Sealed) -> Result<(), String> {
    let lists = match sealed {
        Sealed::Single(list) => list.path.clone(),
        Sealed::Chunked(_) => PathBuf::from(crate::seal::CHUNKS_DIR),
    };
    // The registry names the crate `sealed_migrations`.
    let manifest = manifest_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_default();
    if !text.contains("sealed-migrations") && !text.contains("sealed_migrations") {
        return Err(format!(
            "{} exists, so the migrations it lists are compiled in the sealed-migrations package, but {} \
             has no `sealed-migrations` dependency: run `migrate init` (it adds the package), or delete \
             the list to compile every migration here",
            lists.display(),
            manifest.display()
        ));
    }
    let Sealed::Chunked(chunks) = sealed else {
        return Ok(());
    };
    if let Some((name, first, second)) = sealed.listed_twice() {
        return Err(format!(
            "the migration {name} is listed in both {} and {} (a merge of two branches that sealed it in \
             different chunks): remove one of the two lines (`migrate create` keeps the first when it seals)",
            first.display(),
            second.display()
        ));
    }
    // Where `migrate init` puts the package; one placed elsewhere by hand is left to rustc's own errors.
    let package = manifest_dir.join("sealed-migrations");
    let Ok(package_manifest) = std::fs::read_to_string(package.join("Cargo.toml")) else {
        return Ok(());
    };
    for chunk in chunks {
        let key = chunk.crate_name().replace('_', "-");
        if !package_manifest.contains(&key) {
            // An empty list is a chunk opened ahead (see `seal`) by a `create` stopped before it wrote the
            // package: said so, since "lists sealed migrations" would send the user looking for names.
            let what = if chunk.list.names.is_empty() {
                "opens a chunk (empty, opened ahead by a `migrate create` that stopped before writing its \
                 package)"
            } else {
                "lists sealed migrations"
            };
            return Err(format!(
                "{} {what}, but {} has no crate for it (no `{key}` dependency): run `migrate init`, which \
                 writes the packages of the chunks the lists name",
                chunk.list.path.display(),
                package.display()
            ));
        }
    }
    Ok(())
}

/// The Rust source of the registry for the migrations in `dir` (ignoring any seal list: every migration is a
/// module of the registry's crate).
pub fn generate_registry(dir: &Path) -> Result<String, SourceError> {
    generate_registry_with(dir, None, None, &mut ParseCache::default())
}

/// What [`inspect`] and [`crate::Precomputed::of`] found in one file's source; serialisable, for
/// [`ParseCache`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Inspected {
    /// `false` when the file does not parse.
    parses: bool,
    up: bool,
    down: bool,
    bad_down: Option<String>,
    /// The checksum's digest ([`crate::Precomputed::digest`]).
    digest: [u8; 32],
    /// Whether the file is a squashed baseline ([`crate::Precomputed::baseline`]).
    baseline: bool,
}

/// Parse results and checksums by file content, kept in the build script's `OUT_DIR` between builds: adding
/// one file to a folder of thousands parses and hashes one file, not thousands. The key is the content's length and 64-bit hash, so an
/// edited file is always parsed again; a changed hash function (another toolchain) only misses the cache.
#[derive(Debug, Default)]
struct ParseCache {
    known: std::collections::HashMap<String, Inspected>,
    used: std::collections::BTreeMap<String, Inspected>,
}

impl ParseCache {
    /// The cache at `path`; empty when it is missing or unreadable.
    fn load(path: &Path) -> ParseCache {
        let known = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        ParseCache {
            known,
            used: Default::default(),
        }
    }

    /// Keeps the entries of this build's files only. A cache that cannot be written is only a slower next
    /// build.
    fn save(&self, path: &Path) {
        if let Ok(json) = serde_json::to_vec(&self.used) {
            let _ = std::fs::write(path, json);
        }
    }

    fn inspect(&mut self, source: &str) -> Inspected {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        source.hash(&mut hasher);
        let key = format!("{}-{:016x}", source.len(), hasher.finish());
        let found = match self.known.get(&key) {
            Some(found) => found.clone(),
            None => {
                let crate::Precomputed { digest, baseline } = crate::Precomputed::of(source);
                let items = inspect(source);
                Inspected {
                    parses: items.is_some(),
                    up: items.as_ref().is_some_and(|i| i.up),
                    down: items.as_ref().is_some_and(|i| i.down),
                    bad_down: items.and_then(|i| i.bad_down),
                    digest,
                    baseline,
                }
            }
        };
        self.used.insert(key, found.clone());
        found
    }
}

fn generate_registry_with(
    dir: &Path,
    sealed: Option<&Sealed>,
    config: Option<&(PathBuf, String)>,
    cache: &mut ParseCache,
) -> Result<String, SourceError> {
    let (files, repeatables) = scan_all(dir)?;
    let dir = canonical(dir)?;
    let repeatables = inspect_repeatables(repeatables, cache)?;
    let Some(sealed) = sealed else {
        return Ok(render(
            &dir,
            &inspect_files(files, cache)?,
            &repeatables,
            config,
        ));
    };
    // The owning crate compiles what no list names; the names alone decide, so a file older than the sealed
    // ones (merged from another branch) is compiled here.
    let names: std::collections::HashSet<&str> = sealed.names().into_iter().collect();
    let unsealed: Vec<MigrationFile> = files
        .into_iter()
        .filter(|file| !names.contains(file.name.stem.as_str()))
        .collect();
    let found = inspect_files(unsealed, cache)?;
    Ok(render_merged(&dir, &found, &repeatables, sealed, config))
}

/// The code of a sealed crate: the migrations `list` names, which must all be in `dir`.
fn generate_sealed_with(
    dir: &Path,
    list: &SealList,
    cache: &mut ParseCache,
) -> Result<String, SourceError> {
    let files = scan(dir)?;
    let dir = canonical(dir)?;
    let mut by_name: std::collections::HashMap<&str, &MigrationFile> =
        files.iter().map(|f| (f.name.stem.as_str(), f)).collect();
    let mut listed = Vec::with_capacity(list.names.len());
    for name in &list.names {
        let file = by_name
            .remove(name.as_str())
            .ok_or_else(|| SourceError::SealedMissing {
                list: list.path.clone(),
                name: name.clone(),
            })?;
        listed.push(file.clone());
    }
    listed.sort_by(|a, b| a.name.version.cmp(&b.name.version));
    // The sealed crate is rebuilt when a listed file changes, and only then.
    for file in &listed {
        println!("cargo:rerun-if-changed={}", file.path.display());
    }
    let found = inspect_files(listed, cache)?;
    Ok(render_sealed(&dir, &found, list))
}

fn canonical(dir: &Path) -> Result<PathBuf, SourceError> {
    dir.canonicalize().map_err(|source| SourceError::ReadDir {
        path: dir.to_path_buf(),
        error: source,
    })
}

/// Reads and checks each file (through the parse cache).
fn inspect_files(
    files: Vec<MigrationFile>,
    cache: &mut ParseCache,
) -> Result<Vec<Found>, SourceError> {
    let mut found = Vec::with_capacity(files.len());
    for file in files {
        let source =
            std::fs::read_to_string(&file.path).map_err(|source| SourceError::ReadFile {
                path: file.path.clone(),
                error: source,
            })?;
        let inspected = cache.inspect(&source);
        let precomputed = crate::Precomputed {
            digest: inspected.digest,
            baseline: inspected.baseline,
        };
        let has_down = match inspected {
            // A file that does not parse is left to rustc, which reports the error at the file's own line.
            Inspected { parses: false, .. } => false,
            Inspected {
                bad_down: Some(found),
                ..
            } => {
                return Err(SourceError::BadDown {
                    path: file.path,
                    found,
                })
            }
            Inspected { up: false, .. } => return Err(SourceError::MissingUp { path: file.path }),
            Inspected { down, .. } => down,
        };
        found.push(Found {
            file,
            has_down,
            precomputed,
        });
    }
    Ok(found)
}

/// Reads and checks each repeatable migration: a `pub fn up`, and no `down` (it is never reverted).
fn inspect_repeatables(
    files: Vec<RepeatableFile>,
    cache: &mut ParseCache,
) -> Result<Vec<RepeatableFile>, SourceError> {
    for file in &files {
        let source =
            std::fs::read_to_string(&file.path).map_err(|source| SourceError::ReadFile {
                path: file.path.clone(),
                error: source,
            })?;
        match cache.inspect(&source) {
            // Left to rustc, which reports the error at the file's own line.
            Inspected { parses: false, .. } => {}
            Inspected { up: false, .. } => {
                return Err(SourceError::MissingUp {
                    path: file.path.clone(),
                })
            }
            Inspected { down: true, .. }
            | Inspected {
                bad_down: Some(_), ..
            } => {
                return Err(SourceError::RepeatableDown {
                    path: file.path.clone(),
                })
            }
            Inspected { .. } => {}
        }
    }
    Ok(files)
}

struct Items {
    up: bool,
    down: bool,
    /// Something named `down` that is not `pub fn down(pgm)`: it would be ignored and the `down` derived,
    /// so it is an error. Says what it is.
    bad_down: Option<String>,
}

/// Which of `pub fn up` / `pub fn down` the file defines, or `None` when it does not parse.
fn inspect(source: &str) -> Option<Items> {
    let file = syn::parse_file(source).ok()?;
    let mut items = Items {
        up: false,
        down: false,
        bad_down: None,
    };
    let public = |vis: &syn::Visibility| matches!(vis, syn::Visibility::Public(_));
    for item in &file.items {
        let bad = match item {
            syn::Item::Fn(f) => match f.sig.ident.to_string().as_str() {
                "up" if public(&f.vis) => {
                    items.up = true;
                    None
                }
                "down" if !public(&f.vis) => Some("a `fn down` that is not `pub`".to_owned()),
                "down" if f.sig.inputs.len() != 1 => Some(format!(
                    "a `pub fn down` with {} parameters instead of one (`pgm: &mut MigrationBuilder`)",
                    f.sig.inputs.len()
                )),
                "down" => {
                    items.down = true;
                    None
                }
                _ => None,
            },
            syn::Item::Use(u) if names_down(&u.tree) => Some(format!(
                "a `use` that brings in `down` ({})",
                describe_use(&u.tree)
            )),
            syn::Item::Const(i) if i.ident == "down" => Some("a `const down`".to_owned()),
            syn::Item::Static(i) if i.ident == "down" => Some("a `static down`".to_owned()),
            syn::Item::Mod(i) if i.ident == "down" => Some("a `mod down`".to_owned()),
            syn::Item::Struct(i) if i.ident == "down" => Some("a `struct down`".to_owned()),
            syn::Item::Enum(i) if i.ident == "down" => Some("an `enum down`".to_owned()),
            syn::Item::Type(i) if i.ident == "down" => Some("a `type down`".to_owned()),
            syn::Item::Macro(m) if m.ident.as_ref().is_some_and(|i| i == "down") => {
                Some("a `macro_rules! down`".to_owned())
            }
            _ => None,
        };
        if items.bad_down.is_none() {
            items.bad_down = bad;
        }
    }
    Some(items)
}

/// Whether a `use` tree makes the name `down` (`use a::down;`, `use a::up as down;`, `use a::{x, down}`).
fn names_down(tree: &syn::UseTree) -> bool {
    match tree {
        syn::UseTree::Path(p) => names_down(&p.tree),
        syn::UseTree::Name(n) => n.ident == "down",
        syn::UseTree::Rename(r) => r.rename == "down",
        syn::UseTree::Group(g) => g.items.iter().any(names_down),
        syn::UseTree::Glob(_) => false,
    }
}

/// `other::up as down`, for the message.
fn describe_use(tree: &syn::UseTree) -> String {
    match tree {
        syn::UseTree::Path(p) => format!("{}::{}", p.ident, describe_use(&p.tree)),
        syn::UseTree::Name(n) => n.ident.to_string(),
        syn::UseTree::Rename(r) => format!("{} as {}", r.ident, r.rename),
        syn::UseTree::Glob(_) => "*".to_owned(),
        syn::UseTree::Group(g) => format!(
            "{{{}}}",
            g.items
                .iter()
                .map(describe_use)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn render(
    dir: &Path,
    found: &[Found],
    repeatables: &[RepeatableFile],
    config: Option<&(PathBuf, String)>,
) -> String {
    let mut out = header(dir);
    render_table(&mut out, dir, "", "ALL", None, found);
    render_repeatables(&mut out, repeatables);
    render_registry(&mut out, dir, "&[&ALL]", config);
    out
}

/// One module per repeatable migration (named after its stem, which starts with a letter) and their list,
/// `REPEATABLES`, in name order. They are few, so a plain list of [`crate::Definition`]s does.
fn render_repeatables(out: &mut String, repeatables: &[RepeatableFile]) {
    let mut definitions = String::new();
    for r in repeatables {
        let path = r.path.display().to_string();
        let _ = writeln!(
            out,
            "#[path = {path:?}]\n#[allow(clippy::all)]\nmod {};",
            r.name
        );
        let _ = writeln!(
            definitions,
            "    ::migrate_core::Definition {{ name: {:?}, path: {path:?}, source: include_str!({path:?}), up: {}::up, down: None }},",
            r.name, r.name
        );
    }
    let _ = writeln!(
        out,
        "static REPEATABLE_LIST: [::migrate_core::Definition; {}] = [\n{definitions}];",
        repeatables.len()
    );
}

/// The sealed crate's code: its migrations (the owning crate's registry refers to their table) and the digest
/// of the list they come from.
fn render_sealed(dir: &Path, found: &[Found], list: &SealList) -> String {
    let mut out = header(dir);
    let doc = format!(
        "The migrations of `{}` listed in its `{}`, ordered by timestamp.",
        dir.display(),
        list.path.strip_prefix(dir).unwrap_or(&list.path).display()
    );
    render_table(&mut out, dir, "pub ", "TABLE", Some(&doc), found);
    let _ = writeln!(
        out,
        "/// The digest of the list these were compiled from.\npub const SEALED_DIGEST: ::migrate_core::seal::SealedDigest = *b\"{}\";",
        escaped(&list.digest())
    );
    out
}

/// The owning crate's code with seal lists: its own (unsealed) migrations, and the sealed crates', after
/// checking at compile time that each sealed crate was built from the list read here. The tables are merged
/// when the registry is first read.
fn render_merged(
    dir: &Path,
    found: &[Found],
    repeatables: &[RepeatableFile],
    sealed: &Sealed,
    config: Option<&(PathBuf, String)>,
) -> String {
    let mut out = header(dir);
    render_table(&mut out, dir, "", "UNSEALED", None, found);
    render_repeatables(&mut out, repeatables);
    // The sealed crates, as paths from the owning crate: the first layout's one crate, or each chunk's,
    // which the sealed-migrations package re-exports.
    let crates: Vec<(String, &SealList)> = match sealed {
        Sealed::Single(list) => vec![("::sealed_migrations".to_owned(), list)],
        Sealed::Chunked(chunks) => chunks
            .iter()
            .map(|c| (format!("::sealed_migrations::{}", c.crate_name()), &c.list))
            .collect(),
    };
    let mut tables = String::from("&[");
    for (path, list) in &crates {
        let _ = writeln!(
            out,
            "const _: () = assert!(\n    ::migrate_core::seal::same_digest(&{path}::SEALED_DIGEST, b\"{}\"),\n    \"{{}}\",\n    {:?}\n);",
            escaped(&list.digest()),
            format!(
                "the {} crate was compiled from another {} than this registry (it changed during the build): \
                 build again",
                path.trim_start_matches("::"),
                list.path.display()
            )
        );
        let _ = write!(tables, "&{path}::TABLE, ");
    }
    tables.push_str("&UNSEALED]");
    render_registry(&mut out, dir, &tables, config);
    out
}

fn header(dir: &Path) -> String {
    format!(
        "// @generated by migrate_core::build from {}. Do not edit.\n",
        dir.display()
    )
}

/// `\xNN` escapes, for a byte string literal.
fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(4 * bytes.len());
    for byte in bytes {
        let _ = write!(out, "\\x{byte:02x}");
    }
    out
}

/// Writes one module per migration, then `static <name>: Compiled`: the folder, the names in one string (each
/// migration a range of it; its path is the folder and the name), the digests and baseline flags, and a
/// function that finds a migration's code by its position. Nothing in the tables points at one migration, so the
/// loader relocates nothing per migration, and reading every name touches only the names. `doc` documents the
/// static (it has to sit right above it, after the modules and the function).
fn render_table(
    out: &mut String,
    dir: &Path,
    visibility: &str,
    name: &str,
    doc: Option<&str>,
    found: &[Found],
) {
    for f in found {
        // Module names need a leading letter: `m<timestamp>_<name>`.
        let _ = writeln!(
            out,
            "#[path = {:?}]\n#[allow(clippy::all)]\nmod m{};",
            f.file.path.display().to_string(),
            f.file.name.stem
        );
    }
    let mut names = String::new();
    let mut name_ends = String::new();
    let mut digests = String::new();
    let mut baselines = String::new();
    let mut arms = String::new();
    for (i, f) in found.iter().enumerate() {
        names.push_str(&f.file.name.stem);
        let path = f.file.path.display().to_string();
        let _ = write!(name_ends, "{},", names.len());
        let _ = write!(digests, "*b\"{}\",", escaped(&f.precomputed.digest));
        let _ = write!(baselines, "{},", f.precomputed.baseline);
        let module = format!("m{}", f.file.name.stem);
        let down = if f.has_down {
            format!("Some({module}::down)")
        } else {
            "None".to_owned()
        };
        // Each arm's value goes through `black_box`: left alone, the optimiser turns the `match` into tables of
        // function and string pointers, which the loader relocates (and so keeps in memory) at every start,
        // 32 bytes a migration; an arm that builds its value in code needs no relocation.
        let _ = writeln!(
            arms,
            "        {i} => ::std::hint::black_box(::migrate_core::Code {{ up: {module}::up, down: {down}, source: include_str!({path:?}) }}),"
        );
    }
    let function = format!("code_{}", name.to_lowercase());
    // A positional, not an inline, format argument in `unreachable!`: the generated code is compiled under the
    // user's edition, which may be 2018.
    let _ = writeln!(
        out,
        "\n#[allow(clippy::all)]\nfn {function}(i: usize) -> ::migrate_core::Code {{\n    match i {{\n{arms}        _ => unreachable!(\"no migration {{}} in this registry\", i),\n    }}\n}}"
    );
    if let Some(doc) = doc {
        let _ = writeln!(out, "/// {doc}");
    }
    let _ = writeln!(
        out,
        "{visibility}static {name}: ::migrate_core::Compiled = ::migrate_core::Compiled {{\n    dir: {:?},\n    names: {names:?},\n    name_ends: &[{name_ends}],\n    digests: &[{digests}],\n    baselines: &[{baselines}],\n    code: {function},\n}};\n",
        dir.display().to_string()
    );
}

fn render_registry(out: &mut String, dir: &Path, tables: &str, config: Option<&(PathBuf, String)>) {
    let _ = writeln!(
        out,
        "static HANDLES: ::std::sync::OnceLock<::std::boxed::Box<[::migrate_core::Migration]>> = ::std::sync::OnceLock::new();\n/// The compiled migrations together with the folder they came from.\npub static REGISTRY: ::migrate_core::Registry = ::migrate_core::Registry {{ dir: {:?}, migrations: ::migrate_core::Migrations::compiled({tables}, &HANDLES), repeatables: ::migrate_core::Migrations::new(&REPEATABLE_LIST), {} }};",
        dir.display().to_string(),
        config_literal(config)
    );
    let _ = writeln!(
        out,
        "/// The migrations of `{}`, ordered by timestamp.\n#[allow(dead_code)]\npub static MIGRATIONS: &::migrate_core::Migrations = &REGISTRY.migrations;",
        dir.display()
    );
}

#[cfg(test)]
mod tests;

/// The code the build script generates, pinned (see the module).
#[cfg(test)]
mod snapshots;
