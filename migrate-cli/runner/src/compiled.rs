//! Which migrations a binary with compiled ones runs, and what it checked them against.
//!
//! On a developer's machine the folder the migrations were compiled from is here: the binary refuses a
//! configured folder that is another one, and a folder whose files no longer hold what it compiled (cargo
//! missed an edit). Deployed alone (an image with the runner and nothing else), neither the folder asked for
//! nor the compiled one is here: the binary runs what it compiled, which carries its names and checksums, and
//! says so (`status`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use migrate_core::Registry;

use crate::settings::Settings;

/// What the migrations a command runs were checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The folder is here, is the one compiled in, and (for the commands that run migrations) holds what was
    /// compiled.
    Folder(PathBuf),
    /// Neither the folder asked for nor the compiled one is here: the binary runs what it compiled from
    /// `built_from`.
    Compiled { built_from: &'static str },
}

/// Decides where `settings`' migrations come from for `registry`, checking the folder where it is here: its
/// identity always, and its contents when `contents` (every command that acts on the compiled migrations).
pub fn check(settings: &Settings, registry: &Registry, contents: bool) -> Result<Origin> {
    let requested = &settings.migrations_dir;
    if !requested.exists() {
        if Path::new(registry.dir).exists() {
            // The compiled folder is here, so this is the project's machine: a folder that is not is a
            // mistake, not a deployment.
            anyhow::bail!(
                "cannot read migrations folder {} (from {}): it does not exist; this binary's migrations are \
                 in {}",
                requested.display(),
                source_of_folder(settings),
                registry.dir
            );
        }
        return Ok(Origin::Compiled {
            built_from: registry.dir,
        });
    }
    same_folder(settings, registry.dir)?;
    if contents {
        check_contents(registry)?;
    }
    Ok(Origin::Folder(PathBuf::from(registry.dir)))
}

/// Where the migrations folder of `settings` was configured, for messages.
fn source_of_folder(settings: &Settings) -> String {
    if settings.config.file.migrations_dir.is_some() {
        format!("migrations_dir in {}", settings.config.describe())
    } else {
        "the command line or the environment".to_owned()
    }
}

/// Checks that the requested migrations folder is the one compiled into this runner: running another
/// folder's checksums and names against this binary would be silently wrong.
fn same_folder(settings: &Settings, compiled: &str) -> Result<()> {
    let requested = settings.migrations_dir.canonicalize().with_context(|| {
        format!(
            "cannot read migrations folder {}",
            settings.migrations_dir.display()
        )
    })?;
    let compiled_path = Path::new(compiled)
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(compiled));
    if requested != compiled_path {
        anyhow::bail!(
            "this runner was compiled with the migrations in {}, not {} (from {}); use that folder \
             (--migrations-dir, MIGRATIONS_DIR or migrations_dir in migrate.toml), or point [runner] in \
             migrate.toml at the crate that compiles {}",
            compiled_path.display(),
            requested.display(),
            source_of_folder(settings),
            requested.display()
        );
    }
    Ok(())
}

/// Checks that the files of the folder compiled into this binary still hold what it compiled, when that
/// folder is here. Cargo rebuilds by modification times, so a migration copied in with an older time (`cp -p`,
/// `rsync -a`, a tar extraction, a branch switch that kept times) leaves a binary that would apply, record or
/// report content the folder no longer has: it refuses instead, naming the files. The installed `migrate`
/// compares contents itself and rebuilds before it gets here, and says so ([`crate::checked`]): the folder
/// is not read a second time then.
fn check_contents(registry: &Registry) -> Result<()> {
    if crate::checked::by_installed_migrate() {
        return Ok(());
    }
    let drift = migrate_core::folder::drift(registry).with_context(|| {
        format!(
            "cannot compare the migrations folder {} with what this binary compiled",
            registry.dir
        )
    })?;
    let Some(drift) = drift.filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    let mut changes = Vec::new();
    for (names, how) in [
        (&drift.edited, "edited"),
        (&drift.added, "added"),
        (&drift.removed, "removed"),
    ] {
        if names.is_empty() {
            continue;
        }
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        let more = names.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        changes.push(format!("{how}: {}{more}", shown.join(", ")));
    }
    anyhow::bail!(
        "this binary was compiled from other contents of the migrations folder {} than it holds now ({}); \
         nothing was run. Cargo missed the change because the files kept older modification times: `touch` \
         them and build again (the installed `migrate` does this itself)",
        registry.dir,
        changes.join("; ")
    )
}
