//! `migrate init`: sets up an existing cargo package to own a migrations folder, as `example-app` does. Every
//! change is planned and checked first; files are written only when nothing conflicts, so a refusal leaves
//! every file as it was.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

/// The build-script line that compiles the folder.
fn build_line(dir: &str) -> String {
    format!("migrate_core::build::compile_migrations({dir:?});")
}

/// What `init` was asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The migrations folder, relative to the package's folder.
    pub dir: PathBuf,
    /// Where the package gets migrate's crates from; `None` refuses whenever a dependency is to be added.
    pub crates: Option<CratesSource>,
}

/// Where the dependencies on migrate's crates point. There is no registry version: the crates are not
/// published yet, and the registry's `migrate-core` is an unrelated project's crate, so a version dependency
/// would build someone else's code. They will be published as `pgm-migrate-core`, `pgm-migrate-dsl` and
/// `pgm-migrate-cli` (names of this project's own), depended on under the keys used here
/// (`migrate-core = { package = "pgm-migrate-core", version = ".." }`), so the code keeps its `migrate_core`
/// paths; see the README's "Where the crates come from".
#[derive(Debug, Clone)]
pub enum CratesSource {
    /// A checkout of the repository: path dependencies.
    Path(PathBuf),
    /// The repository's git URL, at `rev` or its default branch: git dependencies.
    Git { url: String, rev: Option<String> },
}

/// One file change `init` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateDir(PathBuf),
    Create {
        path: PathBuf,
        content: String,
    },
    Update {
        path: PathBuf,
        content: String,
        what: Vec<String>,
    },
}

/// The outcome: the changes made (empty when everything was in place) and notes for the user.
#[derive(Debug, Clone)]
pub struct InitReport {
    pub package_dir: PathBuf,
    pub package: String,
    pub runner_bin: String,
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
    /// Whether the package has a library (the registry is then `<crate>::migrations::REGISTRY`).
    pub has_lib: bool,
    /// The library's crate name.
    pub crate_name: String,
}

