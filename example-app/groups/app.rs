//! The example app's tests: its phases, rolling deploys, start-up, settings, pooler, review, the README's
//! and the guide's transcripts, and its page in a browser. One binary, each file of `tests/` a module of it.

#[path = "../tests/browser.rs"]
mod browser;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/data.rs"]
mod data;
#[path = "../tests/deployed.rs"]
mod deployed;
#[path = "../tests/docs.rs"]
mod docs;
#[path = "../tests/phases.rs"]
mod phases;
#[path = "../tests/pooler.rs"]
mod pooler;
#[path = "../tests/readme.rs"]
mod readme;
#[path = "../tests/recipes.rs"]
mod recipes;
#[path = "../tests/review.rs"]
mod review;
#[path = "../tests/rolling.rs"]
mod rolling;
#[path = "../tests/settings.rs"]
mod settings;
#[path = "../tests/startup.rs"]
mod startup;
#[path = "../tests/transcripts.rs"]
mod transcripts;
