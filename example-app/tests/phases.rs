//! The migration story, end to end over HTTP: the migrations are applied one at a time, and after each
//! one every app phase that the schema supports creates a post and a comment through the forms and reads
//! back everything written so far by any phase. This is the expand/contract promise: old and new app
//! versions keep working side by side between migrations.

use super::common;

use std::collections::BTreeSet;

use common::{get, post_form, post_id, start_app};
use example_app::migrations::MIGRATIONS;
use example_app::phase::Phase;
use migrate_core::{Migrator, UpTarget};
use tests::TestDb;

/// A post written during the test, and what the page must show for it.
struct Written {
    title: String,
    location: String,
    comment: String,
}

#[test]
fn every_app_phase_keeps_working_while_the_story_is_applied_step_by_step() {
    use Phase::*;
    // Which app versions can run after each migration, in order: the story's compatibility windows.
    let expected: [&[Phase]; 7] = [
        &[V1],     // create posts and comments
        &[V1, V2], // expand: add body, sync trigger, NOT VALID check, backfill
        &[V2],     // contract: validate, NOT NULL, drop contents
        &[V2, V3], // add location
        &[V3, V4], // backfill location
        &[V4],     // drop lat/lng
        &[V4],     // concurrent index
    ];
    assert_eq!(
        MIGRATIONS.len(),
        expected.len(),
        "a new migration needs its row here"
    );

    let db = TestDb::new();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut client = db.client();
    let migrator = Migrator::new(MIGRATIONS);
    let mut applied = BTreeSet::new();
    let mut written: Vec<Written> = Vec::new();

    for (step, (migration, phases)) in MIGRATIONS.iter().zip(expected).enumerate() {
        let ran = migrator
            .run_up(
                &mut client,
                &UpTarget::To(migration.name().to_owned()),
                &mut |_| {},
            )
            .unwrap_or_else(|e| panic!("applying {}: {e}", migration.name()));
        assert_eq!(ran.len(), 1);
        applied.insert(migration.name().to_owned());
        let supported: Vec<Phase> = Phase::ALL
            .into_iter()
            .filter(|p| p.check(&applied).is_ok())
            .collect();
        assert_eq!(
            supported,
            phases,
            "phases that run after {}",
            migration.name()
        );

        for &phase in phases {
            let app = start_app(&runtime, db.url(), phase);
            let title = format!("Step {step} by {phase} <&>");
            let (lat, lng) = (10.0 + step as f64 + 0.123_45, -20.0 - step as f64);
            let (lat_text, lng_text) = (lat.to_string(), lng.to_string());
            let created = post_form(
                app,
                "/posts",
                &[("title", &title), ("lat", &lat_text), ("lng", &lng_text)],
            );
            assert_eq!(
                created.status,
                303,
                "{phase} after {}: {}",
                migration.name(),
                created.body
            );
            assert_eq!(created.location.as_deref(), Some("/"));

            let page = get(app, "/");
            assert_eq!(page.status, 200);
            let escaped = example_app::html::escape(&title);
            let id = post_id(&page.body, &escaped);
            let comment = format!("Nice one, from {phase} at step {step} \"quoted\"");
            let commented = post_form(app, "/comments", &[("post_id", &id), ("body", &comment)]);
            assert_eq!(
                commented.status,
                303,
                "{phase} after {}: {}",
                migration.name(),
                commented.body
            );
            written.push(Written {
                title: escaped,
                location: format!("at {lat:.5}, {lng:.5}"),
                comment: example_app::html::escape(&comment),
            });
        }

        // Every supported phase reads every post, location and comment written so far, whoever wrote it.
        for &phase in phases {
            let app = start_app(&runtime, db.url(), phase);
            let page = get(app, "/");
            assert_eq!(page.status, 200, "{phase} after {}", migration.name());
            for w in &written {
                let at = page
                    .body
                    .find(&format!("<h2>{}</h2>", w.title))
                    .unwrap_or_else(|| {
                        panic!(
                            "{phase} after {} misses {}:\n{}",
                            migration.name(),
                            w.title,
                            page.body
                        )
                    });
                let article = &page.body[at..page.body[at..]
                    .find("</article>")
                    .map_or(page.body.len(), |e| at + e)];
                assert!(
                    article.contains(&w.location),
                    "{phase} after {}: {article}",
                    migration.name()
                );
                assert!(
                    article.contains(&w.comment),
                    "{phase} after {}: {article}",
                    migration.name()
                );
            }
        }
    }
    // The story ends with the columns renamed and replaced.
    assert_eq!(
        db.columns("comments"),
        ["id", "post_id", "created_at", "body"]
    );
    assert_eq!(
        db.columns("posts"),
        ["id", "title", "created_at", "location"]
    );
    drop(runtime);
}

