//! `import --from TOOL DIR`: another tool's migrations converted into files of the migrations folder, then
//! (unless `--no-adopt`, or without a database) the ones that tool applied on the configured database recorded
//! as applied. Everything is checked before anything is written: files that cannot be converted, clashes with
//! files already here, the other tool's history (failed runs, checksum mismatches), and rows already recorded
//! here under the same names with other checksums. The files are written once the rows are recorded, in their
//! transaction, so that a failure to record leaves no file behind.

use std::process::ExitCode;

use anyhow::Result;
use migrate_core::import::{self, Imported, Recording, Tool, TransactionChange};

use migrate_runner::args::{ImportArgs, ImportFrom};
use migrate_runner::connect;
use migrate_runner::output;
use migrate_runner::schema_file;
use migrate_runner::settings::Settings;
use migrate_runner::stdio::{errln, outln};

pub fn import(settings: &Settings, args: &ImportArgs) -> Result<ExitCode> {
    let tool = match args.from {
        ImportFrom::Sqlx => Tool::Sqlx,
        ImportFrom::Refinery => Tool::Refinery,
        ImportFrom::Diesel => Tool::Diesel,
        ImportFrom::Dbmate => Tool::Dbmate,
        ImportFrom::GolangMigrate => Tool::GolangMigrate,
        ImportFrom::Flyway => Tool::Flyway,
        ImportFrom::NodePgMigrate => return node_pg_migrate(settings, args),
    };
    let plan = import::plan(tool, &args.dir, &settings.migrations_dir)?;
    // The history is read and checked before any file is written, so that a refusal leaves nothing behind.
    let adopt = !args.no_adopt && settings.url().is_some_and(|u| !u.trim().is_empty());
    let mut client = if adopt {
        let target = connect::resolve_settings(settings)?;
        Some(target.connect(settings.connect_timeout)?)
    } else {
        None
    };
    let table = &settings.table;
    let checked = match &mut client {
        Some(client) => Some(
            import::adopt(client, &plan, table, settings.lock_mode, Recording::DryRun)
                .map_err(adopt_hint)?,
        ),
        None => None,
    };
    let has_history = checked.as_ref().is_some_and(|c| c.source_table.is_some());
    // With a history to record, the files are written inside its transaction, once the rows are in: a
    // refused row (a trigger, a missing INSERT right) leaves no file, and the error says what is left.
    let adopted = match (&mut client, checked) {
        (Some(client), Some(_)) if has_history && !args.dry_run => Some(
            import::adopt(
                client,
                &plan,
                table,
                settings.lock_mode,
                Recording::RowsThenFiles,
            )
            .map_err(adopt_hint)?,
        ),
        (_, checked) => {
            if !args.dry_run {
                import::write(&plan)?;
            }
            checked
        }
    };
    print_plan(tool, &plan, args.dry_run);
    let Some(adopted) = adopted else {
        outln!(
            "history not adopted ({}): the imported migrations are pending on every database until `migrate import` \
             runs again with one",
            if args.no_adopt { "--no-adopt" } else { "no database configured" }
        );
        return Ok(ExitCode::SUCCESS);
    };
    let Some(source_table) = adopted.source_table.clone() else {
        outln!(
            "no {} table in the database: {tool} applied nothing there, all {} stay pending",
            tool.history_table(),
            plan.migrations.len()
        );
        return Ok(ExitCode::SUCCESS);
    };
    outln!(
        "{} {} as applied in {table} from {source_table} ({} already recorded); {} pending; {source_table} is left as it is",
        if args.dry_run { "would record" } else { "recorded" },
        adopted.recorded.len(),
        adopted.already.len(),
        adopted.pending.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// A refused adoption (a row recording other content under a file's name, say) leaves the way of writing the
/// files without the history.
fn adopt_hint(error: import::ImportError) -> anyhow::Error {
    if matches!(error, import::ImportError::Refused { what: "adopt", .. }) {
        let hint = "`migrate import --no-adopt` writes the files without adopting the history; \
                    `migrate repair NAME` then records a file's new checksum";
        return migrate_runner::Hinted::new(error, hint).into();
    }
    error.into()
}

/// Each file of `plan` (written, or with `dry_run` to be written), its transaction notes, and the count.
fn print_plan(tool: Tool, plan: &import::Plan, dry_run: bool) {
    let verb = if dry_run { "would write" } else { "wrote" };
    for m in &plan.migrations {
        let what = if m.exists { "already there" } else { verb };
        let no_tx = if m.up_outside_transaction() {
            ", no transaction"
        } else {
            ""
        };
        let down = if m.source.down.is_some() {
            ", down"
        } else {
            ""
        };
        let version = if m.source.repeatable {
            "repeatable".to_owned()
        } else {
            format!("version {}", m.source.version)
        };
        outln!(
            "{what} {}  <- {} ({version}{down}{no_tx})",
            schema_file::shown(&m.path),
            m.source.up_file,
        );
        transaction_notes(tool, m);
    }
    outln!(
        "{} {} migration{} from {tool} ({} already there)",
        if dry_run { "would import" } else { "imported" },
        plan.migrations.len(),
        if plan.migrations.len() == 1 { "" } else { "s" },
        plan.migrations.iter().filter(|m| m.exists).count()
    );
    if !dry_run && plan.migrations.iter().any(|m| !m.exists) {
        // Their findings would fail `lint` from the first day, and a comment in them would change their checksum.
        outln!(
            "lint: findings in the imported migrations are accepted as they are by `migrate lint \
             --write-baseline` (in lint-baseline.json, next to migrate.toml), so that `lint` reports only what is new"
        );
    }
}

/// What import changed about how each side of `m` runs: a removed `BEGIN` and `COMMIT` as a line of the plan,
/// a side made to run outside a transaction as a warning naming the file.
fn transaction_notes(tool: Tool, m: &Imported) {
    let down = m.source.down.as_ref().map(|(file, _)| {
        if *file == m.source.up_file {
            format!("{file} (down section)")
        } else {
            file.clone()
        }
    });
    let sides = [
        (Some(m.source.up_file.clone()), &m.up_change),
        (down, &m.down_change),
    ];
    for (file, change) in sides {
        let (Some(file), Some(change)) = (file, change) else {
            continue;
        };
        match change {
            TransactionChange::Unwrapped {
                begin,
                commit,
                dropped_marker,
            } => {
                let marker = dropped_marker
                    .as_ref()
                    .map(|marker| format!(" (instead of outside one, as {marker} said)"))
                    .unwrap_or_default();
                outln!(
                    "  {file}: its own `{begin}` and `{commit}` around it are left out: it runs in this tool's transaction{marker}"
                );
            }
            TransactionChange::NoTransaction {
                statement,
                statements,
            } => errln!(
                "{} {file}: `{statement}` cannot run in a transaction and {tool} has no marker on it saying so: it runs \
                 outside a transaction (pgm.no_transaction()){}",
                output::warning(),
                if *statements == 1 {
                    String::new()
                } else {
                    format!(", its {statements} statements one at a time, each committed on its own")
                }
            ),
            // A change this version does not know of: the file's comment tells.
            _ => {}
        }
    }
}

/// node-pg-migrate: nothing to write; its table becomes this tool's migrations table.
fn node_pg_migrate(settings: &Settings, args: &ImportArgs) -> Result<ExitCode> {
    if args.no_adopt || settings.url().is_none_or(|u| u.trim().is_empty()) {
        anyhow::bail!(
            "import --from node-pg-migrate converts no file (its migrations are JavaScript): it adopts its table on a \
             database, so it needs one (DATABASE_URL) and cannot run with --no-adopt"
        );
    }
    let target = connect::resolve_settings(settings)?;
    let mut client = target.connect(settings.connect_timeout)?;
    let adoption = import::adopt_node_pg_migrate(
        &mut client,
        &args.dir,
        &settings.table,
        settings.lock_mode,
        args.dry_run,
    )?;
    if adoption.no_table {
        outln!(
            "no {} table in the database: node-pg-migrate applied nothing there; nothing to adopt",
            settings.table
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !adoption.added_columns.is_empty() {
        outln!(
            "{} the column{} {} to {} (node-pg-migrate neither reads nor writes {})",
            if args.dry_run { "would add" } else { "added" },
            if adoption.added_columns.len() == 1 {
                ""
            } else {
                "s"
            },
            adoption.added_columns.join(" and "),
            settings.table,
            if adoption.added_columns.len() == 1 {
                "it"
            } else {
                "them"
            },
        );
    }
    outln!(
        "{} {} node-pg-migrate migration{} as adopted in {} ({} adopted before); new migrations here run after them",
        if args.dry_run { "would mark" } else { "marked" },
        adoption.adopted.len(),
        if adoption.adopted.len() == 1 { "" } else { "s" },
        settings.table,
        adoption.already
    );
    Ok(ExitCode::SUCCESS)
}
