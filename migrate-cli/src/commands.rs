//! What each command does, given resolved settings and (for all but `create`) the compiled migrations.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result};
use migrate_core::{
    lint, plan, Direction, DownTarget, Interrupt, Migrator, Notices, Registry, State, UpTarget,
};

use crate::args::{Command, DatabaseAction, InitArgs, LintFormat, RunArgs, SchemaAction};
use crate::connect::{self, Target};
use crate::output::{lint_github, lint_json, lint_text, print_event, write_status};
use crate::pg_dump;
use crate::schema_file;
use crate::settings::Settings;

/// `create`: needs neither the compiled migrations nor a database.
pub fn create(settings: &Settings, words: &[String]) -> Result<ExitCode> {
    let now = chrono::Utc::now().naive_utc();
    let dir = &settings.migrations_dir;
    let path = migrate_core::create_migration(dir, &words.join(" "), now)?;
    println!("created {}", schema_file::shown(&path));
    let sealed = migrate_core::seal::seal_older(dir, &migrate_core::scan(dir)?)?;
    if sealed > 0 {
        println!(
            "sealed {sealed} older migrations (listed in {}): the next build compiles them once, in the \
             sealed-migrations crate, and later builds leave them alone",
            schema_file::shown(&dir.join(migrate_core::seal::LIST_FILE))
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `init`: sets up the package in the current folder (or its nearest parent package).
pub fn init(args: &InitArgs) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let options = crate::init::InitOptions {
        dir: args.dir.clone(),
        crates_path: args.crates_path.clone(),
    };
    let report = crate::init::init(&cwd, &options)?;
    print!("{}", crate::init::describe(&report));
    Ok(ExitCode::SUCCESS)
}

/// `database create|drop|reset`; `reset` needs the compiled migrations.
pub fn database(
    settings: &Settings,
    registry: Option<&Registry>,
    action: &DatabaseAction,
) -> Result<ExitCode> {
    match (action, registry) {
        (DatabaseAction::Create, _) => crate::database::create(settings),
        (DatabaseAction::Drop { force }, _) => crate::database::drop(settings, *force),
        (DatabaseAction::Reset { force }, Some(registry)) => {
            crate::database::reset(settings, registry, *force)
        }
        (DatabaseAction::Reset { .. }, None) => {
            anyhow::bail!(
                "database reset needs the compiled migrations (run it through the runner)"
            )
        }
    }
}

/// Every command that needs the compiled migrations.
pub fn run(settings: &Settings, registry: &Registry, command: &Command) -> Result<ExitCode> {
    settings.check_compiled_dir(registry.dir)?;
    // SIGINT/SIGTERM during `up`, `down` and `redo` (see the signals module).
    let interrupt = Interrupt::new();
    let migrator = Migrator::new(registry.migrations.as_slice())
        .table(settings.table.clone())
        .lock_mode(settings.lock_mode)
        .timeouts(settings.timeouts.clone())
        .interrupt(interrupt.clone());
    let on_signals = |client: &postgres::Client, db: &Target| -> Result<()> {
        crate::signals::watch(&interrupt, client.cancel_token(), db.tls.connector()?);
        crate::watchdog::start(db, settings.server_check_timeout);
        Ok(())
    };
    let target = || connect::resolve(settings.url());
    // Server notices of `up`, `down` and `redo`, each reported with its migration and operation.
    let notices = Notices::new();
    match command {
        Command::Create { name } => return create(settings, name),
        Command::Init(args) => return init(args),
        Command::Database { action } => return database(settings, Some(registry), action),
        Command::Up(args) => {
            let up = match (args.count, &args.to, args.expand_only) {
                (Some(n), _, _) => UpTarget::Count(count(n)),
                (None, Some(name), _) => UpTarget::To(name.clone()),
                (None, None, true) => UpTarget::ExpandOnly,
                (None, None, false) => UpTarget::All,
            };
            let migrator = with_run_args(migrator, &args.run)
                .allow_out_of_order(args.allow_out_of_order)
                .notices(notices.clone());
            let db = target()?;
            let mut client = db.connect_collecting(settings.connect_timeout, &notices)?;
            if args.run.dry_run {
                let steps = migrator.plan_up(&mut client, &up)?;
                print!(
                    "{}",
                    plan::script(
                        &steps,
                        &settings.table,
                        &settings.timeouts,
                        args.run.single_transaction,
                    )
                );
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(dir) = &args.backup {
                // Only when there is something to apply; planning changes nothing.
                if !migrator.plan_up(&mut client, &up)?.is_empty() {
                    let file = server_version_num(&mut client)
                        .and_then(|version| pg_dump::backup(&db, version, dir))
                        .context("backup failed; nothing was applied")?;
                    println!("backed up {} to {}", db.display, file.display());
                }
            }
            on_signals(&client, &db)?;
            let ran = migrator.run_up(&mut client, &up, &mut print_event)?;
            let verb = if args.run.fake {
                "recorded as applied (--fake)"
            } else {
                "applied"
            };
            let left = if up == UpTarget::ExpandOnly {
                let status = migrator.status(&mut client)?;
                let (_, contract) = status.expand_only();
                contract.map(|c| left_for_later(&status, c))
            } else {
                None
            };
            match (ran.len(), &left) {
                (0, Some(_)) => println!("no expand to apply on {}", db.display),
                (0, None) => println!("nothing to apply: {} is up to date", db.display),
                (n, _) => println!("{n} migration(s) {verb} on {}", db.display),
            }
            if !ran.is_empty() {
                write_schema_file(settings, &db);
            }
            if let Some(left) = left {
                println!("{left}");
            }
        }
        Command::Down(args) => {
            let down = match (args.count, &args.to, args.all) {
                (Some(n), _, _) => DownTarget::Count(count(n)),
                (None, Some(name), _) => DownTarget::To(name.clone()),
                (None, None, true) => DownTarget::All,
                (None, None, false) => DownTarget::Count(1),
            };
            let migrator = with_run_args(migrator, &args.run).notices(notices.clone());
            let db = target()?;
            let mut client = db.connect_collecting(settings.connect_timeout, &notices)?;
            if args.run.dry_run {
                let steps = migrator.plan_down(&mut client, &down)?;
                print!(
                    "{}",
                    plan::script(
                        &steps,
                        &settings.table,
                        &settings.timeouts,
                        args.run.single_transaction,
                    )
                );
                return Ok(ExitCode::SUCCESS);
            }
            on_signals(&client, &db)?;
            let ran = migrator.run_down(&mut client, &down, &mut print_event)?;
            match ran.len() {
                0 => println!("nothing to revert"),
                n if args.run.fake => println!(
                    "{n} migration(s) recorded as reverted (--fake) on {}",
                    db.display
                ),
                n => println!("{n} migration(s) reverted on {}", db.display),
            }
            if !ran.is_empty() {
                write_schema_file(settings, &db);
            }
        }
        Command::Redo { count: n } => {
            let db = target()?;
            let mut client = db.connect_collecting(settings.connect_timeout, &notices)?;
            on_signals(&client, &db)?;
            let ran = migrator.notices(notices.clone()).run_redo(
                &mut client,
                count(*n),
                &mut print_event,
            )?;
            println!("{} migration(s) redone on {}", ran.len() / 2, db.display);
            write_schema_file(settings, &db);
        }
        Command::Status { json } => {
            let db = target()?;
            let mut client = db.connect(settings.connect_timeout)?;
            let status = migrator.status_report(&mut client)?;
            // Through one buffer, not line by line, and entry by entry, never all entries or one text: a long
            // history stays cheap.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if *json {
                serde_json::to_writer_pretty(&mut out, &status)
                    .context("cannot write the status")?;
                writeln!(out).context("cannot write the status")?;
            } else {
                write_status(&mut out, &status, &db.display).context("cannot write the status")?;
            }
            out.flush().context("cannot write the status")?;
            if status.has_problems() {
                return Ok(ExitCode::from(crate::EXIT_STATUS_PROBLEMS));
            }
        }
        Command::Sql { names, down } => {
            let steps = if names.is_empty() {
                let db = target()?;
                let mut client = db.connect(settings.connect_timeout)?;
                migrator.plan_up(&mut client, &UpTarget::All)?
            } else {
                migrator.plan_named(
                    names,
                    if *down {
                        Direction::Down
                    } else {
                        Direction::Up
                    },
                )?
            };
            print!(
                "{}",
                plan::script(&steps, &settings.table, &settings.timeouts, false)
            );
        }
        Command::Verify => {
            let db = target()?;
            return crate::verify::verify(settings, registry, &db);
        }
        Command::Lint {
            names,
            down,
            pg_version,
            format,
            database_on_command_line,
        } => {
            let pg_version = match pg_version {
                Some(major) => *major,
                None if *database_on_command_line => {
                    let db = target()?;
                    let mut client = db.connect(settings.connect_timeout).context(
                        "lint reads the server's PostgreSQL major when --database-url is given; \
                         pass --pg-version to lint without a database",
                    )?;
                    migrate_core::server_major(&mut client)?
                }
                None => lint::DEFAULT_PG_VERSION,
            };
            let options = lint::LintOptions {
                direction: if *down {
                    Direction::Down
                } else {
                    Direction::Up
                },
                pg_version,
            };
            let report = lint::lint(registry.migrations.as_slice(), names, &options)?;
            match format {
                LintFormat::Text => print!("{}", lint_text(&report, &options)),
                LintFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&lint_json(&report, &options))
                        .context("cannot serialise the lint report")?
                ),
                LintFormat::Github => print!("{}", lint_github(&report, &options)),
            }
            // SQL no rule could read is an error, not a pass: whatever it hides was not checked.
            if report.unparsable_count() > 0 {
                anyhow::bail!(
                    "{} operation(s) have SQL that lint cannot parse, so no rule checked them (listed above); fix the SQL",
                    report.unparsable_count()
                );
            }
            if report.finding_count() > 0 {
                return Ok(ExitCode::from(crate::EXIT_LINT_FINDINGS));
            }
        }
        Command::Schema { action } => {
            let db = target()?;
            return match action {
                SchemaAction::Check { file } => {
                    crate::schema_check::check(settings, registry, &db, file.as_deref())
                }
                SchemaAction::Write { file } => {
                    crate::schema_check::write(settings, registry, &db, file.as_deref())
                }
            };
        }
        Command::Squash(args) => {
            let db = target()?;
            return crate::squash::squash(settings, registry, &db, args);
        }
        Command::Repair { names } => {
            let db = target()?;
            let mut client = db.connect(settings.connect_timeout)?;
            let repaired = migrator.repair(&mut client, names)?;
            if repaired.is_empty() {
                println!("nothing to repair");
            }
            for entry in repaired {
                let name = &entry.name;
                match (entry.state, &entry.renamed_from) {
                    (State::Changed, _) => println!("recorded the new checksum of {name}"),
                    (State::Unverified, _) => println!("recorded the checksum of {name}"),
                    (State::Renamed, Some(old)) => {
                        println!("recorded the rename of {old} to {name}")
                    }
                    (State::Failed, _) => println!("cleared the failure of {name}"),
                    _ => println!("forgot {name} (its file is gone)"),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `up --expand-only` left: the pending migrations from the first pending contract on.
fn left_for_later(status: &migrate_core::Status, contract: &migrate_core::Entry) -> String {
    let pending = status
        .migrations
        .iter()
        .filter(|e| {
            matches!(e.state, State::Pending | State::OutOfOrder) && e.name >= contract.name
        })
        .count();
    format!(
        "left for after the rollout: {pending} pending migration(s), from the contract {name} ({}); \
         once no instance of the app version it retires is serving, apply it with `up --to {name}`, \
         or everything with `up`",
        contract.contract.as_deref().unwrap_or_default(),
        name = contract.name,
    )
}

fn with_run_args<'a>(migrator: Migrator<'a>, run: &RunArgs) -> Migrator<'a> {
    migrator
        .fake(run.fake)
        .single_transaction(run.single_transaction)
}

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// `SHOW server_version_num` (e.g. 170004).
fn server_version_num(client: &mut postgres::Client) -> Result<u32> {
    let text: String = client
        .query_one("SELECT current_setting('server_version_num')", &[])
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot read the server's version: {}",
                connect::describe(&e)
            )
        })?
        .get(0);
    text.trim()
        .parse()
        .with_context(|| format!("unexpected server_version_num {text:?}"))
}

/// Writes `schema_file` (when configured) after a run that changed the database: the schema described from
/// the catalog, which needs no client tools. The run itself is committed by then, so a failure here is a
/// warning, not the run's failure: the exit status and the summary printed before report what happened to
/// the database.
pub(crate) fn write_schema_file(settings: &Settings, db: &Target) {
    let Some(file) = &settings.schema_file else {
        return;
    };
    match schema_file::text(db, settings).and_then(|text| schema_file::write(file, &text)) {
        Ok(true) => println!("schema written to {}", schema_file::shown(file)),
        Ok(false) => {}
        Err(e) => eprintln!(
            "warning: the run is committed, but the schema file {} was not written: {}\n\
             hint: the file is written again after the next run that changes the database, or now with `migrate schema write`",
            schema_file::shown(file),
            crate::error_message(&e)
        ),
    }
}
