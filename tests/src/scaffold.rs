//! The files of a generated runner crate, set up as `migrate init` sets up an application: `migrations/`
//! compiled by the build script, a runner binary, `migrate.toml` naming it, and the smaller `dev` debug info
//! `init` writes. The benchmarks (`bench`, `peers`) build such crates at the sizes they measure.

use std::path::Path;

/// `(path relative to the crate, contents)` of crate `name` with path dependencies on the checkout at `root`
/// (its `Cargo.lock` is copied, so every generated crate builds the same dependency versions).
///
/// # Panics
///
/// When `root` has no `Cargo.lock`.
pub fn runner_crate(name: &str, root: &Path) -> Vec<(&'static str, String)> {
    let dep = |krate: &str, features: &str| crate::consumer::path_entry(root, krate, features);
    // An older checkout (measured with `PEERS_PROJECT`) compiles the registry without asking for a feature.
    let core_manifest =
        std::fs::read_to_string(root.join("migrate-core/Cargo.toml")).unwrap_or_default();
    let build_feature = if core_manifest.lines().any(|l| l.starts_with("build = ")) {
        ", default-features = false, features = [\"build\"]"
    } else {
        ""
    };
    let manifest = format!(
        "[workspace]\n\n[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [[bin]]\nname = \"{name}-migrate\"\npath = \"src/main.rs\"\n\n\
         [dependencies]\n{}\n{}\n{}\n\n[build-dependencies]\n{}\n\n{}",
        dep("migrate-core", ""),
        dep("migrate-dsl", ""),
        dep("migrate-cli", ""),
        dep("migrate-core", build_feature),
        crate::cli::E2E_PROFILE,
    );
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .unwrap_or_else(|e| panic!("{}: {e}", root.join("Cargo.lock").display()));
    vec![
        ("Cargo.toml", manifest),
        ("Cargo.lock", lock),
        (
            "migrate.toml",
            format!("migrations_dir = \"migrations\"\n\n[runner]\npackage = \"{name}\"\nbin = \"{name}-migrate\"\n"),
        ),
        (
            "build.rs",
            "fn main() { migrate_core::build::compile_migrations(\"migrations\"); }\n".to_owned(),
        ),
        (
            "src/lib.rs",
            "pub mod migrations { include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\")); }\n"
                .to_owned(),
        ),
        (
            "src/main.rs",
            format!(
                "fn main() -> std::process::ExitCode {{ migrate_cli::run_embedded(&{}::migrations::REGISTRY) }}\n",
                name.replace('-', "_")
            ),
        ),
    ]
}
