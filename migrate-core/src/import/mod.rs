//! `import`: another tool's migrations folder converted into migration files of this tool, one file per source
//! migration in the same order, and the migrations that tool applied on a database recorded as applied here
//! ([`adopt`](crate::import::adopt())).
//!
//! Nothing is written unless everything converts: [`plan`] reads the whole folder and either returns every file
//! it would write, or every file it cannot convert ([`ImportError::Refused`]).

mod adopt;
mod checksums;
mod node_pg_migrate;
mod render;
mod sources;
mod transactions;

use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, TimeDelta};

pub use adopt::{adopt, Adoption, Recording};
pub use node_pg_migrate::{adopt_node_pg_migrate, NodeAdoption};
pub use transactions::TransactionChange;

/// Runs `work` under the migration lock of `table`, as `up` would take it (`lock_mode`), with the default
/// timeouts and no interrupt: adoption writes the history rows that `up` reads.
fn locked<T>(
    client: &mut postgres::Client,
    table: &crate::history::MigrationsTable,
    lock_mode: crate::LockMode,
    work: impl FnOnce(&mut postgres::Client) -> Result<T, crate::Error>,
) -> Result<T, crate::Error> {
    crate::lock::with_lock(
        client,
        table,
        lock_mode,
        &crate::Timeouts::default(),
        &crate::Interrupt::new(),
        &mut |_| {},
        |client, _| work(client),
    )
}

/// The tools whose folders `import` converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Sqlx,
    Refinery,
    Diesel,
    Dbmate,
    GolangMigrate,
    Flyway,
    /// Its migrations are JavaScript and cannot be converted: its table is adopted as it is
    /// ([`adopt_node_pg_migrate`]).
    NodePgMigrate,
}

impl Tool {
    /// The name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::Diesel => "diesel",
            Tool::Dbmate => "dbmate",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Flyway => "flyway",
            Tool::NodePgMigrate => "node-pg-migrate",
        }
    }

    /// The table where the tool records what it applied (its default name).
    pub fn history_table(self) -> &'static str {
        match self {
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Refinery => "refinery_schema_history",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Dbmate | Tool::GolangMigrate => "schema_migrations",
            Tool::Flyway => "flyway_schema_history",
            Tool::NodePgMigrate => "pgmigrations",
        }
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One migration of the other tool, as read from its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMigration {
    /// The version as the tool records it in its history table (`3` for refinery's `V3__x.sql`, `1.1` for
    /// Flyway's `V1_1__x.sql`, `20240101120000` for diesel's `2024-01-01-120000_x`).
    pub version: String,
    /// The description part of the name, as written there.
    pub description: String,
    /// The file holding the up SQL, relative to the source folder.
    pub up_file: String,
    pub up_sql: String,
    /// The down file (relative to the source folder) and its SQL, when the source has one.
    pub down: Option<(String, String)>,
    /// How the source said to run it outside a transaction (the marker as written), when it did.
    pub no_transaction: Option<String>,
    /// The same for the down, which some tools mark on its own.
    pub down_no_transaction: Option<String>,
    /// A repeatable migration (Flyway's `R__`): applied again whenever it changes, after the versioned ones;
    /// written as this tool's `repeatable_<name>.rs`.
    pub repeatable: bool,
    /// The checksum the tool stores for it, when it stores one.
    pub(crate) checksum: Option<checksums::SourceChecksum>,
}

/// One file `import` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub source: SourceMigration,
    /// The migration's name (the file's stem): `<timestamp>_<snake_case description>`.
    pub name: String,
    /// The file in the migrations folder.
    pub path: PathBuf,
    /// The file's text.
    pub content: String,
    /// The checksum this tool records for the file (what `status` compares).
    pub checksum: String,
    /// The file is there already with exactly this content (an earlier import): it is not written again.
    pub exists: bool,
    /// What import changed about how the up runs, from reading its SQL (`source.up_sql` is the SQL as
    /// written into the file, so without a removed `BEGIN` and `COMMIT`).
    pub up_change: Option<TransactionChange>,
    /// The same for the down.
    pub down_change: Option<TransactionChange>,
}

impl Imported {
    /// Whether the up runs outside a transaction: by the source's marker or by [`TransactionChange::NoTransaction`].
    pub fn up_outside_transaction(&self) -> bool {
        match &self.up_change {
            Some(change) => change.outside_transaction(),
            None => self.source.no_transaction.is_some(),
        }
    }
}

