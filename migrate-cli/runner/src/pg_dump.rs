//! Running `pg_dump` for `up --backup`: a data backup, which only pg_dump can make. The schema file, `verify`
//! and `schema check` describe the schema from the catalog instead (`migrate_core::schema`) and need no
//! client tools.
//!
//! pg_dump refuses a server newer than itself (`aborting because of server version mismatch`), so the one
//! used must be at least as new as the server: `PG_DUMP` when set, else the first new enough among `pg_dump`
//! on `PATH` and `/usr/lib/postgresql/<major>/bin/pg_dump` (newest first). Without one, the backup fails and
//! nothing is applied.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::connect::Target;

/// A pg_dump and the major version it reports.
#[derive(Debug)]
struct Candidate {
    path: PathBuf,
    /// `None` when `--version` could not be run or read.
    major: Option<u32>,
}

/// The major version in `pg_dump --version` output: `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`
/// gives 15, `... 9.6.24` gives 9.
fn parse_major(version_output: &str) -> Option<u32> {
    let number = version_output
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
    number
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn probe(path: PathBuf) -> Candidate {
    let major = Command::new(&path)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| parse_major(&String::from_utf8_lossy(&out.stdout)));
    Candidate { path, major }
}

/// `pg_dump` on `PATH` (the first), then `/usr/lib/postgresql/<major>/bin/pg_dump`, newest first.
fn candidates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(candidate) = std::env::split_paths(&path)
            .map(|dir| dir.join("pg_dump"))
            .find(|candidate| candidate.is_file())
        {
            found.push(candidate);
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin/pg_dump");
            bin.is_file().then_some((version, bin))
        })
        .collect();
    versioned.sort_by(|a, b| b.cmp(a));
    found.extend(versioned.into_iter().map(|(_, bin)| bin));
    found
}

fn describe(candidate: &Candidate) -> String {
    match candidate.major {
        Some(major) => format!("{} is version {major}", candidate.path.display()),
        None => format!(
            "{} does not run (`--version` failed)",
            candidate.path.display()
        ),
    }
}

/// A pg_dump that can dump a server of major version `server_major` (`server` is how the server is named in
/// messages).
fn find(server_major: u32, server: &str) -> Result<PathBuf> {
    let hint = format!(
        "install the PostgreSQL {server_major} client tools (Debian: apt-get install postgresql-client-{server_major}, \
         from apt.postgresql.org) or set PG_DUMP to a pg_dump of version {server_major} or newer"
    );
    if let Some(explicit) = std::env::var_os("PG_DUMP").filter(|v| !v.is_empty()) {
        let candidate = probe(PathBuf::from(explicit));
        return match candidate.major {
            Some(major) if major >= server_major => Ok(candidate.path),
            _ => bail!(
                "PG_DUMP names a pg_dump that cannot dump {server}: {}; pg_dump must be at least as new as the \
                 server; {hint}",
                describe(&candidate)
            ),
        };
    }
    let probed: Vec<Candidate> = candidates().into_iter().map(probe).collect();
    if let Some(good) = probed
        .iter()
        .find(|c| c.major.is_some_and(|major| major >= server_major))
    {
        return Ok(good.path.clone());
    }
    if probed.is_empty() {
        bail!("pg_dump not found (looked at PG_DUMP, in PATH and in /usr/lib/postgresql/*/bin); {hint}");
    }
    let seen: Vec<String> = probed.iter().map(describe).collect();
    bail!(
        "no pg_dump at least as new as {server} (pg_dump refuses a newer server): {}; {hint}",
        seen.join(", ")
    )
}

/// Runs pg_dump with `args` against `target`. The connection goes through libpq's environment variables,
/// so the password never appears in a process list.
fn run(pg_dump: &Path, target: &Target, args: &[&str]) -> Result<Vec<u8>> {
    let output = Command::new(pg_dump)
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

/// `pg_dump -Fc` of the whole database into `dir`, named after the database and the UTC time, with a pg_dump
/// at least as new as the server (`server_version_num`, as `SHOW server_version_num` gives it). Returns the
/// file written.
pub fn backup(target: &Target, server_version_num: u32, dir: &Path) -> Result<PathBuf> {
    let server_major = server_version_num / 10000;
    let server = format!("the server ({}, PostgreSQL {server_major})", target.display);
    let pg_dump = find(server_major, &server)?;
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
    run(&pg_dump, target, &["--format=custom", "--file", &file_arg])?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::parse_major;

    #[test]
    fn the_major_version_is_read_from_pg_dump_version_output() {
        assert_eq!(
            parse_major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n"),
            Some(15)
        );
        assert_eq!(parse_major("pg_dump (PostgreSQL) 18beta1\n"), Some(18));
        assert_eq!(parse_major("pg_dump (PostgreSQL) 9.6.24\n"), Some(9));
        assert_eq!(parse_major("something else"), None);
    }
}
