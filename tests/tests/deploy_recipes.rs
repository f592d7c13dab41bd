//! The deploy recipes in docs/deploying.md are manifests a cluster accepts: each YAML block marked
//! `# kubernetes` is checked against the Kubernetes API schemas with `kubernetes-validate --strict` (a field
//! that does not exist fails), which `.ci/run` installs (`pip install kubernetes-validate`).

use std::path::Path;
use std::process::Command;

/// The YAML blocks of `markdown` whose first line is `# kubernetes`.
fn kubernetes_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(block), "```") => {
                if block.starts_with("# kubernetes\n") {
                    blocks.push(std::mem::take(block));
                }
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// `kubernetes-validate --strict` on `yaml`: its exit status and what it printed.
fn validate(dir: &Path, name: &str, yaml: &str) -> (bool, String) {
    let file = dir.join(name);
    std::fs::write(&file, yaml).expect("the manifest is written");
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "--no-warn"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run kubernetes-validate ({e}): install it with `pip install kubernetes-validate`")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_kubernetes_manifests_of_the_deploy_guide_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("docs/deploying.md")).expect("docs/deploying.md");
    let blocks = kubernetes_blocks(&page);
    assert!(
        blocks.len() >= 2,
        "the job, the deployment and the Helm hook: {}",
        blocks.len()
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    // The validator itself refuses what is wrong, so a pass below means something.
    let (ok, text) = validate(
        dir.path(),
        "wrong.yaml",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      \
         restartPolicy: Never\n      containers:\n        - {name: m, image: i, livenesProbe: {}}\n",
    );
    assert!(!ok, "a misspelt field must fail: {text}");
    for (i, block) in blocks.iter().enumerate() {
        let (ok, text) = validate(dir.path(), &format!("block{i}.yaml"), block);
        assert!(
            ok,
            "block {i} of docs/deploying.md does not validate:\n{text}\n{block}"
        );
    }
}

/// The review's CI recipes are a workflow GitHub accepts and a job GitLab accepts: `check-jsonschema` with the
/// schemas it ships (`vendor.github-workflows`, `vendor.gitlab-ci`; `.ci/run` installs it), and each of their
/// shell scripts parses (`bash -n`).
#[test]
fn the_review_ci_recipes_validate_against_github_and_gitlab_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ci");
    for (file, schema) in [
        ("migrate-review.github.yml", "vendor.github-workflows"),
        ("migrate-review.gitlab-ci.yml", "vendor.gitlab-ci"),
    ] {
        let path = root.join(file);
        let out = Command::new("check-jsonschema")
            .args(["--builtin-schema", schema])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run check-jsonschema ({e}): install it with `pip install check-jsonschema`")
            });
        assert!(
            out.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Every `run:` block (GitHub) or the script lines (GitLab) as one shell script each.
        let text = std::fs::read_to_string(&path).expect("the recipe");
        for script in shell_scripts(&text) {
            let mut check = Command::new("bash")
                .arg("-n")
                .stdin(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("bash");
            std::io::Write::write_all(check.stdin.as_mut().expect("stdin"), script.as_bytes())
                .expect("the script is written");
            let done = check.wait_with_output().expect("bash -n");
            assert!(
                done.status.success(),
                "{file}: {}\n{script}",
                String::from_utf8_lossy(&done.stderr)
            );
        }
    }
}

/// The shell of a CI recipe, read with a YAML parser's eyes kept simple: a `run: |` block's indented lines,
/// and a `script:` list's items (each a string, a `>-` item folded into one line).
fn shell_scripts(yaml: &str) -> Vec<String> {
    let mut scripts = Vec::new();
    let lines: Vec<&str> = yaml.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.starts_with("run: |") {
            let base = indent(line);
            let mut body = String::new();
            i += 1;
            while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > base) {
                body.push_str(lines[i].trim_start());
                body.push('\n');
                i += 1;
            }
            scripts.push(body);
            continue;
        }
        if trimmed == "script:" {
            let base = indent(line);
            let mut body = String::new();
            i += 1;
            while i < lines.len() && indent(lines[i]) > base {
                let item = lines[i].trim_start();
                let item = item.strip_prefix("- ").unwrap_or(item);
                if item == ">-" {
                    // Folded: the following more-indented lines joined by spaces.
                    let at = indent(lines[i]);
                    let mut folded = Vec::new();
                    i += 1;
                    while i < lines.len() && indent(lines[i]) > at {
                        folded.push(lines[i].trim());
                        i += 1;
                    }
                    body.push_str(&folded.join(" "));
                    body.push('\n');
                    continue;
                }
                let item = item
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .unwrap_or(item);
                body.push_str(item);
                body.push('\n');
                i += 1;
            }
            scripts.push(body);
            continue;
        }
        i += 1;
    }
    scripts
}
