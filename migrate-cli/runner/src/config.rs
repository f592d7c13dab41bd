//! `migrate.toml`: project settings, found in the current folder or a parent.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use migrate_core::BuiltConfig;

use crate::args::LockModeArg;
use crate::parse::{in_range, ranges};

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
    /// Which rules `migrate lint` checks.
    pub lint: Option<LintConfig>,
    /// The rows `migrate verify --with-data` fills the tables with.
    pub verify: Option<VerifyConfig>,
}

/// `[verify]`: what `--with-data` generates when `--rows` and `--seed` do not say.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Rows per table.
    pub rows: Option<u64>,
    /// `[verify.rows_per_table]`: rows for one table, by name (`orders`, `billing.invoices`).
    pub rows_per_table: Option<std::collections::BTreeMap<String, u64>>,
    /// The seed the values are drawn from.
    pub seed: Option<u64>,
}

/// `[lint]`: rules by name (docs/reference/lint-rules.md).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    /// Rules that are off by default to check too (`prefer-text-field`, `prefer-bigint-over-int`, ...).
    pub enable: Option<Vec<String>>,
    /// Rules not to check at all.
    pub disable: Option<Vec<String>>,
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
        config
            .file
            .check()
            .map_err(|e| anyhow::anyhow!("invalid {}: {e}", config.describe()))?;
        Ok(config)
    }
}

impl ConfigFile {
    /// The lint rules `[lint]` turns on and off, on top of those on by default.
    pub fn lint_rules(&self) -> std::result::Result<migrate_core::lint::RuleSelection, String> {
        let Some(lint) = &self.lint else {
            return Ok(migrate_core::lint::RuleSelection::default());
        };
        migrate_core::lint::RuleSelection::from_names(
            lint.enable.as_deref().unwrap_or_default(),
            lint.disable.as_deref().unwrap_or_default(),
        )
        .map_err(|e| format!("[lint]: {e}"))
    }

    /// Refuses what the flags of the same settings refuse (their ranges are shared: [`ranges`]), so a value
    /// cannot get in through the file that the command line keeps out. The settings written as text
    /// (durations, limits) are read by the flags' own parsers where they are resolved.
    fn check(&self) -> std::result::Result<(), String> {
        let count = |v: Option<usize>| v.map(|v| u64::try_from(v).unwrap_or(u64::MAX));
        within(
            "connect_timeout",
            self.connect_timeout,
            "--connect-timeout",
            &ranges::CONNECT_TIMEOUT_SECS,
        )?;
        within(
            "server_check_timeout",
            self.server_check_timeout,
            "--server-check-timeout",
            &ranges::SERVER_CHECK_TIMEOUT_SECS,
        )?;
        self.lint_rules()?;
        if let Some(review) = &self.review {
            within(
                "[review] calibration_rows",
                review.calibration_rows,
                "review --calibration-rows",
                &ranges::CALIBRATION_ROWS,
            )?;
        }
        if let Some(verify) = &self.verify {
            within(
                "[verify] rows",
                verify.rows,
                "verify --rows",
                &ranges::ROWS_PER_TABLE,
            )?;
            for (table, rows) in verify.rows_per_table.iter().flatten() {
                within(
                    &format!("[verify.rows_per_table] {table}"),
                    Some(*rows),
                    "verify --rows TABLE=N",
                    &ranges::ROWS_PER_TABLE,
                )?;
            }
        }
        if let Some(fleet) = &self.fleet {
            within(
                "[fleet] parallel",
                count(fleet.parallel),
                "--parallel",
                &ranges::FLEET_PARALLEL,
            )?;
            within(
                "[fleet] per_server",
                count(fleet.per_server),
                "--per-server",
                &ranges::FLEET_PARALLEL,
            )?;
            within(
                "[fleet] max_failures",
                count(fleet.max_failures),
                "--max-failures",
                &ranges::MAX_FAILURES,
            )?;
            match &fleet.canary {
                Some(CanaryConfig::First(0)) => {
                    return Err("[fleet] canary = 0: give at least one target, or leave canary out \
                                (as for --canary)"
                        .to_owned())
                }
                Some(CanaryConfig::Named(names))
                    if names.is_empty() || names.iter().any(|n| n.trim().is_empty()) =>
                {
                    return Err(format!(
                        "[fleet] canary = {names:?}: give a number of targets or their names, none empty \
                         (as for --canary)"
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A number of the file refused as its flag refuses it.
fn within<R>(
    key: &str,
    value: Option<u64>,
    flag: &str,
    range: &R,
) -> std::result::Result<(), String>
where
    R: std::ops::RangeBounds<u64> + std::fmt::Debug,
{
    match value {
        Some(v) => in_range(v, range)
            .map(|_| ())
            .map_err(|e| format!("{key} = {v}: {e} (as for {flag})")),
        None => Ok(()),
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Config;
    use crate::args::Cli;

    /// Each number a flag and `migrate.toml` both set: a value just out of the flag's range is refused in
    /// the file too, naming the key; the edges of the range pass both.
    #[test]
    fn the_file_refuses_what_the_flags_refuse() {
        let cases: &[(&str, &[&str], &str)] = &[
            (
                "connect_timeout = {}",
                &["--connect-timeout", "{}", "status"],
                "0 3601 | 1 3600",
            ),
            (
                "server_check_timeout = {}",
                &["--server-check-timeout", "{}", "status"],
                "3601 | 0 3600",
            ),
            (
                "[review]\ncalibration_rows = {}",
                &["review", "--calibration-rows", "{}"],
                "5 999 2147483648 | 1000 2147483647",
            ),
            (
                "[fleet]\nparallel = {}",
                &["fleet", "up", "--parallel", "{}"],
                "0 1025 | 1 1024",
            ),
            (
                "[fleet]\nper_server = {}",
                &["fleet", "up", "--per-server", "{}"],
                "0 1025 | 1 1024",
            ),
            (
                "[fleet]\nmax_failures = {}",
                &[
                    "fleet",
                    "up",
                    "--on-error",
                    "continue",
                    "--max-failures",
                    "{}",
                ],
                "0 | 1",
            ),
        ];
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("migrate.toml");
        for (toml, flags, values) in cases {
            let (bad, good) = values.split_once(" | ").expect("bad | good");
            for (value, ok) in bad
                .split(' ')
                .map(|v| (v, false))
                .chain(good.split(' ').map(|v| (v, true)))
            {
                let line = toml.replace("{}", value);
                std::fs::write(&path, &line).expect("write");
                let file = Config::load(Some(&path));
                let args: Vec<String> = std::iter::once("migrate".to_owned())
                    .chain(flags.iter().map(|f| f.replace("{}", value)))
                    .collect();
                let flag = Cli::try_parse_from(&args);
                assert_eq!(flag.is_ok(), ok, "{args:?}");
                match file {
                    Ok(_) => assert!(ok, "{line:?} accepted, where {args:?} is refused"),
                    Err(e) => {
                        let key = line.rsplit('\n').next().unwrap_or_default();
                        assert!(!ok, "{line:?} refused: {e}");
                        assert!(e.to_string().contains(key), "{e}");
                    }
                }
            }
        }
        for canary in ["canary = 0", "canary = []", "canary = [\"\"]"] {
            std::fs::write(&path, format!("[fleet]\n{canary}")).expect("write");
            let e = Config::load(Some(&path)).expect_err(canary);
            assert!(e.to_string().contains("[fleet] canary"), "{e}");
        }
    }
}
