//! Each tool's folder layout and file names, read into [`SourceMigration`]s in the order the tool applies
//! them, with every file that cannot be converted listed as a [`Refusal`].

use std::collections::BTreeMap;
use std::path::Path;

use super::checksums;
use super::REPEATABLE_VERSION;
use super::{ImportError, Refusal, SourceMigration, Tool};

/// The migrations of `dir` in the tool's order, and the refusals.
pub(crate) fn read(
    tool: Tool,
    dir: &Path,
) -> Result<(Vec<SourceMigration>, Vec<Refusal>), ImportError> {
    let mut refusals = Vec::new();
    let recursive = matches!(tool, Tool::Refinery | Tool::Flyway | Tool::Diesel);
    let files = list(dir, dir, recursive, &mut refusals)?;
    let mut migrations = match tool {
        Tool::Sqlx => up_down(files, &SQLX, &mut refusals),
        Tool::Refinery => refinery(files, &mut refusals),
        Tool::Diesel => diesel(files, &mut refusals),
        Tool::Dbmate => dbmate(files, &mut refusals),
        Tool::GolangMigrate => up_down(files, &GOLANG_MIGRATE, &mut refusals),
        Tool::Flyway => flyway(files, &mut refusals),
        Tool::NodePgMigrate => {
            refuse(
                &mut refusals,
                &dir.display().to_string(),
                "node-pg-migrate's migrations are JavaScript and cannot be converted; its table is adopted as it is",
            );
            Vec::new()
        }
    };
    migrations.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((migrations.into_iter().map(|(_, m)| m).collect(), refusals))
}

/// How a tool orders its versions: as numbers (their parts, for Flyway's `1.1`) or as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Order {
    Numbers(Vec<u128>),
    Text(String),
}

/// A file of the folder: its path relative to the folder (`/`-separated) and its text.
struct File {
    rel: String,
    text: String,
}

impl File {
    /// The last part of the path.
    fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }
}

/// Every visible file under `dir` (in sub-folders too when `recursive`), read as UTF-8; a name or content that
/// is not UTF-8 is refused.
fn list(
    root: &Path,
    dir: &Path,
    recursive: bool,
    refusals: &mut Vec<Refusal>,
) -> Result<Vec<File>, ImportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ImportError::Io { path, source }
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            refusals.push(Refusal {
                file: rel,
                reason: "the file name is not UTF-8".to_owned(),
            });
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if recursive {
                files.extend(list(root, &path, recursive, refusals)?);
            }
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        match String::from_utf8(bytes) {
            Ok(text) => files.push(File { rel, text }),
            Err(_) => refusals.push(Refusal {
                file: rel,
                reason: "not UTF-8 text; this tool's migration files are UTF-8 (convert it, e.g. with iconv)"
                    .to_owned(),
            }),
        }
    }
    Ok(files)
}

fn refuse(refusals: &mut Vec<Refusal>, file: &str, reason: impl Into<String>) {
    refusals.push(Refusal {
        file: file.to_owned(),
        reason: reason.into(),
    });
}

/// An up and, when there is one, a down of one version, as found so far.
#[derive(Default)]
struct Pair {
    up: Option<File>,
    down: Option<File>,
    description: String,
}

/// Files paired by version into migrations: a second up or down of a version, or a down without its up, is
/// refused.
fn pair(
    found: Vec<(String, Order, String, bool, File)>,
    refusals: &mut Vec<Refusal>,
) -> Vec<(Order, String, Pair)> {
    let mut by_version: BTreeMap<Order, (String, Pair)> = BTreeMap::new();
    for (version, order, description, is_down, file) in found {
        let (_, pair) = by_version
            .entry(order)
            .or_insert_with(|| (version.clone(), Pair::default()));
        let slot = if is_down {
            &mut pair.down
        } else {
            &mut pair.up
        };
        if let Some(first) = slot {
            let what = if is_down { "down" } else { "migration" };
            let first = first.rel.clone();
            refuse(
                refusals,
                &file.rel,
                format!("duplicate version {version}: {first} is a {what} of the same version"),
            );
            continue;
        }
        if !is_down {
            pair.description = description;
        }
        *slot = Some(file);
    }
    let mut out = Vec::new();
    for (order, (version, pair)) in by_version {
        if pair.up.is_none() {
            if let Some(down) = &pair.down {
                refuse(
                    refusals,
                    &down.rel,
                    format!("a down of version {version} without its migration: there is nowhere to put it"),
                );
            }
            continue;
        }
        out.push((order, version, pair));
    }
    out
}

