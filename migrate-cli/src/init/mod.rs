//! `migrate init`: sets up an existing cargo package to own a migrations folder, as `example-app` does. Every
//! change is planned and checked first; files are written only when nothing conflicts, so a refusal leaves
//! every file as it was.
//!
//! One planner per file `init` writes or changes, each in its own module: the migrations folder
//! ([`folder`]), the build script ([`build_script`]), the registry module ([`registry`]), the runner binary
//! ([`runner`]), `migrate.toml` ([`config`]), the sealed-migrations package ([`sealed`]) and `Cargo.toml`
//! ([`manifest`]); [`package`] reads the package they plan for.

mod build_script;
mod config;
mod folder;
mod manifest;
mod package;
mod registry;
mod runner;
mod sealed;

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use package::Package;

/// What `init` was asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The migrations folder, relative to the package's folder.
    pub dir: PathBuf,
    /// Where the package gets migrate's crates from; `None` refuses whenever a dependency is to be added.
    pub crates: Option<CratesSource>,
}

/// Where the dependencies on migrate's crates point. Each is written under the key code uses
/// (`migrate-core`, `migrate-dsl`, and `migrate-cli` for the runner crate) and names its package when that
/// differs (`package = "pgm-migrate-core"`: crates.io's `migrate-core` is an unrelated project's), so the code
/// keeps its `migrate_core::...` paths; see docs/getting-started.md, "Where the crates come from".
#[derive(Debug, Clone)]
pub enum CratesSource {
    /// A published version: registry dependencies. What a released `migrate` writes by default.
    Version(String),
    /// A checkout of the repository: path dependencies.
    Path(PathBuf),
    /// The repository's git URL, at `rev` or its default branch: git dependencies.
    Git { url: String, rev: Option<String> },
}

impl CratesSource {
    /// The source `init` uses: the one the flags name, else, for a `migrate` installed from a release
    /// (`released`: its own version), that version of the crates; `None` when neither (a `migrate` built from a
    /// checkout cannot tell which published version its sources match).
    pub fn chosen(
        version: Option<&str>,
        path: Option<&Path>,
        git: Option<(&str, Option<&str>)>,
        released: Option<&str>,
    ) -> Option<CratesSource> {
        if let Some(path) = path {
            return Some(CratesSource::Path(path.to_path_buf()));
        }
        if let Some((url, rev)) = git {
            return Some(CratesSource::Git {
                url: url.to_owned(),
                rev: rev.map(str::to_owned),
            });
        }
        version
            .or(released)
            .map(|v| CratesSource::Version(v.to_owned()))
    }
}

/// This `migrate`'s version when it is a released one, built from the published crate (`cargo install
/// migrate-cli`, `cargo binstall`) or by the release workflow; `None` when built from a checkout (see
/// build.rs).
pub fn released_version() -> Option<&'static str> {
    option_env!("MIGRATE_RELEASED").map(|_| env!("CARGO_PKG_VERSION"))
}

/// One file change `init` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    CreateDir(PathBuf),
    Create {
        path: PathBuf,
        content: String,
    },
    Update {
        path: PathBuf,
        content: String,
        what: Vec<String>,
    },
    /// A file `migrate` wrote and no longer needs (the first sealed layout's build script).
    Remove(PathBuf),
}

/// The outcome: the changes made (empty when everything was in place) and notes for the user.
#[derive(Debug, Clone)]
pub struct InitReport {
    pub package_dir: PathBuf,
    pub package: String,
    pub runner_bin: String,
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
    /// Whether the package has a library (the registry is then `<crate>::migrations::REGISTRY`).
    pub has_lib: bool,
    /// The library's crate name.
    pub crate_name: String,
}

/// The `init` command: finds the package from `start` upwards, plans, checks, then writes.
pub fn init(start: &Path, options: &InitOptions) -> Result<InitReport> {
    let plan = plan(start, options)?;
    apply(&plan.changes)?;
    Ok(plan)
}

