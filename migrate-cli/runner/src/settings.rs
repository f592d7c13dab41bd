//! The settings of one invocation, resolved once from flags, environment, config file and defaults.
//!
//! An application that applies its migrations itself (at start-up, in tests) gets the same resolution through
//! [`Settings::for_registry`]: what a runner would use with no flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use migrate_core::{LockMode, MigrationsTable, Timeouts};

use clap::Parser;
use migrate_core::Registry;

use crate::args::{GlobalArgs, LockModeArg};
use crate::config::Config;
use crate::parse::{parse_duration, parse_timeout};

/// Everything a command needs to know besides its own arguments.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The `migrate.toml` in use (empty when there is none).
    pub config: Config,
    /// The migrations folder asked for (a runner checks it is the one compiled in).
    pub migrations_dir: PathBuf,
    /// The bookkeeping table; the advisory lock's key derives from it.
    pub table: MigrationsTable,
    pub connect_timeout: Duration,
    /// How long a check that the server still answers may go unanswered during `up`, `down` and `redo`
    /// (also the interval between checks); zero for no checks.
    pub server_check_timeout: Duration,
    pub lock_mode: LockMode,
    pub timeouts: Timeouts,
    /// Where to write the schema after a run that changed something (the CLI only).
    pub schema_file: Option<PathBuf>,
    /// `--database-url` / `DATABASE_URL`; `None` falls back to libpq's `PG*` variables.
    pub database_url: Option<String>,
    /// How backfills pace themselves (`[backfill]` of `migrate.toml`; `--max-replica-lag` on `up` and `down`
    /// overrides its `max_replica_lag`).
    pub backfill: migrate_core::BackfillSettings,
    /// The time budget of `up`, `down` and `redo` (`max_duration` of `migrate.toml`; `--max-duration` on `up`
    /// and `down` overrides it).
    pub max_duration: Option<Duration>,
    /// `--direct-url` / `MIGRATE_DIRECT_URL`: the server's own address for the migrator when `database_url`
    /// goes through a connection pooler in transaction mode. Wins over `database_url` (see [`Settings::url`]),
    /// and must reach the same database (see [`crate::connect::resolve_settings`]).
    pub direct_url: Option<String>,
}

impl Default for Settings {
    /// What a command line with no flags, no environment and no `migrate.toml` gets.
    fn default() -> Settings {
        Settings {
            config: Config::default(),
            migrations_dir: PathBuf::from("migrations"),
            table: MigrationsTable::default(),
            connect_timeout: Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_SECS),
            server_check_timeout: Duration::from_secs(DEFAULT_SERVER_CHECK_TIMEOUT_SECS),
            lock_mode: LockMode::Wait,
            timeouts: Timeouts::default(),
            schema_file: None,
            database_url: None,
            direct_url: None,
            backfill: migrate_core::BackfillSettings::default(),
            max_duration: None,
        }
    }
}

/// Seconds a check that the server still answers may take unless configured.
pub const DEFAULT_SERVER_CHECK_TIMEOUT_SECS: u64 = 30;

/// Seconds to wait for the database connection unless configured.
const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 10;

impl Settings {
    /// The URL the migrator connects with: the direct one when given (it exists for the migrator only, so
    /// it wins over the application's, possibly pooled, one), else `database_url`.
    pub fn url(&self) -> Option<&str> {
        self.direct_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .or(self.database_url.as_deref())
    }

    /// The settings of a command line: flags (with their environment fallbacks), then the `migrate.toml` found
    /// upwards from the current folder (or `--config`), then defaults.
    pub fn resolve(global: &GlobalArgs) -> Result<Settings> {
        let config = Config::load(global.config.as_deref())?;
        Settings::from_parts(global, config, None)
    }

