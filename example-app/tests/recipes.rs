//! The deploy guide's recipes run as written: the image is built as its Dockerfile says (the binaries its
//! `COPY --from=build` line takes, from the same cargo build, copied alone into an empty root with what they
//! link), and every command comes from the guide's own blocks (the Kubernetes job, the init container, the
//! readiness probe, the Helm hook, the Compose services, the systemd units), run inside that root as the image's
//! user against a real server, through a rolling deploy of the example app (v1 serving, the job's expand, v1 and
//! v2 side by side, the contract) and an app rollback that meets the newer history.
//!
//! `shop` is the example app and `shop-migrate` its runner: they are copied into the image under the guide's
//! names, so the commands need no rewriting.

use super::common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{addr_of, get, post_form, post_id, terminate, wait_for_url};
use tests::image::{Ran, Root};
use tests::recipes::{argv, pod_spec, unit_setting, Recipes};
use tests::TestDb;

const RUNNER: &str = env!("CARGO_BIN_EXE_example-app-migrate");
const APP: &str = env!("CARGO_BIN_EXE_example-app");

/// The deploy of app v2 over v1: v1 needs the first migration; v2's expand adds `comments.body` (kept in step with
/// `contents` for v1), and its contract drops `contents`, which retires v1. The image's runner holds every
/// release of the example app, so its expand phase stops at the first contract still pending.
const V1_NEEDS: &str = "20261122090000_create_posts_and_comments";
const V2_EXPAND: &str = "20261122100000_expand_comments_body";
const V1_CONTRACT: &str = "20261122100400_contract_comments_contents";

/// The image the guide's Dockerfile builds: its build command must build exactly the binaries its final stage
/// copies; those are this test's cargo build of the example app, placed where the COPY line puts them.
fn build_image(recipes: &Recipes) -> Root {
    let docker = &recipes.dockerfile;
    assert_eq!(
        &docker.build[..4],
        ["cargo", "build", "--release", "--locked"],
        "the build stage's command: {:?}",
        docker.build
    );
    let built: Vec<&str> = docker
        .build
        .windows(2)
        .filter(|w| w[0] == "--bin")
        .map(|w| w[1].as_str())
        .collect();
    let copied: Vec<&str> = docker
        .copied
        .iter()
        .map(|c| c.rsplit('/').next().expect("a file name"))
        .collect();
    assert_eq!(built, copied, "the final stage copies what the build built");
    // The build command itself is not rerun (a release build of the app is many minutes here); what it needs of
    // the workspace is checked by cargo: `--locked` holds (the lockfile is current), and each `--bin` it names
    // is a binary target of the package (`shop` is the example app).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let metadata = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--locked",
            "--offline",
            "--no-deps",
            "--format-version",
            "1",
        ])
        .current_dir(tests::cli::workspace_root())
        .output()
        .expect("cargo metadata");
    assert!(
        metadata.status.success(),
        "cargo metadata --locked: {}",
        String::from_utf8_lossy(&metadata.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).expect("JSON");
    let app_bins: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["name"] == "example-app")
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .filter_map(|t| t["name"].as_str())
        .collect();
    for bin in &built {
        let ours = bin.replacen("shop", "example-app", 1);
        assert!(
            app_bins.contains(&ours.as_str()),
            "--bin {bin}: the package has {app_bins:?}"
        );
    }
    assert!(
        docker
            .copied
            .iter()
            .all(|c| c.starts_with("/src/target/release/")),
        "the COPY takes cargo's release output: {:?}",
        docker.copied
    );
    assert_eq!(
        docker.user, "65534:65534",
        "the image runs as nobody, as the root below"
    );
    assert!(
        docker.base.starts_with("debian:") || docker.base.starts_with("gcr.io/distroless/cc"),
        "a base with the C library the binaries link: {}",
        docker.base
    );
    let files: Vec<(&Path, String)> = copied
        .iter()
        .map(|name| {
            let binary = match *name {
                "shop" => APP,
                "shop-migrate" => RUNNER,
                other => {
                    panic!("the Dockerfile copies {other}, which the example app does not build")
                }
            };
            (Path::new(binary), format!("{}{name}", docker.copied_to))
        })
        .collect();
    let files: Vec<(&Path, &str)> = files.iter().map(|(p, i)| (*p, i.as_str())).collect();
    Root::with(&files)
}

