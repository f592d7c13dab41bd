fn main() -> std::process::ExitCode {
    migrate_cli::main_generic()
}
