//! The sealed-migrations package: older migrations compiled once, in a crate of their own (listed in the
//! folder's sealed.txt, which `migrate create` keeps), so a new migration recompiles only the newer ones.
//! Once it exists it is the user's (a dependency added, a version raised): a rerun leaves it alone, and a
//! deleted sealed.txt stays deleted (sealing off).

use std::path::Path;

use anyhow::{anyhow, Result};
use toml_edit::{value, DocumentMut, Item, Table};

use super::package::Package;
use super::{Change, Plan};

/// The sealed-migrations package's folder, in the package's.
pub(super) const SEALED_PACKAGE_DIR: &str = "sealed-migrations";

/// The dependency's key, hence the crate name `sealed_migrations` that generated registries refer to.
pub(super) const SEALED_DEPENDENCY: &str = "sealed-migrations";

const SEALED_LIB: &str = "//! The package's older migrations, compiled by build.rs from the names in the migrations folder's\n\
//! sealed.txt. The package's own registry (src/migrations.rs) merges them with the newer ones.\n\n\
include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));\n";

/// Plans the sealed package of `package` (whose manifest has `init`'s dependencies added already) for the
/// migrations folder `dir` at `folder`, and the folder's seal list.
pub(super) fn plan(plan: &mut Plan, package: &Package, dir: &str, folder: &Path) -> Result<()> {
    let sealed_dir = package.root.join(SEALED_PACKAGE_DIR);
    if sealed_dir.join("Cargo.toml").exists() {
        return Ok(());
    }
    for (file, content) in sealed_package_files(
        &package.name,
        &package.sealed_package(),
        dir,
        &package.manifest,
        &package.manifest_path,
    )? {
        plan.expect_file(&package.root, &sealed_dir.join(file), &content);
    }
    let list = folder.join(migrate_core::seal::LIST_FILE);
    if !list.exists() {
        plan.changes.push(Change::Create {
            path: list,
            content: migrate_core::seal::HEADER.to_owned(),
        });
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sealed_package_shares_the_packages_entries_and_edition() {
        let manifest: DocumentMut = "[package]\nname = \"shop\"\nedition = \"2024\"\n\n[dependencies]\nmigrate-core = { path = \"../migrate/migrate-core\" }\nmigrate-dsl = { git = \"https://example.com/m.git\" }\n\n[build-dependencies]\nmigrate-core = { path = \"/abs/migrate-core\", default-features = false, features = [\"build\"] }\n"
            .parse()
            .unwrap();
        let files = sealed_package_files(
            "shop",
            "shop-sealed-migrations",
            "migrations",
            &manifest,
            Path::new("Cargo.toml"),
        )
        .unwrap();
        let names: Vec<&str> = files.iter().map(|(f, _)| *f).collect();
        assert_eq!(names, ["Cargo.toml", "build.rs", "src/lib.rs"]);
        let cargo = &files[0].1;
        // A relative path is one level further up from the sealed package's folder; others stay.
        assert!(
            cargo.contains("migrate-core = { path = \"../../migrate/migrate-core\" }"),
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
            .contains("compile_sealed_migrations(\"../migrations\")"));

        let without: DocumentMut = "[package]\nname = \"shop\"\n".parse().unwrap();
        let error = sealed_package_files("shop", "s", "m", &without, Path::new("Cargo.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "[dependencies] migrate-core is missing from Cargo.toml"
        );
    }
}
