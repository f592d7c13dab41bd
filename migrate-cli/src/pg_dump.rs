//! Running `pg_dump`: a backup before `up --backup`, and the schema file reviewers diff after a run.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use migrate_core::MigrationsTable;

use crate::connect::Target;

/// `pg_dump` from `PATH` (on Debian a wrapper that picks the right version), else the newest one in
/// `/usr/lib/postgresql/<version>/bin`.
fn find() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("pg_dump");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin/pg_dump");
            bin.is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "pg_dump not found (looked in PATH and /usr/lib/postgresql/*/bin); install the PostgreSQL client \
             tools (Debian: apt-get install postgresql-client)"
        ),
    }
}

/// Runs pg_dump with `args` against `target`. The connection goes through libpq's environment variables,
/// so the password never appears in a process list.
fn run(target: &Target, args: &[&str]) -> Result<Vec<u8>> {
    let pg_dump = find()?;
    let output = Command::new(&pg_dump)
        .args(args)
        .envs(target.libpq_env())
        .output()
        .with_context(|| format!("cannot run {}", pg_dump.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed against {}: {}",
            pg_dump.display(),
            target.display,
            target.scrub(String::from_utf8_lossy(&output.stderr).trim())
        );
    }
    Ok(output.stdout)
}

/// `pg_dump -Fc` of the whole database into `dir`, named after the database and the UTC time. Returns the
/// file written.
pub fn backup(target: &Target, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the backup folder {}", dir.display()))?;
    let name = format!(
        "{}-{}.dump",
        target
            .dbname()
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_"),
        chrono::Utc::now().format("%Y%m%d%H%M%S")
    );
    let file = dir.join(name);
    let file_arg = file.to_string_lossy().into_owned();
    run(target, &["--format=custom", "--file", &file_arg])?;
    Ok(file)
}

/// The schema (`pg_dump --schema-only --no-owner`, normalized), leaving out the migrations' own bookkeeping.
pub fn schema(target: &Target, table: &MigrationsTable) -> Result<String> {
    let bookkeeping = table.quoted();
    let progress = format!(
        "{}.{}",
        migrate_dsl::ident(table.schema()),
        migrate_dsl::ident(&format!("{}_backfill", table.name()))
    );
    // What `CREATE OR REPLACE` replaced, kept for the derived `down`s.
    let previous = format!(
        "{}.{}",
        migrate_dsl::ident(table.schema()),
        migrate_dsl::ident(&format!("{}_previous", table.name()))
    );
    // Failure and in-progress marks of migrations outside a transaction.
    let marks = format!(
        "{}.{}",
        migrate_dsl::ident(table.schema()),
        migrate_dsl::ident(&format!("{}_failed", table.name()))
    );
    let dump = run(
        target,
        &[
            "--schema-only",
            "--no-owner",
            "--exclude-table",
            &bookkeeping,
            "--exclude-table",
            &progress,
            "--exclude-table",
            &previous,
            "--exclude-table",
            &marks,
        ],
    )?;
    Ok(normalize(&String::from_utf8_lossy(&dump)))
}

/// Writes [`schema`] to `file`. Returns whether the file changed.
pub fn write_schema(target: &Target, file: &Path, table: &MigrationsTable) -> Result<bool> {
    let text = schema(target, table)?;
    let old = std::fs::read_to_string(file).unwrap_or_default();
    if old == text {
        return Ok(false);
    }
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(true)
}

/// Drops what changes between runs without a schema change: comments (which carry pg_dump's version),
/// session settings, the random `\restrict` keys of recent pg_dump versions, and runs of blank lines.
fn normalize(dump: &str) -> String {
    let mut out = String::from(
        "-- Schema after the latest migration run; written by `migrate`, do not edit.\n",
    );
    let mut blank = true;
    for line in dump.lines() {
        let skip = line.starts_with("--")
            || line.starts_with("SET ")
            || line.starts_with("SELECT pg_catalog.set_config(")
            || line.starts_with("\\restrict")
            || line.starts_with("\\unrestrict");
        if skip {
            continue;
        }
        if line.trim().is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
            continue;
        }
        out.push_str(line.trim_end());
        out.push('\n');
        blank = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalize_keeps_statements_and_drops_noise() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\\restrict abc\nSET statement_timeout = 0;\n\
                    SELECT pg_catalog.set_config('search_path', '', false);\n\n\nCREATE TABLE public.t (\n    id integer\n);\n\n\n\\unrestrict abc\n";
        assert_eq!(
            normalize(dump),
            "-- Schema after the latest migration run; written by `migrate`, do not edit.\n\
             CREATE TABLE public.t (\n    id integer\n);\n\n"
        );
    }
}
