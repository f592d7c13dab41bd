//! The sealed-migrations package: older migrations compiled once, in chunks of at most
//! [`CHUNK_SIZE`](migrate_core::seal::CHUNK_SIZE), each a package of its own, so that a new migration recompiles
//! only the newer ones and a seal only the chunk it appends to (see docs/sealing.md).
//!
//! The layout, all of it written by `migrate` from the lists in the migrations folder (`sealed/NNNN.txt`, which
//! `migrate create` keeps):
//! - `sealed-migrations/` (the package's `sealed-migrations` dependency): re-exports the chunks, `chunk_NNNN`;
//!   its `Cargo.toml` lists them (`chunk-NNNN = { path = "chunks/NNNN", ... }`) and its `src/lib.rs` names them;
//! - `sealed-migrations/chunks/NNNN/`: chunk NNNN's package, whose build script compiles the migrations of
//!   `sealed/NNNN.txt`, with the package's own `migrate-core` and `migrate-dsl` entries.
//!
//! [`plan`] (for `init`) and [`sync`] (for `create`, after a seal) write what the lists call for and is missing:
//! a chunk's package when a seal opens the chunk, its entry in the manifest and the library. A chunk's package
//! that exists is left as it is (a version raised by hand). A package still in the first layout (one crate
//! compiling `sealed.txt`, with a build script of its own) keeps building as it is until its first seal moves
//! the list into chunks; then its build script is removed and its library re-exports the chunks. A deleted
//! `sealed/` (and `sealed.txt`) stays deleted: sealing is off.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use migrate_core::seal::{self, Sealed};
use toml_edit::{value, DocumentMut, InlineTable, Item, Table};

use super::package::Package;
use super::{Change, Plan};

/// The sealed-migrations package's folder, in the package's.
pub(super) const SEALED_PACKAGE_DIR: &str = "sealed-migrations";

/// The dependency's key, hence the crate name `sealed_migrations` that generated registries refer to.
pub(super) const SEALED_DEPENDENCY: &str = "sealed-migrations";

/// The chunks' folder, in the sealed-migrations package's.
const CHUNKS_DIR: &str = "chunks";

/// Plans the sealed package of `package` (whose manifest has `init`'s dependencies added already) for the
/// migrations folder `dir` at `folder`: on a package without one, the package, chunk 0's and its empty list;
/// on one that has it, the chunk packages its lists call for and lack.
pub(super) fn plan(plan: &mut Plan, package: &Package, dir: &str, folder: &Path) -> Result<()> {
    let fresh = !package
        .root
        .join(SEALED_PACKAGE_DIR)
        .join("Cargo.toml")
        .exists();
    // A new package starts with chunk 0 and its empty list (which turns sealing on: `create` seals into it).
    // So does a package whose sealed-migrations package and every list are gone while the folder `sealed/`
    // is left: nothing would write the package its dependency names, and every build would fail on it.
    // The lists are read only for a package without its sealed-migrations package.
    let first = fresh
        && !folder.join(seal::LIST_FILE).exists()
        && match Sealed::read(folder)? {
            None => true,
            Some(Sealed::Chunked(chunks)) => chunks.is_empty(),
            Some(_) => false,
        };
    let planned: &[u32] = if first { &[0] } else { &[] };
    for change in changes(package, dir, folder, planned)? {
        match change {
            // A new file must not replace one of the same name that `init` did not write.
            Change::Create { path, content } => plan.expect_file(&package.root, &path, &content),
            other => plan.changes.push(other),
        }
    }
    if first {
        plan.changes.push(Change::Create {
            path: seal::chunk_list_path(folder, 0),
            content: seal::HEADER.to_owned(),
        });
    }
    Ok(())
}

/// The folders of the chunk packages that `changes` create: each such package's `Cargo.toml` is created in
/// `sealed-migrations/chunks/NNNN/`.
pub(super) fn created_chunks(changes: &[Change]) -> Vec<&Path> {
    changes
        .iter()
        .filter_map(|change| match change {
            Change::Create { path, .. } if path.file_name() == Some("Cargo.toml".as_ref()) => {
                let chunk = path.parent()?;
                let chunks = chunk.parent()?;
                let in_sealed_package = chunks.file_name() == Some(CHUNKS_DIR.as_ref())
                    && chunks.parent()?.file_name() == Some(SEALED_PACKAGE_DIR.as_ref());
                in_sealed_package.then_some(chunk)
            }
            _ => None,
        })
        .collect()
}