/// The `init` command: finds the package from `start` upwards, plans, checks, then writes.
pub fn init(start: &Path, options: &InitOptions) -> Result<InitReport> {
    let plan = plan(start, options)?;
    for change in &plan.changes {
        match change {
            Change::CreateDir(dir) => std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?,
            Change::Create { path, content } | Change::Update { path, content, .. } => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(path, content)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    Ok(plan)
}

/// What `init` would change in the package found from `start` upwards, or why it refuses. Writes nothing.
pub fn plan(start: &Path, options: &InitOptions) -> Result<InitReport> {
    let dir = migrations_dir_text(&options.dir)?;
    let manifest_path = find_package_manifest(start)?;
    let root = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let manifest_text = read(&manifest_path)?;
    let mut manifest: DocumentMut = manifest_text
        .parse()
        .map_err(|e| anyhow!("cannot parse {}: {e}", manifest_path.display()))?;
    let package = manifest
        .get("package")
        .and_then(Item::as_table_like)
        .ok_or_else(|| anyhow!("{} has no [package]", manifest_path.display()))?;
    let name = package
        .get("name")
        .and_then(Item::as_str)
        .ok_or_else(|| anyhow!("{} has no package name", manifest_path.display()))?
        .to_owned();
    check_edition(package.get("edition"), &manifest_path)?;
    let runner_bin = format!("{name}-migrate");
    let runner_path = format!("src/bin/{runner_bin}.rs");
    let sealed_package = format!("{name}-sealed-migrations");
    let targets = Targets::read(&manifest, &root, &name);

    let mut changes = Vec::new();
    let mut conflicts = Vec::new();
    let mut notes = Vec::new();

    // The migrations folder; `.gitkeep` so a fresh clone has it (the build reads it).
    let folder = root.join(&options.dir);
    if !folder.exists() {
        changes.push(Change::CreateDir(folder.clone()));
        changes.push(Change::Create {
            path: folder.join(".gitkeep"),
            content: String::new(),
        });
    } else if !folder.is_dir() {
        conflicts.push(format!(
            "{} exists and is not a folder",
            shown(&root, &folder)
        ));
    }

    // The build script.
    let line = build_line(&dir);
    match build_script(&manifest, &root)? {
        BuildScript::Disabled => conflicts.push(
            "Cargo.toml says `build = false`; the migrations are compiled by a build script: remove that line"
                .to_owned(),
        ),
        BuildScript::Missing(path) => changes.push(Change::Create {
            path,
            content: format!(
                "// Compiles the migrations folder into the registry that src/migrations.rs includes.\nfn main() {{\n    {line}\n}}\n"
            ),
        }),
        BuildScript::Existing(path) => {
            let text = read(&path)?;
            if text.contains(&line) {
                // Already there.
            } else if text.contains("compile_migrations") {
                conflicts.push(format!(
                    "{} already compiles a migrations folder, but not with `{line}`; fix it by hand or pass --dir",
                    shown(&root, &path)
                ));
            } else {
                match insert_into_main(&text, &line) {
                    Some(content) => {
                        if !text.contains("rerun-if-changed") {
                            notes.push(format!(
                                "{} now declares `cargo:rerun-if-changed` for the migrations folder, so cargo no longer reruns it on every change in the package; if it reads other files, add a `cargo:rerun-if-changed` line for each",
                                shown(&root, &path)
                            ));
                        }
                        changes.push(Change::Update {
                            path,
                            content,
                            what: vec![format!("added `{line}` to fn main")],
                        });
                    }
                    None => conflicts.push(format!(
                        "cannot add the migrations line to {} safely (it has no single `fn main() {{` line): add `{line}` at the start of its fn main yourself, then run init again",
                        shown(&root, &path)
                    )),
                }
            }
        }
    }

    // The registry module, and the library's `pub mod` for it.
    let registry = root.join("src/migrations.rs");
    expect_file(
        &root,
        &registry,
        REGISTRY_MODULE,
        &mut changes,
        &mut conflicts,
    );
    if root.join("src/migrations/mod.rs").exists() {
        conflicts.push("src/migrations/mod.rs exists: the package already has a `migrations` module of its own".to_owned());
    }
    if let Some(lib) = &targets.lib {
        let text = read(lib)?;
        if !declares_module(&text, "migrations") {
            changes.push(Change::Update {
                path: lib.clone(),
                content: insert_module(&text, "pub mod migrations;"),
                what: vec!["added `pub mod migrations;`".to_owned()],
            });
        }
    }

    // The runner binary.
    let runner_source = match &targets.lib {
        Some(_) => runner_for_lib(&targets.crate_name),
        None => RUNNER_FOR_BIN.to_owned(),
    };
    expect_file(
        &root,
        &root.join(&runner_path),
        &runner_source,
        &mut changes,
        &mut conflicts,
    );

    // migrate.toml next to Cargo.toml.
    let config_path = root.join(crate::config::FILE_NAME);
    let config = format!(
        "# Settings of the `migrate` command for this package; `migrate --help` lists the others.\n\
         migrations_dir = {dir:?}\n\n\
         # The binary that runs every command but `create`, with the migrations compiled in.\n\
         [runner]\npackage = {name:?}\nbin = {runner_bin:?}\n\
         # The cargo profile `migrate` builds it with: dev compiles a changed migration fastest; \"release\" (or\n\
         # --release for one command) runs Rust-heavy migration code faster.\n\
         # profile = \"dev\"\n"
    );
    if config_path.exists() {
        let text = read(&config_path)?;
        if text != config && !same_config(&text, &dir, &name, &runner_bin) {
            conflicts.push(format!(
                "{} exists with other settings; it needs `migrations_dir = {dir:?}` and `[runner] package = {name:?}, bin = {runner_bin:?}`",
                shown(&root, &config_path)
            ));
        }
    } else {
        changes.push(Change::Create {
            path: config_path,
            content: config,
        });
    }

    // Cargo.toml: dependencies, the runner's [[bin]], default-run.
    let mut what = Vec::new();
    // A build script needs migrate-core's `build` feature (the registry generation) and not the engine (the
    // default `runtime` feature): a build script's dependencies are compiled apart from the program's, so with
    // the engine the first build would compile the driver and the engine twice. The application itself does
    // not need `build`, so it does not compile syn.
    let with_build_feature = |item: Item| -> Item {
        let mut table = match item {
            Item::Value(toml_edit::Value::InlineTable(table)) => table,
            other => {
                let mut table = InlineTable::new();
                if let Some(version) = other.as_str() {
                    table.insert("version", version.into());
                }
                table
            }
        };
        table.insert("default-features", false.into());
        let mut features = toml_edit::Array::new();
        features.push("build");
        table.insert("features", features.into());
        Item::Value(table.into())
    };
    let dep = |crate_name: &str| -> Result<Item> {
        Ok(match &options.crates {
            None => bail!(
                "migrate init changed nothing in package {name}: it needs to know where to get migrate's crates \
                 from, and they are not on crates.io yet (the registry's `migrate-core` is an unrelated project's \
                 crate). Pass one of:\n  \
                 --crates-path DIR   a checkout of the migrate repository (path dependencies)\n  \
                 --crates-git URL    the migrate repository's git URL (git dependencies; add --crates-rev REV \
                 to build a given commit)"
            ),
            Some(CratesSource::Git { url, rev }) => {
                let mut table = InlineTable::new();
                table.insert("git", url.as_str().into());
                if let Some(rev) = rev {
                    table.insert("rev", rev.as_str().into());
                }
                Item::Value(table.into())
            }
            Some(CratesSource::Path(checkout)) => {
                let path = checkout.join(crate_name);
                if !path.join("Cargo.toml").is_file() {
                    bail!(
                        "--crates-path {}: no {crate_name}/Cargo.toml there; give the folder of a checkout of the migrate repository",
                        checkout.display()
                    );
                }
                let path = path.canonicalize().unwrap_or(path);
                let mut table = InlineTable::new();
                table.insert("path", path.display().to_string().into());
                Item::Value(table.into())
            }
        })
    };
    for (section, crates) in [
        (
            "dependencies",
            &[
                "migrate-core",
                "migrate-dsl",
                "migrate-cli",
                SEALED_DEPENDENCY,
            ][..],
        ),
        ("build-dependencies", &["migrate-core"][..]),
    ] {
        let mut added = Vec::new();
        for crate_name in crates {
            let present = manifest
                .get(section)
                .and_then(Item::as_table_like)
                .is_some_and(|t| t.contains_key(crate_name));
            if !present {
                let item = match (section, *crate_name) {
                    ("build-dependencies", _) => with_build_feature(dep(crate_name)?),
                    // The package's sealed-migrations package, under the name generated registries use.
                    (_, SEALED_DEPENDENCY) => {
                        let mut table = InlineTable::new();
                        table.insert("package", sealed_package.as_str().into());
                        table.insert("path", SEALED_PACKAGE_DIR.into());
                        Item::Value(table.into())
                    }
                    _ => dep(crate_name)?,
                };
                let table = manifest
                    .entry(section)
                    .or_insert_with(|| Item::Table(Table::new()))
                    .as_table_like_mut()
                    .ok_or_else(|| {
                        anyhow!("[{section}] in {} is not a table", manifest_path.display())
                    })?;
                table.insert(crate_name, item);
                added.push(*crate_name);
            }
        }
        if !added.is_empty() {
            what.push(format!("[{section}] {}", added.join(", ")));
        }
    }
    // The sealed-migrations package: older migrations compiled once, in a crate of their own (listed in the
    // folder's sealed.txt, which `migrate create` keeps), so a new migration recompiles only the newer ones.
    // Once it exists it is the user's (a dependency added, a version raised): a rerun leaves it alone, and a
    // deleted sealed.txt stays deleted (sealing off).
    let sealed_dir = root.join(SEALED_PACKAGE_DIR);
    if !sealed_dir.join("Cargo.toml").exists() {
        for (file, content) in
            sealed_package_files(&name, &sealed_package, &dir, &manifest, &manifest_path)?
        {
            expect_file(
                &root,
                &sealed_dir.join(file),
                &content,
                &mut changes,
                &mut conflicts,
            );
        }
        let list = folder.join(migrate_core::seal::LIST_FILE);
        if !list.exists() {
            changes.push(Change::Create {
                path: list,
                content: migrate_core::seal::HEADER.to_owned(),
            });
        }
    }
    if !targets.bins.iter().any(|b| b == &runner_bin) {
        let mut bin = Table::new();
        bin.insert("name", value(runner_bin.clone()));
        bin.insert("path", value(runner_path.clone()));
        match manifest.get_mut("bin") {
            Some(Item::ArrayOfTables(bins)) => bins.push(bin),
            Some(_) => bail!("`bin` in {} is not [[bin]] tables", manifest_path.display()),
            None => {
                let mut bins = ArrayOfTables::new();
                bins.push(bin);
                manifest.insert("bin", Item::ArrayOfTables(bins));
            }
        }
        what.push(format!("[[bin]] {runner_bin}"));
        // With one binary, `cargo run` runs it; a second one would make `cargo run` ask which.
        let has_default = manifest
            .get("package")
            .and_then(Item::as_table_like)
            .is_some_and(|p| p.contains_key("default-run"));
        if let [only] = targets.bins.as_slice() {
            if !has_default {
                if let Some(package) = manifest
                    .get_mut("package")
                    .and_then(Item::as_table_like_mut)
                {
                    package.insert("default-run", value(only.clone()));
                    what.push(format!(
                        "default-run = {only:?} (so `cargo run` still runs it)"
                    ));
                }
            }
        }
    }
    match workspace_root_above(&root, &manifest) {
        None => what.extend(smaller_dev_debug_info(&mut manifest)?),
        Some(workspace) => notes.push(format!(
            "a new migration recompiles and relinks the runner; with less debug info that is several times faster (see docs/getting-started.md): add `[profile.dev] debug = \"line-tables-only\"` and `[profile.dev.package.\"*\"] debug = false` to {} if you want that (cargo reads profiles from the workspace root only)",
            workspace.display()
        )),
    }
    if !what.is_empty() {
        changes.push(Change::Update {
            path: manifest_path.clone(),
            content: manifest.to_string(),
            what,
        });
    }

    if !conflicts.is_empty() {
        let mut message = format!("migrate init changed nothing in package {name}:");
        for c in &conflicts {
            let _ = write!(message, "\n  - {c}");
        }
        bail!(message);
    }
    Ok(InitReport {
        package_dir: root,
        package: name,
        runner_bin,
        changes,
        notes,
        has_lib: targets.lib.is_some(),
        crate_name: targets.crate_name,
    })
}

/// Why `init` sets the dev profile's debug info, written above the settings in Cargo.toml.
const PROFILE_COMMENT: &str = "\n# Set by `migrate init`: every new migration recompiles and relinks the migrations runner, and full debug\n\
# info makes that several times slower (most of it is the dependencies' debug info, copied at each link).\n\
# Line tables keep file and line numbers in backtraces; remove these lines to get full debug info back.\n";

/// The dev profile's debug info, made smaller unless the manifest already says how much it wants: line tables
/// for the package, none for dependencies. Returns what it added, for the report.
fn smaller_dev_debug_info(manifest: &mut DocumentMut) -> Result<Vec<String>> {
    let (own_set, deps_set) = manifest
        .get("profile")
        .and_then(|p| p.get("dev"))
        .and_then(Item::as_table_like)
        .map(|dev| {
            (
                dev.contains_key("debug"),
                dev.get("package")
                    .and_then(|p| p.get("*"))
                    .and_then(Item::as_table_like)
                    .is_some_and(|all| all.contains_key("debug")),
            )
        })
        .unwrap_or((false, false));
    let mut added = Vec::new();
    let mut first = true;
    let mut set_debug = |manifest: &mut DocumentMut, path: &[&str], debug: Item| -> Result<()> {
        let mut item = manifest.as_item_mut();
        for key in path {
            let parent = item
                .as_table_like_mut()
                .ok_or_else(|| anyhow!("`{}` in Cargo.toml is not a table", path.join(".")))?;
            item = parent.entry(key).or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            });
        }
        let t = item
            .as_table_mut()
            .ok_or_else(|| anyhow!("[{}] in Cargo.toml is not a table", path.join(".")))?;
        t.set_implicit(false);
        if first && t.is_empty() {
            t.decor_mut().set_prefix(PROFILE_COMMENT);
            first = false;
        }
        t.insert("debug", debug);
        Ok(())
    };
    if !own_set {
        set_debug(manifest, &["profile", "dev"], value("line-tables-only"))?;
        added.push("[profile.dev] debug = \"line-tables-only\"");
    }
    if !deps_set {
        set_debug(manifest, &["profile", "dev", "package", "*"], value(false))?;
        added.push("[profile.dev.package.\"*\"] debug = false");
    }
    Ok(if added.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "{} (less debug info: a new migration builds faster)",
            added.join(", ")
        )]
    })
}

