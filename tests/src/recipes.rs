//! The deploy recipes of docs/deploying.md, read from the page's own blocks so that a test runs what a reader
//! copies, never a retyped command: the Dockerfile's build and copy steps, each Kubernetes manifest's command,
//! the Helm hook's, the Compose services' and the systemd units'. YAML is read with PyYAML (`python3`, installed
//! with `kubernetes-validate` and `check-jsonschema`), so that flow and block styles read as a cluster reads them.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The page the recipes are on.
pub fn deploy_guide() -> PathBuf {
    crate::cli::workspace_root().join("docs/deploying.md")
}

/// The fenced blocks of `markdown` opened with exactly ```` ```lang ````.
pub fn fenced_blocks(markdown: &str, lang: &str) -> Vec<String> {
    let open = format!("```{lang}");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, l) if l == open => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
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

/// Every YAML document of `yaml`, as JSON.
pub fn yaml_documents(yaml: &str) -> Vec<Value> {
    let mut python = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (PyYAML comes with `pip install kubernetes-validate`)");
    python
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(yaml.as_bytes())
        .expect("the YAML is written");
    let out = python.wait_with_output().expect("python3 ends");
    assert!(
        out.status.success(),
        "PyYAML cannot read the block: {}\n{yaml}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON from python");
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// The recipes of the deploy guide.
pub struct Recipes {
    /// Each document of the `# kubernetes` blocks, in the page's order.
    pub manifests: Vec<Value>,
    /// The Compose file.
    pub compose: Value,
    /// The text of the Compose block.
    pub compose_text: String,
    /// Each systemd unit: its path (the block's first comment line) and its text.
    pub units: Vec<(String, String)>,
    /// The Dockerfile.
    pub dockerfile: Dockerfile,
}

impl Recipes {
    /// Reads them from docs/deploying.md.
    pub fn from_docs() -> Recipes {
        let page = std::fs::read_to_string(deploy_guide()).expect("docs/deploying.md");
        let yaml = fenced_blocks(&page, "yaml");
        let manifests = yaml
            .iter()
            .filter(|b| b.starts_with("# kubernetes\n"))
            .flat_map(|b| yaml_documents(b))
            .collect();
        let compose_text = yaml
            .iter()
            .find(|b| b.starts_with("# compose.yaml\n"))
            .expect("a block starting `# compose.yaml`")
            .clone();
        let compose = yaml_documents(&compose_text).remove(0);
        let units = fenced_blocks(&page, "ini")
            .into_iter()
            .map(|b| {
                let (first, rest) = b.split_once('\n').expect("a unit block has lines");
                let path = first
                    .strip_prefix("# ")
                    .expect("a unit block starts with `# /etc/systemd/system/NAME`");
                (path.to_owned(), rest.to_owned())
            })
            .collect();
        let dockerfile = fenced_blocks(&page, "dockerfile");
        assert_eq!(dockerfile.len(), 1, "one Dockerfile on the page");
        Recipes {
            manifests,
            compose,
            compose_text,
            units,
            dockerfile: Dockerfile::parse(&dockerfile[0]),
        }
    }

    /// The manifest of `kind` named `name`.
    pub fn manifest(&self, kind: &str, name: &str) -> &Value {
        self.manifests
            .iter()
            .find(|m| m["kind"] == kind && m["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} on the page"))
    }

    /// The unit installed at `path`.
    pub fn unit(&self, path: &str) -> &str {
        &self
            .units
            .iter()
            .find(|(p, _)| p == path)
            .unwrap_or_else(|| panic!("no unit {path} on the page"))
            .1
    }
}

/// A container's `command` (or an exec probe's), as an argv.
pub fn argv(command: &Value) -> Vec<String> {
    command
        .as_array()
        .unwrap_or_else(|| panic!("a command list: {command}"))
        .iter()
        .map(|a| a.as_str().expect("a string argument").to_owned())
        .collect()
}

/// The pod template's spec of a Job or Deployment.
pub fn pod_spec(manifest: &Value) -> &Value {
    &manifest["spec"]["template"]["spec"]
}

/// The value of `key=` in a unit's text (the last one: systemd's rule for single-valued settings).
pub fn unit_setting<'a>(unit: &'a str, key: &str) -> &'a str {
    let prefix = format!("{key}=");
    unit.lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .next_back()
        .unwrap_or_else(|| panic!("no {key}= in the unit:\n{unit}"))
}

/// The steps of the deploy guide's Dockerfile this repository replays.
pub struct Dockerfile {
    /// The build stage's `RUN cargo ...` command, as words.
    pub build: Vec<String>,
    /// `COPY --from=build` of the final stage: the sources and the folder they go to.
    pub copied: Vec<String>,
    pub copied_to: String,
    /// The final stage's `USER`.
    pub user: String,
    /// The final stage's `CMD`, as an argv.
    pub cmd: Vec<String>,
    /// The final stage's base image.
    pub base: String,
}

impl Dockerfile {
    fn parse(text: &str) -> Dockerfile {
        let mut build = None;
        let mut copy = None;
        let mut user = None;
        let mut cmd = None;
        let mut base = None;
        for line in text.lines() {
            let (instruction, rest) = line.split_once(' ').unwrap_or((line, ""));
            match instruction {
                "FROM" => base = Some(rest.split_whitespace().next().unwrap_or("").to_owned()),
                "RUN" if rest.starts_with("cargo ") => {
                    build = Some(rest.split_whitespace().map(str::to_owned).collect())
                }
                "COPY" if rest.starts_with("--from=build ") => {
                    let mut words: Vec<String> =
                        rest.split_whitespace().skip(1).map(str::to_owned).collect();
                    let to = words.pop().expect("a COPY destination");
                    copy = Some((words, to));
                }
                "USER" => user = Some(rest.trim().to_owned()),
                "CMD" => cmd = Some(argv(&serde_json::from_str(rest).expect("CMD in exec form"))),
                _ => {}
            }
        }
        let (copied, copied_to) = copy.expect("a COPY --from=build line");
        Dockerfile {
            build: build.expect("a RUN cargo line"),
            copied,
            copied_to,
            user: user.expect("a USER line"),
            cmd: cmd.expect("a CMD line"),
            base: base.expect("a FROM line"),
        }
    }
}
