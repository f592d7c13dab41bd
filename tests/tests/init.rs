//! `migrate init` in the packages users have: binary or library, edition 2021 or 2024, alone or in a
//! workspace, with or without a build script. Files are checked here, and cargo's own view of the result
//! (`cargo metadata --no-deps`: targets, default-run); the end-to-end test (`new_user.rs`) builds and runs one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tests::assert_cli_snapshot;
use tests::cli::{front, Run};

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

fn init(dir: &Path, extra: &[&str]) -> Run {
    let checkout = checkout().display().to_string();
    let mut args = vec!["init", "--crates-path", checkout.as_str()];
    args.extend_from_slice(extra);
    front(dir, &args, &[])
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, content).expect("write");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A package as `cargo new` (or `cargo new --lib`) writes it.
fn package(dir: &Path, name: &str, edition: &str, lib: bool) {
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"{edition}\"\n\n[dependencies]\n"
        ),
    );
    if lib {
        write(
            &dir.join("src/lib.rs"),
            "pub fn add(left: u64, right: u64) -> u64 {\n    left + right\n}\n",
        );
    } else {
        write(
            &dir.join("src/main.rs"),
            "fn main() {\n    println!(\"Hello, world!\");\n}\n",
        );
    }
}

/// Every file under `dir` with its content, to prove a refusal changed nothing.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                out.insert(path.clone(), "<dir>".to_owned());
                stack.push(path);
            } else {
                out.insert(path.clone(), read(&path));
            }
        }
    }
    out
}

/// Cargo's view of the package at `manifest`: binary names and default-run.
fn cargo_targets(manifest: &Path) -> (Vec<String>, Option<String>, Vec<String>) {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let manifest = manifest.canonicalize().expect("manifest");
    let package = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| Path::new(p["manifest_path"].as_str().unwrap_or_default()) == manifest)
        .expect("the package")
        .clone();
    let kinds = |kind: &str| -> Vec<String> {
        let mut v: Vec<String> = package["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|x| x == kind))
            })
            .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        v.sort();
        v
    };
    let bins = kinds("bin");
    let builds = kinds("custom-build");
    (
        bins,
        package["default_run"].as_str().map(str::to_owned),
        builds,
    )
}

#[test]
fn binary_package_gets_everything_and_a_rerun_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    package(&dir, "shop", "2021", false);
    let first = init(&dir, &[]).expect_code(0);
    assert_cli_snapshot!(
        "init_binary_package",
        first,
        &["init", "--crates-path", "[CHECKOUT]"]
    );

    assert_eq!(
        read(&dir.join("build.rs")),
        "// Compiles the migrations folder into the registry that src/migrations.rs includes.\nfn main() {\n    migrate_core::build::compile_migrations(\"migrations\");\n}\n"
    );
    assert!(read(&dir.join("src/migrations.rs"))
        .contains("include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));"));
    let runner = read(&dir.join("src/bin/shop-migrate.rs"));
    assert!(
        runner.contains("#[path = \"../migrations.rs\"]")
            && runner.contains("migrate_cli::run_embedded(&migrations::REGISTRY)"),
        "{runner}"
    );
    assert_eq!(
        read(&dir.join("src/main.rs")),
        "fn main() {\n    println!(\"Hello, world!\");\n}\n",
        "a binary's own source is left alone"
    );
    let config = read(&dir.join("migrate.toml"));
    assert!(
        config.contains("migrations_dir = \"migrations\"")
            && config.contains("package = \"shop\"")
            && config.contains("bin = \"shop-migrate\""),
        "{config}"
    );
    let manifest = read(&dir.join("Cargo.toml"));
    let core = checkout().join("migrate-core").canonicalize().unwrap();
    assert!(
        manifest.contains(&format!(
            "migrate-core = {{ path = \"{}\", package = \"pgm-migrate-core\" }}",
            core.display()
        )),
        "{manifest}"
    );
    // The build script alone needs the registry generation.
    assert!(
        manifest.contains(&format!(
            "migrate-core = {{ path = \"{}\", package = \"pgm-migrate-core\", default-features = false, features = [\"build\"] }}",
            core.display()
        )),
        "{manifest}"
    );
    assert!(dir.join("migrations/.gitkeep").is_file());
    // Less debug info in the dev profile (a new migration relinks the runner), explained where it is written;
    // `cargo metadata` below reads the manifest, so cargo accepts it.
    assert!(
        manifest.contains("# Set by `migrate init`")
            && manifest.contains("[profile.dev]\ndebug = \"line-tables-only\"\n")
            && manifest
                .contains("[profile.dev.package.\"*\"]\ndebug = false\nincremental = false\n"),
        "{manifest}"
    );

    // Cargo sees both binaries, and `cargo run` still runs the app.
    let (bins, default_run, builds) = cargo_targets(&dir.join("Cargo.toml"));
    assert_eq!(bins, ["shop", "shop-migrate"]);
    assert_eq!(default_run.as_deref(), Some("shop"));
    assert_eq!(builds, ["build-script-build"]);

    let before = tree(&dir);
    let again = init(&dir, &[]).expect_code(0);
    assert_eq!(
        again.stdout,
        "nothing to do: package shop is already set up for migrate (runner shop-migrate)\n"
    );
    assert_eq!(tree(&dir), before);
}

