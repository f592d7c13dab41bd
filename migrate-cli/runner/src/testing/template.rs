//! The template a test database is copied from: the migrations applied once per set of migrations (and per
//! version a test starts at, [`super::TestDatabase::at`]), then `CREATE DATABASE ... TEMPLATE` for each
//! test, which copies files instead of running every migration again.
//!
//! The template is named after what it holds (`migrate_tpl_<hash>` of every migration's name and checksum and
//! the bookkeeping table's name and schema), so changed migrations get a template of their own and an
//! unchanged set reuses it across test processes and runs. It is built under a session advisory lock keyed on
//! that name, so concurrent tests (and processes) build it once; it is marked `IS_TEMPLATE` last, so one left
//! half-built by a killed process is dropped and built again, never copied.

use std::hash::Hasher as _;

use anyhow::Result;
use migrate_core::Registry;

use super::Version;
use crate::connect::Target;
use crate::settings::Settings;

/// The template's name for `registry` applied with `settings` up to `version`: named after every migration
/// it holds (name and checksum) and the bookkeeping table, so that a template at a version is shared by
/// every set of migrations that agrees up to it, and a migration changed later does not touch it.
pub(super) fn name(registry: &Registry, settings: &Settings, version: Version<'_>) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let migrations = registry.migrations.as_slice();
    let (versioned, repeatables) = match version {
        Version::Latest => (migrations, registry.repeatables.as_slice()),
        Version::At(last) => {
            let end = migrations
                .iter()
                .position(|m| m.name() == last.name())
                .map_or(migrations.len(), |i| i + 1);
            (&migrations[..end], &[][..])
        }
    };
    for migration in versioned.iter().chain(repeatables) {
        hasher.write(migration.name().as_bytes());
        hasher.write(migration.checksum().as_bytes());
    }
    hasher.write(settings.table.schema().as_bytes());
    hasher.write(settings.table.name().as_bytes());
    format!("migrate_tpl_{:016x}", hasher.finish())
}

/// Makes sure the template for `registry` at `version` exists on the server of `admin` (`client` is a
/// session there), migrated and marked as a template, and returns its name.
pub(super) fn ensure(
    client: &mut postgres::Client,
    admin: &Target,
    admin_url: &str,
    registry: &'static Registry,
    settings: &Settings,
    version: Version<'_>,
) -> Result<String> {
    let name = name(registry, settings, version);
    let lock_key = format!("hashtext('{name}')");
    client
        .batch_execute(&format!("SELECT pg_advisory_lock({lock_key})"))
        .map_err(|e| admin.error(&e))?;
    let built = build_unless_ready(client, admin, admin_url, registry, settings, &name, version);
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
    version: Version<'_>,
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
        version,
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
