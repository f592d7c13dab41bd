//! A migrations runner for the fixture folders: `FIXTURE=<folder>` picks the compiled registry. Apart from
//! that choice it is exactly what an application's runner binary is. `FIXTURE_DIR` names another folder as
//! the registry's own (a copy of the fixture, for commands that write files, such as `squash`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let name = std::env::var("FIXTURE").unwrap_or_default();
    match tests::fixtures::registry(&name) {
        Some(registry) => match std::env::var("FIXTURE_DIR") {
            Ok(dir) => migrate_cli::run_embedded(&migrate_core::Registry {
                dir: Box::leak(dir.into_boxed_str()),
                migrations: registry.migrations,
                repeatables: registry.repeatables,
                config: None,
            }),
            Err(_) => migrate_cli::run_embedded(registry),
        },
        None => {
            eprintln!("fixture-runner: set FIXTURE to a folder in tests/fixtures (got {name:?})");
            ExitCode::from(2)
        }
    }
}
