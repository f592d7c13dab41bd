//! The README documents every operation of the builder.

#[test]
fn readme_lists_every_operation() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md at the workspace root");
    let missing: Vec<&str> = migrate_dsl::Operation::NAMES
        .iter()
        .copied()
        .filter(|name| !readme.contains(&format!("`{name}(")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md does not document these operations (as `name(..)`): {missing:?}"
    );
}