/// Makes `changes`, in order.
fn apply(changes: &[Change]) -> Result<()> {
    for change in changes {
        match change {
            Change::CreateDir(dir) => std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?,
            Change::Create { path, content } | Change::Update { path, content, .. } => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                std::fs::write(path, content)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Change::Remove(path) => std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?,
        }
    }
    Ok(())
}

/// For `migrate create` after a seal: writes the packages the migrations folder `folder`'s chunk lists call
/// for ([`sealed`]) and returns what it changed.
pub fn sync_sealed_chunks(folder: &Path) -> Result<Vec<Change>> {
    sealed::sync(folder)
}

/// The folders of the sealed chunks' packages that `changes` (from [`sync_sealed_chunks`]) create.
pub fn created_chunk_packages(changes: &[Change]) -> Vec<&Path> {
    sealed::created_chunks(changes)
}

/// What `init` would change in the package found from `start` upwards, or why it refuses. Writes nothing.
pub fn plan(start: &Path, options: &InitOptions) -> Result<InitReport> {
    let dir = migrations_dir_text(&options.dir)?;
    let mut package = Package::find(start)?;
    let root = package.root.clone();
    let mut plan = Plan::default();

    let folder = root.join(&options.dir);
    folder::plan(&mut plan, &root, &folder);
    build_script::plan(&mut plan, &package, &dir)?;
    registry::plan(&mut plan, &package)?;
    runner::plan(&mut plan, &package);
    config::plan(&mut plan, &package, &dir)?;

    // Cargo.toml: the dependencies first, since the sealed package copies them; then its [[bin]], default-run
    // and profile. Its change is listed last.
    let mut what = manifest::upgrade_runner_dependency(&mut package);
    what.extend(manifest::add_dependencies(
        &mut package,
        options.crates.as_ref(),
    )?);
    sealed::plan(&mut plan, &package, &dir, &folder)?;
    what.extend(manifest::add_runner_bin(&mut package)?);
    match package::workspace_root_above(&root, &package.manifest) {
        None => what.extend(manifest::faster_dev_profile(&mut package.manifest)?),
        Some(workspace) => plan.notes.push(format!(
            "a new migration recompiles and relinks the runner; with less debug info that is several times faster (see docs/getting-started.md): add `[profile.dev] debug = \"line-tables-only\"`, `[profile.dev.package.\"*\"] debug = false` and `incremental = false` (under the same table) to {} if you want that (cargo reads profiles from the workspace root only)",
            workspace.display()
        )),
    }
    if !what.is_empty() {
        plan.changes.push(Change::Update {
            path: package.manifest_path.clone(),
            content: package.manifest.to_string(),
            what,
        });
    }

    if !plan.conflicts.is_empty() {
        let mut message = format!("migrate init changed nothing in package {}:", package.name);
        for c in &plan.conflicts {
            let _ = write!(message, "\n  - {c}");
        }
        bail!(message);
    }
    Ok(InitReport {
        package_dir: root,
        runner_bin: package.runner_bin(),
        has_lib: package.targets.lib.is_some(),
        crate_name: package.targets.crate_name,
        package: package.name,
        changes: plan.changes,
        notes: plan.notes,
    })
}

/// What the planners found: the changes to make, the conflicts that refuse them all, notes for the user.
#[derive(Debug, Default)]
struct Plan {
    changes: Vec<Change>,
    conflicts: Vec<String>,
    notes: Vec<String>,
}

