//! `Cargo.toml`: the dependencies on migrate's crates and the sealed package, the runner's `[[bin]]`,
//! `default-run`, and smaller debug info in the dev profile. Changed in memory; `plan` writes it last.

use anyhow::{anyhow, bail, Result};
use toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table};

use super::package::Package;
use super::sealed::{SEALED_DEPENDENCY, SEALED_PACKAGE_DIR};
use super::CratesSource;

/// `item`, a dependency entry, as an inline table (`"1"` becomes `{ version = "1" }`), to add keys to.
fn inline(item: Item) -> InlineTable {
    match item {
        Item::Value(toml_edit::Value::InlineTable(table)) => table,
        other => {
            let mut table = InlineTable::new();
            if let Some(version) = other.as_str() {
                table.insert("version", version.into());
            }
            table
        }
    }
}

/// A build-dependency entry made from `item`, the application's entry for migrate-core.
///
/// A build script needs migrate-core's `build` feature (the registry generation) and not the engine (the
/// default `runtime` feature): a build script's dependencies are compiled apart from the program's, so with
/// the engine the first build would compile the driver and the engine twice. The application itself does
/// not need `build`, so it does not compile syn.
fn with_build_feature(item: Item) -> Item {
    let mut table = inline(item);
    table.insert("default-features", false.into());
    let mut features = toml_edit::Array::new();
    features.push("build");
    table.insert("features", features.into());
    Item::Value(table.into())
}

/// The crate a runner links, in the folder of migrate-cli: every command that runs migrations, without
/// the installed command's front end (init, import, the lint rules, building and forwarding).
const RUNNER_CRATE: &str = "migrate-runner";
const RUNNER_DIR: &str = "migrate-cli/runner";

/// The name each of migrate's crates is published under, by the key `init` writes (the name code uses):
/// crates.io's `migrate-core` is an unrelated project's, so the libraries carry a prefix of their own and
/// keep their library names (`migrate_core`, `migrate_dsl`, `migrate_runner`).
pub(super) fn published_name(key: &str) -> &str {
    match key {
        "migrate-core" => "pgm-migrate-core",
        "migrate-dsl" => "pgm-migrate-dsl",
        RUNNER_CRATE => "pgm-migrate-runner",
        other => other,
    }
}

/// An entry an earlier `init` wrote for the runner (`migrate-cli` itself, `default-features = false`) made
/// to name the runner crate, which has nothing of the front end to leave out; `None` for any other entry
/// (one with default features is an application's choice to link the whole command line, and a path to a
/// checkout without the runner crate, from before it existed, is left until the checkout has it). A relative
/// path is the package's, under `root`.
fn upgraded_runner_entry(item: &Item, root: &std::path::Path) -> Option<Item> {
    let table = item.as_table_like()?;
    let without_defaults = table
        .get("default-features")
        .and_then(Item::as_bool)
        .is_some_and(|d| !d);
    if table.contains_key("package") || !without_defaults {
        return None;
    }
    let mut entry = InlineTable::new();
    for (key, value) in table.iter() {
        match key {
            "default-features" => {}
            "path" => {
                let path = std::path::Path::new(value.as_str()?).join("runner");
                if !root.join(&path).join("Cargo.toml").is_file() {
                    return None;
                }
                entry.insert("path", path.display().to_string().into());
            }
            _ => {
                entry.insert(key, value.as_value()?.clone());
            }
        }
    }
    entry.insert(
        "package",
        runner_package(root, entry.get("path").and_then(|p| p.as_str())).into(),
    );
    Some(Item::Value(entry.into()))
}

/// Upgrades the runner's dependency of a package an earlier `init` set up (see [`upgraded_runner_entry`]).
/// Returns what it changed, for the report.
pub(super) fn upgrade_runner_dependency(package: &mut Package) -> Vec<String> {
    let Some(dependencies) = package
        .manifest
        .get_mut("dependencies")
        .and_then(Item::as_table_like_mut)
    else {
        return Vec::new();
    };
    let Some(upgraded) = dependencies
        .get("migrate-cli")
        .and_then(|entry| upgraded_runner_entry(entry, &package.root))
    else {
        return Vec::new();
    };
    let named = upgraded
        .get("package")
        .and_then(Item::as_str)
        .unwrap_or(RUNNER_CRATE)
        .to_owned();
    dependencies.insert("migrate-cli", upgraded);
    vec![format!(
        "[dependencies] migrate-cli now names {named} (package = \"{named}\"): the runner's crate, \
         without the installed command's front end, which its first build no longer compiles"
    )]
}

