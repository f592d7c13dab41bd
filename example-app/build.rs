// Compiles `migrations/` into the registry included by `src/migrations.rs`.
fn main() {
    migrate_core::build::compile_migrations("migrations");
}
