//! `review`: the pending migrations as a reviewer needs them, in one report (see [`migrate_core::review`]).
//!
//! The runner's half, which needs the compiled migrations and the databases:
//! 1. each migration traced on a scratch database built from the ones before it, the schema described
//!    before and after it (its locks, rewrites and scans; the schema file's change);
//! 2. production's sizes and activity for the tables they touch, over a session that cannot write, and
//!    the data checks: whether each statement would fail on production's rows, where the role may read them;
//! 3. the calibration: the same migrations run again on a second scratch database whose touched tables hold
//!    generated rows, timed; or, with a clone, run on a throwaway copy of it and timed there;
//! 4. what the lint rules need.
//!
//! The lint rules and the report are the installed `migrate`'s (migrate-cli): `--emit-review` hands them this
//! half as JSON, and an application's binary that links migrate-cli gets it from [`crate::commands::review_inputs`].

mod data_checks;
mod production;

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::production::ServerIdentity;
use migrate_core::review::{self, Assessed, MigrationReview, Phase, Review, TableSize};
use migrate_core::trace::{self, MigrationTrace, RelationKind};
use migrate_core::{lint, Direction, Migrator, Notices, UpTarget};
use postgres::Client;

use super::context::Context;
use crate::args::ReviewArgs;
use crate::config::ReviewConfig;
use crate::connect::Target;
use crate::scratch::Scratch;
use crate::settings::Settings;
use crate::stdio::outln;

/// The runner's half of a review: the review without its lint findings, and what the lint rules need.
pub struct Collected {
    pub review: Review,
    pub lint: lint::LintInputs,
}

/// `review` in a runner: with `--emit-review`, its half printed as JSON (for the installed `migrate`); without,
/// says which command reviews.
pub(super) fn emit(context: &Context<'_>, args: &ReviewArgs) -> Result<ExitCode> {
    if !args.emit_review {
        return Err(super::built_without("review"));
    }
    let collected = collect(context, args)?;
    let lint: serde_json::Value = serde_json::from_str(&collected.lint.to_json())
        .context("cannot serialise the lint inputs")?;
    let both = serde_json::json!({ "review": collected.review, "lint": lint });
    outln!("{both}");
    Ok(ExitCode::SUCCESS)
}

/// The runner's half of `review` for the migrations `args` name.
pub(super) fn collect(context: &Context<'_>, args: &ReviewArgs) -> Result<Collected> {
    let settings = context.settings;
    let config = settings.config.file.review.clone().unwrap_or_default();
    let db = context.target()?;
    let notices = Notices::new();
    let migrator = super::trace::scratch_migrator(settings, context.registry, &notices);
    let names = names(context, &db, &migrator, args)?;
    let pg_version = {
        let mut client = db.connect(settings.connect_timeout)?;
        migrate_core::server_major(&mut client)?
    };
    let options = lint::LintOptions {
        direction: Direction::Up,
        pg_version,
    };
    // No names means every migration to `lint`; to a review, nothing pending means nothing to lint.
    let lint_inputs = if names.is_empty() {
        lint::LintInputs::new(&options)
    } else {
        super::lint::inputs_with_repeatables(context.registry, &names, &options)?
    };
    let mut review = Review {
        version: review::REVIEW_VERSION,
        target: db.display.clone(),
        production: None,
        calibration: review::Calibration {
            rows: 0,
            tables: Vec::new(),
            skipped: Vec::new(),
            failed: None,
            stopped_at: None,
        },
        clone: None,
        migrations: Vec::new(),
    };
    if !names.is_empty() {
        let run = Run {
            settings,
            db: &db,
            migrator: &migrator,
            notices: &notices,
            names: &names,
        };
        fill(&run, args, &config, &mut review)?;
    }
    Ok(Collected {
        review,
        lint: lint_inputs,
    })
}