/// For `migrate create` after a seal: writes what the lists of the migrations folder `folder` call for in its
/// package's sealed-migrations package (a new chunk's package, the manifest's entry, the library; the first
/// layout's build script removed) and returns what it changed, for the output.
pub fn sync(folder: &Path) -> Result<Vec<Change>> {
    let package = Package::find(folder)?;
    let root = package
        .root
        .canonicalize()
        .with_context(|| format!("cannot read {}", package.root.display()))?;
    let folder = folder
        .canonicalize()
        .with_context(|| format!("cannot read {}", folder.display()))?;
    let dir = folder
        .strip_prefix(&root)
        .map_err(|_| {
            anyhow!(
                "the migrations folder {} is not inside the package at {}, so its sealed chunks cannot be \
                 set up",
                folder.display(),
                root.display()
            )
        })?
        .to_str()
        .ok_or_else(|| anyhow!("{}: not valid UTF-8", folder.display()))?
        .replace('\\', "/");
    if !package
        .root
        .join(SEALED_PACKAGE_DIR)
        .join("Cargo.toml")
        .exists()
    {
        return Err(anyhow!(
            "{} has sealed migrations but the package has no {SEALED_PACKAGE_DIR}/ package to compile them: run \
             `migrate init`",
            folder.display()
        ));
    }
    let changes = changes(&package, &dir, &folder, &[])?;
    super::apply(&changes)?;
    Ok(changes)
}