#[test]
fn bad_input_is_refused_with_a_message_and_nothing_is_written() {
    let db = TestDb::new();
    let mut client = db.client();
    Migrator::new(MIGRATIONS)
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect("migrations");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = start_app(&runtime, db.url(), Phase::NEWEST);
    let count =
        |table: &str| db.query_strings(&format!("SELECT count(*) FROM {table}"))[0][0].clone();

    let bad = post_form(
        app,
        "/posts",
        &[("title", "  "), ("lat", "91"), ("lng", "east")],
    );
    assert_eq!(bad.status, 400);
    for message in [
        "The title is empty.",
        "latitude must be between -90 and 90",
        "longitude is not a number",
    ] {
        assert!(bad.body.contains(message), "{message}: {}", bad.body);
    }
    let long = "x".repeat(201);
    let bad = post_form(
        app,
        "/posts",
        &[("title", &long), ("lat", "1"), ("lng", "NaN")],
    );
    assert!(
        bad.status == 400
            && bad
                .body
                .contains("The title is too long: 201 characters, at most 200.")
    );
    // Missing fields are empty fields, not a bare framework error.
    let bad = post_form(app, "/posts", &[]);
    assert!(
        bad.status == 400 && bad.body.contains("The latitude is empty."),
        "{}",
        bad.body
    );
    // What was typed comes back escaped, so it cannot inject markup.
    let bad = post_form(
        app,
        "/posts",
        &[
            ("title", "\"><script>alert(1)</script>"),
            ("lat", "x"),
            ("lng", "0"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert!(!bad.body.contains("<script>alert"), "{}", bad.body);
    assert!(
        bad.body
            .contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{}",
        bad.body
    );
    assert_eq!(count("posts").as_deref(), Some("0"));

    let ok = post_form(
        app,
        "/posts",
        &[
            ("title", "<b>Harbour</b>"),
            ("lat", "-33.8568"),
            ("lng", "151.2153"),
        ],
    );
    assert_eq!(ok.status, 303);
    let page = get(app, "/");
    assert!(
        page.body.contains("<h2>&lt;b&gt;Harbour&lt;/b&gt;</h2>")
            && !page.body.contains("<b>Harbour")
    );
    let id = post_id(&page.body, "&lt;b&gt;Harbour&lt;/b&gt;");

    let bad = post_form(app, "/comments", &[("post_id", &id), ("body", " \n ")]);
    assert!(
        bad.status == 400 && bad.body.contains("The comment is empty."),
        "{}",
        bad.body
    );
    let bad = post_form(
        app,
        "/comments",
        &[("post_id", &id), ("body", &"é".repeat(2001))],
    );
    assert!(
        bad.status == 400 && bad.body.contains("The comment is too long"),
        "{}",
        bad.body
    );
    let bad = post_form(
        app,
        "/comments",
        &[("post_id", "999999"), ("body", "hello")],
    );
    assert!(
        bad.status == 400 && bad.body.contains("does not exist"),
        "{}",
        bad.body
    );
    let bad = post_form(app, "/comments", &[("post_id", "one"), ("body", "hello")]);
    assert!(
        bad.status == 400 && bad.body.contains("does not say which post"),
        "{}",
        bad.body
    );
    assert_eq!(count("comments").as_deref(), Some("0"));

    let ok = post_form(
        app,
        "/comments",
        &[("post_id", &id), ("body", "<i>lovely</i> & sunny")],
    );
    assert_eq!(ok.status, 303);
    let page = get(app, "/");
    assert!(
        page.body
            .contains("<li>&lt;i&gt;lovely&lt;/i&gt; &amp; sunny</li>"),
        "{}",
        page.body
    );
    assert_eq!(count("comments").as_deref(), Some("1"));
}
