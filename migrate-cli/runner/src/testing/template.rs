//! The template a test database is copied from: the migrations applied once per set of migrations, then
//! `CREATE DATABASE ... TEMPLATE` for each test, which copies files instead of running every migration again.
//!
//! The template is named after what it holds (`migrate_tpl_<hash>` of every migration's name and checksum and
//! the bookkeeping table's name and schema), so changed migrations get a template of their own and an
//! unchanged set reuses it across test processes and runs. It is built under a session advisory lock keyed on
//! that name, so concurrent tests (and processes) build it once; it is marked `IS_TEMPLATE` last, so one left
//! half-built by a killed process is dropped and built again, never copied.

use std::hash::Hasher as _;

use anyhow::Result;
use migrate_core::Registry;

use crate::connect::Target;
use crate::settings::Settings;

/// The template's name for `registry` applied with `settings`.
pub(super) fn name(registry: &Registry, settings: &Settings) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for migration in registry
        .migrations
        .as_slice()
        .iter()
        .chain(registry.repeatables.as_slice())
    {
        hasher.write(migration.name().as_bytes());
        hasher.write(migration.checksum().as_bytes());
    }
    hasher.write(settings.table.schema().as_bytes());
    hasher.write(settings.table.name().as_bytes());
    format!("migrate_tpl_{:016x}", hasher.finish())
}

/// Makes sure the template for `registry` exists on the server of `admin` (`client` is a session there),
/// migrated and marked as a template, and returns its name.
pub(super) fn ensure(
    client: &mut postgres::Client,
    admin: &Target,
    admin_url: &str,
    registry: &'static Registry,
    settings: &Settings,
) -> Result<String> {
    let name = name(registry, settings);
    let lock_key = format!("hashtext('{name}')");
    client
        .batch_execute(&format!("SELECT pg_advisory_lock({lock_key})"))
        .map_err(|e| admin.error(&e))?;
    let built = build_unless_ready(client, admin, admin_url, registry, settings, &name);
    // The session's end would release it too; unlocking at once lets the next waiter copy without delay.
    let unlocked = client
        .batch_execute(&format!("SELECT pg_advisory_unlock({lock_key})"))
        .map_err(|e| admin.error(&e));
    built.and(unlocked).map(|()| name)
}

fn build_unless_ready(
    client: &mut postgres::Client,
    admin: &Target,
    admin_url: &str,
    registry: &'static Registry,
    settings: &Settings,
    name: &str,
) -> Result<()> {
    let ready = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1 AND datistemplate)",
            &[&name],
        )
        .map_err(|e| admin.error(&e))?
        .get::<_, bool>(0);
    if ready {
        return Ok(());
    }
    let drop = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        migrate_dsl::ident(name)
    );
    client.batch_execute(&drop).map_err(|e| admin.error(&e))?;
    crate::database::create_database(client, admin, name)?;
    let url = super::database_url(admin_url, name)?;
    if let Err(e) = super::apply(
        registry,
        settings,
        &url,
        &format!("the test template {name}"),
    ) {
        // Not left for the next run to find: it would be dropped and built again anyway.
        let _ = client.batch_execute(&drop);
        return Err(e);
    }
    client
        .batch_execute(&format!(
            "ALTER DATABASE {} IS_TEMPLATE true",
            migrate_dsl::ident(name)
        ))
        .map_err(|e| admin.error(&e))
}
