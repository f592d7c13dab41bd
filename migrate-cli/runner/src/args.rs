//! Command-line arguments. Every binary that runs migrations (the generic `migrate` and a crate's
//! compiled runner) parses the same arguments, so forwarding them is lossless.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::parse::{parse_duration, parse_timeout};
use crate::parse::{parse_lag, parse_positive_duration, ranges};

/// PostgreSQL schema migrations written in Rust.
#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    version,
    about = "The `migrate` command (init, create, up, down, status, database, lint, ...): PostgreSQL schema migrations written in Rust",
    max_term_width = 100
)]
pub struct Cli {
    // Under their own heading, after a command's own options: every command accepts them, so listed first
    // they would bury the few that command has.
    #[command(flatten, next_help_heading = "Global options")]
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
    /// through a connection pooler in transaction mode (the application keeps the pooled URL); it must reach
    /// the same database as those, or nothing runs.
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
    #[arg(long, value_name = "SECS", global = true, value_parser = clap::value_parser!(u64).range(ranges::CONNECT_TIMEOUT_SECS))]
    pub connect_timeout: Option<u64>,

    /// During up/down/redo, check every SECS on a new connection that the server still answers, and stop with
    /// an error when a check gets no reply within SECS (a server or network that stopped answering would
    /// otherwise leave the run hanging); 0 turns the check off [default: 30].
    #[arg(long, value_name = "SECS", global = true, value_parser = clap::value_parser!(u64).range(ranges::SERVER_CHECK_TIMEOUT_SECS))]
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

    /// idle_in_transaction_session_timeout for the runner's session while it holds the migration lock, so the
    /// server ends the session and its locks when the runner gave up on a stalled network; a stricter server
    /// setting stays; 0 leaves the server's setting [default: 5m].
    #[arg(long, value_name = "DURATION", global = true, value_parser = parse_timeout)]
    pub idle_in_transaction_session_timeout: Option<Duration>,

    /// How long a migration keeps retrying after lock timeouts [default: 2m].
    #[arg(long, value_name = "DURATION", global = true, value_parser = parse_duration)]
    pub lock_retry_budget: Option<Duration>,

    /// Build and run the migrations runner with cargo's release profile [default: `profile` in migrate.toml's
    /// `[runner]`, else dev]. Only the generic `migrate` reads it: a runner binary is already built.
    #[arg(long, global = true)]
    pub release: bool,
}

/// `lint`'s hidden flag (without its `--`) with which the installed `migrate` asks a runner for the lint's
/// inputs, to run the rules itself: a runner need not compile the SQL parser the rules run on.
pub const EMIT_LINT_INPUTS: &str = "emit-inputs";

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

/// `lint`'s baseline: findings accepted as they are, in a file of their own, so that a project with history
/// lints what is new without editing (and so changing the checksum of) a migration that already ran.
#[derive(Debug, Clone, Default, Args)]
pub struct BaselineArgs {
    /// The baseline file: findings it accepts are counted, not reported [default: lint-baseline.json next to
    /// migrate.toml (or in the current folder without one), when it exists].
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Report every finding, those the baseline accepts too.
    #[arg(long, conflicts_with_all = ["baseline", "write_baseline"])]
    pub no_baseline: bool,
    /// Write the baseline instead of reporting: it accepts every finding found now in the migrations linted
    /// (its entries for others are kept), and the exit status is 0. Commit it; `lint` then reports only
    /// findings not in it.
    #[arg(long)]
    pub write_baseline: bool,
}

/// How `trace` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// Each statement with its SQL, locks, rewrites and scans, for a terminal.
    Text,
    /// One JSON object with every migration, transaction and statement, and a summary.
    Json,
    /// GitHub Actions workflow commands that annotate the migration files' lines in a pull request.
    Github,
}