/// What `import` writes, in the source's order.
#[derive(Debug, Clone)]
pub struct Plan {
    pub tool: Tool,
    pub source_dir: PathBuf,
    /// The migrations folder the files go into.
    pub migrations_dir: PathBuf,
    pub migrations: Vec<Imported>,
}

/// A file that cannot be converted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The file (relative to the folder it is in), or the version when the problem is not one file's.
    pub file: String,
    pub reason: String,
}

/// Why nothing was imported or adopted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a folder ({hint})")]
    NoFolder { path: String, hint: String },
    /// Files that cannot be converted, or applied migrations that cannot be adopted: nothing was written.
    #[error("{}", refused_message(.tool, .what, .refusals))]
    Refused {
        tool: Tool,
        /// `convert` or `adopt`.
        what: &'static str,
        refusals: Vec<Refusal>,
    },
    #[error("{context}: {source}")]
    Database {
        context: String,
        #[source]
        source: postgres::Error,
    },
    #[error(transparent)]
    Engine(#[from] crate::Error),
    /// Files were written, then the import failed (`source`): they were removed, except `left`.
    // `error` is not a `source`: the message holds it, and a report of the chain would repeat it.
    #[error("{error}; {}", files_left(None, *.removed, .left))]
    FilesNotKept {
        error: Box<ImportError>,
        removed: usize,
        /// The files that could not be removed, as shown.
        left: Vec<String>,
    },
    /// Recording the adopted history failed: nothing was recorded, and no file written for it is left, except
    /// `left`, which could not be removed.
    #[error("{error}\nnothing was recorded in {table}, and {}", files_left(Some(.dir), *.removed, .left))]
    NotRecorded {
        table: String,
        /// The migrations folder, as shown.
        dir: String,
        error: Box<ImportError>,
        /// Files written, then removed when the recording failed.
        removed: usize,
        left: Vec<String>,
    },
}

fn refused_message(tool: &Tool, what: &str, refusals: &[Refusal]) -> String {
    let mut message = match what {
        "adopt" => format!(
            "cannot adopt {tool}'s history ({} problem{}); nothing was written or recorded:",
            refusals.len(),
            if refusals.len() == 1 { "" } else { "s" }
        ),
        _ => format!(
            "cannot import from {tool}: {} file{} cannot be converted; nothing was written:",
            refusals.len(),
            if refusals.len() == 1 { "" } else { "s" }
        ),
    };
    for r in refusals {
        message.push_str(&format!("\n  {}: {}", r.file, r.reason));
    }
    message
}

/// What an import that failed left in the migrations folder (`dir`, when it is named).
fn files_left(dir: Option<&String>, removed: usize, left: &[String]) -> String {
    if !left.is_empty() {
        return format!(
            "these files were written and could not be removed, delete them before importing again: {}",
            left.join(", ")
        );
    }
    let written = match removed {
        0 => "none was written".to_owned(),
        n => format!("the {n} written were removed"),
    };
    match dir {
        Some(dir) => format!("no file is left in {dir} ({written})"),
        None => format!("no file is left ({written})"),
    }
}

/// Whether `sql` holds anything to run (not only white space and `--` comments).
pub(crate) fn render_has_statement(sql: &str) -> bool {
    render::has_statement(sql)
}

/// How the version of a repeatable migration starts (`R:<script>`): Flyway gives them none.
pub(crate) const REPEATABLE_VERSION: &str = "R:";

/// The timestamp given to the first migration whose version is not a timestamp (refinery's `V1__`,
/// golang-migrate's `000001_`, Flyway's `V1_1__`): 2000-01-01 00:00:00, then one second apart.
const FIRST_SYNTHETIC: &str = "20000101000000";
const VERSION_FORMAT: &str = "%Y%m%d%H%M%S";

