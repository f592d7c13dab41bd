//! Throwaway consumer crates outside the workspace, built the way a user's project is: their own fresh lockfile
//! (never this repository's), offline from the local registry cache. They build in the end-to-end tests'
//! target folder (`target/e2e-target`, kept between runs): a fresh lockfile resolved offline takes the
//! versions already downloaded, mostly those the other packages there were built with, so the dependencies
//! are compiled once for all of them rather than once more for the consumers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn checkout() -> PathBuf {
    crate::cli::workspace_root()
}

/// The dependency entry on one of migrate's crates in the checkout `root`, as `migrate init --crates-path`
/// writes it: `key = { path = "<root>/<dir>", package = "<its package name>"<extra> }`. `key` is the name code
/// uses; `package` is read from the crate's manifest and left out when it is the key (the front end, or a
/// checkout from before the libraries took their published names).
pub fn path_entry(root: &Path, key: &str, extra: &str) -> String {
    let dir = if key == "migrate-runner" {
        "migrate-cli/runner"
    } else {
        key
    };
    let path = root.join(dir);
    let named = package_name(&path).filter(|name| name != key);
    let package = named.map_or(String::new(), |name| format!(", package = {name:?}"));
    format!(
        "{key} = {{ path = {:?}{package}{extra} }}",
        path.display().to_string()
    )
}

/// The package name in `dir/Cargo.toml`.
pub fn package_name(dir: &Path) -> Option<String> {
    // The manifests of this repository: `name = "..."` is the first key of `[package]`'s lines.
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let package = manifest
        .split("\n[package]\n")
        .nth(1)
        .or_else(|| manifest.strip_prefix("[package]\n"))?;
    package.lines().find_map(|line| {
        let value = line.strip_prefix("name = ")?;
        Some(value.trim().trim_matches('"').to_owned())
    })
}

/// The target folder every consumer build shares with the other end-to-end packages.
pub fn target_dir() -> PathBuf {
    crate::cli::e2e_target()
}

/// The environment of every command run in a consumer: offline, the shared target folder, and nothing of the
/// test's own migration settings.
pub fn env() -> Vec<(&'static str, String)> {
    vec![
        ("CARGO_NET_OFFLINE", "true".to_owned()),
        ("CARGO_TARGET_DIR", target_dir().display().to_string()),
    ]
}

/// `cargo <args>` in `dir` with [`env()`]; panics with cargo's output unless it succeeds.
pub fn cargo(dir: &Path, args: &[&str]) -> Output {
    let out = cargo_unchecked(dir, args, &[]);
    assert!(
        out.status.success(),
        "cargo {} failed in {}:\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `cargo <args>` in `dir` with [`env()`] and `extra`, whatever its outcome.
pub fn cargo_unchecked(dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir).args(args);
    for var in [
        "MIGRATIONS_TABLE",
        "MIGRATIONS_SCHEMA",
        "MIGRATIONS_DIR",
        "MIGRATE_CONFIG",
        // Set by the `cargo test` running this test; a nested cargo must find its own workspace.
        "CARGO_MANIFEST_DIR",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env());
    cmd.envs(extra.iter().copied());
    cmd.output().expect("cargo runs")
}

/// A fenced code block of README.md, the one after the line `<!-- <marker> -->`: the documentation's examples
/// are what the consumer tests compile and run.
pub fn readme_block(marker: &str) -> String {
    doc_block("README.md", marker)
}

/// The same for a page of the guide or any Markdown file of the checkout (`docs/start-up.md`).
pub fn doc_block(file: &str, marker: &str) -> String {
    let doc =
        std::fs::read_to_string(checkout().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let tag = format!("<!-- {marker} -->");
    let after = doc
        .split_once(&tag)
        .unwrap_or_else(|| panic!("{file} has no {tag}"))
        .1;
    let body = after
        .split_once("```rust\n")
        .unwrap_or_else(|| panic!("no ```rust block after {tag}"))
        .1;
    body.split_once("```")
        .unwrap_or_else(|| panic!("unterminated block after {tag}"))
        .0
        .to_owned()
}

/// `migrate <args>` in `dir`, as the installed front end runs, with `DATABASE_URL` of `db` and [`env()`]'s
/// offline build settings, nothing else.
pub fn migrate(dir: &Path, db: &crate::TestDb, args: &[&str]) -> crate::cli::Run {
    let env = env();
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("DATABASE_URL", db.url()));
    crate::cli::front(dir, args, &vars)
}

/// A package made by `cargo new --quiet <name>` in a fresh temporary folder and set up by `migrate init
/// --crates-path` this checkout; the folder (removed when dropped) and the package's path.
pub fn initialised_package(db: &crate::TestDb, name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    cargo(tmp.path(), &["new", "--quiet", name]);
    let app = tmp.path().join(name);
    let checkout = checkout().display().to_string();
    migrate(&app, db, &["init", "--crates-path", &checkout]).expect_code(0);
    (tmp, app)
}
