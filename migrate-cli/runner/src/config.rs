//! `migrate.toml`: project settings, found in the current folder or a parent.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use migrate_core::BuiltConfig;

use crate::args::LockModeArg;

/// The file's contents. Unknown keys are errors, so a typo does not silently fall back to a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Folder of migration files, relative to the config file.
    pub migrations_dir: Option<PathBuf>,
    pub migrations_table: Option<String>,
    pub migrations_schema: Option<String>,
    pub connect_timeout: Option<u64>,
    /// Seconds a check that the server still answers may go unanswered during a run; 0 for no checks.
    pub server_check_timeout: Option<u64>,
    pub lock_mode: Option<LockModeArg>,
    /// Durations as text, e.g. "500ms".
    pub lock_timeout: Option<String>,
    pub statement_timeout: Option<String>,
    pub lock_retry_budget: Option<String>,
    pub idle_in_transaction_session_timeout: Option<String>,
    /// A time budget for each `up`/`down`/`redo` run, e.g. "30m".
    pub max_duration: Option<String>,
    /// Where to write the normalized schema (`pg_dump --schema-only`) after each run that changed
    /// something, relative to the config file; reviewers see schema changes as a diff.
    pub schema_file: Option<PathBuf>,
    /// The crate that compiles the migrations folder, and its runner binary.
    pub runner: Option<RunnerConfig>,
    /// The targets of `migrate fleet` and how to run them.
    pub fleet: Option<FleetConfig>,
    /// How backfills pace themselves (replica lag, vacuum, a pause query, batch sizes).
    pub backfill: Option<crate::pacing::BackfillConfig>,
    /// Objects `drift` leaves out, as `kind name` with `*` for any run of characters (`"schema monitoring"`,
    /// `"extension *"`).
    pub drift_ignore: Option<Vec<String>>,
    /// How `migrate review` reads production and judges what it finds.
    pub review: Option<ReviewConfig>,
}

/// `[review]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewConfig {
    /// A read-only connection to production or a replica. `${VAR}` is read from the environment (keep
    /// passwords out of the file).
    pub production_url: Option<String>,
    /// Rows the calibration puts in each touched table.
    pub calibration_rows: Option<u64>,
    /// A lock that makes queries wait longer than this is an error (a fifth of it, a warning), e.g. "5s".
    pub max_blocking: Option<String>,
    /// Per lint rule (or `default`): `{ note_below = ROWS, error_from = ROWS }`.
    pub thresholds: Option<std::collections::BTreeMap<String, migrate_core::review::Threshold>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerConfig {
    pub package: String,
    pub bin: String,
    /// The cargo profile the generic `migrate` builds the runner with: `dev` (the default), `release`, or a
    /// custom profile of the workspace. `--release` overrides it.
    pub profile: Option<String>,
}

/// A loaded config file and the folder its relative paths start from.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub file: ConfigFile,
    /// The file's folder; `None` when there is no config file.
    pub root: Option<PathBuf>,
    pub path: Option<PathBuf>,
    /// The file is the one the build read, carried in the binary ([`migrate_core::BuiltConfig`]): no
    /// `migrate.toml` was found where it ran.
    pub built: bool,
}

pub const FILE_NAME: &str = "migrate.toml";

impl Config {
    /// The migrations folder the file names (relative to the file's folder), else `migrations`; a command's
    /// `--migrations-dir` wins over both ([`crate::Settings`]).
    pub fn migrations_dir(&self) -> PathBuf {
        match (&self.file.migrations_dir, &self.root) {
            (Some(dir), Some(root)) => root.join(dir),
            _ => PathBuf::from("migrations"),
        }
    }

    /// The config file's path for messages.
    pub fn describe(&self) -> String {
        match &self.path {
            None => FILE_NAME.to_owned(),
            Some(p) if self.built => format!("{} (as built into this binary)", p.display()),
            Some(p) => p.display().to_string(),
        }
    }

    /// Loads `explicit`, or the nearest `migrate.toml` upwards from the first of `starts` that has one above
    /// it, else `built`, the one the build read and the binary carries (a runner deployed alone).
    pub fn load_or_built(
        explicit: Option<&Path>,
        starts: &[&Path],
        built: Option<BuiltConfig>,
    ) -> Result<Config> {
        let config = Config::load_searching(explicit, starts)?;
        match (&config.path, built) {
            (None, Some(built)) => Config::parse(built.text, PathBuf::from(built.path), true),
            _ => Ok(config),
        }
    }

    /// Loads `explicit`, or the nearest `migrate.toml` from the current folder upwards; no file is fine.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        Config::load_searching(explicit, &[&cwd])
    }

    /// Loads `explicit`, or the nearest `migrate.toml` upwards from the first of `starts` that has one
    /// above it; no file is fine.
    pub fn load_searching(explicit: Option<&Path>, starts: &[&Path]) -> Result<Config> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => starts.iter().find_map(|start| find_upwards(start)),
        };
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Config::parse(&text, path, false)
    }

    fn parse(text: &str, path: PathBuf, built: bool) -> Result<Config> {
        let mut config = Config {
            file: ConfigFile::default(),
            root: path.parent().map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            }),
            path: Some(path),
            built,
        };
        // toml's message includes the line, column and key at fault.
        config.file = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("invalid {}: {e}", config.describe()))?;
        Ok(config)
    }
}

fn find_upwards(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// `[fleet]`: the targets and how to run them. Targets come from `targets`, then `schemas`, then `urls`,
/// then the rows of `query`, in that order (the order a canary of K counts in).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// Schemas of the configured database.
    pub schemas: Option<Vec<String>>,
    /// Databases. `${VAR}` in a URL is read from the environment (keep passwords out of the file).
    pub urls: Option<Vec<String>>,
    /// A query returning the targets (see `--query`).
    pub query: Option<String>,
    /// Where `query` runs; default: the configured database.
    pub control_url: Option<String>,
    /// Targets with settings of their own.
    pub targets: Option<Vec<TargetConfig>>,
    /// Schemas searched after a schema target's own (e.g. `["extensions"]`).
    pub search_path: Option<Vec<String>>,
    pub parallel: Option<usize>,
    pub per_server: Option<usize>,
    /// The first K targets, or a list of names.
    pub canary: Option<CanaryConfig>,
    pub on_error: Option<crate::fleet::args::OnErrorArg>,
    pub max_failures: Option<usize>,
}

/// One `[[fleet.targets]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub name: Option<String>,
    /// Default: the configured database.
    pub url: Option<String>,
    pub schema: Option<String>,
    /// The server's own address for the migrator, when `url` goes through a transaction pooler.
    pub direct_url: Option<String>,
}

/// `canary = 2` or `canary = ["tenant_1", "tenant_9"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CanaryConfig {
    First(usize),
    Named(Vec<String>),
}