/// The migrations reviewed, in the order `up` runs them: the named ones, those changed since `--since`, or
/// the pending ones.
fn names(
    context: &Context<'_>,
    db: &Target,
    migrator: &Migrator<'_>,
    args: &ReviewArgs,
) -> Result<Vec<String>> {
    let chosen = if let Some(rev) = &args.since {
        super::lint::since::changed_since("review", rev, &context.settings.migrations_dir)?
    } else if args.names.is_empty() {
        super::trace::pending_names(context.settings, db, migrator, false)?
    } else {
        args.names.clone()
    };
    let versioned: Vec<String> = {
        let steps = migrator.plan_named(
            &chosen
                .iter()
                .filter(|n| !n.starts_with(migrate_core::naming::REPEATABLE_PREFIX))
                .cloned()
                .collect::<Vec<_>>(),
            Direction::Up,
        )?;
        let wanted: BTreeSet<&str> = steps.iter().map(|s| s.migration.name()).collect();
        migrator
            .migrations()
            .iter()
            .map(|m| m.name())
            .filter(|n| wanted.contains(n))
            .map(str::to_owned)
            .collect()
    };
    let mut repeatables: Vec<String> = chosen
        .into_iter()
        .filter(|n| n.starts_with(migrate_core::naming::REPEATABLE_PREFIX))
        .collect();
    repeatables.sort();
    repeatables.dedup();
    Ok(versioned.into_iter().chain(repeatables).collect())
}

/// What every part of a review works with: the settings, the configured database (whose server the
/// scratch databases are made on), the migrations and the names reviewed, in order.
struct Run<'r, 'm> {
    settings: &'r Settings,
    db: &'r Target,
    migrator: &'r Migrator<'m>,
    notices: &'r Notices,
    names: &'r [String],
}

impl Run<'_, '_> {
    /// A scratch database's session for the migrations (its notices collected) and one for the trace's
    /// watcher.
    fn sessions(&self, scratch: &Scratch) -> Result<(Client, Client)> {
        let timeout = self.settings.connect_timeout;
        Ok((
            scratch.target().connect_collecting(timeout, self.notices)?,
            scratch.target().connect(timeout)?,
        ))
    }
}

/// Traces, reads production, times and assesses: everything but the lint rules.
fn fill(
    run: &Run<'_, '_>,
    args: &ReviewArgs,
    config: &ReviewConfig,
    review: &mut Review,
) -> Result<()> {
    let (plain, schema_changes) = trace_each(run)?;
    let touched = touched_tables(&plain);
    let queries = rows_queries(&plain);
    let mut production_identity = None;
    let production_url = production_url(args, config)?;
    if let Some(url) = &production_url {
        let source = production::Source::Production {
            url,
            allow_writable: args.allow_writable_production,
            identify: args.clone_url.is_some(),
        };
        let (read, identity) = production::read(run.settings, source, &touched, &queries)?;
        review.production = Some(read);
        production_identity = identity;
    }
    let timed = timed_runs(run, args, config, &touched, production_identity, review)?;
    for (traced, changes) in plain.iter().zip(schema_changes) {
        let statements = review::assess(traced, timed.of(traced, review));
        let migration = migration_review(run.migrator, traced, statements, changes);
        review.migrations.push(migration);
    }
    if let Some(url) = &production_url {
        let allow = args.allow_writable_production;
        data_checks::check(run.settings, run.migrator, url, allow, review)?;
    }
    Ok(())
}

/// `--production-url`, else `[review] production_url` with its `${VAR}`s read from the environment.
fn production_url(args: &ReviewArgs, config: &ReviewConfig) -> Result<Option<String>> {
    match &args.production_url {
        Some(url) => Ok(Some(url.clone())),
        None => config
            .production_url
            .as_deref()
            .map(|u| crate::fleet::config::expand_env(u, "[review]"))
            .transpose(),
    }
}

/// The timed runs of the migrations: on a copy of the clone, or the calibration (only with production's
/// sizes to scale to), and why a statement has no estimate when neither times it.
struct TimedRuns {
    clone: Option<trace::Trace>,
    calibration: Option<trace::Trace>,
    unknown: String,
}

