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
