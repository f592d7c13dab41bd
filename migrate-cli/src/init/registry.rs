//! The registry module (`src/migrations.rs`, which includes what the build script generates) and, in a
//! package with a library, the library's `pub mod migrations;`.

use anyhow::Result;

use super::package::Package;
use super::{read, Change, Plan};

const REGISTRY_MODULE: &str = "//! The migrations in the migrations folder, compiled by build.rs: `MIGRATIONS` (ordered by timestamp)\n\
//! and `REGISTRY`. The runner binary and the application's own start-up use this one list.\n\n\
include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));\n";

/// Plans the registry module of `package`.
pub(super) fn plan(plan: &mut Plan, package: &Package) -> Result<()> {
    let root = &package.root;
    plan.expect_file(root, &root.join("src/migrations.rs"), REGISTRY_MODULE);
    if root.join("src/migrations/mod.rs").exists() {
        plan.conflicts.push(
            "src/migrations/mod.rs exists: the package already has a `migrations` module of its own".to_owned(),
        );
    }
    if let Some(lib) = &package.targets.lib {
        let text = read(lib)?;
        if !declares_module(&text, "migrations") {
            plan.changes.push(Change::Update {
                path: lib.clone(),
                content: insert_module(&text, "pub mod migrations;"),
                what: vec!["added `pub mod migrations;`".to_owned()],
            });
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
