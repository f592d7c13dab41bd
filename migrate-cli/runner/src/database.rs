//! `database create|drop|reset`: the database named by the connection settings, created or dropped through a
//! maintenance database on the same server (`postgres`, else `template1`), with the same credentials and TLS.
//! Only ever the named database: the maintenance connection runs nothing else but reads of the catalog.

use crate::stdio::{err, errln, outln};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use migrate_core::{Migrator, Registry, UpTarget};
use postgres::error::SqlState;
use postgres::Client;

use crate::connect::{self, Target};
use crate::output::RunOutput;
use crate::settings::Settings;

/// Databases that exist for the server's own sake: never dropped or reset from here.
const MAINTENANCE: [&str; 3] = ["postgres", "template0", "template1"];

/// `database create`: nothing to do when it exists.
pub fn create(settings: &Settings) -> Result<ExitCode> {
    let target = connect::resolve_settings(settings)?;
    let name = target.dbname();
    let mut admin = maintenance(&target, settings)?;
    if exists(&mut admin, &name)? {
        outln!("database {name} already exists on {}", server(&target));
        return Ok(ExitCode::SUCCESS);
    }
    create_database(&mut admin, &target, &name)?;
    outln!("created database {name} on {}", server(&target));
    Ok(ExitCode::SUCCESS)
}