/// The tools `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFrom {
    Sqlx,
    Refinery,
    Diesel,
    Dbmate,
    GolangMigrate,
    Flyway,
    /// JavaScript migrations are not converted: its `pgmigrations` table is adopted as this tool's.
    NodePgMigrate,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tool whose migrations folder DIR is.
    #[arg(long = "from", value_enum)]
    pub from: ImportFrom,
    /// The other tool's migrations folder.
    pub dir: std::path::PathBuf,
    /// Only write the files: do not record anything in the database (the imported migrations stay pending
    /// there until `import` runs again with a database).
    #[arg(long)]
    pub no_adopt: bool,
    /// Show what would be written and recorded; write and record nothing.
    #[arg(long)]
    pub dry_run: bool,
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
        /// Write a repeatable migration, `repeatable_<name>.rs`: applied again, after the migrations, whenever
        /// it changes (views, functions, triggers, grants).
        #[arg(long)]
        repeatable: bool,
    },
    /// Convert another tool's migrations folder into migration files here (the SQL kept verbatim), and record
    /// the ones that tool applied on the configured database as applied (from its own history table, which is
    /// left untouched). Nothing is written when any file cannot be converted.
    Import(ImportArgs),
    /// Apply pending migrations, oldest first.
    Up(UpArgs),
    /// Revert applied migrations, the most recently applied first (default: one).
    Down(DownArgs),
    /// Revert the last N applied migrations and apply exactly those again.
    Redo {
        /// How many to redo.
        #[arg(default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        count: u64,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Compare the live schema with the one its applied migrations give (built on a scratch database) and
    /// name each object that differs; exit 9 when one does.
    Drift {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Leave out objects whose `kind name` matches, `*` for any run of characters (e.g. 'schema
        /// monitoring', 'extension *'); adds to drift_ignore in migrate.toml. Repeatable.
        #[arg(long, value_name = "PATTERN")]
        ignore: Vec<String>,
    },
    /// List the values backfills kept for their `down`s (`keep_previous_values`), with their size, or drop
    /// them once no `down` should restore them.
    Kept {
        /// Drop the values this migration's backfills kept; its `down` can no longer restore them.
        #[arg(long, value_name = "MIGRATION", conflicts_with = "drop_all")]
        drop: Option<String>,
        /// Drop every kept value.
        #[arg(long)]
        drop_all: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Run the background jobs migrations queued (backfills with `.in_background()`), batch by batch, until
    /// none is left or the budget is spent. Any number of workers, on any number of machines, share the
    /// batches; a stop (SIGTERM) ends a worker after its batch in progress.
    Work(WorkArgs),
    /// List the background jobs with their progress and the time left, or pause, resume, retry or cancel
    /// one.
    Jobs {
        #[command(subcommand)]
        action: Option<JobsAction>,
        /// Machine-readable output (before the action: `jobs --json pause 3`).
        #[arg(long)]
        json: bool,
    },
    /// Wait until the database has the migrations this binary needs (for an init container or a start-up
    /// script), reading only; exit 8 when the time runs out.
    Wait(WaitArgs),
    /// Show applied, pending, changed, missing and out-of-order migrations.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Print the exact SQL that pending (or the named) migrations run, changing nothing.
    Sql {
        /// Migrations to show (full name or timestamp; a repeatable one by its name, `repeatable_<name>`); default:
        /// the pending ones and the repeatable ones `up` would apply (reads the database).
        names: Vec<String>,
        /// Show the `down` SQL of the named migrations instead.
        #[arg(long, requires = "names")]
        down: bool,
    },
    /// Prove on a scratch database (created and dropped) that every migration's down undoes its up; with
    /// `--with-data`, on generated rows in every table: the up must run on them, and the down must give
    /// back every row and value the up did not change on purpose.
    Verify(VerifyArgs),
    /// Write the migrations that turn the current schema (what the migrations give, or `--from`'s) into
    /// the one wanted (`--to`): typed Rust, split into expand, indexes, NOT NULL and contract migrations,
    /// each with its down. Changes no database; renames are confirmed, never guessed.
    Diff(DiffArgs),
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
        /// Lint only the migrations whose files were added or changed since this git revision (a commit,
        /// branch or tag: `origin/main` in a pull request's CI), new files not committed yet included.
        #[arg(long, value_name = "REV", conflicts_with = "names")]
        since: Option<String>,
        #[command(flatten)]
        baseline: BaselineArgs,
        /// For the installed `migrate`, which runs the rules itself: print what the rules need from the named
        /// migrations (`migrate_core::lint::LintInputs`, one versioned JSON object) instead of linting them.
        #[arg(long = EMIT_LINT_INPUTS, hide = true)]
        emit_inputs: bool,
    },
    /// Run pending (or the named) migrations on a scratch database built from the migrations before them
    /// (created and dropped; needs CREATEDB) and report each statement's locks and what they block, its
    /// rewrites and validating scans, and its duration; exit status 7 when an ACCESS EXCLUSIVE lock is held
    /// across a rewrite or a scan that no `// trace: allow rewrite|scan -- <reason>` in the migration accepts.
    Trace(TraceArgs),
    /// Review the pending (or the named, or --since REV's) migrations for a pull request: per migration its
    /// phase, SQL, locks, what each statement rewrites or scans, the lint findings with a level set by the
    /// table's size, and the schema changes; with --production-url (read-only, statistics only) each
    /// statement's estimated duration and how long it makes queries wait, scaled from a calibration run on a
    /// scratch database; with --clone-url, measured on a throwaway copy of a clone. Exit status 10 when a
    /// migration's verdict is an error.
    Review(ReviewArgs),
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
    /// Apply and track migrations over many targets: the schemas of a database (--schemas), databases
    /// (--urls), or the rows of a query (--query), or [fleet] in migrate.toml.
    Fleet {
        #[command(subcommand)]
        command: crate::fleet::args::FleetCommand,
    },
    /// Accept edited migrations (record their new checksum) and forget applied ones whose file was removed.
    Repair {
        /// Only these migrations; default: every changed or missing one.
        names: Vec<String>,
    },
    /// Print the shell completion script for SHELL (no build, no database): e.g. `migrate completions bash >
    /// ~/.local/share/bash-completion/completions/migrate`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the man page, migrate(1), in roff (no build, no database): e.g. `migrate man >
    /// ~/.local/share/man/man1/migrate.1`.
    Man,
}

/// The shells `completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
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
pub struct TraceArgs {
    /// Migrations to trace (full name or timestamp; a repeatable one by its name, `repeatable_<name>`); default: the pending ones and the repeatable ones `up` would apply (reads the database).
    pub names: Vec<String>,
    /// Trace their `down` instead (default: of the pending ones): the scratch database gets every migration up to the newest of them, then they are reverted, newest first.
    #[arg(long)]
    pub down: bool,
    /// Output format: text for people, json for tools, github for pull request annotations.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
    /// Fill every table with N generated rows before tracing, so that durations mean something.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=i32::MAX as u64))]
    pub rows: Option<u64>,
    /// Run this SQL file on the scratch database before tracing (after the migrations before the traced ones
    /// and before --rows).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

/// What `review` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// Each migration with its statements, estimates and findings, for a terminal.
    Text,
    /// One JSON object: the review with every statement, estimate and finding.
    Json,
    /// One pull-request comment: a summary table, one line per migration with its verdict, details folded.
    Markdown,
    /// GitHub Actions workflow commands that annotate the migration files' lines.
    Github,
}

/// The hidden flag with which the installed `migrate` asks a runner for the review without the lint rules.
pub const EMIT_REVIEW: &str = "emit-review";

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Migrations to review (full name or timestamp); default: the pending ones (reads the database).
    pub names: Vec<String>,
    /// Review the migrations whose files were added or changed since this git revision (`origin/main` in a
    /// pull request's CI), new files not committed yet included.
    #[arg(long, value_name = "REV", conflicts_with = "names")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    pub format: ReviewFormat,
    /// A read-only connection to production or a replica, for table sizes and activity (catalog and
    /// statistics views only) [default: `[review] production_url` in migrate.toml, else none: sizes unknown].
    #[arg(
        long,
        value_name = "URL",
        env = "MIGRATE_PRODUCTION_URL",
        hide_env_values = true
    )]
    pub production_url: Option<String>,
    /// Go on when the production session could write (a superuser, or a role with write rights); refused by
    /// default.
    #[arg(long)]
    pub allow_writable_production: bool,
    /// Rows the calibration puts in each table the migrations touch [default: 200000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(ranges::CALIBRATION_ROWS))]
    pub calibration_rows: Option<u64>,
    /// A copy of production (a restored backup, a database branch) to measure on instead of estimating: the
    /// migrations run on a throwaway copy of it (CREATE DATABASE ... TEMPLATE; needs CREATEDB on its server
    /// and no other session on it), which is dropped after.
    #[arg(long, value_name = "URL")]
    pub clone_url: Option<String>,
    /// Let --clone-url name the database the migrations are applied to (refused by default).
    #[arg(long, requires = "clone_url")]
    pub clone_is_target: bool,
    /// For the installed `migrate`, which runs the lint rules itself: print the review as JSON without them.
    #[arg(long = EMIT_REVIEW, hide = true)]
    pub emit_review: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The migrations folder, relative to the package's Cargo.toml.
    #[arg(long, value_name = "DIR", default_value = "migrations")]
    pub dir: PathBuf,
    /// Depend on this published version of migrate's crates (registry dependencies: pgm-migrate-core,
    /// pgm-migrate-dsl, pgm-migrate-runner, under the names code uses). The default for a `migrate` installed
    /// from a release is its own version; one built from a checkout needs this, --crates-path or --crates-git.
    #[arg(long, value_name = "VERSION", conflicts_with_all = ["crates_path", "crates_git"])]
    pub crates_version: Option<String>,
    /// Depend on the crates of this checkout of the migrate repository (path dependencies).
    #[arg(long, value_name = "DIR", conflicts_with = "crates_git")]
    pub crates_path: Option<PathBuf>,
    /// Depend on the crates of the migrate repository at this git URL (git dependencies, which cargo pins
    /// in Cargo.lock).
    #[arg(long, value_name = "URL")]
    pub crates_git: Option<String>,
    /// With --crates-git: the commit (or other revision cargo's `rev` accepts) to build; default: the
    /// repository's default branch, as of the first build.
    #[arg(long, value_name = "REV", requires = "crates_git")]
    pub crates_rev: Option<String>,
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
    /// Before a migration that requires background jobs to have finished, run what is left of them here
    /// instead of refusing it (for development and test databases, where no worker runs).
    #[arg(long)]
    pub finish_jobs: bool,
    #[command(flatten)]
    pub run: RunArgs,
    /// Apply pending migrations that are older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Continue this migration although it is marked as failed part-way: clear its mark and run it again from
    /// the statement that failed, keeping those that took effect (what the mark's message says to check
    /// first). Repeat for several.
    #[arg(long, value_name = "NAME")]
    pub retry: Vec<String>,
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
    /// Continue this migration's `down` although it is marked as failed part-way: clear its mark and run it
    /// again from the statement that failed, keeping those that took effect. Repeat for several.
    #[arg(long, value_name = "NAME")]
    pub retry: Vec<String>,
    /// Revert migrations a newer release applied (this binary has no file for them, as after an app
    /// rollback) with the `down` each row recorded when it was applied, rendered by that release.
    #[arg(long)]
    pub recorded: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The schema wanted: a SQL file, a folder of `.sql` files (applied in name order to a scratch
    /// database), or a database URL (`postgres://...`, read only).
    #[arg(long, value_name = "FILE|DIR|URL")]
    pub to: String,
    /// The current schema as a database URL (read only) [default: what the migrations give, built on a
    /// scratch database].
    #[arg(long, value_name = "URL")]
    pub from: Option<String>,
    /// Name of the migrations (snake_case; the steps add `_indexes`, `_constraints`, `_drops`, ...).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Confirm a rename: `schema.table=new_name` or `schema.table.column=new_name` (repeatable).
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
    /// Decline a proposed rename: `schema.table` or `schema.table.column` disappears, the new one is added
    /// (repeatable).
    #[arg(long, value_name = "OLD")]
    pub no_rename: Vec<String>,
    /// Write drops of tables, columns, sequences, schemas and extensions the wanted schema does not have
    /// (in a contract migration); without it they are kept and listed.
    #[arg(long)]
    pub allow_drop: bool,
    /// Print the migrations instead of writing them.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Fill every empty table with generated rows before each migration (values of each column's type,
    /// foreign keys, checks, enums and NOT NULL respected; NULLs and repeated values where allowed), then
    /// check that the up runs on them (naming the rows that make it fail) and that the down gives back every
    /// row and value the up did not change on purpose (naming the column that loses data).
    #[arg(long)]
    pub with_data: bool,
    /// With --with-data: rows per table, `N` for every table or `TABLE=N` for one (repeatable) [default:
    /// `[verify] rows` of migrate.toml, else 100].
    #[arg(long, value_name = "N|TABLE=N", value_parser = parse_rows, requires = "with_data")]
    pub rows: Vec<RowsArg>,
    /// With --with-data: the seed the values are drawn from; the same seed gives the same rows [default:
    /// `[verify] seed` of migrate.toml, else 1].
    #[arg(long, value_name = "N", requires = "with_data")]
    pub seed: Option<u64>,
    /// Machine-readable output: every migration's verdict, problems and notes.
    #[arg(long)]
    pub json: bool,
}

