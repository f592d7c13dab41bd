//! Command-line arguments. Every binary that runs migrations (the generic `migrate` front end and a crate's
//! compiled runner) parses the same arguments, so forwarding them is lossless.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// PostgreSQL schema migrations written in Rust.
#[derive(Debug, Parser)]
#[command(name = "migrate", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command. Precedence: flag, then environment, then `migrate.toml`, then default.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database URL, e.g. postgres://user@localhost:5432/app (also read from a .env file; libpq PG* variables
    /// are used when no URL is given).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Direct URL of the server for the migrator, used instead of --database-url/DATABASE_URL when those go
    /// through a connection pooler in transaction mode (the application keeps the pooled URL).
    #[arg(
        long,
        env = "MIGRATE_DIRECT_URL",
        global = true,
        hide_env_values = true
    )]
    pub direct_url: Option<String>,

    /// Folder holding the migration files [default: from migrate.toml, else ./migrations].
    #[arg(long, env = "MIGRATIONS_DIR", global = true)]
    pub migrations_dir: Option<PathBuf>,

    /// Name of the bookkeeping table [default: pgmigrations].
    #[arg(long, env = "MIGRATIONS_TABLE", global = true)]
    pub migrations_table: Option<String>,

    /// Schema of the bookkeeping table [default: public].
    #[arg(long, env = "MIGRATIONS_SCHEMA", global = true)]
    pub migrations_schema: Option<String>,

    /// Configuration file [default: migrate.toml in this or a parent folder].
    #[arg(long, env = "MIGRATE_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Seconds to wait for the database connection.
    #[arg(long, value_name = "SECS", global = true, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: Option<u64>,

    /// During up/down/redo, check every SECS on a new connection that the server still answers, and stop with
    /// an error when a check gets no reply within SECS (a server or network that stopped answering would
    /// otherwise leave the run hanging); 0 turns the check off [default: 30].
    #[arg(long, value_name = "SECS", global = true, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub server_check_timeout: Option<u64>,

    /// What to do when another runner holds the migration lock [default: wait].
    #[arg(long, value_enum, global = true)]
    pub lock_mode: Option<LockModeArg>,

    /// lock_timeout for each migration, e.g. 500ms or 2s (at least 1ms); 0 leaves the server's setting
    /// [default: 500ms].
    #[arg(long, value_name = "DURATION", global = true, value_parser = parse_timeout)]
    pub lock_timeout: Option<Duration>,

    /// statement_timeout for each migration, e.g. 30min (at least 1ms); 0 leaves the server's setting
    /// [default: 0].
    #[arg(long, value_name = "DURATION", global = true, value_parser = parse_timeout)]
    pub statement_timeout: Option<Duration>,

    /// How long a migration keeps retrying after lock timeouts [default: 2m].
    #[arg(long, value_name = "DURATION", global = true, value_parser = parse_duration)]
    pub lock_retry_budget: Option<Duration>,

    /// Build and run the migrations runner with cargo's release profile [default: `profile` in migrate.toml's
    /// `[runner]`, else dev]. Only the generic `migrate` reads it: a runner binary is already built.
    #[arg(long, global = true)]
    pub release: bool,
}

/// `500ms`, `2s`, `1m 30s`, or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{e}; write a duration such as 500ms, 2s or 1m"))
}

/// Longest timeout PostgreSQL accepts: `INT_MAX` milliseconds (about 24.8 days).
const MAX_TIMEOUT_MS: u128 = i32::MAX as u128;

/// A duration for a PostgreSQL timeout (`lock_timeout`, `statement_timeout`), counted in whole milliseconds
/// by the server: `0`, or 1ms to about 24.8 days. Anything between 0 and 1ms is refused rather than rounded:
/// sent as `0ms` it would mean no timeout at all, the opposite of what was asked, and rounding it up would
/// silently change the value.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if !d.is_zero() && d.as_millis() == 0 {
        return Err(format!(
            "{} is less than 1ms: PostgreSQL counts timeouts in whole milliseconds and would read it as 0, \
             which means no timeout at all; give 1ms or more, or 0 to leave the server's setting",
            humantime::format_duration(d)
        ));
    }
    if d.as_millis() > MAX_TIMEOUT_MS {
        return Err(format!(
            "{} is more than PostgreSQL's longest timeout, {MAX_TIMEOUT_MS}ms (about 24.8 days)",
            humantime::format_duration(d)
        ));
    }
    Ok(d)
}

/// Lock behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockModeArg {
    /// Wait until the other runner is done.
    Wait,
    /// Exit at once with status 3.
    Fail,
}