/// `database drop`: asks first on a terminal; elsewhere `force` must be given.
pub fn drop(settings: &Settings, force: bool) -> Result<ExitCode> {
    let target = connect::resolve_settings(settings)?;
    let name = target.dbname();
    refuse_maintenance(&name, "drop")?;
    let mut admin = maintenance(&target, settings)?;
    if !exists(&mut admin, &name)? {
        outln!(
            "database {name} does not exist on {}; nothing dropped",
            server(&target)
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !confirmed(&target, &name, "drop", force)? {
        errln!("not confirmed: database {name} was not dropped");
        return Ok(ExitCode::FAILURE);
    }
    drop_database(&mut admin, &target, &name)?;
    outln!("dropped database {name} on {}", server(&target));
    Ok(ExitCode::SUCCESS)
}

/// `database reset`: drop (asking as `drop` does), create, apply every migration.
pub fn reset(settings: &Settings, registry: &Registry, force: bool) -> Result<ExitCode> {
    let target = connect::resolve_settings(settings)?;
    let name = target.dbname();
    refuse_maintenance(&name, "reset")?;
    let mut admin = maintenance(&target, settings)?;
    if exists(&mut admin, &name)? {
        if !confirmed(&target, &name, "reset", force)? {
            errln!("not confirmed: database {name} was not reset");
            return Ok(ExitCode::FAILURE);
        }
        drop_database(&mut admin, &target, &name)?;
        outln!("dropped database {name}");
    }
    create_database(&mut admin, &target, &name)?;
    outln!("created database {name}");
    let mut client = target.connect(settings.connect_timeout)?;
    let mut output = RunOutput::default();
    let ran = Migrator::new(registry.migrations.as_slice())
        .repeatables(registry.repeatables.as_slice())
        .table(settings.table.clone())
        .lock_mode(settings.lock_mode)
        .timeouts(settings.timeouts.clone())
        // A development database: no worker runs the background jobs.
        .finish_jobs(true)
        .run_up(&mut client, &UpTarget::All, &mut |e| output.print_event(e))?;
    outln!("{} migration(s) applied on {}", ran.len(), target.display);
    if !ran.is_empty() {
        crate::commands::note_schema_file(settings, registry);
    }
    Ok(ExitCode::SUCCESS)
}

fn refuse_maintenance(name: &str, verb: &str) -> Result<()> {
    if MAINTENANCE.contains(&name) {
        bail!(
            "refusing to {verb} {name}: it is one of the server's own databases (postgres, template0, template1); the connection settings must name your application's database"
        );
    }
    Ok(())
}

/// `host:port` of the server, for messages.
fn server(target: &Target) -> String {
    let display = &target.display;
    display
        .split_once('@')
        .map_or(display.as_str(), |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or(display)
        .to_owned()
}

/// A connection to `postgres` on the same server, or `template1` when there is no `postgres` database.
fn maintenance(target: &Target, settings: &Settings) -> Result<Client> {
    match target
        .with_dbname("postgres")
        .connect(settings.connect_timeout)
    {
        Ok(client) => Ok(client),
        // invalid_catalog_name: the server has no `postgres` database (it may be dropped; template1 never is).
        Err(e) if e.to_string().contains("SQLSTATE 3D000") => target
            .with_dbname("template1")
            .connect(settings.connect_timeout)
            .map_err(|e| e.context("no maintenance database (postgres, template1) to connect to")),
        Err(e) => Err(e),
    }
}

fn exists(admin: &mut Client, name: &str) -> Result<bool> {
    admin
        .query_opt(
            "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
            &[&name],
        )
        .map(|row| row.is_some())
        .map_err(|e| {
            anyhow!(
                "cannot read the list of databases: {}",
                connect::describe(&e)
            )
        })
}

fn current_role(admin: &mut Client) -> String {
    admin
        .query_one("SELECT current_user::text", &[])
        .map(|r| r.get(0))
        .unwrap_or_else(|_| "this role".to_owned())
}

pub(crate) fn create_database(admin: &mut Client, target: &Target, name: &str) -> Result<()> {
    create_database_from(admin, target, name, None)
}

/// [`create_database`], as a copy of the database `template` when one is given.
pub(crate) fn create_database_from(
    admin: &mut Client,
    target: &Target,
    name: &str,
    template: Option<&str>,
) -> Result<()> {
    let mut sql = format!("CREATE DATABASE {}", migrate_dsl::ident(name));
    if let Some(template) = template {
        sql.push_str(&format!(" TEMPLATE {}", migrate_dsl::ident(template)));
    }
    match admin.batch_execute(&sql) {
        Ok(()) => Ok(()),
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            let role = current_role(admin);
            Err(anyhow!(
                "cannot create database {name} on {}: role {role} has no CREATEDB right; ask an administrator to create the database, or to run ALTER ROLE {} CREATEDB",
                server(target),
                migrate_dsl::ident(&role)
            ))
        }
        Err(e) => Err(anyhow!(
            "cannot create database {name} on {}: {}",
            server(target),
            target.scrub(&connect::describe(&e))
        )),
    }
}

fn drop_database(admin: &mut Client, target: &Target, name: &str) -> Result<()> {
    let sql = format!("DROP DATABASE {}", migrate_dsl::ident(name));
    match admin.batch_execute(&sql) {
        Ok(()) => Ok(()),
        Err(e) if e.code() == Some(&SqlState::OBJECT_IN_USE) => {
            let (sessions, apps): (i64, Option<String>) = admin
                .query_one(
                    "SELECT pg_catalog.count(*), pg_catalog.string_agg(DISTINCT coalesce(nullif(application_name, ''), '(unnamed)'), ', ')
                     FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid() AND backend_type = 'client backend'",
                    &[&name],
                )
                .map(|r| (r.get(0), r.get(1)))
                .unwrap_or((0, None));
            let who = match (sessions, apps) {
                (0, _) => "other sessions are connected to it".to_owned(),
                (n, Some(apps)) => format!("{n} other session(s) are connected to it ({apps})"),
                (n, None) => format!("{n} other session(s) are connected to it"),
            };
            Err(anyhow!(
                "cannot drop database {name}: {who}; stop them first (the app, psql, an IDE), or end them with\n    SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}';\nnothing was dropped",
                name.replace('\'', "''")
            ))
        }
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            let role = current_role(admin);
            Err(anyhow!(
                "cannot drop database {name}: role {role} does not own it (only its owner or a superuser may drop it); nothing was dropped"
            ))
        }
        Err(e) => Err(anyhow!(
            "cannot drop database {name}: {}",
            target.scrub(&connect::describe(&e))
        )),
    }
}

/// `force`, or a "y" typed on the terminal. Without a terminal to ask on, an error saying to pass `--force`.
fn confirmed(target: &Target, name: &str, verb: &str, force: bool) -> Result<bool> {
    if force {
        return Ok(true);
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!(
            "database {verb} deletes database {name} on {} and all its data; pass --force (or -y) to confirm (there is no terminal to ask on)",
            server(target)
        );
    }
    err!(
        "{verb} database {name} on {}? All its data will be lost. [y/N] ",
        server(target)
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_own_databases_are_never_dropped() {
        for name in ["postgres", "template0", "template1"] {
            let err = refuse_maintenance(name, "drop").unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("refusing to drop {name}")),
                "{err}"
            );
        }
        assert!(refuse_maintenance("app_dev", "drop").is_ok());
    }
}