/// The files of `sealed_package`, the sealed-migrations package of package `name` (manifest `manifest`, at
/// `manifest_path`, with init's dependencies added), whose migrations folder is `dir`: `(path in the package,
/// content)`.
fn sealed_package_files(
    name: &str,
    sealed_package: &str,
    dir: &str,
    manifest: &DocumentMut,
    manifest_path: &Path,
) -> Result<Vec<(&'static str, String)>> {
    // The same dependency entries as the package's own, so both crates
    // compile against the same migrate-core: a second copy would make their `Migration` types differ.
    let owner_dep = |section: &str, krate: &str| -> Result<Item> {
        let mut item = manifest
            .get(section)
            .and_then(Item::as_table_like)
            .and_then(|t| t.get(krate))
            .cloned()
            .ok_or_else(|| {
                anyhow!(
                    "[{section}] {krate} is missing from {}",
                    manifest_path.display()
                )
            })?;
        // A relative path is relative to the package's folder, one level up from the sealed package's.
        if let Some(table) = item.as_table_like_mut() {
            let relative = table
                .get("path")
                .and_then(Item::as_str)
                .filter(|p| Path::new(p).is_relative())
                .map(|p| format!("../{p}"));
            if let Some(path) = relative {
                table.insert("path", value(path));
            }
        }
        Ok(item)
    };
    let mut sealed_manifest = DocumentMut::new();
    let mut package_table = Table::new();
    package_table.insert("name", value(sealed_package));
    package_table.insert("version", value("0.0.0"));
    // The package's edition (or its workspace's), so a migration compiles the same in either crate.
    let edition = manifest
        .get("package")
        .and_then(Item::as_table_like)
        .and_then(|p| p.get("edition"))
        .cloned()
        .unwrap_or_else(|| value("2021"));
    package_table.insert("edition", edition);
    package_table.insert("publish", value(false));
    sealed_manifest.insert("package", Item::Table(package_table));
    let mut sealed_deps = Table::new();
    sealed_deps.insert("migrate-core", owner_dep("dependencies", "migrate-core")?);
    sealed_deps.insert("migrate-dsl", owner_dep("dependencies", "migrate-dsl")?);
    sealed_manifest.insert("dependencies", Item::Table(sealed_deps));
    let mut sealed_build_deps = Table::new();
    sealed_build_deps.insert(
        "migrate-core",
        owner_dep("build-dependencies", "migrate-core")?,
    );
    sealed_manifest.insert("build-dependencies", Item::Table(sealed_build_deps));
    let list = migrate_core::seal::LIST_FILE;
    Ok(vec![
        (
            "Cargo.toml",
            format!(
                "# The older migrations of {name}, compiled once: `migrate create` lists them in {dir}/{list}, and\n\
                 # cargo leaves this crate alone while they do not change. Written by `migrate init`; keep its\n\
                 # migrate-core and migrate-dsl the same as the package's. A migration that uses another crate\n\
                 # is not sealed.\n{sealed_manifest}"
            ),
        ),
        (
            "build.rs",
            format!(
                "// Compiles the migrations listed in {dir}/{list}.\nfn main() {{\n    migrate_core::build::compile_sealed_migrations(\"../{dir}\");\n}}\n"
            ),
        ),
        ("src/lib.rs", SEALED_LIB.to_owned()),
    ])
}

