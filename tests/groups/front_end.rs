//! The installed `migrate` and the packages it builds: freshness, sealing, init, import, embedding.
//!
//! Each module is one file of `tests/tests` (kept there, so its snapshots stay in `tests/tests/snapshots`).

#[path = "../tests/compile_loop.rs"]
mod compile_loop;
#[path = "../tests/consumer.rs"]
mod consumer;
#[path = "../tests/diff_cli.rs"]
mod diff_cli;
#[path = "../tests/embed.rs"]
mod embed;
#[path = "../tests/import.rs"]
mod import;
#[path = "../tests/init.rs"]
mod init;
#[path = "../tests/new_user.rs"]
mod new_user;
#[path = "../tests/packaging.rs"]
mod packaging;
#[path = "../tests/release_workflow.rs"]
mod release_workflow;
#[path = "../tests/runner_freshness.rs"]
mod runner_freshness;
#[path = "../tests/sealing.rs"]
mod sealing;
