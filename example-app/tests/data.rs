//! The rename of `comments.contents` to `body` tested on data, as docs/testing-data.md shows it: the
//! comments written before the rename keep their text through the expand, its backfill and the contract,
//! and the `down`s give it back under the old name. The page's block is this test's body, with
//! `TestDatabase::at` where this file names the test server itself (`at`): see `the_guide_shows_this_test`.

use example_app::migrations::REGISTRY;
use migrate_cli::testing::{verify_with_data_with_settings, Generation, TestDatabase};
use migrate_cli::Settings;

/// The app's settings, on the tests' server (`DATABASE_URL`, or the local one).
fn settings() -> anyhow::Result<Settings> {
    Ok(Settings {
        database_url: Some(tests::admin_url_from_env()),
        ..Settings::for_registry(&REGISTRY)?
    })
}

/// `TestDatabase::at` on the tests' server.
fn at(migration: &str) -> anyhow::Result<TestDatabase> {
    TestDatabase::at_with_settings(&REGISTRY, migration, settings()?)
}

/// Every migration of the app on generated rows (docs/testing-data.md, "Every migration on generated rows"):
/// each `up` runs on them, each `down` gives back what its `up` did not change on purpose. Its first run
/// found that `drop_posts_lat_lng`'s `down` could not give back a lone coordinate; the first migration's
/// check now says a post has both or neither.
#[test]
fn every_down_gives_back_the_rows_of_its_up() -> anyhow::Result<()> {
    let verification =
        verify_with_data_with_settings(&REGISTRY, &Generation::default(), settings()?)?;
    verification.assert_passed();
    assert_eq!(verification.skipped, 0, "{verification}");
    // The migrations after the first ran on rows: posts and comments were filled before the second.
    let filled = verification.migrations[1]
        .rows
        .as_ref()
        .map(|r| r.filled.clone())
        .unwrap_or_default();
    assert_eq!(filled, ["public.posts", "public.comments"]);
    Ok(())
}

// guide: begin
#[test]
fn comments_keep_their_text_through_the_rename() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The schema just before the migrations under test.
    let db = at("20261122090000_create_posts_and_comments")?;
    let mut client = db.client()?;

    // 2. Rows, as the app version of that schema writes them.
    client.batch_execute(
        "INSERT INTO posts (title) VALUES ('Hello');
         INSERT INTO comments (post_id, contents)
         SELECT id, 'comment ' || n FROM posts, generate_series(1, 2500) AS n;",
    )?;

    // 3. The migrations: the expand (with its batched backfill), then the contract.
    db.migrate_to("20261122100400_contract_comments_contents")?;

    // 4. What the rows became: every comment's text, now under `body`.
    let moved: i64 = client
        .query_one(
            "SELECT count(*) FROM comments WHERE body = 'comment ' || id",
            &[],
        )?
        .get(0);
    assert_eq!(moved, 2500);

    // And back: the `down`s restore `contents` from `body`, for every row.
    db.migrate_to("20261122090000_create_posts_and_comments")?;
    let restored: i64 = client
        .query_one(
            "SELECT count(*) FROM comments WHERE contents = 'comment ' || id",
            &[],
        )?
        .get(0);
    assert_eq!(restored, 2500);
    Ok(())
}
// guide: end

/// docs/testing-data.md shows the test above as it is, but for `at(..)`, which it writes
/// `TestDatabase::at(&REGISTRY, ..)`.
#[test]
fn the_guide_shows_this_test() {
    let root = format!("{}/..", env!("CARGO_MANIFEST_DIR"));
    let this =
        std::fs::read_to_string(format!("{root}/example-app/tests/data.rs")).expect("this file");
    let region = this
        .split("// guide: begin\n")
        .nth(1)
        .and_then(|rest| rest.split("// guide: end").next())
        .expect("the region the guide shows");
    let shown = region.replace("db = at(", "db = TestDatabase::at(&REGISTRY, ");
    let page = std::fs::read_to_string(format!("{root}/docs/testing-data.md")).expect("the page");
    assert!(
        page.contains(&shown),
        "docs/testing-data.md does not show example-app/tests/data.rs's test as it is:\n{shown}"
    );
}
