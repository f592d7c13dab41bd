//! The generic `migrate` front end, built inside the test package so tests can run it (the real binary is
//! `migrate-cli`'s `migrate`, with the same one-line `main`).

fn main() -> std::process::ExitCode {
    migrate_cli::main_generic()
}