/// How `lint` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Findings with their lock and safe alternative, for a terminal.
    Text,
    /// One JSON object with every diagnostic and a summary.
    Json,
    /// GitHub Actions workflow commands (`::warning file=..,line=..::..`) that annotate a pull request.
    Github,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up this cargo package to own migrations: folder, build.rs, registry module, runner binary,
    /// migrate.toml and dependencies (no database).
    Init(InitArgs),
    /// Write a new migration file (no build, no database).
    Create {
        /// What the migration does, e.g. `add location` or `add_location`.
        #[arg(required = true, num_args = 1..)]
        name: Vec<String>,
    },
    /// Apply pending migrations, oldest first.
    Up(UpArgs),
    /// Revert applied migrations, the most recently applied first (default: one).
    Down(DownArgs),
    /// Revert the last N applied migrations and apply exactly those again.
    Redo {
        /// How many to redo.
        #[arg(default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        count: u64,
    },
    /// Show applied, pending, changed, missing and out-of-order migrations.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Print the exact SQL that pending (or the named) migrations run, changing nothing.
    Sql {
        /// Migrations to show (full name or timestamp); default: the pending ones (reads the database).
        names: Vec<String>,
        /// Show the `down` SQL of the named migrations instead.
        #[arg(long, requires = "names")]
        down: bool,
    },
    /// Prove on a scratch database (created and dropped) that every migration's down undoes its up.
    Verify,
    /// Check migrations against rules for busy databases, without a database (unless `--database-url` is given
    /// on the command line: then `--pg-version` defaults to that server's major); exit status 4 on findings.
    Lint {
        /// Migrations to lint (full name or timestamp); default: all of them.
        names: Vec<String>,
        /// Lint their `down` instead of their `up`.
        #[arg(long)]
        down: bool,
        /// PostgreSQL major version the migrations will run on; some rules and `since_pg` branches depend on
        /// it [default: the server's major when `--database-url` is given on the command line, else 15].
        #[arg(long, value_name = "MAJOR", value_parser = clap::value_parser!(u32).range(9..=99))]
        pg_version: Option<u32>,
        /// Set after parsing: `--database-url` was given on the command line (not only through the environment,
        /// a `.env` file or `migrate.toml`, which CI sets for other commands), so lint reads the server's major.
        #[arg(skip)]
        database_on_command_line: bool,
        /// Output format: text for people, json for tools, github for pull request annotations.
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
    },
    /// Create, drop or recreate the database named by the connection (DATABASE_URL).
    Database {
        #[command(subcommand)]
        action: DatabaseAction,
    },
    /// Compare the schema file with the schema the migrations give (on a scratch database), or rewrite it.
    Schema {
        #[command(subcommand)]
        action: SchemaAction,
    },
    /// Replace the migrations up to NAME with one baseline migration: the schema they give, as SQL read from
    /// the catalog of a scratch database (created and dropped; needs CREATEDB), plus the rows of the tables
    /// given with --keep-data. Their files are removed. Every database must have applied them all first: one
    /// that did records the baseline without running it, a fresh one runs it, one that applied only some is
    /// refused.
    Squash(SquashArgs),
    /// Accept edited migrations (record their new checksum) and forget applied ones whose file was removed.
    Repair {
        /// Only these migrations; default: every changed or missing one.
        names: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DatabaseAction {
    /// Create the database (nothing to do when it exists).
    Create,
    /// Drop the database; asks first on a terminal, and needs --force anywhere else.
    Drop {
        /// Do not ask.
        #[arg(short = 'y', long)]
        force: bool,
    },
    /// Drop the database (asking as `drop` does), create it again and apply every migration.
    Reset {
        /// Do not ask.
        #[arg(short = 'y', long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchemaAction {
    /// Apply every migration to a scratch database (created and dropped; needs CREATEDB) and compare its
    /// schema with the schema file; exit status 6 and a diff when they differ or the file is missing.
    Check {
        /// The schema file [default: schema_file of migrate.toml].
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Apply every migration to a scratch database and write its schema to the schema file.
    Write {
        /// The schema file [default: schema_file of migrate.toml].
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct SquashArgs {
    /// The last migration to squash (full name or timestamp); it and every migration before it are replaced.
    /// The configured database must have applied all of them.
    #[arg(long, value_name = "NAME", required = true)]
    pub to: String,
    /// Keep the rows the squashed migrations wrote into this table (`schema.table`, or `table` in schema
    /// public) as INSERT statements in the baseline; repeatable.
    #[arg(long, value_name = "TABLE")]
    pub keep_data: Vec<String>,
    /// Leave out the rows the squashed migrations wrote into this table; repeatable. A table holding rows
    /// must be named with --keep-data or --discard-data.
    #[arg(long, value_name = "TABLE")]
    pub discard_data: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The migrations folder, relative to the package's Cargo.toml.
    #[arg(long, value_name = "DIR", default_value = "migrations")]
    pub dir: PathBuf,
    /// Depend on the crates of this checkout of the migrate repository (path dependencies) instead of
    /// their published versions.
    #[arg(long, value_name = "DIR")]
    pub crates_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Apply only the next N pending migrations.
    #[arg(value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "to")]
    pub count: Option<u64>,
    /// Apply pending migrations up to and including this one.
    #[arg(long, value_name = "NAME")]
    pub to: Option<String>,
    /// Apply pending migrations up to, not including, the first pending contract (`pgm.contract(..)`): the
    /// step before rolling out new code. Apply the contracts with `up` once the rollout is done.
    #[arg(long, conflicts_with_all = ["count", "to"])]
    pub expand_only: bool,
    #[command(flatten)]
    pub run: RunArgs,
    /// Apply pending migrations that are older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Back the database up with `pg_dump -Fc` into this folder first (a pg_dump at least as new as the
    /// server: PG_DUMP, else PATH, else /usr/lib/postgresql/*/bin); stop if that fails.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dry_run", "fake"])]
    pub backup: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Revert the last N applied migrations.
    #[arg(value_parser = clap::value_parser!(u64).range(1..), conflicts_with_all = ["to", "all"])]
    pub count: Option<u64>,
    /// Revert every migration applied after this one (it stays applied).
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub to: Option<String>,
    /// Revert every applied migration.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Print the SQL that would run instead of running it (same as `sql`); with --fake, the bookkeeping
    /// that --fake would write, which is all it changes.
    #[arg(long)]
    pub dry_run: bool,
    /// Only update the migrations table; do not run the migrations.
    #[arg(long)]
    pub fake: bool,
    /// Run everything in one transaction instead of one per migration.
    #[arg(long)]
    pub single_transaction: bool,
}
