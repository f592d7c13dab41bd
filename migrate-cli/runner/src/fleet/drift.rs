//! `fleet drift`: `drift` over every target of a fleet. The schema the applied migrations give is built once
//! per distinct set of applied migrations (a scratch database each, dropped afterwards), not once per target:
//! a thousand tenants at three versions cost three builds. A database target is compared whole; a schema
//! target on the objects in its schema, against the build's schema renamed to its own.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::{Context as _, Result};
use migrate_core::fleet::{set_search_path, Fleet, Target};
use migrate_core::schema::drift::{compare, Drift};
use migrate_core::schema::{SchemaDescription, SchemaSlice};
use migrate_core::{Migration, Migrator, Registry};

use super::args::FleetDriftArgs;
// What `migrate drift` does for one database, done here for each tenant.
use super::{checked, config, signal_exit, watch_signals, CliConnector};
use crate::commands::drift as one_database;
use crate::stdio::{errln, outln};

/// What one target gave: the migrations it records as applied, in the order of the folder, and its live
/// schema.
struct Read {
    applied: Vec<Migration>,
    live: Described,
}

/// A database target's schema, or a schema target's part of its database (none when its schema has no
/// object) with its name as PostgreSQL quotes it.
enum Described {
    Database(SchemaDescription),
    Schema(Option<SchemaSlice>, String),
}

/// The schemas of each database that schema targets are in, described once for all of them (by the first
/// of its targets read), by the target's `url` (`None`: the configured database).
type Databases = Mutex<BTreeMap<Option<String>, Arc<OnceLock<Result<Vec<SchemaSlice>, String>>>>>;

/// The result of one target.
enum Verdict {
    Compared(Vec<Drift>),
    Failed(String),
}

pub(super) fn drift(
    settings: &crate::Settings,
    registry: &Registry,
    migrator: Migrator<'_>,
    connector: &CliConnector,
    args: &FleetDriftArgs,
) -> Result<ExitCode> {
    let options = config::options(settings, &args.targets, None)?;
    let fleet = checked(
        settings,
        migrator.clone(),
        connector,
        &args.targets,
        options,
    )?;
    let stop = watch_signals();
    let targets = fleet.targets();
    let reads: Mutex<Vec<Option<Result<Read, String>>>> =
        Mutex::new((0..targets.len()).map(|_| None).collect());
    let databases = Databases::default();
    fleet.read_each(&stop, &|i, session| {
        let read = session.map_err(|e| e.message).and_then(|s| {
            read_target(
                &migrator,
                registry,
                s.client,
                s.table,
                &targets[i],
                &databases,
            )
        });
        reads.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(read);
    });
    if let Some(signal) = stop.requested() {
        return Ok(signal_exit(signal));
    }
    let reads = reads.into_inner().unwrap_or_else(PoisonError::into_inner);

    // One build per distinct applied set (and kind: a schema target's build is in a schema).
    let mut groups: BTreeMap<(bool, Vec<&str>), Vec<usize>> = BTreeMap::new();
    for (i, read) in reads.iter().enumerate() {
        if let Some(Ok(read)) = read {
            let names = read.applied.iter().map(|m| m.name()).collect();
            groups
                .entry((targets[i].schema.is_some(), names))
                .or_default()
                .push(i);
        }
    }
    let mut verdicts: Vec<Verdict> = reads
        .iter()
        .map(|r| match r {
            Some(Err(message)) => Verdict::Failed(message.clone()),
            None => Verdict::Failed("not read: the run was stopped first".to_owned()),
            Some(Ok(_)) => Verdict::Compared(Vec::new()),
        })
        .collect();
    let ignore = one_database::ignore_patterns(settings, &args.ignore);
    let builds = groups.len();
    for members in groups.values() {
        let first = members[0];
        let Some(Ok(read)) = &reads[first] else {
            continue;
        };
        let expected = build(settings, registry, &fleet, &targets[first], &read.applied);
        for &i in members {
            let Some(Ok(read)) = &reads[i] else { continue };
            verdicts[i] = match (&expected, &read.live) {
                (Err(e), _) => Verdict::Failed(e.clone()),
                (Ok(Described::Database(expected)), Described::Database(live)) => {
                    Verdict::Compared(compare(expected, live, &ignore))
                }
                // Built in the first target's schema: shown under this one's name.
                (Ok(Described::Schema(expected, _)), Described::Schema(live, quoted)) => {
                    let expected = expected.as_ref().map(|e| e.as_schema(quoted));
                    let empty = SchemaDescription::default();
                    Verdict::Compared(compare(
                        expected.as_ref().map_or(&empty, |e| e.description()),
                        live.as_ref().map_or(&empty, |l| l.description()),
                        &ignore,
                    ))
                }
                _ => Verdict::Failed("a database and a schema target in one group".to_owned()),
            };
        }
    }
    report(&fleet, &verdicts, builds, args.targets.json)
}

