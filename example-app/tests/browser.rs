//! The page as a browser sees it: headless Chromium loads it and the post is in the DOM it built.
//! Skipped, with the reason printed, when no Chromium is installed.

mod common;

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
    let Some(browser) = BROWSERS.into_iter().find(|b| Path::new(b).exists()) else {
        println!(
            "skipped: no headless browser installed (looked for {})",
            BROWSERS.join(", ")
        );
        return;
    };
    let db = TestDb::new();
    Migrator::new(MIGRATIONS)
        .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
        .expect("migrations");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = start_app(&runtime, db.url(), Phase::NEWEST);
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
}