/// `--rows N` or `--rows TABLE=N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowsArg {
    /// `None` for every table.
    pub table: Option<String>,
    pub rows: u64,
}

fn parse_rows(text: &str) -> Result<RowsArg, String> {
    let (table, count) = match text.rsplit_once('=') {
        Some((table, count)) if !table.trim().is_empty() => (Some(table.trim().to_owned()), count),
        Some(_) => return Err(format!("{text:?} names no table before `=`; write TABLE=N")),
        None => (None, text),
    };
    let rows = count
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("{count:?} is not a number of rows (write N, or TABLE=N)"))?;
    let rows = crate::parse::in_range(rows, &ranges::ROWS_PER_TABLE)?;
    Ok(RowsArg { table, rows })
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Wait for the migrations up to this one (full name or timestamp), not all of them.
    #[arg(long, value_name = "NAME", conflicts_with = "expand_only")]
    pub to: Option<String>,
    /// Wait for the expand phase only (what `up --expand-only` applies): what a release needs to serve while
    /// its contracts are left for after the rollout.
    #[arg(long)]
    pub expand_only: bool,
    /// How long to wait, e.g. 10m [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Look once and exit 0 (ready) or 8 (not ready), without waiting: a readiness check.
    #[arg(long, conflicts_with = "timeout")]
    pub check: bool,
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
    /// Backfills wait before a batch while a standby or replication slot is further behind than this: a size
    /// (8MB), a time (10s), both (8MB,10s), or off [default: max_replica_lag in migrate.toml's [backfill],
    /// else 16MB,10s].
    #[arg(long, value_name = "LIMIT", value_parser = parse_lag)]
    pub max_replica_lag: Option<migrate_core::LagLimit>,
    /// A time budget for the run, e.g. 30m: once spent, a running transactional migration is cancelled and
    /// rolled back, a backfill stops after its current batch (the next run resumes it), and nothing else
    /// starts [default: max_duration in migrate.toml, else none].
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub max_duration: Option<Duration>,
    #[command(flatten)]
    pub log: LogArgs,
}

