//! A project that depends on the crates gets only their manifests, never this repository's lockfile. So every
//! version constraint a consumer needs must be in the member crates' manifests: squawk 2.69+ needs rustc 1.99,
//! and without pins in migrate-core a consumer's fresh lockfile picked it and did not build.
//!
//! - `every_dependency_allowed_by_the_manifests_fits_the_declared_rust_version`: resolves a consumer's
//!   dependency graph (`cargo metadata`, offline), then asks the registry index cache, for every registry
//!   package in it, which is the newest version that all requirements on it allow; a fresh online resolution
//!   could pick that one, so its `rust-version` must not be newer than ours. Offline resolution alone would not
//!   show the problem: it only sees the versions already downloaded.
//! - `consumers_of_editions_2018_to_2024_build_with_their_own_lockfile`: builds each, offline, in a temporary
//!   folder outside the workspace, each with a lockfile of its own; the edition 2018 runner denies warnings, so
//!   generated code that is clean only under a newer edition (inline format arguments) fails it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use tests::cli::front;
use tests::consumer::{cargo, checkout};

/// A consumer crate depending on the three published crates by path, as `migrate init --crates-path` writes.
fn consumer(dir: &Path, name: &str, edition: &str) {
    let dep = |c: &str| tests::consumer::path_entry(&checkout(), c, "");
    let build_dep = |c: &str| {
        tests::consumer::path_entry(
            &checkout(),
            c,
            ", default-features = false, features = [\"build\"]",
        )
    };
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"{edition}\"\n\n[dependencies]\n{}\n{}\n{}\n\n[build-dependencies]\n{}\n",
            dep("migrate-core"),
            dep("migrate-dsl"),
            dep("migrate-cli"),
            build_dep("migrate-core")
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(
        dir.join("build.rs"),
        "fn main() {\n    migrate_core::build::compile_migrations(\"migrations\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("migrations/20260101000000_create_users.rs"),
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"users\", [column(\"id\", \"bigserial\").primary_key()]);\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "mod migrations {\n    include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));\n}\n\n\
         fn main() -> std::process::ExitCode {\n    migrate_cli::run_embedded(&migrations::REGISTRY)\n}\n",
    )
    .unwrap();
}