/// The migrations a target records as applied, as this binary's files (refused when one is not: no
/// scratch database can be built to it), and its live schema.
fn read_target(
    migrator: &Migrator<'_>,
    registry: &Registry,
    client: &mut postgres::Client,
    table: &migrate_core::MigrationsTable,
    target: &Target,
    databases: &Databases,
) -> std::result::Result<Read, String> {
    let report = migrator
        .clone()
        .table(table.clone())
        .status_report(client)
        .map_err(|e| e.to_string())?;
    if let Some(why) = one_database::in_progress(&report) {
        return Err(format!("cannot tell: {why}"));
    }
    let status = report.into_status();
    let applied =
        one_database::applied_files(&status, registry.migrations.as_slice()).map_err(|unknown| {
            format!(
                "cannot build the schema its applied migrations give: {} applied without a file here, or \
                 failed part-way (see `fleet status`)",
                unknown.join(", ")
            )
        })?;
    let live = match &target.schema {
        None => Described::Database(
            migrate_core::schema::describe(client, table).map_err(|e| e.to_string())?,
        ),
        Some(schema) => {
            let database = Arc::clone(
                databases
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(target.url.clone())
                    .or_default(),
            );
            let slices = database.get_or_init(|| {
                migrate_core::schema::describe_schemas(client, table).map_err(|e| e.to_string())
            });
            in_schema(client, slices.as_ref().map_err(Clone::clone)?, schema)?
        }
    };
    Ok(Read { applied, live })
}

/// The schema `applied` gives, built on a scratch database of the configured server: for a schema target in
/// a schema of the target's name, with its migrations table there and `search_path` set to it (and the
/// fleet's extras), as `fleet up` runs it; described as the target is.
fn build(
    settings: &crate::Settings,
    registry: &Registry,
    fleet: &Fleet<'_, '_>,
    target: &Target,
    applied: &[Migration],
) -> std::result::Result<Described, String> {
    let built = || -> Result<Described> {
        let db = crate::connect::resolve_settings(settings)?;
        let table = target
            .migrations_table(&settings.table)
            .unwrap_or_else(|_| settings.table.clone());
        one_database::on_scratch(
            settings,
            &db,
            ("fleet drift", registry),
            (applied, &table),
            |client| {
                if let Some(schema) = &target.schema {
                    client
                        .batch_execute(&format!("CREATE SCHEMA {}", migrate_dsl::ident(schema)))?;
                    set_search_path(client, schema, &fleet.options().search_path)?;
                }
                Ok(())
            },
            |client| {
                Ok(match &target.schema {
                    None => Described::Database(migrate_core::schema::describe(client, &table)?),
                    Some(schema) => {
                        let slices = migrate_core::schema::describe_schemas(client, &table)?;
                        in_schema(client, &slices, schema).map_err(anyhow::Error::msg)?
                    }
                })
            },
        )
    };
    built().map_err(|e| format!("{e:#}"))
}

/// The slice of `schema` among `slices`, found by its name as PostgreSQL quotes it.
fn in_schema(
    client: &mut postgres::Client,
    slices: &[SchemaSlice],
    schema: &str,
) -> std::result::Result<Described, String> {
    let quoted: String = client
        .query_one("SELECT pg_catalog.quote_ident($1)", &[&schema])
        .map_err(|e| e.to_string())?
        .get(0);
    let slice = slices.iter().find(|s| s.quoted() == quoted).cloned();
    Ok(Described::Schema(slice, quoted))
}

/// The summary (or JSON), and the exit status: 9 when a target drifted, 1 when one could not be compared.
fn report(
    fleet: &Fleet<'_, '_>,
    verdicts: &[Verdict],
    builds: usize,
    json: bool,
) -> Result<ExitCode> {
    let targets = fleet.targets();
    let drifted = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Compared(d) if !d.is_empty()))
        .count();
    let failed = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Failed(_)))
        .count();
    if json {
        let entries: Vec<serde_json::Value> = targets
            .iter()
            .zip(verdicts)
            .map(|(t, v)| match v {
                Verdict::Compared(drift) => serde_json::json!({ "name": t.name, "drift": drift }),
                Verdict::Failed(error) => serde_json::json!({ "name": t.name, "error": error }),
            })
            .collect();
        let report = serde_json::json!({
            "targets": entries,
            "summary": {
                "targets": targets.len(),
                "builds": builds,
                "drifted": drifted,
                "failed": failed,
            },
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).context("cannot write the report")?
        );
    } else {
        for (t, v) in targets.iter().zip(verdicts) {
            match v {
                Verdict::Compared(drift) if drift.is_empty() => {}
                Verdict::Compared(drift) => {
                    outln!("{}: {} object(s) differ", t.name, drift.len());
                    one_database::print_objects(drift);
                }
                Verdict::Failed(error) => errln!("error: {}: {error}", t.name),
            }
        }
        outln!(
            "{} target(s) compared with the schema their applied migrations give ({builds} scratch build(s)): \
             {drifted} drifted, {} without drift{}",
            targets.len(),
            targets.len() - drifted - failed,
            if failed > 0 { format!(", {failed} could not be compared") } else { String::new() }
        );
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else if drifted > 0 {
        ExitCode::from(crate::EXIT_DRIFT)
    } else {
        ExitCode::SUCCESS
    })
}
