//! A migrations runner for the fixture folders: `FIXTURE=<folder>` picks the compiled registry. Apart from
//! that choice it is exactly what an application's runner binary is.

use std::process::ExitCode;

fn main() -> ExitCode {
    let name = std::env::var("FIXTURE").unwrap_or_default();
    match tests::fixtures::registry(&name) {
        Some(registry) => migrate_cli::run_embedded(registry),
        None => {
            eprintln!("fixture-runner: set FIXTURE to a folder in tests/fixtures (got {name:?})");
            ExitCode::from(2)
        }
    }
}