/// `work`'s options.
#[derive(Debug, Args)]
pub struct WorkArgs {
    /// Stop after this long (after the batch in progress), e.g. 10m; another worker, or the next run,
    /// goes on from there. Default: until no job is left.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub budget: Option<std::time::Duration>,
    /// Only this job (its id, as `migrate jobs` lists it). Repeatable.
    #[arg(long = "job", value_name = "ID")]
    pub jobs: Vec<i64>,
    /// Only the jobs this migration queued. Repeatable.
    #[arg(long = "migration", value_name = "NAME")]
    pub migrations: Vec<String>,
    /// The worker's name in the batches it commits (default: host:pid).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub log: LogArgs,
}

/// What `jobs` does to one job.
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// No batch starts until it is resumed; batches in progress commit.
    Pause { id: i64 },
    /// A paused job goes on.
    Resume { id: i64 },
    /// A failed or cancelled job goes on, its failed batches with their attempts back, with its
    /// migration's definition as this binary has it.
    Retry { id: i64 },
    /// No batch starts again; what committed stays.
    Cancel { id: i64 },
}

/// How `up`, `down` and `redo` report the run.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// text: progress for people on stdout; json: one JSON object per line on stdout for every event of the
    /// run (docs/json-log.md), the text for people on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Also append the run's JSON log to this file (whatever --log-format says).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