#[test]
fn library_package_exports_the_registry_from_the_library() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("billing-core");
    package(&dir, "billing-core", "2024", true);
    write(
        &dir.join("src/lib.rs"),
        "//! Billing.\n#![forbid(unsafe_code)]\n\npub fn add(left: u64, right: u64) -> u64 {\n    left + right\n}\n",
    );
    let run = init(&dir, &[]).expect_code(0);
    assert!(
        run.stdout
            .contains("migrate_cli::up(&billing_core::migrations::REGISTRY).await?"),
        "{}",
        run.stdout
    );
    assert_eq!(
        read(&dir.join("src/lib.rs")),
        "//! Billing.\n#![forbid(unsafe_code)]\n\npub mod migrations;\n\npub fn add(left: u64, right: u64) -> u64 {\n    left + right\n}\n"
    );
    assert!(read(&dir.join("src/bin/billing-core-migrate.rs"))
        .contains("migrate_cli::run_embedded(&billing_core::migrations::REGISTRY)"));
    let (bins, default_run, _) = cargo_targets(&dir.join("Cargo.toml"));
    assert_eq!(bins, ["billing-core-migrate"]);
    assert_eq!(default_run, None, "a library had no `cargo run` to keep");
    init(&dir, &[]).expect_code(0);
    assert_eq!(
        read(&dir.join("src/lib.rs"))
            .matches("pub mod migrations;")
            .count(),
        1
    );
}

#[test]
fn member_of_a_workspace_with_an_existing_build_script_and_another_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"api\"]\n\n[workspace.package]\nedition = \"2021\"\n",
    );
    let dir = root.join("api");
    write(
        &dir.join("Cargo.toml"),
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition.workspace = true\n\n[dependencies]\n",
    );
    write(&dir.join("src/main.rs"), "fn main() {}\n");
    write(
        &dir.join("build.rs"),
        "fn main() {\n    println!(\"cargo:rustc-env=BUILT=yes\");\n}\n",
    );

    // At the workspace root there is no package to set up.
    let refused = init(root, &[]).expect_code(1);
    assert!(
        refused
            .stderr
            .contains("is a workspace manifest without a [package]"),
        "{}",
        refused.stderr
    );

    let run = init(&dir, &["--dir", "db/migrations"]).expect_code(0);
    assert_eq!(
        read(&dir.join("build.rs")),
        "fn main() {\n    migrate_core::build::compile_migrations(\"db/migrations\");\n    println!(\"cargo:rustc-env=BUILT=yes\");\n}\n"
    );
    assert!(
        run.stdout.contains("now declares `cargo:rerun-if-changed`"),
        "{}",
        run.stdout
    );
    assert!(dir.join("db/migrations").is_dir());
    assert!(read(&dir.join("migrate.toml")).contains("migrations_dir = \"db/migrations\""));
    assert!(!root.join("migrate.toml").exists());
    // Cargo reads profiles from the workspace root only: the member's manifest gets none, the root is not
    // edited, and the note says what to add there.
    assert!(!read(&dir.join("Cargo.toml")).contains("[profile"));
    assert!(!read(&root.join("Cargo.toml")).contains("[profile"));
    let root_manifest = root.canonicalize().unwrap().join("Cargo.toml");
    assert!(
        run.stdout.contains(&format!(
            "[profile.dev.package.\"*\"] debug = false` and `incremental = false` (under the same table) to {}",
            root_manifest.display()
        )),
        "{}",
        run.stdout
    );
    let (bins, default_run, _) = cargo_targets(&dir.join("Cargo.toml"));
    assert_eq!(bins, ["api", "api-migrate"]);
    assert_eq!(default_run.as_deref(), Some("api"));
    // Run from a subfolder of the package: the same package, nothing left to do.
    let again = init(&dir.join("src"), &["--dir", "db/migrations"]).expect_code(0);
    assert!(
        again.stdout.starts_with("nothing to do"),
        "{}",
        again.stdout
    );
}

