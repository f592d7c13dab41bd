//! `squash --to NAME`: the migrations up to NAME replaced with one baseline migration file.
//!
//! How the baseline is made, each step refusing before anything is written:
//! 1. the range is checked (`migrate_core::squash::squash_range`), and so is the configured database: it must
//!    have applied every migration of the range (none pending, changed or failed), so that it, and every
//!    database deployed like it, recognises the baseline;
//! 2. the range is applied to a scratch database and its schema read from the catalog as SQL
//!    (`migrate_core::schema::ddl_around_data`), plus the rows of the tables given with `--keep-data` and the
//!    position of every sequence;
//! 3. that SQL is applied to a second, empty scratch database as the baseline will run it (the kept rows
//!    after the tables, before the constraints, triggers, rules and views), and both are compared: the
//!    catalog descriptions (any difference, an object kind the SQL does not cover yet, stops the squash with
//!    the diff), the kept tables' rows, which tables hold rows at all, and the sequences' positions;
//! 4. the baseline file is written (through a temporary file and a rename), then the squashed files removed.
//!
//! A signal before step 4 drops the scratch databases and changes nothing (see the `scratch` module).

use crate::stdio::{out, outln};
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
    outln!(
        "applying {} migration(s) up to {last} to a scratch database ({})",
        range.len(),
        source.name()
    );
    let mut client = source.target().connect(settings.connect_timeout)?;
    Migrator::new(registry.migrations.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        .finish_jobs(true)
        .run_up(&mut client, &UpTarget::To(last.to_owned()), &mut |_| {})
        .context(
            "the migrations to squash do not apply to an empty database; nothing was changed",
        )?;
    let expected = migrate_core::schema::describe(&mut client, &settings.table)?.render();
    let schema = migrate_core::schema::ddl_around_data(&mut client, &settings.table)?;
    let kept = kept_data(&mut client, settings, args)?;
    let positions = migrate_core::schema::sequence_positions(&mut client, &settings.table)?;
    drop(client);
    // A full copy, rows included: gone before the next one is made.
    drop(source);

    let check = Scratch::create(db, settings, "squash_check", "squash")?;
    outln!(
        "checking the baseline on an empty scratch database ({})",
        check.name()
    );
    let mut client = check.target().connect(settings.connect_timeout)?;
    apply(&mut client, &schema, &kept, &positions)?;
    let actual = migrate_core::schema::describe(&mut client, &settings.table)?.render();
    if actual != expected {
        let diff = TextDiff::from_lines(&expected, &actual)
            .unified_diff()
            .context_radius(2)
            .header("after the migrations", "after the baseline")
            .to_string();
        out!("{diff}");
        bail!(
            "the baseline would not give the schema the migrations give (diff above: - the migrations, + the \
             baseline): it holds objects squash cannot write as SQL yet; nothing was changed"
        );
    }
    compare_contents(&mut client, settings, &kept, &positions)?;
    drop(client);
    drop(check);

    let data: Vec<(String, Vec<String>)> = kept
        .into_iter()
        .map(|k| (k.qualified, k.statements))
        .collect();
    let text = squash::render_baseline(range, &schema, &data, &positions);
    // From here on a signal lets the files be written and removed: half of them would be worse than either.
    crate::scratch::finishing(|| write_files(&dir, &baseline_file, &text, &files, range))?;
    outln!(
        "squashed {} migration(s) into {}: {} statement(s) of schema{}; their files were removed",
        range.len(),
        schema_file::shown(&baseline_file),
        schema.before_data.len() + schema.after_data.len(),
        match data.iter().map(|(_, s)| s.len()).sum::<usize>() {
            0 => String::new(),
            n => format!(", {n} of kept data"),
        } + &match positions.len() {
            0 => String::new(),
            n => format!(", {n} sequence position(s)"),
        }
    );
    outln!(
        "review and commit it; `up` records it as applied on databases that applied the squashed migrations \
         and runs it on fresh ones"
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the baseline, removes the squashed files and forgets them in the seal lists.
fn write_files(
    dir: &Path,
    baseline_file: &Path,
    text: &str,
    files: &[PathBuf],
    range: &[Migration],
) -> Result<()> {
    write_new(baseline_file, text)?;
    for (removed, file) in files.iter().enumerate() {
        std::fs::remove_file(file).with_context(|| {
            format!(
                "wrote {} but cannot remove {} ({removed} of {} squashed files removed); remove the rest by hand",
                schema_file::shown(baseline_file),
                schema_file::shown(file),
                files.len()
            )
        })?;
    }
    // A sealed squashed migration would make its chunk's crate look for its removed file. Only the lists
    // that named one are written, so only their chunks compile again.
    let names: Vec<String> = range.iter().map(|m| m.name().to_owned()).collect();
    migrate_core::seal::forget(dir, &names).with_context(|| {
        format!(
            "squashed, but cannot update the seal lists of {} ({}/ or {}): remove the squashed migrations' \
             lines from them by hand",
            dir.display(),
            migrate_core::seal::CHUNKS_DIR,
            migrate_core::seal::LIST_FILE
        )
    })?;
    Ok(())
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

/// A table given with `--keep-data` and its rows.
struct KeptTable {
    /// As SQL writes it, schema-qualified.
    qualified: String,
    schema: String,
    name: String,
    /// `ONLY ` for a table whose own rows are kept apart from its inheritance children's, empty for a
    /// partitioned one (its rows are its partitions').
    only: &'static str,
    /// How many rows it holds after the squashed migrations.
    rows: i64,
    /// Its rows as `INSERT` statements.
    statements: Vec<String>,
}

/// The rows of the `--keep-data` tables as SQL, after checking that every table holding rows after the
/// squashed migrations is named by `--keep-data` or `--discard-data`. In the order given: the rows load
/// before any foreign key exists, so the order of the tables does not matter.
fn kept_data(
    client: &mut postgres::Client,
    settings: &Settings,
    args: &SquashArgs,
) -> Result<Vec<KeptTable>> {
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
        .filter(|t| !named.iter().any(|(_, r)| r.qualified == **t))
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
    let mut kept: Vec<KeptTable> = Vec::new();
    for (option, table) in named {
        if option == "--keep-data" && !kept.iter().any(|k| k.qualified == table.qualified) {
            let statements = migrate_core::schema::rows_as_sql(client, &table.schema, &table.name)?;
            let rows = count_rows(client, &table)?;
            kept.push(KeptTable {
                statements,
                rows,
                ..table
            });
        }
    }
    Ok(kept)
}

/// How many rows `table` holds (its own, as its rows are kept).
fn count_rows(client: &mut postgres::Client, table: &KeptTable) -> Result<i64> {
    let sql = format!(
        "SELECT pg_catalog.count(*) FROM {}{}",
        table.only, table.qualified
    );
    let row = client.query_one(&sql, &[]).map_err(|e| {
        anyhow!(
            "cannot count the rows of {}: {}",
            table.qualified,
            crate::connect::describe(&e)
        )
    })?;
    Ok(row.get(0))
}

/// A table named on the command line: `schema.table`, or `table` in schema public, either part quoted when
/// it needs to be (without its rows yet).
fn resolve(client: &mut postgres::Client, option: &str, table: &str) -> Result<KeptTable> {
    let text = if table.contains('.') {
        table.to_owned()
    } else {
        format!("public.{table}")
    };
    let mut tx = client.transaction()?;
    tx.batch_execute("SET LOCAL search_path = ''")?;
    let row = tx
        .query_opt(
            "SELECT pg_catalog.textin(pg_catalog.regclassout(c.oid::regclass)), n.nspname::text, c.relname::text, c.relkind = 'r' FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p')",
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
    Ok(KeptTable {
        qualified: row.get(0),
        schema: row.get(1),
        name: row.get(2),
        only: if row.get::<_, bool>(3) { "ONLY " } else { "" },
        rows: 0,
        statements: Vec::new(),
    })
}

/// The server's message, with its detail (which row, which key) when it gives one.
fn server_error(e: &postgres::Error) -> String {
    let detail = e
        .as_db_error()
        .and_then(|db| db.detail())
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    format!("{}{detail}", crate::connect::describe(e))
}

/// Whether the server refused a row for a constraint (SQLSTATE class 23: a foreign key, unique, check or
/// not-null constraint): the kept rows' doing, not squash's.
fn constraint_violation(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| c.code().starts_with("23"))
}

/// The first line of a statement, for a message (a statement of kept rows holds up to 500 of them).
fn first_line(statement: &str) -> String {
    let mut lines = statement.lines();
    let first = lines.next().unwrap_or_default();
    if lines.next().is_some() {
        format!("{first} ...")
    } else {
        first.to_owned()
    }
}

/// Runs the baseline's statements as its migration will: in one transaction, in order (the schema up to
/// the tables, the kept rows, the sequences' positions, the rest of the schema). A failure is squash's own
/// bug only when no kept row can be the cause.
fn apply(
    client: &mut postgres::Client,
    schema: &migrate_core::schema::Ddl,
    kept: &[KeptTable],
    positions: &[String],
) -> Result<()> {
    let bug = |e: &postgres::Error, statement: &str| {
        anyhow!(
            "the baseline does not apply to an empty database (a bug in squash; nothing was changed): {}\n\
             statement: {statement}",
            server_error(e)
        )
    };
    let mut tx = client.transaction()?;
    for statement in schema.before_data.iter().chain(positions) {
        tx.batch_execute(statement)
            .map_err(|e| bug(&e, statement))?;
    }
    for table in kept {
        for statement in &table.statements {
            tx.batch_execute(statement).map_err(|e| {
                if constraint_violation(&e) {
                    anyhow!(
                        "the kept rows of {} (--keep-data) break a constraint of their column types: {}\n\
                         statement: {}\n\
                         the migrations let these rows in before the constraint existed (or added it NOT VALID); \
                         leave them out with --discard-data, or fix them with a migration before squashing; nothing \
                         was changed",
                        table.qualified,
                        server_error(&e),
                        first_line(statement)
                    )
                } else {
                    bug(&e, &first_line(statement))
                }
            })?;
        }
    }
    let tables = kept
        .iter()
        .map(|k| k.qualified.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    for statement in &schema.after_data {
        tx.batch_execute(statement).map_err(|e| {
            if kept.is_empty() || !constraint_violation(&e) {
                bug(&e, statement)
            } else if e.code() == Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                anyhow!(
                    "the kept rows of {tables} refer to rows that are not kept: {}\n\
                     statement: {statement}\n\
                     keep the rows of the table the foreign key refers to as well (--keep-data), or discard those \
                     that refer to it; nothing was changed",
                    server_error(&e)
                )
            } else {
                anyhow!(
                    "the kept rows of {tables} break a constraint the baseline adds once they are loaded: {}\n\
                     statement: {statement}\n\
                     a table whose rows are kept twice (a partitioned table and one of its partitions) does this; \
                     nothing was changed",
                    server_error(&e)
                )
            }
        })?;
    }
    tx.commit()?;
    Ok(())
}

/// Compares what the baseline gave on the check database with what the migrations gave: each kept table's
/// rows (as SQL writes them, so equal text is equal rows), that no other table holds a row (a trigger or
/// rule that wrote one would have), and every sequence's position.
fn compare_contents(
    client: &mut postgres::Client,
    settings: &Settings,
    kept: &[KeptTable],
    positions: &[String],
) -> Result<()> {
    let mut differences = Vec::new();
    for table in kept {
        let rows = migrate_core::schema::rows_as_sql(client, &table.schema, &table.name)?;
        if rows != table.statements {
            let after = count_rows(client, table)?;
            differences.push(format!(
                "{}: {} row(s) after the migrations, {after} after the baseline{}",
                table.qualified,
                table.rows,
                if after == table.rows {
                    " with other values"
                } else {
                    ""
                }
            ));
        }
    }
    for table in migrate_core::schema::tables_with_rows(client, &settings.table)? {
        if !kept.iter().any(|k| k.qualified == table) {
            differences.push(format!(
                "{table}: no row kept, yet it holds rows after the baseline"
            ));
        }
    }
    let after = migrate_core::schema::sequence_positions(client, &settings.table)?;
    for position in after.iter().filter(|p| !positions.contains(p)) {
        differences.push(format!("the baseline leaves {position}"));
    }
    for position in positions.iter().filter(|p| !after.contains(p)) {
        differences.push(format!("the migrations leave {position}"));
    }
    if differences.is_empty() {
        return Ok(());
    }
    bail!(
        "the baseline would not give the rows the migrations give:\n  {}\nnothing was changed",
        differences.join("\n  ")
    )
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
