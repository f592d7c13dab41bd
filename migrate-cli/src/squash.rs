//! `squash --to NAME`: the migrations up to NAME replaced with one baseline migration file.
//!
//! How the baseline is made, each step refusing before anything is written:
//! 1. the range is checked (`migrate_core::squash::squash_range`), and so is the configured database: it must
//!    have applied every migration of the range (none pending, changed or failed), so that it, and every
//!    database deployed like it, recognises the baseline;
//! 2. the range is applied to a scratch database and its schema read from the catalog as SQL
//!    (`migrate_core::schema::ddl`), plus the rows of the tables given with `--keep-data`;
//! 3. that SQL is applied to a second, empty scratch database, and the catalog descriptions of both are
//!    compared: any difference (an object kind the SQL does not cover yet) stops the squash with the diff;
//! 4. the baseline file is written (through a temporary file and a rename), then the squashed files removed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use migrate_core::{squash, Migration, Migrator, Registry, State, UpTarget};
use similar::TextDiff;

use crate::args::SquashArgs;
use crate::connect::Target;
use crate::schema_file;
use crate::scratch::Scratch;
use crate::settings::Settings;

pub fn squash(
    settings: &Settings,
    registry: &Registry,
    db: &Target,
    args: &SquashArgs,
) -> Result<ExitCode> {
    let range = squash::squash_range(registry.migrations.as_slice(), &args.to)?;
    let last = range.last().map(|m| m.name()).unwrap_or_default();
    let name = squash::baseline_name(range)?;
    let dir = settings.migrations_dir.clone();
    let files: Vec<PathBuf> = range.iter().map(|m| file_of(&dir, m)).collect();
    if let Some(gone) = files.iter().find(|f| !f.is_file()) {
        bail!(
            "{} is not in the migrations folder any more; rebuild the runner (the compiled migrations are older \
             than the folder) and run squash again",
            schema_file::shown(gone)
        );
    }
    let baseline_file = dir.join(format!("{name}.rs"));
    if baseline_file.exists() {
        bail!(
            "{} already exists; nothing was changed",
            schema_file::shown(&baseline_file)
        );
    }
    check_database(settings, registry, db, range)?;

    let source = Scratch::create(db, settings, "squash", "squash")?;
    println!(
        "applying {} migration(s) up to {last} to a scratch database ({})",
        range.len(),
        source.name()
    );
    let mut client = source.target().connect(settings.connect_timeout)?;
    Migrator::new(registry.migrations.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        .run_up(&mut client, &UpTarget::To(last.to_owned()), &mut |_| {})
        .context(
            "the migrations to squash do not apply to an empty database; nothing was changed",
        )?;
    let expected = migrate_core::schema::describe(&mut client, &settings.table)?.render();
    let schema = migrate_core::schema::ddl(&mut client, &settings.table)?;
    let data = kept_data(&mut client, settings, args)?;
    drop(client);

    let check = Scratch::create(db, settings, "squash_check", "squash")?;
    println!(
        "checking the baseline on an empty scratch database ({})",
        check.name()
    );
    let mut client = check.target().connect(settings.connect_timeout)?;
    apply(&mut client, &schema, &data)?;
    let actual = migrate_core::schema::describe(&mut client, &settings.table)?.render();
    drop(client);
    if actual != expected {
        let diff = TextDiff::from_lines(&expected, &actual)
            .unified_diff()
            .context_radius(2)
            .header("after the migrations", "after the baseline")
            .to_string();
        print!("{diff}");
        bail!(
            "the baseline would not give the schema the migrations give (diff above: - the migrations, + the \
             baseline): it holds objects squash cannot write as SQL yet; nothing was changed"
        );
    }

    let text = squash::render_baseline(range, &schema, &data);
    write_new(&baseline_file, &text)?;
    for (removed, file) in files.iter().enumerate() {
        std::fs::remove_file(file).with_context(|| {
            format!(
                "wrote {} but cannot remove {} ({removed} of {} squashed files removed); remove the rest by hand",
                schema_file::shown(&baseline_file),
                schema_file::shown(file),
                files.len()
            )
        })?;
    }
    // A sealed squashed migration would make the sealed crate look for its removed file.
    let names: Vec<String> = range.iter().map(|m| m.name().to_owned()).collect();
    migrate_core::seal::forget(&dir, &names).with_context(|| {
        format!(
            "squashed, but cannot update {}: remove the squashed migrations' lines from it by hand",
            dir.join(migrate_core::seal::LIST_FILE).display()
        )
    })?;
    println!(
        "squashed {} migration(s) into {}: {} statement(s) of schema{}; their files were removed",
        range.len(),
        schema_file::shown(&baseline_file),
        schema.len(),
        match data.iter().map(|(_, s)| s.len()).sum::<usize>() {
            0 => String::new(),
            n => format!(", {n} of kept data"),
        }
    );
    println!(
        "review and commit it; `up` records it as applied on databases that applied the squashed migrations \
         and runs it on fresh ones"
    );
    Ok(ExitCode::SUCCESS)
}

/// The file of `m` in the folder being squashed (not the path it was compiled from, which may be another
/// checkout).
fn file_of(dir: &Path, m: &Migration) -> PathBuf {
    dir.join(format!("{}.rs", m.name()))
}

/// The configured database must have applied every migration of the range as the files are now: the
/// databases deployed like it then recognise the baseline. Changes nothing.
fn check_database(
    settings: &Settings,
    registry: &Registry,
    db: &Target,
    range: &[Migration],
) -> Result<()> {
    let mut client = db.connect(settings.connect_timeout)?;
    let status = Migrator::new(registry.migrations.as_slice())
        .table(settings.table.clone())
        .status(&mut client)?;
    let last = range.last().map(|m| m.name()).unwrap_or_default();
    let state = |name: &str| {
        status
            .migrations
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.state)
    };
    let with_state = |wanted: &[State]| -> Vec<&str> {
        range
            .iter()
            .filter(|m| state(m.name()).is_some_and(|s| wanted.contains(&s)))
            .map(|m| m.name())
            .collect()
    };
    let not_applied = with_state(&[State::Pending, State::OutOfOrder]);
    if not_applied.contains(&last) {
        bail!(
            "{last} is not applied on {}: squash only migrations every database has applied; run `up --to {last}` \
             there (and on every deployed database) first; nothing was changed",
            db.display
        );
    }
    if !not_applied.is_empty() {
        bail!(
            "{} is pending on {} although the later {last} is applied (applied out of order): a baseline cannot \
             stand for migrations a database skipped; apply {} with `up --allow-out-of-order` first, or squash up \
             to a migration before {}; nothing was changed",
            not_applied.join(", "),
            db.display,
            if not_applied.len() == 1 { "it" } else { "them" },
            not_applied[0]
        );
    }
    let changed = with_state(&[State::Changed, State::Renamed]);
    if !changed.is_empty() {
        bail!(
            "{} changed since it was applied on {}: the baseline is made from the files, which would no longer \
             match what that database ran; undo the edit, or record it with `repair` if it is harmless; nothing was \
             changed",
            changed.join(", "),
            db.display
        );
    }
    let failed = with_state(&[State::Failed]);
    if !failed.is_empty() {
        bail!(
            "{} failed part-way on {}; finish or undo it and `repair` it first; nothing was changed",
            failed.join(", "),
            db.display
        );
    }
    Ok(())
}

