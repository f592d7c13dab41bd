// Compiles the migrations listed in migrations/sealed.txt.
fn main() {
    migrate_core::build::compile_sealed_migrations("../migrations");
}