/// The form of a run's output on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Progress lines for people.
    Text,
    /// One JSON object per line for every event.
    Json,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every command's help lists its own options first and the global ones after them, under their own
    /// heading: before, each command's 13 global options came first.
    #[test]
    fn each_command_lists_its_own_options_before_the_global_ones() {
        let mut cli = Cli::command();
        cli.build();
        let mut commands = vec![cli.clone()];
        let mut checked = 0;
        while let Some(cmd) = commands.pop() {
            // `help` and its copies of the commands take no options.
            if cmd.get_name() == "help" {
                continue;
            }
            commands.extend(cmd.get_subcommands().cloned());
            let help = cmd.clone().render_long_help().to_string();
            let global = help.find("\nGlobal options:\n").unwrap_or_else(|| {
                panic!(
                    "`{}` help has no Global options heading:\n{help}",
                    cmd.get_name()
                )
            });
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                let Some(long) = arg.get_long() else { continue };
                let at = help
                    .find(&format!(" --{long}"))
                    .unwrap_or_else(|| panic!("`{}` help does not list --{long}", cmd.get_name()));
                assert_eq!(
                    arg.is_global_set(),
                    at > global,
                    "`{}` help lists --{long} on the wrong side of the Global options heading:\n{help}",
                    cmd.get_name()
                );
            }
            checked += 1;
        }
        assert!(checked > 20, "only {checked} commands checked");
    }
}