    /// The settings an application compiled with `registry` uses to apply its migrations itself: exactly what
    /// its runner binary would use with no flags. That is, in order of precedence:
    ///
    /// 1. the environment: `DATABASE_URL`, `MIGRATIONS_TABLE`, `MIGRATIONS_SCHEMA`, `MIGRATIONS_DIR`,
    ///    `MIGRATE_CONFIG` (and the same keys in a `.env` file in the current folder or a parent, which does
    ///    not override the environment and is not loaded into it);
    /// 2. `migrate.toml`: `MIGRATE_CONFIG`, else the nearest one upwards from the current folder, else the
    ///    nearest one upwards from the compiled migrations folder (the crate's own folder at build time, so
    ///    `cargo run` from anywhere finds the project's file), else the one the build read, which the binary
    ///    carries (a binary deployed without its sources);
    /// 3. the defaults (`public.pgmigrations`, waiting for the lock, 500ms lock timeout, ...).
    ///
    /// The migrations folder, where it is here, must be the one compiled into `registry` and hold what was
    /// compiled ([`crate::compiled::check`]); where neither it nor the compiled one is here, the binary runs
    /// what it compiled.
    pub fn for_registry(registry: &Registry) -> Result<Settings> {
        let global = global_args_from_environment()?;
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        let config = Config::load_or_built(
            global.config.as_deref(),
            &[&cwd, Path::new(registry.dir)],
            registry.config,
        )?;
        let settings = Settings::from_parts(&global, config, Some(registry))?;
        crate::compiled::check(&settings, registry, true)?;
        Ok(settings)
    }

    /// The settings of a command line run by a binary with compiled migrations: as [`Settings::resolve`],
    /// with the `migrate.toml` the binary carries when none is found, and the compiled folder as the
    /// migrations folder unless one is configured.
    pub fn resolve_for_registry(global: &GlobalArgs, registry: &Registry) -> Result<Settings> {
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        let config = Config::load_or_built(global.config.as_deref(), &[&cwd], registry.config)?;
        Settings::from_parts(global, config, Some(registry))
    }

    fn from_parts(
        global: &GlobalArgs,
        config: Config,
        registry: Option<&Registry>,
    ) -> Result<Settings> {
        let file = &config.file;
        // A binary with compiled migrations knows its folder; `migrations` in the current folder is only the
        // guess of a command that has none.
        let migrations_dir = match (&global.migrations_dir, &file.migrations_dir, registry) {
            (Some(dir), _, _) => dir.clone(),
            (None, None, Some(registry)) => PathBuf::from(registry.dir),
            (None, _, _) => config.migrations_dir(),
        };
        let schema = global
            .migrations_schema
            .as_deref()
            .or(file.migrations_schema.as_deref())
            .unwrap_or("public");
        let name = global
            .migrations_table
            .as_deref()
            .or(file.migrations_table.as_deref())
            .unwrap_or("pgmigrations");
        let table = MigrationsTable::new(schema, name)?;
        let connect_timeout = Duration::from_secs(
            global
                .connect_timeout
                .or(file.connect_timeout)
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS),
        );
        let server_check_timeout = Duration::from_secs(
            global
                .server_check_timeout
                .or(file.server_check_timeout)
                .unwrap_or(DEFAULT_SERVER_CHECK_TIMEOUT_SECS),
        );
        let lock_mode = match global.lock_mode.or(file.lock_mode) {
            Some(LockModeArg::Fail) => LockMode::Fail,
            Some(LockModeArg::Wait) | None => LockMode::Wait,
        };
        let timeouts = timeouts(global, &config)?;
        let schema_file = match (&file.schema_file, &config.root) {
            (Some(f), Some(root)) => Some(root.join(f)),
            _ => None,
        };
        let backfill = crate::pacing::resolve(file.backfill.as_ref(), &config.describe())?;
        let max_duration = max_duration(&config)?;
        Ok(Settings {
            backfill,
            max_duration,
            config,
            migrations_dir,
            table,
            connect_timeout,
            server_check_timeout,
            lock_mode,
            timeouts,
            schema_file,
            database_url: global.database_url.clone(),
            direct_url: global.direct_url.clone(),
        })
    }
}