impl TimedRuns {
    fn of<'a>(&'a self, traced: &MigrationTrace, review: &'a Review) -> Assessed<'a> {
        let production = review.production.as_ref().map(|p| p.tables.as_slice());
        let find = |t: &'a Option<trace::Trace>| {
            t.as_ref()?
                .migrations
                .iter()
                .find(|m| m.name == traced.name)
        };
        if let Some(run) = find(&self.clone) {
            return Assessed::Measured { run, production };
        }
        if let Some(run) = find(&self.calibration) {
            return Assessed::Calibrated {
                run,
                sizes: &review.calibration.tables,
                production,
                planned: review
                    .production
                    .as_ref()
                    .map_or(&[][..], |p| p.planned_rows.as_slice()),
            };
        }
        Assessed::Unknown(&self.unknown)
    }
}

/// Runs the migrations where they are timed, and says in `review` where that was.
fn timed_runs(
    run: &Run<'_, '_>,
    args: &ReviewArgs,
    config: &ReviewConfig,
    touched: &[String],
    production: Option<ServerIdentity>,
    review: &mut Review,
) -> Result<TimedRuns> {
    let mut timed = TimedRuns {
        clone: None,
        calibration: None,
        unknown: "production sizes unknown (no --production-url)".to_owned(),
    };
    if let Some(url) = &args.clone_url {
        let (info, trace, sizes) = on_clone(run, args, url, touched, production.as_ref())?;
        review.clone = Some(info);
        review.production.get_or_insert(sizes);
        timed.clone = Some(trace);
        timed.unknown = "not run on the clone".to_owned();
        return Ok(timed);
    }
    if review.production.is_none() {
        return Ok(timed);
    }
    let rows = args
        .calibration_rows
        .or(config.calibration_rows)
        .unwrap_or(review::DEFAULT_CALIBRATION_ROWS);
    review.calibration.rows = rows;
    let calibrated = match calibrate(run, run.names, rows, touched) {
        Ok(trace) => Ok(trace),
        Err(e) => {
            let why = format!("{e:#}");
            // A migration that fails on the generated rows (a cast the generated text does not pass) would
            // leave every statement without an estimate; the ones before it are timed again without it.
            match failed_at(&e, run.names) {
                Some(at) => {
                    let failing = run.names[at].clone();
                    timed.unknown = format!(
                        "the calibration run failed in {failing} (this migration or an earlier one): {why}"
                    );
                    review.calibration.failed = Some(why);
                    review.calibration.stopped_at = Some(failing);
                    calibrate(run, &run.names[..at], rows, touched).map_err(|e| format!("{e:#}"))
                }
                None => Err(why),
            }
        }
    };
    match calibrated {
        Ok(trace) => {
            if let Some(seeding) = &trace.rows {
                review.calibration.tables = seeding.sizes.iter().map(seeded).collect();
                review.calibration.skipped = seeding
                    .skipped
                    .iter()
                    .map(|s| (s.table.clone(), s.reason.clone()))
                    .collect();
            }
            timed.calibration = Some(trace);
            if review.calibration.stopped_at.is_none() {
                timed.unknown = "not run by the calibration".to_owned();
            }
        }
        Err(why) => {
            timed.unknown = format!("the calibration run failed: {why}");
            review.calibration.failed = Some(why);
            review.calibration.stopped_at = None;
        }
    }
    Ok(timed)
}

/// The position in `names` of the migration a calibration run failed in, when it is not the first (with
/// the first, nothing before it could be timed).
fn failed_at(error: &anyhow::Error, names: &[String]) -> Option<usize> {
    let failed = error.chain().find_map(|cause| {
        match cause.downcast_ref::<migrate_core::trace::TraceError>()? {
            migrate_core::trace::TraceError::Run(migrate_core::Error::Statement(statement)) => {
                Some(statement.name.clone())
            }
            _ => None,
        }
    })?;
    names
        .iter()
        .position(|name| *name == failed)
        .filter(|&at| at > 0)
}