/// Set up by `migrate init` as a user would: edition 2018 and 2021 binaries and an edition 2024 library.
#[test]
fn consumers_of_editions_2018_to_2024_build_with_their_own_lockfile() {
    let tmp = tempfile::tempdir().unwrap();
    for (edition, lib) in [("2018", false), ("2021", false), ("2024", true)] {
        let name = format!("consumer{edition}");
        let dir = tmp.path().join(&name);
        let kind = if lib { "--lib" } else { "--bin" };
        cargo(
            tmp.path(),
            &[
                "new",
                "--quiet",
                "--vcs",
                "none",
                kind,
                "--edition",
                edition,
                &name,
            ],
        );
        let checkout = checkout().display().to_string();
        front(&dir, &["init", "--crates-path", &checkout], &[]).expect_code(0);
        if edition == "2018" {
            // The generated registry is compiled into the runner under the package's edition.
            let runner = dir.join(format!("src/bin/{name}-migrate.rs"));
            let code = std::fs::read_to_string(&runner).expect("init wrote the runner");
            std::fs::write(&runner, format!("#![deny(warnings)]\n{code}")).unwrap();
        }
        std::fs::write(
            dir.join("migrations/20260101000000_create_users.rs"),
            "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.create_table(\"users\", [column(\"id\", \"bigserial\").primary_key()]);\n}\n",
        )
        .unwrap();
        assert!(!dir.join("Cargo.lock").exists());
        cargo(&dir, &["build", "--offline"]);
        let lock = std::fs::read_to_string(dir.join("Cargo.lock")).expect("a fresh lockfile");
        // The runner leaves the lint rules to the installed `migrate`: no squawk at all.
        assert!(
            !lock.contains("name = \"squawk-"),
            "the edition {edition} consumer's runner compiles squawk:\n{lock}"
        );
        // With them put back (the whole command line, migrate-cli itself, instead of the runner crate), a
        // fresh resolution takes the pinned versions.
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let whole = manifest.replace("/runner\", package = \"pgm-migrate-runner\"", "\"");
        assert_ne!(
            whole, manifest,
            "init wrote no runner-crate entry:\n{manifest}"
        );
        std::fs::write(dir.join("Cargo.toml"), whole).unwrap();
        let with_rules = String::from_utf8_lossy(
            &cargo(
                &dir,
                &["tree", "--offline", "--edges", "normal", "--prefix", "none"],
            )
            .stdout,
        )
        .into_owned();
        for squawk in [
            "squawk-linter",
            "squawk-syntax",
            "squawk-parser",
            "squawk-lexer",
            "squawk-line-index",
        ] {
            assert!(
                with_rules.contains(&format!("{squawk} v2.68.0\n")),
                "{squawk} is not 2.68.0 for the edition {edition} consumer with the lint rules:\n{with_rules}"
            );
        }
        std::fs::write(dir.join("Cargo.toml"), &manifest).unwrap();
        // The runner it built has the migration compiled in.
        let out = cargo(
            &dir,
            &[
                "run",
                "--offline",
                "--quiet",
                "--bin",
                &format!("{name}-migrate"),
                "--",
                "sql",
                "20260101000000",
            ],
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("CREATE TABLE \"users\""),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// The four crates are publishable: `cargo package` builds each from its packaged sources alone, the
/// inter-crate dependencies resolved by version (cargo packages them together, in dependency order, against a
/// temporary local registry; so no `--no-verify` is needed). Nothing is published.
#[test]
fn the_crates_package_and_verify() {
    let target = checkout().join("target").join("package-check");
    let home = private_cargo_home(&target);
    forget_packaged_builds(&target, &home);
    let target = target.display().to_string();
    let home = home.display().to_string();
    let out = tests::consumer::cargo_unchecked(
        &checkout(),
        &[
            "package",
            "--offline",
            "--allow-dirty",
            "-p",
            "pgm-migrate-dsl",
            "-p",
            "pgm-migrate-core",
            "-p",
            "pgm-migrate-runner",
            "-p",
            "migrate-cli",
        ],
        // Without debug info: whether the packaged sources build does not depend on it, and the build
        // takes a quarter less CPU without (122 s against 161 s on 2 cores).
        &[
            ("CARGO_TARGET_DIR", &target),
            ("CARGO_HOME", &home),
            ("CARGO_PROFILE_DEV_DEBUG", "false"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for c in [
        "pgm-migrate-dsl",
        "pgm-migrate-core",
        "pgm-migrate-runner",
        "migrate-cli",
    ] {
        assert!(
            stderr.contains(&format!("Verifying {c} v")),
            "{c} was not verified:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("warning: manifest has no"),
        "metadata missing:\n{stderr}"
    );
}

/// A `CARGO_HOME` of this checkout's own for the packaging run, sharing the real one's registry index, downloaded
/// crates and unpacked crates.io sources (symbolic links), so it works offline. Cargo unpacks the packaged crates
/// into `registry/src/-<hash>/` of the `CARGO_HOME` it runs with: with a home of its own, clearing them (below)
/// can never delete what a run in another checkout is building from at the same moment.
fn private_cargo_home(target: &Path) -> PathBuf {
    let real = cargo_home();
    let home = target.join("cargo-home");
    let src = home.join("registry").join("src");
    std::fs::create_dir_all(&src).unwrap();
    let link = |from: PathBuf, to: PathBuf| {
        if from.exists() && std::fs::symlink_metadata(&to).is_err() {
            std::os::unix::fs::symlink(&from, &to).unwrap_or_else(|e| {
                panic!("cannot link {} to {}: {e}", to.display(), from.display())
            });
        }
    };
    for shared in ["index", "cache"] {
        link(
            real.join("registry").join(shared),
            home.join("registry").join(shared),
        );
    }
    for file in ["config.toml", "config"] {
        link(real.join(file), home.join(file));
    }
    for entry in std::fs::read_dir(real.join("registry").join("src"))
        .into_iter()
        .flatten()
        .flatten()
    {
        // crates.io's unpacked sources are shared; the temporary registries' (`-<hash>`) are not.
        if !entry.file_name().to_string_lossy().starts_with('-') {
            link(entry.path(), src.join(entry.file_name()));
        }
    }
    home
}

/// Verification builds each package as if downloaded from a registry, and cargo never rebuilds a registry
/// package it built before (a published version does not change): the same name and version from an earlier
/// run would be used instead of these sources. So the earlier run's copies are forgotten first: their
/// extracted sources in the private `CARGO_HOME`'s `registry/src/-<hash of the temporary registry's path>/` and
/// their builds in `target` (only this test builds there).
fn forget_packaged_builds(target: &Path, home: &Path) {
    let names = [
        "pgm-migrate-dsl",
        "pgm-migrate-core",
        "pgm-migrate-runner",
        "migrate-cli",
    ];
    let src = home.join("registry").join("src");
    for registry in std::fs::read_dir(&src).into_iter().flatten().flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for c in names {
            remove(
                &registry
                    .path()
                    .join(format!("{c}-{}", env!("CARGO_PKG_VERSION"))),
            );
        }
    }
    let fingerprints = target.join("debug").join(".fingerprint");
    for entry in std::fs::read_dir(&fingerprints)
        .into_iter()
        .flatten()
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().into_owned();
        if names.iter().any(|c| file.starts_with(&format!("{c}-"))) {
            remove(&entry.path());
        }
    }
}

fn remove(dir: &Path) {
    if dir.is_dir() {
        std::fs::remove_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot remove {}: {e}", dir.display()));
    }
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME")
}

#[test]
fn every_dependency_allowed_by_the_manifests_fits_the_declared_rust_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("resolved");
    consumer(&dir, "resolved", "2021");
    let host = host_triple();
    let out = cargo(
        &dir,
        &[
            "metadata",
            "--offline",
            "--format-version",
            "1",
            "--filter-platform",
            &host,
        ],
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let packages: BTreeMap<String, &serde_json::Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p))
        .collect();
    let declared = packages
        .values()
        .find(|p| p["name"] == "pgm-migrate-core")
        .and_then(|p| p["rust_version"].as_str())
        .map(version_tuple)
        .expect("pgm-migrate-core declares rust-version");

    // Every active edge of the graph: (parent, child id, requirement).
    let mut requirements: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("nodes") {
        let parent = packages[node["id"].as_str().unwrap()];
        for edge in node["deps"].as_array().expect("deps") {
            let child = packages[edge["pkg"].as_str().unwrap()];
            if !child["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("registry+"))
            {
                continue;
            }
            let kinds: Vec<&str> = edge["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kind"].as_str().unwrap_or("normal"))
                .collect();
            for dep in parent["dependencies"].as_array().unwrap() {
                let kind = dep["kind"].as_str().unwrap_or("normal");
                if dep["name"] == child["name"] && kind != "dev" && kinds.contains(&kind) {
                    requirements
                        .entry(child["name"].as_str().unwrap().to_owned())
                        .or_default()
                        .push((
                            parent["name"].as_str().unwrap().to_owned(),
                            dep["req"].as_str().unwrap().to_owned(),
                        ));
                }
            }
        }
    }
    assert!(requirements.contains_key("squawk-parser"));

    let index = index_cache();
    let mut missing = Vec::new();
    let mut too_new = Vec::new();
    for (name, reqs) in &requirements {
        let Some(versions) = index_versions(&index, name) else {
            missing.push(name.clone());
            continue;
        };
        let allowed = versions
            .iter()
            .filter(|v| !v.yanked && reqs.iter().all(|(_, r)| matches(r, &v.version)))
            .max_by(|a, b| version_tuple(&a.version).cmp(&version_tuple(&b.version)));
        if let Some(newest) = allowed {
            if let Some(rv) = &newest.rust_version {
                if version_tuple(rv) > declared {
                    too_new.push(format!(
                        "{name} {} needs rustc {rv}, and {} allow it; pin it in the manifest of the crate that depends on it",
                        newest.version,
                        reqs.iter()
                            .map(|(p, r)| format!("{p} ({r})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the registry index cache in {} has no entry for {missing:?}; build the workspace first (it fills the cache)",
        index.display()
    );
    assert!(
        too_new.is_empty(),
        "a consumer's fresh lockfile may get versions that need a newer rustc than the declared rust-version:\n{}",
        too_new.join("\n")
    );
}

fn host_triple() -> String {
    let out = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

/// The sparse index cache of crates.io in `$CARGO_HOME` (what cargo keeps of the index it fetched).
fn index_cache() -> PathBuf {
    let index = cargo_home().join("registry").join("index");
    std::fs::read_dir(&index)
        .unwrap_or_else(|e| panic!("no registry index cache in {}: {e}", index.display()))
        .flatten()
        .map(|e| e.path().join(".cache"))
        .find(|p| p.is_dir() && p.to_string_lossy().contains("crates.io"))
        .unwrap_or_else(|| panic!("no crates.io index cache in {}", index.display()))
}

struct IndexVersion {
    version: String,
    yanked: bool,
    rust_version: Option<String>,
}

/// Every version the cache knows of `name`. The cache file holds a small header, then for each version its
/// number and its index line (JSON), NUL-separated.
fn index_versions(cache: &Path, name: &str) -> Option<Vec<IndexVersion>> {
    let lower = name.to_lowercase();
    let rel = match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    };
    let bytes = std::fs::read(cache.join(rel)).ok()?;
    let versions = bytes
        .split(|b| *b == 0)
        .filter(|chunk| chunk.first() == Some(&b'{'))
        .filter_map(|chunk| serde_json::from_slice::<serde_json::Value>(chunk).ok())
        .map(|v| IndexVersion {
            version: v["vers"].as_str().unwrap_or_default().to_owned(),
            yanked: v["yanked"].as_bool().unwrap_or(false),
            rust_version: v["rust_version"].as_str().map(str::to_owned),
        })
        .collect();
    Some(versions)
}

/// `1.2.3` (or `1.2`, build metadata ignored) as a comparable tuple; pre-releases are below their release.
fn version_tuple(v: &str) -> (u64, u64, u64, bool) {
    let v = v.split('+').next().unwrap_or(v);
    let (core, pre) = match v.split_once('-') {
        Some((c, _)) => (c, true),
        None => (v, false),
    };
    let mut parts = core.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        !pre,
    )
}

/// Whether `version` satisfies cargo's requirement `req` (comma-separated comparators: `^`, `~`, `=`, `>=`,
/// `>`, `<=`, `<`, wildcards, bare versions meaning `^`). Pre-releases never match: a fresh resolution does not
/// pick them unless asked.
fn matches(req: &str, version: &str) -> bool {
    if version.contains('-') {
        return false;
    }
    let v = version_tuple(version);
    let v = (v.0, v.1, v.2);
    req.split(',').all(|comparator| {
        let c = comparator.trim();
        if c == "*" || c.is_empty() {
            return true;
        }
        // Two-character operators first, so `>=` is not read as `>`.
        let (op, rest) = [">=", "<=", ">", "<", "=", "^", "~"]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|rest| (*op, rest.trim())))
            .unwrap_or(("^", c));
        let parts: Vec<&str> = rest
            .split('.')
            .take_while(|p| *p != "*" && *p != "x")
            .collect();
        let given = parts.len();
        let n = |i: usize| -> u64 {
            parts
                .get(i)
                .and_then(|p| p.split('-').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or(0)
        };
        let r = (n(0), n(1), n(2));
        match op {
            "=" => [v.0, v.1, v.2][..given] == [r.0, r.1, r.2][..given],
            ">=" => v >= r,
            ">" => v > r,
            "<" => v < r,
            "<=" => v <= r,
            "~" => match given {
                1 => v.0 == r.0 && v >= r,
                _ => (v.0, v.1) == (r.0, r.1) && v >= r,
            },
            _ => {
                v >= r
                    && if r.0 > 0 || given == 1 {
                        v.0 == r.0
                    } else if r.1 > 0 || given == 2 {
                        v.0 == 0 && v.1 == r.1
                    } else {
                        v == r
                    }
            }
        }
    })
}

#[test]
fn requirement_matching_follows_cargo() {
    assert!(matches("^2.68.0", "2.71.0"));
    assert!(!matches("=2.68.0", "2.71.0"));
    assert!(matches("=2.68.0", "2.68.0"));
    assert!(matches("^0.19", "0.19.14") && !matches("^0.19", "0.20.0"));
    assert!(matches("^0.0.3", "0.0.3") && !matches("^0.0.3", "0.0.4"));
    assert!(matches(">=0.2.3, <0.4", "0.3.9") && !matches(">=0.2.3, <0.4", "0.4.0"));
    assert!(matches("~1.2", "1.2.9") && !matches("~1.2", "1.3.0"));
    assert!(matches("*", "9.9.9") && matches("1.*", "1.5.0") && !matches("1.*", "2.0.0"));
    assert!(!matches("^1", "1.1.0-rc.1"));
    let mut sorted: BTreeSet<(u64, u64, u64, bool)> = BTreeSet::new();
    sorted.insert(version_tuple("1.0.0"));
    sorted.insert(version_tuple("1.0.0-rc.1"));
    assert_eq!(sorted.iter().next(), Some(&version_tuple("1.0.0-rc.1")));
}