/// The `Cargo.toml` of a workspace that the package at `root` (whose manifest is `own`) is a member of, if any:
/// profiles are read from the workspace root only, so `init` does not write them into a member's manifest.
fn workspace_root_above(root: &Path, own: &DocumentMut) -> Option<PathBuf> {
    if own.contains_key("workspace") {
        return None;
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    root.ancestors().skip(1).find_map(|dir| {
        let candidate = dir.join("Cargo.toml");
        let doc: DocumentMut = std::fs::read_to_string(&candidate).ok()?.parse().ok()?;
        doc.contains_key("workspace").then_some(candidate)
    })
}

/// The sealed-migrations package's folder, in the package's.
const SEALED_PACKAGE_DIR: &str = "sealed-migrations";

/// The dependency's key, hence the crate name `sealed_migrations` that generated registries refer to.
const SEALED_DEPENDENCY: &str = "sealed-migrations";

const SEALED_LIB: &str = "//! The package's older migrations, compiled by build.rs from the names in the migrations folder's\n\
//! sealed.txt. The package's own registry (src/migrations.rs) merges them with the newer ones.\n\n\
include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));\n";

const REGISTRY_MODULE: &str = "//! The migrations in the migrations folder, compiled by build.rs: `MIGRATIONS` (ordered by timestamp)\n\
//! and `REGISTRY`. The runner binary and the application's own start-up use this one list.\n\n\
include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));\n";

const RUNNER_FOR_BIN: &str = "//! The migrations runner: the `migrate` commands with this package's migrations compiled in. `migrate up`\n\
//! and the others run it through cargo (`[runner]` in migrate.toml).\n\n\
#[path = \"../migrations.rs\"]\nmod migrations;\n\n\
fn main() -> std::process::ExitCode {\n    migrate_cli::run_embedded(&migrations::REGISTRY)\n}\n";

fn runner_for_lib(crate_name: &str) -> String {
    format!(
        "//! The migrations runner: the `migrate` commands with this package's migrations compiled in. `migrate up`\n\
         //! and the others run it through cargo (`[runner]` in migrate.toml).\n\n\
         fn main() -> std::process::ExitCode {{\n    migrate_cli::run_embedded(&{crate_name}::migrations::REGISTRY)\n}}\n"
    )
}

/// The folder as written into build.rs and migrate.toml: relative, inside the package, `/`-separated.
fn migrations_dir_text(dir: &Path) -> Result<String> {
    let mut parts = Vec::new();
    for c in dir.components() {
        match c {
            Component::Normal(p) => parts.push(
                p.to_str()
                    .ok_or_else(|| anyhow!("--dir {}: not valid UTF-8", dir.display()))?
                    .to_owned(),
            ),
            Component::CurDir => {}
            _ => bail!(
                "--dir {}: give a folder inside the package, relative to its Cargo.toml (e.g. migrations or db/migrations)",
                dir.display()
            ),
        }
    }
    if parts.is_empty() {
        bail!("--dir: give a folder name, e.g. migrations");
    }
    Ok(parts.join("/"))
}

/// The nearest `Cargo.toml` with a `[package]`, from `start` upwards. A workspace root without a package is
/// an error saying where to run instead.
fn find_package_manifest(start: &Path) -> Result<PathBuf> {
    for dir in start.ancestors() {
        let candidate = dir.join("Cargo.toml");
        if !candidate.is_file() {
            continue;
        }
        let doc: DocumentMut = read(&candidate)?
            .parse()
            .map_err(|e| anyhow!("cannot parse {}: {e}", candidate.display()))?;
        if doc.contains_key("package") {
            return Ok(candidate);
        }
        bail!(
            "{} is a workspace manifest without a [package]; run `migrate init` in the folder of the member package that will own the migrations",
            candidate.display()
        );
    }
    bail!(
        "no Cargo.toml in {} or its parents; run `migrate init` in a cargo package (create one with `cargo new`)",
        start.display()
    )
}

fn check_edition(edition: Option<&Item>, manifest: &Path) -> Result<()> {
    match edition {
        // Inherited from the workspace: 2015 is not inheritable in practice (`cargo new` writes 2021+).
        Some(item) if item.as_table_like().is_some() => Ok(()),
        Some(item) if item.as_str().is_some_and(|e| e != "2015") => Ok(()),
        _ => bail!(
            "{} uses edition 2015 (no `edition` key means 2015); migrate needs edition 2018 or later: set edition = \"2021\" (or \"2024\") in [package]",
            manifest.display()
        ),
    }
}

/// The package's targets, as cargo infers them.
struct Targets {
    /// The library's root file, when there is a library.
    lib: Option<PathBuf>,
    /// The crate name code uses for the library.
    crate_name: String,
    /// Every binary's name.
    bins: Vec<String>,
}

impl Targets {
    fn read(manifest: &DocumentMut, root: &Path, package: &str) -> Targets {
        let package_table = manifest.get("package").and_then(Item::as_table_like);
        let auto = |key: &str| {
            package_table
                .and_then(|p| p.get(key))
                .and_then(Item::as_bool)
                .unwrap_or(true)
        };
        let lib_table = manifest.get("lib").and_then(Item::as_table_like);
        let lib_path = lib_table
            .and_then(|l| l.get("path"))
            .and_then(Item::as_str)
            .map(|p| root.join(p))
            .unwrap_or_else(|| root.join("src/lib.rs"));
        let lib = (lib_table.is_some() || (auto("autolib") && lib_path.is_file()))
            .then_some(lib_path)
            .filter(|p| p.is_file());
        let crate_name = lib_table
            .and_then(|l| l.get("name"))
            .and_then(Item::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| package.replace('-', "_"));
        let mut bins = Vec::new();
        let mut explicit_paths = Vec::new();
        if let Some(Item::ArrayOfTables(tables)) = manifest.get("bin") {
            for t in tables.iter() {
                if let Some(name) = t.get("name").and_then(Item::as_str) {
                    bins.push(name.to_owned());
                    let path = t
                        .get("path")
                        .and_then(Item::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("src/bin/{name}.rs"));
                    explicit_paths.push(root.join(path));
                }
            }
        }
        if auto("autobins") {
            let mut inferred = Vec::new();
            if root.join("src/main.rs").is_file() {
                inferred.push((package.to_owned(), root.join("src/main.rs")));
            }
            if let Ok(entries) = std::fs::read_dir(root.join("src/bin")) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    let name = if path.extension().is_some_and(|e| e == "rs") {
                        path.file_stem()
                    } else if path.join("main.rs").is_file() {
                        path.file_name()
                    } else {
                        None
                    };
                    if let Some(name) = name.and_then(|n| n.to_str()) {
                        let file = if path.is_dir() {
                            path.join("main.rs")
                        } else {
                            path.clone()
                        };
                        inferred.push((name.to_owned(), file));
                    }
                }
            }
            for (name, path) in inferred {
                if !explicit_paths.contains(&path) && !bins.contains(&name) {
                    bins.push(name);
                }
            }
        }
        bins.sort();
        Targets {
            lib,
            crate_name,
            bins,
        }
    }
}