#[test]
fn refusals_name_every_problem_and_change_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    package(&dir, "app", "2021", false);
    write(&dir.join("src/migrations.rs"), "pub fn mine() {}\n");
    write(
        &dir.join("build.rs"),
        "fn helper() {}\nfn main() { helper(); }\n",
    );
    write(&dir.join("migrate.toml"), "migrations_table = \"mine\"\n");
    let before = tree(&dir);
    let run = init(&dir, &[]).expect_code(1);
    assert_cli_snapshot!(
        "init_refusal",
        run,
        &["init", "--crates-path", "[CHECKOUT]"]
    );
    assert_eq!(tree(&dir), before, "nothing may change");

    // build = false, and edition 2015.
    let other = tmp.path().join("old");
    write(
        &other.join("Cargo.toml"),
        "[package]\nname = \"old\"\nversion = \"0.1.0\"\n",
    );
    write(&other.join("src/main.rs"), "fn main() {}\n");
    let before = tree(&other);
    let run = init(&other, &[]).expect_code(1);
    assert!(run.stderr.contains("uses edition 2015"), "{}", run.stderr);
    write(
        &other.join("Cargo.toml"),
        "[package]\nname = \"old\"\nversion = \"0.1.0\"\nedition = \"2021\"\nbuild = false\n",
    );
    let before_build_false = tree(&other);
    let run = init(&other, &[]).expect_code(1);
    assert!(run.stderr.contains("`build = false`"), "{}", run.stderr);
    assert_eq!(tree(&other), before_build_false);
    assert_ne!(before, before_build_false);

    // A --crates-path that is not a checkout.
    let run = front(&dir, &["init", "--crates-path", "/nonexistent"], &[]).expect_code(1);
    assert!(
        run.stderr
            .contains("--crates-path /nonexistent: no migrate-core/Cargo.toml there"),
        "{}",
        run.stderr
    );
}

#[test]
fn several_binaries_keep_their_default_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tools");
    package(&dir, "tools", "2021", false);
    write(&dir.join("src/bin/admin.rs"), "fn main() {}\n");
    init(&dir, &[]).expect_code(0);
    let manifest = read(&dir.join("Cargo.toml"));
    assert!(!manifest.contains("default-run"), "{manifest}");
    let (bins, default_run, _) = cargo_targets(&dir.join("Cargo.toml"));
    assert_eq!(bins, ["admin", "tools", "tools-migrate"]);
    assert_eq!(default_run, None, "two binaries already needed --bin");
}

/// Without a source of the crates, `init` wrote `migrate-core = "0.1"`, which resolves to an
/// unrelated crate of that name on crates.io. It refuses instead, names both flags, and writes nothing.
#[test]
fn r31_init_without_a_source_of_the_crates_refuses_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tools");
    package(&dir, "tools", "2021", false);
    let before = tree(&dir);
    let run = front(&dir, &["init"], &[]).expect_code(1);
    assert_cli_snapshot!("init_without_a_source", run, &["init"]);
    assert!(
        run.stderr.contains("--crates-path DIR") && run.stderr.contains("--crates-git URL"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&dir), before, "nothing may change");
    // --crates-rev means nothing without --crates-git.
    front(&dir, &["init", "--crates-rev", "abc"], &[]).expect_code(2);
    assert_eq!(tree(&dir), before, "nothing may change");

    // A package already set up needs no source to run init again.
    init(&dir, &[]).expect_code(0);
    let set_up = tree(&dir);
    let again = front(&dir, &["init"], &[]).expect_code(0);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    assert_eq!(tree(&dir), set_up);
}