/// A container's command run in the image with the Secret's URL as `DATABASE_URL`, checking that the container
/// reads it from the Secret the guide defines.
fn container_env<'a>(
    recipes: &Recipes,
    container: &serde_json::Value,
    url: &'a str,
) -> [(&'static str, &'a str); 1] {
    let secret = recipes.manifest("Secret", "shop-db");
    let env = container["env"]
        .as_array()
        .unwrap_or_else(|| panic!("{} has no env", container["name"]));
    let from = env
        .iter()
        .find(|e| e["name"] == "DATABASE_URL")
        .unwrap_or_else(|| panic!("{} sets no DATABASE_URL", container["name"]));
    let key = &from["valueFrom"]["secretKeyRef"];
    assert_eq!(
        key["name"], secret["metadata"]["name"],
        "{}",
        container["name"]
    );
    assert!(
        secret["stringData"][key["key"].as_str().expect("a key")].is_string(),
        "{}: the Secret has the key {}",
        container["name"],
        key["key"]
    );
    [("DATABASE_URL", url)]
}

fn run(root: &Root, argv: &[String], env: &[(&str, &str)]) -> Ran {
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    root.run(&argv, env)
}

/// The app started in the image with `argv` as `phase`, on a free port; stopped (SIGTERM) when dropped.
struct Serving {
    child: Child,
    addr: SocketAddr,
}

impl Serving {
    fn start(root: &Root, argv: &[String], env: &[(&str, &str)], phase: &str) -> Serving {
        let mut env = env.to_vec();
        env.extend([("APP_PHASE", phase), ("PORT", "0")]);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let mut child = root.spawn(&argv, &env);
        let (url, _) = wait_for_url(
            child.stdout.take().expect("stdout"),
            Duration::from_secs(60),
        );
        Serving {
            child,
            addr: addr_of(&url),
        }
    }

    /// A visitor's round: the page, a post, a comment on it; each must succeed.
    #[track_caller]
    fn visit(&self, who: &str) {
        let page = get(self.addr, "/");
        assert_eq!(page.status, 200, "{who}: GET /: {}", page.body);
        let title = format!("post by {who}");
        let created = post_form(
            self.addr,
            "/posts",
            &[("title", &title), ("lat", "1"), ("lng", "2")],
        );
        assert_eq!(created.status, 303, "{who}: POST /posts: {}", created.body);
        let id = post_id(&get(self.addr, "/").body, &title);
        let commented = post_form(
            self.addr,
            "/comments",
            &[("post_id", &id), ("body", "hello")],
        );
        assert_eq!(
            commented.status, 303,
            "{who}: POST /comments: {}",
            commented.body
        );
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        terminate(&mut self.child);
        let _ = self.child.wait();
    }
}

/// A child stopped when dropped: a test that fails part-way leaves no command waiting behind it.
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn applied(db: &TestDb) -> Vec<String> {
    db.query_strings("SELECT name FROM public.pgmigrations ORDER BY name")
        .into_iter()
        .filter_map(|row| row[0].clone())
        .collect()
}

