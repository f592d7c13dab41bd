//! The Rust blocks of the README and the guide's pages that no other test covers (see `tests::guide`): each
//! compiles (the build script made it a migration), renders, lints clean but for what its own allow comments
//! silence, and the README's lead example applies to a real server and is reverted by its derived down.

use migrate_core::lint::{self, LintOptions};
use migrate_core::plan::Step;
use migrate_core::{Direction, Migrator, UpTarget};
use tests::guide::GUIDE_BLOCKS;
use tests::TestDb;

#[test]
fn every_guide_block_renders_and_lints_clean() {
    // The lead example and lint.md's silenced finding at least: a generator that finds nothing fails here.
    for page in ["README.md", "docs/lint.md"] {
        assert!(
            GUIDE_BLOCKS.iter().any(|b| b.page == page),
            "no ```rust block of {page} was found: {GUIDE_BLOCKS:?}"
        );
    }
    let mut failed = Vec::new();
    for block in GUIDE_BLOCKS {
        let at = format!("{}:{}", block.page, block.line);
        if let Err(e) = Step::new(&block.migration, Direction::Up) {
            failed.push(format!("{at}: does not render: {e}"));
            continue;
        }
        let report = lint::lint(
            std::slice::from_ref(&block.migration),
            &[],
            &LintOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{at}: {e}"));
        for m in &report.migrations {
            for f in &m.findings {
                failed.push(format!("{at}: {}: {}", f.rule.name(), f.statement));
            }
            for u in &m.unparsable {
                failed.push(format!("{at}: cannot parse: {}", u.message));
            }
            // A page that shows an allow comment shows one that works.
            if block.migration.source().contains("// lint: allow") && m.silenced.is_empty() {
                failed.push(format!(
                    "{at}: its `// lint: allow` comment silences nothing"
                ));
            }
        }
    }
    assert!(failed.is_empty(), "guide blocks:\n{}", failed.join("\n"));
}

#[test]
fn the_readmes_lead_example_applies_and_its_derived_down_reverts_it() {
    let lead = GUIDE_BLOCKS
        .iter()
        .find(|b| b.page == "README.md")
        .expect("the README's lead example");
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE comments (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
         INSERT INTO comments (id) VALUES (1)",
    );
    let migrations = std::slice::from_ref(&lead.migration);
    let migrator = Migrator::new(migrations);
    let mut client = db.client();
    migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect("the lead example applies");
    // The constraint holds for new rows (NOT VALID checks only those).
    let early = client.execute(
        "UPDATE comments SET edited_at = created_at - interval '1 day' WHERE id = 1",
        &[],
    );
    assert!(early.is_err(), "an edit before the comment was accepted");
    migrator
        .run_down(
            &mut client,
            &migrate_core::DownTarget::Count(1),
            &mut |_| {},
        )
        .expect("the derived down");
    assert_eq!(
        db.query_strings(
            "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'comments' AND column_name = 'edited_at'"
        ),
        [[Some("0".to_owned())]]
    );
}
