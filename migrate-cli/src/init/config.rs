//! `migrate.toml` next to `Cargo.toml`: the migrations folder and the runner.

use std::path::Path;

use anyhow::Result;

use super::package::Package;
use super::{read, shown, Change, Plan};

/// What `init` writes into a new `migrate.toml`.
fn config_text(dir: &str, package: &str, runner_bin: &str) -> String {
    format!(
        "# Settings of the `migrate` command for this package; `migrate --help` lists the others.\n\
         migrations_dir = {dir:?}\n\n\
         # The binary that runs every command but `create`, with the migrations compiled in.\n\
         [runner]\npackage = {package:?}\nbin = {runner_bin:?}\n\
         # The cargo profile `migrate` builds it with: dev compiles a changed migration fastest; \"release\" (or\n\
         # --release for one command) runs Rust-heavy migration code faster.\n\
         # profile = \"dev\"\n"
    )
}

/// Plans `migrate.toml` for `package` and the migrations folder `dir`: an existing one must already say the
/// same (other keys may be there too).
pub(super) fn plan(plan: &mut Plan, package: &Package, dir: &str) -> Result<()> {
    let path = package.root.join(migrate_runner::config::FILE_NAME);
    let (name, runner_bin) = (&package.name, package.runner_bin());
    let config = config_text(dir, name, &runner_bin);
    if path.exists() {
        let text = read(&path)?;
        if text != config && !same_config(&text, dir, name, &runner_bin) {
            plan.conflicts.push(format!(
                "{} exists with other settings; it needs `migrations_dir = {dir:?}` and `[runner] package = {name:?}, bin = {runner_bin:?}`",
                shown(&package.root, &path)
            ));
        }
    } else {
        plan.changes.push(Change::Create {
            path,
            content: config,
        });
    }
    Ok(())
}

/// Whether an existing migrate.toml already says what init would write (other keys may be there too).
fn same_config(text: &str, dir: &str, package: &str, bin: &str) -> bool {
    let Ok(file) = toml::from_str::<migrate_runner::config::ConfigFile>(text) else {
        return false;
    };
    file.migrations_dir.as_deref() == Some(Path::new(dir))
        && file
            .runner
            .is_some_and(|r| r.package == package && r.bin == bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_config_may_carry_other_keys_but_not_other_values() {
        let written = config_text("db/migrations", "shop", "shop-migrate");
        assert!(same_config(
            &written,
            "db/migrations",
            "shop",
            "shop-migrate"
        ));
        let more = format!("lock_timeout = \"2s\"\n{written}");
        assert!(same_config(&more, "db/migrations", "shop", "shop-migrate"));
        assert!(!same_config(&written, "migrations", "shop", "shop-migrate"));
        assert!(!same_config(
            &written,
            "db/migrations",
            "shop",
            "other-migrate"
        ));
        assert!(!same_config(
            "not toml [",
            "db/migrations",
            "shop",
            "shop-migrate"
        ));
    }
}
