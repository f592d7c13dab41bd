//! Tells `migrate init` whether this `migrate` is a released one (`init::released_version`), whose default is
//! then registry dependencies on its own version of the crates. Released means built from the published crate
//! (`cargo install migrate-cli`, or `cargo binstall` building from source): cargo packages `Cargo.toml.orig`
//! beside the manifest it rewrites, a file a checkout never has; or built by the release workflow, which sets
//! `MIGRATE_RELEASE_BUILD=1` (.github/workflows/release.yml). A `migrate` built from a checkout cannot tell
//! which published version its sources match, so it asks for a source.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MIGRATE_RELEASE_BUILD");
    let packaged = std::env::var_os("CARGO_MANIFEST_DIR")
        .is_some_and(|dir| Path::new(&dir).join("Cargo.toml.orig").is_file());
    let workflow = std::env::var_os("MIGRATE_RELEASE_BUILD").is_some_and(|v| v == "1");
    if packaged || workflow {
        println!("cargo:rustc-env=MIGRATE_RELEASED=1");
    }
}