#[test]
fn the_deploy_guides_recipes_run_as_written_through_a_rolling_deploy_and_a_rollback() {
    let recipes = Recipes::from_docs();
    let root = build_image(&recipes);
    let db = TestDb::new();
    let url = db.url();

    let job = recipes.manifest("Job", "shop-migrate-v42");
    let job_container = &pod_spec(job)["containers"][0];
    let deployment = recipes.manifest("Deployment", "shop");
    let init = &pod_spec(deployment)["initContainers"][0];
    let app = &pod_spec(deployment)["containers"][0];
    let hook = recipes.manifest("Job", "shop-migrate");
    let hook_container = &pod_spec(hook)["containers"][0];
    // The app's container has no command: the image's CMD runs.
    assert!(app["command"].is_null(), "{}", app["command"]);
    let probe = argv(&app["readinessProbe"]["exec"]["command"]);
    let app_env = container_env(&recipes, app, url);

    // The previous release is deployed: its job applied what v1 needs, and v1 serves.
    let previous_job = words(&format!("shop-migrate up --to {V1_NEEDS}"));
    run(&root, &previous_job, &app_env).expect(0, "the previous release's job");
    let old = Serving::start(&root, &recipes.dockerfile.cmd, &app_env, "v1");
    old.visit("v1 before the deploy");

    // A new pod scheduled before the job ran: its init container waits, and the probe says not ready.
    let init_env = container_env(&recipes, init, url);
    let init_argv = argv(&init["command"]);
    let init_argv: Vec<&str> = init_argv.iter().map(String::as_str).collect();
    let mut waiting = Stopped(root.spawn(&init_argv, &init_env));
    run(&root, &probe, &app_env).expect(8, "the readiness probe before the job");
    assert!(
        waiting.0.try_wait().expect("the init container").is_none(),
        "the init container waits for the job"
    );

    // The new release's job: its expand, and not its contract; the waiting init container then returns.
    let job_env = container_env(&recipes, job_container, url);
    run(&root, &argv(&job_container["command"]), &job_env).expect(0, "the Kubernetes job");
    let deadline = Instant::now() + Duration::from_secs(60);
    let waited = loop {
        if let Some(status) = waiting.0.try_wait().expect("the init container") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the init container still waits a minute after the job"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(waited.success(), "the init container: {waited}");
    let after_job = applied(&db);
    assert!(after_job.iter().any(|m| m == V2_EXPAND), "{after_job:?}");
    assert!(
        !after_job.iter().any(|m| m == V1_CONTRACT),
        "the job left the contract: {after_job:?}"
    );
    old.visit("v1 after the expand");

    // The same job as a Helm hook and as a Compose service: a second run finds nothing to do.
    let hook_env = container_env(&recipes, hook_container, url);
    run(&root, &argv(&hook_container["command"]), &hook_env).expect(0, "the Helm hook");
    let migrate_service = &recipes.compose["services"]["migrate"];
    let compose_url = migrate_service["environment"]["DATABASE_URL"]
        .as_str()
        .expect("a DATABASE_URL")
        .replace("${DATABASE_URL}", url);
    let compose_env = [("DATABASE_URL", compose_url.as_str())];
    run(&root, &argv(&migrate_service["command"]), &compose_env)
        .expect(0, "the Compose migrate service");
    assert_eq!(
        applied(&db),
        after_job,
        "the hook and the service applied nothing more"
    );

    // The next pods: the init container returns at once, the probe says ready, and v2 serves beside v1.
    run(&root, &argv(&init["command"]), &init_env).expect(0, "the init container");
    run(&root, &probe, &app_env).expect(0, "the readiness probe on the expanded schema");
    let new = Serving::start(&root, &recipes.dockerfile.cmd, &app_env, "v2");
    old.visit("v1 beside v2");
    new.visit("v2 beside v1");

    // The release is rolled back before its contract: the older version starts again on the newer history.
    drop(new);
    let rolled_back = Serving::start(&root, &recipes.dockerfile.cmd, &app_env, "v1");
    rolled_back.visit("v1 rolled back onto the expanded schema");
    drop(rolled_back);

    // The rollout finishes: no v1 is left, and the contract runs (the guide's step 3, `up --to <contract>`:
    // the later migrations belong to later app versions).
    drop(old);
    let new = Serving::start(&root, &recipes.dockerfile.cmd, &app_env, "v2");
    let contract = words(&format!("shop-migrate up --to {V1_CONTRACT}"));
    run(&root, &contract, &app_env).expect(0, "the contract");
    new.visit("v2 after the contract");

    // Rolling back to v1 now meets a history that retired it: it refuses to start, naming the contract.
    let mut refused_env = app_env.to_vec();
    refused_env.extend([("APP_PHASE", "v1"), ("PORT", "0")]);
    let refused = run(&root, &recipes.dockerfile.cmd, &refused_env);
    assert_ne!(
        refused.code, 0,
        "v1 on a schema that retired it:\n{}",
        refused.stdout
    );
    assert!(refused.stderr.contains(V1_CONTRACT), "{}", refused.stderr);

    // The next releases, up to the newest: the image's own app version (v4) serves, and the probe says ready.
    drop(new);
    run(&root, &words("shop-migrate up"), &app_env).expect(0, "every later release's migrations");
    run(&root, &probe, &app_env).expect(0, "the readiness probe after the contracts");

    // systemd: the migration unit, then the app's unit, which reads the URL from its EnvironmentFile.
    let shop_unit = recipes.unit("/etc/systemd/system/shop.service");
    let migrate_unit = recipes.unit("/etc/systemd/system/shop-migrate.service");
    let env_file = unit_setting(shop_unit, "EnvironmentFile");
    assert_eq!(unit_setting(migrate_unit, "EnvironmentFile"), env_file);
    assert_eq!(unit_setting(migrate_unit, "Type"), "oneshot");
    root.write(env_file, &format!("DATABASE_URL={url}\n"));
    let unit_env = [("DATABASE_URL", url)];
    run(
        &root,
        &words(unit_setting(migrate_unit, "ExecStart")),
        &unit_env,
    )
    .expect(0, "shop-migrate.service");
    run(
        &root,
        &words(unit_setting(shop_unit, "ExecStartPre")),
        &unit_env,
    )
    .expect(0, "shop.service's ExecStartPre");
    let by_systemd = Serving::start(
        &root,
        &words(unit_setting(shop_unit, "ExecStart")),
        &unit_env,
        "v4",
    );
    by_systemd.visit("v4 started by the unit");
    // Compose's app service has no command either: the image's CMD.
    assert!(recipes.compose["services"]["shop"]["command"].is_null());
    let by_compose = Serving::start(&root, &recipes.dockerfile.cmd, &compose_env, "v4");
    by_compose.visit("v4 started by Compose");
}

/// A command line's words (a systemd `Exec` line with no quoting, or a step of the guide's prose).
fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

/// What one readiness probe costs, stated in the guide: the statements it sends (counted by a proxy) and its
/// time, as a process of its own in the image.
#[test]
fn the_readiness_probe_costs_one_connection_and_a_few_statements() {
    let recipes = Recipes::from_docs();
    let root = build_image(&recipes);
    let db = TestDb::new();
    let deployment = recipes.manifest("Deployment", "shop");
    let probe = argv(&pod_spec(deployment)["containers"][0]["readinessProbe"]["exec"]["command"]);
    run(
        &root,
        &["shop-migrate".into(), "up".into()],
        &[("DATABASE_URL", db.url())],
    )
    .expect(0, "up");

    let (proxy, statements) = tests::proxy::Proxy::counting_statements(&db.server_address());
    let mut url = url::Url::parse(&proxy.url_for(db.url())).expect("URL");
    url.query_pairs_mut().append_pair("sslmode", "disable");
    let env = [("DATABASE_URL", url.as_str())];
    let runs = 5;
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        run(&root, &probe, &env).expect(0, "the probe");
        times.push(started.elapsed());
    }
    times.sort();
    let per_probe = statements.load(Ordering::SeqCst) / runs;
    println!(
        "one readiness probe: {per_probe} statement(s), median {:?} (min {:?})",
        times[runs / 2],
        times[0]
    );
    let page = std::fs::read_to_string(tests::recipes::deploy_guide()).expect("the guide");
    assert!(
        page.contains(&format!("sends {per_probe} statement")),
        "the guide states the probe's statements ({per_probe})"
    );
}