/// The rows of the `--keep-data` tables as SQL, after checking that every table holding rows after the
/// squashed migrations is named by `--keep-data` or `--discard-data`.
fn kept_data(
    client: &mut postgres::Client,
    settings: &Settings,
    args: &SquashArgs,
) -> Result<Vec<(String, Vec<String>)>> {
    let mut named = Vec::new();
    for (option, table) in args
        .keep_data
        .iter()
        .map(|t| ("--keep-data", t))
        .chain(args.discard_data.iter().map(|t| ("--discard-data", t)))
    {
        named.push((option, resolve(client, option, table)?));
    }
    let with_rows = migrate_core::schema::tables_with_rows(client, &settings.table)?;
    let unnamed: Vec<&String> = with_rows
        .iter()
        .filter(|t| !named.iter().any(|(_, (q, _, _))| q == *t))
        .collect();
    if !unnamed.is_empty() {
        let list = unnamed
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        bail!(
            "the squashed migrations wrote rows into {list}: keep them in the baseline with --keep-data {} or leave \
             them out with --discard-data {} (for each table); nothing was changed",
            unnamed[0],
            unnamed[0]
        );
    }
    let mut data = Vec::new();
    for (option, (qualified, schema, name)) in named {
        if option == "--keep-data" {
            data.push((
                qualified,
                migrate_core::schema::rows_as_sql(client, &schema, &name)?,
            ));
        }
    }
    Ok(data)
}

/// `(qualified name as SQL writes it, schema, table)` of a table named on the command line: `schema.table`,
/// or `table` in schema public, either part quoted when it needs to be.
fn resolve(
    client: &mut postgres::Client,
    option: &str,
    table: &str,
) -> Result<(String, String, String)> {
    let text = if table.contains('.') {
        table.to_owned()
    } else {
        format!("public.{table}")
    };
    let mut tx = client.transaction()?;
    tx.batch_execute("SET LOCAL search_path = ''")?;
    let row = tx
        .query_opt(
            "SELECT c.oid::regclass::text, n.nspname::text, c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')",
            &[&text],
        )
        .map_err(|e| anyhow!("{option} {table}: {}", crate::connect::describe(&e)))?;
    tx.commit()?;
    let Some(row) = row else {
        bail!(
            "{option} {table}: there is no table {text} after the squashed migrations (name it `schema.table`, or \
             `table` for one in schema public); nothing was changed"
        );
    };
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// Runs the baseline's statements as its migration will: in one transaction, in order.
fn apply(
    client: &mut postgres::Client,
    schema: &[String],
    data: &[(String, Vec<String>)],
) -> Result<()> {
    let mut tx = client.transaction()?;
    for statement in schema
        .iter()
        .chain(data.iter().flat_map(|(_, statements)| statements))
    {
        tx.batch_execute(statement).map_err(|e| {
            anyhow!(
                "the baseline does not apply to an empty database (a bug in squash; nothing was changed): {}\n\
                 statement: {statement}",
                crate::connect::describe(&e)
            )
        })?;
    }
    tx.commit()?;
    Ok(())
}

/// Writes `file`, which must not exist yet, through a temporary file renamed into place, so an interrupted
/// write leaves no half file behind.
fn write_new(file: &Path, text: &str) -> Result<()> {
    if file.exists() {
        bail!(
            "{} already exists; nothing was changed",
            schema_file::shown(file)
        );
    }
    let temporary = file.with_extension("rs.tmp");
    std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, file).with_context(|| {
        let _ = std::fs::remove_file(&temporary);
        format!("cannot write {}", file.display())
    })
}
