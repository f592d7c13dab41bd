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
        Settings::from_parts(global, config)
    }

    /// The settings an application compiled with `registry` uses to apply its migrations itself: exactly what
    /// its runner binary would use with no flags. That is, in order of precedence:
    ///
    /// 1. the environment: `DATABASE_URL`, `MIGRATIONS_TABLE`, `MIGRATIONS_SCHEMA`, `MIGRATIONS_DIR`,
    ///    `MIGRATE_CONFIG` (and the same keys in a `.env` file in the current folder or a parent, which does
    ///    not override the environment and is not loaded into it);
    /// 2. `migrate.toml`: `MIGRATE_CONFIG`, else the nearest one upwards from the current folder, else the
    ///    nearest one upwards from the compiled migrations folder (the crate's own folder at build time, so
    ///    `cargo run` from anywhere finds the project's file);
    /// 3. the defaults (`public.pgmigrations`, waiting for the lock, 500ms lock timeout, ...).
    ///
    /// A configured migrations folder that exists and is not the one compiled into `registry` is an error: that
    /// `migrate.toml` describes another set of migrations. One that does not exist (a deployed binary without
    /// its sources) is fine.
    pub fn for_registry(registry: &Registry) -> Result<Settings> {
        let global = global_args_from_environment()?;
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        let compiled = Path::new(registry.dir);
        let config = Config::load_searching(global.config.as_deref(), &[&cwd, compiled])?;
        let folder_configured =
            global.migrations_dir.is_some() || config.file.migrations_dir.is_some();
        let settings = Settings::from_parts(&global, config)?;
        if folder_configured && settings.migrations_dir.exists() {
            settings.check_compiled_dir(registry.dir).with_context(|| {
                format!(
                    "the settings come from {} and the environment",
                    settings.config.describe()
                )
            })?;
        }
        check_compiled_content(registry)?;
        Ok(settings)
    }

    fn from_parts(global: &GlobalArgs, config: Config) -> Result<Settings> {
        let file = &config.file;
        let migrations_dir = match &global.migrations_dir {
            Some(dir) => dir.clone(),
            None => config.migrations_dir(),
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

    /// Checks that the requested migrations folder is the one compiled into this runner: running another
    /// folder's checksums and names against this binary would be silently wrong.
    pub fn check_compiled_dir(&self, compiled: &str) -> Result<()> {
        let requested = canonical(&self.migrations_dir).with_context(|| {
            format!(
                "cannot read migrations folder {}",
                self.migrations_dir.display()
            )
        })?;
        let compiled_path =
            canonical(Path::new(compiled)).unwrap_or_else(|_| PathBuf::from(compiled));
        if requested != compiled_path {
            anyhow::bail!(
                "this runner was compiled with the migrations in {}, not {}; use that folder (--migrations-dir, MIGRATIONS_DIR or migrations_dir in migrate.toml), or point [runner] in migrate.toml at the crate that compiles {}",
                compiled_path.display(),
                requested.display(),
                requested.display()
            );
        }
        Ok(())
    }
}

/// Checks that the files of the folder compiled into this binary still hold what it compiled, when that
/// folder is here. Cargo rebuilds by modification times, so a migration copied in with an older time (`cp -p`,
/// `rsync -a`, a tar extraction, a branch switch that kept times) leaves a binary that would apply, record or
/// report content the folder no longer has: it refuses instead, naming the files. The installed `migrate`
/// compares contents itself and rebuilds before it gets here, and says so ([`crate::checked`]): the folder
/// is not read a second time then.
pub fn check_compiled_content(registry: &Registry) -> Result<()> {
    if crate::checked::by_front_end() {
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

fn canonical(p: &Path) -> std::io::Result<PathBuf> {
    p.canonicalize()
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
