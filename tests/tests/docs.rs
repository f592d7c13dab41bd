//! docs/operations.md documents every operation of the builder.

#[test]
fn the_operations_guide_lists_every_operation() {
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operations.md"
    ))
    .expect("docs/operations.md at the workspace root");
    let missing: Vec<&str> = migrate_dsl::Operation::NAMES
        .iter()
        .copied()
        // A generic method shows its type parameters first: `create_table<C: Into<Column>>(..)`.
        .filter(|name| {
            !readme.contains(&format!("`{name}(")) && !readme.contains(&format!("`{name}<"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/operations.md does not document these operations (as `name(..)`): {missing:?}"
    );
}

/// The README stays an overview: the guide holds the details.
#[test]
fn readme_stays_under_150_lines() {
    let readme = std::fs::read_to_string(tests::cli::workspace_root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines < 150,
        "README.md has {lines} lines; move details into the guide (docs/)"
    );
}