fn number_order(version: &str) -> Option<Order> {
    version
        .parse::<u128>()
        .ok()
        .map(|n| Order::Numbers(vec![n]))
}

/// A version as read from a file name by a tool's [`UpDown::version`].
struct Versioned {
    /// As the tool records it in its history table.
    recorded: String,
    order: Order,
    /// The description part of the name, as written (`_` not replaced yet).
    description: String,
}

/// The rules of a tool whose migrations are `<version>_<description>.up.sql` with an optional `.down.sql` of
/// the same version (sqlx, golang-migrate): what [`up_down`] needs to know of the tool.
struct UpDown {
    /// Whether a plain `<version>_<description>.sql` is an up (sqlx reads it so) rather than no migration at all
    /// (golang-migrate: left alone).
    plain_is_up: bool,
    /// The version of a file's stem (its name without `.up.sql`, `.down.sql` or `.sql`), or why it is not one
    /// of the tool's names.
    version: fn(&str) -> Result<Versioned, String>,
    /// The tool's marker for running a file outside a transaction, as written, when the file has it.
    no_transaction: fn(&str) -> Option<String>,
    /// The checksum the tool stores for an up file, when it stores one.
    checksum: fn(&str) -> Option<checksums::SourceChecksum>,
}

/// The migrations of a `<version>_<description>.up.sql` / `.down.sql` folder read by `rules`: each down paired
/// with the up of its version ([`pair`]); other files (not `.sql`, or plain `.sql` where that is no migration)
/// are left alone.
fn up_down(
    files: Vec<File>,
    rules: &UpDown,
    refusals: &mut Vec<Refusal>,
) -> Vec<(Order, SourceMigration)> {
    let mut found = Vec::new();
    for file in files {
        let name = file.name().to_owned();
        let (stem, is_down) = match (
            name.strip_suffix(".up.sql"),
            name.strip_suffix(".down.sql"),
            name.strip_suffix(".sql"),
        ) {
            (Some(s), _, _) => (s, false),
            (_, Some(s), _) => (s, true),
            (_, _, Some(s)) if rules.plain_is_up => (s, false),
            _ => continue,
        };
        match (rules.version)(stem) {
            Ok(v) => found.push((
                v.recorded,
                v.order,
                v.description.replace('_', " "),
                is_down,
                file,
            )),
            Err(reason) => refuse(refusals, &file.rel, reason),
        }
    }
    pair(found, refusals)
        .into_iter()
        .filter_map(|(order, version, pair)| {
            let up = pair.up?;
            let no_transaction = (rules.no_transaction)(&up.text);
            let down_no_transaction = pair
                .down
                .as_ref()
                .and_then(|d| (rules.no_transaction)(&d.text));
            Some((
                order,
                SourceMigration {
                    version,
                    description: pair.description,
                    checksum: (rules.checksum)(&up.text),
                    up_file: up.rel,
                    up_sql: up.text,
                    down: pair.down.map(|d| (d.rel, d.text)),
                    no_transaction,
                    down_no_transaction,
                    repeatable: false,
                },
            ))
        })
        .collect()
}

/// sqlx: `<VERSION>_<DESCRIPTION>.sql`, or `.up.sql` and `.down.sql`; the version an `i64`. `-- no-transaction`
/// at the very start of the file runs it outside a transaction.
const SQLX: UpDown = UpDown {
    plain_is_up: true,
    version: sqlx_version,
    no_transaction: |text| {
        text.starts_with("-- no-transaction")
            .then(|| "`-- no-transaction`".to_owned())
    },
    checksum: |text| Some(checksums::sqlx(text)),
};

fn sqlx_version(stem: &str) -> Result<Versioned, String> {
    let Some((version, description)) = stem.split_once('_') else {
        return Err("not a sqlx migration name (`<VERSION>_<DESCRIPTION>.sql`)".to_owned());
    };
    let Ok(number) = version.parse::<i64>() else {
        return Err(format!(
            "the version `{version}` is not a number (sqlx versions are i64)"
        ));
    };
    let Some(order) = number_order(version) else {
        return Err(format!("the version `{version}` is negative"));
    };
    Ok(Versioned {
        // sqlx records the version as a number: `0001` is 1.
        recorded: number.to_string(),
        order,
        description: description.to_owned(),
    })
}

/// golang-migrate: `<version>_<title>.up.sql` and `.down.sql`, the version an unsigned number. It runs each
/// file as one multi-statement query without a transaction of its own and has no marker for that.
const GOLANG_MIGRATE: UpDown = UpDown {
    plain_is_up: false,
    version: golang_migrate_version,
    no_transaction: |_| None,
    checksum: |_| None,
};