/// The runner crate's package name: the one in the checkout's manifest at `path` (relative to `root`) when
/// there is one (a checkout from before the rename has `migrate-runner`), else the published name.
fn runner_package(root: &std::path::Path, path: Option<&str>) -> String {
    path.and_then(|p| checkout_package_name(&root.join(p)))
        .unwrap_or_else(|| published_name(RUNNER_CRATE).to_owned())
}

/// The package name in `dir/Cargo.toml`, if it can be read.
fn checkout_package_name(dir: &std::path::Path) -> Option<String> {
    let manifest: DocumentMut = std::fs::read_to_string(dir.join("Cargo.toml"))
        .ok()?
        .parse()
        .ok()?;
    Some(manifest.get("package")?.get("name")?.as_str()?.to_owned())
}

/// The entry for one of migrate's crates, `crate_name` (the runner crate for the key `migrate-cli`), from
/// `crates`; the package `package` is named in the refusal. The entry names the crate's package when it is
/// not the key (`migrate-core = { version = "0.1.0", package = "pgm-migrate-core" }`), so code keeps its
/// `migrate_core::...` paths.
fn dependency(package: &str, crates: Option<&CratesSource>, crate_name: &str) -> Result<Item> {
    let mut table = InlineTable::new();
    let published = published_name(crate_name).to_owned();
    let named = match crates {
        None => bail!(
            "migrate init changed nothing in package {package}: it needs to know where to get migrate's crates \
             from. This `migrate` was built from a checkout, not installed from a release, so it does not \
             choose a version for you. Pass one of:\n  \
             --crates-version V  a published version (registry dependencies: {} and the others)\n  \
             --crates-path DIR   a checkout of the migrate repository (path dependencies)\n  \
             --crates-git URL    the migrate repository's git URL (git dependencies; add --crates-rev REV \
             to build a given commit)",
            published_name("migrate-core")
        ),
        Some(CratesSource::Version(version)) => {
            table.insert("version", version.as_str().into());
            published
        }
        Some(CratesSource::Git { url, rev }) => {
            table.insert("git", url.as_str().into());
            if let Some(rev) = rev {
                table.insert("rev", rev.as_str().into());
            }
            published
        }
        Some(CratesSource::Path(checkout)) => {
            let dir = if crate_name == RUNNER_CRATE {
                RUNNER_DIR
            } else {
                crate_name
            };
            let path = checkout.join(dir);
            if !path.join("Cargo.toml").is_file() {
                bail!(
                    "--crates-path {}: no {dir}/Cargo.toml there; give the folder of a checkout of the migrate repository",
                    checkout.display()
                );
            }
            let path = path.canonicalize().unwrap_or(path);
            table.insert("path", path.display().to_string().into());
            // The checkout's own name for it: one from before the rename has the key's.
            checkout_package_name(&path).unwrap_or(published)
        }
    };
    // The key `migrate-cli` names the runner crate, whatever its package's name.
    let key = if crate_name == RUNNER_CRATE {
        "migrate-cli"
    } else {
        crate_name
    };
    if named != key {
        table.insert("package", named.into());
    }
    Ok(Item::Value(table.into()))
}