/// The global options with no flags given: clap's environment fallbacks, plus the same variables from a
/// `.env` file, passed as flags so that the process environment is left alone (changing it while other
/// threads run is unsound) and still wins over the file.
pub(crate) fn global_args_from_environment() -> Result<GlobalArgs> {
    #[derive(Parser)]
    #[command(no_binary_name = true)]
    struct NoFlags {
        #[command(flatten)]
        global: GlobalArgs,
    }
    let mut flags: Vec<String> = Vec::new();
    for (key, value) in crate::dotenv::entries().map_err(anyhow::Error::msg)? {
        let flag = match key.as_str() {
            "DATABASE_URL" => "--database-url",
            "MIGRATE_DIRECT_URL" => "--direct-url",
            "MIGRATIONS_DIR" => "--migrations-dir",
            "MIGRATIONS_TABLE" => "--migrations-table",
            "MIGRATIONS_SCHEMA" => "--migrations-schema",
            "MIGRATE_CONFIG" => "--config",
            _ => continue,
        };
        if std::env::var_os(&key).is_none() {
            flags.push(format!("{flag}={value}"));
        }
    }
    NoFlags::try_parse_from(flags)
        .map(|parsed| parsed.global)
        .map_err(|e| anyhow::anyhow!("invalid migration settings in the environment: {e}"))
}

/// The session timeouts: each flag, else its key in `migrate.toml`, else the default; 0 switches one off.
fn timeouts(global: &GlobalArgs, config: &Config) -> Result<Timeouts> {
    let file = &config.file;
    let duration = |flag: Option<Duration>,
                    key: &str,
                    value: &Option<String>,
                    parse: fn(&str) -> Result<Duration, String>|
     -> Result<Option<Duration>> {
        match (flag, value) {
            (Some(d), _) => Ok(Some(d)),
            (None, Some(text)) => parse(text).map(Some).map_err(|e| {
                anyhow::anyhow!("invalid {key} = {text:?} in {}: {e}", config.describe())
            }),
            (None, None) => Ok(None),
        }
    };
    let defaults = Timeouts::default();
    // 0 switches a timeout off, leaving the server's (or role's) own setting in force.
    let off_if_zero = |d: Duration| (!d.is_zero()).then_some(d);
    Ok(Timeouts {
        lock_timeout: duration(
            global.lock_timeout,
            "lock_timeout",
            &file.lock_timeout,
            parse_timeout,
        )?
        .map_or(defaults.lock_timeout, off_if_zero),
        statement_timeout: duration(
            global.statement_timeout,
            "statement_timeout",
            &file.statement_timeout,
            parse_timeout,
        )?
        .and_then(off_if_zero),
        retry_budget: duration(
            global.lock_retry_budget,
            "lock_retry_budget",
            &file.lock_retry_budget,
            parse_duration,
        )?
        .unwrap_or(defaults.retry_budget),
        idle_in_transaction_session_timeout: duration(
            global.idle_in_transaction_session_timeout,
            "idle_in_transaction_session_timeout",
            &file.idle_in_transaction_session_timeout,
            parse_timeout,
        )?
        .map_or(defaults.idle_in_transaction_session_timeout, off_if_zero),
    })
}

/// The run's time budget in `migrate.toml` (`--max-duration` is read where the run starts), above zero.
fn max_duration(config: &Config) -> Result<Option<Duration>> {
    Ok(match &config.file.max_duration {
        None => None,
        Some(text) => match parse_duration(text) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => anyhow::bail!(
                "invalid max_duration = {text:?} in {}: it must be more than 0 (leave it out for no budget)",
                config.describe()
            ),
            Err(e) => anyhow::bail!("invalid max_duration = {text:?} in {}: {e}", config.describe()),
        },
    })
}
