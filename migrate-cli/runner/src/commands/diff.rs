//! `diff`: the migrations that turn the schema the migrations give (or `--from`'s) into the one wanted
//! (`--to`: SQL files or a database), written as typed Rust into the migrations folder for review.
//!
//! Neither schema is changed: SQL files and the migrations are applied to scratch databases (created and
//! dropped), databases given by URL are only read.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _, Result};
use migrate_core::diff::{generate, Generated, Options, Rename};
use migrate_core::UpTarget;
use postgres::Client;

use super::context::Context;
use crate::args::DiffArgs;
use crate::connect::{self, Target};
use crate::schema_file;
use crate::scratch::{Builder, Scratch};
use crate::stdio::{errln, out, outln};

mod build;
mod outside;
mod script;

pub(super) fn diff(context: &Context<'_>, args: &DiffArgs) -> Result<ExitCode> {
    let settings = context.settings;
    let name = match &args.name {
        Some(name) => migrate_core::naming::to_snake_case(name)
            .map_err(|e| anyhow!("--name {name:?}: {e}"))?,
        None => "schema_diff".to_owned(),
    };
    let mut options = Options::new(settings.table.clone()).allow_drop(args.allow_drop);
    for rename in &args.rename {
        options = options.rename(Rename::parse(rename).map_err(|e| anyhow!("--rename {e}"))?);
    }
    for source in &args.no_rename {
        Rename::parse_source(source).map_err(|e| anyhow!("--no-rename {e}"))?;
        options = options.not_renamed(source.clone());
    }
    // The desired schema's files are read and checked before any database is made: a refused file runs
    // nothing. Scratch databases live until the end of this function: both schemas are read while they
    // exist.
    let desired = Desired::prepare(&args.to)?;
    let mut scratches = Vec::new();
    let current = match &args.from {
        Some(url) => {
            Current::Database(connect::resolve(Some(url))?.connect(settings.connect_timeout)?)
        }
        None => {
            let db = context.target()?;
            let scratch = Scratch::create(&db, settings, "diff_from", "diff")?;
            outln!(
                "applying {} migration(s) to a scratch database ({}) for the current schema",
                context.registry.migrations.len(),
                scratch.name()
            );
            let client = scratch.target().connect(settings.connect_timeout)?;
            scratches.push(scratch);
            Current::Migrations(client)
        }
    };
    let desired = desired.start(context, &mut scratches)?;
    // Both schemas are built at once: each is mostly the server creating files, which two sessions do
    // side by side in about half the time of one after the other (docs/diff.md).
    let (mut from, mut to) = std::thread::scope(|threads| {
        let to = threads.spawn(desired);
        let from = current.build(context);
        let to = to
            .join()
            .unwrap_or_else(|_| Err(anyhow!("building the desired schema stopped")));
        // The current schema's error first: it is the one the user's own migrations gave.
        Ok::<_, anyhow::Error>((from?, to?))
    })?;
    let mut generated = generate(&mut from, &mut to, &name, &options)?;
    if !generated.proposals.is_empty() {
        if !std::io::stdin().is_terminal() || args.dry_run {
            report_proposals(&generated);
            return Ok(ExitCode::from(crate::EXIT_RENAME_TO_CONFIRM));
        }
        for proposal in &generated.proposals {
            if ask(&format!(
                "is {} renamed to {} (both {})? [y/N] ",
                proposal.rename.source(),
                proposal.rename.to(),
                proposal.because
            ))? {
                options = options.rename(proposal.rename.clone());
            } else {
                options = options.not_renamed(proposal.rename.source());
            }
        }
        generated = generate(&mut from, &mut to, &name, &options)?;
    }
    drop((from, to));
    crate::scratch::drop_together(scratches);
    report(&generated);
    if generated.files.is_empty() {
        outln!(
            "nothing to write: the schemas are the same{}",
            if generated.kept.is_empty() && generated.uncovered.is_empty() {
                ""
            } else {
                " but for what is listed above"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        for file in &generated.files {
            out!("{}\n", file.source);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let written = write(&settings.migrations_dir, &name, &generated)?;
    format(&written);
    for path in &written {
        outln!("created {}", schema_file::shown(path));
    }
    outln!("review them, then: migrate lint && migrate verify");
    Ok(ExitCode::SUCCESS)
}

/// Where the current schema comes from: a database given by URL (only read), or a scratch database the
/// migrations are applied to.
enum Current {
    Database(Client),
    Migrations(Client),
}

impl Current {
    /// The connection to read the current schema on, once the migrations (if any) are applied.
    fn build(self, context: &Context<'_>) -> Result<Client> {
        match self {
            Current::Database(client) => Ok(client),
            Current::Migrations(mut client) => {
                context
                    .migrator()
                    .finish_jobs(true)
                    .run_up(&mut client, &UpTarget::All, &mut |_| {})
                    .context("the migrations do not apply to an empty database")?;
                Ok(client)
            }
        }
    }
}

/// The desired schema: the database at a URL, or the statements of a SQL file or of a folder's `.sql`
/// files (in name order), read and checked before anything is made.
enum Desired {
    Database(Box<Target>),
    Sql {
        path: PathBuf,
        files: usize,
        scripts: Vec<(PathBuf, script::Script)>,
    },
}

/// What gives the connection to read the desired schema on, run while the current schema is built.
type DesiredBuild = Box<dyn FnOnce() -> Result<Client> + Send>;

impl Desired {
    fn prepare(to: &str) -> Result<Desired> {
        if to.starts_with("postgres://") || to.starts_with("postgresql://") {
            return Ok(Desired::Database(Box::new(connect::resolve(Some(to))?)));
        }
        let path = Path::new(to);
        let files = sql_files(path)?;
        let scripts = build::read_all(&files)?;
        Ok(Desired::Sql {
            path: path.to_owned(),
            files: files.len(),
            scripts,
        })
    }

    /// Connects to the database, or makes the scratch database the statements will run on (kept in
    /// `scratches`).
    fn start(self, context: &Context<'_>, scratches: &mut Vec<Scratch>) -> Result<DesiredBuild> {
        let settings = context.settings;
        let (path, files, scripts) = match self {
            Desired::Database(target) => {
                let client = target.connect(settings.connect_timeout)?;
                return Ok(Box::new(move || Ok(client)));
            }
            Desired::Sql {
                path,
                files,
                scripts,
            } => (path, files, scripts),
        };
        let db: Target = context.target()?;
        let (scratch, builder) = Scratch::for_untrusted_sql(&db, settings, "diff_to", "diff")?;
        outln!(
            "applying {files} SQL file(s) of {} to a scratch database ({}) for the desired schema",
            path.display(),
            scratch.name()
        );
        if let Builder::Configured { why, .. } = &builder {
            errln!(
                "note: the SQL runs with the configured role's rights ({why}); diff refuses the statements \
                 that act outside the scratch database it can recognize, but a role without the server's \
                 rights is what holds a file to it (see docs/diff.md)"
            );
        }
        let target = scratch.target().clone();
        scratches.push(scratch);
        let timeout = settings.connect_timeout;
        Ok(Box::new(move || {
            let mut builder = builder;
            build::run(&mut builder, &scripts)?;
            drop(builder);
            target.connect(timeout)
        }))
    }
}

fn sql_files(path: &Path) -> Result<Vec<PathBuf>> {
    let metadata = std::fs::metadata(path).with_context(|| {
        format!(
            "--to {}: no such file or folder (give SQL files or a postgres:// URL)",
            path.display()
        )
    })?;
    if metadata.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("--to {}: the folder holds no .sql file", path.display());
    }
    Ok(files)
}

fn ask(question: &str) -> Result<bool> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{question}")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn report_proposals(generated: &Generated) {
    errln!("nothing written: a rename is never guessed; confirm or decline each of these and run diff again:");
    for proposal in &generated.proposals {
        let (source, to) = (proposal.rename.source(), proposal.rename.to());
        errln!("  {source} -> {to} ({})", proposal.because);
        errln!("      --rename {}    it was renamed", proposal.rename);
        errln!("      --no-rename {source}    it was not: {to} is added, {source} kept (dropped with --allow-drop)");
    }
}

fn report(generated: &Generated) {
    for (what, lines) in [
        ("kept", &generated.kept),
        ("not generated", &generated.uncovered),
        ("warning", &generated.warnings),
    ] {
        for line in lines {
            outln!("{what}: {line}");
        }
    }
    if !generated.kept.is_empty() {
        errln!("hint: --allow-drop writes the drops of what is kept (once no code uses it)");
    }
}

/// Writes the files as `create` names new migrations (after every existing one, each after the one
/// before), so they sort in the order they run.
fn write(dir: &Path, name: &str, generated: &Generated) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for file in &generated.files {
        let now = chrono::Utc::now().naive_utc();
        let path =
            migrate_core::create_migration(dir, &format!("{name}{}", file.step.suffix()), now)?;
        std::fs::write(&path, &file.source)
            .with_context(|| format!("cannot write {}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// Formats the files as the project formats its code: `rustfmt` reads the project's `rustfmt.toml`. The
/// files are valid as written, so a missing `rustfmt` only leaves them unformatted, saying so.
fn format(paths: &[PathBuf]) {
    let outcome = std::process::Command::new("rustfmt")
        .args(["--edition", "2021"])
        .args(paths)
        .output();
    match outcome {
        Ok(output) if output.status.success() => {}
        Ok(output) => errln!(
            "note: rustfmt did not format the new files: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(e) => errln!("note: the new files are not formatted: rustfmt cannot run ({e})"),
    }
}
