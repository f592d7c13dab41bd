//! The README's lead example is this crate's `tests/readme/lead_example.rs`, word for word, and it runs on
//! the example app: applied after the app's own migrations, then reverted by its derived `down`.

#[path = "readme/lead_example.rs"]
mod lead_example;

use example_app::migrations::MIGRATIONS;
use migrate_core::{Definition, DownTarget, Migration, Migrator, UpTarget};
use tests::TestDb;

const FILE: &str = include_str!("readme/lead_example.rs");

#[test]
fn the_readme_lead_example_is_the_tested_file() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md at the workspace root");
    let block = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README opens with a rust block");
    assert_eq!(
        block, FILE,
        "README.md's lead example and tests/readme/lead_example.rs differ"
    );
}

#[test]
fn the_readme_lead_example_runs_on_the_example_app() {
    let db = TestDb::new();
    let mut client = db.client();
    let lead = Migration::defined(Box::leak(Box::new(Definition {
        name: "20991231000000_lead_example",
        path: "README.md",
        source: FILE,
        up: lead_example::up,
        down: None,
    })));
    let all: &'static [Migration] = Box::leak(
        MIGRATIONS
            .iter()
            .copied()
            .chain([lead])
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let migrator = Migrator::new(all);
    let ran = migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ran.last().map(|r| r.name.as_str()), Some(lead.name()));
    assert!(db.columns("comments").contains(&"edited_at".to_owned()));
    let check = "SELECT count(*)::text FROM pg_constraint WHERE conname = 'comments_check'";
    assert_eq!(db.query_strings(check), [[Some("1".to_owned())]]);

    migrator
        .run_down(&mut client, &DownTarget::Count(1), &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!db.columns("comments").contains(&"edited_at".to_owned()));
    assert_eq!(db.query_strings(check), [[Some("0".to_owned())]]);
}