/// Reads `source_dir` as `tool`'s migrations folder and plans the files to write into `migrations_dir`.
/// Every problem is collected: a file that cannot be converted (Rust or Java migrations, an undo script
/// without its migration, duplicate versions, a name that is not the tool's, text that is not UTF-8, SQL that
/// controls transactions itself other than by one `BEGIN` ... `COMMIT` around all of it), or a planned file
/// that clashes with one already in `migrations_dir`.
///
/// Each side's SQL is read for its transaction (see [`TransactionChange`]): its own `BEGIN` and `COMMIT`
/// around everything are removed, and a statement that cannot run in a transaction without the source's
/// marker makes that side run outside one.
pub fn plan(tool: Tool, source_dir: &Path, migrations_dir: &Path) -> Result<Plan, ImportError> {
    if !source_dir.is_dir() {
        return Err(ImportError::NoFolder {
            path: source_dir.display().to_string(),
            hint: format!("give {tool}'s migrations folder"),
        });
    }
    if !migrations_dir.is_dir() {
        return Err(ImportError::NoFolder {
            path: migrations_dir.display().to_string(),
            hint: "the migrations folder: run `migrate init` first".to_owned(),
        });
    }
    let (sources, mut refusals) = sources::read(tool, source_dir)?;
    let existing = existing_files(migrations_dir)?;
    let mut migrations = Vec::with_capacity(sources.len());
    let mut previous: Option<NaiveDateTime> = None;
    for mut source in sources {
        let (up_change, down_change) = adjust_transactions(&mut source, &mut refusals);
        let (version, name) = if source.repeatable {
            // No timestamp: the name orders repeatable migrations, after the versioned ones.
            let name = format!(
                "{}{}",
                crate::naming::REPEATABLE_PREFIX,
                snake_words(&source.description)
            );
            (name.clone(), name)
        } else {
            let at = timestamp(&source.version, previous);
            previous = Some(at);
            let version = at.format(VERSION_FORMAT).to_string();
            let name = format!("{version}_{}", snake_case(&source.description));
            (version, name)
        };
        let file_name = format!("{name}.rs");
        let content = render::file(tool, &source, up_change.as_ref(), down_change.as_ref());
        let checksum = crate::migration::checksum(&content);
        let path = migrations_dir.join(&file_name);
        let mut exists = false;
        for (other, other_path) in &existing {
            if other == &file_name {
                match std::fs::read_to_string(other_path) {
                    Ok(text) if text == content => exists = true,
                    _ => refusals.push(Refusal {
                        file: source.up_file.clone(),
                        reason: format!(
                            "{} already exists with other content; move it away or import into another folder",
                            crate::migration::display_path(&other_path.display().to_string())
                        ),
                    }),
                }
            } else if other.starts_with(&version) {
                refusals.push(Refusal {
                    file: source.up_file.clone(),
                    reason: format!(
                        "its timestamp {version} is taken by {}",
                        crate::migration::display_path(&other_path.display().to_string())
                    ),
                });
            }
        }
        migrations.push(Imported {
            source,
            name,
            path,
            content,
            checksum,
            exists,
            up_change,
            down_change,
        });
    }
    if !refusals.is_empty() {
        return Err(ImportError::Refused {
            tool,
            what: "convert",
            refusals,
        });
    }
    Ok(Plan {
        tool,
        source_dir: source_dir.to_path_buf(),
        migrations_dir: migrations_dir.to_path_buf(),
        migrations,
    })
}

/// Reads both sides of `source` for their transaction ([`transactions::check`]): applies the changes to its
/// SQL and markers and returns them, or adds a refusal naming the file.
fn adjust_transactions(
    source: &mut SourceMigration,
    refusals: &mut Vec<Refusal>,
) -> (Option<TransactionChange>, Option<TransactionChange>) {
    let up_file = source.up_file.clone();
    let up = adjust_side(
        &up_file,
        "",
        &mut source.up_sql,
        &mut source.no_transaction,
        source.repeatable,
        refusals,
    );
    let down = match &mut source.down {
        Some((file, sql)) => {
            // dbmate's down is a section of the same file.
            let what = if *file == up_file { "its down section: " } else { "" };
            adjust_side(
                file,
                what,
                sql,
                &mut source.down_no_transaction,
                false,
                refusals,
            )
        }
        None => None,
    };
    (up, down)
}

