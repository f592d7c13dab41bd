//! `schema check` and `schema write`: the schema file compared with, or rewritten from, the schema that
//! applying every migration to an empty database gives. That schema comes from a scratch database on the
//! configured server, created for the command and dropped afterwards, so neither the target database nor
//! anything done to it by hand plays a part: a reviewer can trust that the file matches the migrations.

use crate::stdio::{errln, out, outln};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use migrate_core::{Migrator, Registry, UpTarget};
use similar::TextDiff;

use crate::connect::Target;
use crate::schema_file;
use crate::scratch::Scratch;
use crate::settings::Settings;

/// The file given with `--file`, else `schema_file` of migrate.toml.
fn file(settings: &Settings, explicit: Option<&Path>) -> Result<PathBuf> {
    match (explicit, &settings.schema_file) {
        (Some(file), _) => Ok(file.to_owned()),
        (None, Some(file)) => Ok(file.clone()),
        (None, None) => bail!(
            "no schema file to compare with: set schema_file in {} (e.g. schema_file = \"schema.sql\") or pass --file",
            match &settings.config.path {
                Some(path) => path.display().to_string(),
                None => "migrate.toml".to_owned(),
            }
        ),
    }
}

/// Applies every migration to a scratch database and describes the result.
fn schema_after_migrations(
    settings: &Settings,
    registry: &Registry,
    db: &Target,
    purpose: &str,
) -> Result<String> {
    let scratch = Scratch::create(db, settings, purpose, &format!("schema {purpose}"))?;
    outln!(
        "applying {} migration(s) to a scratch database ({})",
        registry.migrations.len(),
        scratch.name()
    );
    let mut client = scratch.target().connect(settings.connect_timeout)?;
    Migrator::new(registry.migrations.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        .finish_jobs(true)
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .context("the migrations do not apply to an empty database")?;
    drop(client);
    schema_file::text(scratch.target(), settings)
}

/// `schema check`: exit 0 when the file holds exactly the schema the migrations give,
/// [`EXIT_SCHEMA_DIFFERS`](crate::EXIT_SCHEMA_DIFFERS) with a unified diff when it does not (or is missing).
pub fn check(
    settings: &Settings,
    registry: &Registry,
    db: &Target,
    explicit: Option<&Path>,
) -> Result<ExitCode> {
    let file = file(settings, explicit)?;
    let committed = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            errln!(
                "error: the schema file {} does not exist; run `migrate schema write` to create it, then commit it",
                schema_file::shown(&file)
            );
            return Ok(ExitCode::from(crate::EXIT_SCHEMA_DIFFERS));
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", schema_file::shown(&file)))
        }
    };
    let expected = schema_after_migrations(settings, registry, db, "check")?;
    if committed == expected {
        outln!(
            "{} matches the schema after every migration",
            schema_file::shown(&file)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let shown = schema_file::shown(&file);
    let diff = TextDiff::from_lines(&committed, &expected)
        .unified_diff()
        .context_radius(3)
        .header(&shown, "after every migration")
        .to_string();
    out!("{diff}");
    if !diff.ends_with('\n') {
        outln!();
    }
    errln!(
        "error: {} differs from the schema after every migration (diff above: - the file, + the migrations); \
         run `migrate schema write` and commit the file, or fix the migrations",
        schema_file::shown(&file)
    );
    Ok(ExitCode::from(crate::EXIT_SCHEMA_DIFFERS))
}

/// `schema write`: the file rewritten from the schema the migrations give.
pub fn write(
    settings: &Settings,
    registry: &Registry,
    db: &Target,
    explicit: Option<&Path>,
) -> Result<ExitCode> {
    let file = file(settings, explicit)?;
    let expected = schema_after_migrations(settings, registry, db, "write")?;
    // The scratch database is gone: a signal now lets the file be written.
    if crate::scratch::finishing(|| schema_file::write(&file, &expected))? {
        outln!("schema written to {}", schema_file::shown(&file));
    } else {
        outln!("{} is up to date", schema_file::shown(&file));
    }
    Ok(ExitCode::SUCCESS)
}