/// What the package needs for the folder's chunk lists (and `planned`, lists about to be written): each chunk's
/// package when it lacks one, the manifest's entries, the library, and no build script of the first layout.
/// Nothing in the first layout or with sealing off.
fn changes(package: &Package, dir: &str, folder: &Path, planned: &[u32]) -> Result<Vec<Change>> {
    let mut indexes: Vec<u32> = match Sealed::read(folder)? {
        Some(Sealed::Chunked(chunks)) => chunks.iter().map(|c| c.index).collect(),
        _ => Vec::new(),
    };
    if indexes.is_empty() && planned.is_empty() {
        return Ok(Vec::new());
    }
    indexes.extend(planned);
    indexes.sort_unstable();
    indexes.dedup();

    let sealed_dir = package.root.join(SEALED_PACKAGE_DIR);
    let manifest_path = sealed_dir.join("Cargo.toml");
    let existing = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => Some(
            text.parse::<DocumentMut>()
                .map_err(|e| anyhow!("cannot parse {}: {e}", manifest_path.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(anyhow!("cannot read {}: {e}", manifest_path.display())),
    };
    let mut manifest = match &existing {
        Some(doc) => doc.clone(),
        None => aggregator_manifest(package)?,
    };
    let name = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(Item::as_str)
        .map_or_else(|| package.sealed_package(), str::to_owned);

    // The package's own files first, then the chunks' (the order `init` reports them in).
    let mut chunk_files = Vec::new();
    for &index in &indexes {
        let chunk_dir = sealed_dir.join(CHUNKS_DIR).join(format!("{index:04}"));
        if !chunk_dir.join("Cargo.toml").exists() {
            for (file, content) in chunk_package_files(package, &name, dir, index)? {
                chunk_files.push(Change::Create {
                    path: chunk_dir.join(file),
                    content,
                });
            }
        }
        let key = seal::chunk_crate_name(index).replace('_', "-");
        let deps = manifest
            .entry("dependencies")
            .or_insert_with(|| Item::Table(Table::new()))
            .as_table_like_mut()
            .ok_or_else(|| {
                anyhow!(
                    "[dependencies] in {} is not a table",
                    manifest_path.display()
                )
            })?;
        if !deps.contains_key(&key) {
            let mut entry = InlineTable::new();
            entry.insert("path", format!("{CHUNKS_DIR}/{index:04}").into());
            entry.insert("package", format!("{name}-{index:04}").into());
            deps.insert(&key, Item::Value(entry.into()));
        }
    }
    let manifest = manifest.to_string();
    let mut out = Vec::new();
    match &existing {
        None => out.push(Change::Create {
            path: manifest_path,
            content: manifest,
        }),
        Some(doc) if doc.to_string() != manifest => out.push(Change::Update {
            path: manifest_path,
            content: manifest,
            what: vec!["the sealed chunks' dependencies".to_owned()],
        }),
        Some(_) => {}
    }
    let lib_path = sealed_dir.join("src/lib.rs");
    let lib = aggregator_lib(dir, &indexes);
    match std::fs::read_to_string(&lib_path) {
        Ok(text) if text == lib => {}
        Ok(_) => out.push(Change::Update {
            path: lib_path,
            content: lib,
            what: vec!["re-exports the sealed chunks".to_owned()],
        }),
        Err(_) => out.push(Change::Create {
            path: lib_path,
            content: lib,
        }),
    }
    // The first layout's build script compiled `sealed.txt` into this crate; the chunks do that now.
    let build = sealed_dir.join("build.rs");
    if build.exists() {
        out.push(Change::Remove(build));
    }
    out.extend(chunk_files);
    Ok(out)
}

/// A new sealed-migrations package's manifest, with no chunk yet.
fn aggregator_manifest(package: &Package) -> Result<DocumentMut> {
    let mut manifest = DocumentMut::new();
    let mut table = package_table(package, &package.sealed_package());
    table.decor_mut().set_prefix(format!(
        "# The older migrations of {}, compiled once, in chunks: one package each under chunks/, compiling the\n\
         # migrations listed in the migrations folder's sealed/NNNN.txt. Written by `migrate` (`migrate create`\n\
         # adds a chunk here when a seal opens one); the chunks' entries are the tool's.\n",
        package.name
    ));
    manifest.insert("package", Item::Table(table));
    manifest.insert("dependencies", Item::Table(Table::new()));
    Ok(manifest)
}

/// `[package]` for one of the sealed packages: `name`, the package's edition (so that a migration compiles the
/// same in every crate), never published.
fn package_table(package: &Package, name: &str) -> Table {
    let mut table = Table::new();
    table.insert("name", value(name));
    table.insert("version", value("0.0.0"));
    let edition = package
        .manifest
        .get("package")
        .and_then(Item::as_table_like)
        .and_then(|p| p.get("edition"))
        .cloned()
        .unwrap_or_else(|| value("2021"));
    table.insert("edition", edition);
    table.insert("publish", value(false));
    table
}

/// The sealed-migrations package's library: the chunks `indexes`, re-exported for the owning crate's registry.
fn aggregator_lib(dir: &str, indexes: &[u32]) -> String {
    let mut lib = format!(
        "//! The package's older migrations, in chunks: chunk NNNN compiles the migrations listed in\n\
         //! {dir}/{}/NNNN.txt. The package's own registry (src/migrations.rs) checks and merges them with the\n\
         //! newer ones. Written by `migrate`.\n\n",
        seal::CHUNKS_DIR
    );
    for index in indexes {
        lib.push_str(&format!("pub use {};\n", seal::chunk_crate_name(*index)));
    }
    lib
}

/// The files of chunk `index`'s package, `<aggregator>-NNNN`, of `package` whose migrations folder is `dir`:
/// `(path in the chunk's folder, content)`.
fn chunk_package_files(
    package: &Package,
    aggregator: &str,
    dir: &str,
    index: u32,
) -> Result<Vec<(&'static str, String)>> {
    // The package's own dependency entries, so that every crate compiles against the same migrate-core: a
    // second copy would make their `Migration` types differ. The chunk is three folders down.
    let up = "../../../";
    let mut manifest = DocumentMut::new();
    manifest.insert(
        "package",
        Item::Table(package_table(package, &format!("{aggregator}-{index:04}"))),
    );
    let mut deps = Table::new();
    deps.insert(
        "migrate-core",
        owner_dep(package, "dependencies", "migrate-core", up)?,
    );
    deps.insert(
        "migrate-dsl",
        owner_dep(package, "dependencies", "migrate-dsl", up)?,
    );
    manifest.insert("dependencies", Item::Table(deps));
    let mut build_deps = Table::new();
    build_deps.insert(
        "migrate-core",
        owner_dep(package, "build-dependencies", "migrate-core", up)?,
    );
    manifest.insert("build-dependencies", Item::Table(build_deps));
    let list = format!(
        "{dir}/{}/{}",
        seal::CHUNKS_DIR,
        seal::chunk_file_name(index)
    );
    Ok(vec![
        (
            "Cargo.toml",
            format!(
                "# Sealed chunk {index:04} of {}: the migrations listed in {list}, compiled once. Written by\n\
                 # `migrate`; keep its migrate-core and migrate-dsl the same as the package's.\n{manifest}",
                package.name
            ),
        ),
        (
            "build.rs",
            format!(
                "// Compiles the migrations listed in {list}.\nfn main() {{\n    migrate_core::build::compile_sealed_chunk(\"{up}{dir}\", {index});\n}}\n"
            ),
        ),
        (
            "src/lib.rs",
            format!(
                "//! Sealed chunk {index:04}: the migrations listed in {list}, compiled by build.rs.\n\n\
                 include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));\n"
            ),
        ),
    ])
}

/// The package's entry for `krate` in `section`, for a package `up` (`../../../`) below it: a relative path
/// is made relative to there.
fn owner_dep(package: &Package, section: &str, krate: &str, up: &str) -> Result<Item> {
    let mut item = package
        .manifest
        .get(section)
        .and_then(Item::as_table_like)
        .and_then(|t| t.get(krate))
        .cloned()
        .ok_or_else(|| {
            anyhow!(
                "[{section}] {krate} is missing from {}",
                package.manifest_path.display()
            )
        })?;
    if let Some(table) = item.as_table_like_mut() {
        let relative = table
            .get("path")
            .and_then(Item::as_str)
            .filter(|p| Path::new(p).is_relative())
            .map(|p| format!("{up}{p}"));
        if let Some(path) = relative {
            table.insert("path", value(path));
        }
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::package::Targets;
    use super::*;

    #[test]
    fn created_chunks_are_the_chunk_packages_manifests_only() {
        let create = |path: &str| Change::Create {
            path: PathBuf::from(path),
            content: String::new(),
        };
        let changes = [
            create("/work/chunks/app/sealed-migrations/Cargo.toml"),
            create("/work/chunks/app/sealed-migrations/chunks/0001/Cargo.toml"),
            create("/work/chunks/app/sealed-migrations/chunks/0001/build.rs"),
            create("/work/chunks/app/chunks/0002/Cargo.toml"),
            Change::Remove(PathBuf::from(
                "/work/chunks/app/sealed-migrations/chunks/0003/Cargo.toml",
            )),
        ];
        assert_eq!(
            created_chunks(&changes),
            [Path::new("/work/chunks/app/sealed-migrations/chunks/0001")]
        );
    }

    fn package(manifest: &str) -> Package {
        Package {
            root: PathBuf::from("/nowhere"),
            manifest_path: PathBuf::from("Cargo.toml"),
            manifest: manifest.parse().unwrap(),
            name: "shop".to_owned(),
            targets: Targets {
                lib: None,
                crate_name: "shop".to_owned(),
                bins: Vec::new(),
            },
        }
    }

    #[test]
    fn a_chunk_shares_the_packages_entries_and_edition() {
        let p = package("[package]\nname = \"shop\"\nedition = \"2024\"\n\n[dependencies]\nmigrate-core = { path = \"../migrate/migrate-core\" }\nmigrate-dsl = { git = \"https://example.com/m.git\" }\n\n[build-dependencies]\nmigrate-core = { path = \"/abs/migrate-core\", default-features = false, features = [\"build\"] }\n");
        let files = chunk_package_files(&p, "shop-sealed-migrations", "db/migrations", 3).unwrap();
        let names: Vec<&str> = files.iter().map(|(f, _)| *f).collect();
        assert_eq!(names, ["Cargo.toml", "build.rs", "src/lib.rs"]);
        let cargo = &files[0].1;
        assert!(
            cargo.contains("name = \"shop-sealed-migrations-0003\""),
            "{cargo}"
        );
        // A relative path is three levels further up from the chunk's folder; others stay.
        assert!(
            cargo.contains("migrate-core = { path = \"../../../../migrate/migrate-core\" }"),
            "{cargo}"
        );
        assert!(
            cargo.contains("migrate-dsl = { git = \"https://example.com/m.git\" }"),
            "{cargo}"
        );
        assert!(
            cargo.contains("[build-dependencies]\nmigrate-core = { path = \"/abs/migrate-core\", default-features = false, features = [\"build\"] }"),
            "{cargo}"
        );
        assert!(cargo.contains("edition = \"2024\""), "{cargo}");
        assert!(files[1]
            .1
            .contains("compile_sealed_chunk(\"../../../db/migrations\", 3)"));
        assert!(
            aggregator_lib("m", &[0, 3]).ends_with("pub use chunk_0000;\npub use chunk_0003;\n")
        );

        let without = package("[package]\nname = \"shop\"\n");
        let error = chunk_package_files(&without, "s", "m", 0)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "[dependencies] migrate-core is missing from Cargo.toml"
        );
    }
}