/// One side of [`adjust_transactions`]: `what` starts the refusal's reason.
fn adjust_side(
    file: &str,
    what: &str,
    sql: &mut String,
    marker: &mut Option<String>,
    repeatable: bool,
    refusals: &mut Vec<Refusal>,
) -> Option<TransactionChange> {
    match transactions::check(sql, marker.as_deref(), repeatable) {
        transactions::Verdict::Keep => None,
        transactions::Verdict::Change { sql: new, change } => {
            *sql = new;
            if let TransactionChange::Unwrapped { .. } = change {
                // The SQL made a transaction of its own anyway: it runs in this tool's.
                *marker = None;
            }
            Some(change)
        }
        transactions::Verdict::Refuse(reason) => {
            refusals.push(Refusal {
                file: file.to_owned(),
                reason: format!("{what}{reason}"),
            });
            None
        }
    }
}

/// Writes the planned files that are not there yet, each created exclusively; on a failure the ones created
/// by this call (the one being written included) are removed again, and the error names any that could not
/// be. Returns the files written.
pub fn write(plan: &Plan) -> Result<Vec<PathBuf>, ImportError> {
    let mut written: Vec<PathBuf> = Vec::new();
    for m in plan.migrations.iter().filter(|m| !m.exists) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&m.path);
        let result = file.and_then(|mut f| {
            written.push(m.path.clone());
            std::io::Write::write_all(&mut f, m.content.as_bytes())
        });
        if let Err(source) = result {
            let left: Vec<String> = written
                .iter()
                .filter(|path| std::fs::remove_file(path).is_err())
                .map(|path| crate::migration::display_path(&path.display().to_string()))
                .collect();
            let error = ImportError::Write {
                path: crate::migration::display_path(&m.path.display().to_string()),
                source,
            };
            return Err(ImportError::FilesNotKept {
                error: Box::new(error),
                removed: written.len() - left.len(),
                left,
            });
        }
    }
    Ok(written)
}

/// The `.rs` files already in the migrations folder: name and path.
fn existing_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ImportError> {
    let io = |source| ImportError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if let Some(name) = entry.file_name().to_str() {
            if name.ends_with(".rs") {
                files.push((name.to_owned(), entry.path()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The version's own timestamp when it is one (14 digits, a valid UTC date and time) later than `previous`;
/// otherwise one second after `previous` (or [`FIRST_SYNTHETIC`]), so that the order is kept.
fn timestamp(version: &str, previous: Option<NaiveDateTime>) -> NaiveDateTime {
    let first = NaiveDateTime::parse_from_str(FIRST_SYNTHETIC, VERSION_FORMAT).unwrap_or_default();
    let next = previous.map_or(first, |p| p + TimeDelta::seconds(1));
    let own = (version.len() == crate::naming::VERSION_LEN)
        .then(|| NaiveDateTime::parse_from_str(version, VERSION_FORMAT).ok())
        .flatten();
    match own {
        Some(own) if own >= next => own,
        _ => next,
    }
}

/// `description` as a snake_case name: lower-case ASCII letters and digits, anything else one `_`, starting
/// with a letter (`m_` is put before a leading digit); `migration` when nothing is left.
pub(crate) fn snake_case(description: &str) -> String {
    let mut out = snake_words(description);
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "m_");
    }
    out
}

/// [`snake_case`] without the `m_` before a leading digit: a repeatable migration's name may start with one
/// (`R__10_views.sql` is `repeatable_10_views.rs`), its number being the order it runs in.
fn snake_words(description: &str) -> String {
    let mut out = String::new();
    for c in description.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        return "migration".to_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_snake_case() {
        assert_eq!(snake_case("create users"), "create_users");
        assert_eq!(snake_case("Add-Index__on  x"), "add_index_on_x");
        assert_eq!(snake_case("1st table"), "m_1st_table");
        assert_eq!(snake_case("--"), "migration");
        assert_eq!(snake_case("café"), "caf");
        assert_eq!(snake_words("10 views"), "10_views");
    }

    #[test]
    fn timestamps_keep_the_order() {
        let a = timestamp("1", None);
        assert_eq!(a.format(VERSION_FORMAT).to_string(), "20000101000000");
        let b = timestamp("20240101120000", Some(a));
        assert_eq!(b.format(VERSION_FORMAT).to_string(), "20240101120000");
        // An own timestamp that is not later than the previous one is replaced, one second after it.
        let c = timestamp("20240101120000", Some(b));
        assert_eq!(c.format(VERSION_FORMAT).to_string(), "20240101120001");
        let d = timestamp("00000000000000", None);
        assert_eq!(d.format(VERSION_FORMAT).to_string(), "20000101000000");
    }
}