impl Plan {
    /// Plans a new file, or checks that an existing one has exactly this content.
    fn expect_file(&mut self, root: &Path, path: &Path, content: &str) {
        match std::fs::read_to_string(path) {
            Ok(existing) if existing == content => {}
            Ok(_) => self.conflicts.push(format!(
                "{} exists with other content; move it away (or rename it) and run init again",
                shown(root, path)
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.changes.push(Change::Create {
                    path: path.to_path_buf(),
                    content: content.to_owned(),
                })
            }
            Err(e) => self
                .conflicts
                .push(format!("cannot read {}: {e}", shown(root, path))),
        }
    }
}

/// The folder as written into build.rs and migrate.toml: relative, inside the package, `/`-separated.
fn migrations_dir_text(dir: &Path) -> Result<String> {
    let mut parts = Vec::new();
    for c in dir.components() {
        match c {
            Component::Normal(p) => parts.push(
                p.to_str()
                    .ok_or_else(|| anyhow!("--dir {}: not valid UTF-8", dir.display()))?
                    .to_owned(),
            ),
            Component::CurDir => {}
            _ => bail!(
                "--dir {}: give a folder inside the package, relative to its Cargo.toml (e.g. migrations or db/migrations)",
                dir.display()
            ),
        }
    }
    if parts.is_empty() {
        bail!("--dir: give a folder name, e.g. migrations");
    }
    Ok(parts.join("/"))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What `migrate init` prints.
pub fn describe(report: &InitReport) -> String {
    let mut out = String::new();
    let root = &report.package_dir;
    if report.changes.is_empty() {
        let _ = writeln!(
            out,
            "nothing to do: package {} is already set up for migrate (runner {})",
            report.package, report.runner_bin
        );
        return out;
    }
    for change in &report.changes {
        let _ = match change {
            Change::CreateDir(dir) => writeln!(out, "created {}/", shown(root, dir)),
            Change::Create { path, .. } => writeln!(out, "created {}", shown(root, path)),
            Change::Update { path, what, .. } => {
                writeln!(out, "updated {}: {}", shown(root, path), what.join("; "))
            }
            Change::Remove(path) => writeln!(out, "removed {}", shown(root, path)),
        };
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(
        out,
        "\nnext: migrate create add_users   (write its `up`, then `migrate up` with DATABASE_URL set)"
    );
    if report.has_lib {
        let _ = writeln!(
            out,
            "to apply the migrations when the app starts: migrate_cli::up(&{}::migrations::REGISTRY).await?",
            report.crate_name
        );
    } else {
        let _ = writeln!(
            out,
            "to apply the migrations when the app starts: add `mod migrations;` to src/main.rs, then
    migrate_cli::up(&migrations::REGISTRY).await?"
        );
    }
    out
}

/// Writes the packages of new chunks and says so: a new package changes Cargo.lock at the next build.
pub(crate) fn write_chunk_packages(dir: &std::path::Path) -> Result<()> {
    use anyhow::Context as _;
    // The migration and the lists are written; without the chunks' packages the next build stops, so this
    // is an error, one that says what is done and what is not.
    let changes = sync_sealed_chunks(dir).with_context(|| {
        format!(
            "the migration is created and the seal lists in {} are written, but the sealed chunks' packages \
             are not",
            migrate_runner::schema_file::shown(&dir.join(migrate_core::seal::CHUNKS_DIR))
        )
    })?;
    let mut new_chunks: Vec<String> = created_chunk_packages(&changes)
        .into_iter()
        .map(migrate_runner::schema_file::shown)
        .collect();
    new_chunks.sort();
    if !new_chunks.is_empty() {
        migrate_runner::stdio::outln!(
            "wrote the package of each new chunk ({}): the next build adds {} to Cargo.lock; commit the \
             lockfile with {}",
            new_chunks.join(", "),
            if new_chunks.len() == 1 { "it" } else { "them" },
            if new_chunks.len() == 1 { "it" } else { "them" },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_must_be_inside_the_package() {
        assert_eq!(
            migrations_dir_text(Path::new("./db/migrations")).unwrap(),
            "db/migrations"
        );
        assert!(migrations_dir_text(Path::new("../x")).is_err());
        assert!(migrations_dir_text(Path::new("/abs")).is_err());
        assert!(migrations_dir_text(Path::new(".")).is_err());
    }
}
