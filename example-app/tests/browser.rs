//! The page as a browser sees it: headless Chromium loads it; the post and the schema panel (every
//! migration, applied or pending, expand or contract) are in the DOM it built, and it takes a screenshot.
//! Skipped, with the reason printed, when no Chromium is installed; under CI (`CI` set) that fails instead.

use super::common;

use std::path::Path;
use std::process::Command;

use common::{post_form, start_app};
use example_app::migrations::MIGRATIONS;
use example_app::phase::Phase;
use migrate_core::{Migrator, UpTarget};
use tests::TestDb;

const BROWSERS: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

#[test]
fn the_page_renders_in_headless_chromium() {
    let what = format!("headless Chromium (looked for {})", BROWSERS.join(", "));
    let found = BROWSERS.into_iter().find(|b| Path::new(b).exists());
    let Some(browser) = tests::skip::require(&what, found) else {
        return;
    };
    let db = TestDb::new();
    // Mid-story, so the panel has applied and pending migrations of both kinds.
    Migrator::new(MIGRATIONS)
        .run_up(
            &mut db.client(),
            &UpTarget::To("20261122110000_add_posts_location".to_owned()),
            &mut |_| {},
        )
        .expect("migrations");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = start_app(&runtime, db.url(), Phase::V3);
    assert_eq!(
        post_form(
            app,
            "/posts",
            &[
                ("title", "Seen by Chromium"),
                ("lat", "51.5"),
                ("lng", "-0.12")
            ]
        )
        .status,
        303
    );

    // A throwaway profile keeps runs apart; --no-sandbox because tests often run as root in containers.
    let profile = tempfile::tempdir().expect("profile folder");
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("http://{app}/"))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<h2>Seen by Chromium</h2>") && dom.contains("at 51.50000, -0.12000"),
        "status {}, DOM:\n{dom}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The schema panel lists every migration, marked applied or pending and expand or contract.
    assert!(dom.contains("<section id=\"schema\""), "{dom}");
    for (i, m) in MIGRATIONS.iter().enumerate() {
        let state = if i <= 3 { "applied" } else { "pending" };
        let kind = if m.contract().is_some() {
            "contract"
        } else {
            "expand"
        };
        assert!(
            dom.contains(&format!(
                "<li class=\"{state} {kind}\" data-migration=\"{}\">",
                m.name()
            )),
            "{} as {state} {kind}:\n{dom}",
            m.name()
        );
    }
    assert!(
        dom.contains("serves phase <strong>v3</strong>. The schema supports app phase(s) v2, v3.")
    );
    assert!(dom.contains("href=\"/walkthrough#step-3-replace-latlng-with-location-a-point\""));

    // A screenshot of the whole page, kept in the target folder for a look.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("example-app-page.png");
    let _ = std::fs::remove_file(&shot);
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1000,2200",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("http://{app}/"))
        .output()
        .expect("chromium runs");
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {} ({e}); stderr:\n{}",
            shot.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The IHDR chunk: width and height, big-endian, at bytes 16..24.
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let height = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    assert_eq!((width, height), (1000, 2200));
    println!("screenshot: {}", shot.display());

    // The panel's link lands on the walkthrough section, served by the app.
    let walkthrough = common::get(app, "/walkthrough");
    assert_eq!(walkthrough.status, 200);
    assert!(walkthrough
        .body
        .contains("id=\"step-3-replace-latlng-with-location-a-point\""));
}