/// Adds the dependencies the package lacks (an existing entry is left as it is). Returns what it added, for
/// the report.
pub(super) fn add_dependencies(
    package: &mut Package,
    crates: Option<&CratesSource>,
) -> Result<Vec<String>> {
    let sealed_package = package.sealed_package();
    let mut what = Vec::new();
    for (section, names) in [
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
        for crate_name in names {
            let present = package
                .manifest
                .get(section)
                .and_then(Item::as_table_like)
                .is_some_and(|t| t.contains_key(crate_name));
            if present {
                continue;
            }
            let item = match (section, *crate_name) {
                ("build-dependencies", _) => {
                    with_build_feature(dependency(&package.name, crates, crate_name)?)
                }
                // The package's sealed-migrations package, under the name generated registries use.
                (_, SEALED_DEPENDENCY) => {
                    let mut table = InlineTable::new();
                    table.insert("package", sealed_package.as_str().into());
                    table.insert("path", SEALED_PACKAGE_DIR.into());
                    Item::Value(table.into())
                }
                (_, "migrate-cli") => dependency(&package.name, crates, RUNNER_CRATE)?,
                _ => dependency(&package.name, crates, crate_name)?,
            };
            let table = package
                .manifest
                .entry(section)
                .or_insert_with(|| Item::Table(Table::new()))
                .as_table_like_mut()
                .ok_or_else(|| {
                    anyhow!(
                        "[{section}] in {} is not a table",
                        package.manifest_path.display()
                    )
                })?;
            table.insert(crate_name, item);
            added.push(*crate_name);
        }
        if !added.is_empty() {
            what.push(format!("[{section}] {}", added.join(", ")));
        }
    }
    Ok(what)
}

