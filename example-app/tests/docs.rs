//! The walkthrough and the cookbook name the example app's migrations; a renamed or removed migration
//! must not leave them pointing at nothing.

use example_app::migrations::MIGRATIONS;

#[test]
fn every_migration_named_in_the_docs_exists() {
    let known: Vec<&str> = MIGRATIONS.iter().map(|m| m.name()).collect();
    for doc in ["walkthrough.md", "cookbook.md"] {
        let path = format!("{}/../docs/{doc}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut named = 0;
        for (at, _) in text.match_indices("20261122") {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // The walkthrough's own example migration is created, then deleted, by the reader.
            if name.ends_with("_add_post_caption") {
                continue;
            }
            assert!(
                known.contains(&name.as_str()),
                "{doc} names {name}, which is not a migration"
            );
            named += 1;
        }
        assert!(named > 5, "{doc} names the story's migrations");
    }
}
