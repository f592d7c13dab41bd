//! The migrations runner for this crate: the `migrate` CLI with the app's migrations compiled in.
//! `cargo run -p migrate-cli -- up` forwards here (see `[runner]` in `migrate.toml`).

fn main() -> std::process::ExitCode {
    migrate_cli::run_embedded(&example_app::migrations::REGISTRY)
}
