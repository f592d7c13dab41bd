// Compiles every fixture folder in `fixtures/` into `$OUT_DIR/<folder>.rs`, and the example app's migrations
// into `$OUT_DIR/example_app.rs` (the squash tests squash them).
fn main() {
    println!("cargo:rerun-if-changed=fixtures");
    let mut names: Vec<String> = std::fs::read_dir("fixtures")
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in &names {
        migrate_core::build::compile_migrations_to(
            &format!("fixtures/{name}"),
            &format!("{name}.rs"),
        );
    }
    migrate_core::build::compile_migrations_to("../example-app/migrations", "example_app.rs");
}
