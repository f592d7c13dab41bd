//! The build script: a new one, or the migrations line added to the package's own.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use toml_edit::{DocumentMut, Item};

use super::package::Package;
use super::{read, shown, Change, Plan};

/// The build-script line that compiles the folder.
fn build_line(dir: &str) -> String {
    format!("migrate_core::build::compile_migrations({dir:?});")
}

/// Plans the build script of `package` for the migrations folder `dir`.
pub(super) fn plan(plan: &mut Plan, package: &Package, dir: &str) -> Result<()> {
    let root = &package.root;
    let line = build_line(dir);
    match build_script(&package.manifest, root)? {
        BuildScript::Disabled => plan.conflicts.push(
            "Cargo.toml says `build = false`; the migrations are compiled by a build script: remove that line"
                .to_owned(),
        ),
        BuildScript::Missing(path) => plan.changes.push(Change::Create {
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
                plan.conflicts.push(format!(
                    "{} already compiles a migrations folder, but not with `{line}`; fix it by hand or pass --dir",
                    shown(root, &path)
                ));
            } else {
                match insert_into_main(&text, &line) {
                    Some(content) => {
                        if !text.contains("rerun-if-changed") {
                            plan.notes.push(format!(
                                "{} now declares `cargo:rerun-if-changed` for the migrations folder, so cargo no longer reruns it on every change in the package; if it reads other files, add a `cargo:rerun-if-changed` line for each",
                                shown(root, &path)
                            ));
                        }
                        plan.changes.push(Change::Update {
                            path,
                            content,
                            what: vec![format!("added `{line}` to fn main")],
                        });
                    }
                    None => plan.conflicts.push(format!(
                        "cannot add the migrations line to {} safely (it has no single `fn main() {{` line): add `{line}` at the start of its fn main yourself, then run init again",
                        shown(root, &path)
                    )),
                }
            }
        }
    }
    Ok(())
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
    fn the_build_script_is_where_the_manifest_says() {
        let root = tempfile::tempdir().unwrap();
        let manifest = |text: &str| -> DocumentMut { text.parse().unwrap() };
        assert!(matches!(
            build_script(&manifest("[package]\nbuild = false\n"), root.path()).unwrap(),
            BuildScript::Disabled
        ));
        match build_script(
            &manifest("[package]\nbuild = \"tools/b.rs\"\n"),
            root.path(),
        )
        .unwrap()
        {
            BuildScript::Missing(p) => assert_eq!(p, root.path().join("tools/b.rs")),
            _ => panic!("a missing custom build script"),
        }
        std::fs::write(root.path().join("build.rs"), "fn main() {}\n").unwrap();
        assert!(matches!(
            build_script(&manifest("[package]\n"), root.path()).unwrap(),
            BuildScript::Existing(_)
        ));
        assert!(build_script(&manifest("[package]\nbuild = 3\n"), root.path()).is_err());
    }
}