/// One migration's part of the review.
fn migration_review(
    migrator: &Migrator<'_>,
    traced: &MigrationTrace,
    statements: Vec<review::StatementReview>,
    schema_changes: Vec<String>,
) -> MigrationReview {
    let contract = migrator
        .migrations()
        .iter()
        .find(|m| m.name() == traced.name)
        .and_then(|m| m.contract());
    MigrationReview {
        name: traced.name.clone(),
        file: traced.file.clone(),
        phase: if contract.is_some() {
            Phase::Contract
        } else {
            Phase::Expand
        },
        contract,
        transactional: traced.transactional,
        sql: statements
            .iter()
            .map(|s| format!("{};", s.sql.trim_end().trim_end_matches(';')))
            .collect::<Vec<_>>()
            .join("\n"),
        statements,
        schema_changes,
        findings: Vec::new(),
    }
}

/// Each migration traced on its own on one scratch database, in order, with the schema changes it made.
fn trace_each(run: &Run<'_, '_>) -> Result<(Vec<MigrationTrace>, Vec<Vec<String>>)> {
    let scratch = Scratch::create(run.db, run.settings, "review", "review")?;
    let mut client = scratch
        .target()
        .connect_collecting(run.settings.connect_timeout, run.notices)?;
    base(run.migrator, &mut client, &run.names[0])?;
    let table = run.migrator.migrations_table().clone();
    let mut before = migrate_core::schema::describe(&mut client, &table)?;
    let (mut traces, mut changes) = (Vec::new(), Vec::new());
    for name in run.names {
        let watcher = scratch.target().connect(run.settings.connect_timeout)?;
        let traced = trace::run(
            run.migrator,
            &mut client,
            watcher,
            std::slice::from_ref(name),
            &trace::Options::default(),
        )?;
        let after = migrate_core::schema::describe(&mut client, &table)?;
        changes.push(schema_changes(&before, &after));
        before = after;
        traces.extend(traced.migrations);
    }
    Ok((traces, changes))
}

/// Applies what comes before `first` (for a repeatable migration, every versioned one) to a fresh scratch
/// database.
fn base(migrator: &Migrator<'_>, client: &mut Client, first: &str) -> Result<()> {
    let all = migrator.migrations();
    let before = match all.iter().position(|m| m.name() == first) {
        Some(0) => return Ok(()),
        Some(i) => all[i - 1].name(),
        None => match all.last() {
            Some(last) => last.name(),
            None => return Ok(()),
        },
    };
    migrator
        .run_up(client, &UpTarget::To(before.to_owned()), &mut |_| {})
        .map_err(trace::TraceError::Base)?;
    Ok(())
}

/// `+`/`-`/`~` lines for the objects the migration added, removed and changed.
fn schema_changes(
    before: &migrate_core::schema::SchemaDescription,
    after: &migrate_core::schema::SchemaDescription,
) -> Vec<String> {
    use migrate_core::schema::drift::{compare, Change, Ignore};
    let mut lines = Vec::new();
    for d in compare(before, after, &Ignore::default()) {
        let sign = match d.change {
            Change::Added => "+",
            Change::Missing => "-",
            Change::Changed => "~",
        };
        lines.push(format!("{sign} {} {}", d.kind, d.name));
        lines.extend(d.lines.iter().map(|l| format!("    {l}")));
    }
    lines
}

/// The tables that existed before a migration and that it locked, rewrote or read whole.
fn touched_tables(traces: &[MigrationTrace]) -> Vec<String> {
    let mut tables = BTreeSet::new();
    for s in traces
        .iter()
        .flat_map(|m| &m.transactions)
        .flat_map(|t| &t.statements)
    {
        for l in &s.locks {
            match l.kind {
                RelationKind::Table => {
                    tables.insert(l.relation.clone());
                }
                RelationKind::Index => {
                    tables.extend(l.table.clone());
                }
                _ => {}
            }
        }
        tables.extend(s.scans.iter().map(|x| x.table.clone()));
        tables.extend(s.data.iter().map(|d| d.table.clone()));
        tables.extend(
            s.rewrites
                .iter()
                .filter(|r| r.kind == RelationKind::Table)
                .map(|r| r.relation.clone()),
        );
    }
    tables.into_iter().collect()
}