/// Adds the runner's `[[bin]]` when it is missing, and `default-run` for a package whose one binary `cargo
/// run` ran until now. Returns what it added, for the report.
pub(super) fn add_runner_bin(package: &mut Package) -> Result<Vec<String>> {
    let (runner_bin, runner_path) = (package.runner_bin(), package.runner_path());
    let mut what = Vec::new();
    if package.targets.bins.iter().any(|b| b == &runner_bin) {
        return Ok(what);
    }
    let manifest = &mut package.manifest;
    let mut bin = Table::new();
    bin.insert("name", value(runner_bin.clone()));
    bin.insert("path", value(runner_path));
    match manifest.get_mut("bin") {
        Some(Item::ArrayOfTables(bins)) => bins.push(bin),
        Some(_) => bail!(
            "`bin` in {} is not [[bin]] tables",
            package.manifest_path.display()
        ),
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
    if let [only] = package.targets.bins.as_slice() {
        if !has_default {
            if let Some(table) = manifest
                .get_mut("package")
                .and_then(Item::as_table_like_mut)
            {
                table.insert("default-run", value(only.clone()));
                what.push(format!(
                    "default-run = {only:?} (so `cargo run` still runs it)"
                ));
            }
        }
    }
    Ok(what)
}

/// Why `init` sets the dev profile, written above the settings in Cargo.toml.
const PROFILE_COMMENT: &str = "\n# Set by `migrate init`: every new migration recompiles and relinks the migrations runner, and full debug\n\
# info makes that several times slower (most of it is the dependencies' debug info, copied at each link).\n\
# Line tables keep file and line numbers in backtraces; remove these lines to get full debug info back.\n\
# A seal (see `migrate create`) recompiles a chunk of older migrations whole, several times faster without\n\
# an incremental cache: the dependencies' caches are turned off (crates.io's have none anyway).\n";

/// What `init` sets in the dev profile for a fast edit→run loop: where (the table's path), the key, its value,
/// and what to report with why.
const DEV_PROFILE: [(&[&str], &str, DevValue, &str, &str); 3] = [
    (
        &["profile", "dev"],
        "debug",
        DevValue::Str("line-tables-only"),
        "[profile.dev] debug = \"line-tables-only\"",
        "less debug info",
    ),
    (
        &["profile", "dev", "package", "*"],
        "debug",
        DevValue::Bool(false),
        "[profile.dev.package.\"*\"] debug = false",
        "less debug info",
    ),
    (
        &["profile", "dev", "package", "*"],
        "incremental",
        DevValue::Bool(false),
        "[profile.dev.package.\"*\"] incremental = false",
        "no incremental cache for dependencies",
    ),
];

#[derive(Clone, Copy)]
enum DevValue {
    Str(&'static str),
    Bool(bool),
}

/// The dev profile made faster to rebuild, each setting unless the manifest already has one for it: line
/// tables for the package's debug info, none for dependencies, and no incremental cache for dependencies
/// (the sealed chunks among them). Returns what it added, for the report.
pub(super) fn faster_dev_profile(manifest: &mut DocumentMut) -> Result<Vec<String>> {
    let (mut added, mut why) = (Vec::new(), Vec::new());
    let mut commented = manifest.get("profile").and_then(|p| p.get("dev")).is_some();
    for (path, key, setting, shown, reason) in DEV_PROFILE {
        let mut item = manifest.as_item_mut();
        for part in path {
            let parent = item
                .as_table_like_mut()
                .ok_or_else(|| anyhow!("`{}` in Cargo.toml is not a table", path.join(".")))?;
            item = parent.entry(part).or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            });
        }
        let table = item
            .as_table_mut()
            .ok_or_else(|| anyhow!("[{}] in Cargo.toml is not a table", path.join(".")))?;
        if table.contains_key(key) {
            continue;
        }
        table.set_implicit(false);
        if !commented && table.is_empty() {
            table.decor_mut().set_prefix(PROFILE_COMMENT);
            commented = true;
        }
        table.insert(
            key,
            match setting {
                DevValue::Str(text) => value(text),
                DevValue::Bool(on) => value(on),
            },
        );
        added.push(shown);
        if !why.contains(&reason) {
            why.push(reason);
        }
    }
    if added.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![format!(
        "{} ({}: a new migration builds faster)",
        added.join(", "),
        why.join(", ")
    )])
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::package::Targets;
    use super::*;

    /// A package read from `manifest`, with `bins`, in no folder (the planners here read only the manifest).
    fn package(manifest: &str, bins: &[&str]) -> Package {
        Package {
            root: PathBuf::from("/nowhere"),
            manifest_path: PathBuf::from("/nowhere/Cargo.toml"),
            manifest: manifest.parse().unwrap(),
            name: "shop".to_owned(),
            targets: Targets {
                lib: None,
                crate_name: "shop".to_owned(),
                bins: bins.iter().map(|b| (*b).to_owned()).collect(),
            },
        }
    }

    fn git() -> CratesSource {
        CratesSource::Git {
            url: "https://example.com/migrate.git".to_owned(),
            rev: Some("abc".to_owned()),
        }
    }

    #[test]
    fn dependencies_point_at_the_source_and_the_build_script_leaves_the_engine_out() {
        let mut p = package("[package]\nname = \"shop\"\n", &["shop"]);
        let what = add_dependencies(&mut p, Some(&git())).unwrap();
        assert_eq!(
            what,
            [
                "[dependencies] migrate-core, migrate-dsl, migrate-cli, sealed-migrations",
                "[build-dependencies] migrate-core"
            ]
        );
        let text = p.manifest.to_string();
        let source =
            "{ git = \"https://example.com/migrate.git\", rev = \"abc\", package = \"pgm-migrate-core\" }";
        assert!(text.contains(&format!("migrate-core = {source}")), "{text}");
        // The runner links the runner crate, under the name code uses (`migrate_cli::...`).
        assert!(
            text.contains(
                "migrate-cli = { git = \"https://example.com/migrate.git\", rev = \"abc\", package = \"pgm-migrate-runner\" }"
            ),
            "{text}"
        );
        assert!(
            text.contains("sealed-migrations = { package = \"shop-sealed-migrations\", path = \"sealed-migrations\" }"),
            "{text}"
        );
        assert!(
            text.contains(
                "[build-dependencies]\nmigrate-core = { git = \"https://example.com/migrate.git\", rev = \"abc\", package = \"pgm-migrate-core\", default-features = false, features = [\"build\"] }"
            ),
            "{text}"
        );
    }

    /// `--crates-version` (a released `migrate`'s default): registry dependencies on the published names, under
    /// the keys code uses, so `use migrate_dsl::prelude::*` and `migrate_cli::...` stay as they are.
    #[test]
    fn a_version_makes_registry_dependencies_on_the_published_names() {
        let mut p = package("[package]\nname = \"shop\"\n", &["shop"]);
        let version = CratesSource::Version("0.3.1".to_owned());
        add_dependencies(&mut p, Some(&version)).unwrap();
        let text = p.manifest.to_string();
        for line in [
            "[dependencies]\nmigrate-core = { version = \"0.3.1\", package = \"pgm-migrate-core\" }\n",
            "migrate-dsl = { version = \"0.3.1\", package = \"pgm-migrate-dsl\" }\n",
            "migrate-cli = { version = \"0.3.1\", package = \"pgm-migrate-runner\" }\n",
            "[build-dependencies]\nmigrate-core = { version = \"0.3.1\", package = \"pgm-migrate-core\", default-features = false, features = [\"build\"] }\n",
        ] {
            assert!(text.contains(line), "{line}\nnot in\n{text}");
        }
    }

    /// The flags name the source; without one, a released `migrate` picks its own version and one built from
    /// a checkout none (init then refuses and lists the flags).
    #[test]
    fn the_source_is_the_flags_else_the_released_version() {
        let chosen = |version, path: Option<&str>, git, released| {
            format!(
                "{:?}",
                CratesSource::chosen(version, path.map(std::path::Path::new), git, released)
            )
        };
        assert_eq!(chosen(None, None, None, None), "None");
        assert_eq!(
            chosen(None, None, None, Some("0.2.0")),
            "Some(Version(\"0.2.0\"))"
        );
        assert_eq!(
            chosen(Some("0.1.5"), None, None, Some("0.2.0")),
            "Some(Version(\"0.1.5\"))"
        );
        assert_eq!(
            chosen(None, Some("/src/migrate"), None, Some("0.2.0")),
            "Some(Path(\"/src/migrate\"))"
        );
        assert_eq!(
            chosen(
                None,
                None,
                Some(("https://x/m.git", Some("abc"))),
                Some("0.2.0")
            ),
            "Some(Git { url: \"https://x/m.git\", rev: Some(\"abc\") })"
        );
    }

    #[test]
    fn existing_entries_stay_and_a_missing_source_is_refused_only_when_needed() {
        let complete = "[package]\nname = \"shop\"\n\n[dependencies]\nmigrate-core = \"9\"\nmigrate-dsl = \"9\"\nmigrate-cli = \"9\"\nsealed-migrations = \"9\"\n\n[build-dependencies]\nmigrate-core = \"9\"\n";
        let mut p = package(complete, &[]);
        assert!(add_dependencies(&mut p, None).unwrap().is_empty());
        assert_eq!(p.manifest.to_string(), complete);

        let mut p = package("[package]\nname = \"shop\"\n", &[]);
        let error = add_dependencies(&mut p, None).unwrap_err().to_string();
        assert!(
            error.contains("--crates-path DIR")
                && error.contains("--crates-git URL")
                && error.contains("--crates-version V"),
            "{error}"
        );

        let mut p = package("[package]\nname = \"shop\"\n", &[]);
        let missing = CratesSource::Path(PathBuf::from("/no/checkout"));
        let error = add_dependencies(&mut p, Some(&missing))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("no migrate-core/Cargo.toml there"),
            "{error}"
        );
    }

    /// A package an earlier `init` set up (migrate-cli without default features) is moved to the runner
    /// crate; an entry with default features, or one naming a package already, is the user's and stays.
    #[test]
    fn an_earlier_runner_entry_is_upgraded_to_the_runner_crate() {
        let checkout = tempfile::tempdir().unwrap();
        let cli = checkout.path().join("migrate-cli");
        let old = format!(
            "[package]\nname = \"shop\"\n\n[dependencies]\nmigrate-cli = {{ path = \"{}\", default-features = false }}\n",
            cli.display()
        );
        // A checkout from before the runner crate: left as it is.
        let mut p = package(&old, &[]);
        assert!(upgrade_runner_dependency(&mut p).is_empty());
        assert_eq!(p.manifest.to_string(), old);

        std::fs::create_dir_all(cli.join("runner")).unwrap();
        std::fs::write(cli.join("runner/Cargo.toml"), "").unwrap();
        let mut p = package(&old, &[]);
        let what = upgrade_runner_dependency(&mut p);
        assert_eq!(what.len(), 1, "{what:?}");
        assert!(
            what[0].contains("migrate-cli now names pgm-migrate-runner"),
            "{what:?}"
        );
        let text = p.manifest.to_string();
        assert!(
            text.contains(&format!(
                "migrate-cli = {{ path = \"{}/runner\", package = \"pgm-migrate-runner\" }}",
                cli.display()
            )),
            "{text}"
        );
        // Once is enough: the entry names a package now.
        assert!(upgrade_runner_dependency(&mut p).is_empty());

        let git = "[dependencies]\nmigrate-cli = { git = \"https://example.com/migrate.git\", rev = \"abc\", default-features = false }\n";
        let mut p = package(git, &[]);
        upgrade_runner_dependency(&mut p);
        assert!(
            p.manifest.to_string().contains(
                "migrate-cli = { git = \"https://example.com/migrate.git\", rev = \"abc\", package = \"pgm-migrate-runner\" }"
            ),
            "{}",
            p.manifest
        );

        for kept in [
            "[dependencies]\nmigrate-cli = { path = \"/src/migrate/migrate-cli\" }\n",
            "[dependencies]\nmigrate-cli = \"0.1\"\n",
        ] {
            let mut p = package(kept, &[]);
            assert!(upgrade_runner_dependency(&mut p).is_empty());
            assert_eq!(p.manifest.to_string(), kept);
        }
    }

    #[test]
    fn a_version_entry_becomes_a_build_entry_without_the_engine() {
        let item = with_build_feature(value("0.1"));
        assert_eq!(
            item.to_string(),
            "{ version = \"0.1\", default-features = false, features = [\"build\"] }"
        );
    }

    #[test]
    fn the_runner_bin_is_added_with_default_run_for_a_single_binary() {
        let mut p = package("[package]\nname = \"shop\"\n", &["shop"]);
        let what = add_runner_bin(&mut p).unwrap();
        assert_eq!(
            what,
            [
                "[[bin]] shop-migrate",
                "default-run = \"shop\" (so `cargo run` still runs it)"
            ]
        );
        let text = p.manifest.to_string();
        assert!(text.contains("default-run = \"shop\""), "{text}");
        assert!(
            text.contains("[[bin]]\nname = \"shop-migrate\"\npath = \"src/bin/shop-migrate.rs\""),
            "{text}"
        );

        // Two binaries already: `cargo run` asks anyway, so no default-run; the runner present: nothing.
        let mut p = package("[package]\nname = \"shop\"\n", &["a", "b"]);
        assert_eq!(add_runner_bin(&mut p).unwrap(), ["[[bin]] shop-migrate"]);
        let mut p = package("[package]\nname = \"shop\"\n", &["shop-migrate"]);
        assert!(add_runner_bin(&mut p).unwrap().is_empty());
        let mut p = package("bin = 3\n[package]\nname = \"shop\"\n", &[]);
        assert!(add_runner_bin(&mut p).is_err());
    }

    #[test]
    fn debug_info_is_made_smaller_unless_the_manifest_says_how_much() {
        let mut m: DocumentMut = "[package]\nname = \"shop\"\n".parse().unwrap();
        assert_eq!(faster_dev_profile(&mut m).unwrap().len(), 1);
        let text = m.to_string();
        assert!(
            text.contains("[profile.dev]\ndebug = \"line-tables-only\""),
            "{text}"
        );
        assert!(
            text.contains("[profile.dev.package.\"*\"]\ndebug = false\nincremental = false"),
            "{text}"
        );
        assert!(text.contains("# Set by `migrate init`"), "{text}");

        let own = "[package]\nname = \"shop\"\n\n[profile.dev]\ndebug = true\n\n[profile.dev.package.\"*\"]\ndebug = 1\nincremental = true\n";
        let mut m: DocumentMut = own.parse().unwrap();
        assert!(faster_dev_profile(&mut m).unwrap().is_empty());
        assert_eq!(m.to_string(), own);

        // A package set up by an earlier `init`: only the missing setting is added, and said.
        let earlier = "[package]\nname = \"shop\"\n\n[profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\ndebug = false\n";
        let mut m: DocumentMut = earlier.parse().unwrap();
        assert_eq!(
            faster_dev_profile(&mut m).unwrap(),
            ["[profile.dev.package.\"*\"] incremental = false (no incremental cache for dependencies: a new migration builds faster)"]
        );
        assert_eq!(m.to_string(), format!("{earlier}incremental = false\n"));
    }
}
