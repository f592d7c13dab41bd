//! `review`: the pending migrations as a reviewer needs them, in one report (see [`migrate_core::review`]).
//!
//! The runner's half, which needs the compiled migrations and the databases:
//! 1. each migration traced on a scratch database built from the ones before it, the schema described
//!    before and after it (its locks, rewrites and scans; the schema file's change);
//! 2. production's sizes and activity for the tables they touch, over a session that cannot write;
//! 3. the calibration: the same migrations run again on a second scratch database whose touched tables hold
//!    generated rows, timed; or, with a clone, run on a throwaway copy of it and timed there;
//! 4. what the lint rules need.
//!
//! The lint rules and the report are the installed `migrate`'s (`--emit-review` hands them this half), or
//! the front end's in the same process when a runner links it.

mod production;

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use migrate_core::review::{self, Assessed, MigrationReview, Phase, Review, TableSize};
use migrate_core::trace::{self, MigrationTrace, RelationKind};
use migrate_core::{lint, Direction, Migrator, Notices, UpTarget};
use postgres::Client;

use super::context::Context;
use crate::args::ReviewArgs;
use crate::connect::Target;
use crate::scratch::Scratch;
use crate::stdio::outln;

pub(super) fn review(context: &Context<'_>, args: &ReviewArgs) -> Result<ExitCode> {
    let front = crate::front::installed();
    if front.is_none() && !args.emit_review {
        return Err(super::built_without("review"));
    }
    let settings = context.settings;
    let config = settings.config.file.review.clone().unwrap_or_default();
    let db = context.target()?;
    let notices = Notices::new();
    let migrator = Migrator::new(context.registry.migrations.as_slice())
        .repeatables(context.registry.repeatables.as_slice())
        .table(settings.table.clone())
        .timeouts(settings.timeouts.clone())
        .notices(notices.clone());
    let names = names(context, &db, &migrator, args)?;
    let pg_version = {
        let mut client = db.connect(settings.connect_timeout)?;
        migrate_core::server_major(&mut client)?
    };
    let lint_inputs = super::lint::inputs_with_repeatables(
        context.registry,
        &names,
        &lint::LintOptions {
            direction: Direction::Up,
            pg_version,
        },
    )?;
    let mut review = Review {
        version: review::REVIEW_VERSION,
        target: db.display.clone(),
        production: None,
        calibration: review::Calibration {
            rows: 0,
            tables: Vec::new(),
            skipped: Vec::new(),
            failed: None,
        },
        clone: None,
        migrations: Vec::new(),
    };
    if !names.is_empty() {
        fill(
            context,
            &db,
            &migrator,
            &notices,
            &names,
            args,
            &config,
            &mut review,
        )?;
    }
    if args.emit_review {
        let lint: serde_json::Value = serde_json::from_str(&lint_inputs.to_json())
            .context("cannot serialise the lint inputs")?;
        let both = serde_json::json!({ "review": review, "lint": lint });
        outln!("{both}");
        return Ok(ExitCode::SUCCESS);
    }
    match front {
        Some(front) => front.review_report(&review, &lint_inputs, args.format, &settings.config),
        None => Err(super::built_without("review")),
    }
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

/// Traces, reads production, calibrates and assesses: everything but the lint rules.
#[allow(clippy::too_many_arguments)]
fn fill(
    context: &Context<'_>,
    db: &Target,
    migrator: &Migrator<'_>,
    notices: &Notices,
    names: &[String],
    args: &ReviewArgs,
    config: &crate::config::ReviewConfig,
    review: &mut Review,
) -> Result<()> {
    let settings = context.settings;
    let (plain, schema_changes) = trace_each(context, db, migrator, notices, names)?;
    let touched = touched_tables(&plain);
    let production_url = match &args.production_url {
        Some(url) => Some(url.clone()),
        None => config
            .production_url
            .as_deref()
            .map(|u| crate::fleet::expand_env(u, "[review]"))
            .transpose()?,
    };
    if let Some(url) = &production_url {
        review.production = Some(production::read(
            settings,
            url,
            args.allow_writable_production,
            &touched,
        )?);
    }
    let clone_run = match &args.clone_url {
        Some(url) => Some(on_clone(
            context, db, migrator, notices, names, args, url, &touched,
        )?),
        None => None,
    };
    let rows = args
        .calibration_rows
        .or(config.calibration_rows)
        .unwrap_or(review::DEFAULT_CALIBRATION_ROWS);
    let calibrated = if review.production.is_some() && clone_run.is_none() {
        Some(calibrate(
            context, db, migrator, notices, names, rows, &touched,
        ))
    } else {
        None
    };
    let mut calibration_trace: Option<trace::Trace> = None;
    match calibrated {
        Some(Ok(run)) => {
            review.calibration.rows = rows;
            if let Some(seeding) = &run.rows {
                review.calibration.tables = seeding.sizes.iter().map(seeded).collect();
                review.calibration.skipped = seeding
                    .skipped
                    .iter()
                    .map(|s| (s.table.clone(), s.reason.clone()))
                    .collect();
            }
            calibration_trace = Some(run);
        }
        Some(Err(e)) => {
            review.calibration.rows = rows;
            review.calibration.failed = Some(format!("{e:#}"));
        }
        None => {}
    }
    let (clone_trace, clone_sizes) = match clone_run {
        Some((info, run, sizes)) => {
            review.clone = Some(info);
            if review.production.is_none() {
                review.production = Some(sizes);
            }
            (Some(run), true)
        }
        None => (None, false),
    };
    let no_sizes = "production sizes unknown (no --production-url)".to_owned();
    let failed = review
        .calibration
        .failed
        .as_ref()
        .map(|e| format!("the calibration run failed: {e}"));
    for (traced, changes) in plain.iter().zip(schema_changes) {
        let production = review.production.as_ref().map(|p| p.tables.as_slice());
        let find = |t: &Option<trace::Trace>| {
            t.as_ref()
                .and_then(|t| t.migrations.iter().find(|m| m.name == traced.name).cloned())
        };
        let (clone_m, calib_m) = (find(&clone_trace), find(&calibration_trace));
        let timing = match (&clone_m, &calib_m) {
            (Some(run), _) if clone_sizes => Assessed::Measured { run, production },
            (_, Some(run)) => Assessed::Calibrated {
                run,
                sizes: &review.calibration.tables,
                production,
            },
            _ => Assessed::Unknown(failed.as_deref().unwrap_or(&no_sizes)),
        };
        let statements = review::assess(traced, timing);
        let migration = migrator
            .migrations()
            .iter()
            .find(|m| m.name() == traced.name);
        let contract = migration.and_then(|m| m.contract());
        review.migrations.push(MigrationReview {
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
            schema_changes: changes,
            findings: Vec::new(),
        });
    }
    Ok(())
}

/// Each migration traced on its own on one scratch database, in order, with the schema changes it made.
fn trace_each(
    context: &Context<'_>,
    db: &Target,
    migrator: &Migrator<'_>,
    notices: &Notices,
    names: &[String],
) -> Result<(Vec<MigrationTrace>, Vec<Vec<String>>)> {
    let settings = context.settings;
    let scratch = Scratch::create(db, settings, "review", "review")?;
    let mut client = scratch
        .target()
        .connect_collecting(settings.connect_timeout, notices)?;
    base(migrator, &mut client, &names[0])?;
    let table = migrator.migrations_table().clone();
    let mut before = migrate_core::schema::describe(&mut client, &table)?;
    let (mut traces, mut changes) = (Vec::new(), Vec::new());
    for name in names {
        let watcher = scratch.target().connect(settings.connect_timeout)?;
        let traced = trace::run(
            migrator,
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

/// Applies what comes before `first` (for a repeatable migration, every versioned one).
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
    match migrator.run_up(client, &UpTarget::To(before.to_owned()), &mut |_| {}) {
        Ok(_) | Err(migrate_core::Error::AlreadyApplied { .. }) => Ok(()),
        Err(e) => Err(trace::TraceError::Base(e).into()),
    }
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
        tables.extend(
            s.rewrites
                .iter()
                .filter(|r| r.kind == RelationKind::Table)
                .map(|r| r.relation.clone()),
        );
    }
    tables.into_iter().collect()
}

/// The calibration run: the migrations again, on a scratch database whose touched tables hold `rows`
/// generated rows each, timed.
fn calibrate(
    context: &Context<'_>,
    db: &Target,
    migrator: &Migrator<'_>,
    notices: &Notices,
    names: &[String],
    rows: u64,
    touched: &[String],
) -> Result<trace::Trace> {
    let settings = context.settings;
    let scratch = Scratch::create(db, settings, "calibrate", "review")?;
    let mut client = scratch
        .target()
        .connect_collecting(settings.connect_timeout, notices)?;
    let watcher = scratch.target().connect(settings.connect_timeout)?;
    let options = trace::Options {
        rows,
        data: None,
        only: Some(touched),
    };
    Ok(trace::run(migrator, &mut client, watcher, names, &options)?)
}

/// The migrations run and timed on a throwaway copy of the clone at `url`, with the clone's sizes.
#[allow(clippy::too_many_arguments)]
fn on_clone(
    context: &Context<'_>,
    db: &Target,
    migrator: &Migrator<'_>,
    notices: &Notices,
    names: &[String],
    args: &ReviewArgs,
    url: &str,
    touched: &[String],
) -> Result<(review::CloneRun, trace::Trace, review::Production)> {
    let settings = context.settings;
    let clone = crate::connect::resolve(Some(url))?;
    if clone.server() == db.server() && clone.dbname() == db.dbname() && !args.clone_is_target {
        anyhow::bail!(
            "--clone-url {} names the database the migrations are applied to ({}); give a copy of \
             production (a restored backup, a database branch), or --clone-is-target if this one is meant",
            clone.display,
            db.display
        );
    }
    let sizes = production::read(settings, url, true, touched)?;
    let copy = Scratch::copy_of(&clone, settings, "review", "review")?;
    let mut client = copy
        .target()
        .connect_collecting(settings.connect_timeout, notices)?;
    let watcher = copy.target().connect(settings.connect_timeout)?;
    let run = trace::run(
        migrator,
        &mut client,
        watcher,
        names,
        &trace::Options::default(),
    )?;
    Ok((
        review::CloneRun {
            url: clone.display.clone(),
            copy: copy.name().to_owned(),
        },
        run,
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
        scans_per_s: None,
    }
}