/// The queries whose planned rows are the rows each data step writes, once each.
fn rows_queries(traces: &[MigrationTrace]) -> Vec<String> {
    let queries: BTreeSet<String> = traces
        .iter()
        .flat_map(|m| &m.transactions)
        .flat_map(|t| &t.statements)
        .filter_map(|s| s.data.as_ref()?.rows_query.clone())
        .collect();
    queries.into_iter().collect()
}

/// The calibration run: the migrations again, on a scratch database whose touched tables hold `rows`
/// generated rows each, timed.
fn calibrate(
    run: &Run<'_, '_>,
    names: &[String],
    rows: u64,
    touched: &[String],
) -> Result<trace::Trace> {
    let scratch = Scratch::create(run.db, run.settings, "calibrate", "review")?;
    let (mut client, watcher) = run.sessions(&scratch)?;
    // Each data step's rate is probed on the generated rows just before it runs: its own condition
    // rarely matches them.
    let options = trace::Options {
        rows,
        data: None,
        only: Some(touched),
        probe_rates: true,
    };
    Ok(trace::run(
        run.migrator,
        &mut client,
        watcher,
        names,
        &options,
    )?)
}

/// The migrations run and timed on a throwaway copy of the clone at `url`, with the clone's sizes. The
/// clone is told apart from the target and from production by what their sessions say they are (the
/// cluster's system identifier and the database's name), never by the URLs' spelling: the copy is made on the
/// clone's server, and must never be made of production.
fn on_clone(
    run: &Run<'_, '_>,
    args: &ReviewArgs,
    url: &str,
    touched: &[String],
    production: Option<&ServerIdentity>,
) -> Result<(review::CloneRun, trace::Trace, review::Production)> {
    let clone = crate::connect::resolve(Some(url))?;
    let (sizes, identity) = production::read(
        run.settings,
        production::Source::Clone { url },
        touched,
        &[],
    )?;
    let Some(identity) = identity else {
        anyhow::bail!("the clone's identity was not read");
    };
    if production == Some(&identity) {
        anyhow::bail!(
            "--clone-url {} is the production database ({} on the server whose system identifier is {}, as \
             the production URL's session says): the copy would be made there, on production's server; give \
             a copy of production (a restored backup, a database branch) on another server",
            clone.display,
            identity.database,
            identity.system_identifier
        );
    }
    let target = {
        let mut client = run.db.connect(run.settings.connect_timeout)?;
        migrate_core::production::identity(&mut client)
            .context("the database the migrations are applied to")?
    };
    if target == identity && !args.clone_is_target {
        anyhow::bail!(
            "--clone-url {} names the database the migrations are applied to ({}: the same database {} on \
             the same server, by its system identifier {}); give a copy of production (a restored backup, a \
             database branch), or --clone-is-target if this one is meant",
            clone.display,
            run.db.display,
            identity.database,
            identity.system_identifier
        );
    }
    let copy = Scratch::copy_of(&clone, run.settings, "review", "review")?;
    let (mut client, watcher) = run.sessions(&copy)?;
    let traced = trace::run(
        run.migrator,
        &mut client,
        watcher,
        run.names,
        &trace::Options::default(),
    )?;
    Ok((
        review::CloneRun {
            url: clone.display.clone(),
            copy: copy.name().to_owned(),
        },
        traced,
        sizes,
    ))
}

fn seeded(s: &trace::SeededSize) -> TableSize {
    TableSize {
        table: s.table.clone(),
        rows: s.rows,
        table_bytes: s.table_bytes,
        total_bytes: s.total_bytes,
        writes_per_s: None,
        key: None,
        scans_per_s: None,
        unread: None,
    }
}