fn golang_migrate_version(stem: &str) -> Result<Versioned, String> {
    let (version, description) = stem.split_once('_').unwrap_or((stem, ""));
    match (version.parse::<u64>(), number_order(version)) {
        (Ok(number), Some(order)) => Ok(Versioned {
            recorded: number.to_string(),
            order,
            description: description.to_owned(),
        }),
        _ => Err("not a golang-migrate migration name (`<version>_<title>.up.sql`)".to_owned()),
    }
}

/// refinery: `V<version>__<name>.sql` (or `U` for unversioned), in any sub-folder; the version an `i32`.
/// Rust migrations (`.rs`) cannot be converted.
fn refinery(files: Vec<File>, refusals: &mut Vec<Refusal>) -> Vec<(Order, SourceMigration)> {
    let mut found = Vec::new();
    for file in files {
        let name = file.name().to_owned();
        let (stem, rust) = match (name.strip_suffix(".sql"), name.strip_suffix(".rs")) {
            (Some(s), _) => (s, false),
            (_, Some(s)) => (s, true),
            _ => continue,
        };
        if rust && name == "mod.rs" {
            continue;
        }
        let parsed = stem
            .strip_prefix('V')
            .or_else(|| stem.strip_prefix('U'))
            .and_then(|rest| rest.split_once("__"))
            .filter(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_'));
        let Some((version, migration_name)) = parsed else {
            refuse(
                refusals,
                &file.rel,
                "not a refinery migration name (`V<version>__<name>.sql`)",
            );
            continue;
        };
        if rust {
            refuse(
                refusals,
                &file.rel,
                "a Rust migration: its code cannot be converted; write it as a migration of this tool by hand",
            );
            continue;
        }
        let Ok(number) = version.parse::<i32>() else {
            refuse(
                refusals,
                &file.rel,
                format!("the version `{version}` is not an i32 (refinery versions are)"),
            );
            continue;
        };
        let order = Order::Numbers(vec![u128::try_from(number).unwrap_or(0)]);
        found.push((
            number.to_string(),
            order,
            migration_name.to_owned(),
            false,
            file,
        ));
    }
    pair(found, refusals)
        .into_iter()
        .filter_map(|(order, version, pair)| {
            let up = pair.up?;
            let number = version.parse::<i32>().unwrap_or(0);
            Some((
                order,
                SourceMigration {
                    checksum: Some(checksums::refinery(&pair.description, number, &up.text)),
                    description: pair.description.replace('_', " "),
                    version,
                    up_file: up.rel,
                    up_sql: up.text,
                    down: None,
                    no_transaction: None,
                    down_no_transaction: None,
                    repeatable: false,
                },
            ))
        })
        .collect()
}

/// diesel: a folder per migration, `<version>_<name>/up.sql` with an optional `down.sql` and
/// `metadata.toml` (`run_in_transaction = false`); the version is the name's first part without its dashes.
fn diesel(files: Vec<File>, refusals: &mut Vec<Refusal>) -> Vec<(Order, SourceMigration)> {
    struct Folder {
        up: Option<File>,
        down: Option<File>,
        no_transaction: bool,
    }
    let mut folders: BTreeMap<String, Folder> = BTreeMap::new();
    for file in files {
        let Some((folder, name)) = file.rel.rsplit_once('/') else {
            continue; // files beside the folders (diesel.toml, .keep) are not migrations
        };
        if folder.contains('/') {
            refuse(
                refusals,
                &file.rel,
                "diesel migrations are one folder deep (`<version>_<name>/up.sql`)",
            );
            continue;
        }
        let folder = folder.to_owned();
        let entry = folders.entry(folder).or_insert(Folder {
            up: None,
            down: None,
            no_transaction: false,
        });
        match name {
            "up.sql" => entry.up = Some(file),
            "down.sql" => entry.down = Some(file),
            "metadata.toml" => {
                entry.no_transaction = file.text.lines().any(|l| {
                    l.split('#').next().unwrap_or("").replace([' ', '\t'], "")
                        == "run_in_transaction=false"
                });
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    for (folder, f) in folders {
        let Some(up) = f.up else {
            refuse(
                refusals,
                &folder,
                "a diesel migration folder without up.sql",
            );
            continue;
        };
        let (version, description) = folder.split_once('_').unwrap_or((&folder, ""));
        let version = version.replace('-', "");
        if let Some(first) = versions.insert(version.clone(), folder.clone()) {
            refuse(
                refusals,
                &folder,
                format!("duplicate version {version}: {first} has the same"),
            );
            continue;
        }
        out.push((
            Order::Text(version.clone()),
            SourceMigration {
                version,
                description: description.replace('_', " "),
                up_file: up.rel,
                up_sql: up.text,
                down: f.down.map(|d| (d.rel, d.text)),
                no_transaction: f
                    .no_transaction
                    .then(|| "`run_in_transaction = false` in metadata.toml".to_owned()),
                // diesel's metadata is the migration's, both ways.
                down_no_transaction: f
                    .no_transaction
                    .then(|| "`run_in_transaction = false` in metadata.toml".to_owned()),
                checksum: None,
                repeatable: false,
            },
        ));
    }
    out
}

/// dbmate: `<version>_<name>.sql` (the version the leading digits) holding a `-- migrate:up` section and an
/// optional `-- migrate:down` one; `transaction:false` on a section's line runs it outside a transaction.
fn dbmate(files: Vec<File>, refusals: &mut Vec<Refusal>) -> Vec<(Order, SourceMigration)> {
    let mut out = Vec::new();
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    for file in files {
        let name = file.name().to_owned();
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            refuse(
                refusals,
                &file.rel,
                "not a dbmate migration name (`<version>_<name>.sql`)",
            );
            continue;
        }
        let version = stem[..digits].to_owned();
        let description = stem[digits..].trim_start_matches('_').replace('_', " ");
        if let Some(first) = versions.insert(version.clone(), file.rel.clone()) {
            refuse(
                refusals,
                &file.rel,
                format!("duplicate version {version}: {first} has the same"),
            );
            continue;
        }
        let Some(sections) = dbmate_sections(&file.text) else {
            refuse(
                refusals,
                &file.rel,
                "no `-- migrate:up` line (dbmate needs one)",
            );
            continue;
        };
        let down = sections
            .down
            .filter(|d| super::render_has_statement(d))
            .map(|d| (file.rel.clone(), d));
        out.push((
            Order::Text(version.clone()),
            SourceMigration {
                version,
                description,
                up_file: file.rel.clone(),
                up_sql: sections.up,
                down,
                no_transaction: sections
                    .no_transaction
                    .then(|| "`-- migrate:up transaction:false`".to_owned()),
                down_no_transaction: sections
                    .down_no_transaction
                    .then(|| "`-- migrate:down transaction:false`".to_owned()),
                checksum: None,
                repeatable: false,
            },
        ));
    }
    out
}

struct Sections {
    up: String,
    down: Option<String>,
    no_transaction: bool,
    down_no_transaction: bool,
}

/// The text after the `-- migrate:up` line up to the `-- migrate:down` line, and after that one.
fn dbmate_sections(text: &str) -> Option<Sections> {
    let mut up: Option<String> = None;
    let mut down: Option<String> = None;
    let mut no_transaction = false;
    let mut down_no_transaction = false;
    let mut in_down = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(options) = trimmed.strip_prefix("-- migrate:up") {
            no_transaction = options.split_whitespace().any(|o| o == "transaction:false");
            up = Some(String::new());
            in_down = false;
            continue;
        }
        if let Some(options) = trimmed.strip_prefix("-- migrate:down") {
            down_no_transaction = options.split_whitespace().any(|o| o == "transaction:false");
            down = Some(String::new());
            in_down = true;
            continue;
        }
        match (in_down, &mut up, &mut down) {
            (true, _, Some(d)) => d.push_str(line),
            (false, Some(u), _) => u.push_str(line),
            _ => {}
        }
    }
    Some(Sections {
        up: up?,
        down,
        no_transaction,
        down_no_transaction,
    })
}

/// Flyway: `V<version>__<description>.sql` (version parts separated by `.` or `_`), its undo
/// `U<version>__<description>.sql` as `down`, `executeInTransaction=false` in `<file>.conf`. Repeatable
/// (`R__`) and Java migrations are refused.
fn flyway(files: Vec<File>, refusals: &mut Vec<Refusal>) -> Vec<(Order, SourceMigration)> {
    let mut found = Vec::new();
    // After the versioned ones (`Order::Text` sorts after `Order::Numbers`), by description.
    let mut repeatables = Vec::new();
    let configs = flyway_configs(&files);
    for file in files {
        let name = file.name().to_owned();
        if name.ends_with(".java") || name.ends_with(".class") || name.ends_with(".jar") {
            refuse(refusals, &file.rel, "a Java migration: its code cannot be converted; write it as a migration of this tool by hand");
            continue;
        }
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        if let Some(description) = stem.strip_prefix("R__") {
            repeatables.extend(flyway_repeatable(file, description, &configs, refusals));
            continue;
        }
        found.extend(flyway_versioned(file, stem, refusals));
    }
    pair(found, refusals)
        .into_iter()
        .filter_map(|(order, version, pair)| flyway_migration(order, version, pair, &configs))
        .chain(repeatables)
        .collect()
}

/// Whether each script's `<file>.conf` sets `executeInTransaction=false`, by the script's path.
fn flyway_configs(files: &[File]) -> BTreeMap<String, bool> {
    let mut configs: BTreeMap<String, bool> = BTreeMap::new();
    for file in files {
        if let Some(sql) = file.rel.strip_suffix(".conf") {
            let off = file.text.lines().any(|l| {
                l.replace([' ', '\t'], "")
                    .eq_ignore_ascii_case("executeInTransaction=false")
            });
            configs.insert(sql.to_owned(), off);
        }
    }
    configs
}

/// A repeatable migration `R__<description>.sql`; refused outside a transaction.
fn flyway_repeatable(
    file: File,
    description: &str,
    configs: &BTreeMap<String, bool>,
    refusals: &mut Vec<Refusal>,
) -> Option<(Order, SourceMigration)> {
    if configs.get(&file.rel).copied().unwrap_or(false) {
        refuse(
            refusals,
            &file.rel,
            "a repeatable migration outside a transaction: this tool runs repeatable migrations in one",
        );
        return None;
    }
    Some((
        Order::Text(description.to_owned()),
        SourceMigration {
            // Flyway records a repeatable migration by its script, without a version.
            version: format!("{REPEATABLE_VERSION}{}", file.rel),
            description: description.replace('_', " "),
            checksum: Some(checksums::flyway(&file.text)),
            up_file: file.rel.clone(),
            up_sql: file.text,
            down: None,
            no_transaction: None,
            down_no_transaction: None,
            repeatable: true,
        },
    ))
}

/// A versioned migration or its undo, `V` or `U` then `<version>__<description>`, as [`pair`] takes it:
/// its version as Flyway records it, its order, its description and whether it is an undo.
fn flyway_versioned(
    file: File,
    stem: &str,
    refusals: &mut Vec<Refusal>,
) -> Option<(String, Order, String, bool, File)> {
    let (prefix, rest) = stem.split_at(stem.chars().next().map_or(0, char::len_utf8));
    let is_down = match prefix {
        "V" => false,
        "U" => true,
        _ => {
            refuse(
                refusals,
                &file.rel,
                "not a Flyway migration name (`V<version>__<description>.sql`)",
            );
            return None;
        }
    };
    let Some((version, description)) = rest.split_once("__") else {
        refuse(
            refusals,
            &file.rel,
            "not a Flyway migration name (`V<version>__<description>.sql`)",
        );
        return None;
    };
    let parts: Option<Vec<u128>> = version.split(['.', '_']).map(|p| p.parse().ok()).collect();
    let Some(parts) = parts else {
        refuse(
            refusals,
            &file.rel,
            format!("the version `{version}` is not numbers separated by `.` or `_`"),
        );
        return None;
    };
    // Flyway compares versions without trailing zero parts (1.0 is 1) and records them with dots.
    let mut key = parts.clone();
    while key.len() > 1 && key.last() == Some(&0) {
        key.pop();
    }
    let recorded = version.replace('_', ".");
    Some((
        recorded,
        Order::Numbers(key),
        description.replace('_', " "),
        is_down,
        file,
    ))
}

/// The migration of a version's paired files; `None` for an undo without its migration (refused by
/// [`pair`]).
fn flyway_migration(
    order: Order,
    version: String,
    pair: Pair,
    configs: &BTreeMap<String, bool>,
) -> Option<(Order, SourceMigration)> {
    let up = pair.up?;
    let marker = |file: &File| {
        configs
            .get(&file.rel)
            .copied()
            .unwrap_or(false)
            .then(|| format!("`executeInTransaction=false` in {}.conf", file.name()))
    };
    let no_transaction = marker(&up);
    let down_no_transaction = pair.down.as_ref().and_then(marker);
    Some((
        order,
        SourceMigration {
            version,
            description: pair.description,
            checksum: Some(checksums::flyway(&up.text)),
            up_file: up.rel,
            up_sql: up.text,
            down: pair.down.map(|d| (d.rel, d.text)),
            no_transaction,
            down_no_transaction,
            repeatable: false,
        },
    ))
}

#[cfg(test)]
mod tests;