enum BuildScript {
    Disabled,
    Missing(PathBuf),
    Existing(PathBuf),
}

fn build_script(manifest: &DocumentMut, root: &Path) -> Result<BuildScript> {
    let build = manifest
        .get("package")
        .and_then(Item::as_table_like)
        .and_then(|p| p.get("build"));
    let path = match build {
        Some(item) if item.as_bool() == Some(false) => return Ok(BuildScript::Disabled),
        Some(item) => match item.as_str() {
            Some(p) => root.join(p),
            None if item.as_bool() == Some(true) => root.join("build.rs"),
            None => bail!("`build` in [package] is neither a path nor true/false"),
        },
        None => root.join("build.rs"),
    };
    Ok(if path.is_file() {
        BuildScript::Existing(path)
    } else {
        BuildScript::Missing(path)
    })
}

/// `text` with `line` as the first statement of its only `fn main`, or `None` when there is not exactly one
/// `fn main(` opening its body on the same line.
fn insert_into_main(text: &str, line: &str) -> Option<String> {
    let mut found = text.match_indices("fn main(");
    let (at, _) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let header_end = at + text[at..].find('\n').unwrap_or(text.len() - at);
    let header = &text[at..header_end];
    let brace = header.find('{')?;
    // Only `fn main() {` or `fn main() -> T {` with nothing after the brace but spaces or a comment.
    let after = header[brace + 1..].trim();
    if header[..brace].contains(';') || !(after.is_empty() || after.starts_with("//")) {
        return None;
    }
    let insert_at = header_end;
    let mut out = String::with_capacity(text.len() + line.len() + 8);
    out.push_str(&text[..insert_at]);
    out.push_str("\n    ");
    out.push_str(line);
    out.push_str(&text[insert_at..]);
    Some(out)
}

