//! The runner binary: the `migrate` commands with the package's migrations compiled in.

use super::package::Package;
use super::Plan;

const RUNNER_FOR_BIN: &str = "//! The migrations runner: the `migrate` commands with this package's migrations compiled in. `migrate up`\n\
//! and the others run it through cargo (`[runner]` in migrate.toml).\n\n\
#[path = \"../migrations.rs\"]\nmod migrations;\n\n\
fn main() -> std::process::ExitCode {\n    migrate_cli::run_embedded(&migrations::REGISTRY)\n}\n";

fn runner_for_lib(crate_name: &str) -> String {
    format!(
        "//! The migrations runner: the `migrate` commands with this package's migrations compiled in. `migrate up`\n\
         //! and the others run it through cargo (`[runner]` in migrate.toml).\n\n\
         fn main() -> std::process::ExitCode {{\n    migrate_cli::run_embedded(&{crate_name}::migrations::REGISTRY)\n}}\n"
    )
}

/// Plans the runner binary of `package`: it reaches the registry through the library when there is one.
pub(super) fn plan(plan: &mut Plan, package: &Package) {
    let source = match &package.targets.lib {
        Some(_) => runner_for_lib(&package.targets.crate_name),
        None => RUNNER_FOR_BIN.to_owned(),
    };
    plan.expect_file(
        &package.root,
        &package.root.join(package.runner_path()),
        &source,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runner_reaches_the_registry_through_the_library_when_there_is_one() {
        assert!(runner_for_lib("shop")
            .contains("migrate_cli::run_embedded(&shop::migrations::REGISTRY)"));
        assert!(RUNNER_FOR_BIN.contains("#[path = \"../migrations.rs\"]\nmod migrations;"));
    }
}