/// `--crates-git URL [--crates-rev REV]`: git dependencies on the repository, in the package and in its
/// sealed-migrations package alike (both must compile against the same migrate-core).
#[test]
fn crates_git_writes_git_dependencies_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gitapp");
    package(&dir, "gitapp", "2021", false);
    let url = "https://example.invalid/migrate.git";
    front(
        &dir,
        &["init", "--crates-git", url, "--crates-rev", "0123abc"],
        &[],
    )
    .expect_code(0);
    let git = |package: &str| {
        format!("{{ git = \"{url}\", rev = \"0123abc\", package = \"{package}\" }}")
    };
    let git_build = format!("{{ git = \"{url}\", rev = \"0123abc\", package = \"pgm-migrate-core\", default-features = false, features = [\"build\"] }}");
    // The runner links the runner crate, under the name the code uses.
    let git_cli = git("pgm-migrate-runner");
    let manifest = read(&dir.join("Cargo.toml"));
    for line in [
        format!("migrate-core = {}", git("pgm-migrate-core")),
        format!("migrate-dsl = {}", git("pgm-migrate-dsl")),
        format!("migrate-cli = {git_cli}"),
        format!("[build-dependencies]\nmigrate-core = {git_build}"),
    ] {
        assert!(manifest.contains(&line), "{line} missing:\n{manifest}");
    }
    // The dependencies of migrate's crates are the sealed chunks' (the sealed-migrations package only
    // re-exports them).
    let sealed = read(&dir.join("sealed-migrations/chunks/0000/Cargo.toml"));
    for line in [
        format!("migrate-core = {}", git("pgm-migrate-core")),
        format!("migrate-dsl = {}", git("pgm-migrate-dsl")),
        format!("[build-dependencies]\nmigrate-core = {git_build}"),
    ] {
        assert!(sealed.contains(&line), "{line} missing:\n{sealed}");
    }
    // Without --crates-rev: the default branch (cargo pins the commit in Cargo.lock).
    let other = tmp.path().join("branchapp");
    package(&other, "branchapp", "2021", false);
    front(&other, &["init", "--crates-git", url], &[]).expect_code(0);
    assert!(
        read(&other.join("Cargo.toml")).contains(&format!(
            "migrate-dsl = {{ git = \"{url}\", package = \"pgm-migrate-dsl\" }}"
        )),
        "{}",
        read(&other.join("Cargo.toml"))
    );
    let (bins, _, builds) = cargo_targets(&dir.join("Cargo.toml"));
    assert_eq!(bins, ["gitapp", "gitapp-migrate"]);
    assert_eq!(builds, ["build-script-build"]);
}

#[test]
fn debug_info_the_user_chose_for_the_dev_profile_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    package(&dir, "ledger", "2021", false);
    let manifest_path = dir.join("Cargo.toml");
    let mut manifest = read(&manifest_path);
    manifest.push_str("\n[profile.dev]\nopt-level = 1\ndebug = true\n");
    write(&manifest_path, &manifest);
    let run = init(&dir, &[]).expect_code(0);
    let manifest = read(&manifest_path);
    assert!(
        manifest.contains("[profile.dev]\nopt-level = 1\ndebug = true\n")
            && !manifest.contains("line-tables-only"),
        "{manifest}"
    );
    // Only what was not set is added, and the report says which.
    assert!(
        manifest.contains("[profile.dev.package.\"*\"]\ndebug = false\nincremental = false\n"),
        "{manifest}"
    );
    assert!(
        run.stdout
            .contains("[profile.dev.package.\"*\"] debug = false, [profile.dev.package.\"*\"] incremental = false (less debug info")
            && !run.stdout.contains("line-tables-only"),
        "{}",
        run.stdout
    );
    cargo_targets(&manifest_path);
}

