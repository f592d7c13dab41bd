//! migrate's crates as crates.io will take them: every package that is published has the metadata its page
//! and `cargo publish` need, depends on the others by version as well as by path, keeps the library names code
//! writes, and packages. Cheap (cargo's metadata and `cargo package --no-verify`, about a second); building the
//! packaged sources is `consumer::the_crates_package_and_verify`.

use std::path::Path;
use std::process::Command;

use tests::cli::workspace_root;

/// The packages that are never published: the example, its sealed migrations, the tests.
const UNPUBLISHED: [&str; 3] = ["example-app", "example-app-sealed-migrations", "tests"];

/// Each published package and the library name code writes for it.
const PUBLISHED: [(&str, &str); 4] = [
    ("pgm-migrate-core", "migrate_core"),
    ("pgm-migrate-dsl", "migrate_dsl"),
    ("pgm-migrate-runner", "migrate_runner"),
    ("migrate-cli", "migrate_cli"),
];

fn cargo(args: &[&str], target: &Path) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target)
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("cargo runs")
}

#[test]
fn every_published_crate_has_its_metadata_versioned_dependencies_and_its_library_name() {
    let target = tempfile::tempdir().unwrap();
    let out = cargo(
        &[
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ],
        target.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut problems = Vec::new();
    let mut published = Vec::new();
    for package in meta["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        // `publish = false` is an empty list of registries.
        if package["publish"].as_array().is_some_and(Vec::is_empty) {
            assert!(
                UNPUBLISHED.contains(&name),
                "{name} is publish = false: list it here, or publish it"
            );
            continue;
        }
        published.push(name.to_owned());
        for field in [
            "description",
            "license",
            "repository",
            "homepage",
            "documentation",
            "readme",
        ] {
            if package[field].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{name}: no {field}"));
            }
        }
        if let Some(readme) = package["readme"].as_str() {
            let manifest_dir = Path::new(package["manifest_path"].as_str().unwrap())
                .parent()
                .unwrap()
                .to_path_buf();
            if !manifest_dir.join(readme).is_file() {
                problems.push(format!("{name}: readme {readme} is missing"));
            }
        }
        for (field, most) in [("keywords", 5), ("categories", 5)] {
            let count = package[field].as_array().map_or(0, Vec::len);
            if count == 0 || count > most {
                problems.push(format!(
                    "{name}: {count} {field} (crates.io takes 1 to {most})"
                ));
            }
        }
        // A dependency on another of these crates: by path here, by version once published (cargo drops the
        // path when packaging, and refuses an entry without a version). Dev-dependencies are dropped instead.
        for dep in package["dependencies"].as_array().unwrap() {
            let local = dep["path"].is_string();
            let dev = dep["kind"] == "dev";
            if local && !dev && dep["req"] == "*" {
                problems.push(format!(
                    "{name}: its dependency on {} has a path and no version",
                    dep["name"]
                ));
            }
        }
        if let Some((_, lib)) = PUBLISHED.iter().find(|(p, _)| *p == name) {
            let has = package["targets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["name"] == *lib && t["kind"][0] == "lib");
            if !has {
                problems.push(format!("{name}: its library is not named {lib}"));
            }
        }
    }
    published.sort();
    let mut expected: Vec<String> = PUBLISHED.iter().map(|(p, _)| (*p).to_owned()).collect();
    expected.sort();
    assert_eq!(published, expected, "the published packages");
    // crates.io's `migrate-core` is an unrelated project's crate (checked with `cargo info migrate-core`).
    assert!(!published.iter().any(|p| p == "migrate-core"));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `cargo package` of every published crate, together (cargo resolves their dependencies on each other
/// against a temporary local registry of the ones packaged before), without building them: whatever in a
/// manifest or the file list `cargo publish` would refuse fails here.
#[test]
fn the_published_crates_package() {
    let target = tempfile::tempdir().unwrap();
    let mut args = vec!["package", "--no-verify", "--offline", "--allow-dirty"];
    for (package, _) in PUBLISHED {
        args.extend(["-p", package]);
    }
    let out = cargo(&args, target.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning:"), "{stderr}");
    for (package, _) in PUBLISHED {
        let file = target
            .path()
            .join("package")
            .join(format!("{package}-{}.crate", env!("CARGO_PKG_VERSION")));
        assert!(file.is_file(), "{} is missing:\n{stderr}", file.display());
    }
}
