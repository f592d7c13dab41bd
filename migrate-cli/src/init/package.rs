//! The package `init` plans for: its manifest, name and targets, found from the current folder upwards.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use toml_edit::{DocumentMut, Item};

use super::read;

/// The package's manifest (changed in memory as `init` plans) and what the planners read of it.
pub(super) struct Package {
    /// The package's folder.
    pub root: PathBuf,
    pub manifest_path: PathBuf,
    pub manifest: DocumentMut,
    pub name: String,
    pub targets: Targets,
}

impl Package {
    /// The nearest package from `start` upwards, read and checked (a name, edition 2018 or later).
    pub fn find(start: &Path) -> Result<Package> {
        let manifest_path = find_package_manifest(start)?;
        let root = manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let manifest: DocumentMut = read(&manifest_path)?
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
        let targets = Targets::read(&manifest, &root, &name);
        Ok(Package {
            root,
            manifest_path,
            manifest,
            name,
            targets,
        })
    }

    /// The runner binary's name.
    pub fn runner_bin(&self) -> String {
        format!("{}-migrate", self.name)
    }

    /// The runner binary's source, relative to the package's folder.
    pub fn runner_path(&self) -> String {
        format!("src/bin/{}.rs", self.runner_bin())
    }

    /// The sealed-migrations package's name.
    pub fn sealed_package(&self) -> String {
        format!("{}-sealed-migrations", self.name)
    }
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
pub(super) struct Targets {
    /// The library's root file, when there is a library.
    pub lib: Option<PathBuf>,
    /// The crate name code uses for the library.
    pub crate_name: String,
    /// Every binary's name.
    pub bins: Vec<String>,
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

/// The `Cargo.toml` of a workspace that the package at `root` (whose manifest is `own`) is a member of, if any:
/// profiles are read from the workspace root only, so `init` does not write them into a member's manifest.
pub(super) fn workspace_root_above(root: &Path, own: &DocumentMut) -> Option<PathBuf> {
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