/// The sealed-migrations package and every list removed, the folder `migrations/sealed/` left: the manifest
/// still depends on the package, so every build would fail on it. `init` again writes what a new package gets:
/// the package, chunk 0's and its empty list, the very files the first `init` wrote.
#[test]
fn init_again_puts_back_a_sealed_package_whose_lists_are_all_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    package(&dir, "shop", "2021", false);
    init(&dir, &[]).expect_code(0);
    let first = tree(&dir);
    std::fs::remove_dir_all(dir.join("sealed-migrations")).unwrap();
    std::fs::remove_file(dir.join("migrations/sealed/0000.txt")).unwrap();
    assert!(dir.join("migrations/sealed").is_dir());

    let again = init(&dir, &[]).expect_code(0);
    assert!(
        again.stdout.contains("sealed-migrations"),
        "init says what it wrote: {}",
        again.stdout
    );
    assert_eq!(tree(&dir), first, "the same files as the first init wrote");
}

/// `--crates-version V` (what a released `migrate` writes by default): registry dependencies on the published
/// names under the keys code uses, in the package and its sealed chunk alike. The crates are not published
/// yet, so the manifest is resolved with `[patch.crates-io]` pointing those names at this checkout: cargo then
/// takes each entry to the crate it names, and the library names code uses are the crates' own.
#[test]
fn crates_version_writes_registry_dependencies_on_the_published_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("verapp");
    package(&dir, "verapp", "2021", true);
    let version = env!("CARGO_PKG_VERSION");
    let run = front(&dir, &["init", "--crates-version", version], &[]).expect_code(0);
    assert!(
        run.stdout.contains("[dependencies] migrate-core"),
        "{}",
        run.stdout
    );
    let entry = |package: &str| format!("{{ version = \"{version}\", package = \"{package}\" }}");
    let build = format!(
        "{{ version = \"{version}\", package = \"pgm-migrate-core\", default-features = false, features = [\"build\"] }}"
    );
    let manifest = read(&dir.join("Cargo.toml"));
    for line in [
        format!("migrate-core = {}", entry("pgm-migrate-core")),
        format!("migrate-dsl = {}", entry("pgm-migrate-dsl")),
        format!("migrate-cli = {}", entry("pgm-migrate-runner")),
        format!("[build-dependencies]\nmigrate-core = {build}"),
    ] {
        assert!(manifest.contains(&line), "{line} missing:\n{manifest}");
    }
    let sealed = read(&dir.join("sealed-migrations/chunks/0000/Cargo.toml"));
    for line in [
        format!("migrate-core = {}", entry("pgm-migrate-core")),
        format!("migrate-dsl = {}", entry("pgm-migrate-dsl")),
        format!("[build-dependencies]\nmigrate-core = {build}"),
    ] {
        assert!(sealed.contains(&line), "{line} missing:\n{sealed}");
    }
    // With a flag naming another source, the version is refused (one source at a time).
    front(
        &dir,
        &["init", "--crates-version", version, "--crates-path", "/x"],
        &[],
    )
    .expect_code(2);

    // Resolved as cargo will once they are published: each key reaches the crate of that name.
    let root = checkout();
    let mut patched = manifest.clone();
    patched.push_str("\n[workspace]\n\n[patch.crates-io]\n");
    for (name, dir) in [
        ("pgm-migrate-core", "migrate-core"),
        ("pgm-migrate-dsl", "migrate-dsl"),
        ("pgm-migrate-runner", "migrate-cli/runner"),
    ] {
        patched.push_str(&format!("{name} = {{ path = {:?} }}\n", root.join(dir)));
    }
    write(&dir.join("Cargo.toml"), &patched);
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    // Each direct dependency as `<library name code uses> <package>`.
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--depth",
            "1",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{lib} {p}",
        ])
        .current_dir(&dir)
        .env_remove("CARGO_MANIFEST_DIR")
        .env("CARGO_TARGET_DIR", tests::cli::e2e_target())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (lib, package) in [
        ("migrate_core", "pgm-migrate-core"),
        ("migrate_dsl", "pgm-migrate-dsl"),
        ("migrate_runner", "pgm-migrate-runner"),
    ] {
        let path = root.join(if lib == "migrate_runner" {
            "migrate-cli/runner"
        } else {
            package.trim_start_matches("pgm-")
        });
        assert!(
            stdout.contains(&format!("{lib} {package} v{version} ({})", path.display())),
            "{lib} {package} not among the dependencies:\n{stdout}"
        );
    }
}
