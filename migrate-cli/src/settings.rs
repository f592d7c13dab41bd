//! The settings of one invocation, resolved once from flags, environment, config file and defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use migrate_core::{LockMode, MigrationsTable, Timeouts};

use crate::args::{parse_duration, parse_timeout, GlobalArgs, LockModeArg};
use crate::config::Config;

#[derive(Debug)]
pub struct Settings {
    pub config: Config,
    pub migrations_dir: PathBuf,
    pub table: MigrationsTable,
    pub connect_timeout: Duration,
    pub lock_mode: LockMode,
    pub timeouts: Timeouts,
    pub schema_file: Option<PathBuf>,
    pub database_url: Option<String>,
}

impl Settings {
    pub fn resolve(global: &GlobalArgs) -> Result<Settings> {
        let config = Config::load(global.config.as_deref())?;
        let file = &config.file;
        let migrations_dir = match (&global.migrations_dir, &file.migrations_dir, &config.root) {
            (Some(dir), _, _) => dir.clone(),
            (None, Some(dir), Some(root)) => root.join(dir),
            _ => PathBuf::from("migrations"),
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
                .unwrap_or(10),
        );
        let lock_mode = match global.lock_mode.or(file.lock_mode) {
            Some(LockModeArg::Fail) => LockMode::Fail,
            Some(LockModeArg::Wait) | None => LockMode::Wait,
        };
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
        let timeouts = Timeouts {
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
        };
        let schema_file = match (&file.schema_file, &config.root) {
            (Some(f), Some(root)) => Some(root.join(f)),
            _ => None,
        };
        Ok(Settings {
            config,
            migrations_dir,
            table,
            connect_timeout,
            lock_mode,
            timeouts,
            schema_file,
            database_url: global.database_url.clone(),
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

fn canonical(p: &Path) -> std::io::Result<PathBuf> {
    p.canonicalize()
}