/// Whether `source` declares `mod <name>` (any visibility, inline or file).
fn declares_module(source: &str, name: &str) -> bool {
    source.lines().any(|l| {
        let l = l.trim_start();
        let l = l
            .strip_prefix("pub(crate) ")
            .or_else(|| l.strip_prefix("pub "))
            .unwrap_or(l);
        l.strip_prefix("mod ").is_some_and(|rest| {
            rest.trim_start().starts_with(name)
                && rest.trim_start()[name.len()..]
                    .trim_start()
                    .starts_with([';', '{'])
        })
    })
}

/// `source` with `line` after its leading inner doc comments and attributes (`//!`, `#![..]`).
fn insert_module(source: &str, line: &str) -> String {
    let mut offset = 0;
    let mut in_header = false;
    for l in source.split_inclusive('\n') {
        let t = l.trim_start();
        if t.starts_with("//!") || t.starts_with("#![") {
            in_header = true;
            offset += l.len();
        } else if in_header && t.trim().is_empty() {
            offset += l.len();
            break;
        } else {
            break;
        }
    }
    let (head, tail) = source.split_at(offset);
    let mut out = String::from(head);
    if !head.is_empty() && !head.ends_with("\n\n") {
        if !head.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(line);
    out.push('\n');
    if !tail.is_empty() {
        out.push('\n');
    }
    out.push_str(tail);
    out
}

/// Plans a new file, or checks that an existing one has exactly this content.
fn expect_file(
    root: &Path,
    path: &Path,
    content: &str,
    changes: &mut Vec<Change>,
    conflicts: &mut Vec<String>,
) {
    match std::fs::read_to_string(path) {
        Ok(existing) if existing == content => {}
        Ok(_) => conflicts.push(format!(
            "{} exists with other content; move it away (or rename it) and run init again",
            shown(root, path)
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => changes.push(Change::Create {
            path: path.to_path_buf(),
            content: content.to_owned(),
        }),
        Err(e) => conflicts.push(format!("cannot read {}: {e}", shown(root, path))),
    }
}

/// Whether an existing migrate.toml already says what init would write (other keys may be there too).
fn same_config(text: &str, dir: &str, package: &str, bin: &str) -> bool {
    let Ok(file) = toml::from_str::<crate::config::ConfigFile>(text) else {
        return false;
    };
    file.migrations_dir.as_deref() == Some(Path::new(dir))
        && file
            .runner
            .is_some_and(|r| r.package == package && r.bin == bin)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What `migrate init` prints.
pub fn describe(report: &InitReport) -> String {
    let mut out = String::new();
    let root = &report.package_dir;
    if report.changes.is_empty() {
        let _ = writeln!(
            out,
            "nothing to do: package {} is already set up for migrate (runner {})",
            report.package, report.runner_bin
        );
        return out;
    }
    for change in &report.changes {
        let _ = match change {
            Change::CreateDir(dir) => writeln!(out, "created {}/", shown(root, dir)),
            Change::Create { path, .. } => writeln!(out, "created {}", shown(root, path)),
            Change::Update { path, what, .. } => {
                writeln!(out, "updated {}: {}", shown(root, path), what.join("; "))
            }
        };
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(
        out,
        "\nnext: migrate create add_users   (write its `up`, then `migrate up` with DATABASE_URL set)"
    );
    if report.has_lib {
        let _ = writeln!(
            out,
            "to apply the migrations when the app starts: migrate_cli::up(&{}::migrations::REGISTRY).await?",
            report.crate_name
        );
    } else {
        let _ = writeln!(
            out,
            "to apply the migrations when the app starts: add `mod migrations;` to src/main.rs, then
    migrate_cli::up(&migrations::REGISTRY).await?"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_into_a_single_main() {
        let out = insert_into_main("fn main() {\n    println!(\"x\");\n}\n", "compile();").unwrap();
        assert_eq!(
            out,
            "fn main() {\n    compile();\n    println!(\"x\");\n}\n"
        );
        let out = insert_into_main("fn main() -> Result<(), E> { // set-up\n}\n", "c();").unwrap();
        assert!(
            out.starts_with("fn main() -> Result<(), E> { // set-up\n    c();\n"),
            "{out}"
        );
        assert!(insert_into_main("fn main()\n{\n}\n", "c();").is_none());
        assert!(insert_into_main("fn main() { a(); }\n", "c();").is_none());
        assert!(insert_into_main("fn helper() {}\n", "c();").is_none());
        assert!(insert_into_main("fn main() {}\nmod x { fn main() {} }\n", "c();").is_none());
    }

    #[test]
    fn finds_module_declarations_and_inserts_after_the_header() {
        assert!(declares_module("pub mod migrations;\n", "migrations"));
        assert!(declares_module("mod migrations {\n}\n", "migrations"));
        assert!(!declares_module("pub mod migrations_old;\n", "migrations"));
        assert_eq!(
            insert_module(
                "//! Docs.\n#![forbid(unsafe_code)]\n\npub fn a() {}\n",
                "pub mod m;"
            ),
            "//! Docs.\n#![forbid(unsafe_code)]\n\npub mod m;\n\npub fn a() {}\n"
        );
        assert_eq!(
            insert_module("pub fn a() {}\n", "pub mod m;"),
            "pub mod m;\n\npub fn a() {}\n"
        );
        assert_eq!(insert_module("", "pub mod m;"), "pub mod m;\n");
    }

    #[test]
    fn the_folder_must_be_inside_the_package() {
        assert_eq!(
            migrations_dir_text(Path::new("./db/migrations")).unwrap(),
            "db/migrations"
        );
        assert!(migrations_dir_text(Path::new("../x")).is_err());
        assert!(migrations_dir_text(Path::new("/abs")).is_err());
        assert!(migrations_dir_text(Path::new(".")).is_err());
    }
}
